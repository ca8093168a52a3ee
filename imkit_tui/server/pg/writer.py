"""The PostgreSQL store's writer: every write of a node goes through it, in batches.

As the SQLite BatchWriter (storage/writer.py): whatever is queued when the writer wakes
runs in one transaction, and each caller hears back after the commit; when a job fails,
the batch is rolled back and each of its jobs runs again alone, so one bad job fails
alone. The batch starts by locking the store's
change counter (`counters`), so batches of every node run one after another, in the
order they took it: change ids then grow in commit order across nodes (a device's sync
cursor never jumps over a change committed later), and the jobs of one node keep their
call order (a sender's messages get their seqs in the order they were sent).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import asyncpg

from imkit_tui.server.store_records import ChangeIds

T = TypeVar("T")
PgJob = Callable[[asyncpg.Connection], Awaitable[T]]
"""A write: an async function of the batch's connection (inside its transaction)."""
Done = Callable[[Any, BaseException | None], None]
"""Hears a job's outcome right after its commit: (result, None) or (None, error)."""

log = logging.getLogger(__name__)


class PgTransactionWatcher(Protocol):
    """Told of each transaction the writer commits (PgWriter.watch), as the SQLite
    writer's TransactionWatcher is: what is written once per transaction instead of
    once per job (the row that routes a batch's messages to the app's backend)."""

    async def before_commit(self, conn: asyncpg.Connection) -> None:
        """The jobs of the transaction open on `conn` ran; it commits next. What this
        writes commits with them; raising rolls the transaction back."""
        ...

    def committed(self) -> None:
        """The transaction committed."""
        ...

    def rolled_back(self) -> None:
        """The transaction was rolled back (its jobs run again, alone)."""
        ...


class WatcherFailed(Exception):
    """What a watcher raises when its own write failed the transaction (a failed
    statement fails the whole of it on PostgreSQL): the jobs are run again, once, the
    watcher taking care not to fail them the second time."""


def affected(status: str) -> int:
    """The rows an INSERT, UPDATE or DELETE touched, from asyncpg's status ("UPDATE 3")."""
    return int(status.rsplit(" ", 1)[-1])


class _Failed:
    """The outcome of a job that raised."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class PgWriter:
    """Runs write jobs on the pool's connections in batches, one batch at a time."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        changes: ChangeIds,
        after_commit: Callable[[asyncpg.Connection], Awaitable[None]],
    ) -> None:
        self._pool = pool
        self._changes = changes
        self._after_commit = after_commit
        self._queue: list[tuple[PgJob[Any], asyncio.Future[Any] | Done]] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._watchers: list[PgTransactionWatcher] = []

    def watch(self, watcher: PgTransactionWatcher) -> None:
        """Tell `watcher` of every transaction from now on."""
        self._watchers.append(watcher)

    def start(self) -> None:
        """Start the writer task."""
        self._task = asyncio.create_task(self._run(), name="pg-writer")

    async def submit(self, job: PgJob[T]) -> T:
        """Queue `job`; its result once committed."""
        result: T = await self.submit_nowait(job)
        return result

    def submit_nowait(self, job: PgJob[T]) -> asyncio.Future[T]:
        """Queue `job` now (call order is commit order); a future of its result."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._enqueue(job, future)
        return future

    @property
    def closing(self) -> bool:
        """Whether the writer was closed (it takes no more jobs)."""
        return self._closing

    def submit_then(self, job: PgJob[Any], done: Done) -> None:
        """Queue `job`; `done(result, error)` is called right after its commit."""
        self._enqueue(job, done)

    def _enqueue(self, job: PgJob[Any], sink: asyncio.Future[Any] | Done) -> None:
        if self._closing:
            raise RuntimeError("the store is closed")
        self._queue.append((job, sink))
        self._wake.set()

    async def close(self) -> None:
        """Commit what is queued, then stop."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._queue:
                batch, self._queue = self._queue, []
                await self._run_batch(batch)
                self._wake.set()
            elif self._closing:
                return

    async def _run_batch(self, batch: list[tuple[PgJob[Any], asyncio.Future[Any] | Done]]) -> None:
        jobs = [job for job, _ in batch]
        try:
            try:
                outcomes = await self._commit(jobs)
            except WatcherFailed as exc:
                log.info("a transaction is run again: %s", exc.__cause__ or exc)
                outcomes = await self._commit(jobs)  # the watcher takes care now
        except Exception as exc:
            # A job failed (or the connection did): each runs again alone, so one bad
            # job fails alone, as on SQLite (storage/writer.py).
            if len(jobs) == 1:
                log.debug("a write failed: %s", exc)
                outcomes = [_Failed(exc)]
            else:
                outcomes = [await self._alone(job) for job in jobs]
        for (_, sink), outcome in zip(batch, outcomes, strict=True):
            _resolve(sink, outcome)

    async def _alone(self, job: PgJob[Any]) -> Any:
        try:
            return (await self._commit([job]))[0]
        except Exception as exc:
            return _Failed(exc)

    async def _commit(self, jobs: list[PgJob[Any]]) -> list[Any]:
        """Run `jobs` in one transaction after taking the change counter; their results
        once committed."""
        async with self._pool.acquire() as conn:
            try:
                async with conn.transaction():
                    taken = await conn.fetchval(
                        "SELECT value FROM counters WHERE name = 'change' FOR UPDATE"
                    )
                    self._changes.last = int(taken)
                    results = [await job(conn) for job in jobs]
                    if self._changes.last != taken:
                        await conn.execute(
                            "UPDATE counters SET value = $1 WHERE name = 'change'",
                            self._changes.last,
                        )
                    for watcher in self._watchers:
                        await watcher.before_commit(conn)
            except BaseException:
                for watcher in self._watchers:
                    watcher.rolled_back()
                raise
            for watcher in self._watchers:
                try:
                    watcher.committed()
                except Exception:  # the commit stands: never run its jobs again
                    log.exception("a watcher failed after a commit")
            try:
                await self._after_commit(conn)
            except Exception as exc:  # committed all the same: never run the jobs again
                log.warning("after a commit: %s", exc)
        return results


def _resolve(sink: asyncio.Future[Any] | Done, outcome: Any) -> None:
    error = outcome.error if isinstance(outcome, _Failed) else None
    if isinstance(sink, asyncio.Future):
        if sink.done():
            return
        if error is not None:
            sink.set_exception(error)
        else:
            sink.set_result(outcome)
        return
    try:
        if error is not None:
            sink(None, error)
        else:
            sink(outcome, None)
    except Exception:
        log.exception("a write's callback failed")
