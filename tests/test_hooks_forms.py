"""The routing form's encoding (server/hooks/forms.py) is the standard one, for any text."""

from __future__ import annotations

from urllib.parse import quote_plus, urlencode

from hypothesis import given
from hypothesis import strategies as st

from imkit_tui.server.hooks.forms import form_body, form_quote

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)))  # no lone surrogates


@given(_TEXT)
def test_a_value_is_quoted_as_quote_plus_quotes_it(text: str) -> None:
    assert form_quote(text) == quote_plus(text)


@given(st.dictionaries(_TEXT, _TEXT, max_size=12))
def test_a_form_is_encoded_as_urlencode_encodes_it(form: dict[str, str]) -> None:
    assert form_body(form) == urlencode(form)
