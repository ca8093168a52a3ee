"""The Server API's answers to a refused request: RongCloud's codes and HTTP statuses.

Every error is a JSON body `{"code": N, "errorMessage": "..."}` with the HTTP status the
service gives that code (its status-code table): 1002 bad parameter (400), 1004 bad
signature (401), 1008 too frequent (429), 1009 a service that is not enabled (430),
404 an unknown path (404), 1000 an internal error (500). Codes of the IM itself (22406
not in group, 405 blacklisted, ...) are answered with HTTP 200, as the service does.
"""

from __future__ import annotations

from typing import Any

INTERNAL = 1000
"""Something failed inside the server (HTTP 500)."""
BAD_APP_KEY = 1001
"""The App-Key is not this server's (HTTP 401)."""
BAD_PARAMETER = 1002
"""A parameter is missing or has a bad value (HTTP 400)."""
NO_BODY = 1003
"""The request has no body where one is needed (HTTP 400)."""
BAD_SIGNATURE = 1004
"""The signature does not verify, is stale, or its nonce was used (HTTP 401)."""
TOO_LONG = 1005
"""A parameter is longer than allowed (HTTP 400)."""
TOO_FREQUENT = 1008
"""Called more often than allowed (HTTP 429)."""
NOT_ENABLED = 1009
"""A service this server does not offer (yet): HTTP 430, as the service answers for
a feature that is not enabled for the app."""
NOT_FOUND = 404
"""No such path (HTTP 404)."""

_STATUS = {
    INTERNAL: 500,
    BAD_APP_KEY: 401,
    BAD_PARAMETER: 400,
    NO_BODY: 400,
    BAD_SIGNATURE: 401,
    TOO_LONG: 400,
    TOO_FREQUENT: 429,
    NOT_ENABLED: 430,
    NOT_FOUND: 404,
}


def http_status(code: int) -> int:
    """The HTTP status the service answers `code` with (200 for the IM's own codes)."""
    return _STATUS.get(code, 200)


class ApiError(Exception):
    """A refused request: raised by a handler, answered as the service answers it."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        """The HTTP status of the answer."""
        return http_status(self.code)

    def body(self) -> dict[str, Any]:
        """The JSON body of the answer."""
        return {"code": self.code, "errorMessage": self.message}


def bad_parameter(message: str) -> ApiError:
    """A 1002 error: `message` names the parameter and what is wrong with it."""
    return ApiError(BAD_PARAMETER, message)
