"""Snapshots of every bubble type, own and received, in the dark and the light theme;
text and notices in two of Textual's themes too."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from imkit_tui import messages
from imkit_tui.core import Message, SendStatus
from imkit_tui.ui.bubbles import Bubble, GifBubble, bubble_for, set_animations
from tests.ui.test_bubbles import BubbleApp, jpeg_base64, make, settle, write_gif

THEMES = ["imkit-dark", "imkit-light"]
ME = "me"


@pytest.fixture(autouse=True)
def still_gifs() -> Iterator[None]:
    """Snapshots show GIFs stopped on their first frame; the switch is reset after."""
    set_animations(False)
    yield
    set_animations(True)


Setup = Callable[[list[Bubble], Path], None]


@dataclass
class Case:
    """The messages of one snapshot, the terminal height, and what to do once mounted."""

    messages: list[Message]
    height: int = 16
    setup: Setup | None = None
    loads: bool = False


def _m(id: int, name: str, content: Any, own: bool = False, **kw: Any) -> Message:
    return make(id, name, content, own=own, **kw)


THUMB = jpeg_base64(48, 28)
WAVE = [0, 1, 3, 5, 7, 6, 4, 2, 1, 3, 5, 6, 7, 5, 3, 1]


def _playing(bubbles: list[Bubble], tmp: Path) -> None:
    bubbles[-1].playing = True  # type: ignore[attr-defined]


def _transfer(bubbles: list[Bubble], tmp: Path) -> None:
    bubbles[-1].set_transfer(45, 100)


def _gif_file(bubbles: list[Bubble], tmp: Path) -> None:
    bubbles[-1].set_media_path(write_gif(tmp / "anim.gif", frames=3))


CASES: dict[str, Case] = {
    "text": Case(
        [
            _m(1, messages.TEXT, {"content": "你好! Long messages wrap inside the bubble 👍 " * 2}),
            _m(
                2,
                messages.TEXT,
                {"content": "Docs at https://example.com/docs and www.rongcloud.cn — @carol @all"},
                own=True,
            ),
            _m(
                3,
                messages.TEXT,
                {"content": "@me can you check?", "mentionedInfo": {"type": 2, "userIdList": [ME]}},
            ),
        ],
        height=14,
    ),
    "voice": Case(
        [
            _m(
                1,
                messages.VOICE,
                {"duration": 12, "remoteUrl": "https://x/1.aac", "waveform": WAVE},
            ),
            _m(2, messages.VOICE, {"duration": 45, "remoteUrl": "https://x/2.aac"}, own=True),
            _m(3, messages.VOICE_LEGACY, {"duration": 3, "content": "AAAA"}, own=True),
        ],
        height=10,
        setup=_playing,
    ),
    "image": Case(
        [
            _m(1, messages.IMAGE, {"content": THUMB, "imageUri": "https://x/i.jpg"}),
            _m(2, messages.IMAGE, {"imageUri": "https://x/j.jpg"}, own=True),
        ],
        height=22,
    ),
    "gif": Case(
        [
            _m(
                1,
                messages.GIF,
                {
                    "remoteUrl": "https://x/a.gif",
                    "width": 240,
                    "height": 180,
                    "gifDataSize": 123_456,
                },
            ),
            _m(2, messages.GIF, {"remoteUrl": "https://x/b.gif", "gifDataSize": 4_096}, own=True),
        ],
        height=20,
        setup=_gif_file,
        loads=True,
    ),
    "rich_content": Case(
        [
            _m(
                1,
                messages.RICH_CONTENT,
                {
                    "title": "Release notes",
                    "content": "Version 2 ships today, with read receipts in groups.",
                    "imageUri": "https://x/p.png",
                    "url": "https://example.com/notes/v2",
                },
            ),
            _m(
                2,
                messages.RICH_CONTENT,
                {"title": "No link here", "content": "Just a card."},
                own=True,
            ),
        ],
        height=12,
    ),
    "file": Case(
        [
            _m(
                1,
                messages.FILE,
                {
                    "name": "quarterly-report-final-version-2-really-final.pdf",
                    "size": 1_234_567,
                    "type": "application/pdf",
                },
            ),
            _m(2, messages.FILE, {"name": "photos.zip", "size": 52_428_800}, own=True),
        ],
        height=12,
        setup=_transfer,
    ),
    "location": Case(
        [
            _m(
                1,
                messages.LOCATION,
                {
                    "content": THUMB,
                    "latitude": 31.2304,
                    "longitude": 121.4737,
                    "poi": "People's Square",
                },
            ),
            _m(2, messages.LOCATION, {"latitude": -33.8568, "longitude": 151.2153}, own=True),
        ],
        height=24,
    ),
    "video": Case(
        [
            _m(
                1,
                messages.SIGHT,
                {"content": THUMB, "sightUrl": "https://x/v.mp4", "duration": 8, "size": 2_345_678},
            ),
            _m(2, messages.SIGHT, {"sightUrl": "https://x/w.mp4", "duration": 95}, own=True),
        ],
        height=22,
        setup=_playing,
    ),
    "combine": Case(
        [
            _m(
                1,
                messages.COMBINE,
                {
                    "conversationType": 1,
                    "nameList": ["alice", "bob"],
                    "summaryList": [
                        "alice: are we on for friday?",
                        "bob: yes, 7pm",
                        "alice: 👍",
                        "bob: see you",
                        "alice: bye",
                    ],
                    "messageCount": 12,
                },
            ),
            _m(
                2,
                messages.COMBINE,
                {"nameList": ["a", "b", "c", "d"], "summaryList": ["a: hi"]},
                own=True,
            ),
        ],
        height=16,
    ),
    "article": Case(
        [
            _m(
                1,
                messages.PS_ARTICLE,
                {
                    "articles": [
                        {
                            "title": "Weekly digest",
                            "digest": "The five things that happened this week.",
                            "url": "https://example.com/w",
                        }
                    ]
                },
            ),
            _m(
                2,
                messages.PS_MULTI_ARTICLE,
                {
                    "articles": [
                        {"title": "Headline of the day", "url": "https://example.com/1"},
                        {"title": "Second story", "url": "https://example.com/2"},
                        {"title": "Third story"},
                    ]
                },
            ),
        ],
        height=14,
    ),
    "notices": Case(
        [
            _m(1, messages.INFO_NTF, {"message": "Welcome to imkit"}),
            _m(
                2,
                messages.GROUP_NTF,
                {
                    "operatorUserId": "alice",
                    "operation": "Add",
                    "data": {"targetUserDisplayNames": ["bob", "carol"]},
                },
            ),
            _m(3, messages.RECALL, {"messageUId": "x"}),
            _m(4, messages.RECALL, {"messageUId": "y"}, own=True),
            _m(5, messages.CONTACT_NTF, {"operation": "Request", "message": "Hi, I am bob"}),
            _m(6, messages.PROFILE_NTF, {"operation": "update"}),
            _m(7, messages.CHATROOM_KV_NTF, {"type": 1, "key": "topic", "value": "music"}),
        ],
        height=9,
    ),
    "calls": Case(
        [
            _m(1, messages.CALL_HANGUP, {"mediaType": 1, "duration": 192_000}),
            _m(2, messages.CALL_HANGUP, {"mediaType": 2, "duration": 65_000}, own=True),
            _m(3, messages.CALL_HANGUP, {"mediaType": 1, "duration": 0}),
            _m(4, messages.CALL_HANGUP, {"mediaType": 2}, own=True),
            _m(5, messages.CALL_INVITE, {"mediaType": 1}),
            _m(6, messages.CALL_INVITE, {"mediaType": 2}, own=True),
        ],
        height=8,
    ),
    "customer_service": Case(
        [
            _m(1, messages.CS_HANDSHAKE_RESPONSE, {"code": 200}),
            _m(2, messages.CS_UPDATE, {"serviceStatus": 1}),
            _m(3, messages.CS_CHANGE_MODE, {}, own=True),
            _m(4, messages.CS_CHANGE_MODE_RESPONSE, {"status": 1}),
            _m(5, messages.CS_PULL_EVALUATION, {}),
            _m(6, messages.CS_EVALUATION, {"source": 4}, own=True),
            _m(7, messages.CS_END, {"msg": "Thanks for contacting us!"}),
        ],
        height=9,
    ),
    "unsupported_and_failed": Case(
        [
            _m(1, "App:Poll", {"question": "lunch?"}),
            _m(2, messages.LOCATION, {"latitude": 123, "longitude": 0}, own=True),
            _m(3, messages.FILE, {"name": "a.txt"}, own=True, status=SendStatus.FAILED),
        ],
        height=10,
    ),
}


def _before(case: Case, tmp: Path) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, BubbleApp)
        await settle(pilot)
        if case.setup is not None:
            case.setup(app.bubbles, tmp)
        if case.loads:
            for _ in range(200):
                await pilot.pause(0.02)
                if all(
                    b.frame_count for b in app.bubbles if isinstance(b, GifBubble) and b.media_path
                ):
                    break
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("kind", list(CASES))
def test_bubble(snap_compare: Any, tmp_path: Path, kind: str, theme: str) -> None:
    case = CASES[kind]
    bubbles = [bubble_for(message, me=ME) for message in case.messages]
    app = BubbleApp(bubbles, theme=theme)
    assert snap_compare(app, terminal_size=(72, case.height), run_before=_before(case, tmp_path))


@pytest.mark.parametrize("theme", ["nord", "textual-light"])
@pytest.mark.parametrize("kind", ["text", "notices"])
def test_bubble_in_textual_themes(snap_compare: Any, tmp_path: Path, kind: str, theme: str) -> None:
    """Textual's own themes (one dark, one light): the chat derives its colours from them."""
    case = CASES[kind]
    bubbles = [bubble_for(message, me=ME, show_sender=True) for message in case.messages]
    app = BubbleApp(bubbles, theme=theme)
    assert snap_compare(app, terminal_size=(72, case.height), run_before=_before(case, tmp_path))
