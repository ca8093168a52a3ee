"""Several processes of one user on one home: shared stores, outbox claims, one
embedded server per home, and taking it over when its holder goes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import sqlite3
import subprocess
import sys
import threading
import time
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

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


@pytest.mark.parametrize("attempt", range(10))
def test_databases_opened_at_the_same_moment_are_migrated_once(
    tmp_path: Path, attempt: int
) -> None:
    path = tmp_path / f"fresh-{attempt}.db"
    # Bounded everywhere: a thread that fails must fail the test, never leave the
    # others waiting (a non-daemon thread left waiting keeps the whole run alive).
    opening = threading.Barrier(4, timeout=30)
    migrating = threading.Barrier(4, timeout=30)
    errors: list[BaseException] = []
    versions: list[int] = []

    async def migrate() -> None:
        opening.wait()  # all four switch the new file to WAL at once
        database = await Database.open(path, threaded=False)
        try:
            migrating.wait()
            versions.append(await apply_migrations(database, _STEPS))
        finally:
            await database.close()

    def run() -> None:
        try:
            asyncio.run(migrate())
        except BaseException as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
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
    assert await app.store.outbox.count() == 0


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
        queued = await first.outbox.add(ConvRef.private("bob"), "cmid-1", TEXT, {}, 1_000)
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
        queued = await store.outbox.add(ConvRef.private("bob"), "cmid-1", TEXT, {}, 1_000)
        # As if a process that has since ended (killed mid-send) had queued it.
        with contextlib.closing(sqlite3.connect(path)) as other, other:
            other.execute("UPDATE messages SET claimed_by = ?", (f"{ended_pid}:0",))
        taken = await store.claims.next(2_000)
        assert taken is not None and taken.id == queued.id
    finally:
        await store.close()


# ---------------------------------------------------------------- one embedded server per home

ROOT = Path(__file__).resolve().parents[1]


class _App:
    """`python -m tests.embedded_app`: the embedded-server part of `imkit`, headless."""

    def __init__(self, home: Path, user: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.embedded_app", str(home), user],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env_for(home),
            cwd=ROOT,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(json.loads(line))

    def next(self, event: str, timeout: float = 90, **fields: Any) -> dict[str, Any]:
        """The next line of `event` whose fields include `fields` (others are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {event} {fields}; stderr: {self._stderr()}") from None
            if line["event"] == event and fields.items() <= line.items():
                return line

    def send(self, to: str, text: str) -> None:
        """Send a private text from this app."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"to": to, "text": text}) + "\n")
        self.process.stdin.flush()

    def quit(self) -> tuple[int, str]:
        """Close standard input (the app stops); its exit code and standard error."""
        if self.process.poll() is None and self.process.stdin is not None:
            self.process.stdin.close()
        try:
            code = self.process.wait(30)
        finally:
            self.process.kill()
        return code, self._stderr()

    def _stderr(self) -> str:
        if self.process.poll() is None:
            return "(running)"
        assert self.process.stderr is not None
        return self.process.stderr.read()


@contextlib.contextmanager
def _two_apps(home: Path) -> Iterator[tuple[_App, _App]]:
    """Two apps of the same user started at the same moment on a fresh home; the one
    that serves first."""
    apps = [_App(home, "me"), _App(home, "me")]
    try:
        ready = [app.next("ready") for app in apps]
        assert sorted(r["serving"] for r in ready) == [False, True]  # one server
        assert ready[0]["url"] == ready[1]["url"]
        holder, other = apps if ready[0]["serving"] else apps[::-1]
        yield holder, other
    finally:
        for app in apps:
            app.process.kill()
            app.process.wait()


def _server_count(home: Path, text: str) -> int:
    """How many messages of the embedded server's store hold `text`."""
    path = Paths.resolve(home).server_data / "server.db"
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        row = conn.execute(
            "SELECT COUNT(*) FROM messages WHERE content LIKE ?", (f"%{text}%",)
        ).fetchone()
    return int(row[0])


def test_two_apps_started_at_once_share_one_server_and_one_demo(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with _two_apps(home) as (holder, other):
        assert _server_count(home, "Ping me when you are back.") == 1  # seeded once
        assert _server_count(home, "This is your own chat server") == 1
        # Each sees what the other sends, at once: the same user's other device.
        other.send("echo-bot", "from the second app")
        holder.next("received", text="from the second app", sender="me")
        holder.next("received", text="echo: from the second app")
        holder.send("alice", "from the first app")
        other.next("received", text="from the first app", sender="me", sent=True)
        # Quitting the one that connects leaves the server running.
        code, err = other.quit()
        assert (code, err) == (0, "")
        holder.send("echo-bot", "still here")
        holder.next("received", text="echo: still here")
        assert holder.quit() == (0, "")


def test_when_the_serving_app_is_killed_the_other_takes_the_server_over(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    with _two_apps(home) as (holder, other):
        holder.process.kill()
        holder.process.wait()
        other.next("serving")
        other.send("echo-bot", "after the takeover")
        other.next("received", text="echo: after the takeover")
        # A third app of the home finds the new holder and talks with it; when that
        # holder quits, the third takes over in turn.
        third = _App(home, "me")
        try:
            assert third.next("ready")["serving"] is False
            third.send("alice", "from the third app")
            other.next("received", text="from the third app", sent=True)
            assert other.quit() == (0, "")
            third.next("serving")
            third.send("echo-bot", "third time")
            third.next("received", text="echo: third time")
        finally:
            assert third.quit() == (0, "")
        assert _server_count(home, "Ping me when you are back.") == 1
