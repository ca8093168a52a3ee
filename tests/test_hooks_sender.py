"""The hooks' signing nonces and the decoding of the backend's answers (sender.py)."""

from __future__ import annotations

import json
import os
import re
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imkit_tui.server.hooks.sender import Nonces, answer_json

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def test_nonces_are_token_hex_9_and_never_repeat() -> None:
    nonces = Nonces(batch=5)
    taken = [nonces.take() for _ in range(23)]  # across several batches
    assert all(re.fullmatch(r"[0-9a-f]{18}", nonce) for nonce in taken)
    assert len(set(taken)) == len(taken)


@given(_JSON)
def test_an_answer_decodes_as_json_loads_decodes_it(value: object) -> None:
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False, indent=1)):
        assert answer_json(text.encode()) == json.loads(text.encode())


@pytest.mark.parametrize(
    "body",
    [b'{"pass": NaN}', b'\xef\xbb\xbf{"pass": 1}', '{"pass": 1}'.encode("utf-16"), b'{"a": 1e400}'],
    ids=["nan", "bom", "utf-16", "huge-float"],
)
def test_what_only_json_loads_reads_is_still_read(body: bytes) -> None:
    assert repr(answer_json(body)) == repr(json.loads(body))


@pytest.mark.parametrize("body", [b"", b"not json", b'{"pass": 1', b"\xff\xfe\xfd"])
def test_what_is_not_json_is_a_value_error(body: bytes) -> None:
    with pytest.raises(ValueError):
        answer_json(body)


@pytest.mark.skipif(sys.platform == "win32", reason="no fork")
def test_a_forked_child_draws_nonces_of_its_own() -> None:
    nonces = Nonces()
    first = nonces.take()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: hands out what it takes next, then leaves at once
        os.write(write, nonces.take().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    in_child = os.read(read, 64).decode()
    os.close(read)
    in_parent = nonces.take()
    assert len({first, in_child, in_parent}) == 3
    assert in_child != nonces._hex[18:36]  # not the parent's batch
