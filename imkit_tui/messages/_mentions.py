"""@mentions: RongCloud's ``mentionedInfo``, read and built.

A message mentions people with ``"mentionedInfo": {"type": 2, "userIdList": [ids]}``,
or everyone with ``{"type": 1, "userIdList": []}``. Reading never raises: a malformed
``mentionedInfo`` (not an object, a type that is not 1 or 2, ids that are not strings)
mentions nobody, or only its well-formed ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

MENTION_ALL = 1
"""``mentionedInfo.type`` of an @all mention."""
MENTION_USERS = 2
"""``mentionedInfo.type`` of a mention of some members."""

MAX_MENTIONED_IDS = 200
"""Only this many ids of a ``userIdList`` are read."""


def read_mentions(content: object) -> tuple[list[str], bool]:
    """The user ids a content's ``mentionedInfo`` names, and whether it mentions all."""
    info = content.get("mentionedInfo") if isinstance(content, Mapping) else None
    if not isinstance(info, Mapping):
        return [], False
    kind = info.get("type")
    if isinstance(kind, bool) or kind not in (MENTION_ALL, MENTION_USERS):
        return [], False
    ids = info.get("userIdList")
    listed = (
        [i for i in ids[:MAX_MENTIONED_IDS] if isinstance(i, str) and i.strip()]
        if isinstance(ids, list)
        else []
    )
    return listed, kind == MENTION_ALL


def mentions_user(content: object, user_id: str) -> bool:
    """Whether a content's ``mentionedInfo`` mentions `user_id` (by id, or all)."""
    ids, everyone = read_mentions(content)
    return everyone or user_id in ids


def mention_info(user_ids: Iterable[str] = (), *, everyone: bool = False) -> dict[str, object]:
    """The ``mentionedInfo`` of a message that mentions `user_ids` or, with `everyone`,
    all members; ``{}`` when it mentions nobody. Ids are kept once, in order."""
    if everyone:
        return {"type": MENTION_ALL, "userIdList": []}
    ids = list(dict.fromkeys(i for i in user_ids if i))
    if not ids:
        return {}
    return {"type": MENTION_USERS, "userIdList": ids}
