"""State several nodes keep alike: a log of acts in PostgreSQL (`log_acts`), which every
node follows on its own copy, its replica (server/replica.py). One log per part: the
chatrooms (server/chatrooms/acts.py), the customer-service desk
(server/customer_service/replica.py).

A node runs acts in a transaction that first takes the log's advisory lock, then
applies the acts other nodes logged since it last looked, then runs each act on that
up-to-date copy (so a decision — may this user join, speak, take this key; is the room
over its budget; which agent takes the next customer — sees every earlier act of every
node) and logs it with what it decided (its Script). What the acts do to devices waits
for the commit. The commit notifies every node (pg/notices.py); each reads the acts
after the last it applied and runs them in order, delivering to its own devices only.
The notice is a hint: each node also reads the log at every sweep.

Each node says it is alive at every tick (`log_nodes`); a node silent for
NODE_SILENT_SECONDS (or three ticks, when they are further apart) is taken as gone: its
users' devices there count as offline (one `node_gone` act, logged by whichever node
sees it first). Now and then a node keeps the whole state at its last act
(`log_snapshots`) and the acts every live node has applied are deleted up to it; a node
that starts reads that snapshot and the acts after it.
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
from imkit_tui.server.pg.notices import Notices, notify
from imkit_tui.server.pg.writer import affected
from imkit_tui.server.replica import Replica, Script
from imkit_tui.server.session import Session

log = logging.getLogger(__name__)

LOG_LOCKS = {"chatroom": 0x696D6B6974_4352, "desk": 0x696D6B6974_4353}
"""The advisory lock each log's acts take, by log."""
NODE_SILENT_SECONDS = 5.0
"""A node that has not said it is alive for this long is taken as gone."""
SNAPSHOT_ACTS = 1000
"""The acts between two snapshots of the whole state."""
FOLLOW_PAGE = 500
"""The acts read at once when catching up."""
# An act waiting to run (name, arguments, the session not to echo to, its future), and
# what came of it (its future, result, error).
_Queued = tuple[str, list[Any], Session | None, asyncio.Future[Any]]
_Outcome = tuple[asyncio.Future[Any], Any, BaseException | None]
_NOW_MS = "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint"


