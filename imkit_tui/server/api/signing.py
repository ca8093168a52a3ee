"""Signed requests, as the service signs them: no I/O, the caller gives the time.

A request carries four headers (each also accepted with an `RC-` prefix): `App-Key`,
`Nonce`, `Timestamp` and `Signature`, the hex SHA1 of secret + nonce + timestamp. The
timestamp is in milliseconds, as the service documents it; one in seconds (what some of
the service's own SDKs send) is read as such. A request is refused with 1004 when the
signature does not verify, when its time is outside the window, or when its nonce was
already used inside the window (a replay); with 1001 when the App-Key is not this app's.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from imkit_tui.server.api.errors import BAD_APP_KEY, BAD_SIGNATURE, ApiError

HEADERS = ("App-Key", "Nonce", "Timestamp", "Signature")
"""The signing headers, in the order the service documents them."""

_SECONDS_BELOW = 10**11
"""A timestamp below this is in seconds (10**11 ms is 1973; 10**11 s is year 5138)."""


def sign(secret: str, nonce: str, timestamp: str) -> str:
    """The signature of a request: hex SHA1 of `secret` + `nonce` + `timestamp`."""
    return hashlib.sha1((secret + nonce + timestamp).encode()).hexdigest()


def signed_headers(app_key: str, secret: str, nonce: str, timestamp_ms: int) -> dict[str, str]:
    """The four headers of a request signed at `timestamp_ms` with `nonce`."""
    timestamp = str(timestamp_ms)
    return {
        "App-Key": app_key,
        "Nonce": nonce,
        "Timestamp": timestamp,
        "Signature": sign(secret, nonce, timestamp),
    }


@dataclass(frozen=True, slots=True)
class SigningPolicy:
    """How strict the check is: `window_ms` either side of the server's clock, and the
    longest nonce accepted (the service says 18 characters; SDKs send up to 20 digits)."""

    window_ms: int = 5 * 60 * 1000
    max_nonce_chars: int = 64
    max_remembered: int = 200_000


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        value = headers.get(f"RC-{name}")
    return value.strip() if value is not None else ""


class SignatureCheck:
    """Verifies the signing headers of each request for one app key and secret, and
    remembers the nonces seen within the window (the oldest forgotten past
    `max_remembered`, so memory stays bounded under any load)."""

    def __init__(self, app_key: str, secret: str, policy: SigningPolicy | None = None) -> None:
        self._app_key = app_key
        self._secret = secret
        self._policy = policy or SigningPolicy()
        self._nonces: OrderedDict[str, int] = OrderedDict()

    @property
    def app_key(self) -> str:
        """The app key requests must carry."""
        return self._app_key

    def verify(self, headers: Mapping[str, str], now_ms: int) -> None:
        """Accept the request whose `headers` these are at `now_ms`, or raise ApiError."""
        key, nonce, timestamp, signature = (_header(headers, name) for name in HEADERS)
        if not (key and nonce and timestamp and signature):
            raise ApiError(BAD_SIGNATURE, "App-Key, Nonce, Timestamp and Signature are required")
        if key != self._app_key:
            raise ApiError(BAD_APP_KEY, "the App-Key is not this server's")
        if len(nonce) > self._policy.max_nonce_chars:
            raise ApiError(BAD_SIGNATURE, "the Nonce is too long")
        if not timestamp.isdigit() or len(timestamp) > 16:
            raise ApiError(BAD_SIGNATURE, "the Timestamp is not a number of milliseconds")
        expected = sign(self._secret, nonce, timestamp)
        if not hmac.compare_digest(expected, signature.lower()):
            raise ApiError(BAD_SIGNATURE, "the signature does not verify")
        when = int(timestamp)
        when_ms = when * 1000 if when < _SECONDS_BELOW else when
        if abs(now_ms - when_ms) > self._policy.window_ms:
            raise ApiError(BAD_SIGNATURE, "the Timestamp is outside the accepted window")
        # A request dated up to one window ahead stays acceptable for two windows after
        # it is first seen: its nonce is kept that long.
        self._forget_before(now_ms - 2 * self._policy.window_ms)
        if nonce in self._nonces:
            raise ApiError(BAD_SIGNATURE, "this Nonce was already used")
        self._nonces[nonce] = now_ms
        while len(self._nonces) > self._policy.max_remembered:
            self._nonces.popitem(last=False)

    def _forget_before(self, oldest_ms: int) -> None:
        """Drop nonces seen before `oldest_ms`: a replay of them is refused as stale."""
        while self._nonces:
            nonce, seen = next(iter(self._nonces.items()))
            if seen >= oldest_ms:
                return
            del self._nonces[nonce]
