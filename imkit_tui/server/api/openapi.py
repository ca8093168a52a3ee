"""The OpenAPI document of the Server API, served at `/openapi.json`: every path the
server answers, its parameters (form fields; repeated for lists), and its answers (each
handler's first docstring line is the path's summary)."""

from __future__ import annotations

from typing import Any

from imkit_tui.server.api.chatroom_openapi import CHATROOM_PARAMETERS, CHATROOM_RESULTS
from imkit_tui.server.api.public_openapi import PUBLIC_PARAMETERS, PUBLIC_RESULTS
from imkit_tui.server.api.routes import all_routes

_ID: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 64}
_IDS: dict[str, Any] = {"type": "array", "items": _ID, "minItems": 1, "maxItems": 20}
_TEXT: dict[str, Any] = {"type": "string", "maxLength": 128}
_URL: dict[str, Any] = {"type": "string", "maxLength": 1024}
_FLAG: dict[str, Any] = {"type": "string", "enum": ["0", "1"]}
_JSON: dict[str, Any] = {"type": "string", "description": "a JSON object, as text"}
_TYPE: dict[str, Any] = {"type": "string", "enum": ["1", "3", "6"]}
_NAME: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 64}
_CHANNEL: dict[str, Any] = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}


def _minutes(high: int, low: int = 1) -> dict[str, Any]:
    return {"type": "string", "pattern": f"^[0-9]{{1,{len(str(high))}}}$", "x-range": [low, high]}


_MESSAGE = {"objectName": (_TEXT, True), "content": (_JSON, True), "pushContent": (_TEXT, False)}

