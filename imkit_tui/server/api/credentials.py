"""The app key and secret a backend signs its requests with, kept in the data dir.

The secret is the server's app secret (`app-secret`, server/auth.py): the one that signs
login tokens, so a token from `/user/getToken` and one from `imkit token` log in alike.
The key is made beside it (`app-key`, 0600) on first start. A deployment that already
has a pair (its backend was written for the service) sets it with `--app-key` /
`--app-secret` or IMKIT_APP_KEY / IMKIT_APP_SECRET: the pair is then written to the data
dir, so `imkit token` and later starts use it too.
"""

from __future__ import annotations

import os
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from imkit_tui.server.auth import MIN_SECRET_CHARS, SECRET_FILE, load_or_create_secret
from imkit_tui.storage.private import open_private, private_dir

KEY_FILE = "app-key"
"""The app key's file in the server's data dir."""

KEY_ENV = "IMKIT_APP_KEY"
"""The environment variable that sets the app key."""
SECRET_ENV = "IMKIT_APP_SECRET"
"""The environment variable that sets the app secret."""

_KEY_CHARS = string.ascii_lowercase + string.digits
_ALLOWED = set(string.ascii_letters + string.digits + "-_.~")


@dataclass(frozen=True, slots=True)
class Credentials:
    """An app key and its secret."""

    app_key: str
    app_secret: str


def check_value(what: str, value: str, shortest: int) -> str:
    """`value` stripped, if it is a usable key or secret (URL-safe characters, at least
    `shortest` of them); ValueError naming `what` otherwise."""
    value = value.strip()
    if len(value) < shortest or len(value) > 128 or not set(value) <= _ALLOWED:
        raise ValueError(f"{what} must have {shortest} to 128 letters, digits or -_.~ characters")
    return value


def load_or_create(
    data_dir: Path,
    *,
    app_key: str | None = None,
    app_secret: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Credentials:
    """The app key and secret of the server in `data_dir`: those given (arguments first,
    then the environment) are written there; missing ones are read, or made on first use.
    ValueError when a given one is unusable."""
    env = os.environ if environ is None else environ
    app_key = app_key or env.get(KEY_ENV) or None
    app_secret = app_secret or env.get(SECRET_ENV) or None
    private_dir(data_dir)
    if app_secret is not None:
        secret = check_value("the app secret", app_secret, MIN_SECRET_CHARS)
        if _read(data_dir / SECRET_FILE) != secret:
            _write(data_dir / SECRET_FILE, secret)
    else:
        secret = load_or_create_secret(data_dir).decode()
    if app_key is not None:
        key = check_value("the app key", app_key, 1)
        if _read(data_dir / KEY_FILE) != key:
            _write(data_dir / KEY_FILE, key)
    else:
        key = _read(data_dir / KEY_FILE) or _create_key(data_dir)
    return Credentials(key, secret)


def read_existing(data_dir: Path) -> Credentials | None:
    """The pair kept in `data_dir`, or None while the server never started there."""
    key = _read(data_dir / KEY_FILE)
    secret = _read(data_dir / SECRET_FILE)
    if key is None or secret is None:
        return None
    return Credentials(key, secret)


def _create_key(data_dir: Path) -> str:
    key = "".join(secrets.choice(_KEY_CHARS) for _ in range(12))
    try:
        fd = os.open(data_dir / KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return _read(data_dir / KEY_FILE) or key
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def _read(path: Path) -> str | None:
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return None
    return text or None


def _write(path: Path, value: str) -> None:
    with open_private(path) as handle:
        handle.write((value + "\n").encode())
