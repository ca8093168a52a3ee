"""The bubble of every message type: bad content, clicks and actions, GIFs, transfers."""

from __future__ import annotations

import base64
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from PIL import Image
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from imkit_tui import messages
from imkit_tui.core import Direction, Message, SendStatus
from imkit_tui.plugins import PluginRegistry, load_plugins
from imkit_tui.protocol import ConvRef
from imkit_tui.ui.bubbles import (
    Bubble,
    CallBubble,
    FileBubble,
    GifBubble,
    ImageBubble,
    LocationBubble,
    NoticeBubble,
    SummaryBubble,
    TextBubble,
    UnsupportedBubble,
    VideoBubble,
    VoiceBubble,
    actions,
    animations_enabled,
    bubble_class_for,
    bubble_for,
    registered,
    set_animations,
)
from imkit_tui.ui.bubbles._fold import FoldedText
from imkit_tui.ui.bubbles._links import find_spans
from imkit_tui.ui.bubbles.builtin import BUILTIN_BUBBLES, CONTENT_BUBBLES, NOTICE_BUBBLES, setup
from imkit_tui.ui.bubbles.location import coordinates_text, map_url
from imkit_tui.ui.bubbles.voice import bar_count, waveform_bar
from imkit_tui.ui.themes import load_themes, register_themes
from imkit_tui.ui.widgets.bubble_list import BubbleList
from tests.ui import drawn as on_screen

ME = "me"
PEER = "bob"
BASE = 1_767_607_200_000  # 2026-01-05 10:00 UTC


@pytest.fixture(autouse=True)
def utc() -> Iterator[None]:
    """Times on screen are local; pin the zone so the output matches everywhere."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture(autouse=True)
def animations_on() -> Iterator[None]:
    """The switch is app-wide: every test starts and ends with animations on."""
    set_animations(True)
    yield
    set_animations(True)


def make(
    id: int,
    object_name: str,
    content: Any,
    *,
    own: bool = False,
    status: SendStatus | None = None,
) -> Message:
    """A message of the private chat with bob; own when ``own``."""
    if status is None:
        status = SendStatus.SENT if own else SendStatus.RECEIVED
    return Message(
        id=id,
        conv=ConvRef.private(PEER),
        seq=id,
        uid=f"u{id}",
        cmid=f"c{id}",
        sender=ME if own else PEER,
        object_name=object_name,
        content=content,
        sent_at=BASE + id * 60_000,
        direction=Direction.SENT if own else Direction.RECEIVED,
        status=status,
    )


def listened(message: Message) -> Message:
    """The same message, marked as listened to."""
    return msgspec.structs.replace(message, listened=True)


def gradient(width: int = 48, height: int = 32) -> Image.Image:
    """A deterministic picture: red grows to the right, green downwards."""
    image = Image.new("RGB", (width, height))
    image.putdata(
        [
            (x * 255 // max(1, width - 1), y * 255 // max(1, height - 1), 160)
            for y in range(height)
            for x in range(width)
        ]
    )
    return image


def jpeg_base64(width: int = 48, height: int = 32) -> str:
    """The gradient as a base64 JPEG thumbnail, as message content carries it."""
    buffer = io.BytesIO()
    gradient(width, height).save(buffer, "JPEG", quality=85)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def write_gif(path: Path, frames: int = 3, delay_ms: int = 40) -> Path:
    """An animated GIF of solid frames in different colours."""
    colours = [(220, 40, 40), (40, 200, 60), (40, 80, 220), (230, 200, 40)]
    images = [Image.new("RGB", (24, 16), colours[i % len(colours)]) for i in range(frames)]
    images[0].save(path, save_all=True, append_images=images[1:], duration=delay_ms, loop=0)
    return path


class BubbleApp(App[None]):
    """Bubbles in a scrolling column, in one of the app's themes; records what they post."""

    CSS = "BubbleList { height: 1fr; }"

    def __init__(self, bubbles: list[Bubble], theme: str = "imkit-dark") -> None:
        super().__init__()
        self.bubbles = bubbles
        self.theme_name = theme
        self.requests: list[Bubble.ActionRequested] = []
        self.selected: list[Bubble] = []
        self.retries: list[Message] = []
        register_themes(self, load_themes())

    def compose(self) -> ComposeResult:
        shown = BubbleList()
        shown.set_bubbles(self.bubbles)
        yield shown

    def on_mount(self) -> None:
        self.theme = self.theme_name

    def on_bubble_action_requested(self, event: Bubble.ActionRequested) -> None:
        self.requests.append(event)

    def on_bubble_selected(self, event: Bubble.Selected) -> None:
        self.selected.append(event.source)

    def on_bubble_retry_requested(self, event: Bubble.RetryRequested) -> None:
        self.retries.append(event.message)


