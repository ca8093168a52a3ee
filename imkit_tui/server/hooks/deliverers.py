"""How each kind of outgoing entry is sent: routing, status and chatroom status reports
as signed POSTs to the app's backend (a URL switched off lets what was queued go),
offline pushes through Apprise."""

from __future__ import annotations

import json
import logging

from imkit_tui.server.hooks.forms import form_of_values
from imkit_tui.server.hooks.plan import Entry
from imkit_tui.server.hooks.sender import Deliverer, HttpPoster
from imkit_tui.server.hooks.settings import HooksConfig

log = logging.getLogger(__name__)

ROUTE, STATUS, PUSH, ROOM_STATUS = "route", "status", "push", "chatroom_status"
"""The kinds of entries: a routed message (its form), a status report, an offline
push, a chatroom status report."""

ROUTED = "routed"
"""A routed message kept as its values (forms.values_body), the form made when sent."""

ROUTED_BATCH = "routed_batch"
"""The routed messages of one transaction, kept as one row (routed_batch.py)."""

ROUTING_KINDS = (ROUTE, ROUTED, ROUTED_BATCH)
"""The kinds of rows that route messages: on SQLite the router process sends them."""


class Deliverers:
    """The deliverer of each kind, sending to the URLs of `config` through `poster`."""

    def __init__(self, config: HooksConfig, poster: HttpPoster) -> None:
        self._config = config
        self._poster = poster

    def by_kind(self) -> dict[str, Deliverer]:
        """Each kind's deliverer."""
        return {
            ROUTE: self.route,
            ROUTED: self.routed,
            STATUS: self.status,
            PUSH: self.push,
            ROOM_STATUS: self.chatroom_status,
        }

    async def route(self, entry: Entry) -> bool:
        """POST a routed message (a form)."""
        url = self._config.routing_url
        if not url:
            return True  # routing was switched off: what was queued is let go
        return await self._poster.post(url, form=entry.body)

    async def routed(self, entry: Entry) -> bool:
        """POST a routed message kept as its values (a body that is not: dropped)."""
        url = self._config.routing_url
        if not url:
            return True
        try:
            form = form_of_values(entry.body)
        except ValueError as exc:
            log.warning("a routed message kept unreadable, dropped: %s", exc)
            return True
        return await self._poster.post(url, form=form)

    async def status(self, entry: Entry) -> bool:
        """POST status reports (JSON)."""
        return await self._post_json(self._config.status_url, entry)

    async def chatroom_status(self, entry: Entry) -> bool:
        """POST a chatroom status report (JSON)."""
        return await self._post_json(self._config.chatroom_status_url, entry)

    async def _post_json(self, url: str, entry: Entry) -> bool:
        """POST the JSON of `entry` to `url` (none: switched off, what was queued goes)."""
        return await self._poster.post(url, json=json.loads(entry.body)) if url else True

    async def push(self, entry: Entry) -> bool:
        """Send an offline push through Apprise (a URL it does not speak: dropped)."""
        import apprise

        notice = json.loads(entry.body)
        target = apprise.Apprise()
        if not target.add(notice["url"]):
            log.warning("push URL not understood, push dropped: %s", notice["url"][:40])
            return True
        return bool(await target.async_notify(body=notice["body"], title=notice["title"]))
