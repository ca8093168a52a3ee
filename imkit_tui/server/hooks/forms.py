"""What the backend receives, shaped as the service shapes it. No I/O.

Message routing is a form POST: `fromUserId`, `toUserId`, `objectName`, `content` (the
JSON of the content), `channelType` (PERSON, GROUP, NOTIFY for the system conversation,
TEMPGROUP, CUSTOMER_SERVICE, MC and MP for public service accounts of the app and of the
platform: a follower's menu command or text comes with `toUserId` the account),
`msgTimeStamp` (ms), `msgUID`, `sensitiveType` (0), `source` (PC for a device, Server
for the Server API or the server itself), `groupUserIds` (the receivers of a targeted
group message, comma separated) and `busChannel` (an ultra group's channel, asked about
by the message callback: `channelType` ULTRAGROUP; empty for every other kind).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import msgspec

from imkit_tui.protocol import ConversationType, MessageRecord
from imkit_tui.server.routing import Route

CHANNEL_TYPES: dict[int, str] = {
    ConversationType.PRIVATE: "PERSON",
    ConversationType.GROUP: "GROUP",
    ConversationType.SYSTEM: "NOTIFY",
    ConversationType.CHATROOM: "TEMPGROUP",
    ConversationType.APP_PUBLIC_SERVICE: "MC",
    ConversationType.PUBLIC_SERVICE: "MP",
    ConversationType.CUSTOMER_SERVICE: "CUSTOMER_SERVICE",
    ConversationType.ULTRA_GROUP: "ULTRAGROUP",
}
"""The service's name of each conversation kind."""

_SAFE = frozenset(map(ord, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.~-"))


class _Escapes(dict[int, str]):
    """What each character becomes in a form, worked out on first sight and kept: the
    table `str.translate` walks in C (a content's characters are mostly the same few
    dozen)."""

    def __missing__(self, code: int) -> str:
        if code in _SAFE:
            value = chr(code)
        elif code == 0x20:
            value = "+"
        else:
            value = "".join(f"%{b:02X}" for b in chr(code).encode("utf-8", "surrogatepass"))
        if len(self) < 65_536:  # bounded: a hostile text of many scripts cannot grow it
            self[code] = value
        return value


_ESCAPES = _Escapes()


def form_quote(text: str) -> str:
    """`text` as a form field's name or value, as urllib.parse.quote_plus makes it with
    nothing safe but what always is."""
    return text.translate(_ESCAPES)


def form_body(form: dict[str, str]) -> str:
    """`form` urlencoded, as urllib.parse.urlencode does it (the names, the same in
    every form, quoted once)."""
    return "&".join([f"{_quoted_name(k)}={form_quote(v)}" for k, v in form.items()])


_quoted_name = lru_cache(maxsize=256)(form_quote)


ONLINE, OFFLINE, LOGOUT = "0", "1", "2"
"""A user's status as the service reports it."""


def receiver(sender: str, target: str, route: Route) -> str:
    """`toUserId` of a message `sender` sent to the conversation they name `target`: the
    peer of a private message, the group of a group message, the user of a system
    message."""
    if route.conv_type == ConversationType.PRIVATE:
        for member in route.members:
            if member.user_id == sender:
                return member.target
    if route.conv_type == ConversationType.GROUP:
        for _user, seen in route.deliveries:
            return seen.target
        return target
    if route.conv_type == ConversationType.SYSTEM:
        return route.conv_key.split(":", 1)[1]
    return target


ROUTING_FIELDS = (
    "fromUserId",
    "toUserId",
    "objectName",
    "content",
    "channelType",
    "msgTimeStamp",
    "msgUID",
    "sensitiveType",
    "source",
    "groupUserIds",
    "busChannel",
)
"""The fields of a routed message, in the order :func:`routing_values` gives them."""

_ROUTING_NAMES = tuple(f"{form_quote(name)}=" for name in ROUTING_FIELDS)


def routing_values(
    record: MessageRecord, route: Route, *, from_device: bool, content_json: str | None = None
) -> list[str]:
    """The values of a stored message's routing fields (ROUTING_FIELDS), as routed
    (`content_json`: its content as stored, when at hand)."""
    if content_json is None:
        content_json = content_text(record.content)
    return values_of(
        record.sender,
        record.conv.target,
        route,
        record.object_name,
        content_json,
        record.sent_at,
        record.uid,
        from_device=from_device,
        to=record.to,
    )


def values_of(
    sender: str,
    target: str,
    route: Route,
    object_name: str,
    content_json: str,
    sent_at: int,
    uid: str,
    *,
    from_device: bool,
    to: Iterable[str] = (),
    channel: str = "",
) -> list[str]:
    """:func:`routing_values` from a message's parts (`target`: the conversation as its
    sender names it; `to`: a targeted message's receivers; `channel`: an ultra group's
    channel, the form's `busChannel`), with no record to build: this is on a routed
    message's path."""
    return [
        sender,
        receiver(sender, target, route),
        object_name,
        content_json,
        CHANNEL_TYPES.get(route.conv_type, str(route.conv_type)),
        str(sent_at),
        uid,
        "0",
        "PC" if from_device else "Server",
        ",".join(to),
        channel,
    ]


_content_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def content_text(content: dict[str, Any]) -> str:
    """A content's JSON as the form's `content` carries it (when not as stored): what
    `json.dumps(content, ensure_ascii=False, separators=(",", ":"))` makes of it."""
    return _content_encoder.encode(content)


def routing_form(
    record: MessageRecord, route: Route, *, from_device: bool, content_json: str | None = None
) -> dict[str, str]:
    """The form fields of a stored message, as routed."""
    values = routing_values(record, route, from_device=from_device, content_json=content_json)
    return dict(zip(ROUTING_FIELDS, values, strict=True))


def values_body(values: list[str]) -> str:
    """Routing values (:func:`routing_values`) as kept in the outgoing queue: a JSON
    array, a few microseconds cheaper to write on the message's path than the form."""
    return _encode(values).decode()


def form_of_values(body: str) -> str:
    """The urlencoded form of routing values kept by :func:`values_body`; ValueError
    for a body that is not such values."""
    return values_form(_decode_values(body))


def values_form(values: list[str]) -> str:
    """The urlencoded form of routing values (:func:`routing_values`); ValueError when
    they are not as many as the fields."""
    if len(values) != len(ROUTING_FIELDS):
        raise ValueError(f"{len(values)} routing values, not {len(ROUTING_FIELDS)}")
    escapes = _ESCAPES  # form_quote, without a call per value; ASCII letters and digits
    return "&".join(  # (ids, numbers, most of the fields) stay as they are
        [
            n + (v if v.isalnum() and v.isascii() else v.translate(escapes))
            for n, v in zip(_ROUTING_NAMES, values, strict=True)
        ]
    )


_encode = msgspec.json.Encoder().encode
_values_decoder = msgspec.json.Decoder(list[str])


def _decode_values(body: str) -> list[str]:
    try:
        return _values_decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise ValueError(str(exc)) from exc


def status_item(user_id: str, status: str, device: str, at_ms: int) -> dict[str, Any]:
    """One user's status in a status sync (its body is a JSON array of these)."""
    return {"userid": user_id, "status": status, "os": device, "time": at_ms, "clientIp": ""}


def chatroom_status_item(room: str, status: int, users: list[str], at_ms: int) -> dict[str, Any]:
    """One change in a chatroom status sync (its body is a JSON array of these): `type`
    0 created, 1 destroyed, 2 joined, 3 left; `userIds` who joined or left."""
    return {"chatRoomId": room, "userIds": users, "status": 0, "type": status, "time": at_ms}
