"""Hypothesis strategies for frames and arbitrary JSON."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from imkit_tui.protocol import ConvRef, Hello, Ping, PullRequest, SendMessage, SyncRequest

json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20)
json_values: st.SearchStrategy[Any] = st.recursive(
    json_scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
json_objects = st.dictionaries(st.text(max_size=8), json_values, max_size=5)

ids = st.text(min_size=1, max_size=64)
request_ids = st.integers(min_value=0, max_value=2**31)
convs = st.builds(
    ConvRef, type=st.sampled_from([1, 3, 4, 10]), target=ids, channel=st.text(max_size=8)
)

client_frames = st.one_of(
    st.builds(
        Hello,
        id=request_ids,
        versions=st.lists(st.integers(0, 5), max_size=3),
        token=st.text(max_size=40),
        device=st.text(max_size=10),
    ),
    st.builds(Ping, id=request_ids),
    st.builds(
        SendMessage,
        id=request_ids,
        conv=convs,
        object_name=st.text(min_size=1, max_size=64),
        content=json_objects,
        cmid=ids,
    ),
    st.builds(SyncRequest, id=request_ids, since=st.integers(0, 2**40)),
    st.builds(
        PullRequest,
        id=request_ids,
        conv=convs,
        after_seq=st.integers(0, 2**40),
        before_seq=st.integers(0, 2**40),
        limit=st.integers(1, 500),
    ),
)
