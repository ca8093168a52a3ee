"""The inbound work, in arrival order, and the bursts it is taken in.

Everything that changes what this device holds of the conversations (the post-connect
sync, pushes, conversation updates, own messages' acks) goes through one queue and is
applied one item at a time, so the seq bookkeeping never races. A push that comes while
the sync runs waits here behind it: it is stored after the sync's pages, never before.
Pushes queued one behind the other are taken together (stored in one transaction).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from imkit_tui.core.models import Message
from imkit_tui.protocol import (
    ConversationUpdate,
    ConvRef,
    MessageRecord,
    Push,
    UltraDeleted,
    UltraInfo,
    UltraState,
)


@dataclass(frozen=True, slots=True)
class SyncAll:
    """Sync everything that changed since the cursor (queued on each login)."""


@dataclass(frozen=True, slots=True)
class Acked:
    """An own message (or recall) got `seq` in `conv`; `message` is the sent message
    as stored, to publish (None for a recall, which publishes its own notice)."""

    conv: ConvRef
    seq: int
    message: Message | None = None


@dataclass(frozen=True, slots=True)
class Pushes:
    """A burst of pushed records, in arrival order."""

    records: list[MessageRecord]


@dataclass(frozen=True, slots=True)
class UltraStates:
    """The server's view of ultra groups (the answer to an UltraSync, an UltraUpdate):
    pull the channels this device lacks, then merge the states (core/engine/ultra.py).
    `every_group`: the user is in no other ultra group; `answers_read`: the channel
    whose pending read position this confirms; `done` is called once applied (or
    failed)."""

    states: tuple[UltraState, ...]
    every_group: bool = False
    answers_read: ConvRef | None = None
    done: Callable[[], None] | None = None


@dataclass(frozen=True, slots=True)
class UltraFrame:
    """An ultra group as it now is (UltraInfo), or messages of it deleted by time
    (UltraDeleted), to apply; `done` is called once applied (or failed)."""

    frame: UltraInfo | UltraDeleted
    done: Callable[[], None] | None = None


UltraWork = UltraStates | UltraFrame
"""Ultra group work: states, a group as it now is, messages deleted by time."""

Work = SyncAll | Acked | Push | ConversationUpdate | UltraWork
"""One item of inbound work as it is queued."""

Taken = SyncAll | Acked | Pushes | ConversationUpdate | UltraWork
"""One item of inbound work as it is applied (pushes grouped)."""


class WorkQueue:
    """Inbound work in arrival order; :meth:`take` groups pushes into bursts."""

    def __init__(self) -> None:
        self._items: deque[Work] = deque()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: Work) -> None:
        """Queue `item` behind everything queued before it."""
        self._items.append(item)

    def take(self) -> Taken | None:
        """The next item to apply, None when empty: a push with every push queued right
        behind it, up to the first other item (which stays first in the queue)."""
        if not self._items:
            return None
        first = self._items.popleft()
        if not isinstance(first, Push):
            return first
        records = [first.message]
        while self._items and isinstance(self._items[0], Push):
            nxt = self._items.popleft()
            assert isinstance(nxt, Push)
            records.append(nxt.message)
        return Pushes(records)
