"""The single writer task: every write of a store goes through it, in batches.

Jobs are plain functions of a sqlite3 connection. Whatever is queued when the writer
wakes up runs in one transaction and is committed once (group commit). A job's result
is handed back only after the commit, so "acknowledged" always means "on disk" (in the
WAL; a checkpoint, run elsewhere, copies it into the database file).

With `group_turn`, every job waits for the writer task, which wakes at the end of the
event loop's turn: the jobs submitted in one turn (a server's sends from many
connections) share one transaction. When nothing else is queued and nothing else is due
to run before the writer would wake (the loop's ready queue is empty: a single sender
on an idle server), the job is committed at once instead, in the same batch it would
have had, without the turn. A job submitted with `submit_then` hears back through a
plain callback, called right after the commit, not a future (whose callbacks run a
turn later). With `wal_limit_bytes`, the WAL is kept to about that
size under a sustained write, where a checkpoint that runs beside the writes never
catches up and the WAL would otherwise grow without end: a checkpoint runs in the
background each time the WAL has grown by an eighth of the limit (instead of every
`checkpoint_every` commits). Past the limit, checkpoints run back to back beside the
writes until few frames are left to copy (`CONVERGED_FRAMES`, read from the WAL index:
`WalIndex`); then the next batch waits while a checkpoint copies those last frames back
(milliseconds), so the write after it starts the WAL again from its beginning. At a quarter
again past the limit, the writer waits whatever is left. `journal_size_limit` is
the limit: the file is cut back to it when it started over larger, and otherwise keeps
its size, so the writes that start it again overwrite it in place instead of growing
a file cut short (measured: a fifth less of the store's CPU per message).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol, TypeVar

from imkit_tui.storage.database import Database

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], T]
#: Hears a job's outcome right after its commit: (result, None) or (None, error).
Done = Callable[[Any, BaseException | None], None]

log = logging.getLogger(__name__)

#: Past its limit, the WAL is checkpointed with the writes paused once no more than this
#: many frames are left to copy (a few milliseconds of work, where a whole eighth of the
#: limit took tens to hundreds).
CONVERGED_FRAMES = 256


class TransactionWatcher(Protocol):
    """Told of each transaction the writer commits (BatchWriter.watch): what is written
    once per transaction instead of once per job (the rows that route a batch's
    messages to the app's backend), and what is known only after the commit."""

    def before_commit(self, conn: sqlite3.Connection) -> None:
        """The jobs of the transaction open on `conn` ran; it commits next. What this
        writes commits with them; raising rolls the transaction back."""
        ...

    def committed(self) -> None:
        """The transaction committed."""
        ...

    def rolled_back(self) -> None:
        """The transaction was rolled back (its jobs run again, alone)."""
        ...


class WriterClosed(RuntimeError):
    """The writer was closed before the job could run."""


class _Failed:
    """The outcome of a job that raised."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class BatchWriter:
    """Runs write jobs on one database and commits them in batches.

    If a batch fails it is rolled back, `on_rollback(conn)` runs (owners drop caches that
    the rolled-back jobs had updated) and every job of the batch runs again in a
    transaction of its own, so one bad job fails alone.

    `checkpoint` (given) runs in the background every `checkpoint_every` commits; with
    `wal_limit_bytes`, by the WAL's growth instead, and past the limit as the module's
    docstring says. `group_turn`: see the module's docstring.
    """

    def __init__(
        self,
        database: Database,
        *,
        max_batch: int = 512,
        on_rollback: Callable[[sqlite3.Connection], None] | None = None,
        checkpoint: Callable[[], Awaitable[None]] | None = None,
        checkpoint_every: int = 200,
        group_turn: bool = False,
        wal_limit_bytes: int | None = None,
    ) -> None:
        self._database = database
        self._max_batch = max_batch
        self._on_rollback = on_rollback
        self._checkpoint = checkpoint
        self._checkpoint_every = checkpoint_every
        self._batches = 0
        self._checkpointing: asyncio.Task[None] | None = None
        self._queue: asyncio.Queue[tuple[Job[Any], asyncio.Future[Any] | Done] | None] = (
            asyncio.Queue()
        )
        self._waiting = False  # the writer task waits for the queue (not for a checkpoint)
        self._alone_this_turn = False  # a job was committed at once in this turn
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._group_turn = group_turn
        self._wal_limit = wal_limit_bytes
        self._wal_path = f"{database.path}-wal"
        self._checkpointed_at = 0  # the WAL's size when the last checkpoint started
        self._wal_index = WalIndex(f"{database.path}-shm")
        self._watchers: list[TransactionWatcher] = []
        self._frame_bytes = 4096 + 24
        self.wal_resets = 0
        """How many times the WAL passed its limit and was checkpointed in full."""
        if wal_limit_bytes is not None and database.inline:
            page = database.run_now(lambda conn: conn.execute("PRAGMA page_size").fetchone())
            self._frame_bytes = int(page[0]) + 24
            database.run_now(
                lambda conn: conn.execute(f"PRAGMA journal_size_limit={int(wal_limit_bytes)}")
            )

    def watch(self, watcher: TransactionWatcher) -> None:
        """Tell `watcher` of every transaction from now on."""
        self._watchers.append(watcher)

    def start(self) -> None:
        """Start the writer task on the running loop."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="store-writer")

    async def submit(self, job: Job[T]) -> T:
        """Run `job` and return its result once its transaction is committed.

        On an inline database with nothing queued, the job runs at once in a transaction
        of its own: there is nothing to batch it with, and waiting for the writer task
        would only add a turn of the event loop to every write.
        """
        if (
            self._database.inline
            and not self._group_turn
            and self._queue.empty()
            and not self._closed
        ):
            (outcome,) = self._database.run_now(partial(self._run_batch, jobs=[job]))
            self._count_batch()
            if isinstance(outcome, _Failed):
                raise outcome.error
            result: T = outcome
            return result
        queued: T = await self.submit_nowait(job)
        return queued

    def submit_nowait(self, job: Job[T]) -> asyncio.Future[T]:
        """Queue `job` and return at once; the future resolves after the commit."""
        if self._closed:
            raise WriterClosed("the store is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        if not self._commit_now(job, future):
            self._queue.put_nowait((job, future))
        return future

    def submit_then(self, job: Job[Any], done: Done) -> None:
        """Queue `job`; `done(result, error)` is called right after its commit (perhaps
        before this returns, when the job could be committed at once)."""
        if self._closed:
            raise WriterClosed("the store is closed")
        if not self._commit_now(job, done):
            self._queue.put_nowait((job, done))

    def _commit_now(self, job: Job[Any], sink: asyncio.Future[Any] | Done) -> bool:
        """With `group_turn`: commit `job` here and now when the writer would otherwise
        wake for it alone. That is when nothing is queued, the writer task waits for the
        queue (not for a checkpoint), and nothing else is due to run on the loop before
        the writer would: nothing could join its batch. The loop's ready queue is
        asyncio's own (`_ready`); on a loop without one the job is queued as usual."""
        if not (self._group_turn and self._waiting and self._database.inline):
            return False
        loop = asyncio.get_running_loop()
        if self._queue.qsize() or self._alone_this_turn or getattr(loop, "_ready", True):
            return False
        # Whatever else this same step submits waits for the writer, in one batch.
        self._alone_this_turn = True
        loop.call_soon(self._turn_ended)
        (outcome,) = self._database.run_now(partial(self._run_batch, jobs=[job]))
        self._count_batch()
        _resolve(sink, outcome)
        if self._wal_limit is not None:
            self._bound_wal_now(self._wal_limit)
        return True

    async def flush(self) -> None:
        """Wait until everything queued so far is committed."""
        await self.submit(lambda conn: None)

    async def close(self) -> None:
        """Finish the queued jobs, then stop the task."""
        if self._closed:
            return
        self._closed = True
        self._queue.put_nowait(None)
        if self._task is not None:
            await self._task
        if self._checkpointing is not None:
            await self._checkpointing
        self._wal_index.close()

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            self._waiting = True
            try:
                item = await self._queue.get()
            finally:
                self._waiting = False
            batch: list[tuple[Job[Any], asyncio.Future[Any] | Done]] = []
            if item is None:
                stopping = True
            else:
                batch.append(item)
            while len(batch) < self._max_batch and not self._queue.empty():
                more = self._queue.get_nowait()
                if more is None:
                    stopping = True
                    break
                batch.append(more)
            if not batch:
                continue
            jobs = [job for job, _ in batch]
            try:
                outcomes = await self._database.run(partial(self._run_batch, jobs=jobs))
            except Exception as exc:  # the database itself failed (closed, disk gone)
                outcomes = [_Failed(exc)] * len(batch)
            for (_, sink), outcome in zip(batch, outcomes, strict=True):
                _resolve(sink, outcome)
            self._count_batch()
            if self._wal_limit is not None:
                await self._bound_wal(self._wal_limit)
        if self._checkpoint is not None:
            await self._run_checkpoint(self._checkpoint)

    def _count_batch(self) -> None:
        """Count a commit; every `checkpoint_every` commits, checkpoint in the background."""
        self._batches += 1
        if (
            self._checkpoint is None
            or self._wal_limit is not None
            or self._batches % self._checkpoint_every
        ):
            return
        if self._checkpointing is None or self._checkpointing.done():
            self._checkpointing = asyncio.create_task(self._run_checkpoint(self._checkpoint))

    def _turn_ended(self) -> None:
        """A new turn of the loop: a job may be committed at once again."""
        self._alone_this_turn = False

    def _bound_wal_now(self, limit: int) -> None:
        """After a commit made at once: start a background checkpoint when one is due;
        past `limit`, wake the writer task with an empty job, so it waits for the
        checkpoint (`_bound_wal`) before the next batch."""
        size = self._wal_size()
        if size is None:
            return
        if size > limit:
            self._queue.put_nowait((_nothing, _ignore))
        else:
            self._maybe_checkpoint(size, limit)

    def _converged(self) -> bool:
        """Whether the frames no checkpoint has copied yet are few: a checkpoint now is
        short (True when the WAL index cannot tell: checkpoint at once, in full)."""
        if self._checkpointing is not None and not self._checkpointing.done():
            return False
        frames = self._wal_index.frames()
        return frames is None or frames[0] - frames[1] <= CONVERGED_FRAMES

    def _wal_size(self) -> int | None:
        """The bytes of WAL in use (its frames, from the WAL index; else the file's
        size); None when there is no WAL or nothing checkpoints it."""
        if self._checkpoint is None:
            return None
        frames = self._wal_index.frames()
        if frames is not None:
            return frames[0] * self._frame_bytes
        try:
            return os.stat(self._wal_path).st_size
        except OSError:
            return None

    def _maybe_checkpoint(self, size: int, limit: int) -> None:
        """With the WAL at `size` (within `limit`): checkpoint in the background if it
        grew by an eighth of the limit since the last one started, and none runs."""
        if self._checkpoint is None:
            return
        if size < self._checkpointed_at:  # the WAL started over
            self._checkpointed_at = 0
        running = self._checkpointing is not None and not self._checkpointing.done()
        if size - self._checkpointed_at >= limit // 8 and not running:
            self._checkpointed_at = size
            self._checkpointing = asyncio.create_task(self._run_checkpoint(self._checkpoint))

    async def _bound_wal(self, limit: int) -> None:
        """After a commit: each time the WAL has grown by an eighth of `limit`,
        checkpoint in the background; past `limit`, wait (no write in between) for a
        checkpoint of the last frames, so the next write transaction starts the WAL from
        its beginning (the module's docstring tells how)."""
        size = self._wal_size()
        if size is None or self._checkpoint is None:
            return
        if size <= limit:
            self._maybe_checkpoint(size, limit)
            return
        running = self._checkpointing is not None and not self._checkpointing.done()
        if size <= limit + limit // 4 and not self._converged():
            # Checkpoints back to back, the writes going on beside them, until one
            # leaves little to copy: then the pause below is short.
            if not running:
                self._checkpointed_at = size
                self._checkpointing = asyncio.create_task(self._run_checkpoint(self._checkpoint))
            return
        if self._checkpointing is not None and running:
            await asyncio.wait([self._checkpointing])
        self.wal_resets += 1
        self._checkpointed_at = 0
        await self._run_checkpoint(self._checkpoint)

    async def _run_checkpoint(self, checkpoint: Callable[[], Awaitable[None]]) -> None:
        try:
            await checkpoint()
        except Exception:
            log.warning("WAL checkpoint failed; the next one will retry", exc_info=True)

    def _run_batch(self, conn: sqlite3.Connection, *, jobs: list[Job[Any]]) -> list[Any]:
        """On the database thread: all jobs in one transaction, or each alone on failure."""
        try:
            conn.execute("BEGIN IMMEDIATE")
            results = [job(conn) for job in jobs]
            self._commit(conn)
            return results
        except Exception:
            self._rollback(conn)
        return [self._run_alone(conn, job) for job in jobs]

    def _run_alone(self, conn: sqlite3.Connection, job: Job[Any]) -> Any:
        try:
            conn.execute("BEGIN IMMEDIATE")
            result = job(conn)
            self._commit(conn)
            return result
        except Exception as exc:
            log.debug("store job failed", exc_info=True)
            self._rollback(conn)
            return _Failed(exc)

    def _commit(self, conn: sqlite3.Connection) -> None:
        for watcher in self._watchers:
            watcher.before_commit(conn)
        conn.execute("COMMIT")
        for watcher in self._watchers:
            try:
                watcher.committed()
            except Exception:  # the commit stands: never run its jobs again
                log.exception("a watcher failed after a commit")

    def _rollback(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if self._on_rollback is not None:
            self._on_rollback(conn)
        for watcher in self._watchers:
            watcher.rolled_back()


def _resolve(sink: asyncio.Future[Any] | Done, outcome: Any) -> None:
    """Hand a job's outcome to whoever waits for it."""
    failed = isinstance(outcome, _Failed)
    if isinstance(sink, asyncio.Future):
        if sink.done():
            return
        if failed:
            sink.set_exception(outcome.error)
        else:
            sink.set_result(outcome)
        return
    try:
        sink(None, outcome.error) if failed else sink(outcome, None)
    except Exception:  # one caller's failure never stops the writer
        log.exception("a store job's callback failed")


def _nothing(conn: sqlite3.Connection) -> None:
    """An empty job."""


def _ignore(result: Any, error: BaseException | None) -> None:
    """Hears nothing."""


class WalIndex:
    """Reads how far the WAL goes and how much of it a checkpoint has copied back, from
    the WAL index (the `-shm` file; https://www.sqlite.org/walformat.html): `mxFrame`
    at byte 16 of its header, `nBackfill` at byte 96, both in the machine's byte order.
    Two reads of a few bytes: cheaper than asking SQLite, and exact where the WAL file's
    size is not (the file keeps its size when the WAL starts over)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._fd: int | None = None

    def frames(self) -> tuple[int, int] | None:
        """(frames in the WAL, frames checkpointed back); None when unreadable."""
        try:
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDONLY)
            head = os.pread(self._fd, 4, 16)
            backfilled = os.pread(self._fd, 4, 96)
        except OSError:
            self.close()
            return None
        if len(head) < 4 or len(backfilled) < 4:
            return None
        return int.from_bytes(head, sys.byteorder), int.from_bytes(backfilled, sys.byteorder)

    def close(self) -> None:
        """Let go of the file."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
