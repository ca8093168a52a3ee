"""Login tokens: `imk1.<payload>.<signature>`.

The payload is base64url JSON `{"u": user, "iat": seconds, "exp": seconds or null, "v":
version}`, the signature HMAC-SHA256 of `imk1.<payload>` under the server's app secret.
`v` is the user's token version when the token was issued (absent: 0); the server refuses
a token older than the user's current version, which is how tokens are revoked. Pure
functions: the server signs and verifies, a client reads which user a token belongs to.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from imkit_tui.protocol.errors import ErrorCode, ProtocolError

_PREFIX = "imk1"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a valid token says."""

    user_id: str
    issued_at: int
    expires_at: int | None
    version: int = 0


def issue_token(
    secret: bytes,
    user_id: str,
    ttl_seconds: int | None = None,
    now: float | None = None,
    *,
    version: int = 0,
) -> str:
    """A token for `user_id` under token `version`, valid for `ttl_seconds` (forever
    when None)."""
    if not user_id or len(user_id) > 64:
        raise ValueError("a user id has 1 to 64 characters")
    if version < 0:
        raise ValueError("a token version is 0 or more")
    issued = int(time.time() if now is None else now)
    expires = issued + ttl_seconds if ttl_seconds is not None else None
    claims: dict[str, object] = {"u": user_id, "iat": issued, "exp": expires}
    if version:
        claims["v"] = version
    payload = _b64(json.dumps(claims).encode())
    return f"{_PREFIX}.{payload}.{_sign(secret, payload)}"


def verify_token(secret: bytes, token: str, now: float | None = None) -> TokenClaims:
    """Check a token; raise ProtocolError(TOKEN_INCORRECT or TOKEN_EXPIRED) if refused."""
    claims = read_claims(token)
    payload = token.split(".")[1]
    expected = _sign(secret, payload)
    if not hmac.compare_digest(expected, token.split(".")[2]):
        raise ProtocolError(ErrorCode.TOKEN_INCORRECT, "the token's signature does not match")
    current = time.time() if now is None else now
    if claims.expires_at is not None and current >= claims.expires_at:
        raise ProtocolError(ErrorCode.TOKEN_EXPIRED, "the token has expired")
    return claims


def read_claims(token: str) -> TokenClaims:
    """The claims of a token without checking its signature (clients use this to find
    which user a token belongs to); raise ProtocolError(TOKEN_INCORRECT) if unreadable."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != _PREFIX:
        raise ProtocolError(ErrorCode.TOKEN_INCORRECT, "not an imkit token")
    try:
        data = json.loads(_unb64(parts[1]))
        user, issued, expires = data["u"], data["iat"], data["exp"]
        version = data.get("v", 0)
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ProtocolError(ErrorCode.TOKEN_INCORRECT, "the token is damaged") from None
    if not isinstance(user, str) or not user or not isinstance(issued, int):
        raise ProtocolError(ErrorCode.TOKEN_INCORRECT, "the token is damaged")
    if expires is not None and not isinstance(expires, int):
        raise ProtocolError(ErrorCode.TOKEN_INCORRECT, "the token is damaged")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ProtocolError(ErrorCode.TOKEN_INCORRECT, "the token is damaged")
    return TokenClaims(user_id=user, issued_at=issued, expires_at=expires, version=version)


def _sign(secret: bytes, payload: str) -> str:
    digest = hmac.new(secret, f"{_PREFIX}.{payload}".encode(), hashlib.sha256).digest()
    return _b64(digest)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
