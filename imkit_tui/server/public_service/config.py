"""Public service accounts from a file (`imkit serve --public-accounts FILE`): made, or
brought up to date, each time the server starts. No I/O: the caller reads the file.

```toml
[[account]]
id = "imkit-news"            # letters, digits, _ - . (at most 64)
name = "imkit news"
type = 7                     # 7: the app's (default), 8: the public service platform's
description = "Releases and tips"
portrait = "https://example.com/news.png"
accepts_text = false         # followers may type to it (default: menu only)
menu = [
  { id = "latest", name = "Latest" },                          # a command (RC:PSCmd)
  { name = "Site", kind = "view", url = "https://example.com" },
  { name = "More", kind = "group", items = [ { id = "faq", name = "FAQ" } ] },
]
```
"""

from __future__ import annotations

import tomllib

import msgspec

from imkit_tui.protocol.public_frames import AccountId, MenuError, MenuItem, check_menu
from imkit_tui.server.public_service.accounts import AccountSpec


class _Account(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: AccountId
    name: str
    type: int = 7
    description: str = ""
    portrait: str = ""
    accepts_text: bool = False
    menu: list[MenuItem] = []


class _File(msgspec.Struct, forbid_unknown_fields=True):
    account: list[_Account] = []


def accounts_from_toml(text: str) -> tuple[AccountSpec, ...]:
    """The accounts a file describes; ValueError saying what is wrong (bad TOML, an
    unknown key, a missing name, a menu past the limits, a type other than 7 or 8, an id
    given twice)."""
    try:
        parsed = msgspec.convert(tomllib.loads(text), _File)
    except (tomllib.TOMLDecodeError, msgspec.ValidationError) as exc:
        raise ValueError(f"public accounts: {exc}") from None
    specs: dict[tuple[int, str], AccountSpec] = {}
    for account in parsed.account:
        if account.type not in (7, 8):
            raise ValueError(f"public account {account.id}: type is 7 or 8, not {account.type}")
        if not account.name.strip() or len(account.name) > 64:
            raise ValueError(f"public account {account.id}: a name has 1 to 64 characters")
        try:
            check_menu(account.menu)
        except MenuError as exc:
            raise ValueError(f"public account {account.id}: {exc}") from None
        key = (account.type, account.id)
        if key in specs:
            raise ValueError(f"public account {account.id} is described twice")
        specs[key] = AccountSpec(
            type=account.type,
            id=account.id,
            name=account.name,
            portrait=account.portrait,
            description=account.description,
            menu=tuple(account.menu),
            accepts_text=account.accepts_text,
        )
    return tuple(specs.values())
