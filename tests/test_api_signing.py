"""The Server API's signing check and parameters, without a network (sans-I/O)."""

from __future__ import annotations

import hashlib

import pytest

from imkit_tui.server.api.errors import BAD_APP_KEY, BAD_PARAMETER, BAD_SIGNATURE, ApiError
from imkit_tui.server.api.forms import Params
from imkit_tui.server.api.signing import SignatureCheck, SigningPolicy, sign, signed_headers

KEY, SECRET = "uwd1c0sxdlx2", "Y1W2MeFwwwRxa0"
NOW = 1_700_000_000_000


def test_the_signature_is_the_services_sha1_of_secret_nonce_timestamp() -> None:
    # The example of the service's documentation: secret, nonce 14314, ms timestamp.
    expected = hashlib.sha1(b"Y1W2MeFwwwRxa0" + b"14314" + b"1408710653491").hexdigest()
    assert sign(SECRET, "14314", "1408710653491") == expected


def _check(window_ms: int = 300_000) -> SignatureCheck:
    return SignatureCheck(KEY, SECRET, SigningPolicy(window_ms=window_ms))


def _code(check: SignatureCheck, headers: dict[str, str], now: int = NOW) -> int:
    with pytest.raises(ApiError) as refused:
        check.verify(headers, now)
    return refused.value.code


def test_a_well_signed_request_passes_and_its_nonce_cannot_be_replayed() -> None:
    check = _check()
    headers = signed_headers(KEY, SECRET, "n1", NOW)
    check.verify(headers, NOW)
    assert _code(check, headers, NOW + 1) == BAD_SIGNATURE
    check.verify(signed_headers(KEY, SECRET, "n2", NOW), NOW + 1)


def test_rc_prefixed_headers_and_second_timestamps_are_accepted() -> None:
    check = _check()
    headers = signed_headers(KEY, SECRET, "n1", NOW // 1000)
    check.verify({f"RC-{name}": value for name, value in headers.items()}, NOW)


def test_bad_key_bad_signature_missing_headers_and_stale_times_are_refused() -> None:
    check = _check(window_ms=1000)
    good = signed_headers(KEY, SECRET, "n", NOW)
    assert _code(check, {**good, "App-Key": "other"}) == BAD_APP_KEY
    assert _code(check, {**good, "Signature": "0" * 40}) == BAD_SIGNATURE
    assert _code(check, signed_headers(KEY, "wrong-secret", "n", NOW)) == BAD_SIGNATURE
    assert _code(check, {k: v for k, v in good.items() if k != "Nonce"}) == BAD_SIGNATURE
    assert _code(check, signed_headers(KEY, SECRET, "late", NOW - 1001)) == BAD_SIGNATURE
    assert _code(check, signed_headers(KEY, SECRET, "early", NOW + 1001)) == BAD_SIGNATURE
    assert _code(check, signed_headers(KEY, SECRET, "x" * 65, NOW)) == BAD_SIGNATURE
    # None of the refused requests used up its nonce.
    check.verify(good, NOW)


def test_a_nonce_is_remembered_as_long_as_a_request_bearing_it_could_verify() -> None:
    check = _check(window_ms=1000)
    ahead = signed_headers(KEY, SECRET, "n", NOW + 1000)  # dated a full window ahead
    check.verify(ahead, NOW)
    assert _code(check, ahead, NOW + 1999) == BAD_SIGNATURE
    # Past two windows the request itself is stale, whatever the nonce memory says.
    assert _code(check, ahead, NOW + 2001) == BAD_SIGNATURE


def test_the_nonce_memory_is_bounded() -> None:
    check = SignatureCheck(KEY, SECRET, SigningPolicy(max_remembered=3))
    for n in range(10):
        check.verify(signed_headers(KEY, SECRET, f"n{n}", NOW), NOW)
    assert len(check._nonces) == 3


def test_params_read_repeated_keys_as_lists_and_refuse_bad_values() -> None:
    params = Params([("userId", "a"), ("blackUserId", "b"), ("blackUserId", "c"), ("n", "x")])
    assert params.all("blackUserId") == ["b", "c"]
    assert params.ident("userId") == "a"
    with pytest.raises(ApiError) as missing:
        params.one("groupId")
    assert missing.value.code == BAD_PARAMETER and "groupId" in missing.value.message
    with pytest.raises(ApiError):
        params.integer("n")
    with pytest.raises(ApiError):
        Params([("userId", "x" * 65)]).ident("userId")
    as_json = Params.from_json({"userIds": ["a", "b"], "flag": True, "n": 3})
    assert as_json.all("userIds") == ["a", "b"]
    assert as_json.flag("flag") and as_json.integer("n") == 3
