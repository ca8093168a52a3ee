"""The user's own actions read in the first person, and notices say who did what once:
the list rows of groups and the notices in the chat, on a real server."""

from __future__ import annotations

from pathlib import Path

from imkit_tui import messages
from imkit_tui.protocol import ConvRef
from imkit_tui.ui.bubbles import NoticeBubble
from imkit_tui.ui.screens.main import MainScreen
from imkit_tui.ui.widgets.chat_view import ChatView
from tests.conftest import ClientFactory, until_client
from tests.ui.test_app import list_lines, make_app, until

TEAM, CREW = ConvRef.group("team"), ConvRef.group("crew")


def _row(app_lines: list[str], name: str) -> tuple[str, str]:
    """The two lines of the list row whose name is ``name``."""
    index = next(i for i, line in enumerate(app_lines) if name in line)
    return app_lines[index], app_lines[index + 1]


async def test_group_rows_and_notices_speak_of_the_user_as_you(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    bob, me, carol = [await make_client(user) for user in ("bob", "me", "carol")]
    await bob.groups.create("team", "Team", ["me", "carol"])
    await bob.groups.kick("team", ["carol"])
    await me.groups.create("crew", "Crew", ["bob"])

    async def both_groups_known() -> bool:
        rows = {row.ref: row for row in await me.conversations()}
        return TEAM in rows and "removed" in rows[TEAM].preview and CREW in rows

    await until_client(me, both_groups_known)
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 30)) as pilot:
        await until(pilot, lambda: "# Crew" in "".join(list_lines(app)), "the groups")
        lines = list_lines(app)
        crew_name, crew_preview = _row(lines, "# Crew")
        team_name, team_preview = _row(lines, "# Team")
        # The group mark once: the name has it, the avatar shows the group's letter.
        assert crew_name.split()[:3] == ["C", "#", "Crew"] and crew_name.count("#") == 1
        assert team_name.split()[:3] == ["T", "#", "Team"] and team_name.count("#") == 1
        # A notice is not prefixed with its sender; the user's own is "You".
        assert crew_preview.strip() == "You created the group"
        assert team_preview.strip() == "bob removed carol"

        screen = app.screen
        assert isinstance(screen, MainScreen)
        await screen.open_conversation(TEAM)
        chat = screen.query_one(ChatView)
        await until(pilot, lambda: len(chat.shown) >= 2, "the notices")
        notices = [b.notice for b in chat.bubbles() if isinstance(b, NoticeBubble)]
        assert notices[-2:] == ["bob created the group", "bob removed carol"]
        await pilot.press(*"hi all", "enter")
        await until(
            pilot,
            lambda: _row(list_lines(app), "# Team")[1].strip() == "You: hi all",
            "the own message in the row",
        )

    # The same notices as bob reads them, and as carol, who was removed.
    created = next(m for m in await bob.messages(TEAM) if m.object_name == messages.GROUP_NTF)
    assert messages.summarize(created.object_name, created.content, "bob") == (
        "You created the group"
    )

    async def carol_reads() -> list[str]:
        page = await carol.messages(TEAM)
        return [messages.summarize(m.object_name, m.content, "carol") for m in page]

    async def carol_was_told() -> bool:
        return "bob removed you" in await carol_reads()

    await until_client(carol, carol_was_told)
    assert await carol_reads() == ["bob created the group", "bob removed you"]


async def test_being_added_is_announced_to_you(make_client: ClientFactory, tmp_path: Path) -> None:
    bob, me = await make_client("bob"), await make_client("me")
    await bob.send_text(ConvRef.private("me"), "hi")
    await bob.groups.create("crew", "Crew", ["carol"])
    app = make_app(me, tmp_path)
    async with app.run_test(size=(110, 30), notifications=True) as pilot:
        await until(pilot, lambda: "bob" in "".join(list_lines(app)), "the list")
        await bob.groups.invite("crew", ["me"])

        def toasts() -> list[str]:
            return [str(n.message) for n in app._notifications]

        await until(pilot, lambda: any("added" in t for t in toasts()), "the notice")
        assert "bob added you" in toasts() and not any("added me" in t for t in toasts())
        assert _row(list_lines(app), "# crew")[1].strip() == "bob added you"
