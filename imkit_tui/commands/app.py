"""`imkit` with no command: the chat app, on a real server or on an embedded one."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import os
import re
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from imkit_tui import core
from imkit_tui.commands.app_options import GRAPHICS_ENV
from imkit_tui.commands.common import (
    EXIT_FAILED,
    EXIT_REFUSED,
    EXIT_USAGE,
    IN_PROCESS_URL,
    TOKEN_ENV,
    CommandError,
    given_token,
    warn,
)
from imkit_tui.commands.embedded import EmbeddedHost
from imkit_tui.config import ConfigError, Settings, UiState, check_server_url, load_settings
from imkit_tui.paths import Paths, make_dir
from imkit_tui.protocol import SYSTEM_ACCOUNT, ProtocolError
from imkit_tui.protocol.tokens import read_claims
from imkit_tui.storage.private import private_file
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.images.graphics import GraphicsProtocol
from imkit_tui.ui.images.terminal_probe import TerminalGraphics, decide_graphics, probe_terminal
from imkit_tui.ui.images.tmux import in_tmux
from imkit_tui.ui.screens.start_up import DeferredClient
from imkit_tui.ui.themes import load_themes

if TYPE_CHECKING:
    from imkit_tui.core import IMClient

_FORCED_GRAPHICS = {
    "none": GraphicsProtocol.NONE,
    "halfblock": GraphicsProtocol.NONE,
    "halfblocks": GraphicsProtocol.NONE,
    **{protocol.value: protocol for protocol in GraphicsProtocol},
}

log = logging.getLogger(__name__)


@dataclass
class _Running:
    """What the app started and must stop."""

    host: EmbeddedHost | None = None
    client: IMClient | None = None


def run(args: argparse.Namespace) -> int:
    """Open the chat app; returns its exit code."""
    paths = Paths.resolve(args.home)
    try:
        settings = load_settings(paths.config_file).with_overrides(
            server=args.app_server,
            token=given_token(args.app_token, args.app_token_file),
            theme=args.app_theme,
            notifications=args.app_notifications,
        )
        if settings.server is not None:
            check_server_url(settings.server)
    except ConfigError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None
    for line in settings.warnings:
        warn(line)
        log.warning("%s", line)
    if settings.server and not settings.token:
        raise CommandError(
            f"--server needs --token or --token-file (or ${TOKEN_ENV}, or token in the config "
            "file)",
            EXIT_USAGE,
        )
    make_dir(paths.data)
    _log_to_file(make_dir(paths.cache) / "imkit.log")
    graphics = choose_graphics(os.environ, *_terminal_fds())
    return asyncio.run(_run_app(paths, settings, args.app_user, graphics))


def _terminal_fds() -> tuple[int, int]:
    """The file descriptors of standard input and output (-1 when there are none)."""
    fds = []
    for stream in (sys.stdin, sys.stdout):
        try:
            fds.append(stream.fileno() if stream is not None else -1)
        except (AttributeError, OSError, ValueError):
            fds.append(-1)
    return fds[0], fds[1]


def choose_graphics(environ: Mapping[str, str], fd_in: int, fd_out: int) -> TerminalGraphics:
    """Decide how the app draws pictures, before Textual takes the terminal.

    :data:`GRAPHICS_ENV` in ``environ`` forces a protocol ("kitty", "kitty-direct",
    "sixel", "iterm"; "halfblock" and "none" give NONE), and then the terminal is not
    asked. Unset, empty or "auto" (or anything else, which is logged), the terminal on
    ``fd_in``/``fd_out`` is probed (:func:`probe_terminal`) when both are terminals;
    otherwise NONE. Inside tmux, graphics are always wrapped in its passthrough.
    """
    inside = in_tmux(environ)
    setting = environ.get(GRAPHICS_ENV, "").strip().lower()
    forced = _FORCED_GRAPHICS.get(setting)
    if forced is not None:
        log.info("graphics: %s (tmux: %s) from %s", forced, inside, GRAPHICS_ENV)
        return TerminalGraphics(forced, tmux=inside)
    if setting not in ("", "auto"):
        log.warning(
            "%s=%r is not auto, kitty, kitty-direct, sixel, iterm, halfblock or none: "
            "asking the terminal",
            GRAPHICS_ENV,
            setting,
        )
    try:
        if not (os.isatty(fd_in) and os.isatty(fd_out)):
            return TerminalGraphics(tmux=inside)
    except OSError:
        return TerminalGraphics(tmux=inside)
    answers = probe_terminal(fd_in, fd_out, environ)
    chosen = decide_graphics(answers)
    log.info("graphics: %s (tmux: %s) from %s", chosen.protocol, chosen.tmux, answers)
    return chosen


def _log_to_file(path: Path) -> None:
    """While the app owns the terminal, log lines (and tracebacks) go to a file, and
    nothing logged may write to the terminal: the root's handlers (the command line's
    stderr one) and every stream handler a library put on its own logger are removed;
    a record no handler takes (:data:`logging.lastResort`), a warning, an exception in a
    thread or one Python cannot raise (in a ``__del__``) is logged to the file too.
    (Textual draws on stderr, so a stream handler made before it starts would write
    over the screen; asyncio reports a future's unread exception through logging.)"""
    private_file(path)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    for logger in list(root.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            for old in list(logger.handlers):
                if isinstance(old, logging.StreamHandler) and not isinstance(
                    old, logging.FileHandler
                ):
                    logger.removeHandler(old)
    root.addHandler(handler)
    logging.lastResort = handler
    logging.captureWarnings(True)
    threading.excepthook = _log_thread_exception
    sys.unraisablehook = _log_unraisable


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    """An exception ended a thread: logged, as threading would print it."""
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    error = (args.exc_type, args.exc_value, args.exc_traceback)
    log.error("exception in thread %s", name, exc_info=error)  # type: ignore[arg-type]


def _log_unraisable(args: sys.UnraisableHookArgs) -> None:
    """An exception Python could not raise (in a ``__del__``, a callback): logged."""
    error = (args.exc_type, args.exc_value, args.exc_traceback)
    log.error(
        "%s: %r",
        args.err_msg or "exception ignored in",
        args.object,
        exc_info=error,  # type: ignore[arg-type]
    )


async def _run_app(
    paths: Paths, settings: Settings, user: str | None, graphics: TerminalGraphics
) -> int:
    running = _Running()
    try:
        client = _deferred_client(paths, settings, user, running)
        app = IMKitApp(
            client,
            themes=load_themes([paths.config / "themes"]),
            state=UiState(paths.data / "ui-state.json"),
            theme=settings.theme,
            notifications=settings.notifications,
            notification_text=settings.notification_text,
            recall_window=settings.recall_window,
            embedded=running.host is not None,
            graphics=graphics,
            # After the first frame: serve or find the embedded server, then connect.
            start=running.host.connect if running.host is not None else None,
        )
        await app.run_async()
        if app.refusal is not None:
            print(app.refusal, file=sys.stderr)
            return EXIT_REFUSED
        if app.failure is not None:
            print(app.failure, file=sys.stderr)
            return EXIT_FAILED
        return app.return_code or 0
    finally:
        await _stop(running)


def _deferred_client(
    paths: Paths, settings: Settings, user: str | None, running: _Running
) -> DeferredClient:
    """The user's client, made (and its store opened) once the app's first frame is out,
    which is drawn from the store file; connecting comes after that."""
    if settings.server is None:
        return _embedded_client(paths, user, running)
    server, token = settings.server, settings.token
    assert token is not None
    try:
        user_id = read_claims(token).user_id
    except ProtocolError as exc:
        raise CommandError(f"the token is not valid: {exc.message}", EXIT_REFUSED) from None
    store_path = paths.account_store(server, user_id)

    def make() -> IMClient:
        running.client = core.IMClient(
            server_url=server, token=token, store_path=store_path, device="app"
        )
        return running.client

    return DeferredClient(user_id, server, store_path, make)


def _embedded_client(paths: Paths, user: str | None, running: _Running) -> DeferredClient:
    """The client of the embedded server, made by its host (no server runs yet)."""
    user_id = user or _login_name()
    if user_id == SYSTEM_ACCOUNT or not 0 < len(user_id) <= 64:
        raise CommandError(f"{user_id!r} cannot be your user id", EXIT_USAGE)
    host = running.host = EmbeddedHost(paths, user_id)
    return DeferredClient(user_id, IN_PROCESS_URL, host.store_path, host.prepare)


def _login_name() -> str:
    with contextlib.suppress(Exception):
        name = re.sub(r"\s+", "-", getpass.getuser().strip())
        if name and name != SYSTEM_ACCOUNT:
            return name[:64]
    return "me"


async def _stop(running: _Running) -> None:
    if running.client is not None:
        await running.client.close()
    if running.host is not None:
        await running.host.stop()
