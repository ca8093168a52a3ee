"""The ultra group sync's decisions, sans I/O: which channels to pull, up to which seq.

Ultra groups are stored by read diffusion: the server's change cursor never moves for
them, so the post-connect sync does not list them. The client asks UltraSync instead and
gets, per group and channel, the newest seq, the user's read position and the counts.
A channel whose newest seq this device does not hold is pulled (a channel new here
starts from its latest page, as any conversation: core/engine/pages.py); one the user
cannot read anything of yet (its newest seq is below where the user joined) is not.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from imkit_tui.core.engine.seqs import SeqTracker
from imkit_tui.core.engine.sync import Wanted
from imkit_tui.protocol import ConversationType, ConvRef, UltraState


def channel_convs(states: Sequence[UltraState]) -> Iterator[ConvRef]:
    """Every channel the states name, as conversations."""
    for state in states:
        for channel in state.channels:
            yield ConvRef(
                type=ConversationType.ULTRA_GROUP, target=state.group, channel=channel.channel
            )


def channels_to_pull(
    states: Sequence[UltraState], trackers: Mapping[ConvRef, SeqTracker]
) -> list[Wanted]:
    """The channels with messages this device lacks, each with its tracker and the seq
    to hold up to; `trackers` holds the tracker of every channel the states name."""
    wanted: list[Wanted] = []
    for state in states:
        for channel in state.channels:
            conv = ConvRef(
                type=ConversationType.ULTRA_GROUP, target=state.group, channel=channel.channel
            )
            tracker = trackers[conv]
            readable = channel.max_seq >= max(channel.first_seq, 1)
            if readable and tracker.synced < channel.max_seq:
                wanted.append((conv, tracker, channel.max_seq))
    return wanted
