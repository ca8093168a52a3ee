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
from typing import Any, NamedTuple

from imkit_tui import messages
from imkit_tui.protocol import ErrorCode, ProtocolError, SendMessage
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.hooks.forms import content_text, values_form, values_of
from imkit_tui.server.hooks.sender import HttpPoster
from imkit_tui.server.hooks.settings import HooksConfig
from imkit_tui.server.routing import Route

log = logging.getLogger(__name__)

DELIVER, BLOCK = "deliver", "block"
"""What a timeout decides."""

REJECTED = "rejected by the app's moderation"
"""What a blocked sender is told (with 21501)."""


class Verdict(NamedTuple):
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
        self._url = config.moderation_url
        self._kinds = config.moderated_kinds
        self._types = frozenset(config.moderation_types)
        self._users = frozenset(config.moderation_users)
        self._timeout = config.moderation_timeout_seconds
        self._on_timeout = config.moderation_on_timeout
        self._gates: dict[str, asyncio.Future[None]] = {}
        self.asked = 0
        """Messages sent to the backend for a decision."""

    def matches(self, sender: str, object_name: str, conv_type: int) -> bool:
        """Whether a send is held for the backend's decision (never a status message)."""
        return bool(
            self._url
            and conv_type in self._kinds
            and (not self._types or object_name in self._types)
            and (not self._users or sender in self._users)
            and messages.lookup(object_name).stored
        )

    async def moderate(
        self, sender: str, frame: SendMessage, route: Route, content_json: str | None = None
    ) -> None:
        """Hold `frame` for the backend's decision if it matches (replacing its content,
        or raising ProtocolError 21501); a send behind a held one waits for it.
        `content_json`: its content as it would be stored (the form's `content`, as
        routing sends it), when at hand; else it is encoded here."""
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
            decided = await self._ask(sender, frame, route, content_json)
        finally:
            mine.set_result(None)  # those behind go once this one is appended
            if self._gates.get(route.conv_key) is mine:
                del self._gates[route.conv_key]
        if not decided.deliver:
            raise ProtocolError(ErrorCode.SENSITIVE_WORD_BLOCKED, REJECTED, frame.id)
        if decided.content is not None:
            frame.content = decided.content

    async def _ask(
        self, sender: str, frame: SendMessage, route: Route, content_json: str | None
    ) -> Verdict:
        """The backend's verdict on `frame`: its form is the one routing would send of
        the message (no uid yet, the time of asking), as `values_form` makes it."""
        values = values_of(
            sender,
            frame.conv.target,
            route,
            frame.object_name,
            content_text(frame.content) if content_json is None else content_json,
            now_ms(),
            "",
            from_device=True,
            to=frame.to,
            channel=frame.conv.channel,
        )
        self.asked += 1
        # The poster's own timeout is this one when shorter: one timer, not two.
        answer = await self._poster.ask(self._url, values_form(values), self._timeout)
        if answer is None:
            log.info("moderation: no usable answer: %s", self._on_timeout)
        return verdict(answer, self._on_timeout)
