"""The chat view and its bubbles, driven through a small app with Pilot."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from rich.cells import cell_len
from rich.text import Text
from textual.app import App, ComposeResult
from textual.color import Color
from textual.pilot import Pilot
from textual.theme import Theme
from textual.widgets import Static

from imkit_tui import messages
from imkit_tui.core import Direction, Message, SendStatus
from imkit_tui.protocol import ConvRef
from imkit_tui.ui.bubbles import (
    Bubble,
    NoticeBubble,
    SummaryBubble,
    TextBubble,
    UnsupportedBubble,
    bubble_class_for,
    bubble_for,
    register,
)
from imkit_tui.ui.bubbles.divider import day_label, divider_spec
from imkit_tui.ui.bubbles.image import ImageBubble
from imkit_tui.ui.themes import theme_variable_defaults
from imkit_tui.ui.widgets.chat_view import ChatView
from tests.ui import drawn
from tests.ui.drawn import lines

ME = "alice"
PEER = "bob"
CONV = ConvRef.private(PEER)
MINUTE = 60_000
SIZE = (80, 24)


def at(day: date, hour: int = 10, minute: int = 0) -> int:
    """Local wall-clock time as milliseconds since the epoch."""
    return int(datetime.combine(day, time(hour, minute)).timestamp() * 1000)


TODAY = date.today()
BASE = at(TODAY, 9, 0)


def make(
    id: int,
    seq: int | None,
    *,
    sender: str = PEER,
    text: str = "hello",
    sent_at: int | None = None,
    object_name: str = messages.TEXT,
    content: dict[str, Any] | None = None,
    status: SendStatus | None = None,
) -> Message:
    """A message of the conversation with bob; own when the sender is alice."""
    own = sender == ME
    if status is None:
        status = SendStatus.SENT if own else SendStatus.RECEIVED
    return Message(
        id=id,
        conv=CONV,
        seq=seq,
        uid=f"u{id}" if seq is not None else None,
        cmid=f"c{id}",
        sender=sender,
        object_name=object_name,
        content={"content": text} if content is None else content,
        sent_at=BASE + id * 1000 if sent_at is None else sent_at,
        direction=Direction.SENT if own else Direction.RECEIVED,
        status=status,
    )


def history(count: int) -> list[Message]:
    """``count`` stored messages, one a second, alternating senders."""
    return [
        make(i, i, sender=ME if i % 2 else PEER, text=f"message {i}") for i in range(1, count + 1)
    ]


class ChatApp(App[None]):
    """A bare app around one chat view; its loader reads an in-memory history."""

    def __init__(self, stored: list[Message], **options: Any) -> None:
        super().__init__()
        self.stored = stored
        self.options = options
        self.loads: list[tuple[int, int]] = []
        self.retries: list[Message] = []
        self.near_top = 0
        self.running_loads = 0
        self.most_running_loads = 0

    def compose(self) -> ComposeResult:
        yield ChatView(me=ME, loader=self.load, **self.options)

    async def load(self, before_seq: int, limit: int) -> list[Message]:
        self.loads.append((before_seq, limit))
        self.running_loads += 1
        self.most_running_loads = max(self.most_running_loads, self.running_loads)
        try:
            await asyncio.sleep(0)
            older = [m for m in self.stored if m.seq is not None and m.seq < before_seq]
            return older[-limit:]
        finally:
            self.running_loads -= 1

    def on_chat_view_retry_requested(self, event: ChatView.RetryRequested) -> None:
        self.retries.append(event.message)

    def on_chat_view_near_top(self, event: ChatView.NearTop) -> None:
        self.near_top += 1

    @property
    def view(self) -> ChatView:
        return self.query_one(ChatView)


async def settle(pilot: Pilot[None]) -> None:
    """Let mounts, layout and deferred scrolls finish."""
    for _ in range(3):
        await pilot.pause()


def screen_text(app: App[None]) -> str:
    """What the terminal shows, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def dividers(view: ChatView, kind: str) -> list[str]:
    """The texts of the dividers of ``kind`` drawn above the bubbles, top to bottom."""
    return [text for b in view.bubbles() for k, text in b.dividers if k == kind]


