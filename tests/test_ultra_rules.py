"""The ultra group rules that decide without I/O: levels, edits, where a view starts."""

from __future__ import annotations

import pytest

from imkit_tui import messages
from imkit_tui.protocol import ErrorCode, edit_applies
from imkit_tui.server.ultra.levels import (
    Mention,
    counts_as_mention,
    effective_level,
    mention_of,
    notifies,
)
from imkit_tui.server.ultra.rules import ViewStart, count_after, edit_refusal

ME, ALL, NOBODY = Mention(me=True), Mention(everyone=True), Mention()


def test_the_level_in_force_falls_back_from_channel_to_group_to_owner_to_all() -> None:
    assert effective_level("none", "all", "mentions") == "none"
    assert effective_level("default", "mentions_me", "none") == "mentions_me"
    assert effective_level("default", "default", "mentions") == "mentions"
    assert effective_level("default", "default", "default") == "all"
    assert effective_level("bogus", "default", "all") == "all"


@pytest.mark.parametrize(
    ("level", "me", "everyone", "plain"),
    [
        ("all", True, True, False),
        ("mentions", True, True, False),
        ("mentions_me", True, False, False),
        ("none", False, False, False),
    ],
)
def test_what_counts_as_a_mention_at_each_level(
    level: str, me: bool, everyone: bool, plain: bool
) -> None:
    assert counts_as_mention(level, ME) is me
    assert counts_as_mention(level, ALL) is everyone
    assert counts_as_mention(level, NOBODY) is plain


def test_what_notifies_and_dnd_silences_everything() -> None:
    assert notifies("all", False, NOBODY)
    assert not notifies("mentions", False, NOBODY) and notifies("mentions", False, ALL)
    assert not notifies("mentions_me", False, ALL) and notifies("mentions_me", False, ME)
    assert not notifies("none", False, ME)
    assert not any(notifies(level, True, ME) for level in ("all", "mentions", "mentions_me"))
    assert mention_of("bo", False, ",bob,bo,") == ME
    assert mention_of("b", True, ",bob,") == ALL


def test_only_the_sender_edits_a_content_message_and_the_newest_edit_wins() -> None:
    assert edit_refusal("alice", messages.TEXT, "alice") is None
    assert edit_refusal("alice", messages.TEXT, "bob") == ErrorCode.MESSAGE_NOT_MODIFIABLE
    assert edit_refusal("alice", messages.RECALL_NTF, "alice") == ErrorCode.MESSAGE_NOT_MODIFIABLE
    assert edit_refusal("alice", messages.EDIT, "alice") == ErrorCode.MESSAGE_NOT_MODIFIABLE
    assert edit_applies(0, 5) and edit_applies(5, 7) and not edit_applies(7, 5)


def test_a_view_starts_at_the_latest_bound_and_counts_from_the_read_position() -> None:
    start = ViewStart(
        join_seq=10,
        pre_join_history=False,
        floor_at=100,
        cleared_group=300,
        cleared_channel=200,
        retention_from=50,
    )
    assert start.not_before == 300
    assert start.first_seq(first_at_time=4) == 11  # the join is later than the times
    assert start.first_seq(first_at_time=20) == 20
    open_history = ViewStart(0, True, 0, 0, 0, 0)
    assert open_history.first_seq(first_at_time=1) == 1
    assert count_after(read_seq=3, first_visible_seq=11) == 10
    assert count_after(read_seq=15, first_visible_seq=11) == 15