class PgActLog:
    """This node's side of log `name` (a :class:`~imkit_tui.server.replica.SharedLog`)
    for `replica`; `local_users()`: the users with devices here it must say are online;
    `tick_seconds`: how often :meth:`tick` is called."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        notices: Notices,
        name: str,
        replica: Replica,
        local_users: Callable[[], Iterable[str]],
        tick_seconds: float = 1.0,
    ) -> None:
        self._pool = pool
        self._notices = notices
        self.name = name
        """The log's name ("chatroom", "desk")."""
        self._lock_key = LOG_LOCKS[name]
        self._live = replica
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
        self._queue: list[_Queued] = []
        self._runner: asyncio.Task[None] | None = None
        self._silent_ms = int(max(NODE_SILENT_SECONDS, 3 * tick_seconds) * 1000)
        self.snapshot_acts = SNAPSHOT_ACTS
        """The acts between two snapshots of the whole state."""

    # ------------------------------------------------------------------ start, stop

    async def start(self) -> None:
        """Read the last snapshot and the acts after it, and join the live nodes (in one
        transaction under the lock, so nothing read is deleted meanwhile)."""
        self._notices.on(f"log.{self.name}", self._hint)
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
                await conn.execute(
                    "DELETE FROM log_nodes WHERE log = $1 AND node = $2", self.name, self.node
                )
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("leaving the %s log: %s", self.name, exc)

    async def _load(self) -> None:
        live = self._live
        live.renew()
        self._applied = self._last_at = self._snapshot_op = 0
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", self._lock_key)
            row = await conn.fetchrow(
                "SELECT op, at, body FROM log_snapshots WHERE log = $1", self.name
            )
            if row is not None:
                live.restore(json.loads(row["body"]), int(row["at"]))
                self._applied = self._snapshot_op = int(row["op"])
                self._last_at = int(row["at"])
            await self._follow(conn)
            await conn.execute(
                "INSERT INTO log_nodes(log, node, seen_at, applied) VALUES ($1, $2, ("
                + _NOW_MS
                + "), $3) ON CONFLICT (log, node) DO UPDATE SET seen_at = excluded.seen_at,"
                " applied = excluded.applied",
                self.name,
                self.node,
                self._applied,
            )
        self._announce = True

    # ------------------------------------------------------------------ acts

    async def run(self, name: str, args: list[Any], skip: Session | None) -> Any:
        """Run act `name` after every act logged before it, and log it; its result once
        committed. A refused act (ProtocolError) changes nothing and is not logged. The
        acts queued meanwhile run together, in one transaction."""
        return await self.submit(name, args, skip)

    def submit(self, name: str, args: list[Any], skip: Session | None) -> asyncio.Future[Any]:
        """Queue act `name` now (call order is log order for this node's acts); a future
        of its result."""
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((name, args, skip, done))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._drain(), name=f"{self.name}-acts")
        return done

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            _settle(await self._run_batch(batch))
            self._announced()

    async def _run_batch(self, batch: list[_Queued]) -> list[_Outcome]:
        """Run the acts of `batch` in one transaction: each one's result or refusal, or
        for all of them the error that undid the transaction."""
        outcomes: list[_Outcome] = []
        try:
            async with self._lock, self._transaction() as conn:
                for name, args, skip, done in batch:
                    try:
                        outcomes.append((done, await self._log(conn, name, args, skip), None))
                    except ProtocolError as exc:  # refused before anything changed
                        outcomes.append((done, None, exc))
        except Exception as exc:
            outcomes = [(done, None, exc) for *_, done in batch]
        return outcomes

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """A transaction under the log's lock, caught up with the log; what the acts in
        it do reaches devices once it commits, and the other nodes hear of them with one
        notice. When it fails, the acts may have run here
        but are not logged: this node reads the log again."""
        self._live.hold()
        committed = False
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", self._lock_key)
                await self._follow(conn)
                caught_up = self._applied
                yield conn
                if self._applied != caught_up:  # acts logged: one notice for them all
                    await notify(
                        conn, self._notices.channel, f"log.{self.name}", str(self._applied)
                    )
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
            await conn.fetchval(
                "INSERT INTO log_acts(log, body) VALUES ($1, $2) RETURNING id", self.name, body
            )
        )
        self._applied, self._last_at = op, at
        return result

    async def _follow(self, conn: asyncpg.Connection) -> None:
        """Run the acts logged after the last one applied here, in order (a page at a
        time: a node far behind holds no more than a page in memory)."""
        while True:
            rows = await conn.fetch(
                "SELECT id, body FROM log_acts WHERE log = $1 AND id > $2 ORDER BY id LIMIT $3",
                self.name,
                self._applied,
                FOLLOW_PAGE,
            )
            self._replay(rows)
            if len(rows) < FOLLOW_PAGE:
                return

    def _replay(self, rows: list[asyncpg.Record]) -> None:
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
            log.warning("reading the %s log again: %s", self.name, exc)

    def _announced(self) -> None:
        """After a start or after being taken for gone: this node's users are online
        (acts queued beside the caller, which may be the act runner itself)."""
        if not self._announce or self._closed:
            return
        self._announce = False
        for user in list(self._local_users()):
            self.submit("online", [user, self.node], None).add_done_callback(_log_failure)

    # ------------------------------------------------------------------ following

    def _hint(self, key: str) -> None:
        """A notice: some node logged an act (or notices were lost: look anyway)."""
        self._wanted = True
        if self._closed:
            return
        if self._follower is None or self._follower.done():
            self._follower = asyncio.create_task(self._follow_hints(), name=f"{self.name}-log")

    async def _follow_hints(self) -> None:
        while self._wanted:
            self._wanted = False
            try:
                await self.catch_up()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("following the %s log: %s", self.name, exc)
        self._announced()

    async def catch_up(self) -> None:
        """Apply every act committed so far (before a read that must see them all)."""
        async with self._lock, self._pool.acquire() as conn:
            self._live.hold()
            try:
                await self._follow(conn)
            finally:
                self._live.release(True)  # committed acts only

    # ------------------------------------------------------------------ every sweep

    async def tick(self) -> None:
        """Say this node is alive; take silent nodes for gone; log the acts time calls
        for (by the first node to see them); keep a snapshot now and then; then what
        time does here only."""
        live = self._live
        queued = [done for *_, done in self._queue]
        if queued:  # acts asked for before this tick are decided before it
            await asyncio.wait(queued)
        async with self._lock, self._transaction() as conn:
            carried = await self._beat(conn)
            for name, args in live.due(max(live.clock(), self._last_at)):
                carried.append(await self._log(conn, name, args, None))
            if self._applied - self._snapshot_op >= self.snapshot_acts:
                await self._keep_snapshot(conn)
        for result in carried:  # decided by this node, for all of them
            live.carry(result)
        self._announced()
        live.lift()

    async def _beat(self, conn: asyncpg.Connection) -> list[Any]:
        now = int(await conn.fetchval(_NOW_MS))
        status = await conn.execute(
            "UPDATE log_nodes SET seen_at = $3, applied = $4 WHERE log = $1 AND node = $2",
            self.name,
            self.node,
            now,
            self._applied,
        )
        if not affected(status):  # taken for gone: back among the live nodes
            await conn.execute(
                "INSERT INTO log_nodes(log, node, seen_at, applied) VALUES ($1, $2, $3, $4)",
                self.name,
                self.node,
                now,
                self._applied,
            )
            self._announce = True
        await conn.execute(
            "DELETE FROM log_nodes WHERE log = $1 AND seen_at < $2",
            self.name,
            now - self._silent_ms,
        )
        rows = await conn.fetch("SELECT node FROM log_nodes WHERE log = $1", self.name)
        alive = {str(r["node"]) for r in rows}
        return [
            await self._log(conn, "node_gone", [node], None)
            for node in sorted(self._live.nodes() - alive - {self.node})
        ]

    async def _keep_snapshot(self, conn: asyncpg.Connection) -> None:
        body = json.dumps(self._live.snapshot(self._last_at), separators=(",", ":"))
        await conn.execute(
            "INSERT INTO log_snapshots(log, op, at, body) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (log) DO UPDATE SET op = excluded.op, at = excluded.at,"
            " body = excluded.body",
            self.name,
            self._applied,
            self._last_at,
            body,
        )
        self._snapshot_op = self._applied
        await conn.execute(
            "DELETE FROM log_acts WHERE log = $1 AND id <= LEAST($2,"
            " (SELECT COALESCE(MIN(applied), 0) FROM log_nodes WHERE log = $1))",
            self.name,
            self._applied,
        )


def _settle(outcomes: list[_Outcome]) -> None:
    """Hand each act's caller its result or its error (unless it stopped waiting)."""
    for done, result, error in outcomes:
        if done.done():
            continue
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)


def _log_failure(done: asyncio.Future[Any]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.warning("saying who is on this node: %s", done.exception())