PARAMETERS: dict[str, dict[str, tuple[dict[str, Any], bool]]] = {
    "/user/getToken.json": {
        "userId": (_ID, True),
        "name": (_TEXT, False),
        "portraitUri": (_URL, False),
    },
    "/user/refresh.json": {
        "userId": (_ID, True),
        "name": (_TEXT, False),
        "portraitUri": (_URL, False),
    },
    "/user/info.json": {"userId": (_ID, True)},
    "/user/info/get.json": {"userId": (_ID, True)},
    "/user/checkOnline.json": {"userId": (_ID, True)},
    "/user/push/url/set.json": {"userId": (_ID, True), "url": (_TEXT, False)},
    "/user/push/url/get.json": {"userId": (_ID, True)},
    "/user/block.json": {"userId": (_IDS, True), "minute": (_minutes(43200), True)},
    "/user/unblock.json": {"userId": (_IDS, True)},
    "/user/block/query.json": {},
    "/user/blacklist/add.json": {"userId": (_ID, True), "blackUserId": (_IDS, True)},
    "/user/blacklist/remove.json": {"userId": (_ID, True), "blackUserId": (_IDS, True)},
    "/user/blacklist/query.json": {"userId": (_ID, True)},
    "/user/whitelist/add.json": {"userId": (_ID, True), "whiteUserId": (_IDS, True)},
    "/user/whitelist/remove.json": {"userId": (_ID, True), "whiteUserId": (_IDS, True)},
    "/user/whitelist/query.json": {"userId": (_ID, True)},
    "/user/tag/set.json": {"userId": (_ID, True), "tags": (_IDS, True)},
    "/user/tag/batch/set.json": {"userIds": (_IDS, True), "tags": (_IDS, True)},
    "/user/tags/get.json": {"userIds": (_IDS, True)},
    "/user/group/query.json": {"userId": (_ID, True)},
    "/message/private/publish.json": {
        "fromUserId": (_ID, True),
        "toUserId": (_IDS, True),
        **_MESSAGE,
        "verifyBlacklist": (_FLAG, False),
        "isIncludeSender": (_FLAG, False),
    },
    "/message/system/publish.json": {
        "fromUserId": (_ID, True),
        "toUserId": (_IDS, True),
        **_MESSAGE,
    },
    "/message/group/publish.json": {
        "fromUserId": (_ID, True),
        "toGroupId": (_IDS, True),
        **_MESSAGE,
        "toUserId": (_IDS, False),
        "isMentioned": (_FLAG, False),
        "isIncludeSender": (_FLAG, False),
    },
    "/statusmessage/private/publish.json": {
        "fromUserId": (_ID, True),
        "toUserId": (_IDS, True),
        **_MESSAGE,
    },
    "/statusmessage/group/publish.json": {
        "fromUserId": (_ID, True),
        "toGroupId": (_IDS, True),
        **_MESSAGE,
    },
    "/message/recall.json": {
        "fromUserId": (_ID, True),
        "conversationType": (_TYPE, True),
        "targetId": (_ID, True),
        "messageUID": (_ID, True),
        "sentTime": ({"type": "string"}, False),
        "isAdmin": (_FLAG, False),
        "isDelete": ({"type": "string", "enum": ["0"]}, False),
    },
    "/message/broadcast.json": {"fromUserId": (_ID, True), **_MESSAGE, "tag": (_IDS, False)},
    "/message/history.json": {"date": ({"type": "string", "pattern": "^[0-9]{10}$"}, True)},
    "/message/history/delete.json": {"date": ({"type": "string", "pattern": "^[0-9]{10}$"}, True)},
    "/group/create.json": {
        "userId": (_IDS, True),
        "groupId": (_ID, True),
        "groupName": (_TEXT, True),
    },
    "/group/join.json": {"userId": (_IDS, True), "groupId": (_ID, True)},
    "/group/quit.json": {"userId": (_IDS, True), "groupId": (_ID, True)},
    "/group/dismiss.json": {"userId": (_ID, True), "groupId": (_ID, True)},
    "/group/refresh.json": {"groupId": (_ID, True), "groupName": (_TEXT, True)},
    "/group/sync.json": {"userId": (_ID, True)},
    "/group/user/query.json": {"groupId": (_ID, True)},
    "/group/user/gag/add.json": {
        "userId": (_IDS, True),
        "groupId": (_ID, True),
        "minute": (_minutes(43200, 0), True),
    },
    "/group/user/gag/rollback.json": {"userId": (_IDS, True), "groupId": (_ID, True)},
    "/group/user/gag/list.json": {"groupId": (_ID, True)},
    "/group/ban/add.json": {"groupId": (_IDS, True)},
    "/group/ban/rollback.json": {"groupId": (_IDS, True)},
    "/group/ban/query.json": {"groupId": (_IDS, False)},
    "/group/user/ban/whitelist/add.json": {"userId": (_IDS, True), "groupId": (_ID, True)},
    "/group/user/ban/whitelist/rollback.json": {
        "userId": (_IDS, True),
        "groupId": (_ID, True),
    },
    "/group/user/ban/whitelist/query.json": {"groupId": (_ID, True)},
    "/conversation/notification/set.json": {
        "requestId": (_ID, True),
        "conversationType": (_TYPE, True),
        "targetId": (_ID, True),
        "isMuted": (_FLAG, True),
    },
    "/sensitiveword/add.json": {"word": (_TEXT, True), "replaceWord": (_TEXT, False)},
    "/sensitiveword/delete.json": {"word": (_TEXT, True)},
    "/sensitiveword/batch/delete.json": {"words": (_IDS, True)},
    "/sensitiveword/list.json": {"type": ({"type": "string", "enum": ["0", "1", "2"]}, False)},
    "/conversation/notification/get.json": {
        "requestId": (_ID, True),
        "conversationType": (_TYPE, True),
        "targetId": (_ID, True),
    },
    **CHATROOM_PARAMETERS,
    **PUBLIC_PARAMETERS,
    "/ultragroup/create.json": {
        "userId": (_ID, True),
        "groupId": (_ID, True),
        "groupName": (_NAME, True),
    },
    "/ultragroup/join.json": {"userId": (_ID, True), "groupId": (_ID, True)},
    "/ultragroup/quit.json": {"userId": (_ID, True), "groupId": (_ID, True)},
    "/ultragroup/dis.json": {"groupId": (_ID, True)},
    "/ultragroup/refresh.json": {"groupId": (_ID, True), "groupName": (_NAME, True)},
    "/ultragroup/channel/create.json": {"groupId": (_ID, True), "busChannel": (_CHANNEL, True)},
    "/ultragroup/channel/del.json": {"groupId": (_ID, True), "busChannel": (_CHANNEL, True)},
    "/ultragroup/channel/get.json": {"groupId": (_ID, True)},
    "/ultragroup/msg/modify.json": {
        "groupId": (_ID, True),
        "fromUserId": (_ID, True),
        "msgUID": (_ID, True),
        "content": (_JSON, True),
        "busChannel": (_CHANNEL, False),
    },
    "/ultragroup/userbanned/add.json": {"groupId": (_ID, True), "userId": (_IDS, True)},
    "/ultragroup/userbanned/del.json": {"groupId": (_ID, True), "userId": (_IDS, True)},
    "/ultragroup/userbanned/get.json": {"groupId": (_ID, True)},
    "/ultragroup/globalbanned/set.json": {"groupId": (_ID, True), "status": (_FLAG, True)},
    "/ultragroup/globalbanned/get.json": {"groupId": (_ID, True)},
    "/ultragroup/banned/whitelist/add.json": {"groupId": (_ID, True), "userId": (_IDS, True)},
    "/ultragroup/banned/whitelist/del.json": {"groupId": (_ID, True), "userId": (_IDS, True)},
    "/ultragroup/banned/whitelist/get.json": {"groupId": (_ID, True)},
}
"""The documented parameters of each path: name → (JSON schema, required). The paths
that are off take none."""

_STR: dict[str, Any] = {"type": "string"}
_STRS: dict[str, Any] = {"type": "array", "items": _STR}


def _objects(**fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "object", "required": list(fields), "properties": fields},
    }


