"""The composer widget (driven through a tiny app and Pilot) and the emoji table."""

from __future__ import annotations

import subprocess
import sys

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Input
from textual.widgets.text_area import Selection

from imkit_tui.ui.emoji import SHORTCODES, complete, expand_shortcodes, lookup
from imkit_tui.ui.widgets.composer import Composer
from imkit_tui.ui.widgets.mention_picker import MentionPicker

DELAY = 0.15  # the draft debounce used by the test app


class ComposerApp(App[None]):
    """A composer and an input to tab to; records what the composer posts."""

    def __init__(self) -> None:
        super().__init__()
        self.submitted: list[str] = []
        self.drafts: list[tuple[str, str | None]] = []

    def compose(self) -> ComposeResult:
        yield Composer(draft_delay=DELAY)
        yield Input(id="other")

    def on_mount(self) -> None:
        self.query_one(Composer).focus()

    def on_composer_submitted(self, message: Composer.Submitted) -> None:
        self.submitted.append(message.text)

    def on_composer_draft_changed(self, message: Composer.DraftChanged) -> None:
        self.drafts.append((message.text, message.key))


# --- sending ---------------------------------------------------------------------


async def test_enter_sends_and_clears() -> None:
    app = ComposerApp()
    async with app.run_test() as pilot:
        composer = app.query_one(Composer)
        await pilot.press(*"hello bob")
        await pilot.press("enter")
        await pilot.pause()
        assert app.submitted == ["hello bob"]
        assert composer.text == ""


async def test_enter_strips_trailing_whitespace_keeps_inner_lines() -> None:
    app = ComposerApp()
    async with app.run_test() as pilot:
        composer = app.query_one(Composer)
        composer.load_text("  line one\nline two  \n\n")
        await pilot.press("enter")
        await pilot.pause()
        assert app.submitted == ["  line one\nline two"]


async def test_empty_or_blank_enter_sends_nothing() -> None:
    app = ComposerApp()
    async with app.run_test() as pilot:
        composer = app.query_one(Composer)
        await pilot.press("enter")
        await pilot.press("space", "space")
        await pilot.press("enter")
        await pilot.pause()
        assert app.submitted == []
        assert "\n" not in composer.text


async def test_shortcodes_expanded_on_send() -> None:
    app = ComposerApp()
    async with app.run_test() as pilot:
        composer = app.query_one(Composer)
        await pilot.press(*"hi :smile: at 12:30:45")
        assert composer.text == "hi :smile: at 12:30:45"  # raw while editing
        await pilot.press("enter")
        await pilot.pause()
        assert app.submitted == ["hi 😄 at 12:30:45"]


async def test_newline_keys_insert_and_do_not_send() -> None:
    app = ComposerApp()
    async with app.run_test() as pilot:
        composer = app.query_one(Composer)
        await pilot.press("a", "alt+enter", "b", "ctrl+j", "c", "shift+enter", "d")
        await pilot.pause()
        assert composer.text == "a\nb\nc\nd"
        assert app.submitted == []
        await pilot.press("enter")
        await pilot.pause()
        assert app.submitted == ["a\nb\nc\nd"]


async def test_newline_replaces_selection() -> None:
    app = ComposerApp()
    async with app.run_test() as pilot:
        composer = app.query_one(Composer)
        composer.load_text("abXYcd")
        composer.selection = Selection((0, 2), (0, 4))
        await pilot.press("ctrl+j")
        assert composer.text == "ab\ncd"
        assert composer.cursor_location == (1, 0)


async def test_multiline_paste_inserts_without_sending() -> None:
    app = ComposerApp()
    async with app.run_test() as pilot:
        composer = app.query_one(Composer)
        await pilot.press(*"x ")
        composer.post_message(events.Paste("first line\nsecond line\n"))
        await pilot.pause()
        assert composer.text == "x first line\nsecond line\n"
        assert app.submitted == []
        # A paste delivered to the app goes to the focused composer too.
        app.post_message(events.Paste("more"))
        await pilot.pause()
        assert composer.text.endswith("more")
        assert app.submitted == []


async def test_tab_moves_focus_instead_of_inserting() -> None:
    app = ComposerApp()
    async with app.run_test() as pilot:
        composer = app.query_one(Composer)
        await pilot.press("a", "tab")
        assert composer.text == "a"
        assert app.focused is app.query_one("#other")


