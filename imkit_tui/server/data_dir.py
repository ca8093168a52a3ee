"""Where the server keeps its store in its data dir: known without loading the server
(the embedded app reads the user's token version from it before the server runs)."""

from __future__ import annotations

from pathlib import Path

DATABASE_FILE = "server.db"


def database_path(data_dir: Path) -> Path:
    """The server's SQLite store in `data_dir`."""
    return data_dir / DATABASE_FILE
