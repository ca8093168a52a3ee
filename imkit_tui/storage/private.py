"""Files only their owner may read: the folders, databases and media imkit keeps.

Messages, tokens and pictures are private: every folder imkit makes is 0700 and every
file 0600, whatever the umask. SQLite gives a database's `-wal` and `-shm` files the
mode of the database itself, so creating the database file 0600 covers all three.
Folders and files left readable by an older version are tightened when next opened.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import BinaryIO

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
_OTHERS = stat.S_IRWXG | stat.S_IRWXO


def private_dir(path: Path) -> Path:
    """Make `path` (and each missing parent) a folder only its owner can enter."""
    missing: list[Path] = []
    level = path
    while not level.exists():
        missing.append(level)
        if level.parent == level:
            break
        level = level.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            folder.mkdir(mode=PRIVATE_DIR)
    _tighten(path, PRIVATE_DIR)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty (if it is not there) as a file only its owner can read.

    An existing file is only chmod-ed, never opened: closing any descriptor of a SQLite
    database drops every POSIX lock this process holds on it, connections included.
    """
    private_dir(path.parent)
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    _tighten(path, PRIVATE_FILE)
    return path


def open_private(path: Path, *, append: bool = False) -> BinaryIO:
    """`path` opened for writing as a file only its owner can read (created 0600).

    Truncated unless `append`; its folder is made private too.
    """
    private_dir(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE_FILE)
    try:
        _tighten_fd(fd, PRIVATE_FILE)
        return os.fdopen(fd, "ab" if append else "wb")
    except BaseException:
        os.close(fd)
        raise


def private_database(path: Path) -> None:
    """Prepare a SQLite database file and its `-wal`/`-shm` companions as 0600."""
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            _tighten(companion, PRIVATE_FILE)


def _tighten(path: Path, mode: int) -> None:
    with contextlib.suppress(FileNotFoundError, PermissionError):
        if path.stat().st_mode & _OTHERS:
            path.chmod(mode)


def _tighten_fd(fd: int, mode: int) -> None:
    with contextlib.suppress(PermissionError):
        if os.fstat(fd).st_mode & _OTHERS:
            os.fchmod(fd, mode)
