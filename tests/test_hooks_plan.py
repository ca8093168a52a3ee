"""The outgoing queue's decisions, status coalescing and push coalescing, with no I/O."""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from types import FrameType
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imkit_tui.server.hooks import plan as plan_module
from imkit_tui.server.hooks.forms import LOGOUT, OFFLINE, ONLINE, form_body
from imkit_tui.server.hooks.plan import DROP_NEWEST, DROP_OLDEST, Entry, Plan, RetryPolicy
from imkit_tui.server.hooks.push_board import PushBoard
from imkit_tui.server.hooks.settings import hooks_config
from imkit_tui.server.hooks.status import StatusBoard


def entries(lane: str, ids: range) -> list[Entry]:
    return [Entry(i, lane, "route", str(i)) for i in ids]


def test_one_entry_in_flight_per_lane_in_order() -> None:
    plan = Plan(100)
    plan.extend([*entries("a", range(1, 4)), *entries("b", range(4, 6))])
    first = plan.due(0)
    assert [e.id for e in first] == [1, 4]
    assert plan.due(0) == []  # both lanes are in flight
    plan.succeeded(first[0])
    assert [e.id for e in plan.due(0)] == [2]
    plan.failed(first[1], now_ms=0)
    again = plan.due(10**9)
    assert [e.id for e in again] == [4]  # lane b retries its head, never skips it


def test_a_failed_head_holds_its_lane_until_its_backoff_passes() -> None:
    plan = Plan(100, retry=RetryPolicy(base_ms=1000, cap_ms=8000), rng=random.Random(1))
    plan.extend(entries("a", range(1, 3)))
    (head,) = plan.due(0)
    when = plan.failed(head, now_ms=0)
    assert 500 <= when <= 1000
    assert plan.due(when - 1) == []
    assert plan.next_due() == when
    assert [e.id for e in plan.due(when)] == [1]


def test_backoff_doubles_up_to_the_cap_with_jitter() -> None:
    policy = RetryPolicy(base_ms=100, cap_ms=1000)
    rng = random.Random(7)
    for attempts, ceiling in [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1000), (40, 1000)]:
        delays = {policy.delay_ms(attempts, rng) for _ in range(200)}
        assert min(delays) >= ceiling // 2 and max(delays) <= ceiling
        assert len(delays) > 10  # jittered, not one fixed wait


def test_full_queue_drops_the_oldest_idle_entry() -> None:
    plan = Plan(3, DROP_OLDEST)
    plan.extend(entries("a", range(1, 3)))
    (head,) = plan.due(0)  # entry 1 is in flight: it is not the one dropped
    dropped = plan.add(Entry(3, "b", "route", ""))
    assert dropped == []
    dropped = plan.add(Entry(4, "b", "route", ""))
    assert [e.id for e in dropped] == [2]
    assert len(plan) == 3 and plan.dropped == 1
    plan.succeeded(head)
    assert [e.id for e in plan.due(0)] == [3]


def test_full_queue_drops_the_newest_when_told() -> None:
    plan = Plan(2, DROP_NEWEST)
    plan.extend(entries("a", range(1, 3)))
    new = Entry(3, "a", "route", "")
    assert plan.add(new) == [new]
    assert len(plan) == 2 and plan.dropped == 1


def test_status_flaps_are_coalesced_and_read_from_the_sessions() -> None:
    board = StatusBoard(window_ms=1000)
    online = {"alice": True}
    board.mark("alice", "pc", 0)
    board.mark("alice", "pc", 100)
    board.mark("alice", "pc", 200)
    assert board.due(999, online.get) == []
    (report,) = board.due(1000, lambda u: online.get(u, False))
    assert (report.status, report.at_ms) == (ONLINE, 200)
    # out and back within the window: nothing changed, nothing reported
    board.mark("alice", "pc", 2000)
    board.mark("alice", "pc", 2100)
    assert board.due(5000, lambda u: True) == []
    board.mark("alice", "pc", 6000, logout=True)
    (gone,) = board.due(7000, lambda u: False)
    assert gone.status == LOGOUT
    board.mark("bob", "pc", 0)
    assert board.due(1000, lambda u: False) == []  # never reported online: still offline
    assert OFFLINE != LOGOUT


