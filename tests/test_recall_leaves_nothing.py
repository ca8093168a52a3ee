"""A recalled text leaves no copy in the server's or the clients' database files."""

from __future__ import annotations

from pathlib import Path

from imkit_tui import messages
from imkit_tui.core import IMClient
from imkit_tui.protocol import ConvRef
from tests.conftest import ClientFactory, ServerHandle, until_client

SECRET = "the launch code is QZXW-4471-VELVET-ORCHID"


def _copies(folder: Path) -> list[str]:
    """Database files below `folder` (WAL included) that hold the secret's bytes."""
    needles = (SECRET.encode(), b"VELVET-ORCHID")
    return [
        str(path.relative_to(folder))
        for path in folder.rglob("*.db*")
        if path.is_file() and any(needle in path.read_bytes() for needle in needles)
    ]


async def _recalled(client: IMClient, conv: ConvRef) -> bool:
    return any(m.object_name == messages.RECALL_NTF for m in await client.messages(conv))


async def _arrived(client: IMClient) -> bool:
    return any(SECRET in str(m.content) for m in await client.messages(ConvRef.private("alice")))


async def test_a_recall_leaves_no_copy_of_the_text_on_disk(
    server_handle: ServerHandle, make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    sent = await alice.send_text(ConvRef.private("bob"), SECRET)
    (acked,) = await alice.wait_sent([sent.id], timeout=10)
    await until_client(bob, lambda: _arrived(bob))
    for client in (alice, bob):  # the text is searchable on both
        await client.store.search_index.flush()
        assert await client.store.search_index.backlog() == 0
    assert _copies(tmp_path / "server") and _copies(tmp_path / "clients")

    await alice.history.recall(acked)
    assert _copies(tmp_path / "server") == []  # once the recall is acknowledged
    await until_client(bob, lambda: _recalled(bob, ConvRef.private("alice")))
    for client in (alice, bob):
        await client.store.search_index.wait_drained()
    assert _copies(tmp_path / "clients") == []
