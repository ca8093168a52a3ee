"""The chatroom flags of `imkit serve`, and the chatroom settings they make."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from imkit_tui.server.chatrooms.settings import ChatroomSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the chatroom flags to `imkit serve`'s parser."""
    rooms = parser.add_argument_group(
        "chatrooms",
        "live rooms: members online receive, nothing waits for the offline",
    )
    rooms.add_argument(
        "--chatroom",
        action="append",
        default=[],
        metavar="ID[=NAME]",
        help="a public room the server offers (listed to every user, never destroyed "
        "for being idle); repeat for more",
    )
    rooms.add_argument(
        "--chatroom-history",
        action="store_true",
        help="keep chatroom messages as cloud history (members pull what was sent while "
        "they were in the room)",
    )
    rooms.add_argument(
        "--chatroom-history-days",
        type=int,
        default=60,
        metavar="N",
        help="days chatroom history is kept (default 60)",
    )
    rooms.add_argument(
        "--chatroom-history-all",
        action="store_true",
        help="let members pull all of a room's kept history, not only their own time in it",
    )
    rooms.add_argument(
        "--chatroom-idle-minutes",
        type=float,
        default=60.0,
        metavar="N",
        help="destroy a room with no members after N minutes, unless kept alive "
        "(default 60; 0 never)",
    )
    rooms.add_argument(
        "--chatroom-budget",
        type=int,
        default=40,
        metavar="N",
        help="messages a room accepts per 200 ms, half of them kept for high priority (default 40)",
    )
    rooms.add_argument(
        "--chatroom-exit",
        default="30,30",
        metavar="SECONDS,MESSAGES",
        help="a member offline leaves after SECONDS or MESSAGES new messages, counted "
        "from the first (default 30,30)",
    )
    rooms.add_argument(
        "--chatroom-status-url",
        metavar="URL",
        help="POST chatroom creations, destructions, joins and leaves here (JSON)",
    )


def chatroom_settings(args: argparse.Namespace) -> ChatroomSettings:
    """The ChatroomSettings the flags ask for (ValueError for a bad value)."""
    from imkit_tui.server.chatrooms.auto_exit import AutoExitRule
    from imkit_tui.server.chatrooms.budget import BudgetRule
    from imkit_tui.server.chatrooms.settings import ChatroomSettings, public_room

    try:
        seconds, _, count = args.chatroom_exit.partition(",")
        exit_rule = AutoExitRule(int(float(seconds) * 1000), int(count or 30))
    except ValueError:
        raise ValueError(
            f"--chatroom-exit must be SECONDS,MESSAGES: {args.chatroom_exit!r}"
        ) from None
    return ChatroomSettings(
        budget=BudgetRule(limit=args.chatroom_budget, reserved_high=args.chatroom_budget // 2),
        auto_exit=exit_rule,
        idle_destroy_seconds=args.chatroom_idle_minutes * 60,
        history=args.chatroom_history,
        history_days=args.chatroom_history_days,
        history_all=args.chatroom_history_all,
        public_rooms=tuple(public_room(text) for text in args.chatroom),
    )
