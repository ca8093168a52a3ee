"""The outgoing sender: takes entries from the plan (plan.py), sends each with the
deliverer of its kind, and keeps the queue on disk (rows.py). Taking an entry never
waits: the send path only adds it and wakes the loop. Where entries come from is the
queue's (queues.py: one node on SQLite, the nodes of a PostgreSQL store)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from json import dumps, loads
from secrets import token_hex
from typing import Any, Protocol

import msgspec

from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.api.signing import sign
from imkit_tui.server.hooks.forms import form_quote
from imkit_tui.server.hooks.http1 import Answer, HttpClient, HttpFailure
from imkit_tui.server.hooks.plan import Entry, Plan

log = logging.getLogger(__name__)

FORM = "application/x-www-form-urlencoded"

Deliverer = Callable[[Entry], Awaitable[bool]]
"""Sends one entry; True when the backend took it (False, or an exception: retry)."""


def signed_query(app_key: str, secret: str, at_ms: int, nonce: str | None = None) -> dict[str, str]:
    """The query parameters the service signs its callbacks with: `appKey`, `nonce`,
    `timestamp` (ms) and `signature`, the hex SHA1 of secret + nonce + timestamp."""
    nonce = nonce or token_hex(9)
    timestamp = str(at_ms)
    return {
        "appKey": app_key,
        "nonce": nonce,
        "timestamp": timestamp,
        "signature": sign(secret, nonce, timestamp),
    }


CHAT_FIRST_SECONDS = 0.02
"""How long requests that are due wait at most for the rest of the loop's work."""


async def _chat_first() -> None:
    """Let what else is ready on the loop (the chat's reads, pushes and acks) run before
    more requests start: a request costs the loop more than a message does, and the
    backend can wait a few milliseconds where a person should not. Waits for a turn
    with nothing else ready, at most CHAT_FIRST_SECONDS (asyncio's ready queue,
    `_ready`, tells; on a loop without one, one turn)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CHAT_FIRST_SECONDS
    await asyncio.sleep(0)
    while getattr(loop, "_ready", None) and loop.time() < deadline:  # noqa: ASYNC110 - yields turns, waits for no event
        await asyncio.sleep(0)


async def woken_or_after(wake: asyncio.Event, seconds: float | None) -> None:
    """Wait until `wake` is set, or `seconds` pass (None: no limit). Not
    asyncio.wait_for: on Python 3.11 it swallows a cancellation that comes while the
    event is being set, and a loop that waits so never stops (`imkit serve` did not
    exit on SIGTERM)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await wake.wait()


