"""The single writer task: every write of a store goes through it, in batches.

Jobs run one after another on one connection. Whatever is queued when the writer wakes
up is run in one transaction and committed once (group commit), so a burst of writes
costs one commit, not one per write. A job's result is handed back only after the
commit, so "acknowledged" always means "on disk".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiosqlite

T = TypeVar("T")
Job = Callable[[aiosqlite.Connection], Awaitable[T]]

log = logging.getLogger(__name__)


class WriterClosed(RuntimeError):
    """The writer was closed before the job could run."""


class BatchWriter:
    """Runs write jobs on one connection and commits them in batches.

    If a batch fails, it is rolled back, `on_rollback` is awaited (owners drop caches
    that the rolled-back jobs had updated) and every job of the batch is run again in a
    transaction of its own, so one bad job fails alone.
    """

    def __init__(
        self,
        conn: aiosqlite.Connection,
        *,
        max_batch: int = 512,
        on_rollback: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._conn = conn
        self._max_batch = max_batch
        self._on_rollback = on_rollback
        self._queue: asyncio.Queue[tuple[Job[Any], asyncio.Future[Any]] | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def start(self) -> None:
        """Start the writer task on the running loop."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="store-writer")

    async def submit(self, job: Job[T]) -> T:
        """Queue `job` and wait until it has run and its transaction is committed."""
        result: T = await self.submit_nowait(job)
        return result

    def submit_nowait(self, job: Job[T]) -> asyncio.Future[T]:
        """Queue `job` and return at once; the future resolves after the commit."""
        if self._closed:
            raise WriterClosed("the store is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((job, future))
        return future

    async def flush(self) -> None:
        """Wait until everything queued so far is committed."""

        async def _noop(_: aiosqlite.Connection) -> None:
            return None

        await self.submit(_noop)

    async def close(self) -> None:
        """Finish the queued jobs, then stop the task."""
        if self._closed:
            return
        self._closed = True
        self._queue.put_nowait(None)
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            item = await self._queue.get()
            batch: list[tuple[Job[Any], asyncio.Future[Any]]] = []
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
            if batch:
                await self._run_batch(batch)

    async def _run_batch(self, batch: list[tuple[Job[Any], asyncio.Future[Any]]]) -> None:
        results: list[Any] = []
        try:
            await self._conn.execute("BEGIN IMMEDIATE")
            for job, _ in batch:
                results.append(await job(self._conn))
            await self._conn.execute("COMMIT")
        except Exception:
            await self._rollback()
            if len(batch) == 1:
                await self._run_alone(batch[0])
            else:
                for entry in batch:
                    await self._run_alone(entry)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

    async def _run_alone(self, entry: tuple[Job[Any], asyncio.Future[Any]]) -> None:
        job, future = entry
        try:
            await self._conn.execute("BEGIN IMMEDIATE")
            result = await job(self._conn)
            await self._conn.execute("COMMIT")
        except Exception as exc:
            await self._rollback()
            log.debug("store job failed", exc_info=True)
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(result)

    async def _rollback(self) -> None:
        with contextlib.suppress(Exception):
            await self._conn.execute("ROLLBACK")
        if self._on_rollback is not None:
            await self._on_rollback()