def test_a_burst_is_one_push_and_pushes_are_rate_limited() -> None:
    board = PushBoard(gather_ms=1000, interval_ms=10_000)
    for i in range(5):
        board.note("bob", "json://x", "alice", f"hi {i}", now_ms=i * 10)
    assert board.due(999) == []
    (notice,) = board.due(1000)
    assert notice.title == "5 new messages" and notice.body == "alice: hi 4"
    board.note("bob", "json://x", "alice", "later", now_ms=2000)
    assert board.next_due() == 11_000  # not before the interval since the last push
    assert board.due(10_999) == []
    (single,) = board.due(11_000)
    assert (single.title, single.body) == ("alice", "later")
    board.note("bob", "json://x", "alice", "gone", now_ms=30_000)
    board.forget("bob")
    assert board.due(99_000) == []


def test_config_table_is_checked() -> None:
    config = hooks_config({"routing_url": "http://x", "routing_types": ["RC:TxtMsg"]})
    assert config.routes(1, "RC:TxtMsg") and not config.routes(1, "RC:ImgMsg")
    assert not hooks_config({"routing_conversations": ["group"], "routing_url": "u"}).routes(
        1, "RC:TxtMsg"
    )
    assert hooks_config({}, push_url="json://x").push_url == "json://x"
    assert not hooks_config({}).enabled
    for bad in [{"nope": 1}, {"queue_limit": "x"}, {"routing_conversations": ["room"]}]:
        with pytest.raises(ValueError):
            hooks_config(bad)


def test_push_content_replaces_the_summary() -> None:
    board = PushBoard(gather_ms=0, interval_ms=0)
    board.note("bob", "json://x", "alice", "[Image]", now_ms=0, uid="u1")
    (one,) = board.due(0)
    assert one.given_text("A photo").body == "A photo" and one.given_text("") is one
    for uid in ("u2", "u3"):
        board.note("bob", "json://x", "alice", "hi", now_ms=1, uid=uid)
    (two,) = board.due(1)
    assert (two.uid, two.count) == ("u3", 2)
    assert two.given_text("New!").title == "2 new messages"


@given(st.dictionaries(st.text(), st.text()))
def test_a_form_is_encoded_as_urlencode_does(form: dict[str, str]) -> None:
    assert form_body(form) == urlencode(form)


def test_an_entry_taken_late_goes_to_its_place_in_its_lane() -> None:
    plan = Plan(10)
    for entry in (Entry(1, "a", "route", "1"), Entry(3, "a", "route", "3")):
        plan.add(entry)
    (head,) = plan.due(0)
    assert head.id == 1
    plan.add(Entry(2, "a", "route", "2"))  # committed before 3, heard of after it
    plan.succeeded(head)
    order = []
    while due := plan.due(0):
        order.append(due[0].id)
        plan.succeeded(due[0])
    assert order == [2, 3]


def _lines_run(operation: Callable[[], object]) -> int:
    """How many lines of plan.py `operation` runs (a count, not a time)."""
    count = 0

    def trace(frame: FrameType, event: str, arg: object) -> Callable[..., object] | None:
        nonlocal count
        if frame.f_code.co_filename == plan_module.__file__:
            if event == "line":
                count += 1
            return trace
        return None

    sys.settrace(trace)
    try:
        operation()
    finally:
        sys.settrace(None)
    return count


def _waiting(lanes: int) -> Plan:
    """A plan with `lanes` conversations each waiting for a retry (the backend is down)."""
    plan = Plan(1_000_000, retry=RetryPolicy(1000, 1000), rng=random.Random(1))
    for i in range(lanes):
        plan.add(Entry(i + 1, f"lane {i}", "route", ""))
    for entry in plan.due(0):
        plan.failed(entry, 0)
    return plan


def test_a_wake_up_costs_the_same_with_100_or_100_000_conversations_waiting() -> None:
    """A new message queued, sent and delivered while the backend is down for 100 or
    100,000 other conversations: the same work (before, every wake-up looked at every
    waiting conversation: 400,028 lines against 428)."""
    costs = []
    for lanes in (100, 100_000):
        plan = _waiting(lanes)

        def one_message(plan: Plan = plan, lanes: int = lanes) -> None:
            plan.add(Entry(lanes + 1, "a new one", "route", ""))
            (entry,) = plan.due(10)
            assert plan.next_due() is not None
            plan.succeeded(entry)

        costs.append(_lines_run(one_message))
    assert costs[1] <= costs[0] * 2, costs