async def settle(pilot: Pilot[None], rounds: int = 3) -> None:
    """Let mounts, layout and posted messages finish."""
    for _ in range(rounds):
        await pilot.pause()


def lines(bubble: Bubble) -> list[str]:
    """The bubble as drawn, one string per line."""
    return on_screen.lines(bubble)


def drawn(bubble: Bubble) -> str:
    """The bubble as drawn, as one string."""
    return "\n".join(lines(bubble))


def find_cell(bubble: Bubble, text: str) -> tuple[int, int]:
    """The (x, y) offset in the bubble of the first cell of ``text`` as drawn."""
    from rich.cells import cell_len

    for y, line in enumerate(lines(bubble)):
        index = line.find(text)
        if index != -1:
            return cell_len(line[:index]), y
    raise AssertionError(f"{text!r} not drawn in {lines(bubble)}")


# -- bad content, for every built-in type -------------------------------------------

NOT_MAPPINGS: list[Any] = [None, [], "text", 5, True]

BAD_CONTENT: dict[str, list[Any]] = {
    messages.TEXT: [{}, {"content": None}, {"content": 5}, {"content": ["a"]}],
    messages.VOICE: [
        {},
        {"duration": None},
        {"duration": "abc"},
        {"duration": -3},
        {"duration": float("nan")},
        {"duration": 12, "remoteUrl": 5},
    ],
    messages.VOICE_LEGACY: [{"content": "AAAA"}, {"duration": [1]}],
    messages.IMAGE: [{"content": 5}, {"imageUri": {"a": 1}}, {"content": ["x"]}],
    messages.GIF: [
        {},
        {"remoteUrl": None},
        {"remoteUrl": 5},
        {"remoteUrl": "https://x/a.gif", "width": "wide"},
        {"remoteUrl": "https://x/a.gif", "gifDataSize": -1},
    ],
    messages.RICH_CONTENT: [
        {},
        {"title": None, "content": None},
        {"title": 5},
        {"title": "t", "url": 7},
    ],
    messages.FILE: [{}, {"name": None}, {"name": "   "}, {"name": 5}, {"name": "a", "size": "big"}],
    messages.LOCATION: [
        {},
        {"latitude": None, "longitude": None},
        {"latitude": "north", "longitude": 1},
        {"latitude": 91, "longitude": 0},
        {"latitude": 0, "longitude": -180.5},
        {"latitude": float("inf"), "longitude": 0},
        {"latitude": 1, "longitude": 2, "poi": 3},
    ],
    messages.SIGHT: [
        {},
        {"duration": None},
        {"duration": 8, "size": "x"},
        {"duration": 8, "content": 1},
    ],
    messages.COMBINE: [{"nameList": "alice"}, {"summaryList": 5}, {"title": 5}],
    messages.PS_ARTICLE: [
        {},
        {"articles": []},
        {"articles": "x"},
        {"articles": [None]},
        {"articles": [{}]},
    ],
    messages.PS_MULTI_ARTICLE: [{"articles": [5, {"title": "b"}]}, {"articles": [{"title": 5}]}],
}
"""Content each content type refuses: the unsupported bubble shows instead."""

