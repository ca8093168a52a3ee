"""How the main screen starts: its first frame drawn from the store file before the
client core is loaded (:class:`DeferredClient`, :class:`CoreStart`); once that frame
is out, tell the start-up benchmark and keep the garbage collector's full passes out
of the way."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from textual.message import Message
from textual.screen import Screen

from imkit_tui import core
from imkit_tui.core import ConnectionState
from imkit_tui.ui.screens.message_menu import LIST_LIMIT
from imkit_tui.ui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from imkit_tui.core import Conversation, IMClient, Subscription
    from imkit_tui.ui.screens.customer_service import CustomerServiceActions


class Starting(Protocol):
    """What starting the core shows on the main screen."""

    def show_connection(
        self, state: ConnectionState, detail: str = "", code: int | None = None
    ) -> None:
        """Show the connection's state."""

    def show_rows(self, rows: list[Conversation]) -> None:
        """Show ``rows`` as the conversation list."""

    async def reload_conversations(self) -> None:
        """Replace the list with the store's conversations."""

    def follow_events(self, events: Subscription) -> Any:
        """Apply every event of ``events`` to the screen (in a worker)."""

    def follow_privacy(self) -> Any:
        """Show blocked users, and every change (in a worker)."""

    @property
    def service(self) -> CustomerServiceActions:
        """The screen's customer-service part (it follows the core's events itself)."""

    def run_worker(self, work: Any, *, group: str = ..., exit_on_error: bool = ...) -> Any:
        """Run ``work`` in a worker of the screen."""

    def post_message(self, message: Message) -> bool:
        """Send ``message`` to the screen."""

    def query_one(self, selector: type[StatusBar]) -> StatusBar:
        """The status bar."""

    def notify(
        self, message: str, *, title: str = "", severity: Any = "information", timeout: Any = None
    ) -> None:
        """Show a toast."""


log = logging.getLogger(__name__)

#: Where to write the time of the first complete frame, for the start-up benchmark.
READY_FILE_ENV = "IMKIT_READY_FILE"


def quiet_garbage_collector(screen: Screen[None], idle: Callable[[], float]) -> None:
    """Keep the collector's full passes out of the way of typing and scrolling.

    A full pass over Textual's heap stalls the loop for about 100 ms (measured in
    bench/chat_view.py, where it made every p99). What exists after the first frame
    lives as long as the app, so it is frozen out of collections; full passes become
    rare, and one runs each minute in which nobody has typed or clicked for 10 seconds.
    `idle` returns the seconds since the last input.
    """
    gc.freeze()
    gc.set_threshold(20_000, 50, 1_000)
    gc.enable()  # `imkit` turns it off while starting

    def collect_when_idle() -> None:
        if idle() >= 10:
            gc.collect()

    screen.set_interval(60, collect_when_idle)


def report_ready() -> None:
    """Write the time of the first complete frame, and the CPU time the process had used
    by then, where $IMKIT_READY_FILE says (used by bench/startup.py to time start-up
    from outside the process)."""
    path = os.environ.get(READY_FILE_ENV)
    if path:
        with contextlib.suppress(OSError):
            Path(path).write_text(f"{time.time()!r} {time.process_time()!r}")


class CoreFailed(Message):
    """The client made after the first frame could not open its store: the app should
    say why and end."""

    def __init__(self, reason: str) -> None:
        """`reason` is the line to print."""
        super().__init__()
        self.reason = reason


@dataclass(frozen=True)
class DeferredClient:
    """A client core that the app makes only once its first frame is out.

    The first frame needs only who the user is, which server the status bar names and
    the conversation list, read from the store at `store_path` without the client
    (:func:`imkit_tui.core.peek_conversations`); `make` then builds the client (not
    opened), and the main screen opens it and starts it.
    """

    user_id: str
    server_url: str
    store_path: Path
    make: Callable[[], IMClient]


class CoreStart:
    """The main screen's client core: given ready, or made after the first frame.

    `core_ready` is set once the client is open and the screen follows its events (at
    once for a given client, which the screen opens before its first frame); the app
    holds the user's keys and clicks until then.
    """

    def __init__(
        self,
        client: IMClient | DeferredClient,
        *,
        connect: bool = True,
        start: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """From a client (opened before the first frame) or one to make after it; with
        `connect`, `start` (default: the client's) runs after the first frame."""
        self.deferred = client if isinstance(client, DeferredClient) else None
        self._client = None if isinstance(client, DeferredClient) else client
        self.connect = connect
        self._start = start
        self.core_ready = asyncio.Event()

    @property
    def user_id(self) -> str:
        """Whose app this is."""
        return self.deferred.user_id if self.deferred is not None else self.client.user_id

    @property
    def server_url(self) -> str:
        """The server the client talks to (or will)."""
        return self.deferred.server_url if self.deferred is not None else self.client.server_url

    @property
    def client(self) -> IMClient:
        """The client, made now if it was deferred and not made yet."""
        if self._client is None:
            assert self.deferred is not None
            self._client = self.deferred.make()
        return self._client

    async def first_frame(self, screen: Starting) -> None:
        """What `screen` shows first: a given client's store, opened now, or the
        conversation list in a deferred client's store file."""
        if self.deferred is None:
            await self.open(screen)
        else:
            screen.show_connection(ConnectionState.OFFLINE)
            screen.show_rows(core.peek_conversations(self.deferred.store_path, LIST_LIMIT))

    async def open(self, screen: Starting) -> None:
        """Open the client's store; `screen` shows its state and list and follows its
        events."""
        try:
            client = self.client
            await client.open()
            # Subscribe before reading any state, so no event falls between the two.
            events = client.subscribe()
            refused = client.refused
            screen.show_connection(
                client.state, refused.message if refused else "", refused.code if refused else None
            )
            await screen.reload_conversations()
            screen.follow_events(events)
            screen.follow_privacy()
            screen.run_worker(screen.service.follow(), group="cs-events", exit_on_error=False)
        finally:
            self.core_ready.set()  # held input goes on, even after a failure

    async def after_first_frame(self, screen: Starting) -> None:
        """Make and open a deferred client (a failure to open its store ends the app,
        as it would have before the first frame), then connect (for the embedded app:
        start or find its server, then connect). A failure to connect is shown, and the
        app stays open on its store."""
        if not self.core_ready.is_set():
            try:
                await self.open(screen)
            except Exception as exc:  # e.g. a store written by a newer imkit
                log.exception("could not open the local store")
                screen.post_message(CoreFailed(f"imkit: cannot open the local store: {exc}"))
                return
        if not self.connect:
            return
        try:
            await (self._start or self.client.start)()
        except Exception as exc:
            log.exception("could not connect")
            reason = str(exc) or repr(exc)
            screen.query_one(StatusBar).set_connection(ConnectionState.OFFLINE, reason)
            screen.notify(reason, title="Not connected", severity="error", timeout=30)
