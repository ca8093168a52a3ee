"""The chatroom rules alone, with times as numbers: a room's budget by priority, marks
that end, the auto-exit planner, the attribute rules, and the serve flags."""

from __future__ import annotations

import argparse

import pytest

from imkit_tui.commands import serve_chatrooms
from imkit_tui.protocol import AttrSet, ErrorCode, ProtocolError
from imkit_tui.server.chatrooms.attributes import RoomAttributes
from imkit_tui.server.chatrooms.auto_exit import AutoExitPlanner, AutoExitRule
from imkit_tui.server.chatrooms.budget import BudgetRule, Priority, RoomBudget
from imkit_tui.server.chatrooms.expiry import FOREVER, Expiring, until_from_minutes
from imkit_tui.server.chatrooms.settings import PublicRoom


def test_a_budget_window_slides_and_keeps_room_for_high_priority() -> None:
    budget = RoomBudget(BudgetRule(limit=4, window_ms=200, reserved_high=2))
    assert [budget.admit(Priority.LOW, 0) for _ in range(3)] == [True, True, False]
    assert [budget.admit(Priority.HIGH, 10) for _ in range(3)] == [True, True, False]
    assert budget.admit(Priority.WHITELISTED, 20)
    assert not budget.admit(Priority.LOW, 199)
    assert not budget.admit(Priority.LOW, 200)  # the high ones of 10 ms still count
    assert budget.admit(Priority.LOW, 210)  # the window has moved past them all
    with pytest.raises(ValueError):
        BudgetRule(limit=4, reserved_high=5)


def test_marks_end_once_and_a_later_mark_replaces_an_earlier() -> None:
    marks: Expiring[str] = Expiring()
    marks.set("a", 100)
    marks.set("b", FOREVER)
    marks.set("a", 300)  # extended: its first end is stale
    assert marks.due(150) == []
    assert marks.active("a", 299) and not marks.active("a", 300)
    assert marks.due(300) == ["a"] and marks.due(400) == []
    assert marks.active("b", 10**12)
    assert until_from_minutes(0, 5) == FOREVER and until_from_minutes(2, 5) == 120_005


def test_the_planner_counts_from_the_first_new_message_and_forgets_those_back() -> None:
    planner = AutoExitPlanner(AutoExitRule(after_ms=1000, after_messages=3))
    planner.away("r", "bob")
    assert planner.due(10_000) == []  # nothing arrived: nothing counts
    assert planner.message("r", 20_000) == []
    planner.back("r", "bob")
    planner.away("r", "bob")  # away again: the old count is void
    assert planner.message("r", 20_100) == []
    assert planner.message("r", 20_200) == []
    assert planner.due(21_099) == []
    assert planner.due(21_100) == [("r", "bob")]
    planner.away("r", "amy")
    assert [planner.message("r", 30_000 + i) for i in range(3)] == [[], [], ["amy"]]


def test_own_keys_update_others_need_overwrite_and_force() -> None:
    attrs = RoomAttributes(limit=2)
    attrs.set("amy", [AttrSet(key="a", value="1")], 1)
    attrs.set("amy", [AttrSet(key="a", value="2")], 2)
    with pytest.raises(ProtocolError) as refused:
        attrs.set("bob", [AttrSet(key="a", value="3")], 3)
    assert refused.value.code == ErrorCode.CHATROOM_KV_OVERWRITE_INVALID
    with pytest.raises(ProtocolError) as full:
        attrs.set("bob", [AttrSet(key="b", value="x"), AttrSet(key="c", value="y")], 4)
    assert full.value.code == ErrorCode.CHATROOM_KV_EXCEED and len(attrs) == 1
    with pytest.raises(ProtocolError):
        attrs.remove("bob", ["a"], force=False)
    assert [a.value for a in attrs.remove("bob", ["a"], force=True)] == ["2"]


def test_the_serve_flags_make_the_chatroom_settings() -> None:
    parser = argparse.ArgumentParser()
    serve_chatrooms.add_arguments(parser)
    args = parser.parse_args(
        [
            "--chatroom",
            "lobby=The Lobby",
            "--chatroom",
            "stage",
            "--chatroom-history",
            "--chatroom-budget",
            "60",
            "--chatroom-exit",
            "10,5",
            "--chatroom-idle-minutes",
            "0",
        ]
    )
    settings = serve_chatrooms.chatroom_settings(args)
    assert settings.public_rooms == (PublicRoom("lobby", "The Lobby"), PublicRoom("stage", ""))
    assert settings.history and settings.history_days == 60
    assert (settings.budget.limit, settings.budget.reserved_high) == (60, 30)
    assert (settings.auto_exit.after_ms, settings.auto_exit.after_messages) == (10_000, 5)
    assert settings.idle_destroy_ms == 0
    with pytest.raises(ValueError):
        serve_chatrooms.chatroom_settings(parser.parse_args(["--chatroom-exit", "soon"]))
