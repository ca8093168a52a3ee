"""What the server tells the app's backend, and how: the `[hooks]` table of the config
file (flags of `imkit serve` win). No I/O.

```toml
[hooks]
routing_url = "http://127.0.0.1:9000/route"   # full message routing (form POSTs)
routing_types = ["RC:TxtMsg", "RC:ImgMsg"]   # default: every stored type
routing_conversations = ["private", "group"] # + system, chatroom, customer_service,
                                             # app_public_service, public_service; default all
status_url = "http://127.0.0.1:9000/status"  # online / offline / logout (JSON POSTs)
status_coalesce_seconds = 1.0                # a user's flaps within it: one report
chatroom_status_url = "http://127.0.0.1:9000/chatroom"  # created/destroyed/joined/left
push = true                                  # offline pushes, to the URLs users set
push_url = "json://127.0.0.1:9000/push"      # Apprise URL for users without their own
push_interval_seconds = 10.0                 # at most one push per user per interval
push_coalesce_seconds = 2.0                  # a burst within it: one push
push_mentions_under_dnd = true               # an @ still pushes in a DND group
moderation_url = "http://127.0.0.1:9000/moderate"  # the message callback (see moderation.py)
moderation_types = ["RC:TxtMsg"]             # default: every type a device sends
moderation_conversations = ["group"]         # default: all (ultra_group included)
moderation_users = ["alice"]                 # senders held (default: everyone)
moderation_timeout_seconds = 2.0             # no answer by then:
moderation_on_timeout = "deliver"            # or "block"
timeout_seconds = 5.0                        # each request
retry_base_seconds = 0.5                     # backoff: doubled per failure, jittered,
retry_max_seconds = 60.0                     # up to this
queue_limit = 100000                         # waiting requests kept (on disk)
when_full = "drop-oldest"                    # or "drop-newest"
concurrency = 8                              # conversations sent to at once
```
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

from imkit_tui.protocol import ConversationType
from imkit_tui.server.hooks.plan import DROP_OLDEST, WHEN_FULL, RetryPolicy

CONVERSATION_KINDS: dict[str, int] = {
    "private": ConversationType.PRIVATE,
    "group": ConversationType.GROUP,
    "system": ConversationType.SYSTEM,
    "chatroom": ConversationType.CHATROOM,
    "app_public_service": ConversationType.APP_PUBLIC_SERVICE,
    "public_service": ConversationType.PUBLIC_SERVICE,
    "customer_service": ConversationType.CUSTOMER_SERVICE,
}
"""The conversation kinds routing can be limited to, by the name the config uses."""

MODERATED_KINDS: dict[str, int] = {
    **CONVERSATION_KINDS,
    "ultra_group": ConversationType.ULTRA_GROUP,
}
"""The conversation kinds the message callback can hold: routing's, and ultra groups'
messages and edits (full routing, as the service has it, leaves ultra groups out)."""


@dataclass(frozen=True, slots=True)
class HooksConfig:
    """The `[hooks]` table (see the module's docstring); empty URLs switch a part off."""

    routing_url: str = ""
    routing_types: tuple[str, ...] = ()
    routing_conversations: tuple[str, ...] = tuple(CONVERSATION_KINDS)
    status_url: str = ""
    status_coalesce_seconds: float = 1.0
    chatroom_status_url: str = ""
    push: bool = False
    push_url: str = ""
    push_interval_seconds: float = 10.0
    push_coalesce_seconds: float = 2.0
    push_mentions_under_dnd: bool = True
    moderation_url: str = ""
    moderation_types: tuple[str, ...] = ()
    moderation_conversations: tuple[str, ...] = tuple(MODERATED_KINDS)
    moderation_users: tuple[str, ...] = ()
    moderation_timeout_seconds: float = 2.0
    moderation_on_timeout: str = "deliver"
    timeout_seconds: float = 5.0
    retry_base_seconds: float = 0.5
    retry_max_seconds: float = 60.0
    queue_limit: int = 100_000
    when_full: str = DROP_OLDEST
    concurrency: int = 8

    def __post_init__(self) -> None:
        for name, known in (
            ("routing_conversations", CONVERSATION_KINDS),
            ("moderation_conversations", MODERATED_KINDS),
        ):
            unknown = sorted(set(getattr(self, name)) - set(known))
            if unknown:
                raise ValueError(
                    f"{name}: unknown {', '.join(unknown)} (known: {', '.join(known)})"
                )
        if self.moderation_on_timeout not in ("deliver", "block"):
            raise ValueError('moderation_on_timeout must be "deliver" or "block"')
        if self.when_full not in WHEN_FULL:
            raise ValueError(f"when_full must be one of {', '.join(WHEN_FULL)}")
        positive = (
            "timeout_seconds",
            "moderation_timeout_seconds",
            "retry_base_seconds",
            "queue_limit",
            "concurrency",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        waits = ("status_coalesce_seconds", "push_interval_seconds", "push_coalesce_seconds")
        for name in waits:
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        RetryPolicy(self.retry_base_ms, self.retry_max_ms)

    @property
    def enabled(self) -> bool:
        """Whether anything goes to the backend at all."""
        return bool(
            self.routing_url
            or self.status_url
            or self.chatroom_status_url
            or self.pushes
            or self.moderation_url
        )

    @property
    def pushes(self) -> bool:
        """Whether offline pushes are sent (`push`, or an operator's `push_url`)."""
        return self.push or bool(self.push_url)

    @property
    def retry_base_ms(self) -> int:
        """The first backoff, in milliseconds."""
        return max(1, int(self.retry_base_seconds * 1000))

    @property
    def retry_max_ms(self) -> int:
        """The longest backoff, in milliseconds."""
        return max(self.retry_base_ms, int(self.retry_max_seconds * 1000))

    @property
    def moderated_kinds(self) -> frozenset[int]:
        """The conversation types whose messages are held for the message callback."""
        return _kinds(self.moderation_conversations)

    @property
    def routed_kinds(self) -> frozenset[int]:
        """The conversation types routed."""
        return _kinds(self.routing_conversations)

    def routes(self, conv_type: int, object_name: str) -> bool:
        """Whether a stored message of `object_name` in a `conv_type` conversation is routed."""
        if not self.routing_url or conv_type not in self.routed_kinds:
            return False
        return not self.routing_types or object_name in self.routing_types


@lru_cache(maxsize=64)
def _kinds(names: tuple[str, ...]) -> frozenset[int]:
    """The conversation types of the kinds `names` (asked for every message: kept)."""
    return frozenset(MODERATED_KINDS[name] for name in names)


def hooks_config(table: dict[str, Any], **overrides: Any) -> HooksConfig:
    """The config of a `[hooks]` table, with `overrides` (flags) that are not None;
    ValueError naming a key that is unknown or of the wrong type."""
    known = {f.name: f for f in fields(HooksConfig)}
    values: dict[str, Any] = {}
    for key, value in {**table, **{k: v for k, v in overrides.items() if v is not None}}.items():
        if key not in known:
            raise ValueError(f"[hooks]: unknown key {key!r} (known: {', '.join(known)})")
        default = getattr(HooksConfig(), key)
        if isinstance(default, tuple):
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"[hooks]: {key} must be a list of strings")
            value = tuple(value)
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise ValueError(f"[hooks]: {key} must be true or false")
        elif isinstance(default, float):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"[hooks]: {key} must be a number")
            value = float(value)
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"[hooks]: {key} must be an integer")
        elif not isinstance(value, str):
            raise ValueError(f"[hooks]: {key} must be a string")
        values[key] = value
    return HooksConfig(**values)