DEGRADED_CONTENT: dict[str, list[Any]] = {
    messages.TEXT: [{"content": "hi @x", "mentionedInfo": "all"}, {"content": "", "extra": None}],
    messages.VOICE: [{"duration": 3, "waveform": "loud"}, {"duration": 3, "waveform": [9, None]}],
    messages.IMAGE: [{}, {"content": None}, {"content": "%%% not base64"}, {"content": "aGVsbG8="}],
    messages.GIF: [{"remoteUrl": "https://x/a.gif", "width": None, "height": None}],
    messages.RICH_CONTENT: [{"title": "t", "url": "javascript:alert(1)"}, {"content": "only text"}],
    messages.FILE: [{"name": "a\x1b[31m.txt", "size": None, "type": None}],
    messages.LOCATION: [{"latitude": "31.5", "longitude": "121", "content": "garbage"}],
    messages.SIGHT: [{"duration": 0, "content": "bm90IGFuIGltYWdl"}],
    messages.COMBINE: [{}, {"nameList": [None, 5, "x"], "summaryList": [None, "a: b"]}],
    messages.PS_MULTI_ARTICLE: [{"articles": [{"digest": "d"}, {"title": None}]}],
}
"""Odd content each type still shows, with less in it."""

NOTICE_CONTENT: list[Any] = [
    None,
    [],
    "x",
    {},
    {"message": None, "operation": 5, "data": "{not json"},
    {"duration": "long", "mediaType": "video", "type": None, "key": ["k"]},
    {"serviceStatus": 99, "source": 12, "msg": None, "status": "x"},
]


def _malformed_cases() -> list[tuple[str, Any]]:
    cases = [(name, bad) for name in CONTENT_BUBBLES for bad in NOT_MAPPINGS]
    cases += [(name, bad) for name, bads in BAD_CONTENT.items() for bad in bads]
    return cases


def test_every_content_type_has_bad_and_odd_samples() -> None:
    assert set(BAD_CONTENT) == set(CONTENT_BUBBLES)
    assert set(CONTENT_BUBBLES) | set(NOTICE_BUBBLES) == set(BUILTIN_BUBBLES)


async def test_malformed_content_of_every_type_shows_the_unsupported_bubble() -> None:
    cases = _malformed_cases()
    made = [
        bubble_for(make(i, name, bad, own=i % 2 == 0), me=ME) for i, (name, bad) in enumerate(cases)
    ]
    for bubble, (name, bad) in zip(made, cases, strict=True):
        assert isinstance(bubble, UnsupportedBubble), (name, bad)
        assert bubble.malformed, (name, bad)
    app = BubbleApp(made)
    async with app.run_test(size=(80, 40)) as pilot:
        await settle(pilot)
        for bubble, (name, _) in zip(made, cases, strict=True):
            assert f"Unsupported message: {name}" in drawn(bubble)


async def test_odd_content_degrades_and_never_raises_while_drawing() -> None:
    cases = [(name, odd) for name, odds in DEGRADED_CONTENT.items() for odd in odds]
    cases += [(name, odd) for name in NOTICE_BUBBLES for odd in NOTICE_CONTENT]
    made = [
        bubble_for(make(i, name, odd, own=i % 2 == 1), me=ME) for i, (name, odd) in enumerate(cases)
    ]
    for bubble, (name, odd) in zip(made, cases, strict=True):
        assert type(bubble) is BUILTIN_BUBBLES[name], (name, odd)
    app = BubbleApp(made)
    async with app.run_test(size=(80, 40)) as pilot:
        await settle(pilot)
        for bubble, (name, odd) in zip(made, cases, strict=True):
            body = bubble.render_body()  # raises nothing, even outside the guard
            assert body is not None
            text = drawn(bubble)
            assert "Unsupported message" not in text, (name, odd)
            assert "\x1b" not in text
            if isinstance(bubble, NoticeBubble):
                assert bubble.notice.strip(), (name, odd)


