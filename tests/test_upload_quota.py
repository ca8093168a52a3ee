"""The upload quota's rules without I/O: room for one more unfinished upload, a day's
bytes and the day that starts over, and the counts one node keeps in memory."""

from __future__ import annotations

import pytest

from imkit_tui.protocol import ErrorCode, ProtocolError
from imkit_tui.server.upload_quota import (
    DAY_MS,
    DayCount,
    MemoryUploadCounts,
    UploadQuota,
    check_room,
)

QUOTA = UploadQuota(max_open=2, max_pending_bytes=100, bytes_per_day=1000)


def test_room_for_an_upload_counts_the_others_and_its_own_new_size() -> None:
    check_room(QUOTA, {"a": 60}, "b", 40)
    check_room(QUOTA, {"a": 60, "b": 40}, "b", 40)  # announced again: no new upload
    check_room(QUOTA, {"a": 60, "b": 40}, "a", 60)
    with pytest.raises(ProtocolError, match="at most 2 unfinished") as refused:
        check_room(QUOTA, {"a": 1, "b": 1}, "c", 1)
    assert refused.value.code == ErrorCode.RATE_LIMITED
    with pytest.raises(ProtocolError, match="at most 100 bytes"):
        check_room(QUOTA, {"a": 60}, "b", 41)
    with pytest.raises(ProtocolError, match="at most 100 bytes"):
        check_room(QUOTA, {"a": 60, "b": 40}, "b", 41)  # grown past the room


def test_a_days_bytes_start_over_a_day_after_the_first() -> None:
    day = DayCount().add(QUOTA, 600, 5000)
    assert day == DayCount(5000, 600)
    day = day.add(QUOTA, 400, 5000 + DAY_MS - 1)
    with pytest.raises(ProtocolError, match="1000 bytes a day reached"):
        day.add(QUOTA, 1, 5000 + DAY_MS - 1)
    assert day.add(QUOTA, 1000, 5000 + DAY_MS) == DayCount(5000 + DAY_MS, 1000)
    with pytest.raises(ProtocolError):
        DayCount().add(QUOTA, 1001, 1)


async def test_memory_counts_refuse_counting_nothing_and_forget_closed_uploads() -> None:
    counts = MemoryUploadCounts()
    await counts.open(QUOTA, "ann", "a", 60, 10)
    await counts.open(QUOTA, "ann", "a", 70, 20)  # announced again: still from 10
    with pytest.raises(ProtocolError):
        await counts.open(QUOTA, "ann", "b", 31, 30)
    await counts.open(QUOTA, "ann", "b", 30, 30)
    await counts.open(QUOTA, "ben", "a", 100, 40)
    assert await counts.opened_before(31) == [("ann", "a"), ("ann", "b")]
    await counts.close("ann", "a")
    await counts.close("ann", "a")  # twice changes nothing
    await counts.open(QUOTA, "ann", "c", 70, 50)
    assert await counts.opened_before(100) == [("ann", "b"), ("ann", "c"), ("ben", "a")]
    await counts.receive(QUOTA, "ann", 1000, 60)
    with pytest.raises(ProtocolError):
        await counts.receive(QUOTA, "ann", 1, 61)
    await counts.receive(QUOTA, "ben", 1000, 61)  # each user their own