def body_text(bubble: Bubble) -> str:
    """The drawn lines without dividers, sender and status line."""
    drawn = lines(bubble)[len(bubble.dividers) + bubble.head_shown :]
    return "\n".join(drawn[:-1] if bubble.meta_shown else drawn)


def bubble_of(view: ChatView, message_id: int) -> Bubble:
    (bubble,) = [b for b in view.bubbles() if b.message.id == message_id]
    return bubble


def visible(view: ChatView, bubble: Bubble) -> bool:
    return drawn.visible(bubble)


async def test_own_messages_right_and_others_left() -> None:
    page = [make(1, 1, sender=PEER, text="hi alice"), make(2, 2, sender=ME, text="hi bob")]
    app = ChatApp(page)
    async with app.run_test(size=SIZE) as pilot:
        await app.view.show(page)
        await settle(pilot)
        theirs, mine = bubble_of(app.view, 1), bubble_of(app.view, 2)
        assert not theirs.own and mine.own
        their_line, my_line = body_text(theirs), body_text(mine)
        assert their_line.index("hi alice") <= 3
        assert len(my_line) - my_line.index("hi bob") - len("hi bob") <= 3
        assert mine.meta_text.startswith("✓ ") and lines(mine)[-1].rstrip().endswith(mine.meta_text)