async def test_image_without_a_readable_thumbnail_shows_the_placeholder() -> None:
    bad = bubble_for(make(1, messages.IMAGE, {"content": "!!not base64!!"}), me=ME)
    good = bubble_for(make(2, messages.IMAGE, {"content": jpeg_base64()}), me=ME)
    app = BubbleApp([bad, good])
    async with app.run_test(size=(80, 30)) as pilot:
        await settle(pilot)
        assert isinstance(bad, ImageBubble) and not bad.has_preview
        assert "🖼 Image" in drawn(bad)
        assert isinstance(good, ImageBubble) and good.has_preview
        assert "▀" in drawn(good) and "Image" not in drawn(good)
        assert 3 <= len(lines(good)) <= 14  # 16 rows of pixels, a time line


async def test_image_without_thumbnail_draws_the_local_file(tmp_path: Path) -> None:
    path = tmp_path / "full.png"
    gradient(40, 20).save(path)
    bubble = bubble_for(make(1, messages.IMAGE, {"imageUri": "https://x/full.png"}), me=ME)
    app = BubbleApp([bubble])
    async with app.run_test(size=(80, 30)) as pilot:
        await settle(pilot)
        assert "🖼 Image" in drawn(bubble)
        bubble.set_media_path(path)
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert isinstance(bubble, ImageBubble) and bubble.has_preview
        assert "▀" in drawn(bubble)


# -- the registry and the builtin plugin ---------------------------------------------


def test_the_builtin_plugin_registers_a_bubble_for_every_type() -> None:
    report = load_plugins()
    assert "builtin" in report.loaded
    table = registered()
    for name, bubble_class in BUILTIN_BUBBLES.items():
        assert table[name] is bubble_class
        assert bubble_class_for(name) is bubble_class
    assert bubble_class_for(messages.CMD_NTF) is NoticeBubble  # known, not shown
    assert bubble_class_for("Nope:Nothing") is UnsupportedBubble
    for message_type in messages.all_types():
        if (
            message_type.kind is messages.MessageKind.CONTENT
            and message_type.object_name.startswith("RC:")
        ):
            assert bubble_class_for(message_type.object_name) is not SummaryBubble


def test_builtin_setup_keeps_bubbles_registered_before_it() -> None:
    registry = PluginRegistry("builtin")
    setup(registry)  # everything is registered already: nothing to add, nothing raised
    assert registry.bubbles == []


# -- text: links and mentions --------------------------------------------------------


def test_links_and_mentions_are_found_where_a_reader_sees_them() -> None:
    text = "see https://example.com/a_(b). or www.rongcloud.cn，谢谢 mail bob@x.com @alice @all"
    spans = find_spans(text)
    urls = [span.url for span in spans if span.url]
    who = [span.who for span in spans if span.who]
    assert urls == ["https://example.com/a_(b)", "https://www.rongcloud.cn"]
    assert who == ["alice", "all"]
    odd = find_spans("ping @user:1 now", mentioned_ids=["user:1"])
    assert [span.who for span in odd] == ["user:1"]
    (bracketed,) = find_spans("(https://x.org/a)")
    assert bracketed.url == "https://x.org/a"
    assert [span.url for span in find_spans("https://a.cn/x你好")] == ["https://a.cn/x"]


