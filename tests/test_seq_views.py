"""Targeted messages' seq views read by the event loop while a store job, on the
writer's thread, adds a targeted message: never a seq without its audience, never a
view kept from before the message it misses."""

from __future__ import annotations

from imkit_tui.server.seq_views import SeqView, TargetedMessages


def test_a_view_read_halfway_through_an_add_leaves_out_the_seq_without_its_audience() -> None:
    targeted = TargetedMessages()
    targeted.add(3, {"alice", "bob"})
    views_before = targeted._views
    targeted.seqs.append(5)  # the thread was switched out here, inside add
    assert targeted.view("carol").hidden == (3,)
    targeted.audiences.append(frozenset({"alice", "bob"}))
    targeted._views = {}  # the rest of add
    assert targeted.view("carol").hidden == (3, 5)
    assert views_before.get("carol") is not None, "the stale view went to the old map"


def test_a_view_built_from_before_an_add_is_not_kept_after_it() -> None:
    targeted = TargetedMessages()
    targeted.add(2, {"alice", "bob"})
    views = targeted._views  # the loop started building carol's view here
    targeted.add(4, {"alice", "bob"})  # the thread added a message meanwhile
    views["carol"] = SeqView((2,))  # the loop stores what it built, late
    assert targeted.view("carol").hidden == (2, 4)
