"""The app secret that signs login tokens, kept in the server's data dir."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from imkit_tui.storage.private import private_dir

SECRET_FILE = "app-secret"

MIN_SECRET_CHARS = 8
"""The shortest secret accepted: one made here has 64 characters, but a deployment may
set the shorter one its backend already has (server/api/credentials.py)."""


def load_or_create_secret(data_dir: Path) -> bytes:
    """Read the app secret from `data_dir`, creating it (mode 0600) on first use."""
    private_dir(data_dir)
    path = data_dir / SECRET_FILE
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        secret = secrets.token_hex(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            return load_or_create_secret(data_dir)
        with os.fdopen(fd, "w") as handle:
            handle.write(secret + "\n")
        return secret.encode()
    if len(text) < MIN_SECRET_CHARS:
        raise ValueError(f"the app secret in {path} is too short; delete it to make a new one")
    return text.encode()
