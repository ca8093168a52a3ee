"""Graphics through tmux: passthrough wrapping, and what tmux knows of the outer terminal.

tmux draws its panes itself and does not pass escape sequences it does not know on to
the terminal it runs in. Worse, it takes an APC string (``ESC _ … ESC \\``), which is
what kitty's graphics protocol uses, as the pane's title (a GNU screen habit). So inside
tmux no APC is ever written raw: each is wrapped in tmux's passthrough,
``ESC P tmux; <the sequence, each ESC doubled> ESC \\``, which tmux hands to the outer
terminal when ``allow-passthrough`` is on and drops, silently, when it is off.

Kitty's Unicode placeholders were made for this: the picture is transmitted through
passthrough once, and the placeholder cells are ordinary text that tmux draws, moves
and clips like any other. tmux itself asked the outer terminal its name and version
(XTVERSION) when the client attached; ``tmux display -p '#{client_termtype}'`` tells it.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

TMUX_ENV = "TMUX"
"""Set (to the server's socket, pid and session) in every tmux pane."""

TMUX_TIMEOUT = 2.0
"""Seconds a ``tmux`` command may take before it is given up."""

_APC = re.compile(r"\x1b_.*?\x1b\\", re.DOTALL)

Runner = Callable[[Sequence[str]], str | None]
"""Runs a ``tmux`` command and returns what it printed, or None when it failed."""


def in_tmux(environ: Mapping[str, str]) -> bool:
    """Whether the program runs in a tmux pane (``$TMUX`` is set)."""
    return bool(environ.get(TMUX_ENV))


def passthrough(sequence: str) -> str:
    """Return ``sequence`` wrapped in tmux's passthrough, each ESC in it doubled."""
    return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"


def wrap_apcs(text: str) -> str:
    """Return ``text`` with each APC sequence in it wrapped in tmux's passthrough.

    Everything else (text, CSI, other sequences) is left as it is, so the result can be
    written into a tmux pane without an APC reaching tmux's title.
    """
    return _APC.sub(lambda match: passthrough(match.group(0)), text)


@dataclass(frozen=True, slots=True)
class TmuxInfo:
    """What tmux says about itself and the terminal its client runs in."""

    client_termtype: str = ""
    """The outer terminal's name and version from its XTVERSION, e.g. ``kitty(0.26.5)``."""
    client_termname: str = ""
    """The outer terminal's ``$TERM``, e.g. ``xterm-kitty``."""
    passthrough: bool = False
    """Whether ``allow-passthrough`` is on for the pane (or ``all``)."""
    truecolor: bool = False
    """Whether tmux draws 24-bit colour on the outer terminal (its ``RGB`` feature)."""


def run_tmux(arguments: Sequence[str]) -> str | None:
    """Run ``tmux`` with ``arguments`` (the pane's server, from ``$TMUX``); its output or None."""
    try:
        done = subprocess.run(
            ["tmux", *arguments],
            capture_output=True,
            text=True,
            timeout=TMUX_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def ask_tmux(run: Runner = run_tmux) -> TmuxInfo:
    """Ask the tmux server of this pane about the outer terminal and passthrough.

    ``allow-passthrough`` is read for the pane first (``show -pv``), then globally
    (``show -gv``). Never raises: what cannot be learned is left empty or False.
    """
    shown = run(["display", "-p", "#{client_termtype}\t#{client_termfeatures}\t#{client_termname}"])
    termtype, features, termname = [*(shown or "").split("\t"), "", ""][:3]
    setting = run(["show", "-pv", "allow-passthrough"]) or run(["show", "-gv", "allow-passthrough"])
    return TmuxInfo(
        client_termtype=termtype.strip(),
        client_termname=termname.strip(),
        passthrough=(setting or "").strip() in ("on", "all"),
        truecolor="RGB" in features.split(","),
    )


def tmux_hint(info: TmuxInfo) -> str | None:
    """What the user can set in tmux so pictures are drawn, or None when nothing is missing."""
    missing: list[str] = []
    if not info.passthrough:
        missing.append("set -g allow-passthrough on")
    if not info.truecolor:
        missing.append(f"set -as terminal-features ',{info.client_termname or '*'}:RGB'")
    if not missing:
        return None
    return (
        "Pictures are drawn in half blocks inside tmux; for real pictures add to "
        "~/.tmux.conf: " + " and ".join(missing)
    )
