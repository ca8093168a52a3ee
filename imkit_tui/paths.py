"""Where imkit keeps its files: config, data (stores) and cache.

`IMKIT_HOME` (or `--home`) puts everything under one folder: `config/`, `data/`,
`cache/`. Otherwise the platform's usual directories are used. A folder that cannot be
made (a read-only or missing home) is reported as :class:`PathError`, naming it.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from imkit_tui.storage.private import private_dir

APP_NAME = "imkit"
HOME_ENV = "IMKIT_HOME"


class PathError(Exception):
    """A folder imkit needs cannot be made or written; the message names it and why."""


def make_dir(path: Path) -> Path:
    """Create the folder `path` (and its missing parents, 0700) if needed and check that it
    is writable;
    return it. Raises :class:`PathError` naming the folder (or the part in the way)."""
    try:
        private_dir(path)
    except OSError as exc:
        raise PathError(f"cannot create {path}: {_reason(path, exc)}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise PathError(f"cannot write in {path}: permission denied")
    return path


def _reason(path: Path, exc: OSError) -> str:
    """Why `path` could not be made: the ancestor that is a file, else the system's words."""
    for parent in (path, *path.parents):
        if parent.exists():
            if not parent.is_dir():
                return f"{parent} is a file, not a folder"
            break
    return (exc.strerror or str(exc)).lower()


@dataclass(frozen=True, slots=True)
class Paths:
    """The three folders imkit uses."""

    config: Path
    data: Path
    cache: Path

    @classmethod
    def resolve(cls, home: str | Path | None = None) -> Paths:
        """The folders for `home`, else `$IMKIT_HOME`, else the platform's defaults."""
        chosen = home if home is not None else os.environ.get(HOME_ENV) or None
        if chosen is not None:
            root = Path(chosen).expanduser()
            return cls(config=root / "config", data=root / "data", cache=root / "cache")
        return cls(
            config=Path(platformdirs.user_config_dir(APP_NAME)),
            data=Path(platformdirs.user_data_dir(APP_NAME)),
            cache=Path(platformdirs.user_cache_dir(APP_NAME)),
        )

    @property
    def server_data(self) -> Path:
        """The reference server's data dir (its store and app secret)."""
        return self.data / "server"

    @property
    def config_file(self) -> Path:
        """The TOML config file."""
        return self.config / "config.toml"

    def account_store(self, server_url: str, user_id: str) -> Path:
        """The client store of `user_id` on the server at `server_url`."""
        return self.data / "accounts" / _slug(server_url) / _slug(user_id) / "store.db"


def _slug(text: str) -> str:
    """A file-name-safe, collision-free name for `text`."""
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._")[:40]
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    return f"{readable}-{digest}" if readable else digest
