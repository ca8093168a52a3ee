"""Private: the base of the bubbles that play (voice, short video).

Both have a length (``duration``, in seconds, required), the "play" (a toggle) and
"save" actions, and a play mark that whoever plays the message switches through
:attr:`PlayableBubble.playing`: ``▶``, or ``■`` while it plays.
"""

from __future__ import annotations

from imkit_tui.core import Message
from imkit_tui.ui.bubbles import actions as act
from imkit_tui.ui.bubbles._fields import content_of, seconds_field
from imkit_tui.ui.bubbles.base import Bubble

PLAY, STOP = "▶", "■"
"""The play mark, and what replaces it while playing."""


class PlayableBubble(Bubble):
    """A message that plays: its length, the play mark and the play/save actions.

    :meth:`read_content` reads ``duration``; a subclass reads the rest after calling
    it. Raises :class:`ValueError` when the content is not a mapping or ``duration`` is
    missing or not a valid number of seconds.
    """

    _playing = False

    def read_content(self, message: Message) -> None:
        """Read the length (``duration``, seconds)."""
        content = content_of(message.content)
        self._seconds = seconds_field(content, "duration", required=True) or 0.0

    @property
    def duration(self) -> float:
        """The length of the message in seconds."""
        return self._seconds

    @property
    def playing(self) -> bool:
        """Whether the message is playing now (set by the player)."""
        return self._playing

    @playing.setter
    def playing(self, playing: bool) -> None:
        """Show the message as playing (``■``) or not (``▶``)."""
        if playing != self._playing:
            self._playing = playing
            self.refresh()

    @property
    def play_mark(self) -> str:
        """``■`` while playing, else ``▶``."""
        return STOP if self._playing else PLAY

    def actions(self) -> list[tuple[str, str]]:
        """Play (a toggle) and save."""
        return act.labelled(act.PLAY, act.SAVE)

    @property
    def default_action(self) -> str | None:
        """A click plays or stops the message."""
        return act.PLAY
