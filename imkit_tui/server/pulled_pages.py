"""A pull's page as its reader gets it, from the stored rows of either store (sans-I/O):
their numbering, tombstones for what they deleted, placeholders for unreadable content."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from imkit_tui import messages
from imkit_tui.protocol import (
    UNREADABLE,
    ConvRef,
    MessageRecord,
    readable_content,
    unreadable_content,
)
from imkit_tui.server.seq_views import SeqView, TargetedMessages, named_in
from imkit_tui.server.store_records import Page


def pulled_page(
    rows: Sequence[Sequence[Any]],
    limit: int,
    seen_as: ConvRef,
    view: SeqView,
    deleted: set[int],
    targeted: TargetedMessages | None,
    floor: int,
) -> Page:
    """A pull's page from up to `limit` + 1 rows (one more: there are more), numbered
    by the reader's `view`, `floor` the first conversation seq they may read."""
    messages = [
        pulled_record(r, seen_as, view.to_member(r[1]), r[1] in deleted, targeted)
        for r in rows[:limit]
    ]
    return Page(
        messages=messages, has_more=len(rows) > limit, floor_seq=view.to_member(floor - 1) + 1
    )


def pulled_record(
    row: Sequence[Any],
    seen_as: ConvRef,
    seq: int,
    deleted: bool,
    targeted: TargetedMessages | None,
) -> MessageRecord:
    """A pulled row as its reader gets it: a tombstone if they deleted it, the
    UNREADABLE placeholder if its stored content cannot travel (too deep, not JSON)."""
    object_name: str = row[4]
    readable = {} if deleted else readable_content(row[5])
    if deleted:
        object_name = messages.DELETED
    content = readable if readable is not None else unreadable_content(object_name)
    if readable is None:
        object_name = UNREADABLE
    return MessageRecord(
        uid=row[0],
        conv=seen_as,
        seq=seq,
        sender=row[2],
        cmid=row[3],
        object_name=object_name,
        content=content,
        sent_at=row[6],
        to=named_in(targeted, row[1], row[2]),
    )
