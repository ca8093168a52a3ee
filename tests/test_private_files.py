"""Local data is its owner's alone: folders 0700, databases, media and state 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from imkit_tui.config import UiState
from imkit_tui.core import IMClient
from imkit_tui.protocol import ConvRef
from imkit_tui.storage.private import private_database
from tests.conftest import ClientFactory, ServerHandle, until_client


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask most systems start with (group and others may read)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


async def _has_message(client: IMClient) -> bool:
    return bool(await client.messages(ConvRef.private("alice")))


def _exposed(root: Path) -> list[str]:
    """Every folder or file below `root` (and `root`) that someone else could read."""
    found = []
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            found.append(f"{path.relative_to(root.parent)} {mode:o}")
    return found


async def test_stores_media_and_secrets_are_private(
    usual_umask: None,
    server_handle: ServerHandle,
    make_client: ClientFactory,
    tmp_path: Path,
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    picture = tmp_path / "photo.png"
    Image.new("RGB", (32, 32), (200, 10, 10)).save(picture)
    sent = await alice.files.send(ConvRef.private("bob"), picture)
    (done,) = await alice.wait_sent([sent.id], timeout=10)
    await until_client(bob, lambda: _has_message(bob))
    (received,) = await bob.messages(ConvRef.private("alice"))
    await bob.files.download(received)
    UiState(tmp_path / "clients" / "ui-state.json").set("theme", "nord")
    await alice.close()
    await bob.close()
    await server_handle.stop()

    assert done.uid
    assert _exposed(tmp_path / "server") == []
    assert _exposed(tmp_path / "clients") == []


def test_an_older_readable_store_is_tightened_when_opened(
    usual_umask: None, tmp_path: Path
) -> None:
    folder = tmp_path / "old"
    folder.mkdir(mode=0o755)
    for name in ("store.db", "store.db-wal", "store.db-shm"):
        (folder / name).write_bytes(b"")
        (folder / name).chmod(0o644)

    private_database(folder / "store.db")

    assert _exposed(folder) == []