_UIDS = _objects(messageUID=_STR)
RESULTS: dict[str, dict[str, dict[str, Any]]] = {
    "/user/getToken.json": {"userId": _STR, "token": _STR},
    "/user/info.json": {"userName": _STR, "userPortrait": _STR, "createTime": _STR},
    "/user/info/get.json": {"userName": _STR, "userPortrait": _STR, "createTime": _STR},
    "/user/checkOnline.json": {"status": {"type": "string", "enum": ["0", "1"]}},
    "/user/push/url/get.json": {"url": _STR},
    "/user/block/query.json": {"users": _objects(userId=_STR, blockEndTime=_STR)},
    "/user/blacklist/query.json": {"users": _STRS},
    "/user/whitelist/query.json": {"users": _STRS},
    "/user/tags/get.json": {"result": {"type": "object", "additionalProperties": _STRS}},
    "/user/group/query.json": {"groups": _objects(id=_STR, name=_STR)},
    "/message/private/publish.json": {"messageUIDs": _UIDS},
    "/message/system/publish.json": {"messageUIDs": _UIDS},
    "/message/group/publish.json": {"messageUIDs": _UIDS},
    "/message/broadcast.json": {"id": _STR},
    "/message/history.json": {"url": _STR, "date": _STR},
    "/group/user/query.json": {"users": _objects(id=_STR)},
    "/group/user/gag/list.json": {"users": _objects(userId=_STR, time=_STR)},
    "/group/ban/query.json": {"groupinfo": _objects(groupId=_STR, stat={"type": "integer"})},
    "/group/user/ban/whitelist/query.json": {"userids": _STRS},
    "/conversation/notification/get.json": {"isMuted": {"type": "integer", "enum": [0, 1]}},
    "/sensitiveword/list.json": {"words": _objects(type=_STR, word=_STR, replaceWord=_STR)},
    **CHATROOM_RESULTS,
    **PUBLIC_RESULTS,
    "/ultragroup/channel/get.json": {
        "channelList": _objects(channelId=_STR, createTime={"type": "integer"}, name=_STR)
    },
    "/ultragroup/userbanned/get.json": {"users": _objects(id=_STR)},
    "/ultragroup/globalbanned/get.json": {"status": {"type": "boolean"}},
    "/ultragroup/banned/whitelist/get.json": {"users": _objects(id=_STR)},
}
"""The fields of each path's answer when its code is 200 (beside `code`)."""

_ERROR = {
    "type": "object",
    "required": ["code", "errorMessage"],
    "properties": {"code": {"type": "integer"}, "errorMessage": {"type": "string"}},
}
_OK = {"type": "object", "required": ["code"], "properties": {"code": {"type": "integer"}}}
_JSON_BODY_PATHS = {"/user/tag/set.json", "/user/tag/batch/set.json"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


_RESPONSES = {
    "200": {
        "description": "done (code 200), or refused by the IM with its own code",
        "content": {"application/json": {"schema": _OK}},
    },
    "400": _error("a parameter is missing or bad (1002), or too long (1005)"),
    "401": _error("a wrong App-Key (1001) or signature (1004)"),
    "404": _error("no such path (404)"),
    "405": _error("not a POST"),
    "429": _error("called too often (1008)"),
    "430": _error("a service not enabled on this server (1009)"),
}


def _responses(path: str) -> dict[str, Any]:
    """The answers of `path`: with code 200 its own fields; with the IM's own code (HTTP
    200 too) an errorMessage instead."""
    fields = RESULTS.get(path)
    if not fields:
        return _RESPONSES
    done = {
        "type": "object",
        "required": ["code", *fields],
        "properties": {"code": {"type": "integer", "enum": [200]}, **fields},
    }
    ok = {
        "description": "done (code 200, with the fields), or refused by the IM (its code)",
        "content": {"application/json": {"schema": {"oneOf": [done, _ERROR]}}},
    }
    return {**_RESPONSES, "200": ok}


def _body(path: str) -> dict[str, Any]:
    params = PARAMETERS.get(path, {})
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {name: spec for name, (spec, _) in params.items()},
        "required": [name for name, (_, required) in params.items() if required],
    }
    if not schema["required"]:
        del schema["required"]
    kind = "application/json" if path in _JSON_BODY_PATHS else "application/x-www-form-urlencoded"
    needed = any(required for _, required in params.values())
    return {"required": needed, "content": {kind: {"schema": schema}}}


def document() -> dict[str, Any]:
    """The document (OpenAPI 3.0)."""
    paths: dict[str, Any] = {}
    for path, handler in sorted(all_routes().items()):
        summary = (handler.__doc__ or path).strip().splitlines()[0]
        paths[path] = {
            "post": {
                "summary": summary,
                "security": [{"appKey": [], "nonce": [], "timestamp": [], "signature": []}],
                "requestBody": _body(path),
                "responses": _responses(path),
            }
        }
    schemes = {
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
        "info": {
            "title": "imkit Server API",
            "version": "1",
            "description": "RongCloud's v1 Server API paths, signed with App-Key, Nonce, "
            "Timestamp (ms) and Signature = hex SHA1(secret + nonce + timestamp).",
        },
        "paths": paths,
        "components": {"securitySchemes": schemes},
    }
