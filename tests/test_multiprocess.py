"""Several processes of one user on one home: shared stores, outbox claims, one
embedded server per home, and taking it over when its holder goes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import sys
import threading
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from imkit_tui.core import Direction, IMClient, Message, MessagesReceived, Subscription
from imkit_tui.core.outbox_claims import LEASE_MS
from imkit_tui.core.store import LocalStore
from imkit_tui.messages import TEXT
from imkit_tui.paths import Paths
from imkit_tui.protocol import ConvRef
from imkit_tui.storage import Database, Migration, apply_migrations
from tests.conftest import FAST_BACKOFF, ClientFactory, ServerHandle
from tests.processes import IMKIT, env_for

_STEPS = tuple(
    Migration(n, f"step {n}", f"CREATE TABLE t{n} (id INTEGER PRIMARY KEY, v TEXT);")
    for n in range(1, 31)
)


def test_databases_opened_at_the_same_moment_are_migrated_once(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    start = threading.Barrier(4)
    errors: list[BaseException] = []
    versions: list[int] = []

    async def migrate() -> None:
        database = await Database.open(path, threaded=False)
        try:
            start.wait()
            versions.append(await apply_migrations(database, _STEPS))
        finally:
            await database.close()

    def run() -> None:
        try:
            asyncio.run(migrate())
        except BaseException as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert versions == [30] * 4


# ---------------------------------------------------------------- one store, many processes


def _store_client(server_handle: ServerHandle, home: Path, user: str, device: str) -> IMClient:
    """A client on the store `imkit send --server URL --token …` uses for `user`."""
    return IMClient(
        server_url=server_handle.url,
        token=server_handle.token(user),
        store_path=Paths.resolve(home).account_store(server_handle.url, user),
        device=device,
        backoff=FAST_BACKOFF,
        request_timeout=5.0,
    )


def _login(server_handle: ServerHandle, user: str) -> list[str]:
    """The --server and --token options of a client command for `user`."""
    return ["--server", server_handle.url, "--token", server_handle.token(user)]


async def _imkit(home: Path, *args: str) -> tuple[int, str, str]:
    """Run `imkit ARGS` to the end beside this test's event loop (where the server runs)."""
    process = await asyncio.create_subprocess_exec(
        *IMKIT, *args, env=env_for(home), stdout=PIPE, stderr=PIPE
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def _received_text(events: Subscription, text: str) -> Message:
    """The next MessagesReceived message whose text is `text`."""
    async with asyncio.timeout(20):
        while True:
            event = await events.next()
            if isinstance(event, MessagesReceived):
                for message in event.messages:
                    if message.content.get("content") == text:
                        return message


@pytest.fixture
async def alice_app(server_handle: ServerHandle, tmp_path: Path) -> AsyncIterator[IMClient]:
    """alice's app: a client on the store her commands under `tmp_path/home` use."""
    app = _store_client(server_handle, tmp_path / "home", "alice", "app")
    await app.start()
    try:
        await app.wait_synced(timeout=10)
        yield app
    finally:
        await app.close()


async def test_imkit_send_beside_the_app_is_acknowledged_and_shown_in_the_app(
    server_handle: ServerHandle, make_client: ClientFactory, alice_app: IMClient, tmp_path: Path
) -> None:
    home, app = tmp_path / "home", alice_app
    bob = await make_client("bob")
    with app.subscribe() as events, bob.subscribe() as bob_events:
        code, _, err = await _imkit(
            home,
            "send",
            *_login(server_handle, "alice"),
            "--to",
            "bob",
            "--timeout",
            "30",
            "from a script",
        )
        assert (code, err) == (0, "")
        shown = await _received_text(events, "from a script")
        assert shown.direction == Direction.SENT and shown.seq is not None
        assert (await _received_text(bob_events, "from a script")).sender == "alice"
    # Sent once, and the app's own outbox has nothing of it left.
    page = await bob.messages(ConvRef.private("alice"))
    assert [m.content["content"] for m in page].count("from a script") == 1
    assert await app.store.pending_count() == 0


async def test_imkit_tail_beside_the_app_prints_what_arrives(
    server_handle: ServerHandle, make_client: ClientFactory, alice_app: IMClient, tmp_path: Path
) -> None:
    home, app = tmp_path / "home", alice_app
    bob = await make_client("bob")
    tail = await asyncio.create_subprocess_exec(
        *IMKIT,
        "tail",
        *_login(server_handle, "alice"),
        "--json",
        env=env_for(home),
        stdout=PIPE,
        stderr=PIPE,
    )
    try:
        assert tail.stdout is not None
        with app.subscribe() as events:
            # Until tail is connected, a message would be history to it: send until one
            # comes out, each also reaching the app.
            for attempt in range(40):
                await bob.send_text(ConvRef.private("alice"), f"ping {attempt}")
                await _received_text(events, f"ping {attempt}")
                try:
                    async with asyncio.timeout(0.5):
                        line = await tail.stdout.readline()
                except TimeoutError:
                    continue
                printed = json.loads(line)
                assert printed["sender"] == "bob"
                assert printed["content"]["content"].startswith("ping ")
                break
            else:
                raise AssertionError("imkit tail printed nothing while the app was open")
    finally:
        tail.terminate()
        await tail.wait()


async def test_an_outbox_row_is_sent_by_the_store_that_queued_it(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    first = await LocalStore.open(path, "alice")
    second = await LocalStore.open(path, "alice")
    try:
        queued = await first.add_outgoing(ConvRef.private("bob"), "cmid-1", TEXT, {}, 1_000)
        now = 2_000
        assert await second.claims.next(now) is None  # the first holds it and is alive
        claimed = await first.claims.next(now)
        assert claimed is not None and claimed.id == queued.id
        await first.claims.release()  # as when `imkit send` closes with it unsent
        taken = await second.claims.next(now)
        assert taken is not None and taken.id == queued.id
        assert await first.claims.next(now) is None  # now it is the second's
        # A lease that ran out (its holder offline all along) frees the row too.
        assert await first.claims.next(now + LEASE_MS + 1) is not None
    finally:
        await first.close()
        await second.close()


async def test_rows_claimed_by_a_process_that_is_gone_are_taken(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import os; print(os.getpid())", stdout=PIPE
    )
    ended_pid = (await child.communicate())[0].decode().strip()
    store = await LocalStore.open(path, "alice")
    try:
        queued = await store.add_outgoing(ConvRef.private("bob"), "cmid-1", TEXT, {}, 1_000)
        # As if a process that has since ended (killed mid-send) had queued it.
        with contextlib.closing(sqlite3.connect(path)) as other, other:
            other.execute("UPDATE messages SET claimed_by = ?", (f"{ended_pid}:0",))
        taken = await store.claims.next(2_000)
        assert taken is not None and taken.id == queued.id
    finally:
        await store.close()
