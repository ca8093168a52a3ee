"""The OpenAPI document of the Server API, served at `/openapi.json`, made from the
routes the server answers (each path's first docstring line is its summary)."""

from __future__ import annotations

from typing import Any

_ERROR = {
    "type": "object",
    "required": ["code", "errorMessage"],
    "properties": {"code": {"type": "integer"}, "errorMessage": {"type": "string"}},
}
_OK = {"type": "object", "required": ["code"], "properties": {"code": {"type": "integer"}}}


def document() -> dict[str, Any]:
    """The document (OpenAPI 3.0)."""
    from imkit_tui.server.api.runner import all_routes

    paths: dict[str, Any] = {}
    for path, handler in sorted(all_routes().items()):
        summary = (handler.__doc__ or path).strip().splitlines()[0]
        paths[path] = {
            "post": {
                "summary": summary,
                "security": [{"appKey": [], "nonce": [], "timestamp": [], "signature": []}],
                "requestBody": {
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
                        "application/json": {"schema": {"type": "object"}},
                    }
                },
                "responses": {
                    "200": {
                        "description": "done (code 200), or refused by the IM (its code)",
                        "content": {"application/json": {"schema": _OK}},
                    },
                    "400": _error("a parameter is missing or bad (1002, 1005)"),
                    "401": _error("bad App-Key (1001) or signature (1004)"),
                    "404": _error("no such path"),
                    "405": _error("not a POST"),
                    "500": _error("internal error (1000)"),
                },
            }
        }
    headers = {
        name: {"type": "apiKey", "in": "header", "name": header}
        for name, header in (
            ("appKey", "App-Key"),
            ("nonce", "Nonce"),
            ("timestamp", "Timestamp"),
            ("signature", "Signature"),
        )
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "imkit Server API", "version": "1"},
        "paths": paths,
        "components": {"securitySchemes": headers},
    }


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}