async def test_text_styles_links_and_mentions_and_knows_when_it_mentions_me() -> None:
    content = {
        "content": "hey @me look at https://example.com/x and ask @carol",
        "mentionedInfo": {"type": 2, "userIdList": [ME]},
    }
    bubble = bubble_for(make(1, messages.TEXT, content), me=ME)
    plain = bubble_for(make(2, messages.TEXT, {"content": "no one here"}), me=ME)
    everyone = bubble_for(
        make(3, messages.TEXT, {"content": "@all meeting", "mentionedInfo": {"type": 1}}), me=ME
    )
    app = BubbleApp([bubble, plain, everyone])
    async with app.run_test(size=(80, 20)) as pilot:
        await settle(pilot)
        assert isinstance(bubble, TextBubble)
        assert bubble.links == ["https://example.com/x"]
        assert bubble.mentions == ["me", "carol"]
        assert bubble.mentions_me and everyone.mentions_me  # type: ignore[attr-defined]
        assert not plain.mentions_me  # type: ignore[attr-defined]
        folded = bubble.render_body()
        assert isinstance(folded, FoldedText)
        body = folded.text
        styles = {body.plain[span.start : span.end]: span.style for span in body.spans}
        colours = bubble.palette
        assert styles["@me"] == colours.mention_me
        assert styles["@carol"] == colours.mention
        link_style = styles["https://example.com/x"]
        assert not isinstance(link_style, str) and link_style.underline
        assert actions.link_at(link_style) == (actions.OPEN_LINK, "https://example.com/x")
        assert bubble.actions() == [(actions.COPY, "Copy text"), (actions.OPEN_LINK, "Open link")]
        assert bubble.default_action is None


# -- clicks and actions --------------------------------------------------------------


async def test_clicking_a_link_posts_open_link_with_its_url() -> None:
    url = "https://example.com/page?q=1"
    bubble = bubble_for(make(1, messages.TEXT, {"content": f"read {url} today"}), me=ME)
    app = BubbleApp([bubble])
    async with app.run_test(size=(80, 12)) as pilot:
        await settle(pilot)
        x, y = find_cell(bubble, "example.com")
        assert await on_screen.click(pilot, bubble, offset=(x, y))
        await settle(pilot)
        assert app.selected == [bubble]
        assert [(r.action, r.url, r.source) for r in app.requests] == [
            (actions.OPEN_LINK, url, bubble)
        ]
        app.requests.clear()
        x, y = find_cell(bubble, "today")
        await on_screen.click(pilot, bubble, offset=(x, y))
        await settle(pilot)
        assert app.requests == []  # a plain text has no default action: it is selected


MEDIA_CLICKS: list[tuple[str, dict[str, Any], str, str]] = [
    (messages.IMAGE, {"content": jpeg_base64()}, "▀", actions.VIEW),
    (messages.VOICE, {"duration": 7, "remoteUrl": "https://x/v.aac"}, "0:07", actions.PLAY),
    (messages.SIGHT, {"duration": 8, "sightUrl": "https://x/v.mp4"}, "0:08", actions.PLAY),
    (messages.FILE, {"name": "notes.txt", "size": 10}, "notes.txt", actions.DOWNLOAD),
    (messages.GIF, {"remoteUrl": "https://x/a.gif"}, "GIF", actions.DOWNLOAD),
    (
        messages.LOCATION,
        {"latitude": 48.8584, "longitude": 2.2945, "poi": "Tour"},
        "Tour",
        actions.OPEN_MAP,
    ),
    (messages.COMBINE, {"summaryList": ["a: b"]}, "a: b", actions.VIEW),
    (messages.RICH_CONTENT, {"title": "Card", "url": "https://x.org/c"}, "Card", actions.OPEN_LINK),
]


@pytest.mark.parametrize(
    ("name", "content", "spot", "action"), MEDIA_CLICKS, ids=lambda v: str(v)[:12]
)
async def test_clicking_a_media_body_posts_its_default_action(
    name: str, content: dict[str, Any], spot: str, action: str
) -> None:
    bubble = bubble_for(make(1, name, content, own=True), me=ME)
    app = BubbleApp([bubble])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not isinstance(bubble, UnsupportedBubble)
        assert bubble.default_action == action
        assert action in [name for name, _ in bubble.actions()]
        x, y = find_cell(bubble, spot)
        await on_screen.click(pilot, bubble, offset=(x, y))
        await settle(pilot)
        assert [r.action for r in app.requests] == [action]
        assert app.selected == [bubble]
        if action in (actions.OPEN_LINK, actions.OPEN_MAP):
            assert app.requests[0].url == bubble.url_for(action) and app.requests[0].url
        # The status line is not the body: a click there only selects.
        app.requests.clear()
        await on_screen.click(
            pilot, bubble, offset=(len(lines(bubble)[-1]) - 3, len(lines(bubble)) - 1)
        )
        await settle(pilot)
        assert app.requests == []


