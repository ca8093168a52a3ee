"""The options of the chat app (`imkit` with no command), apart from the app itself:
`imkit --help` and every subcommand's parsing read them without loading the UI."""

from __future__ import annotations

import argparse

from imkit_tui.commands.common import TOKEN_ENV

GRAPHICS_ENV = "IMKIT_GRAPHICS"
"""How pictures are drawn: auto (default: ask the terminal), kitty, kitty-direct, sixel,
iterm, halfblock, or none (half blocks, and the terminal is not asked)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the app itself (given before any command)."""
    group = parser.add_argument_group(
        "the chat app (imkit with no command)",
        f"Pictures are drawn with the best graphics the terminal answers for (kitty, sixel, "
        f"iTerm2), in half blocks elsewhere; {GRAPHICS_ENV}=kitty|kitty-direct|sixel|iterm|"
        f"halfblock forces one, {GRAPHICS_ENV}=none skips asking the terminal.",
    )
    group.add_argument(
        "--server",
        dest="app_server",
        metavar="URL",
        help="connect to this server instead of running the embedded one (several nodes: "
        "ws://a,ws://b; the app moves to the next when its node goes away)",
    )
    group.add_argument(
        "--token",
        dest="app_token",
        metavar="TOKEN",
        help=f"login token for --server (default: the --token-file, then ${TOKEN_ENV}, "
        "then token in the config file)",
    )
    group.add_argument(
        "--token-file",
        dest="app_token_file",
        metavar="PATH",
        help="read the login token for --server from the file PATH",
    )
    group.add_argument("--theme", dest="app_theme", metavar="NAME", help="theme to start with")
    group.add_argument(
        "--user",
        dest="app_user",
        metavar="ID",
        help="your user id on the embedded server (default: your login name)",
    )
    group.add_argument(
        "--no-notifications",
        dest="app_notifications",
        action="store_false",
        default=None,
        help="no notifications: no toasts, bell or desktop notifications",
    )
