"""Seq bookkeeping without I/O: order of arrival never matters, gaps are found."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from imkit_tui.core.engine import SeqTracker


@given(st.permutations(list(range(1, 60))))
def test_any_arrival_order_ends_fully_synced(order: list[int]) -> None:
    tracker = SeqTracker()
    for seq in order:
        tracker.add([seq])
        assert tracker.has(seq)
    assert tracker.synced == 59
    assert tracker.gap() is None
    assert tracker.floor == 1


@given(st.sets(st.integers(1, 80), max_size=40))
def test_synced_is_the_longest_run_from_the_start_and_gap_starts_after_it(held: set[int]) -> None:
    tracker = SeqTracker()
    tracker.add(held)
    expected = 0
    while expected + 1 in held:
        expected += 1
    assert tracker.synced == expected
    above = {s for s in held if s > expected}
    if above:
        assert tracker.gap() == (expected + 1, min(above) - 1)
    else:
        assert tracker.gap() is None
    assert all(tracker.has(s) for s in held)
    assert not any(tracker.has(s) for s in range(1, 81) if s not in held)


def test_duplicates_change_nothing() -> None:
    tracker = SeqTracker(synced=5, floor=1)
    tracker.add([3, 5, 5])
    assert tracker.synced == 5 and tracker.gap() is None


def test_restart_skips_what_expired_and_keeps_what_is_held_above() -> None:
    tracker = SeqTracker(synced=3, floor=1)
    tracker.add([12])
    tracker.restart_at(10)
    assert (tracker.floor, tracker.synced) == (10, 9)
    tracker.add([10, 11])
    assert tracker.synced == 12 and tracker.gap() is None
    assert not tracker.has(5)


def test_restart_below_synced_is_ignored() -> None:
    tracker = SeqTracker(synced=8, floor=2)
    tracker.restart_at(4)
    assert (tracker.floor, tracker.synced) == (2, 8)