async def test_location_link_opens_the_map() -> None:
    bubble = bubble_for(
        make(1, messages.LOCATION, {"latitude": 31.2304, "longitude": 121.4737}), me=ME
    )
    app = BubbleApp([bubble])
    async with app.run_test(size=(80, 12)) as pilot:
        await settle(pilot)
        assert isinstance(bubble, LocationBubble)
        assert bubble.map_url == (
            "https://www.openstreetmap.org/?mlat=31.2304&mlon=121.4737#map=16/31.2304/121.4737"
        )
        x, y = find_cell(bubble, "Open in map")
        await on_screen.click(pilot, bubble, offset=(x, y))
        await settle(pilot)
        assert [(r.action, r.url) for r in app.requests] == [(actions.OPEN_MAP, bubble.map_url)]
    assert coordinates_text(-33.8688, -151.2093) == "33.8688° S, 151.2093° W"
    assert map_url(0, -0.5) == "https://www.openstreetmap.org/?mlat=0&mlon=-0.5#map=16/0/-0.5"


async def test_a_failed_media_message_still_retries_from_its_status_line() -> None:
    message = make(1, messages.FILE, {"name": "a.pdf"}, own=True, status=SendStatus.FAILED)
    bubble = bubble_for(message, me=ME)
    app = BubbleApp([bubble])
    async with app.run_test(size=(80, 10)) as pilot:
        await settle(pilot)
        x, y = find_cell(bubble, "failed")
        await on_screen.click(pilot, bubble, offset=(x, y))
        await settle(pilot)
        assert app.retries == [message]
        assert app.requests == []


async def test_request_action_posts_for_menus_and_keys() -> None:
    bubble = bubble_for(make(1, messages.VOICE, {"duration": 3}), me=ME)
    app = BubbleApp([bubble])
    async with app.run_test(size=(80, 10)) as pilot:
        await settle(pilot)
        assert bubble.request_action()
        assert bubble.request_action(actions.SAVE)
        await settle(pilot)
        assert [(r.action, r.url, r.message) for r in app.requests] == [
            (actions.PLAY, None, bubble.message),
            (actions.SAVE, None, bubble.message),
        ]
        notice = bubble_for(make(2, messages.INFO_NTF, {"message": "hi"}), me=ME)
        assert notice.actions() == [] and notice.default_action is None


# -- voice, video, transfers --------------------------------------------------------


async def test_the_unplayed_dot_shows_only_for_received_unlistened_voice() -> None:
    content = {"duration": 12, "remoteUrl": "https://x/v.aac"}
    received = bubble_for(make(1, messages.VOICE, content), me=ME)
    own = bubble_for(make(2, messages.VOICE, content, own=True), me=ME)
    heard = bubble_for(listened(make(3, messages.VOICE, content)), me=ME)
    app = BubbleApp([received, own, heard])
    async with app.run_test(size=(80, 12)) as pilot:
        await settle(pilot)
        assert isinstance(received, VoiceBubble) and received.unplayed
        assert "●" in drawn(received)
        assert "●" not in drawn(own) and "●" not in drawn(heard)
        assert "▶ 0:12" in drawn(received)
        received.playing = True
        await settle(pilot)
        assert "■ 0:12" in drawn(received) and "▶" not in drawn(received)


