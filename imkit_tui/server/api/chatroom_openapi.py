"""The chatroom part of the OpenAPI document (openapi.py): each chatroom path's
parameters and the fields of its answer."""

from __future__ import annotations

from typing import Any

_ID: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 64}
_IDS: dict[str, Any] = {"type": "array", "items": _ID, "minItems": 1, "maxItems": 20}
_TEXT: dict[str, Any] = {"type": "string", "maxLength": 128}
_FLAG: dict[str, Any] = {"type": "string", "enum": ["0", "1"]}
_JSON: dict[str, Any] = {"type": "string", "description": "a JSON object, as text"}
_STR: dict[str, Any] = {"type": "string"}
_STRS: dict[str, Any] = {"type": "array", "items": _STR}
_INT: dict[str, Any] = {"type": "integer"}


def _minutes(low: int) -> dict[str, Any]:
    return {"type": "string", "pattern": "^[0-9]{1,5}$", "x-range": [low, 43200]}


def _objects(**fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "object", "required": list(fields), "properties": fields},
    }


Params = dict[str, tuple[dict[str, Any], bool]]
_ROOM: Params = {"chatroomId": (_ID, True)}
_ROOM_USERS: Params = {"chatroomId": (_ID, True), "userId": (_IDS, True)}
_MESSAGE: Params = {
    "fromUserId": (_ID, True),
    "objectName": (_TEXT, True),
    "content": (_JSON, True),
}

CHATROOM_PARAMETERS: dict[str, Params] = {
    "/chatroom/create.json": {"chatroomId": (_IDS, False)},
    "/chatroom/destroy.json": {"chatroomId": (_IDS, True)},
    "/chatroom/query.json": {"chatroomId": (_IDS, True)},
    "/chatroom/user/query.json": {
        "chatroomId": (_ID, True),
        "count": ({"type": "string", "pattern": "^[0-9]{1,3}$", "x-range": [1, 500]}, True),
        "order": ({"type": "string", "enum": ["1", "2"]}, False),
    },
    "/chatroom/user/exist.json": {"chatroomId": (_ID, True), "userId": (_ID, True)},
    "/chatroom/users/exist.json": _ROOM_USERS,
    "/chatroom/user/gag/add.json": {**_ROOM_USERS, "minute": (_minutes(1), True)},
    "/chatroom/user/gag/rollback.json": _ROOM_USERS,
    "/chatroom/user/gag/list.json": _ROOM,
    "/chatroom/user/ban/add.json": {"userId": (_IDS, True), "minute": (_minutes(1), True)},
    "/chatroom/user/ban/remove.json": {"userId": (_IDS, True)},
    "/chatroom/user/ban/query.json": {},
    "/chatroom/user/block/add.json": {**_ROOM_USERS, "minute": (_minutes(1), True)},
    "/chatroom/user/block/rollback.json": _ROOM_USERS,
    "/chatroom/user/block/list.json": _ROOM,
    "/chatroom/ban/add.json": {"chatroomId": (_ID, True), "minute": (_minutes(0), False)},
    "/chatroom/ban/rollback.json": _ROOM,
    "/chatroom/ban/check.json": _ROOM,
    "/chatroom/ban/query.json": {},
    "/chatroom/keepalive/add.json": _ROOM,
    "/chatroom/keepalive/remove.json": _ROOM,
    "/chatroom/keepalive/query.json": {},
    "/chatroom/whitelist/add.json": {"objectnames": (_IDS, True)},
    "/chatroom/whitelist/delete.json": {"objectnames": (_IDS, True)},
    "/chatroom/whitelist/query.json": {},
    "/chatroom/user/whitelist/add.json": _ROOM_USERS,
    "/chatroom/user/whitelist/remove.json": _ROOM_USERS,
    "/chatroom/user/whitelist/query.json": _ROOM,
    "/chatroom/message/priority/add.json": {"objectName": (_IDS, True)},
    "/chatroom/message/priority/remove.json": {"objectName": (_IDS, True)},
    "/chatroom/message/priority/query.json": {},
    "/chatroom/message/stopDistribution.json": _ROOM,
    "/chatroom/message/resumeDistribution.json": _ROOM,
    "/chatroom/entry/set.json": {
        "chatroomId": (_ID, True),
        "userId": (_ID, True),
        "key": (_TEXT, True),
        "value": (_TEXT, True),
        "autoDelete": (_FLAG, False),
    },
    "/chatroom/entry/remove.json": {
        "chatroomId": (_ID, True),
        "userId": (_ID, True),
        "key": (_TEXT, True),
    },
    "/chatroom/entry/query.json": {"chatroomId": (_ID, True), "keys": (_IDS, False)},
    "/message/chatroom/publish.json": {"toChatroomId": (_IDS, True), **_MESSAGE},
    "/message/chatroom/broadcast.json": _MESSAGE,
}
"""The documented parameters of each chatroom path: name → (JSON schema, required).
`/chatroom/create.json` also takes `chatroom[ID]=NAME` pairs."""

_WHEN = _objects(userId=_STR, time=_STR)
CHATROOM_RESULTS: dict[str, dict[str, dict[str, Any]]] = {
    "/chatroom/query.json": {"chatRooms": _objects(chrmId=_STR, name=_STR, time=_STR)},
    "/chatroom/user/query.json": {"total": _INT, "users": _objects(id=_STR, time=_STR)},
    "/chatroom/user/exist.json": {"isInChrm": {"type": "boolean"}},
    "/chatroom/users/exist.json": {"result": _objects(userId=_STR, isInChrm=_INT)},
    "/chatroom/user/gag/list.json": {"users": _WHEN},
    "/chatroom/user/ban/query.json": {"users": _WHEN},
    "/chatroom/user/block/list.json": {"users": _WHEN},
    "/chatroom/ban/check.json": {"status": {"type": "integer", "enum": [0, 1]}},
    "/chatroom/ban/query.json": {"chatroomIdList": _STRS},
    "/chatroom/keepalive/query.json": {"chatrooms": _STRS},
    "/chatroom/whitelist/query.json": {"whitlistMsgType": _STRS},
    "/chatroom/user/whitelist/query.json": {"users": _STRS},
    "/chatroom/message/priority/query.json": {"objectNames": _STRS},
    "/chatroom/entry/query.json": {
        "keys": _objects(key=_STR, value=_STR, userId=_STR, autoDelete=_INT, lastSetTime=_STR)
    },
}
"""The fields of each chatroom path's answer when its code is 200 (beside `code`)."""