async def test_group_shows_sender_names_once_per_run() -> None:
    page = [
        make(1, 1, sender="carol", text="one"),
        make(2, 2, sender="carol", text="two"),
        make(3, 3, sender="dave", text="three"),
        make(4, 4, sender=ME, text="mine"),
    ]
    app = ChatApp(page, show_senders=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.view.show(page)
        await settle(pilot)
        shown = [bubble_of(app.view, i).show_sender for i in (1, 2, 3, 4)]
        assert shown == [True, False, True, False]
        assert "carol" in screen_text(app) and "dave" in screen_text(app)


async def test_private_chats_show_no_sender_names() -> None:
    page = [make(1, 1, text="one"), make(2, 2, sender=ME, text="two"), make(3, 3, text="three")]
    app = ChatApp(page)
    async with app.run_test(size=SIZE) as pilot:
        await app.view.show(page)
        await settle(pilot)
        assert not any(b.show_sender for b in app.view.bubbles())
        assert PEER not in screen_text(app)


async def test_one_sender_s_messages_within_five_minutes_form_a_run() -> None:
    page = [
        make(1, 1, sent_at=BASE),
        make(2, 2, sent_at=BASE + 2 * MINUTE),
        make(3, 3, sent_at=BASE + 9 * MINUTE),  # more than five minutes: a new run
        make(4, 4, sender=ME, sent_at=BASE + 10 * MINUTE),
        make(5, 5, sender=ME, sent_at=BASE + 11 * MINUTE),
        make(6, 6, sender=ME, sent_at=BASE + 11 * MINUTE, status=SendStatus.FAILED),
        make(7, 7, sender=ME, sent_at=BASE + 12 * MINUTE),
        make(8, 8, sent_at=BASE + 12 * MINUTE),  # another sender
    ]
    app = ChatApp(page)
    async with app.run_test(size=SIZE) as pilot:
        await app.view.show(page)
        await settle(pilot)
        bubbles = [bubble_of(app.view, i) for i in range(1, 9)]
        assert [b.run_head for b in bubbles] == [1, 0, 1, 1, 0, 0, 0, 1]
        assert [b.run_tail for b in bubbles] == [0, 1, 1, 0, 0, 0, 1, 1]
        # Others' runs: one head with the time; no time under each message.
        assert [b.head_shown for b in bubbles] == [1, 0, 1, 0, 0, 0, 0, 1]
        clock = datetime.fromtimestamp(BASE / 1000).strftime("%H:%M")
        assert lines(bubbles[0])[1].strip() == clock
        # Own runs: the status under the last one, and under any whose status differs.
        assert [b.meta_shown for b in bubbles] == [0, 0, 0, 0, 0, 1, 1, 0]
        assert lines(bubbles[5])[-1].strip() == "! failed — r to retry"
        assert lines(bubbles[6])[-1].strip().startswith("✓ ")
        text = screen_text(app)
        assert text.count(clock) == 1
        # Selected, a follower shows its own time.
        follower = bubbles[1]
        height = drawn.height(follower)
        app.view.focus()
        app.view.select_message(follower.message.id)
        await settle(pilot)
        exact = datetime.fromtimestamp(page[1].sent_at / 1000).strftime("%H:%M")
        assert follower.meta_shown and lines(follower)[-1].strip() == exact
        assert drawn.height(follower) == height + 1
        # A new message of the last sender continues its run: the tail moves down.
        await app.view.add([make(9, 9, sent_at=BASE + 13 * MINUTE)])
        await settle(pilot)
        assert not bubbles[7].run_tail and bubble_of(app.view, 9).run_tail
        assert not bubble_of(app.view, 9).run_head
        # An own message appended ends the run: the status moves to the new last one.
        await app.view.add([make(10, 10, sender=ME, sent_at=BASE + 13 * MINUTE)])
        await app.view.add([make(11, 11, sender=ME, sent_at=BASE + 14 * MINUTE)])
        await settle(pilot)
        assert not bubble_of(app.view, 10).meta_shown and bubble_of(app.view, 11).meta_shown
        # TODAY was read when the module loaded: a run that crosses midnight sees Yesterday.
        label = "Today" if date.today() == TODAY else "Yesterday"
        assert dividers(app.view, "date")[0] == f"── {label} ──"


async def test_a_day_a_notice_or_the_unread_divider_break_a_run() -> None:
    page = [
        make(1, 1, sent_at=at(TODAY - timedelta(days=1), 23, 59)),
        make(2, 2, sent_at=at(TODAY, 0, 1)),  # a new day
        make(3, 3, sent_at=at(TODAY, 0, 2), object_name=messages.RECALL, content={}),
        make(4, 4, sent_at=at(TODAY, 0, 3)),  # after a notice
        make(5, 5, sent_at=at(TODAY, 0, 3)),
    ]
    app = ChatApp(page)
    async with app.run_test(size=SIZE) as pilot:
        await app.view.show(page, unread_after_seq=4)
        await settle(pilot)
        heads = [bubble_of(app.view, i).run_head for i in (1, 2, 4, 5)]
        assert heads == [True, True, True, True]  # 5 is the first unread one


async def test_date_dividers_between_days() -> None:
    page = [
        make(1, 1, sent_at=at(TODAY - timedelta(days=3), 23, 58)),
        make(2, 2, sent_at=at(TODAY - timedelta(days=2), 0, 1)),
        make(3, 3, sent_at=at(TODAY - timedelta(days=1), 12)),
        make(4, 4, sent_at=at(TODAY, 8)),
    ]
    app = ChatApp(page)
    async with app.run_test(size=SIZE) as pilot:
        await app.view.show(page)
        await settle(pilot)
        labels = dividers(app.view, "date")
        assert len(labels) == 4
        assert labels[-2:] == ["── Yesterday ──", "── Today ──"]
        # Each day starts a run: the time shows in its head.
        assert all(bubble.head_shown for bubble in app.view.bubbles())


def test_day_labels() -> None:
    today = date(2024, 11, 28)
    assert day_label(today, today) == "Today"
    assert day_label(date(2024, 11, 27), today) == "Yesterday"
    assert day_label(date(2024, 11, 25), today) == "Mon 25 Nov"
    assert day_label(date(2024, 3, 5), today) == "Tue 5 Mar"
    assert day_label(date(2023, 11, 23), today) == "2023-11-23"
    first = make(1, 1, sent_at=at(today, 10))
    assert [kind for kind, _ in divider_spec(None, first, today=today)] == ["date"]
    second = make(2, 2, sent_at=first.sent_at + MINUTE)
    assert divider_spec(first, second, unread=True, today=today) == (
        ("unread", "── New messages ──"),
    )


async def test_new_messages_divider_before_first_unread_and_scrolled_to() -> None:
    page = history(40)
    app = ChatApp(page)
    async with app.run_test(size=SIZE) as pilot:
        # 21 is alice's own: the divider goes above bob's 22.
        await app.view.show(page, unread_after_seq=20)
        await settle(pilot)
        assert dividers(app.view, "unread") == ["── New messages ──"]
        first_unread = bubble_of(app.view, 22)
        assert ("unread", "── New messages ──") in first_unread.dividers
        assert visible(app.view, first_unread)
        assert "── New messages ──" in screen_text(app)
        assert not app.view.at_bottom


async def test_new_messages_divider_near_the_end_keeps_the_end_in_view() -> None:
    page = history(40)
    app = ChatApp(page)
    async with app.run_test(size=SIZE) as pilot:
        await app.view.show(page, unread_after_seq=39)
        await settle(pilot)
        assert "── New messages ──" in screen_text(app)
        assert app.view.at_bottom


async def test_window_stays_bounded_while_paging_up_through_1000_messages() -> None:
    stored = history(1000)
    app = ChatApp(stored, window=120, page=50)
    async with app.run_test(size=SIZE) as pilot:
        view = app.view
        await view.show(stored[-50:])
        await settle(pilot)
        added = []
        for _ in range(40):
            count = await view.load_older()
            assert view.held_count <= 120
            added.append(count)
            if count == 0:
                break
        await settle(pilot)
        assert sum(added) == 950 and added[-1] == 0
        assert view.shown[0].id == 1
        assert [m.seq for m in view.shown] == list(range(1, 121))
        assert len(view.bubbles()) == 120
        # The newest ones were pruned: the bar offers the way back.
        assert view.new_messages_bar.has_class("-visible")
        await view.jump_to_latest()
        await settle(pilot)
        assert view.shown[-1].id == 1000 and view.at_bottom


async def test_load_older_never_runs_twice_at_once() -> None:
    stored = history(200)
    app = ChatApp(stored)
    async with app.run_test(size=SIZE) as pilot:
        await app.view.show(stored[-50:])
        await settle(pilot)
        counts = await asyncio.gather(app.view.load_older(), app.view.load_older())
        assert sorted(counts) == [0, 50]
        assert app.most_running_loads == 1 and app.loads == [(151, 50)]


async def test_load_older_keeps_the_visible_content_in_place() -> None:
    stored = history(200)
    app = ChatApp(stored)
    async with app.run_test(size=SIZE) as pilot:
        view = app.view
        await view.show(stored[-50:])
        await settle(pilot)
        view.scroll_to(y=30, animate=False)  # not near the top: no automatic load
        await settle(pilot)
        first = next(b for b in view.bubbles() if visible(view, b))
        before = drawn.region(first).y
        assert await view.load_older() == 50
        await settle(pilot)
        assert drawn.region(first).y == before
        assert view.shown[0].seq == 101


async def test_scrolling_to_the_top_loads_older_messages() -> None:
    stored = history(200)
    app = ChatApp(stored)
    async with app.run_test(size=SIZE) as pilot:
        view = app.view
        await view.show(stored[-50:])
        await settle(pilot)
        view.scroll_home(animate=False)
        await settle(pilot)
        assert app.near_top >= 1 and view.held_count == 100


async def test_add_at_the_bottom_scrolls_to_it() -> None:
    stored = history(40)
    app = ChatApp(stored)
    async with app.run_test(size=SIZE) as pilot:
        view = app.view
        await view.show(stored)
        await settle(pilot)
        assert view.at_bottom
        await view.add([make(41, 41, text="newest")])
        await settle(pilot)
        assert view.at_bottom and view.unseen == 0
        assert visible(view, bubble_of(view, 41))
        assert not view.new_messages_bar.has_class("-visible")


async def test_add_when_scrolled_up_counts_in_the_bar() -> None:
    stored = history(40)
    app = ChatApp(stored)
    async with app.run_test(size=SIZE) as pilot:
        view = app.view
        await view.show(stored)
        await settle(pilot)
        view.scroll_home(animate=False)
        await settle(pilot)
        top = view.scroll_y
        await view.add([make(41, 41, text="one"), make(42, 42, text="two")])
        await view.add([make(41, 41, text="one")])  # the same id again: no double count
        await settle(pilot)
        bar = view.new_messages_bar
        assert view.unseen == 2 and bar.has_class("-visible")
        assert "2 new messages ↓" in str(bar.render())
        assert view.scroll_y == top
        view.focus()
        await pilot.press("G")
        await settle(pilot)
        assert view.unseen == 0 and view.at_bottom and not bar.has_class("-visible")
        assert visible(view, bubble_of(view, 42))


async def test_new_messages_are_not_mounted_when_the_window_is_full() -> None:
    stored = history(40)
    app = ChatApp(stored, window=40)
    async with app.run_test(size=SIZE) as pilot:
        view = app.view
        await view.show(stored)
        await settle(pilot)
        view.scroll_home(animate=False)
        await settle(pilot)
        arriving = [make(41, 41), make(42, 42, sender=ME)]
        stored.extend(arriving)
        await view.add(arriving)
        await settle(pilot)
        assert view.held_count <= 40 and 41 not in [m.id for m in view.shown]
        assert view.unseen == 1  # alice's own message is not "new" to her
        view.update_message(make(41, 41, text="edited while held"))
        await view.jump_to_latest()
        await settle(pilot)
        assert [m.id for m in view.shown][-2:] == [41, 42]
        assert view.held_count <= 40 and view.at_bottom


async def test_sending_while_scrolled_up_jumps_to_the_latest() -> None:
    stored = history(40)
    app = ChatApp(stored)
    async with app.run_test(size=SIZE) as pilot:
        view = app.view
        await view.show(stored)
        await settle(pilot)
        view.scroll_home(animate=False)
        await settle(pilot)
        await view.add([make(50, None, sender=ME, status=SendStatus.SENDING)])
        await settle(pilot)
        assert view.at_bottom and visible(view, bubble_of(view, 50))


async def test_status_line_follows_sending_sent_and_failed() -> None:
    stored = history(4)
    app = ChatApp(stored)
    async with app.run_test(size=SIZE) as pilot:
        view = app.view
        await view.show(stored)
        await settle(pilot)
        pending = make(10, None, sender=ME, text="on its way", status=SendStatus.SENDING)
        doomed = make(11, None, sender=ME, text="doomed", status=SendStatus.SENDING)
        await view.add([pending, doomed])
        await settle(pilot)
        assert bubble_of(view, 10).meta_text == "sending…"
        assert [m.id for m in view.shown][-2:] == [10, 11]
        view.update_message(make(10, 5, sender=ME, text="on its way", status=SendStatus.SENT))
        view.update_message(make(11, None, sender=ME, text="doomed", status=SendStatus.FAILED))
        await settle(pilot)
        sent, failed = bubble_of(view, 10), bubble_of(view, 11)
        assert sent.meta_text.startswith("✓ ")
        assert failed.meta_text == "! failed — r to retry"
        assert failed.failed and failed.tooltip
        assert "! failed — r to retry" in screen_text(app)


async def test_late_acknowledgement_moves_the_message_into_seq_order() -> None:
    stored = history(4)
    app = ChatApp(stored)
    async with app.run_test(size=SIZE) as pilot:
        view = app.view
        await view.show(stored)
        await view.add([make(10, None, sender=ME, status=SendStatus.SENDING)])
        await view.add([make(11, 6)])  # bob's reply got seq 6 before our ack
        view.update_message(make(10, 5, sender=ME))
        await settle(pilot)
        assert [m.id for m in view.shown][-2:] == [10, 11]
        assert [b.message.id for b in view.visible_bubbles()][-2:] == [10, 11]


async def test_r_on_a_selected_failed_message_posts_retry_requested() -> None:
    page = [*history(3), make(10, None, sender=ME, text="lost", status=SendStatus.FAILED)]
    app = ChatApp(page)
    async with app.run_test(size=SIZE) as pilot:
        view = app.view
        await view.show(page)
        await settle(pilot)
        view.focus()
        await pilot.press("up")
        assert view.selected is not None and view.selected.id == 10
        assert bubble_of(view, 10).selected
        await pilot.press("r")
        await settle(pilot)
        assert [m.id for m in app.retries] == [10]
        await pilot.press("k")
        assert view.selected is not None and view.selected.id == 3
        await pilot.press("r")  # not failed: nothing
        await pilot.press("j")
        assert view.selected is not None and view.selected.id == 10
        failed = bubble_of(view, 10)
        box = drawn.region(failed)
        await drawn.click(pilot, failed, offset=(box.width - 4, box.height - 1))
        await settle(pilot)
        assert [m.id for m in app.retries] == [10, 10]


async def test_unknown_and_malformed_messages_render_the_unsupported_bubble() -> None:
    page = [
        make(1, 1, object_name="App:Poll", content={"question": "?"}),
        make(2, 2, content={"content": 5}),
        make(3, 3, content={}),
        make(4, 4, content={"content": "fine \x1b[31mred\x07"}),
    ]
    app = ChatApp(page)
    async with app.run_test(size=SIZE) as pilot:
        await app.view.show(page)
        await settle(pilot)
        bubbles = [bubble_of(app.view, i) for i in (1, 2, 3, 4)]
        assert [type(b) for b in bubbles] == [
            UnsupportedBubble,
            UnsupportedBubble,
            UnsupportedBubble,
            TextBubble,
        ]
        text = screen_text(app)
        assert "Unsupported message: App:Poll" in text
        assert text.count("Unsupported message: RC:TxtMsg") == 2
        assert "fine [31mred" in body_text(bubbles[3])
        assert "\x1b" not in body_text(bubbles[3])


async def test_notices_and_summaries() -> None:
    page = [
        make(1, 1, object_name=messages.INFO_NTF, content={"message": "Welcome to imkit"}),
        make(2, 2, object_name=messages.RECALL, content={"messageUId": "x"}),
        make(3, 3, sender=ME, object_name=messages.IMAGE, content={}),
        make(4, 4, object_name=messages.CALL_HANGUP, content={"reason": 1}),
    ]
    app = ChatApp(page)
    async with app.run_test(size=SIZE) as pilot:
        await app.view.show(page)
        await settle(pilot)
        info, recall, image, call = (bubble_of(app.view, i) for i in (1, 2, 3, 4))
        assert isinstance(info, NoticeBubble) and info.notice == "Welcome to imkit"
        assert isinstance(recall, NoticeBubble) and recall.notice == "bob recalled a message"
        assert isinstance(image, ImageBubble) and "Image" in body_text(image)
        assert isinstance(call, NoticeBubble)
        line = next(s for s in screen_text(app).splitlines() if "Welcome to imkit" in s)
        assert line.strip() == "Welcome to imkit" and line.index("W") > 20


async def test_a_recall_turns_the_bubble_into_a_notice() -> None:
    page = history(3)
    app = ChatApp(page)
    async with app.run_test(size=SIZE) as pilot:
        await app.view.show(page)
        await settle(pilot)
        recalled = make(2, 2, object_name=messages.RECALL, content={"messageUId": "u2"})
        app.view.update_message(recalled)
        await settle(pilot)
        assert isinstance(bubble_of(app.view, 2), NoticeBubble)
        assert app.view.held_count == 3


async def test_cjk_and_emoji_text_wraps_within_the_bubble() -> None:
    text = "你好世界，这是一条很长的中文消息。" * 6 + " 👍🎉 done"
    page = [make(1, 1, text=text), make(2, 2, sender=ME, text="好的 👍")]
    app = ChatApp(page)
    async with app.run_test(size=SIZE) as pilot:
        await app.view.show(page)
        await settle(pilot)
        bubble = bubble_of(app.view, 1)
        rendered = body_text(bubble)
        widest = max(cell_len(line.rstrip()) for line in rendered.splitlines())
        assert widest <= int(app.view.scrollable_content_region.width * 0.7) + 2
        assert len(rendered.splitlines()) >= 3
        assert "".join(rendered.split()) == "".join(text.split())
        assert "好的 👍" in screen_text(app)


async def test_pending_messages_sort_after_stored_ones() -> None:
    page = [make(9, None, sender=ME), make(3, None, sender=ME), make(5, 5), make(4, 4)]
    app = ChatApp(page)
    async with app.run_test(size=SIZE) as pilot:
        await app.view.show(page)
        await settle(pilot)
        assert [m.id for m in app.view.shown] == [4, 5, 3, 9]


class _ExplodingBubble(Bubble):
    def __init__(self, message: Message, *, me: str, show_sender: bool = False) -> None:
        raise KeyError("no such field")


class _BrokenBodyBubble(Bubble):
    def render_body(self) -> Text:
        raise RuntimeError("broken")


def test_registry_falls_back_and_refuses_duplicates() -> None:
    register("Test:Explodes", _ExplodingBubble)
    bubble = bubble_for(make(1, 1, object_name="Test:Explodes"), me=ME)
    assert isinstance(bubble, UnsupportedBubble) and bubble.malformed
    assert isinstance(bubble_for(make(2, 2, object_name="Nope:Nothing"), me=ME), UnsupportedBubble)
    assert bubble_class_for(messages.TEXT) is TextBubble
    assert bubble_class_for(messages.CMD_NTF) is NoticeBubble  # known, no bubble of its own
    with pytest.raises(ValueError):
        register(messages.TEXT, SummaryBubble)
    with pytest.raises(TypeError):
        register("Test:NotABubble", Static)  # type: ignore[arg-type]
    register("Test:Explodes", SummaryBubble, replace=True)
    assert bubble_class_for("Test:Explodes") is SummaryBubble


class _Unrenderable:
    def __rich_console__(self, console: object, options: object) -> Iterator[Text]:
        raise ValueError("cannot draw this")
        yield Text("never")


class _BadRenderableBubble(Bubble):
    def render_body(self) -> Any:
        return _Unrenderable()


async def test_a_body_that_fails_to_render_degrades() -> None:
    register("Test:BrokenBody", _BrokenBodyBubble, replace=True)
    register("Test:BadRenderable", _BadRenderableBubble, replace=True)
    page = [
        make(1, 1, object_name="Test:BrokenBody"),
        make(2, 2, object_name="Test:BadRenderable", sender=ME),
    ]
    app = ChatApp(page)
    async with app.run_test(size=SIZE) as pilot:
        await app.view.show(page)
        await settle(pilot)
        text = screen_text(app)
        assert "Unsupported message: Test:BrokenBody" in text
        assert "Unsupported message: Test:BadRenderable" in text


def _body_background(bubble: Bubble, text: str) -> str | None:
    """The background colour (hex) under ``text`` where the bubble draws it."""
    for strip in drawn.strips(bubble):
        for segment in strip:
            if text in segment.text and segment.style and segment.style.bgcolor:
                return segment.style.bgcolor.triplet.hex if segment.style.bgcolor.triplet else None
    return None


async def test_bubble_colours_come_from_the_theme_with_fallbacks() -> None:
    page = [make(1, 1, sender=ME, text="mine"), make(2, 2, text="theirs")]
    app = ChatApp(page)
    async with app.run_test(size=SIZE) as pilot:
        await app.view.show(page)
        await settle(pilot)
        mine, theirs = bubble_of(app.view, 1), bubble_of(app.view, 2)
        # Textual's own theme has no $bubble-own: it is derived from the theme.
        derived = Color.parse(theme_variable_defaults(app.current_theme)["bubble-own"])
        assert _body_background(mine, "mine") == derived.hex.lower()
        app.register_theme(
            Theme(
                name="bubbly",
                primary="#4f9cf9",
                variables={"bubble-own": "#123456", "bubble-peer": "#654321"},
            )
        )
        app.theme = "bubbly"
        await settle(pilot)
        assert _body_background(mine, "mine") == "#123456"
        assert _body_background(theirs, "theirs") == "#654321"


async def test_clicking_the_new_messages_bar_jumps_to_the_latest() -> None:
    stored = history(40)
    app = ChatApp(stored)
    async with app.run_test(size=SIZE) as pilot:
        view = app.view
        await view.show(stored)
        await settle(pilot)
        view.scroll_home(animate=False)
        await settle(pilot)
        await view.add([make(41, 41, text="newest")])
        await settle(pilot)
        await pilot.click(view.new_messages_bar)
        await settle(pilot)
        assert view.at_bottom and view.unseen == 0
        assert visible(view, bubble_of(view, 41))


async def test_escape_clears_the_selection_and_up_at_the_top_pages_in() -> None:
    stored = history(60)
    app = ChatApp(stored, page=20)
    async with app.run_test(size=SIZE) as pilot:
        view = app.view
        await view.show(stored[-20:])
        await settle(pilot)
        view.focus()
        for _ in range(20):
            await pilot.press("k")
        await settle(pilot)
        assert view.selected is not None and view.selected.id == 41
        await pilot.press("k")
        await settle(pilot)
        assert view.selected is not None and view.selected.id == 40
        assert view.held_count == 40
        await pilot.press("escape")
        assert view.selected is None
