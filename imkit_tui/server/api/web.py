"""The Server API's HTTP application (aiohttp): every request is signed, parsed and
handed to the handler of its path; every answer is the service's JSON.

One catch-all route answers everything, so an unknown path, a wrong method or a body
that cannot be read gets the service's error body, never aiohttp's HTML page or a
traceback. Nothing is done for a request whose signature does not verify.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from imkit_tui.protocol import ProtocolError
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.api.context import ApiContext, Handler, api_error
from imkit_tui.server.api.errors import (
    BAD_PARAMETER,
    INTERNAL,
    NOT_FOUND,
    TOO_FREQUENT,
    TOO_LONG,
    ApiError,
    bad_parameter,
)
from imkit_tui.server.api.forms import Params
from imkit_tui.server.api.signing import SignatureCheck
from imkit_tui.server.unusable import NotPorted

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 2 * 1024 * 1024
"""The largest request body read (a message's content is far smaller)."""

Link = Callable[[web.Request], Awaitable[web.StreamResponse]]
"""An answer to a GET of a URL the API handed out (it checks its own signature)."""


def build_app(
    ctx: ApiContext,
    check: SignatureCheck,
    routes: Mapping[str, Handler],
    clock: Callable[[], int] = now_ms,
    public: Mapping[str, Callable[[], dict[str, Any]]] | None = None,
    links: Mapping[str, Link] | None = None,
    allow: Callable[[str], bool] = lambda path: True,
) -> web.Application:
    """The application answering `routes` (path → handler) for the running server;
    `public` documents (by path) and `links` (by path prefix: URLs the API handed out,
    which carry their own signature) are answered to GET without signing headers.
    `allow(path)` says whether one more call of a path is allowed now (else 1008)."""
    documents = dict(public or {})
    prefixes = dict(links or {})

    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            document = documents.get(request.path)
            if document is not None and request.method in ("GET", "HEAD"):
                return web.json_response(document())
            if request.method == "GET":
                for prefix, link in prefixes.items():
                    if request.path.startswith(prefix):
                        return await link(request)
            check.verify(request.headers, clock())
            handler = routes.get(request.path)
            if handler is None:
                raise ApiError(NOT_FOUND, f"no such path: {request.path}")
            if request.method != "POST":
                return web.json_response(
                    {"code": BAD_PARAMETER, "errorMessage": "use POST"},
                    status=405,
                    headers={"Allow": "POST"},
                )
            if not allow(request.path):
                raise ApiError(TOO_FREQUENT, f"{request.path} is called too often; slow down")
            fields = await handler(ctx, await _params(request))
        except ApiError as exc:
            return web.json_response(exc.body(), status=exc.status)
        except ProtocolError as exc:
            refused = api_error(exc)
            return web.json_response(refused.body(), status=refused.status)
        except NotPorted as exc:  # the store lacks the part: say so
            failed = ApiError(INTERNAL, str(exc))
            return web.json_response(failed.body(), status=failed.status)
        except Exception:
            log.exception("Server API request %s failed", request.path)
            failed = ApiError(INTERNAL, "internal error")
            return web.json_response(failed.body(), status=failed.status)
        return web.json_response({"code": 200, **fields})

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


async def _params(request: web.Request) -> Params:
    """The parameters of a form or JSON body (and of the query string)."""
    pairs = list(request.query.items())
    try:
        if request.content_type == "application/json":
            text = await request.text()
            body = Params.from_json(json.loads(text)) if text.strip() else Params(())
            return Params([*pairs, *body.pairs()])
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(TOO_LONG, f"the body is larger than {MAX_BODY_BYTES} bytes") from None
    except (ValueError, UnicodeDecodeError):
        raise bad_parameter("the body is not valid UTF-8 form data or JSON") from None
    for key, value in form.items():
        if not isinstance(value, str):
            raise bad_parameter(f"{key}: files are not accepted here")
        pairs.append((key, value))
    return Params(pairs)
