"""What the main screen does once its first frame is out: tell the start-up benchmark,
and keep the garbage collector's full passes out of the way."""

from __future__ import annotations

import contextlib
import gc
import os
import time
from collections.abc import Callable
from pathlib import Path

from textual.screen import Screen

#: Where to write the time of the first complete frame, for the start-up benchmark.
READY_FILE_ENV = "IMKIT_READY_FILE"


def quiet_garbage_collector(screen: Screen[None], idle: Callable[[], float]) -> None:
    """Keep the collector's full passes out of the way of typing and scrolling.

    A full pass over Textual's heap stalls the loop for about 100 ms (measured in
    bench/chat_view.py, where it made every p99). What exists after the first frame
    lives as long as the app, so it is frozen out of collections; full passes become
    rare, and one runs each minute in which nobody has typed or clicked for 10 seconds.
    `idle` returns the seconds since the last input.
    """
    gc.freeze()
    gc.set_threshold(20_000, 50, 1_000)
    gc.enable()  # `imkit` turns it off while starting

    def collect_when_idle() -> None:
        if idle() >= 10:
            gc.collect()

    screen.set_interval(60, collect_when_idle)


def report_ready() -> None:
    """Write the time of the first complete frame where $IMKIT_READY_FILE says (used by
    bench/startup.py to time start-up from outside the process)."""
    path = os.environ.get(READY_FILE_ENV)
    if path:
        with contextlib.suppress(OSError):
            Path(path).write_text(repr(time.time()))
