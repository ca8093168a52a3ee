"""GIF animation in half blocks: the frames prepared once, stepped through by a timer.

The timer belongs to the widget that shows the animation (it runs only while the
widget is visible); this module keeps the frames and says how long each one lasts.
"""

from __future__ import annotations

from collections.abc import Sequence

from imkit_tui.media.images import Frame
from imkit_tui.ui.images.halfblock import HalfBlockImage


class AnimatedImage:
    """The frames of an animation as :class:`HalfBlockImage` renderables, and a position.

    Start at the first frame; call :meth:`advance` when :meth:`delay_ms` has passed,
    then wait for the delay it returns.
    """

    def __init__(
        self, frames: Sequence[Frame], *, max_width: int = 40, max_height: int = 16
    ) -> None:
        """Prepare ``frames`` for drawing within ``max_width`` columns and ``max_height`` rows.

        Raises:
            ValueError: ``frames`` is empty.
        """
        if not frames:
            raise ValueError("an animation needs at least one frame")
        self._images = [
            HalfBlockImage(frame.image, max_width=max_width, max_height=max_height)
            for frame in frames
        ]
        self._delays = [max(1, frame.duration_ms) for frame in frames]
        self._index = 0

    @property
    def frame_count(self) -> int:
        """How many frames the animation has."""
        return len(self._images)

    @property
    def index(self) -> int:
        """The position of the current frame, from 0."""
        return self._index

    def current(self) -> HalfBlockImage:
        """Return the frame to draw now."""
        return self._images[self._index]

    def advance(self) -> int:
        """Move to the next frame (after the last, the first) and return its delay in ms."""
        self._index = (self._index + 1) % len(self._images)
        return self._delays[self._index]

    def delay_ms(self) -> int:
        """Return how long the current frame shows, in milliseconds."""
        return self._delays[self._index]
