"""The message callback (moderation): messages that match the configured conditions go
to the backend before they are stored, and its answer decides. `{"pass": 1}` delivers,
`{"pass": 0}` blocks (the sender is refused with 21501, nobody else sees anything),
`replaceContent` (a JSON object, or its text) delivers that content instead. No answer
within the timeout (or a failed request) decides by `moderation_on_timeout`.

A held message keeps its place: while it waits, every later send to the same
conversation waits behind it (a gate per conversation), so the conversation's order is
the order of the sends for everyone. `verdict` is sans-I/O.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

from imkit_tui import messages
from imkit_tui.protocol import ErrorCode, MessageRecord, ProtocolError, SendMessage
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.hooks.forms import routing_form
from imkit_tui.server.hooks.sender import HttpPoster
from imkit_tui.server.hooks.settings import HooksConfig
from imkit_tui.server.routing import Route

log = logging.getLogger(__name__)

DELIVER, BLOCK = "deliver", "block"
"""What a timeout decides."""

REJECTED = "rejected by the app's moderation"
"""What a blocked sender is told (with 21501)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """The backend's decision: `deliver` or not, and the content to deliver instead."""

    deliver: bool
    content: dict[str, Any] | None = None


def verdict(answer: Any, on_timeout: str) -> Verdict:
    """The decision an `answer` (decoded JSON, None when there was none) makes."""
    if not isinstance(answer, dict) or "pass" not in answer:
        return Verdict(on_timeout == DELIVER)
    if str(answer["pass"]) not in ("1", "True", "true"):
        return Verdict(False)
    replace = answer.get("replaceContent")
    if isinstance(replace, str) and replace:
        try:
            replace = json.loads(replace)
        except json.JSONDecodeError:
            replace = None
    return Verdict(True, replace if isinstance(replace, dict) and replace else None)


class Moderation:
    """Asks the backend about the sends `config` names, through `poster`."""

    def __init__(self, config: HooksConfig, poster: HttpPoster) -> None:
        self._config = config
        self._poster = poster
        self._gates: dict[str, asyncio.Future[None]] = {}
        self.asked = 0
        """Messages sent to the backend for a decision."""

    def matches(self, sender: str, object_name: str, conv_type: int) -> bool:
        """Whether a send is held for the backend's decision (never a status message)."""
        c = self._config
        return bool(
            c.moderation_url
            and messages.lookup(object_name).stored
            and conv_type in c.moderated_kinds
            and (not c.moderation_types or object_name in c.moderation_types)
            and (not c.moderation_users or sender in c.moderation_users)
        )

    async def moderate(self, sender: str, frame: SendMessage, route: Route) -> None:
        """Hold `frame` for the backend's decision if it matches (replacing its content,
        or raising ProtocolError 21501); a send behind a held one waits for it."""
        ahead = self._gates.get(route.conv_key)
        if not self.matches(sender, frame.object_name, route.conv_type):
            if ahead is not None:
                await asyncio.wait([ahead])
            return
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._gates[route.conv_key] = mine
        try:
            if ahead is not None:
                await asyncio.wait([ahead])
            decided = await self._ask(sender, frame, route)
        finally:
            mine.set_result(None)  # those behind go once this one is appended
            if self._gates.get(route.conv_key) is mine:
                del self._gates[route.conv_key]
        if not decided.deliver:
            raise ProtocolError(ErrorCode.SENSITIVE_WORD_BLOCKED, REJECTED, frame.id)
        if decided.content is not None:
            frame.content = decided.content

    async def _ask(self, sender: str, frame: SendMessage, route: Route) -> Verdict:
        record = MessageRecord(
            uid="",
            conv=frame.conv,
            seq=0,
            sender=sender,
            object_name=frame.object_name,
            content=frame.content,
            cmid=frame.cmid,
            sent_at=now_ms(),
            to=list(frame.to),
        )
        form = routing_form(record, route, from_device=True)
        self.asked += 1
        answer = None
        try:
            async with asyncio.timeout(self._config.moderation_timeout_seconds):
                answer = await self._poster.ask(self._config.moderation_url, form)
        except TimeoutError:
            log.info("moderation timed out: %s", self._config.moderation_on_timeout)
        return verdict(answer, self._config.moderation_on_timeout)
