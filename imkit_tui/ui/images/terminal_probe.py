"""Which graphics protocol the terminal really speaks: its answers, and the choice.

Three questions are written to the terminal at start, before Textual takes it:

* kitty's graphics query (an APC; a kitty-compatible terminal answers ``OK``),
* XTVERSION, ``CSI > 0 q`` (answered ``ESC P >| kitty(0.26.5) ESC \\`` and the like),
* Primary Device Attributes, ``CSI c``, which every terminal answers, last, so the
  probe never waits long; a ``4`` among its parameters means sixel.

:func:`choose_protocol` turns the answers (:class:`TerminalAnswers`) into a protocol; it
is pure, and tested over answers recorded from real terminals. An ``OK`` alone is not
enough for pictures in the chat: kitty 0.26 answers it but draws Unicode placeholders
(kitty 0.28 and later) as empty boxes, so the name and version decide.

Inside tmux (see :mod:`~imkit_tui.ui.images.tmux`) no APC is written: tmux would take
it as the pane's title. tmux answers XTVERSION and DA1 itself; what it knows of the
outer terminal, and whether passthrough is on, is asked with ``tmux`` commands.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import time
from collections.abc import Mapping
from dataclasses import dataclass

from imkit_tui.ui.images import tmux
from imkit_tui.ui.images.graphics import GraphicsProtocol

KITTY_QUERY = "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
"""Asks a kitty-compatible terminal to check a 1×1 image; it answers ``OK``."""

XTVERSION_QUERY = "\x1b[>0q"
"""Asks the terminal its name and version."""

DA1_QUERY = "\x1b[c"
"""Primary Device Attributes: every terminal answers, so the probe never waits long."""

PLACEHOLDERS_SINCE = (0, 28, 0)
"""The first kitty that draws Unicode placeholders."""

_KITTY_OK = re.compile(rb"\x1b_Gi=31;OK")
_DA1_REPLY = re.compile(rb"\x1b\[\?([0-9;]*)c")
_XTVERSION_REPLY = re.compile(rb"\x1bP>\|([^\x1b]*)\x1b\\")
_VERSION = re.compile(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?")
_ITERM_NAMES = ("iterm2", "iterm.app", "wezterm")
_PLACEHOLDER_TERMINALS = ("ghostty",)


@dataclass(frozen=True, slots=True)
class TerminalAnswers:
    """What the terminal (and its environment) said about itself."""

    kitty_ok: bool = False
    """It answered kitty's graphics query with ``OK``."""
    attributes: tuple[int, ...] | None = None
    """The parameters of its Primary Device Attributes, None when it did not answer."""
    version: str = ""
    """Its XTVERSION answer, e.g. ``kitty(0.26.5)``; empty when it gave none."""
    program: str = ""
    """``$TERM_PROGRAM`` (or ``$LC_TERMINAL``), which iTerm2 and WezTerm set."""
    tmux: tmux.TmuxInfo | None = None
    """What tmux said, when the program runs inside it."""


@dataclass(frozen=True, slots=True)
class TerminalGraphics:
    """The protocol the app draws pictures with, and how to write it to the terminal."""

    protocol: GraphicsProtocol = GraphicsProtocol.NONE
    tmux: bool = False
    """APC sequences must be wrapped in tmux's passthrough (see :func:`wrap`)."""
    hint: str | None = None
    """Something the user can change to get pictures (told once, at start)."""

    def wrap(self, sequence: str) -> str:
        """Return ``sequence`` ready to write: APCs wrapped in passthrough inside tmux."""
        return tmux.wrap_apcs(sequence) if self.tmux else sequence


def parse_replies(reply: bytes) -> TerminalAnswers:
    """Read the terminal's answers to the three queries from the bytes it sent back."""
    attributes: tuple[int, ...] | None = None
    match = _DA1_REPLY.search(reply)
    if match is not None:
        attributes = tuple(int(part) for part in match.group(1).split(b";") if part.isdigit())
    version = _XTVERSION_REPLY.search(reply)
    return TerminalAnswers(
        kitty_ok=_KITTY_OK.search(reply) is not None,
        attributes=attributes,
        version=version.group(1).decode("utf-8", "replace").strip() if version else "",
    )


def parse_version(text: str) -> tuple[int, int, int] | None:
    """Return the first ``major.minor.patch`` in ``text`` (missing parts are 0), or None."""
    match = _VERSION.search(text)
    if match is None:
        return None
    major, minor, patch = (int(part or 0) for part in match.groups())
    return major, minor, patch


def draws_placeholders(name: str) -> bool:
    """Whether the terminal named ``name`` (its XTVERSION) draws kitty's Unicode placeholders.

    kitty from 0.28 and the terminals known to follow it (ghostty).
    """
    lowered = name.strip().lower()
    if lowered.startswith("kitty"):
        version = parse_version(lowered)
        return version is not None and version >= PLACEHOLDERS_SINCE
    return lowered.startswith(_PLACEHOLDER_TERMINALS)


