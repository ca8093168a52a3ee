"""The Server API's sensitive-word paths: words a message sent from a device may not
contain (refused with 21501, nobody receives it) or that receivers see replaced.
Messages the backend posts through the API are not screened."""

from __future__ import annotations

from typing import Any

from imkit_tui.server.api.context import ApiContext, Handler
from imkit_tui.server.api.errors import bad_parameter
from imkit_tui.server.api.forms import Params
from imkit_tui.server.sensitive_words import MAX_WORD_CHARS, MAX_WORDS

REPLACED = "0"
"""`type` of a word that is replaced."""
REFUSED = "1"
"""`type` of a word that refuses the message."""


def _word(value: str, name: str) -> str:
    word = value.strip()
    if not word or len(word) > MAX_WORD_CHARS:
        raise bad_parameter(f"{name} must have 1 to {MAX_WORD_CHARS} characters")
    return word


async def add(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/sensitiveword/add`: refuse messages holding `word`, or with `replaceWord`,
    show receivers the replacement instead."""
    word = _word(p.one("word"), "word")
    replace = p.one("replaceWord", "")
    replacement = _word(replace, "replaceWord") if replace else None
    if not await ctx.operator.store.words.add(word, replacement):
        raise bad_parameter(f"an app has at most {MAX_WORDS} sensitive words")
    return {}


async def delete(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/sensitiveword/delete`: forget a word."""
    await ctx.operator.store.words.remove([_word(p.one("word"), "word")])
    return {}


async def batch_delete(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/sensitiveword/batch/delete`: forget words."""
    words = [_word(w, "words") for w in p.all("words", limit=MAX_WORDS)]
    await ctx.operator.store.words.remove(words)
    return {}


async def listed(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/sensitiveword/list`: the words (`type` 0 replaced, 1 refused; all without it)."""
    kind = p.one("type", "")
    if kind not in ("", REPLACED, REFUSED, "2"):
        raise bad_parameter("type must be 0 (replaced), 1 (refused) or 2 (all)")
    words = []
    for word, replacement in await ctx.operator.store.words.listed():
        own = REFUSED if replacement is None else REPLACED
        if kind in ("", "2", own):
            words.append({"type": own, "word": word, "replaceWord": replacement or ""})
    return {"words": words}


ROUTES: dict[str, Handler] = {
    "/sensitiveword/add.json": add,
    "/sensitiveword/delete.json": delete,
    "/sensitiveword/batch/delete.json": batch_delete,
    "/sensitiveword/list.json": listed,
}
"""The sensitive-word paths, by path."""
