"""Offline pushes, with no I/O: which notifications to send, coalesced and rate-limited
per user. A user's first message waits `gather_ms` for others of the same burst; a user
gets at most one push per `interval_ms`; several messages make one push that counts them.
The push text the sender gave (pushContent) is looked up when the push is due, by the
uid of the message it tells of (`Notice.uid`), and put in with `given_text`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True, slots=True)
class Notice:
    """A push to send: to `url` (Apprise), with `title` and `body`; it tells of
    `count` messages, the last of them `uid` ("" for a push that is no message's)."""

    user_id: str
    url: str
    title: str
    body: str
    uid: str = ""
    count: int = 1

    def given_text(self, text: str) -> Notice:
        """This push saying `text` (the pushContent of its message) instead."""
        if not text:
            return self
        if self.count == 1:
            return replace(self, body=text)
        return replace(self, body=text, title=f"{self.count} new messages")


@dataclass(slots=True)
class _Pending:
    url: str
    due_ms: int
    notes: list[tuple[str, str, str]] = field(default_factory=list)


class PushBoard:
    """The pushes waiting per user, and when each user may be pushed to next."""

    def __init__(self, gather_ms: int, interval_ms: int) -> None:
        self._gather_ms = gather_ms
        self._interval_ms = interval_ms
        self._pending: dict[str, _Pending] = {}
        self._next_allowed: dict[str, int] = {}

    def note(
        self, user_id: str, url: str, title: str, body: str, now_ms: int, uid: str = ""
    ) -> None:
        """A message (`uid`) `user_id` is to be told of (`title`, `body`), to `url`."""
        pending = self._pending.get(user_id)
        if pending is None:
            due = max(now_ms + self._gather_ms, self._next_allowed.get(user_id, 0))
            pending = self._pending[user_id] = _Pending(url, due)
        pending.url = url
        pending.notes.append((title, body, uid))

    def forget(self, user_id: str) -> None:
        """`user_id` came online: what waits for them is not pushed."""
        self._pending.pop(user_id, None)

    def next_due(self) -> int | None:
        """When the earliest waiting push is due (None: none waits)."""
        return min((p.due_ms for p in self._pending.values()), default=None)

    def due(self, now_ms: int) -> list[Notice]:
        """The pushes due at `now_ms`, one per user."""
        notices = []
        for user_id, pending in list(self._pending.items()):
            if pending.due_ms > now_ms:
                continue
            del self._pending[user_id]
            self._next_allowed[user_id] = now_ms + self._interval_ms
            notices.append(_notice(user_id, pending))
        if len(self._next_allowed) > 4 * len(self._pending) + 10_000:
            self._next_allowed = {u: t for u, t in self._next_allowed.items() if t > now_ms}
        return notices


def _notice(user_id: str, pending: _Pending) -> Notice:
    title, body, uid = pending.notes[-1]
    count = len(pending.notes)
    if count == 1:
        return Notice(user_id, pending.url, title, body, uid)
    return Notice(user_id, pending.url, f"{count} new messages", f"{title}: {body}", uid, count)
