"""`client.customer_service`: talking to the server's customer service as a customer
(open it, ask for a person, rate, leave a message) and serving it as an agent (the
desk: who waits, take, end, left messages).

A customer's conversation is ConvRef(5, account): messages to it are sent as any other
(`client.send_text`); the service's signalling arrives as pushes that move its
:class:`CsState` (kept in the store, published as CustomerServiceChanged). An agent sees
each customer as ConvRef(5, customer) and replies there; the desk arrives as
AgentDeskChanged. Requests raise NotConnected offline, RequestFailed when refused.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from imkit_tui import messages
from imkit_tui.core.context import ClientContext
from imkit_tui.core.customer_service_state import CsState, apply_signal, service_conv
from imkit_tui.core.events import AgentDeskChanged, CustomerServiceChanged
from imkit_tui.protocol import (
    ConversationType,
    CsAgentOp,
    CsAgentRequest,
    CsAgentState,
    MessageRecord,
    SendAck,
    SendMessage,
)
from imkit_tui.protocol.ids import new_uuid7

SERVICE_SIGNALS = frozenset(
    {
        messages.CS_HANDSHAKE_RESPONSE,
        messages.CS_CHANGE_MODE_RESPONSE,
        messages.CS_UPDATE,
        messages.CS_END,
        messages.CS_PULL_EVALUATION,
        messages.CS_PULL_LEAVE_MESSAGE,
    }
)
"""The signalling the service sends a customer."""


def is_service_signal(record: MessageRecord) -> bool:
    """Whether `record` is the service's signalling to a customer."""
    return (
        record.conv.type == ConversationType.CUSTOMER_SERVICE
        and record.object_name in SERVICE_SIGNALS
    )


class CustomerService:
    """The customer's and the agent's side of customer service."""

    def __init__(self, context: ClientContext) -> None:
        self._context = context
        self._applying: asyncio.Lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self.desk: CsAgentState | None = None
        """The desk as last told (agents only)."""

    # ---------------------------------------------------------------- anyone

    async def info(self) -> CsAgentState:
        """The server's customer service (`account` '' when none) and whether this user
        is one of its agents."""
        return await self._desk_request("info")

    async def state(self, account: str) -> CsState:
        """Where the conversation with `account` stands (from the store)."""
        return await self._context.store.customer_service.get(account)

    # ---------------------------------------------------------------- a customer

    async def open(self, account: str) -> None:
        """Open (or resume) the conversation with `account` (RC:CsHs)."""
        await self._signal(account, messages.CS_HANDSHAKE, {})

    async def ask_human(self, account: str) -> None:
        """Ask for a person instead of the robot (RC:CSCha)."""
        state = await self.state(account)
        await self._signal(account, messages.CS_CHANGE_MODE, {"sid": state.sid})

    async def leave(self, account: str) -> None:
        """End the conversation from the customer's side (RC:CsSp)."""
        state = await self.state(account)
        await self._signal(account, messages.CS_SUSPEND, {"sid": state.sid})

    async def rate(self, account: str, stars: int, comment: str = "") -> None:
        """Rate the session that ended, 1–5 stars and a comment (RC:CsEva)."""
        if not 1 <= stars <= 5:
            raise ValueError("a rating is 1 to 5 stars")
        state = await self.state(account)
        content = {"sid": state.sid, "source": stars, "suggest": comment, "isresolve": 1}
        await self._signal(account, messages.CS_EVALUATION, content)
        await self._save(replace(state, rating_due=False))

    async def leave_message(self, account: str, fields: dict[str, str]) -> None:
        """Leave a message for the agents when nobody is online (RC:CsLM)."""
        await self._signal(account, messages.CS_LEAVE_MESSAGE, {"dataSet": fields})
        state = await self.state(account)
        await self._save(replace(state, leave_message=False))

    def pushed(self, record: MessageRecord) -> None:
        """The service's signalling arrived: move the state, keep it, publish it."""
        task = asyncio.create_task(self._apply(record))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _apply(self, record: MessageRecord) -> None:
        async with self._applying:  # signalling applies in arrival order
            state = await self.state(record.conv.target)
            await self._save(apply_signal(state, record.object_name, record.content))

    async def _save(self, state: CsState) -> None:
        await self._context.store.customer_service.put(state)
        self._context.events.publish(CustomerServiceChanged(state))

    async def _signal(self, account: str, object_name: str, content: dict[str, Any]) -> None:
        await self._context.connection.request(
            SendMessage(
                conv=service_conv(account),
                object_name=object_name,
                content=content,
                cmid=new_uuid7(),
            ),
            SendAck,
            self._context.timeout,
        )

    # ---------------------------------------------------------------- an agent

    async def view(self) -> CsAgentState:
        """The desk: who waits (first come first), this agent's customers, who is online."""
        return await self._desk_request("view")

    async def take(self, customer: str = "") -> CsAgentState:
        """Take `customer` (default: the queue's head), whatever this agent's load."""
        return await self._desk_request("take", customer)

    async def end(self, customer: str) -> CsAgentState:
        """End the session with `customer` (they are asked to rate it)."""
        return await self._desk_request("end", customer)

    async def left(self) -> CsAgentState:
        """The desk with the messages customers left (newest first)."""
        return await self._desk_request("left")

    def desk_pushed(self, desk: CsAgentState) -> None:
        """The server pushed the desk: keep it, publish it."""
        self.desk = desk
        self._context.events.publish(AgentDeskChanged(desk))

    async def _desk_request(self, op: CsAgentOp, customer: str = "") -> CsAgentState:
        answer = await self._context.connection.request(
            CsAgentRequest(op=op, customer=customer),
            CsAgentState,
            self._context.timeout,
        )
        if answer.agent:
            self.desk = answer
        return answer
