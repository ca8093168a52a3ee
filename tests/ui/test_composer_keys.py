"""The composer's keys when they arrive faster than the app handles them, and its line
edits (ctrl+u, ctrl+k) and alt keys.

Pilot's ``press`` waits for the app to be idle after every key; a terminal, a fast
typist or ``tmux send-keys`` does not. :func:`burst` posts every key to the app at once,
as the terminal driver does when one read brings many.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import App
from textual.binding import BindingType
from textual.pilot import Pilot
from textual.widgets import Input

from imkit_tui.ui.widgets.composer import Composer
from imkit_tui.ui.widgets.mention_picker import MentionPicker
from tests.ui.test_composer import ComposerApp, MentionApp

LONG_ASCII = " ".join(letter * 4 for letter in "abcdefghijklmnopqrstuvwxyz")  # 129 + …
LONG_ASCII += " the end"
LONG_CHINESE = "这是一条很长的中文消息，用来测试快速输入时按下回车是否会把整条消息发出去。" * 4


def key_event(key: str) -> events.Key:
    """A key event as the terminal driver makes it: a character is its own key."""
    if len(key) > 1:
        return events.Key(key, "\r" if key == "enter" else None)
    if key == " ":
        return events.Key("space", " ")
    return events.Key(key, key)


async def burst(pilot: Pilot[None], app: App[None], *keys: str) -> None:
    """Post all `keys` to the app in one go (no pause between them), then settle."""
    for key in keys:
        app.post_message(key_event(key))
    await pilot.pause()
    await pilot.pause()


async def test_enter_right_after_fast_typing_sends_all_of_it() -> None:
    assert min(len(LONG_ASCII), len(LONG_CHINESE)) > 130
    for text in (LONG_ASCII, LONG_CHINESE):
        app = ComposerApp()
        async with app.run_test(size=(80, 24)) as pilot:
            composer = app.query_one(Composer)
            await burst(pilot, app, *text, "enter")
            assert app.submitted == [text]
            assert composer.text == ""


async def test_keys_after_enter_start_the_next_message() -> None:
    app = ComposerApp()
    async with app.run_test(size=(80, 24)) as pilot:
        composer = app.query_one(Composer)
        await burst(pilot, app, *"first", "enter", *"second", "ctrl+j", *"line", "enter", *"x")
        assert app.submitted == ["first", "second\nline"]
        assert composer.text == "x"


async def test_edit_keys_act_where_they_were_typed() -> None:
    app = ComposerApp()
    async with app.run_test(size=(80, 24)) as pilot:
        composer = app.query_one(Composer)
        keys = [*"abc", "backspace", *"de", "left", "left", "ctrl+u", *"x", "end", *"y"]
        await burst(pilot, app, *keys)
        assert composer.text == "xdey"


async def test_mention_keys_act_on_what_was_typed_before_them() -> None:
    app = MentionApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await burst(pilot, app, *"hi @ca", "tab", *"and @b", "down", "enter", *"!", "enter")
        assert [m.text for m in app.sent] == ["hi @carl and @Bea !"]
        assert app.sent[0].mentioned == ("carl", "Bea")
        assert not app.query_one(MentionPicker).is_open


class LeaveApp(ComposerApp):
    """Escape (the app's binding, as the main screen has it) moves focus to the input."""

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "leave", "Back")]

    def action_leave(self) -> None:
        self.query_one("#other", Input).focus()


async def test_keys_after_one_that_moves_focus_go_where_the_focus_went() -> None:
    app = LeaveApp()
    async with app.run_test(size=(80, 24)) as pilot:
        composer = app.query_one(Composer)
        await burst(pilot, app, *"draft", "escape", *"xy", "enter")
        assert app.submitted == []  # the enter was typed in the input, not the composer
        assert composer.text == "draft"
        assert app.query_one("#other", Input).value == "xy"
        assert app.focused is app.query_one("#other")


async def test_tab_then_typing_in_one_burst_types_in_the_next_widget() -> None:
    app = ComposerApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await burst(pilot, app, *"ab", "tab", *"cd")
        assert app.query_one(Composer).text == "ab"
        assert app.query_one("#other", Input).value == "cd"


# --- ctrl+u, ctrl+k ------------------------------------------------------------------


async def test_ctrl_u_deletes_the_whole_wrapped_line_before_the_cursor() -> None:
    app = ComposerApp()
    async with app.run_test(size=(40, 24)) as pilot:
        composer = app.query_one(Composer)
        await pilot.press(*"one two three four five six seven eight nine ten eleven")
        assert composer.wrapped_document.height > 1  # the draft wraps to several rows
        await pilot.press("ctrl+u")
        assert composer.text == ""


async def test_ctrl_u_and_ctrl_k_keep_to_the_logical_line() -> None:
    app = ComposerApp()
    async with app.run_test(size=(40, 24)) as pilot:
        composer = app.query_one(Composer)
        first = "the first line stays as it is, long enough to wrap"
        composer.load_text(f"{first}\nsecond line, wrapped over more rows than one here")
        composer.move_cursor((1, 12))
        await pilot.press("ctrl+k")
        assert composer.text == f"{first}\nsecond line,"
        await pilot.press("ctrl+u")
        assert composer.text == f"{first}\n"
        await pilot.press("ctrl+u")  # at the start of a line: joins it to the one above
        assert composer.text == first
        composer.move_cursor((0, 3))
        await pilot.press("ctrl+k")
        assert composer.text == "the"


# --- alt keys ------------------------------------------------------------------------


class AltApp(ComposerApp):
    """Records alt+m, bound on the app as the main screen binds it."""

    BINDINGS: ClassVar[list[BindingType]] = [("alt+m", "jump", "Jump")]

    def __init__(self) -> None:
        super().__init__()
        self.jumps = 0

    def action_jump(self) -> None:
        self.jumps += 1


async def test_alt_letter_reaches_the_binding_and_inserts_nothing() -> None:
    app = AltApp()
    async with app.run_test(size=(80, 24)) as pilot:
        composer = app.query_one(Composer)
        await pilot.press(*"hi")
        # A legacy terminal sends ESC m; Textual reports it with the character "m".
        app.post_message(events.Key("alt+m", "m"))
        app.post_message(events.Key("alt+x", "x"))
        await pilot.pause()
        await pilot.pause()
        assert composer.text == "hi"
        assert app.jumps == 1
