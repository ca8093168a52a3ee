"""What each Server API handler is given, and the shape of a handler."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from imkit_tui.protocol import ErrorCode, ProtocolError
from imkit_tui.server.api.errors import BAD_PARAMETER, INTERNAL, TOO_LONG, ApiError
from imkit_tui.server.api.forms import Params
from imkit_tui.server.operator import Operator


@dataclass(frozen=True, slots=True)
class ApiContext:
    """The running server as a handler reaches it, and the API's own settings.

    `token_ttl_seconds`: how long tokens from `/user/getToken` last (None: the
    service's default, no expiry; a token is still revoked by `imkit token --revoke`).
    `base_url()`: the API's own URL, for the links it hands out. `broadcasts`: how many
    broadcasts an hour and a day are allowed (counted in the store, across nodes).
    """

    operator: Operator
    token_ttl_seconds: int | None = None
    base_url: Callable[[], str] = lambda: ""
    broadcasts: tuple[int, int] = (2, 3)


Handler = Callable[[ApiContext, Params], Awaitable[dict[str, Any]]]
"""A handler: the request's parameters in, the answer's fields (beside `code`) out;
a refusal is raised as ApiError."""


SERVICE_UTC_OFFSET_MS = 8 * 3600 * 1000
"""The service writes times, and names the hours of message history, in Beijing time
(UTC+8)."""


def service_time(ms: int) -> str:
    """A time as the service writes it in answers: "YYYY-MM-DD HH:MM:SS", Beijing time
    (UTC+8), as it names the hours of message history too."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime((ms + SERVICE_UTC_OFFSET_MS) / 1000))


def api_error(exc: ProtocolError) -> ApiError:
    """The Server API's answer to a refusal of the IM server: a bad parameter is 1002,
    too large 1005, a stopping server 1000; the IM's own codes (22406 not in the group,
    405 blacklisted, ...) are kept as they are."""
    if exc.code == ErrorCode.INVALID_PARAMETER:
        return ApiError(BAD_PARAMETER, exc.message)
    if exc.code == ErrorCode.MESSAGE_TOO_LARGE:
        return ApiError(TOO_LONG, exc.message)
    if exc.code in (ErrorCode.SERVER_SHUTTING_DOWN, ErrorCode.INTERNAL_ERROR):
        return ApiError(INTERNAL, exc.message)
    return ApiError(int(exc.code), exc.message)
