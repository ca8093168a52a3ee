"""Line breaking with kinsoku shori: the pure function, and the text bubble using it."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from textual.app import App, ComposeResult

from imkit_tui import messages
from imkit_tui.ui.bubbles import bubble_for
from imkit_tui.ui.linebreak import NO_LINE_END, NO_LINE_START, break_offsets, wrap_lines
from imkit_tui.ui.widgets.composer import Composer
from tests.ui.test_bubbles import ME, BubbleApp, lines, make, settle

CHINESE = "这是一段很长的中文文字，看看换行是否正确。他说：「你好」然后走了！对吧？好的、没问题；"

# Text the way people write it: CJK, kana, Latin words, spaces, both kinds of punctuation.
_ALPHABET = (
    "这是中文字看换行你好我他们ぁっャーabcXYZ019 ，。、！？；：）」』】》“”（「『【《,.!?;:()"
)
texts = st.text(alphabet=_ALPHABET, min_size=0, max_size=120)
widths = st.integers(min_value=4, max_value=40)


def rows(text: str, width: int) -> list[str]:
    """`text` (one line) cut at its break offsets, spaces kept."""
    bounds = [0, *break_offsets(text, width), len(text)]
    return [text[a:b] for a, b in pairwise(bounds)]


def test_a_full_width_comma_never_starts_a_line() -> None:
    for width in range(6, 40):
        for row in wrap_lines(CHINESE, width)[1:]:
            assert row[0] not in NO_LINE_START, (width, row)


def test_the_reported_case() -> None:
    text = "我们来测试一下中文的换行，看看换行是不是正确"  # Rich: "…换行" / "，看看换行…"
    assert wrap_lines(text, 24) == ["我们来测试一下中文的换", "行，看看换行是不是正确"]


def test_opening_brackets_stay_with_what_they_open() -> None:
    assert wrap_lines("他说了一句「你好」", 12) == ["他说了一句", "「你好」"]


def test_ascii_punctuation_after_chinese_stays_on_its_line() -> None:
    assert wrap_lines("这是一个测试,好吗", 12) == ["这是一个测", "试,好吗"]


def test_latin_text_wraps_at_spaces_and_folds_long_words_as_rich_does() -> None:
    assert wrap_lines("hello world, this is a test", 12) == ["hello world,", "this is a", "test"]
    assert wrap_lines("abcdefghijklmnop xy", 5) == ["abcde", "fghij", "klmno", "p xy"]


def test_mixed_text_breaks_between_chinese_and_latin() -> None:
    assert wrap_lines("用Python写代码，很好玩！", 8) == ["用Python", "写代码，", "很好玩！"]


def test_emoji_sequences_stay_whole() -> None:
    family = "👨\u200d👩\u200d👧"
    for row in wrap_lines(f"好{family}好{family}好", 4):
        assert not row.startswith("\u200d") and not row.endswith("\u200d")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, widths)
def test_rows_keep_every_character_in_order_and_fit(text: str, width: int) -> None:
    cut = rows(text, width)
    assert "".join(cut) == text
    for row in cut:
        assert cell_len(row.rstrip()) <= width


# Chinese as written: a character with at most one opening mark before it and one
# closing mark after it, sometimes a space. No unbreakable piece is wider than 6 cells.
_token = st.tuples(
    st.sampled_from(["", *"（「『【《“"]),
    st.sampled_from(list("这是中文字看换行你好我他们かな")),
    st.sampled_from(["", " ", *"，。、！？；：）」』】》”,.!?;:)"]),
).map("".join)
chinese_texts = st.lists(_token, max_size=60).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chinese_texts, st.integers(min_value=6, max_value=40))
def test_no_row_starts_with_closing_or_ends_with_opening_punctuation(text: str, width: int) -> None:
    cut = rows(text, width)
    assert "".join(cut) == text
    for before, row in pairwise(cut):
        assert row[0] not in NO_LINE_START, (cut, width)
        assert before.rstrip()[-1] not in NO_LINE_END, (cut, width)
        assert cell_len(before.rstrip()) <= width


@pytest.mark.parametrize("width", [26, 30, 34])
async def test_the_text_bubble_starts_no_line_with_a_comma(width: int) -> None:
    bubble = bubble_for(make(1, messages.TEXT, {"content": CHINESE}), me=ME)
    app = BubbleApp([bubble])
    async with app.run_test(size=(width, 20)) as pilot:
        await settle(pilot)
        drawn = [line.strip(" │▏▕") for line in lines(bubble)]
        body = [line for line in drawn if line and not line[0].isdigit()]  # not the time
        assert "".join(body).replace(" ", "") == CHINESE
        assert len(body) > 2  # it wraps
        for line in body:
            assert line[0] not in NO_LINE_START, drawn


class _ComposerApp(App[None]):
    CSS = "Composer { width: 24; height: 10; }"

    def compose(self) -> ComposeResult:
        yield Composer()


def _rows(composer: Composer) -> list[str]:
    document = composer.wrapped_document
    rows: list[str] = []
    for index in range(composer.document.line_count):
        rows.extend(document.get_sections(index))
    return rows


@pytest.mark.parametrize("start", range(12))
async def test_the_composer_starts_no_row_with_closing_punctuation(start: int) -> None:
    app = _ComposerApp()
    async with app.run_test(size=(40, 12)) as pilot:
        composer = app.query_one(Composer)
        text = CHINESE[start:] + CHINESE
        composer.insert(text)  # an edit: rows rewrapped for the lines it touched
        await pilot.pause()
        edited = _rows(composer)
        composer.load_text(text)  # a new document: every line wrapped
        await pilot.pause()
        for rows in (edited, _rows(composer)):
            assert "".join(rows) == text
            assert len(rows) > 2
            assert all(row[0] not in NO_LINE_START for row in rows[1:]), rows
