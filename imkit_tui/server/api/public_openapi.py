"""The public service part of the OpenAPI document (openapi.py): each path's parameters
and the fields of its answer."""

from __future__ import annotations

from typing import Any

_ACCOUNT_ID: dict[str, Any] = {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"}
_KIND: dict[str, Any] = {"type": "string", "enum": ["7", "8"]}
_TEXT: dict[str, Any] = {"type": "string", "maxLength": 64}
_LONG: dict[str, Any] = {"type": "string", "maxLength": 1024}
_FLAG: dict[str, Any] = {"type": "string", "enum": ["0", "1"]}
_JSON: dict[str, Any] = {"type": "string", "description": "JSON, as text"}
_STR: dict[str, Any] = {"type": "string"}
_INT: dict[str, Any] = {"type": "integer"}

Params = dict[str, tuple[dict[str, Any], bool]]
_ACCOUNT: Params = {"publicServiceId": (_ACCOUNT_ID, True), "type": (_KIND, False)}
_PROFILE: Params = {
    "portraitUri": (_LONG, False),
    "introduction": (_LONG, False),
    "menu": (_JSON, False),
    "acceptsText": (_FLAG, False),
}

PUBLIC_PARAMETERS: dict[str, Params] = {
    "/publicservice/create.json": {**_ACCOUNT, "name": (_TEXT, True), **_PROFILE},
    "/publicservice/update.json": {**_ACCOUNT, "name": (_TEXT, False), **_PROFILE},
    "/publicservice/delete.json": _ACCOUNT,
    "/publicservice/menu/set.json": {**_ACCOUNT, "menu": (_JSON, True)},
    "/publicservice/query.json": {"keyword": (_TEXT, False)},
    "/publicservice/message/publish.json": {
        **_ACCOUNT,
        "objectName": ({"type": "string", "maxLength": 64}, True),
        "content": (_JSON, True),
    },
    "/publicservice/followers/query.json": {
        **_ACCOUNT,
        "count": ({"type": "string", "pattern": "^[0-9]{1,4}$", "x-range": [1, 1000]}, False),
        "after": (_STR, False),
    },
}
"""The documented parameters of each public service path: name → (JSON schema, required)."""

PUBLIC_RESULTS: dict[str, dict[str, dict[str, Any]]] = {
    "/publicservice/query.json": {
        "publicServices": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "publicServiceId", "name"],
                "properties": {"type": _INT, "publicServiceId": _STR, "name": _STR},
            },
        }
    },
    "/publicservice/message/publish.json": {"messageUID": _STR, "followers": _INT},
    "/publicservice/followers/query.json": {
        "users": {"type": "array", "items": _STR},
        "total": _INT,
    },
}
"""The fields of each public service path's answer when its code is 200 (beside `code`)."""