async def stopped(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Cancel `tasks` and wait until every one has ended (cancelled again if it went on)."""
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _done, pending = await asyncio.wait(pending, timeout=0.5)


class Nonces:
    """Nonces as `secrets.token_hex(9)` makes them (18 hex digits of the system's random
    source), drawn `batch` at a time: one read of the random source, not one a request.
    A forked child draws its own (it never hands out what its parent had drawn)."""

    def __init__(self, batch: int = 256) -> None:
        self._batch = batch
        self._hex = ""
        self._at = 0
        self._forks = _forks

    def take(self) -> str:
        """A nonce never handed out before."""
        at = self._at
        if at >= len(self._hex) or self._forks != _forks:
            self._hex, at, self._forks = token_hex(9 * self._batch), 0, _forks
        self._at = at + 18
        return self._hex[at : at + 18]


_forks = 0
"""How many forks this process is down from the first (Nonces draw again after one)."""


def _forked() -> None:
    global _forks
    _forks += 1


if sys.platform != "win32":  # no fork there
    os.register_at_fork(after_in_child=_forked)


def answer_json(body: bytes) -> Any:
    """`body` decoded as `json.loads` decodes it (ValueError when it is not JSON):
    msgspec's strict decoder first, json's for what that one refuses (NaN, a BOM,
    UTF-16...)."""
    try:
        return _decode_json(body)
    except msgspec.DecodeError:
        return loads(body)


_decode_json = msgspec.json.Decoder().decode


def _json_bytes(value: Any) -> bytes:
    return dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


class HttpPoster:
    """Signed POSTs to the backend over kept-alive connections (http1.py), each within
    `timeout`."""

    def __init__(self, app_key: str, secret: str, timeout: float) -> None:
        self._signed_head = f"appKey={form_quote(app_key)}&nonce="
        self._nonces = Nonces()
        self._secret = secret
        self._timeout = timeout
        self._client: HttpClient | None = None

    async def start(self) -> None:
        """Get ready to send."""
        self._client = HttpClient(self._timeout)

    async def close(self) -> None:
        """Close the kept connections."""
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def post(self, url: str, *, form: str | None = None, json: Any = None) -> bool:
        """POST `form` (already urlencoded) or `json` to `url`, signed; True on a 2xx
        answer."""
        if form is not None:
            body, kind = form.encode(), FORM
        else:
            body, kind = _json_bytes(json), "application/json"
        answer = await self._post(url, body, kind)
        return answer is not None and 200 <= answer.status < 300

    async def ask(self, url: str, form: str, timeout: float | None = None) -> Any:
        """POST `form` (already urlencoded) to `url`, signed, and return the JSON answer
        (None when the request failed or took more than `timeout` seconds, when the
        answer is not 2xx or not JSON)."""
        answer = await self._post(url, form.encode(), FORM, timeout)
        if answer is None or not 200 <= answer.status < 300:
            return None
        try:
            return answer_json(answer.body)
        except ValueError as exc:
            log.info("POST %s: the answer is not JSON: %r", url, exc)
            return None

    async def _post(
        self, url: str, body: bytes, kind: str, timeout: float | None = None
    ) -> Answer | None:
        if self._client is None:
            raise RuntimeError("the poster is not started")
        try:
            return await self._client.post(url, body, kind, self._signature(), timeout)
        except (HttpFailure, ValueError) as exc:
            log.info("POST %s failed: %s", url, exc)
            return None

    def _signature(self) -> str:
        """The signing query parameters (:func:`signed_query`), fresh for each request:
        appKey is quoted once; the nonce (hex), timestamp and signature need nothing."""
        nonce = self._nonces.take()
        timestamp = str(now_ms())
        signature = sign(self._secret, nonce, timestamp)
        return f"{self._signed_head}{nonce}&timestamp={timestamp}&signature={signature}"


class SentRows(Protocol):
    """Where the entries a sender takes are kept until delivered (rows.py, pg_rows.py)."""

    async def load(self) -> list[Entry]:
        """Every waiting entry, oldest first."""
        ...

    def delete(self, ids: Sequence[int]) -> None:
        """Forget the entries `ids` (delivered, or dropped)."""
        ...


class Sender:
    """Sends the entries of `plan`, at most `concurrency` at once, with `deliverers`
    by kind; every entry is in `rows` until it is delivered (or dropped). With
    `give_way` (on the chat's own loop) requests wait for the chat's ready work first."""

    def __init__(
        self,
        plan: Plan,
        rows: SentRows,
        deliverers: Mapping[str, Deliverer],
        concurrency: int,
        *,
        give_way: bool = True,
    ) -> None:
        self._plan = plan
        self._rows = rows
        self._deliverers = dict(deliverers)
        self._concurrency = concurrency
        self._give_way = give_way
        self._next_id = 1
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()  # the workers
        self._handoff: asyncio.Queue[Entry] = asyncio.Queue()
        self._forgotten: list[int] = []
        self.delivered = 0
        """Entries delivered since the start."""
        self.failures = 0
        """Failed attempts since the start."""

    @property
    def waiting(self) -> int:
        """Entries not delivered yet."""
        return len(self._plan)

    @property
    def dropped(self) -> int:
        """Entries dropped because the queue was full."""
        return self._plan.dropped

    @property
    def next_id(self) -> int:
        """One past the largest id taken so far (1 when none)."""
        return self._next_id

    async def start(self) -> None:
        """Take up the entries kept on disk, then start sending."""
        kept = await self._rows.load()
        if kept:
            self._next_id = max(self._next_id, kept[-1].id + 1)
        dropped = self._plan.extend(kept)
        self._rows.delete([entry.id for entry in dropped])
        self._task = asyncio.create_task(self._run(), name="hooks-sender")
        self._sending = {
            asyncio.create_task(self._work(), name=f"hooks-sender-{i}")
            for i in range(self._concurrency)
        }

    async def drain(self, seconds: float) -> None:
        """Start nothing more; let what is on its way be answered, for `seconds` at most
        (fewer sent again next time); then :meth:`stop`."""
        await stopped(t for t in (self._task,) if t is not None)
        self._task = None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while self._plan.in_flight:  # noqa: ASYNC110 - a count the workers move
                    await asyncio.sleep(0.005)
        await self.stop()

    async def stop(self) -> None:
        """Stop sending; what is not delivered stays on disk."""
        await stopped(t for t in (self._task, *self._sending) if t is not None)
        self._task = None
        self._sending = set()
        if self._forgotten:
            self._flush_forgotten()

    def take_id(self) -> int:
        """The next id, for a row another sender sends (the router process)."""
        self._next_id += 1
        return self._next_id - 1

    def skip_past(self, row_id: int) -> None:
        """Take no id at or below `row_id` (a row kept that :meth:`start` does not load)."""
        self._next_id = max(self._next_id, row_id + 1)

    def new_entry(self, lane: str, kind: str, body: str) -> Entry:
        """An entry with the next id (not queued yet)."""
        entry = Entry(self._next_id, lane, kind, body)
        self._next_id += 1
        return entry

    def offer(self, entry: Entry) -> bool:
        """Queue `entry`, whose row is not written yet; whether it stayed (False: the
        queue is full and it was dropped: write no row)."""
        return entry not in self._queue(entry)

    def take(self, entry: Entry) -> None:
        """Queue `entry`, whose row is committed; never waits."""
        self._next_id = max(self._next_id, entry.id + 1)
        dropped = self._queue(entry)
        if entry in dropped:
            self._forget(entry.id)

    def _queue(self, entry: Entry) -> list[Entry]:
        """Add `entry` to the plan, forget the rows of what it pushed out; those dropped."""
        dropped = self._plan.add(entry)
        if dropped:
            log.warning("outgoing queue full: %d dropped so far", self._plan.dropped)
        for gone in dropped:
            if gone is not entry:
                self._forget(gone.id)
        self._wake.set()
        return dropped

    def _forget(self, entry_id: int) -> None:
        """Delete the row of `entry_id` with the others of this turn of the loop: one
        write job for all the deliveries that ended in it."""
        if not self._forgotten:
            asyncio.get_running_loop().call_soon(self._flush_forgotten)
        self._forgotten.append(entry_id)

    def _flush_forgotten(self) -> None:
        ids, self._forgotten = self._forgotten, []
        self._rows.delete(ids)

    async def _run(self) -> None:
        while True:
            if self._give_way:
                await _chat_first()
            self._wake.clear()
            now = now_ms()
            room = self._concurrency - self._plan.in_flight
            for entry in self._plan.due(now, room) if room > 0 else ():
                self._handoff.put_nowait(entry)
            due = self._plan.next_due()
            wait = None if due is None or room <= 0 else max(0.0, (due - now) / 1000)
            await woken_or_after(self._wake, wait)

    async def _work(self) -> None:
        """One of `concurrency` workers: send what the loop above hands over."""
        while True:
            await self._send(await self._handoff.get())

    async def _send(self, entry: Entry) -> None:
        try:
            ok = await self._deliverers[entry.kind](entry)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("sending a %s entry failed", entry.kind)
            ok = False
        if ok:
            self._plan.succeeded(entry)
            self._forget(entry.id)
            self.delivered += 1
        else:
            self._plan.failed(entry, now_ms())
            self.failures += 1
        self._wake.set()
