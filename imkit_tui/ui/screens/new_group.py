"""The "New group" dialogs: who is in it, then its name; the group is created on the
server (this user owns it) and its chat opens, where the "created" notice arrives."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rich.markup import escape
from textual.screen import Screen

from imkit_tui.core import IMClient, NotConnected, RequestFailed
from imkit_tui.protocol import ConvRef
from imkit_tui.ui.format import is_user_id, split_user_ids
from imkit_tui.ui.screens.prompts import TextPromptScreen

MAX_FIRST_MEMBERS = 499
"""The most members one create request names besides the creator (the frame's limit)."""


def new_group_id() -> str:
    """A fresh group id (the app names groups; the server only checks it is free)."""
    return f"g-{uuid.uuid4().hex[:12]}"


def _check_members(me: str) -> Callable[[str], str | None]:
    def check(text: str) -> str | None:
        ids = [i for i in split_user_ids(text) if i != me]
        bad = [i for i in ids if not is_user_id(i)]
        if bad:
            return f"Not a user id: {bad[0][:40]}"
        if not ids:
            return "Name at least one other member."
        if len(ids) > MAX_FIRST_MEMBERS:
            return f"At most {MAX_FIRST_MEMBERS} members at once; invite the rest later."
        return None

    return check


def _check_group_id(text: str) -> str | None:
    return None if 0 < len(text) <= 64 else "A group id has 1 to 64 characters."


def _check_name(text: str) -> str | None:
    return None if 0 < len(text) <= 64 else "A group name has 1 to 64 characters."


def start_new_group(
    screen: Screen[Any], client: IMClient, open_chat: Callable[[ConvRef], Awaitable[None]]
) -> None:
    """Ask for the members, then the name; create the group and open its chat."""
    me = client.user_id

    def members_chosen(text: str | None) -> None:
        if not text:
            return
        members = [i for i in split_user_ids(text) if i != me]

        def name_chosen(name: str | None) -> None:
            if name:
                screen.run_worker(create(members, name), group="new-group", exit_on_error=False)

        screen.app.push_screen(
            TextPromptScreen(
                "Name of the group", value=", ".join([me, *members])[:64], check=_check_name
            ),
            name_chosen,
        )

    async def create(members: list[str], name: str) -> None:
        group_id = new_group_id()
        asked = client.groups.create(group_id, name, members)
        await _then_open(screen, asked, "create a group", ConvRef.group(group_id), open_chat)

    screen.app.push_screen(
        TextPromptScreen(
            "New group with… (user ids, separated by spaces or commas)",
            placeholder="e.g. bob carol",
            check=_check_members(me),
        ),
        members_chosen,
    )


def start_accepting_invitation(
    screen: Screen[Any], client: IMClient, open_chat: Callable[[ConvRef], Awaitable[None]]
) -> None:
    """Ask for the id of a group this user was invited to; join it and open its chat.

    An invitation comes when someone who may not message this user (blocked, or not on
    the whitelist) adds them to a group: the system conversation names the group.
    """

    def chosen(group_id: str | None) -> None:
        if group_id:
            screen.run_worker(accept(group_id), group="accept-group", exit_on_error=False)

    async def accept(group_id: str) -> None:
        asked = client.groups.accept_invitation(group_id)
        await _then_open(screen, asked, "join a group", ConvRef.group(group_id), open_chat)

    screen.app.push_screen(
        TextPromptScreen(
            "Join the group you were invited to (its id, as the System chat says)",
            placeholder="e.g. g-1a2b3c4d5e6f",
            check=_check_group_id,
        ),
        chosen,
    )


async def _then_open(
    screen: Screen[Any],
    asked: Awaitable[object],
    what: str,
    conv: ConvRef,
    open_chat: Callable[[ConvRef], Awaitable[None]],
) -> None:
    """Wait for a group request, then open the group's chat; say why when it failed."""
    try:
        await asked
    except NotConnected:
        screen.app.notify(f"Not connected: cannot {what} now.", severity="warning")
        return
    except (RequestFailed, TimeoutError) as error:
        screen.app.notify(escape(f"Could not {what}: {error}"), severity="error")
        return
    await open_chat(conv)
