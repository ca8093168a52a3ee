"""Helpers for the customer-service tests: a server with an account, and a raw
connection that keeps what it receives so a test can wait for one kind of it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imkit_tui.protocol import (
    ConversationType,
    ConvRef,
    CsAgentRequest,
    CsAgentState,
    ErrorFrame,
    Push,
    SendMessage,
    ServerFrame,
)
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.server.customer_service.faq import parse_faq
from imkit_tui.server.customer_service.settings import CustomerServiceSettings
from tests.wire import WireClient

ACCOUNT = "kefu"
CONFIG = f"""
[customer_service]
id = "{ACCOUNT}"
name = "imkit help"
agents = ["carol", "dave"]
faq = "faq.toml"
"""
"""A config file's desk: the account, two agents and the FAQ of FAQ_TEXT (faq.toml)."""
FAQ_TEXT = """
[[entry]]
question = "How do I send a file?"
answer = "Press + in the composer and pick the file."
keywords = ["file", "attach"]

[[entry]]
question = "How do I recall a message?"
answer = "Select it and press x within two minutes."
keywords = ["recall", "undo"]
"""
CS_CONV = ConvRef(type=ConversationType.CUSTOMER_SERVICE, target=ACCOUNT)


def cs_settings(**overrides: Any) -> CustomerServiceSettings:
    """A customer-service account `kefu` with agents carol and dave, robot first."""
    values: dict[str, Any] = {
        "account": ACCOUNT,
        "name": "imkit help",
        "faq": parse_faq(FAQ_TEXT),
        "agents": ("carol", "dave"),
        **overrides,
    }
    return CustomerServiceSettings(**values)


def server_overrides(**overrides: Any) -> dict[str, object]:
    """Server config overrides giving it the account of :func:`cs_settings`."""
    return {"customer_service": cs_settings(**overrides)}


@dataclass
class Inbox:
    """A WireClient whose received frames are kept, to be waited for by kind."""

    wire: WireClient
    frames: list[ServerFrame] = field(default_factory=list)
    _next: int = 1000

    async def _pump(self, timeout: float) -> None:
        self.frames.append(await self.wire.recv(timeout))

    async def push(self, object_name: str, timeout: float = 5.0) -> Push:
        """The first kept or next Push of `object_name` (removed from the inbox)."""
        async with asyncio.timeout(timeout):
            while True:
                for frame in self.frames:
                    if isinstance(frame, Push) and frame.message.object_name == object_name:
                        self.frames.remove(frame)
                        return frame
                await self._pump(timeout)

    async def answer(self, request_id: int, timeout: float = 5.0) -> ServerFrame:
        """The answer to request `request_id` (pushes meanwhile are kept)."""
        async with asyncio.timeout(timeout):
            while True:
                for frame in self.frames:
                    if not isinstance(frame, Push) and frame.re == request_id:
                        self.frames.remove(frame)
                        return frame
                await self._pump(timeout)

    async def agent_push(self, timeout: float = 5.0) -> CsAgentState:
        """The next pushed CsAgentState (earlier ones kept are dropped first)."""
        async with asyncio.timeout(timeout):
            while True:
                for frame in self.frames:
                    if isinstance(frame, CsAgentState) and frame.re == 0:
                        self.frames.remove(frame)
                        return frame
                await self._pump(timeout)

    async def send(
        self, object_name: str, content: dict[str, Any], conv: ConvRef = CS_CONV
    ) -> ServerFrame:
        """Send a message of `object_name` to `conv`; its answer (ack or error)."""
        self._next += 1
        await self.wire.send_frame(
            SendMessage(
                id=self._next,
                conv=conv,
                object_name=object_name,
                content=content,
                cmid=new_uuid7(),
            )
        )
        return await self.answer(self._next)

    async def agent(self, op: str, customer: str = "") -> CsAgentState | ErrorFrame:
        """An agent's request and its answer."""
        self._next += 1
        await self.wire.send_frame(CsAgentRequest(id=self._next, op=op, customer=customer))  # type: ignore[arg-type]
        answer = await self.answer(self._next)
        assert isinstance(answer, CsAgentState | ErrorFrame), answer
        return answer


def faq_file(folder: Path) -> Path:
    """:data:`FAQ_TEXT` written to a file in `folder`."""
    path = folder / "faq.toml"
    path.write_text(FAQ_TEXT, encoding="utf-8")
    return path
