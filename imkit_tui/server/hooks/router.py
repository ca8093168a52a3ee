"""The router process as the server sees it: routed messages leave from a process of
their own (router_main.py), so the chat's process pays only for writing their rows, in
the messages' own transactions (routed_batch.py, pg_routed_batch.py), never for the
requests. The process reads the rows itself once they are committed: the server only
wakes it, a byte a millisecond after rows were committed (one for all the rows of that
millisecond), and deletes the rows it reports done, with one statement at most every
DELETE_SECONDS. On SQLite the server runs it; on PostgreSQL the node that sends the
queue does (cluster.py), woken by the rows of every node.

Should the process end on its own, it is started again, and reads every row still kept
(at least once, in order per conversation, as ever). Stopping the server ends its input;
what is not delivered stays in the store for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import sys
from collections import deque
from typing import Any, Protocol

from imkit_tui.server.hooks.rows import logged
from imkit_tui.server.hooks.sender import stopped
from imkit_tui.server.hooks.settings import HooksConfig
from imkit_tui.storage.writer import Done, WriterClosed

log = logging.getLogger(__name__)

RESTART_SECONDS = (0.2, 10.0)
"""The wait before the router is started again after it ended on its own: doubled
from the first to the second while it keeps ending within a minute."""

POKE_SECONDS = 0.001
"""How long the wake-up of the router waits, so the pushes and acks ready on the loop
go first (and more rows share it under load)."""

DELETE_SECONDS = 0.1
"""Rows reported done are deleted this often at most: each deletion is a commit of its
own on the chat's loop when it is quiet, and a message arriving then waits for it."""

STOP_SECONDS = 5.0
"""How long a stopping router has to end before it is killed."""


class RoutedRows(Protocol):
    """Where the routing rows the router is done with are deleted (rows.py, pg_rows.py)."""

    def delete_routed(self, after: int, through: int, done: Done) -> None:
        """Delete the routing rows above `after` up to `through`; `done` hears of it
        after the commit (WriterClosed: the store closes)."""
        ...

    async def settle_routed(self, after: int, through: int) -> None:
        """Delete those rows (when `through` is past `after`) and wait until every
        write queued before is committed."""
        ...


class Router:
    """Runs the router process on the store at `store` (a SQLite file's path, or a
    postgresql:// URL), deleting from `rows` what it is done with, for `config`,
    signing with `app_key` and `secret`."""

    def __init__(
        self, store: str, rows: RoutedRows, config: HooksConfig, app_key: str, secret: str
    ) -> None:
        self._setup = {
            "store": store,
            "config": dataclasses.asdict(config),
            "app_key": app_key,
            "secret": secret,
        }
        self._rows = rows
        self._process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._poke_due = False
        self._unread: deque[tuple[int, int]] = deque()  # rows committed, not read yet
        self._unread_entries = 0
        self._held = 0
        self._deleted = 0  # rows at or below this id are deleted (or being)
        self._deleting = False
        self._delete_timer: asyncio.TimerHandle | None = None
        self._watermark = 0
        self.delivered = 0
        """Entries delivered, as the running process counts them."""
        self.failures = 0
        """Failed attempts, as the running process counts them."""
        self.dropped = 0
        """Entries dropped because the queue was full, as the running process counts them."""
        self.starts = 0
        """How many times the process was started."""
        self.reports = 0
        """Reports heard (the first says the process is up and has read the store)."""

    @property
    def waiting(self) -> int:
        """Entries not delivered yet: those the process holds, and those not read yet."""
        return self._held + self._unread_entries

    @property
    def pid(self) -> int | None:
        """The running process's id (None when none runs)."""
        return self._process.pid if self._process is not None else None

    async def start(self) -> None:
        """Start the process (it reads what the store keeps)."""
        await self._spawn()
        self._task = asyncio.create_task(self._run(), name="hooks-router")

    async def stop(self) -> None:
        """End the process; delete the rows it reported done."""
        self._stopping = True
        process = self._process
        if process is not None and process.stdin is not None:
            process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), STOP_SECONDS)
            except TimeoutError:
                log.warning("the router did not stop in %.0f s: killed", STOP_SECONDS)
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
        if self._task is not None:
            # Its last report first (what it delivered last), then the end of its output.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._task), STOP_SECONDS)
            await stopped([self._task])
        if self._delete_timer is not None:
            self._delete_timer.cancel()
            self._delete_timer = None
        with contextlib.suppress(WriterClosed):
            await self._rows.settle_routed(self._deleted, self._watermark)
            self._deleted = max(self._deleted, self._watermark)

    def written(self, rows: list[tuple[int, int]]) -> None:
        """Routing rows were committed, as (row id, entries): wake the process."""
        for row in rows:
            self._unread.append(row)
            self._unread_entries += row[1]
        self.poke()

    def poke(self) -> None:
        """Rows may have been committed (by another node too): wake the process soon."""
        if not self._poke_due:
            self._poke_due = True
            asyncio.get_running_loop().call_later(POKE_SECONDS, self._poke)

    def _poke(self) -> None:
        self._poke_due = False
        process = self._process
        if process is None or process.stdin is None or process.stdin.is_closing():
            return
        transport = process.stdin.transport
        if transport.get_write_buffer_size() < 64:  # not reading: it reads all it finds
            process.stdin.write(b".")

    async def _spawn(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "imkit_tui.server.hooks.router_main",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        self.starts += 1
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(self._setup).encode() + b"\n")
        self._held = 0

    async def _run(self) -> None:
        """Read the process's reports; start it again should it end on its own."""
        delay = RESTART_SECONDS[0]
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            code = await self._follow(self._process) if self._process is not None else None
            if self._stopping:
                return
            delay = RESTART_SECONDS[0] if loop.time() - started > 60 else delay
            log.warning("the router ended (%s); started again in %.1f s", code, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RESTART_SECONDS[1])
            if self._stopping:
                return
            try:
                await self._spawn()
            except OSError:
                log.exception("the router could not be started")
                self._process = None

    async def _follow(self, process: asyncio.subprocess.Process) -> int:
        """Take the reports of `process` until it ends; its exit code."""
        assert process.stdout is not None
        while line := await process.stdout.readline():
            self._report(line)
        return await process.wait()

    def _report(self, line: bytes) -> None:
        try:
            cursor, watermark, held, delivered, failures, dropped = map(int, line.split())
        except ValueError:
            log.warning("the router said something else: %r", line[:80])
            return
        self.reports += 1
        while self._unread and self._unread[0][0] <= cursor:
            self._unread_entries -= self._unread.popleft()[1]
        self._held = held
        self.delivered, self.failures, self.dropped = delivered, failures, dropped
        self._watermark = max(self._watermark, watermark)
        self._delete_soon()

    def _delete_soon(self) -> None:
        """Delete what is reported done within DELETE_SECONDS (one job at a time)."""
        if self._delete_timer is None and not self._deleting and self._watermark > self._deleted:
            loop = asyncio.get_running_loop()
            self._delete_timer = loop.call_later(DELETE_SECONDS, self._delete_done)

    def _delete_done(self) -> None:
        """Delete the rows at or below the watermark."""
        self._delete_timer = None
        if self._deleting or self._watermark <= self._deleted:
            return
        self._deleting = True
        after, self._deleted = self._deleted, self._watermark

        def done(result: Any, error: BaseException | None) -> None:
            self._deleting = False
            logged(result, error)
            self._delete_soon()

        try:
            self._rows.delete_routed(after, self._watermark, done)
        except WriterClosed:  # the store closes: the next start sends them again
            self._deleting = False
            self._deleted = after
