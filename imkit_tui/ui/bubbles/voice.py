"""The voice bubble (``RC:HQVCMsg``, legacy ``RC:VcMsg``): ``▶ 0:12  ▂▃▅▇▅▃▂ ●``.

The waveform bar grows with the duration (a 60-second message is widest), drawn from
the content's ``waveform`` (levels 0 to 7, our own addition) when it has one, else
flat. Others' messages not listened to yet carry a dot; ``■`` replaces ``▶`` while
the message plays (:attr:`VoiceBubble.playing`, set by whoever plays it).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import RenderableType
from rich.text import Text

from imkit_tui.core import Message
from imkit_tui.media import limits
from imkit_tui.ui.bubbles._fields import content_of, duration_text, list_field, text_field
from imkit_tui.ui.bubbles._playable import PlayableBubble
from imkit_tui.ui.bubbles._progress import with_progress

LEVELS = "▁▂▃▄▅▆▇█"
"""The bar characters of waveform levels 0 to 7."""
FLAT = "▂"
"""The bar of a message without a waveform."""
UNPLAYED = "●"
"""The dot of a received message not listened to yet."""

MIN_BARS = 4
"""Bars of the shortest message."""
MAX_BARS = 24
"""Bars of a message of the longest voice duration (and longer)."""
_MAX_WAVEFORM = 1000


def bar_count(seconds: float) -> int:
    """How many bars a message of ``seconds`` gets: from 4 up to 24 at 60 s."""
    longest = max(1, limits.VOICE_MAX_SECONDS)
    share = min(1.0, max(0.0, seconds) / longest)
    return MIN_BARS + round(share * (MAX_BARS - MIN_BARS))


def waveform_bar(levels: Sequence[int] | None, bars: int) -> str:
    """Draw ``bars`` cells of waveform from ``levels`` (0–7), or a flat bar without them.

    Levels are resampled: each cell shows the loudest level of its share of the list.
    """
    if not levels:
        return FLAT * bars
    count = len(levels)
    cells: list[str] = []
    for index in range(bars):
        start = index * count // bars
        end = max(start + 1, (index + 1) * count // bars)
        level = max(levels[start:end])
        cells.append(LEVELS[min(7, max(0, level))])
    return "".join(cells)


def _waveform(raw: list[object]) -> list[int] | None:
    """The levels of a ``waveform`` field, or None when any entry is not 0–7."""
    levels: list[int] = []
    for item in raw[:_MAX_WAVEFORM]:
        if isinstance(item, bool) or not isinstance(item, int) or not 0 <= item <= 7:
            return None
        levels.append(item)
    return levels or None


class VoiceBubble(PlayableBubble):
    """A voice message: play mark, duration, waveform and the unplayed dot.

    Raises :class:`ValueError` when the content is not a mapping, ``duration``
    (seconds) is missing or not a valid number, or ``remoteUrl`` is not a string. A
    malformed ``waveform`` is ignored (flat bar).
    """

    def read_content(self, message: Message) -> None:
        """Read the duration, the audio's URL and the waveform."""
        super().read_content(message)
        content = content_of(message.content)
        self._url = text_field(content, "remoteUrl")
        try:
            self._levels = _waveform(list_field(content, "waveform"))
        except ValueError:
            self._levels = None

    @property
    def remote_url(self) -> str | None:
        """Where the audio is on the server (None for legacy inline audio)."""
        return self._url

    @property
    def unplayed(self) -> bool:
        """Whether the dot shows: a received message nobody listened to yet."""
        return not self.own and not self.message.listened

    def render_body(self) -> RenderableType:
        """``▶ 0:12  ▂▃▅▇▅▃▂ ●`` and the transfer's progress while one runs."""
        line = Text()
        line.append(self.play_mark)
        line.append(f" {duration_text(self._seconds)}  ")
        line.append(waveform_bar(self._levels, bar_count(self._seconds)), self.detail_style)
        if self.unplayed:
            line.append(f" {UNPLAYED}", self.palette.unplayed)
        return with_progress(line, self.transfer, style=self.detail_style)
