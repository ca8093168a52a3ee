"""The TOML config file, and the small state the app remembers between runs.

```toml
server = "ws://127.0.0.1:8765"   # omit to run the embedded server
token = "imk1...."
theme = "imkit-light"             # a theme name; the palette choice is remembered
notifications = true              # the one switch: toasts, bell, desktop notifications
notification_text = true          # false: notifications say "New message", not the text
recall_window = 120               # seconds after sending during which x recalls
app_key = "uwd1c0sxdlx2"          # `imkit serve`: the Server API's app key and secret
app_secret = "..."                # (flags and IMKIT_APP_KEY/IMKIT_APP_SECRET win)

[hooks]                           # `imkit serve`: what it tells the app's backend
routing_url = "http://127.0.0.1:9000/route"   # (server/hooks/settings.py has them all)

[customer_service]                # `imkit serve`: the customer-service account
id = "kefu"                       # customers open it; agents are users with the role
agents = ["carol", "dave"]        # (server/customer_service/settings.py has them all)
faq = "faq.toml"                  # the robot's answers, beside this file
```

Command-line flags override the file. A file that is not valid TOML, has a value of the
wrong type or a server URL that is not a websocket one is reported with its path and the
problem; an unknown key is named in a warning. Nothing in the file is changed.
"""

from __future__ import annotations

import json
import os
import tomllib
import urllib.parse
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from imkit_tui.storage.private import open_private


class ConfigError(Exception):
    """The config file cannot be used; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Settings:
    """What the app runs with, after the config file and the flags."""

    server: str | None = None
    token: str | None = None
    theme: str | None = None
    notifications: bool = True
    notification_text: bool = True
    recall_window: int = 120
    app_key: str | None = None
    app_secret: str | None = None
    hooks: dict[str, Any] = field(default_factory=dict)
    """The `[hooks]` table, read by `imkit serve` (server/hooks/settings.py)."""
    customer_service: dict[str, Any] = field(default_factory=dict)
    """The `[customer_service]` table, read by `imkit serve`
    (server/customer_service/settings.py)."""
    warnings: tuple[str, ...] = field(default=(), compare=False)
    """What the file had that was ignored (unknown keys), one line each, to show the user."""

    def with_overrides(self, **values: Any) -> Settings:
        """A copy with every value that is not None replaced."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


_TYPES: dict[str, type] = {
    "server": str,
    "token": str,
    "theme": str,
    "notifications": bool,
    "notification_text": bool,
    "recall_window": int,
    "app_key": str,
    "app_secret": str,
    "hooks": dict,
    "customer_service": dict,
}


def load_settings(path: Path) -> Settings:
    """Read the config file at `path`; a missing file means the defaults."""
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return Settings()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    values: dict[str, Any] = {}
    warnings: list[str] = []
    for key, value in data.items():
        expected = _TYPES.get(key)
        if expected is None:
            known = ", ".join(_TYPES)
            warnings.append(f"{path}: unknown key '{key}' ignored (known: {known})")
            continue
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(
                f"{path}: '{key}' must be a {expected.__name__}, not {type(value).__name__}"
            )
        values[key] = value
    if "server" in values:
        try:
            check_server_url(values["server"])
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    return Settings(**values, warnings=tuple(warnings))


def check_server_url(url: str) -> str:
    """`url` when it is a websocket URL with a host (ws:// or wss://); else ConfigError."""
    try:
        parts = urllib.parse.urlsplit(url)
        usable = parts.scheme in ("ws", "wss") and bool(parts.hostname)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        usable = False
    if not usable:
        raise ConfigError(
            f"server {url!r} is not a websocket URL: give ws://HOST:PORT (or wss://HOST:PORT)"
        )
    return url


class UiState:
    """Small choices the app remembers (the theme), kept as JSON in the data folder.

    Separate from the config file so that remembering never rewrites a file the user
    edits by hand. A damaged state file is ignored and replaced.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            loaded = {}
        self._values: dict[str, Any] = loaded if isinstance(loaded, dict) else {}

    def get(self, key: str) -> str | None:
        """A remembered text value."""
        value = self._values.get(key)
        return value if isinstance(value, str) else None

    def set(self, key: str, value: str) -> None:
        """Remember a text value (written at once, atomically)."""
        self._values[key] = value
        temporary = self.path.with_suffix(".tmp")
        with open_private(temporary) as handle:
            handle.write(json.dumps(self._values, indent=2).encode("utf-8"))
        os.replace(temporary, self.path)
