"""Customer service in the app: the "Customer service" entry opens the conversation with
the server's service; the header says who answers (the robot, an agent by name); a
"Human" button beside the composer asks for a person; when the session ends a rating
prompt asks for 1–5 stars and a comment; when nobody can answer, a form leaves a
message. An agent gets the desk (screens/agent_desk.py) and ends sessions."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

from textual import events
from textual.app import SystemCommand
from textual.widgets import Static

from imkit_tui import core
from imkit_tui.core.customer_service_state import CLOSED, ROBOT, CsState, service_conv
from imkit_tui.protocol import ConversationType, ConvRef
from imkit_tui.ui import screens
from imkit_tui.ui.screens.main_host import MainHost
from imkit_tui.ui.widgets.chat_header import ChatHeader

if TYPE_CHECKING:
    from imkit_tui.protocol import CsAgentState
    from imkit_tui.ui.screens.agent_desk import AgentDeskScreen
    from imkit_tui.ui.screens.cs_prompts import Rating

T = TypeVar("T")


class HumanButton(Static):
    """The clickable "Human" beside the composer while the robot answers."""

    DEFAULT_CSS = """
    HumanButton {
        width: 9;
        height: 3;
        content-align: center middle;
        text-style: bold;
        color: $accent;
    }
    HumanButton:hover {
        background: $boost;
    }
    """

    def __init__(self, pressed: Callable[[], object], *, id: str | None = None) -> None:
        """A button that calls `pressed` when clicked."""
        super().__init__("Human", id=id)
        self.tooltip = "Talk to a person instead of the robot"
        self._pressed = pressed

    def on_click(self, event: events.Click) -> None:
        """Ask for a person."""
        self._pressed()


class CustomerServiceActions:
    """The main screen's customer-service part: a controller built with the header."""

    def __init__(self, host: MainHost, header: ChatHeader) -> None:
        self._host = host
        self._header = header
        self.info: CsAgentState | None = None
        """The server's customer service, once asked (None before)."""
        self._desk: AgentDeskScreen | None = None
        self._asked_rating = ""
        self._asking = False
        self._state: CsState | None = None
        self._waiting: frozenset[str] = frozenset()

    # ---------------------------------------------------------------- state

    @property
    def account(self) -> str:
        """The service's account ('' when none or not known yet)."""
        return self.info.account if self.info else ""

    @property
    def is_agent(self) -> bool:
        """Whether this user serves the service."""
        return bool(self.info and self.info.agent)

    def customer_of(self, conv: ConvRef | None) -> str:
        """The customer whose conversation `conv` is, as this agent sees it ('')."""
        if conv is None or conv.type != ConversationType.CUSTOMER_SERVICE or not self.is_agent:
            return ""
        return conv.target if conv.target != self.account else ""

    async def follow(self) -> None:
        """Learn the service on each connect; apply its changes (a worker)."""
        client = self._host.client
        with client.subscribe() as subscription:
            if client.state == core.ConnectionState.CONNECTED:
                await self.learn()
            async for event in subscription:
                if isinstance(event, core.CustomerServiceChanged):
                    await self._changed(event.state)
                elif isinstance(event, core.AgentDeskChanged):
                    self._desk_changed(event.desk)
                elif (
                    isinstance(event, core.ConnectionChanged)
                    and event.state == core.ConnectionState.CONNECTED
                ):
                    await self.reconnected()

    async def reconnected(self) -> None:
        """Connected again: learn the service again and, while its chat is open, resume
        the session (the server may have restarted and lost it: the header follows)."""
        await self.learn()
        if self.account and self._host.current == service_conv(self.account):
            await self._call(self._host.client.customer_service.open(self.account))

    async def learn(self) -> CsAgentState | None:
        """Ask the server which customer service it has (kept in :attr:`info`)."""
        with contextlib.suppress(core.NotConnected, core.RequestFailed, TimeoutError):
            self.info = await self._host.client.customer_service.info()
        return self.info

    # ---------------------------------------------------------------- the palette

    def commands(self) -> Iterable[SystemCommand]:
        """The palette's customer-service entries, for what is at hand."""
        if not self.is_agent:  # an agent serves the service, and does not call it
            yield SystemCommand(
                "Customer service", "Ask the service: its robot, or a person", self.open_service
            )
        current = self._host.current
        if self.account and current == service_conv(self.account):
            yield SystemCommand(
                "Customer service: talk to a human",
                "Ask for a person instead of the robot",
                self.ask_human,
            )
            yield SystemCommand(
                "Customer service: end the conversation", "Leave the service", self.leave
            )
            state = self._state
            if state is not None and state.rating_due:
                yield SystemCommand(
                    "Customer service: rate the conversation…",
                    "1 to 5 stars and a comment, for the session that ended",
                    lambda: self._run(self._rate(state)),
                )
            yield SystemCommand(
                "Customer service: leave a message…",
                "For the agents to answer later",
                lambda: self._run(self.leave_message()),
            )
        if self.is_agent:
            yield SystemCommand(
                "Customer service desk",
                "Who waits, your customers: take, end",
                lambda: self._run(self.open_desk()),
            )
        customer = self.customer_of(current)
        if customer:
            yield SystemCommand(
                f"End the session with {customer}",
                "They are asked to rate it",
                lambda: self._run(self._end(customer)),
            )

    # ---------------------------------------------------------------- a customer

    async def open_service(self) -> None:
        """Open the conversation with the service, and the service's session."""
        if not self.account:
            await self.learn()
        if not self.account:
            self._host.app.notify(
                "This server has no customer service (or it cannot be reached now).",
                severity="warning",
            )
            return
        await self._host.open_conversation(service_conv(self.account))
        await self._call(self._host.client.customer_service.open(self.account))

    async def ask_human(self) -> None:
        """Ask for a person (the Human button)."""
        if self.account:
            await self._call(self._host.client.customer_service.ask_human(self.account))

    async def leave(self) -> None:
        """End the conversation from this side."""
        if self.account:
            await self._call(self._host.client.customer_service.leave(self.account))

    async def leave_message(self, notice: str = "") -> None:
        """Ask for a message for the agents, and leave it."""
        if not self.account:
            return
        fields = await self._host.app.push_screen_wait(
            screens.LeaveMessageScreen(notice, self._host.client.user_id)
        )
        if fields and await self._call(
            self._host.client.customer_service.leave_message(self.account, fields)
        ):
            self._host.app.notify("Your message was left for the agents.")

    async def opened(self, conv: ConvRef) -> None:
        """`conv` was opened: the header and the Human button follow it."""
        if conv.type != ConversationType.CUSTOMER_SERVICE:
            self._button(False)
            return
        if self.info is None:
            await self.learn()
        customer = self.customer_of(conv)
        if customer:
            self._button(False)
            self._show_customer(customer)
            return
        self._show(await self._host.client.customer_service.state(conv.target))

    def _show(self, state: CsState) -> None:
        self._state = state
        self._header.set_service(state.label or "opening…")  # the title names the service
        self._button(state.mode in (ROBOT, CLOSED))

    def _button(self, shown: bool) -> None:
        rows = self._host.query("#composer-row")
        if not rows:
            return
        found = self._host.query("#cs-human")
        if not found:
            if not shown:
                return
            rows.first().mount(HumanButton(lambda: self._run(self.ask_human()), id="cs-human"))
            return
        found.first().display = shown

    async def _changed(self, state: CsState) -> None:
        self._state = state
        if self._host.current == service_conv(state.account):
            self._show(state)
        if state.rating_due and state.sid != self._asked_rating and not self._asking:
            self._asked_rating = state.sid
            self._run(self._rate(state))
        elif state.leave_message and not self._asking:
            self._run(self._offer_leave(state.notice))

    async def _rate(self, state: CsState) -> None:
        self._asking = True
        try:
            rating: Rating | None = await self._host.app.push_screen_wait(
                screens.RatingScreen(state.agent or "the agent")
            )
        finally:
            self._asking = False
        if rating is not None and await self._call(
            self._host.client.customer_service.rate(state.account, rating.stars, rating.comment)
        ):
            self._host.app.notify("Thank you for your rating.")

    async def _offer_leave(self, notice: str) -> None:
        self._asking = True
        try:
            await self.leave_message(notice)
        finally:
            self._asking = False

    # ---------------------------------------------------------------- an agent

    async def open_desk(self) -> None:
        """Show the desk; a customer chosen there opens."""
        desk = await self._ask(self._host.client.customer_service.view())
        if desk is None:
            return
        self._desk = screens.AgentDeskScreen(desk, self._take, self._end)
        customer = await self._host.app.push_screen_wait(self._desk)
        self._desk = None
        if customer:
            kind = ConversationType.CUSTOMER_SERVICE
            await self._host.open_conversation(ConvRef(type=kind, target=customer))

    def _show_customer(self, customer: str) -> None:
        """The header of a customer's chat: still theirs, or no longer."""
        desk = self._host.client.customer_service.desk
        name = self.info.name if self.info and self.info.name else self.account
        mine = desk is not None and customer in desk.mine
        self._header.set_service(f"{name} · {'your customer' if mine else 'not yours now'}")

    def _desk_changed(self, desk: CsAgentState) -> None:
        if customer := self.customer_of(self._host.current):
            self._show_customer(customer)
        came = [c for c in desk.waiting if c not in self._waiting]
        self._waiting = frozenset(desk.waiting)
        if self._desk is not None and self._desk.is_attached:
            self._desk.show(desk)
        elif came:
            waiting = ", ".join(came)
            self._host.app.notify(f"Waiting for an agent: {waiting} (Customer service desk)")

    async def _take(self, customer: str) -> CsAgentState | None:
        return self._answered(await self._ask(self._host.client.customer_service.take(customer)))

    async def _end(self, customer: str) -> CsAgentState | None:
        return self._answered(await self._ask(self._host.client.customer_service.end(customer)))

    def _answered(self, desk: CsAgentState | None) -> CsAgentState | None:
        """The desk an agent's request gave: the open customer's header follows it."""
        if desk is not None and (customer := self.customer_of(self._host.current)):
            self._show_customer(customer)
        return desk

    # ---------------------------------------------------------------- plumbing

    def _run(self, work: Awaitable[object]) -> None:
        self._host.run_worker(work, group="customer-service", exit_on_error=False)

    async def _call(self, work: Awaitable[object]) -> bool:
        """Run a request; False (and a toast) when refused or not connected."""
        return await self._ask(work) is not None

    async def _ask(self, work: Awaitable[T]) -> T | None:
        """Run a request and give its answer; a refusal or no connection is a toast,
        and None."""
        try:
            return await work
        except core.RequestFailed as exc:
            self._host.app.notify(f"Customer service: {exc.message}", severity="warning")
        except (core.NotConnected, TimeoutError):
            self._host.app.notify("Not connected: customer service needs the server.")
        return None
