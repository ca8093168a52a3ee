"""The Server API's message history: `/message/history` answers the URL of an hour's
message log (JSON, one message a line), served by the API itself under an unguessable
path signed with the app secret; `/message/history/delete` deletes that hour's log
(the messages stay in their conversations). Hours are `YYYYMMDDHH` in Beijing time
(UTC+8), as the service names them."""

from __future__ import annotations

import calendar
import hashlib
import hmac
import json
import re
import time
from typing import Any

from aiohttp import web

from imkit_tui.server.api.context import SERVICE_UTC_OFFSET_MS, ApiContext, Handler
from imkit_tui.server.api.errors import NOT_FOUND, ApiError, bad_parameter
from imkit_tui.server.api.forms import Params
from imkit_tui.server.operator import Operator

PREFIX = "/history/"
"""Where the logs are served."""
PAGE = 1000
"""Messages read at once while a log is written out."""

_DATE = re.compile(r"[0-9]{10}")
_FILE = re.compile(r"([0-9]{10})-([0-9a-f]{32})\.json")


def hour_of(date: str) -> int:
    """The first millisecond (since the epoch) of the hour `YYYYMMDDHH`, Beijing time;
    ValueError if not one."""
    if not _DATE.fullmatch(date):
        raise ValueError(date)
    moment = time.strptime(date, "%Y%m%d%H")
    return calendar.timegm(moment) * 1000 - SERVICE_UTC_OFFSET_MS


def _sign(op: Operator, date: str) -> str:
    return hmac.new(op.link_key(), f"history:{date}".encode(), hashlib.sha256).hexdigest()[:32]


def _date(p: Params) -> tuple[str, int]:
    date = p.one("date")
    try:
        return date, hour_of(date)
    except ValueError:
        raise bad_parameter("date must be an hour as YYYYMMDDHH") from None


async def history(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/message/history`: the URL of the message log of an hour ("" when it holds
    nothing, or was deleted)."""
    date, hour = _date(p)
    op = ctx.operator
    found = await op.store.history.page(hour, "", 1)
    url = f"{ctx.base_url()}{PREFIX}{date}-{_sign(op, date)}.json" if found else ""
    return {"url": url, "date": date}


async def delete(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/message/history/delete`: delete the message log of an hour."""
    _, hour = _date(p)
    await ctx.operator.store.history.delete(hour)
    return {}


async def serve_log(op: Operator, request: web.Request) -> web.StreamResponse:
    """Write out the log a `/message/history` URL names (404 for any other path)."""
    found = _FILE.fullmatch(request.path.removeprefix(PREFIX))
    if found is None or not hmac.compare_digest(found.group(2), _sign(op, found.group(1))):
        raise ApiError(NOT_FOUND, "no such history log")
    hour = hour_of(found.group(1))
    if await op.store.history.deleted(hour):
        raise ApiError(NOT_FOUND, "this history log was deleted")
    response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
    await response.prepare(request)
    after = ""
    while True:
        entries = await op.store.history.page(hour, after, PAGE)
        if entries:
            lines = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries)
            await response.write(lines.encode())
        if len(entries) < PAGE:
            break
        after = entries[-1]["msgUID"]
    await response.write_eof()
    return response


ROUTES: dict[str, Handler] = {
    "/message/history.json": history,
    "/message/history/delete.json": delete,
}
"""The history paths."""