def _speaks_iterm(answers: TerminalAnswers) -> bool:
    names = (answers.version.lower(), answers.program.lower())
    return any(name.startswith(_ITERM_NAMES) for name in names)


def _sixel(answers: TerminalAnswers) -> bool:
    return answers.attributes is not None and 4 in answers.attributes


def choose_protocol(answers: TerminalAnswers) -> GraphicsProtocol:
    """Return the best protocol the terminal that gave ``answers`` really draws.

    * kitty placeholders (:attr:`GraphicsProtocol.KITTY`, pictures inline in the chat)
      when it answered ``OK`` and is a terminal known to draw them; inside tmux when the
      outer terminal is one, passthrough is on and tmux draws 24-bit colour (the
      placeholder's colour is the image id);
    * the iTerm2 protocol in iTerm2 and WezTerm (their XTVERSION or ``$TERM_PROGRAM``);
    * kitty graphics placed directly (:attr:`GraphicsProtocol.KITTY_DIRECT`) for any
      other ``OK``, e.g. kitty 0.26;
    * sixel when its Device Attributes include ``4``;
    * none otherwise (half blocks).
    """
    if answers.tmux is not None:
        info = answers.tmux
        if draws_placeholders(info.client_termtype) and tmux.tmux_hint(info) is None:
            return GraphicsProtocol.KITTY
        return GraphicsProtocol.SIXEL if _sixel(answers) else GraphicsProtocol.NONE
    if answers.kitty_ok and draws_placeholders(answers.version):
        return GraphicsProtocol.KITTY
    if _speaks_iterm(answers):
        return GraphicsProtocol.ITERM
    if answers.kitty_ok:
        return GraphicsProtocol.KITTY_DIRECT
    return GraphicsProtocol.SIXEL if _sixel(answers) else GraphicsProtocol.NONE


def decide_graphics(answers: TerminalAnswers) -> TerminalGraphics:
    """Return the protocol for ``answers``, with tmux's wrapping and a hint when one helps.

    The hint is given inside tmux when the outer terminal draws placeholders but tmux
    is not set up to pass them on.
    """
    protocol = choose_protocol(answers)
    if answers.tmux is None:
        return TerminalGraphics(protocol)
    hint = None
    if draws_placeholders(answers.tmux.client_termtype):
        hint = tmux.tmux_hint(answers.tmux)
    return TerminalGraphics(protocol, tmux=True, hint=hint)


def _write_all(fd: int, data: bytes) -> None:
    while data:
        written = os.write(fd, data)
        data = data[written:]


def read_replies(fd_in: int, fd_out: int, queries: str, *, timeout: float) -> bytes:
    """Write ``queries`` to the terminal and return what it answers, up to its DA1 answer.

    The terminal is put in raw mode (restored before returning) and read until it
    answers Primary Device Attributes or ``timeout`` seconds pass. Call it only while
    nothing else reads the terminal. Never raises: anything that is not a terminal on
    both sides, or any error, gives ``b""`` (and then nothing was written).
    """
    try:
        import termios
        import tty
    except ImportError:  # not a POSIX system
        return b""
    try:
        if not (os.isatty(fd_in) and os.isatty(fd_out)):
            return b""
        saved = termios.tcgetattr(fd_in)
    except (OSError, termios.error):
        return b""
    reply = b""
    try:
        tty.setraw(fd_in, termios.TCSANOW)
        _write_all(fd_out, queries.encode("ascii"))
        deadline = time.monotonic() + timeout
        while _DA1_REPLY.search(reply) is None:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([fd_in], [], [], left)
            if not ready:
                break
            chunk = os.read(fd_in, 1024)
            if not chunk:
                break
            reply += chunk
    except (OSError, ValueError, termios.error):
        return reply
    finally:
        with contextlib.suppress(OSError, termios.error):
            termios.tcsetattr(fd_in, termios.TCSADRAIN, saved)
    return reply


def probe_terminal(
    fd_in: int,
    fd_out: int,
    environ: Mapping[str, str],
    *,
    timeout: float = 0.3,
    run: tmux.Runner = tmux.run_tmux,
) -> TerminalAnswers:
    """Ask the terminal on ``fd_in``/``fd_out`` (and tmux, inside it) what it is.

    Outside tmux the three queries are written; inside, only XTVERSION and DA1 (tmux
    answers those itself), and tmux is asked the rest with ``run``.
    """
    inside = tmux.in_tmux(environ)
    queries = ("" if inside else KITTY_QUERY) + XTVERSION_QUERY + DA1_QUERY
    reply = read_replies(fd_in, fd_out, queries, timeout=timeout)
    answers = parse_replies(reply)
    program = environ.get("TERM_PROGRAM", "") or environ.get("LC_TERMINAL", "")
    return TerminalAnswers(
        kitty_ok=answers.kitty_ok,
        attributes=answers.attributes,
        version=answers.version,
        program="" if inside else program,
        tmux=tmux.ask_tmux(run) if inside else None,
    )