async def test_keys_remappable_through_keymap() -> None:
    app = ComposerApp()
    async with app.run_test() as pilot:
        app.set_keymap({"composer.send": "ctrl+s", "composer.newline": "enter"})
        composer = app.query_one(Composer)
        await pilot.press("a", "enter", "b")
        assert composer.text == "a\nb"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.submitted == ["a\nb"]


async def test_read_only_does_not_send() -> None:
    app = ComposerApp()
    async with app.run_test() as pilot:
        composer = app.query_one(Composer)
        composer.load_text("locked")
        composer.read_only = True
        await pilot.press("enter", "ctrl+j")
        await pilot.pause()
        assert app.submitted == []
        assert composer.text == "locked"


# --- drafts ----------------------------------------------------------------------


async def test_draft_changed_after_pause_debounced() -> None:
    app = ComposerApp()
    async with app.run_test() as pilot:
        await pilot.press(*"dra")
        await pilot.pause(DELAY / 3)
        await pilot.press(*"ft")
        assert app.drafts == []  # still typing
        await pilot.pause(DELAY * 3)
        assert app.drafts == [("draft", None)]


async def test_set_draft_does_not_fire_and_keys_later_changes() -> None:
    app = ComposerApp()
    async with app.run_test() as pilot:
        composer = app.query_one(Composer)
        composer.set_draft("saved", key="conv-1")
        await pilot.pause(DELAY * 3)
        assert app.drafts == []
        assert composer.text == "saved"
        assert composer.cursor_location == (0, 5)
        assert composer.draft_key == "conv-1"
        await pilot.press("!")
        await pilot.pause(DELAY * 3)
        assert app.drafts == [("saved!", "conv-1")]


async def test_set_draft_flushes_pending_edit_under_old_key() -> None:
    app = ComposerApp()
    async with app.run_test() as pilot:
        composer = app.query_one(Composer)
        composer.set_draft("", key="a")
        await pilot.press(*"unsent")
        composer.set_draft("other", key="b")
        await pilot.pause(DELAY * 3)
        assert app.drafts == [("unsent", "a")]


async def test_send_reports_empty_draft() -> None:
    app = ComposerApp()
    async with app.run_test() as pilot:
        composer = app.query_one(Composer)
        composer.set_draft("", key="c")
        await pilot.press(*"hey")
        await pilot.pause(DELAY * 3)
        await pilot.press("enter")
        await pilot.pause(DELAY * 3)
        assert app.submitted == ["hey"]
        assert app.drafts == [("hey", "c"), ("", "c")]


async def test_blur_flushes_draft() -> None:
    app = ComposerApp()
    async with app.run_test() as pilot:
        await pilot.press("x", "tab")
        await pilot.pause()
        assert app.drafts == [("x", None)]


# --- looks -----------------------------------------------------------------------


async def test_placeholder() -> None:
    app = ComposerApp()
    async with app.run_test():
        composer = app.query_one(Composer)
        assert composer.placeholder == "Message… (Enter send · Ctrl+J newline)"
        composer.set_placeholder("bob")
        assert composer.placeholder == "Message bob… (Enter send · Ctrl+J newline)"


async def test_height_grows_from_one_to_six_lines() -> None:
    app = ComposerApp()
    async with app.run_test(size=(60, 30)) as pilot:
        composer = app.query_one(Composer)
        await pilot.pause()
        border = 2
        assert composer.size.height == 1
        assert composer.outer_size.height == 1 + border
        composer.load_text("1\n2\n3")
        await pilot.pause()
        assert composer.outer_size.height == 3 + border
        composer.load_text("\n".join(str(n) for n in range(20)))
        await pilot.pause()
        assert composer.outer_size.height == 6 + border
        assert composer.soft_wrap


# --- emoji -----------------------------------------------------------------------


def test_table_is_large_and_has_the_common_names() -> None:
    assert len(SHORTCODES) >= 3000  # the emoji package's names and aliases
    common = (
        "smile grin joy wink heart thumbsup +1 thumbsdown -1 fire tada rocket eyes "
        "ok_hand clap pray thinking sob cry sunglasses party 100 white_check_mark"
    )
    for name in common.split():
        assert name in SHORTCODES, name


def test_expand_known() -> None:
    assert expand_shortcodes(":smile:") == "😄"
    assert expand_shortcodes("nice :+1: :-1:") == "nice 👍 👎"
    assert expand_shortcodes(":tada::rocket:") == "🎉🚀"
    assert expand_shortcodes("(:fire:)") == "(🔥)"
    assert expand_shortcodes("Great :Thumbsup:!") == "Great 👍!"
    assert expand_shortcodes("line\n:heart:\n") == "line\n❤️\n"
    assert expand_shortcodes(":nope::smile:") == ":nope:😄"
    assert expand_shortcodes("word:smile:") == "word:smile:"