def test_the_waveform_grows_with_the_duration() -> None:
    assert bar_count(1) < bar_count(12) < bar_count(60) == bar_count(600)
    assert waveform_bar(None, 5) == "▂▂▂▂▂"
    assert waveform_bar([0, 7], 4) == "▁▁██"
    assert waveform_bar([0, 1, 2, 3, 4, 5, 6, 7], 4) == "▂▄▆█"


async def test_video_shows_its_thumbnail_length_size_and_playing_state() -> None:
    content = {"content": jpeg_base64(), "duration": 8, "size": 2_000_000, "sightUrl": "https://x"}
    bubble = bubble_for(make(1, messages.SIGHT, content), me=ME)
    app = BubbleApp([bubble])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(bubble, VideoBubble)
        assert "▶ 0:08 · 1.9 MB" in drawn(bubble) and "▀" in drawn(bubble)
        bubble.playing = True
        await settle(pilot)
        assert "■ 0:08" in drawn(bubble)


TRANSFER_SAMPLES: list[tuple[str, dict[str, Any]]] = [
    (messages.FILE, {"name": "big.zip", "size": 1000}),
    (messages.IMAGE, {"imageUri": "https://x/i.jpg"}),
    (messages.VOICE, {"duration": 4}),
    (messages.SIGHT, {"duration": 4}),
    (messages.GIF, {"remoteUrl": "https://x/a.gif"}),
]


async def test_set_transfer_shows_a_percentage_until_cleared() -> None:
    made = [bubble_for(make(i, n, c), me=ME) for i, (n, c) in enumerate(TRANSFER_SAMPLES)]
    app = BubbleApp(made)
    async with app.run_test(size=(80, 40)) as pilot:
        await settle(pilot)
        for bubble in made:
            bubble.set_transfer(450, 1000)
        await settle(pilot)
        for bubble in made:
            assert bubble.transfer == (450, 1000)
            assert "▕████░░░░▏ 45%" in drawn(bubble), type(bubble).__name__
        made[0].set_transfer(5000, 1000)
        made[1].set_transfer(2048, 0)
        await settle(pilot)
        assert "▕████████▏ 100%" in drawn(made[0])
        assert "2.0 KB" in drawn(made[1])
        for bubble in made:
            bubble.set_transfer(None)
        await settle(pilot)
        for bubble in made:
            assert bubble.transfer is None and "%" not in drawn(bubble)
        text = bubble_for(make(9, messages.TEXT, {"content": "hi"}), me=ME)
        text.set_transfer(1, 2)  # a no-op for bubbles without media
        assert text.transfer == (1, 2)


async def test_file_shows_icon_shortened_name_and_size() -> None:
    name = "quarterly-report-final-version-2-really-final.pdf"
    bubble = bubble_for(make(1, messages.FILE, {"name": name, "size": 1_234_567}), me=ME)
    app = BubbleApp([bubble])
    async with app.run_test(size=(80, 10)) as pilot:
        await settle(pilot)
        assert isinstance(bubble, FileBubble)
        text = drawn(bubble)
        assert "📕" in text and "…" in text and text.count(".pdf") == 1 and "1.2 MB" in text
        assert bubble.default_action == actions.DOWNLOAD
        bubble.set_media_path("/tmp/somewhere/report.pdf")
        assert bubble.default_action == actions.OPEN
        assert bubble.actions()[0][0] == actions.OPEN


async def test_call_lines_for_each_outcome() -> None:
    made = [
        bubble_for(make(1, messages.CALL_HANGUP, {"mediaType": 1, "duration": 192_000}), me=ME),
        bubble_for(make(2, messages.CALL_HANGUP, {"mediaType": 2, "duration": 5_000}), me=ME),
        bubble_for(make(3, messages.CALL_HANGUP, {"mediaType": 1, "duration": 0}), me=ME),
        bubble_for(make(4, messages.CALL_HANGUP, {"mediaType": 1}, own=True), me=ME),
        bubble_for(make(5, messages.CALL_INVITE, {"mediaType": 1}), me=ME),
        bubble_for(make(6, messages.CALL_INVITE, {"mediaType": 2}, own=True), me=ME),
    ]
    assert all(isinstance(b, CallBubble) for b in made)
    assert [b.notice for b in made] == [  # type: ignore[attr-defined]
        "Voice call · 3:12",
        "Video call · 0:05",
        "Missed call",
        "Call cancelled",
        "📞 Voice call",
        "📞 Video call",
    ]


