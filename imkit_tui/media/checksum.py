"""The sha256 of a file, which names every stored file on the server and in the cache."""

from __future__ import annotations

import hashlib
from pathlib import Path

_BLOCK = 1024 * 1024


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes, read in blocks (blocking: run it in a thread)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()
