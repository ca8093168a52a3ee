"""Public service account frames: searching accounts, following and unfollowing them,
reading one's profile and menu; and the rules a menu keeps.

Two kinds of account, numbered as the conversation types RongCloud gives them:
APP_PUBLIC_SERVICE (7), an account of this app, and PUBLIC_SERVICE (8), an account of
the public service platform. Both are made by the app's backend (Server API or the
server's config); users only search, follow and unfollow them.

An account's conversation is ConvRef(type, account id). Its articles (RC:PSImgTxtMsg,
RC:PSMultiImgTxtMsg) are stored once in it and every follower reads it from the seq they
followed at, like a group's history (read diffusion: no row per follower and article).
A follower sends into it only RC:PSCmd (a menu click: not stored, not counted, routed to
the account's backend) and, where the account accepts text, text that goes the same way
(acked with seq 0, never stored in the account's conversation, which every follower
reads). Someone who does not follow the account is answered NOT_FOLLOWING.

Every request is answered by the frame its docstring names, carrying the request's `id`
in `re`, or by an ErrorFrame (PUBLIC_ACCOUNT_NOT_FOUND for an unknown account).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

import msgspec

from imkit_tui.protocol.conversation import ConvRef
from imkit_tui.protocol.frame_base import Frame

APP_PUBLIC_SERVICE = 7
"""The conversation type of an account of this app."""
PUBLIC_SERVICE = 8
"""The conversation type of an account of the public service platform."""
PUBLIC_TYPES = (APP_PUBLIC_SERVICE, PUBLIC_SERVICE)
"""Both account kinds."""


def is_public(conv: ConvRef) -> bool:
    """Whether `conv` is a public service account's conversation."""
    return conv.type in PUBLIC_TYPES


MAX_MENU_ITEMS = 3
"""The most top items a menu holds (RongCloud's limit)."""
MAX_SUB_ITEMS = 5
"""The most items one top item's sub-menu holds."""
MAX_SEARCH_RESULTS = 50
"""The most accounts one search answers."""

AccountId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_\-.]{1,64}$")]
Keyword = Annotated[str, msgspec.Meta(max_length=64)]
MenuKind = Literal["click", "view", "group"]


class MenuItem(msgspec.Struct, omit_defaults=True, kw_only=True):
    """One item of an account's menu.

    "click" sends an RC:PSCmd whose `cmd` is "click" and `data` this item's `id` to
    the account; "view" opens `url`; "group" opens its sub-`items` (only top items may be
    groups, of at most MAX_SUB_ITEMS, none of them a group).
    """

    id: Annotated[str, msgspec.Meta(max_length=64)] = ""
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    kind: MenuKind = "click"
    url: Annotated[str, msgspec.Meta(max_length=1024)] = ""
    items: list[MenuItem] = []


class PublicAccount(msgspec.Struct, omit_defaults=True, kw_only=True):
    """An account as users read it: its kind (7 or 8), name, picture, description, menu,
    whether it takes typed text, and whether the asking user follows it."""

    id: str
    type: int
    name: str
    portrait: str = ""
    description: str = ""
    menu: list[MenuItem] = []
    accepts_text: bool = False
    followed: bool = False


_menu_decoder = msgspec.json.Decoder(list[MenuItem])


def account_from_row(row: Sequence[object], followed: bool = False) -> PublicAccount:
    """An account from a stored row (type, id, name, portrait, description, menu as
    JSON, accepts_text); a menu that does not decode (a damaged file) is left out."""
    try:
        menu = _menu_decoder.decode(str(row[5]))
    except (msgspec.ValidationError, msgspec.DecodeError):
        menu = []
    return PublicAccount(
        type=int(str(row[0])),
        id=str(row[1]),
        name=str(row[2]),
        portrait=str(row[3]),
        description=str(row[4]),
        menu=menu,
        accepts_text=bool(row[6]),
        followed=followed,
    )


class MenuError(ValueError):
    """A menu breaks the service's limits (the message says which)."""


def check_menu(menu: list[MenuItem]) -> list[MenuItem]:
    """`menu` when it keeps the limits: at most MAX_MENU_ITEMS top items, a group only at
    the top with 1 to MAX_SUB_ITEMS items, a click with an id, a view with an http(s) URL.
    Raises MenuError naming the first item that does not."""
    if len(menu) > MAX_MENU_ITEMS:
        raise MenuError(f"a menu holds at most {MAX_MENU_ITEMS} items, not {len(menu)}")
    for item in menu:
        if item.kind == "group":
            if not 1 <= len(item.items) <= MAX_SUB_ITEMS:
                raise MenuError(
                    f"{item.name!r}: a sub-menu holds 1 to {MAX_SUB_ITEMS} items,"
                    f" not {len(item.items)}"
                )
            for sub in item.items:
                if sub.kind == "group":
                    raise MenuError(f"{sub.name!r}: a sub-menu item cannot open another menu")
                _check_leaf(sub)
        else:
            _check_leaf(item)
    return menu


def _check_leaf(item: MenuItem) -> None:
    if item.items:
        raise MenuError(f"{item.name!r}: only a group has sub-items")
    if item.kind == "click" and not item.id:
        raise MenuError(f"{item.name!r}: a click item needs an id (its command's data)")
    if item.kind == "view" and not item.url.lower().startswith(("http://", "https://")):
        raise MenuError(f"{item.name!r}: a view item needs an http(s) URL")


def command_content(item: MenuItem) -> dict[str, str]:
    """The RC:PSCmd content a click on `item` sends."""
    return {"cmd": "click", "data": item.id, "extra": item.name}


# ---------------------------------------------------------------- client → server


class PublicSearch(Frame, tag="ps_search"):
    """Find accounts (any user sends; the server answers PublicAccounts).

    `keyword` matches an account's id exactly or its name in part (case-insensitive; empty:
    every account); `type` 7 or 8 keeps that kind only (0: both); `followed` keeps only
    the accounts this user follows. At most MAX_SEARCH_RESULTS, by name.
    """

    keyword: Keyword = ""
    type: Literal[0, 7, 8] = 0
    followed: bool = False


class PublicFollow(Frame, tag="ps_follow"):
    """Follow (`follow` True) or unfollow an account (the server answers PublicAccountInfo
    as the account is now for this user). A new follower reads the articles posted from
    now on; following again, or unfollowing an account one does not follow, answers the
    same. An unknown account answers PUBLIC_ACCOUNT_NOT_FOUND."""

    account: AccountId
    type: Literal[7, 8]
    follow: bool = True


class PublicQuery(Frame, tag="ps_query"):
    """Read one account's profile and menu (the server answers PublicAccountInfo)."""

    account: AccountId
    type: Literal[7, 8]


# ---------------------------------------------------------------- server → client


class PublicAccounts(Frame, tag="ps_accounts"):
    """The answer to PublicSearch."""

    accounts: list[PublicAccount] = []


class PublicAccountInfo(Frame, tag="ps_account"):
    """The answer to PublicFollow and PublicQuery."""

    account: PublicAccount


PUBLIC_CLIENT_FRAMES = (PublicSearch, PublicFollow, PublicQuery)
PUBLIC_SERVER_FRAMES = (PublicAccounts, PublicAccountInfo)
PublicClientFrame = PublicSearch | PublicFollow | PublicQuery
"""The public service frames a client sends (a part of frames.ClientFrame)."""
PublicServerFrame = PublicAccounts | PublicAccountInfo
"""The public service frames the server sends (a part of frames.ServerFrame)."""