# -- GIF animation -------------------------------------------------------------------


async def _loaded_gif(pilot: Pilot[None], bubble: GifBubble, path: Path) -> None:
    bubble.set_media_path(path)
    for _ in range(100):
        await pilot.pause(0.02)
        if bubble.frame_count:
            return
    raise AssertionError("the GIF never loaded")


async def test_a_gif_animates_while_visible_and_stops_with_the_switch(tmp_path: Path) -> None:
    path = write_gif(tmp_path / "a.gif", frames=3, delay_ms=40)
    bubble = bubble_for(make(1, messages.GIF, {"remoteUrl": "https://x/a.gif"}), me=ME)
    assert isinstance(bubble, GifBubble)
    app = BubbleApp([bubble])
    async with app.run_test(size=(80, 20)) as pilot:
        await settle(pilot)
        assert "GIF" in drawn(bubble) and bubble.frame_count == 0
        await _loaded_gif(pilot, bubble, path)
        assert bubble.frame_count == 3 and bubble.animating
        assert "▀" in drawn(bubble) or "█" in drawn(bubble) or drawn(bubble).strip()
        await pilot.pause(0.4)
        assert bubble.steps >= 3
        seen = {bubble.frame_index}
        for _ in range(6):
            await pilot.pause(0.05)
            seen.add(bubble.frame_index)
        assert len(seen) >= 2
        set_animations(False)
        assert not animations_enabled() and not bubble.animating
        stopped_at = bubble.steps
        await pilot.pause(0.3)
        assert bubble.steps == stopped_at and bubble.frame_index == 0
        assert (actions.STOP_ANIMATIONS, "Play animations") in bubble.actions()
        set_animations(True)
        await pilot.pause(0.3)
        assert bubble.steps > stopped_at


async def test_a_gif_scrolled_out_of_view_does_not_advance(tmp_path: Path) -> None:
    path = write_gif(tmp_path / "a.gif", frames=2, delay_ms=30)
    gif = bubble_for(make(1, messages.GIF, {"remoteUrl": "https://x/a.gif"}), me=ME)
    assert isinstance(gif, GifBubble)
    filler = [
        bubble_for(make(i, messages.TEXT, {"content": f"line {i}"}), me=ME) for i in range(2, 40)
    ]
    app = BubbleApp([gif, *filler])
    async with app.run_test(size=(60, 16)) as pilot:
        await settle(pilot)
        await _loaded_gif(pilot, gif, path)
        await pilot.pause(0.2)
        assert gif.steps > 0
        app.query_one(BubbleList).scroll_end(animate=False)
        await settle(pilot)
        await pilot.pause(0.15)  # one step may have been under way
        paused_at = gif.steps
        await pilot.pause(0.4)
        assert gif.steps == paused_at
        assert gif.animating  # paused, not stopped: it resumes when back in view
        app.query_one(BubbleList).scroll_home(animate=False)
        await settle(pilot)
        await pilot.pause(0.8)
        assert gif.steps > paused_at


async def test_an_unreadable_gif_says_so(tmp_path: Path) -> None:
    path = tmp_path / "bad.gif"
    path.write_bytes(b"GIF89a nonsense")
    bubble = bubble_for(make(1, messages.GIF, {"remoteUrl": "https://x/a.gif"}), me=ME)
    app = BubbleApp([bubble])
    async with app.run_test(size=(80, 10)) as pilot:
        await settle(pilot)
        bubble.set_media_path(path)
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert "cannot be shown" in drawn(bubble)
