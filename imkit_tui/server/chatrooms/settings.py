"""The chatroom settings of the server (`ServerConfig.chatrooms`), with the service's
defaults. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

from imkit_tui.server.chatrooms.auto_exit import AutoExitRule
from imkit_tui.server.chatrooms.budget import BudgetRule

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True, slots=True)
class PublicRoom:
    """A room the server offers to everyone (kept alive; listed by ChatroomList)."""

    room: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class ChatroomSettings:
    """How the server runs chatrooms.

    - `budget`: per room, upstream messages accepted per window, some reserved for high
      priority (40 per 200 ms, 20 reserved).
    - `auto_exit`: members offline leave after this time or these many new messages,
      counted from the first new message (30 s, 30).
    - `max_low_priority`: how many object names may be marked low priority (20).
    - `idle_destroy_seconds`: a room with no members for this long is destroyed unless
      kept alive (default 1 hour; 0 never).
    - `max_members`: the most members a room may have (0: no cap).
    - `history`: whether the room messages are kept as cloud history (off, as the
      service's default); `history_days` how long (2 months); `history_all`: a pull
      reads every kept message, not only those sent while the puller was a member.
    - `public_rooms`: the rooms the server offers (created at start, kept alive).
    - `sweep_seconds`: how often ended mutes and bans are lifted, away members let go
      and idle rooms destroyed.
    """

    budget: BudgetRule = field(default_factory=BudgetRule)
    auto_exit: AutoExitRule = field(default_factory=AutoExitRule)
    max_low_priority: int = 20
    idle_destroy_seconds: float = 3600.0
    max_members: int = 0
    history: bool = False
    history_days: int = 60
    history_all: bool = False
    public_rooms: tuple[PublicRoom, ...] = ()
    sweep_seconds: float = 1.0

    def __post_init__(self) -> None:
        if self.max_low_priority < 0 or self.max_members < 0:
            raise ValueError("chatroom limits must not be negative")
        if self.idle_destroy_seconds < 0 or self.sweep_seconds <= 0:
            raise ValueError("chatroom times must be positive")
        if self.history_days < 1:
            raise ValueError("chatroom history_days must be at least 1")

    @property
    def idle_destroy_ms(self) -> int:
        """`idle_destroy_seconds` in milliseconds (0: never)."""
        return int(self.idle_destroy_seconds * 1000)

    @property
    def history_ms(self) -> int:
        """How long cloud history is kept, in milliseconds."""
        return self.history_days * DAY_MS


def public_room(text: str) -> PublicRoom:
    """A public room from its configured text: "id" or "id=name"."""
    room, _, name = text.partition("=")
    room = room.strip()
    if not room or len(room) > 64:
        raise ValueError(f"not a room id: {text!r}")
    return PublicRoom(room, name.strip())