def test_unknown_left_alone() -> None:
    assert expand_shortcodes("a :notanemoji: b") == "a :notanemoji: b"
    assert expand_shortcodes("::") == "::"
    assert expand_shortcodes(":smile") == ":smile"
    assert expand_shortcodes("no colons") == "no colons"


def test_times_and_numbers_untouched() -> None:
    assert expand_shortcodes("meet at 12:30:45") == "meet at 12:30:45"
    assert expand_shortcodes("score 10:100:3") == "score 10:100:3"
    assert expand_shortcodes("id:fire:2") == "id:fire:2"


def test_urls_and_code_untouched() -> None:
    for text in (
        "see https://example.com/a:smile:b",
        "http://host:8080/:fire:",
        "www.example.com/:tada:",
        "use `:smile:` to smile",
        "```\n:rocket:\n```",
    ):
        assert expand_shortcodes(text) == text
    assert expand_shortcodes("https://x.io :smile:") == "https://x.io 😄"


def test_lookup() -> None:
    assert lookup("fire") == "🔥"
    assert lookup(":FIRE:") == "🔥"
    assert lookup("nope") is None


def test_complete() -> None:
    results = complete("smi")
    assert results[0] == ("smile", "😄")
    assert all(len(pair) == 2 for pair in results)
    assert len(results) <= 8
    assert complete(":thumbs") == [("thumbsup", "👍"), ("thumbsdown", "👎")]
    assert complete("fire")[0] == ("fire", "🔥")
    # Substring matches come after prefix matches.
    names = [name for name, _ in complete("heart", limit=50)]
    assert names[0] == "heart"
    assert names.index("heart_eyes") < names.index("yellow_heart")
    assert len(complete("", limit=5)) == 5
    assert complete("s", limit=0) == []
    assert complete("zzzzzz") == []


def test_complete_lists_each_emoji_once_and_skin_tones_when_nothing_else() -> None:
    assert [emoji for _, emoji in complete("thumbs_up", limit=1)] == ["👍"]
    assert all("skin_tone" not in name for name, _ in complete("wave", limit=50))
    toned = complete("thumbs_up_d")
    assert toned and all("skin_tone" in name for name, _ in toned)
    assert complete("waving_hand_d") == [("waving_hand_dark_skin_tone", "👋🏿")]
    for prefix in ("", "s", "heart", "cat"):
        emojis = [emoji for _, emoji in complete(prefix, limit=50)]
        assert len(emojis) == len(set(emojis)), prefix


def test_names_of_other_chat_apps_and_the_emoji_packages_aliases() -> None:
    assert lookup("slight_smile") == lookup("slightly_smiling_face") == "🙂"
    assert lookup("party") == "🥳"
    assert lookup("flag_white") == "🏳️"
    assert expand_shortcodes(":shrug: :technologist:") == "🤷 🧑‍💻"


