"""The conversation list (a Line-API widget) and the formatting helpers it draws with."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Input

from imkit_tui.core.models import Conversation
from imkit_tui.protocol import ConvRef
from imkit_tui.ui.format import (
    AVATAR_PALETTE,
    avatar_colour,
    avatar_letter,
    badge,
    conversation_time,
    display_width,
    one_line,
    truncate,
)
from imkit_tui.ui.widgets.conversation_list import ConversationList

BASE = 1_760_000_000_000
"""A fixed time (ms) the test conversations are ordered around."""


def conv(
    target: str,
    *,
    type: int = 1,
    at: int = 0,
    preview: str = "hello",
    sender: str = "",
    unread: int = 0,
    pinned: bool = False,
    muted: bool = False,
    draft: str = "",
) -> Conversation:
    """A conversation whose last message (and sort time) is `BASE + at` seconds."""
    when = BASE + at * 1000
    return Conversation(
        ref=ConvRef(type=type, target=target),
        last_at=when,
        preview=preview,
        last_sender=sender,
        unread=unread,
        pinned=pinned,
        muted=muted,
        draft=draft,
        max_seq=1,
        sort_at=when,
    )


def sample() -> list[Conversation]:
    """Five conversations in list order (pinned first, then newest first)."""
    return [
        conv("team", type=3, at=50, preview="shipped!", sender="carol", unread=2, pinned=True),
        conv("bob", at=40, preview="[Image]", unread=150),
        conv("echo", at=30, draft="see you at\nnoon"),
        conv("design", type=3, at=20, preview="mockups", sender="dave", unread=7, muted=True),
        conv("system", type=6, at=10, preview="Welcome to imkit"),
    ]


class ListApp(App[None]):
    """A tiny app around one ConversationList that records what the list posts."""

    def __init__(
        self,
        conversations: Sequence[Conversation] = (),
        names: Callable[[ConvRef], str] | None = None,
        with_input: bool = False,
    ) -> None:
        super().__init__()
        self.conversations = list(conversations)
        self.names = names
        self.with_input = with_input
        self.selected: list[ConvRef] = []
        self.highlighted: list[ConvRef] = []
        self.me = ""

    def compose(self) -> ComposeResult:
        yield ConversationList(names=self.names, me=self.me, id="list")
        if self.with_input:
            yield Input(id="input")

    def on_mount(self) -> None:
        widget = self.query_one(ConversationList)
        widget.set_conversations(self.conversations)
        widget.focus()

    def on_conversation_list_selected(self, event: ConversationList.Selected) -> None:
        self.selected.append(event.conv)

    def on_conversation_list_highlighted(self, event: ConversationList.Highlighted) -> None:
        self.highlighted.append(event.conv)


def screen_lines(widget: ConversationList) -> list[str]:
    """The text of every visible line of the widget."""
    return [widget.render_line(y).text for y in range(widget.scrollable_content_region.height)]


def ref(target: str, type: int = 1) -> ConvRef:
    return ConvRef(type=type, target=target)


# -- format helpers -------------------------------------------------------------------------

NOW = datetime(2025, 6, 11, 15, 30)  # a Wednesday


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def test_time_today_shows_hours_and_minutes() -> None:
    assert conversation_time(ms(datetime(2025, 6, 11, 9, 5)), NOW) == "09:05"
    assert conversation_time(ms(datetime(2025, 6, 11, 0, 0)), NOW) == "00:00"


def test_time_yesterday() -> None:
    assert conversation_time(ms(datetime(2025, 6, 10, 23, 59)), NOW) == "Yesterday"
    assert conversation_time(ms(datetime(2025, 6, 10, 0, 1)), NOW) == "Yesterday"


def test_time_within_a_week_shows_the_weekday() -> None:
    assert conversation_time(ms(datetime(2025, 6, 9, 12, 0)), NOW) == "Mon"
    assert conversation_time(ms(datetime(2025, 6, 5, 12, 0)), NOW) == "Thu"


def test_time_older_or_later_shows_the_date() -> None:
    assert conversation_time(ms(datetime(2025, 6, 4, 12, 0)), NOW) == "2025-06-04"
    assert conversation_time(ms(datetime(2024, 12, 31, 8, 0)), NOW) == "2024-12-31"
    assert conversation_time(ms(datetime(2025, 6, 12, 8, 0)), NOW) == "2025-06-12"


def test_time_uses_the_timezone_of_now() -> None:
    now = datetime(2025, 6, 11, 1, 0, tzinfo=timezone(timedelta(hours=8)))
    # 16:30 UTC on the 10th is 00:30 on the 11th in UTC+8.
    moment = datetime(2025, 6, 10, 16, 30, tzinfo=UTC)
    assert conversation_time(ms(moment), now) == "00:30"


def test_time_without_a_time_is_blank() -> None:
    assert conversation_time(0, NOW) == ""
    assert conversation_time(-5, NOW) == ""
    assert conversation_time(10**20, NOW) == ""


def test_badge() -> None:
    assert badge(0) == ""
    assert badge(-3) == ""
    assert badge(1) == "1"
    assert badge(99) == "99"
    assert badge(100) == "99+"
    assert badge(12_345) == "99+"


def test_avatar_colour_is_stable_and_spread() -> None:
    # Fixed expectations: the colour must not depend on the process (hash() is salted).
    assert avatar_colour("alice") == avatar_colour("alice")
    assert avatar_colour("alice") in AVATAR_PALETTE
    assert avatar_colour("alice") == "#d35400"
    assert avatar_colour("bob") == "#9a7d0a"
    colours = {avatar_colour(f"user{n}") for n in range(200)}
    assert len(colours) == len(AVATAR_PALETTE)


def test_avatar_letter() -> None:
    assert avatar_letter("bob") == "B"
    assert avatar_letter("  émile") == "É"
    assert avatar_letter("张三") == "张"
    assert avatar_letter("") == "?"


def test_truncate_measures_cells() -> None:
    assert display_width("欢迎") == 4
    assert display_width("📌") == 2
    assert truncate("hello", 5) == "hello"
    assert truncate("hello world", 8) == "hello w…"
    assert truncate("欢迎欢迎欢迎", 7) == "欢迎欢…"
    # A wide character is never split: 6 cells of room leave "欢迎" plus the ellipsis.
    assert truncate("欢迎欢迎欢迎", 6) == "欢迎…"
    assert display_width(truncate("欢迎欢迎欢迎", 6)) == 5
    assert truncate("anything", 0) == ""
    assert truncate("anything", 1) == "…"


def test_one_line() -> None:
    assert one_line("see you\nat noon") == "see you at noon"
    assert one_line("a\r\n\tb") == "a b"
    assert one_line("plain") == "plain"


# -- rendering ------------------------------------------------------------------------------


async def test_rows_show_names_previews_badges_and_markers() -> None:
    names = {"team": "Team standup", "carol": "Carol"}
    app = ListApp(sample(), names=lambda r: names.get(r.target, r.target))
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        widget = app.query_one(ConversationList)
        lines = screen_lines(widget)
        # Two lines per conversation, in the order given.
        assert "Team standup" in lines[0] and "📌" in lines[0]
        assert lines[0].strip()[0] == "T"
        assert "Carol: shipped!" in lines[1] and lines[1].rstrip().endswith("2")
        assert "bob" in lines[2]
        assert "[Image]" in lines[3] and "99+" in lines[3]
        assert "[Draft] see you at noon" in lines[5]
        assert "dave: mockups" in lines[7] and "🔕" in lines[7] and "7" in lines[7]
        assert "Welcome to imkit" in lines[9]
        # Private and system conversations get no "sender: " prefix.
        assert ":" not in lines[3] and "Welcome" in lines[9].split(":")[0]
        assert all(len(line) <= 60 for line in lines)


async def test_draft_is_drawn_in_the_error_colour() -> None:
    app = ListApp([conv("echo", preview="older", draft="later")])
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        widget = app.query_one(ConversationList)
        strip = widget.render_line(1)
        label = next(segment for segment in strip if segment.text == "[Draft] ")
        expected = widget.get_visual_style(
            "conversation-list--highlight", "conversation-list--draft"
        ).rich_style
        assert label.style is not None and label.style.color == expected.color
        assert "older" not in strip.text


async def test_unread_mentions_show_a_marker_in_the_theme_s_error_colour() -> None:
    mentioned = replace(conv("team", type=3, preview="lunch?", sender="ann", unread=4), mentions=2)
    app = ListApp([mentioned, conv("bob", at=-1, preview="plain", unread=1)])
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        widget = app.query_one(ConversationList)
        strip = widget.render_line(1)
        assert "[@me] ann: lunch?" in strip.text and strip.text.rstrip().endswith("4")
        label = next(segment for segment in strip if segment.text == "[@me] ")
        expected = widget.get_visual_style(
            "conversation-list--highlight", "conversation-list--mention"
        ).rich_style
        assert label.style is not None and label.style.color == expected.color
        assert expected.color is not None and expected.bold
        assert "[@me]" not in widget.render_line(3).text
        widget.upsert(replace(mentioned, mentions=0, unread=0))  # read
        await pilot.pause()
        assert "[@me]" not in widget.render_line(1).text
        # A narrow list still fits the row in its width.
        widget.upsert(replace(mentioned, draft="half a thought"))
        await pilot.resize_terminal(16, 20)
        await pilot.pause()
        narrow = widget.render_line(1)
        assert narrow.cell_length == widget.size.width and "[@" in narrow.text


async def test_wide_names_are_truncated_to_the_width() -> None:
    long_name = "很长的群组名字" * 6
    app = ListApp([conv("g", type=3, preview="好" * 40, sender="x", unread=3)])
    app.names = lambda r: long_name
    async with app.run_test(size=(30, 10)) as pilot:
        await pilot.pause()
        widget = app.query_one(ConversationList)
        first, second = widget.render_line(0), widget.render_line(1)
        assert first.cell_length == second.cell_length == widget.size.width
        assert "…" in first.text and "…" in second.text
        assert second.text.rstrip().endswith("3")


async def test_empty_list_shows_a_hint() -> None:
    app = ListApp([])
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        widget = app.query_one(ConversationList)
        assert "No conversations yet — ctrl+n starts one" in widget.render_line(0).text
        assert widget.highlighted is None
        assert len(widget) == 0
        assert widget  # an empty list is still truthy (it is a widget)
        # Narrower than the hint (the list's width at 80 columns): it wraps, whole.
        await pilot.resize_terminal(30, 20)
        await pilot.pause()
        shown = " ".join(line.strip() for line in screen_lines(widget) if line.strip())
        assert shown == "No conversations yet — ctrl+n starts one"


async def test_group_rows_show_the_group_mark_once_and_you_for_own_messages() -> None:
    rows = [
        conv("team", type=3, at=3, preview="hi all", sender="me"),
        conv("crew", type=3, at=2, preview="alice removed carol", sender=""),
        conv("band", type=3, at=1, preview="hello", sender="bob"),
    ]
    app = ListApp(rows, names=lambda r: f"# {r.target.title()}" if r.type == 3 else r.target)
    app.me = "me"
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        lines = screen_lines(app.query_one(ConversationList))
        # The avatar shows the group's letter; the "#" is the name's, once.
        assert lines[0].split()[:3] == ["T", "#", "Team"] and lines[0].count("#") == 1
        assert lines[1].split()[:3] == ["You:", "hi", "all"]
        # A notice (no sender) is not prefixed: it names who did what itself.
        assert lines[3].strip() == "alice removed carol"
        assert lines[5].split()[:2] == ["bob:", "hello"]


# -- keys, mouse and messages ---------------------------------------------------------------


async def test_keys_move_the_highlight_and_enter_selects() -> None:
    app = ListApp(sample())
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        widget = app.query_one(ConversationList)
        assert widget.highlighted == ref("team", 3)
        await pilot.press("down")
        assert widget.highlighted == ref("bob")
        await pilot.press("j", "j")
        assert widget.highlighted == ref("design", 3)
        await pilot.press("k")
        assert widget.highlighted == ref("echo")
        await pilot.press("up", "up", "up")  # stops at the top
        assert widget.highlighted == ref("team", 3)
        await pilot.press("end")
        assert widget.highlighted == ref("system", 6)
        await pilot.press("home")
        assert widget.highlighted == ref("team", 3)
        await pilot.press("pagedown")
        assert widget.highlighted == ref("system", 6)
        await pilot.press("pageup")
        assert widget.highlighted == ref("team", 3)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.selected == [ref("bob")]
        assert app.highlighted[:4] == [ref("team", 3), ref("bob"), ref("echo"), ref("design", 3)]


async def test_highlighted_row_is_drawn_with_the_highlight_style() -> None:
    app = ListApp(sample(), with_input=True)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        widget = app.query_one(ConversationList)

        def background(y: int) -> object:
            first = next(iter(widget.render_line(y)))
            return first.style.bgcolor if first.style else None

        focused = widget.get_visual_style("conversation-list--highlight").rich_style
        assert background(2) != background(0)
        await pilot.press("down")
        assert background(2) == focused.bgcolor
        app.query_one(Input).focus()
        await pilot.pause()
        assert not widget.has_focus
        blurred = widget.get_visual_style("conversation-list--highlight").rich_style
        assert blurred.bgcolor != focused.bgcolor
        assert background(2) == blurred.bgcolor


async def test_click_selects_the_row_under_the_pointer() -> None:
    app = ListApp(sample())
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        widget = app.query_one(ConversationList)
        assert await pilot.click(ConversationList, offset=(10, 5))  # line 5 = row 2
        await pilot.pause()
        assert app.selected == [ref("echo")]
        assert widget.highlighted == ref("echo")
        assert await pilot.click(ConversationList, offset=(10, 18))  # below the rows
        await pilot.pause()
        assert app.selected == [ref("echo")]


async def test_mouse_wheel_scrolls() -> None:
    many = [conv(f"user{n:02}", at=-n) for n in range(50)]
    app = ListApp(many)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        widget = app.query_one(ConversationList)
        assert widget.scroll_offset.y == 0
        widget.post_message(events.MouseScrollDown(widget, 5, 5, 0, 1, 0, False, False, False))
        await pilot.pause()
        assert widget.scroll_offset.y > 0
        top = widget.scroll_offset.y
        row = (top + 1) // 2  # the first row whose name line is on screen
        assert f"user{row:02}" in widget.render_line(row * 2 - top).text


# -- updates --------------------------------------------------------------------------------


async def test_upsert_moves_to_the_top_below_pinned_and_keeps_the_highlight() -> None:
    app = ListApp(sample())
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        widget = app.query_one(ConversationList)
        widget.highlight(ref("echo"))
        assert widget.highlighted == ref("echo")

        widget.upsert(conv("system", type=6, at=100, preview="New notice", unread=1))
        await pilot.pause()
        lines = screen_lines(widget)
        # Newest, but the pinned conversation stays above it.
        assert "team" in lines[0]
        assert "system" in lines[2] and "New notice" in lines[3]
        assert widget.highlighted == ref("echo")
        assert "echo" in lines[6]

        # A pinned one goes to the very top; the highlight follows the conversation.
        widget.upsert(conv("echo", at=200, pinned=True, draft="see you at noon"))
        await pilot.pause()
        lines = screen_lines(widget)
        assert "echo" in lines[0] and "team" in lines[2]
        assert widget.highlighted == ref("echo")

        # A brand-new conversation lands in its place too.
        widget.upsert(conv("zed", at=45, preview="hi"))
        await pilot.pause()
        order = [widget.render_line(y).text.split()[1] for y in range(0, 12, 2)]
        assert order == ["echo", "team", "system", "zed", "bob", "design"]
        assert len(widget) == 6
        await pilot.press("enter")
        await pilot.pause()
        assert app.selected == [ref("echo")]


async def test_upsert_with_the_same_key_keeps_the_position() -> None:
    app = ListApp(sample())
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        widget = app.query_one(ConversationList)
        widget.upsert(conv("echo", at=30, preview="read", unread=0))
        await pilot.pause()
        assert "echo" in widget.render_line(4).text
        assert widget.get(ref("echo")) == conv("echo", at=30, preview="read")


async def test_equal_keys_keep_their_order_and_the_latest_wins_the_tie() -> None:
    app = ListApp([conv("a", at=10), conv("b", at=10), conv("c", at=5)])
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        widget = app.query_one(ConversationList)
        widget.upsert(conv("c", at=10))
        await pilot.pause()
        assert [widget.render_line(y).text.split()[1] for y in (0, 2, 4)] == ["c", "a", "b"]


async def test_remove_and_total_unread() -> None:
    app = ListApp(sample())
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        widget = app.query_one(ConversationList)
        # The muted group's 7 unread are not counted.
        assert widget.total_unread == 2 + 150
        await pilot.press("down")
        assert widget.highlighted == ref("bob")
        widget.remove(ref("bob"))
        await pilot.pause()
        assert widget.get(ref("bob")) is None
        assert widget.highlighted == ref("echo")
        assert widget.total_unread == 2
        assert len(widget) == 4
        widget.remove(ref("nobody"))
        widget.upsert(conv("team", type=3, at=50, pinned=True, unread=9))
        assert widget.total_unread == 9
        await pilot.press("end")
        widget.remove(ref("system", 6))
        await pilot.pause()
        assert widget.highlighted == ref("design", 3)
        assert app.highlighted[-1] == ref("design", 3)


async def test_set_conversations_keeps_the_highlight_on_the_same_conversation() -> None:
    app = ListApp(sample())
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        widget = app.query_one(ConversationList)
        widget.highlight(ref("design", 3))
        reordered = list(reversed(sample()))
        widget.set_conversations(reordered)
        await pilot.pause()
        assert widget.highlighted == ref("design", 3)
        assert "system" in widget.render_line(0).text  # the caller's order is kept
        await pilot.press("enter")
        await pilot.pause()
        assert app.selected == [ref("design", 3)]


async def test_ten_thousand_conversations_then_a_keypress() -> None:
    many = [conv(f"user{n:05}", at=-n, unread=n % 3) for n in range(10_000)]
    app = ListApp()
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        widget = app.query_one(ConversationList)
        widget.set_conversations(many)
        await pilot.press("end")
        await pilot.pause()
        assert widget.highlighted == ref("user09999")
        assert any("user09999" in line for line in screen_lines(widget))
        await pilot.press("pageup", "up")
        await pilot.pause()
        assert widget.highlighted is not None
        assert any(widget.highlighted.target in line for line in screen_lines(widget))
        widget.upsert(conv("user05000", at=1))
        await pilot.press("home")
        await pilot.pause()
        assert widget.highlighted == ref("user05000")
        assert len(widget) == 10_000
