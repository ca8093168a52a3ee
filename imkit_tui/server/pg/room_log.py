"""The chatrooms of several nodes: one log of acts in PostgreSQL (`chatroom_acts`), which
every node follows on its own copy of the rooms (server/chatrooms/acts.py).

A node runs an act in a transaction that first takes the log's advisory lock, then
applies the acts other nodes logged since it last looked, then runs the act on that
up-to-date copy (so a decision — may this user join, speak, take this key; is the room
over its budget — sees every earlier act of every node) and logs it with what it decided
(script.py). The commit notifies every node (pg/notices.py); each reads the acts after
the last it applied and runs them in order, delivering to its own devices only. The
notice is a hint: each node also reads the log at every sweep.

Each node says it is alive every sweep (`chatroom_nodes`); a node silent for
NODE_SILENT_SECONDS is taken as gone: its users' devices there count as offline (one
`node_gone` act, logged by whichever node sees it first), so they auto-exit as if they
had gone offline. Now and then a node keeps the whole state at its last act
(`chatroom_replica`, replica_state.py) and the acts every live node has applied are
deleted up to it; a node that starts reads that snapshot and the acts after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import asyncpg

from imkit_tui.protocol import ProtocolError
from imkit_tui.server.chatrooms.live import ChatroomLive
from imkit_tui.server.chatrooms.replica_state import full_restore, full_snapshot
from imkit_tui.server.chatrooms.script import Script
from imkit_tui.server.pg.notices import Notices, notify
from imkit_tui.server.pg.writer import affected
from imkit_tui.server.session import Session

log = logging.getLogger(__name__)

LOG_LOCK = 0x696D6B6974_43_52
"""The advisory lock every act takes (one log for all rooms)."""
NODE_SILENT_SECONDS = 5.0
"""A node that has not said it is alive for this long is taken as gone."""
SNAPSHOT_ACTS = 1000
"""The acts between two snapshots of the whole state."""
_NOW_MS = "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint"


class PgRoomLog:
    """This node's side of the room log (a :class:`~imkit_tui.server.chatrooms.live.SharedLog`)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        notices: Notices,
        live: ChatroomLive,
        local_users: Callable[[], Iterable[str]],
    ) -> None:
        self._pool = pool
        self._notices = notices
        self._live = live
        self._local_users = local_users
        self.node = uuid.uuid4().hex
        """This node's name in the log (new at every start)."""
        self._lock = asyncio.Lock()
        self._applied = 0
        self._last_at = 0
        self._snapshot_op = 0
        self._wanted = False
        self._follower: asyncio.Task[None] | None = None
        self._announce = False
        self._closed = False
        self._queue: list[tuple[str, list[Any], Session | None, asyncio.Future[Any]]] = []
        self._runner: asyncio.Task[None] | None = None
        self._announcing: set[asyncio.Task[Any]] = set()
        self.snapshot_acts = SNAPSHOT_ACTS
        """The acts between two snapshots of the whole state."""

    # ------------------------------------------------------------------ start, stop

    async def start(self) -> None:
        """Read the last snapshot and the acts after it, and join the live nodes (in one
        transaction under the lock, so nothing read is deleted meanwhile)."""
        self._notices.on("chatroom", self._hint)
        async with self._lock:
            await self._load()

    async def close(self) -> None:
        """Leave the live nodes (this node's users are offline for the others)."""
        self._closed = True
        if self._follower is not None:
            self._follower.cancel()
        try:
            async with self._lock, self._transaction() as conn:
                await self._log(conn, "node_gone", [self.node], None)
                await conn.execute("DELETE FROM chatroom_nodes WHERE node = $1", self.node)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("leaving the room log: %s", exc)

    async def _load(self) -> None:
        live = self._live
        live.renew()
        self._applied = self._last_at = self._snapshot_op = 0
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", LOG_LOCK)
            row = await conn.fetchrow("SELECT op, at, body FROM chatroom_replica WHERE id = 1")
            if row is not None:
                full_restore(live, json.loads(row["body"]), int(row["at"]))
                self._applied = self._snapshot_op = int(row["op"])
                self._last_at = int(row["at"])
            await self._follow(conn)
            await conn.execute(
                "INSERT INTO chatroom_nodes(node, seen_at, applied) VALUES ($1, (" + _NOW_MS + "),"
                " $2) ON CONFLICT (node) DO UPDATE SET seen_at = excluded.seen_at,"
                " applied = excluded.applied",
                self.node,
                self._applied,
            )
        self._announce = True

    # ------------------------------------------------------------------ acts

    async def run(self, name: str, args: list[Any], skip: Session | None) -> Any:
        """Run act `name` after every act logged before it, and log it; its result once
        committed. A refused act (ProtocolError) changes nothing and is not logged. The
        acts queued meanwhile run together, in one transaction."""
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((name, args, skip, done))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._drain(), name="room-acts")
        return await done

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
            try:
                async with self._lock, self._transaction() as conn:
                    for name, args, skip, done in batch:
                        try:
                            outcomes.append((done, await self._log(conn, name, args, skip), None))
                        except ProtocolError as exc:  # refused before anything changed
                            outcomes.append((done, None, exc))
            except Exception as exc:
                outcomes = [(done, None, exc) for *_, done in batch]
            for done, result, error in outcomes:
                if done.done():
                    continue
                if error is not None:
                    done.set_exception(error)
                else:
                    done.set_result(result)
            self._announced()

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """A transaction under the log's lock, caught up with the log; what the acts in
        it do reaches devices once it commits. When it fails, the acts may have run here
        but are not logged: this node reads the log again."""
        self._live.hold()
        committed = False
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", LOG_LOCK)
                await self._follow(conn)
                yield conn
            committed = True
        finally:
            self._live.release(committed)
            if not committed:
                await self._reload()

    async def _log(
        self, conn: asyncpg.Connection, name: str, args: list[Any], skip: Session | None
    ) -> Any:
        """Inside the locked transaction, caught up: run the act here and log it."""
        at = max(self._live.clock(), self._last_at)
        script = Script.recording()
        result = self._live.apply(name, args, at, script, skip)
        body = json.dumps({"act": name, "args": args, "at": at, **script.body()})
        op = int(
            await conn.fetchval("INSERT INTO chatroom_acts(body) VALUES ($1) RETURNING id", body)
        )
        await notify(conn, self._notices.channel, "chatroom", str(op))
        self._applied, self._last_at = op, at
        return result

    async def _follow(self, conn: asyncpg.Connection) -> None:
        """Run the acts logged after the last one applied here, in order."""
        rows = await conn.fetch(
            "SELECT id, body FROM chatroom_acts WHERE id > $1 ORDER BY id", self._applied
        )
        for row in rows:
            body = json.loads(row["body"])
            name, at = str(body["act"]), int(body["at"])
            try:
                self._live.apply(name, list(body["args"]), at, Script.replaying_of(body), None)
            except ProtocolError as exc:
                log.warning("act %s %s refused when repeated: %s", row["id"], name, exc.message)
            except Exception:
                log.exception("act %s %s failed when repeated", row["id"], name)
            if name == "node_gone" and body["args"] == [self.node]:
                self._announce = True  # taken for gone while alive: say who is here again
            self._applied, self._last_at = int(row["id"]), max(self._last_at, at)

    async def _reload(self) -> None:
        try:
            await self._load()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("reading the room log again: %s", exc)

    def _announced(self) -> None:
        """After a start or after being taken for gone: this node's users are online
        (acts queued beside the caller, which may be the act runner itself)."""
        if not self._announce or self._closed:
            return
        self._announce = False
        for user in list(self._local_users()):
            task = asyncio.create_task(self.run("online", [user, self.node], None))
            self._announcing.add(task)
            task.add_done_callback(self._announcing.discard)
            task.add_done_callback(_log_failure)

    # ------------------------------------------------------------------ following

    def _hint(self, key: str) -> None:
        """A notice: some node logged an act (or notices were lost: look anyway)."""
        self._wanted = True
        if self._closed:
            return
        if self._follower is None or self._follower.done():
            self._follower = asyncio.create_task(self._follow_hints(), name="room-log")

    async def _follow_hints(self) -> None:
        while self._wanted:
            self._wanted = False
            try:
                async with self._lock, self._pool.acquire() as conn:
                    self._live.hold()
                    try:
                        await self._follow(conn)
                    finally:
                        self._live.release(True)  # committed acts only
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("following the room log: %s", exc)
        self._announced()

    # ------------------------------------------------------------------ every sweep

    async def tick(self) -> None:
        """Say this node is alive; take silent nodes for gone; let away members whose
        time is up leave and idle rooms go (one act, by the first node to see it); keep
        a snapshot now and then; lift ended mutes and bans here."""
        live = self._live
        async with self._lock, self._transaction() as conn:
            await self._beat(conn)
            at = max(live.clock(), self._last_at)
            exits = [list(pair) for pair in live.service.due_exits(at)]
            idle = live.service.idle_rooms(at)
            if exits or idle:
                await self._log(conn, "expire", [exits, idle], None)
            if self._applied - self._snapshot_op >= self.snapshot_acts:
                await self._keep_snapshot(conn)
        self._announced()
        live.service.lift_marks(live.clock())

    async def _beat(self, conn: asyncpg.Connection) -> None:
        now = int(await conn.fetchval(_NOW_MS))
        status = await conn.execute(
            "UPDATE chatroom_nodes SET seen_at = $2, applied = $3 WHERE node = $1",
            self.node,
            now,
            self._applied,
        )
        if not affected(status):  # taken for gone: back among the live nodes
            await conn.execute(
                "INSERT INTO chatroom_nodes(node, seen_at, applied) VALUES ($1, $2, $3)",
                self.node,
                now,
                self._applied,
            )
            self._announce = True
        await conn.execute(
            "DELETE FROM chatroom_nodes WHERE seen_at < $1",
            now - int(NODE_SILENT_SECONDS * 1000),
        )
        alive = {str(r["node"]) for r in await conn.fetch("SELECT node FROM chatroom_nodes")}
        for node in sorted(self._live.presence.nodes() - alive - {self.node}):
            await self._log(conn, "node_gone", [node], None)

    async def _keep_snapshot(self, conn: asyncpg.Connection) -> None:
        body = json.dumps(full_snapshot(self._live, self._last_at), separators=(",", ":"))
        await conn.execute(
            "INSERT INTO chatroom_replica(id, op, at, body) VALUES (1, $1, $2, $3)"
            " ON CONFLICT (id) DO UPDATE SET op = excluded.op, at = excluded.at,"
            " body = excluded.body",
            self._applied,
            self._last_at,
            body,
        )
        self._snapshot_op = self._applied
        await conn.execute(
            "DELETE FROM chatroom_acts WHERE id <= LEAST($1,"
            " (SELECT COALESCE(MIN(applied), 0) FROM chatroom_nodes))",
            self._applied,
        )


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("saying who is on this node: %s", task.exception())