def test_the_emoji_table_loads_on_first_use_not_on_import() -> None:
    code = (
        "import sys, imkit_tui.ui.emoji as e; assert 'emoji' not in sys.modules; "
        "e.lookup('fire'); assert 'emoji' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- @mentions -------------------------------------------------------------------


class MentionApp(App[None]):
    """A composer with its member list, in a group of ann, bob, Bea and carl."""

    def __init__(self, members: list[str] | None = None) -> None:
        super().__init__()
        self.members = ["ann", "bob", "Bea", "carl"] if members is None else members
        self.sent: list[Composer.Submitted] = []
        self.escaped = 0

    def compose(self) -> ComposeResult:
        yield MentionPicker()
        yield Composer(draft_delay=DELAY)
        yield Input(id="other")

    def on_mount(self) -> None:
        composer = self.query_one(Composer)
        composer.use_picker(self.query_one(MentionPicker))
        composer.set_mention_members(self.members)
        composer.focus()

    def on_composer_submitted(self, message: Composer.Submitted) -> None:
        self.sent.append(message)

    def key_escape(self) -> None:
        self.escaped += 1


async def test_at_offers_members_filtered_as_one_types() -> None:
    app = MentionApp()
    async with app.run_test() as pilot:
        composer, picker = app.query_one(Composer), app.query_one(MentionPicker)
        await pilot.press(*"hi @")
        await pilot.pause()
        assert picker.display and composer.mentions_offered == ["all", "ann", "bob", "Bea", "carl"]
        await pilot.press("b")
        await pilot.pause()
        assert composer.mentions_offered == ["bob", "Bea"]  # case ignored
        await pilot.press("e")
        await pilot.pause()
        assert composer.mentions_offered == ["Bea"]
        await pilot.press("backspace", "backspace", "a")  # "@a": prefix first, then inside
        await pilot.pause()
        assert composer.mentions_offered == ["all", "ann", "Bea", "carl"]
        await pilot.press("x")  # "@ax" matches nobody: closed
        await pilot.pause()
        assert composer.mentions_offered == [] and not picker.display


async def test_enter_and_tab_insert_the_highlighted_member() -> None:
    app = MentionApp()
    async with app.run_test() as pilot:
        composer = app.query_one(Composer)
        await pilot.press(*"@b", "down", "enter")  # bob, then Bea
        await pilot.pause()
        assert composer.text == "@Bea " and composer.mentions_offered == []
        await pilot.press(*"and @ca", "tab")
        await pilot.pause()
        assert composer.text == "@Bea and @carl " and app.focused is composer
        await pilot.press(*"look", "enter")
        await pilot.pause()
        (sent,) = app.sent
        assert sent.text == "@Bea and @carl look"
        assert sent.mentioned == ("Bea", "carl") and not sent.mention_all


async def test_up_wraps_and_all_mentions_everyone() -> None:
    app = MentionApp()
    async with app.run_test() as pilot:
        composer = app.query_one(Composer)
        await pilot.press("@", "up", "up", "up", "up", "up")  # all <- carl <- … <- all
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert composer.text == "@all "
        await pilot.press(*"standup", "enter")
        await pilot.pause()
        assert app.sent[0].mention_all and app.sent[0].mentioned == ()


async def test_escape_closes_the_list_and_keys_then_act_as_usual() -> None:
    app = MentionApp()
    async with app.run_test() as pilot:
        composer = app.query_one(Composer)
        await pilot.press(*"line one", "ctrl+j", *"@an")
        await pilot.pause()
        assert composer.mentions_offered == ["ann"]
        await pilot.press("escape")
        await pilot.pause()
        assert composer.mentions_offered == [] and app.escaped == 0
        await pilot.press("n")  # the same @: stays closed
        await pilot.pause()
        assert composer.mentions_offered == []
        await pilot.press("up")  # the cursor moves, as without the list
        assert composer.cursor_location[0] == 0
        await pilot.press("escape")  # closed: escape goes on to the app
        assert app.escaped == 1
        await pilot.press("end", "down", "end", "space", "@")  # a new @ offers again
        await pilot.pause()
        assert "ann" in composer.mentions_offered
        await pilot.press("tab")
        await pilot.pause()
        assert composer.text == "line one\n@ann @all "


async def test_mentions_count_only_members_typed_exactly_or_picked() -> None:
    app = MentionApp()
    async with app.run_test() as pilot:
        composer = app.query_one(Composer)
        composer.load_text("@ann, @bobby @carl-x me@bob.com @Bea. @dave @all ok")
        composer.move_cursor(composer.document.end)
        await pilot.press("enter")
        await pilot.pause()
        (sent,) = app.sent
        assert sent.mentioned == ("ann", "Bea") and sent.mention_all


async def test_no_members_offers_nothing_and_a_private_chat_mentions_nobody() -> None:
    app = MentionApp(members=[])
    async with app.run_test() as pilot:
        composer = app.query_one(Composer)
        await pilot.press(*"@all ok")
        await pilot.pause()
        assert composer.mentions_offered == []
        await pilot.press("enter")
        composer.set_mention_members(None)  # a private chat
        await pilot.press(*"@all hi", "enter")
        await pilot.pause()
        assert [(m.mentioned, m.mention_all) for m in app.sent] == [((), True), ((), False)]


async def test_a_click_on_a_member_inserts_it() -> None:
    app = MentionApp()
    async with app.run_test() as pilot:
        composer, picker = app.query_one(Composer), app.query_one(MentionPicker)
        await pilot.press(*"hey @c")
        await pilot.pause()
        assert composer.mentions_offered == ["carl"]
        await pilot.click(picker, offset=(3, 1))
        await pilot.pause()
        assert composer.text == "hey @carl " and app.focused is composer
