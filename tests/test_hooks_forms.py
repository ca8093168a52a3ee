"""The routing form's encoding (server/hooks/forms.py) is the standard one, for any text."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote_plus, urlencode

from hypothesis import given
from hypothesis import strategies as st

from imkit_tui.protocol import ConversationType, ConvRef, MessageRecord
from imkit_tui.server.hooks.forms import (
    content_text,
    form_body,
    form_quote,
    routing_form,
    values_form,
    values_of,
)
from imkit_tui.server.routing import Route, _private_route

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)))  # no lone surrogates


@given(_TEXT)
def test_a_value_is_quoted_as_quote_plus_quotes_it(text: str) -> None:
    assert form_quote(text) == quote_plus(text)


@given(st.dictionaries(_TEXT, _TEXT, max_size=12))
def test_a_form_is_encoded_as_urlencode_encodes_it(form: dict[str, str]) -> None:
    assert form_body(form) == urlencode(form)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)
_NAME = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)


def _group_route(group: str, members: list[str]) -> Route:
    seen = ConvRef(type=ConversationType.GROUP, target=group)
    deliveries = tuple((member, seen) for member in members)
    return Route(ConversationType.GROUP, f"g:{group}", (), deliveries)


@given(
    _NAME,
    _NAME,
    _TEXT,
    st.dictionaries(_TEXT, _JSON, max_size=5),
    st.integers(min_value=0, max_value=2**53),
    st.lists(_NAME, max_size=3),
    st.booleans(),
    st.booleans(),
)
def test_a_held_sends_form_is_its_records_routing_form(
    sender: str,
    target: str,
    object_name: str,
    content: dict[str, Any],
    sent_at: int,
    to: list[str],
    group: bool,
    from_device: bool,
) -> None:
    route = _group_route(target, [sender, *to]) if group else _private_route(sender, target)
    conv = ConvRef(type=route.conv_type, target=target)
    record = MessageRecord(
        uid="",
        conv=conv,
        seq=0,
        sender=sender,
        object_name=object_name,
        content=content,
        cmid="c",
        sent_at=sent_at,
        to=to,
    )
    expected = form_body(routing_form(record, route, from_device=from_device))
    assert content_text(content) == json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    values = values_of(
        sender,
        target,
        route,
        object_name,
        content_text(content),
        sent_at,
        "",
        from_device=from_device,
        to=to,
    )
    assert values_form(values) == expected
    assert expected == urlencode(routing_form(record, route, from_device=from_device))
