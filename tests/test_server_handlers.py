"""The server's handler table: every frame a client may send has its handler, and the
handlers reach the server only through their context (no SQLite, no connection)."""

from __future__ import annotations

import ast
from pathlib import Path

from imkit_tui.protocol import ChatroomJoin, ChatroomLeave, Hello, Ping, SendMessage
from imkit_tui.protocol.frames import CLIENT_FRAMES
from imkit_tui.protocol.public_frames import PublicFollow
from imkit_tui.server.handlers import HANDLERS

HANDLERS_DIR = Path(__file__).resolve().parent.parent / "imkit_tui" / "server" / "handlers"


def test_every_client_frame_has_a_handler() -> None:
    assert set(HANDLERS) == set(CLIENT_FRAMES)


def test_only_sends_pings_hellos_room_joins_and_follows_run_in_line_with_the_reading() -> None:
    # A chatroom join or leave keeps its place among the device's sends: a send right
    # after a join is in the room (tests/test_chatrooms.py sends them back to back); a
    # menu command right after a follow comes from a follower.
    in_line = {kind for kind, handling in HANDLERS.items() if handling.in_line}
    assert in_line == {SendMessage, Ping, Hello, ChatroomJoin, ChatroomLeave, PublicFollow}


def test_handlers_import_no_database_layer() -> None:
    """Handlers use the store's interface (store_interface.py), never its backend."""
    forbidden = ("sqlite3", "imkit_tui.storage", "imkit_tui.server.store", "imkit_tui.server.app")
    found: list[str] = []
    for path in HANDLERS_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [f"{path.name}: {name}" for name in names if name in forbidden]
    assert not found
