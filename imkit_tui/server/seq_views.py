"""How each member numbers a conversation that holds targeted messages.

A targeted message is stored once, in the conversation's seq order, and only its
audience (the members it was sent to, and its sender) may ever see it. Everyone else
must see no gap, no count and no trace, so the seqs a member sees are their own
numbering: the conversation's seqs with the ones hidden from them left out. For a member
who can see everything, and in every conversation without targeted messages (nearly all
of them), the two numberings are the same and nothing is computed.

The store keeps conversation seqs; the server translates at its edge: every seq it sends
goes through `to_member`, every seq a client sends through `to_conversation`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SeqView:
    """One member's numbering of one conversation: the conversation seqs hidden from
    them, in order."""

    hidden: tuple[int, ...] = ()

    def sees(self, seq: int) -> bool:
        """Whether the message at conversation seq `seq` is visible to this member."""
        if not self.hidden:
            return True
        index = bisect_right(self.hidden, seq)
        return not (index and self.hidden[index - 1] == seq)

    def to_member(self, seq: int) -> int:
        """The member's seq of conversation seq `seq` (for a hidden seq: the member's seq
        of the last message before it that they see)."""
        return seq - bisect_right(self.hidden, seq) if self.hidden else seq

    def to_conversation(self, member_seq: int) -> int:
        """The conversation seq of the member's seq `member_seq` (0 stays 0)."""
        seq = member_seq
        for hidden in self.hidden:
            if hidden <= seq:
                seq += 1
            else:
                break
        return seq

    def to_members(self, seqs: Iterable[int]) -> list[int]:
        """`to_member` of each visible seq in `seqs`, in order."""
        return [self.to_member(seq) for seq in seqs if self.sees(seq)]


EVERYTHING = SeqView()
"""The view of a member who sees every message of the conversation."""


@dataclass(slots=True)
class TargetedMessages:
    """The targeted messages of one conversation: their seqs (ascending) and audiences.

    Views are computed per member on first use and kept until the next targeted message.
    """

    seqs: list[int] = field(default_factory=list)
    audiences: list[frozenset[str]] = field(default_factory=list)
    _views: dict[str, SeqView] = field(default_factory=dict)

    def add(self, seq: int, audience: Iterable[str]) -> None:
        """Record a targeted message (seqs arrive in ascending order)."""
        self.seqs.append(seq)
        self.audiences.append(frozenset(audience))
        self._views.clear()

    def audience(self, seq: int) -> frozenset[str] | None:
        """Who may see the message at `seq`; None when it is for everyone."""
        index = bisect_right(self.seqs, seq) - 1
        if index >= 0 and self.seqs[index] == seq:
            return self.audiences[index]
        return None

    def view(self, user_id: str) -> SeqView:
        """`user_id`'s numbering of the conversation."""
        view = self._views.get(user_id)
        if view is None:
            hidden = tuple(
                seq
                for seq, audience in zip(self.seqs, self.audiences, strict=True)
                if user_id not in audience
            )
            view = SeqView(hidden) if hidden else EVERYTHING
            self._views[user_id] = view
        return view


def named_in(targeted: TargetedMessages | None, seq: int, sender: str) -> list[str]:
    """The members the message at `seq` was sent to, if it is targeted (else empty)."""
    audience = targeted.audience(seq) if targeted is not None else None
    return sorted(audience - {sender}) if audience is not None else []
