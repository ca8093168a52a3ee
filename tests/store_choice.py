"""Which store the servers of the running test use, and the PostgreSQL schema each data
dir got: shared by the in-process servers (conftest's ServerHandle) and the `imkit serve`
processes (tests/processes.py), so a test of a BOTH_STORES module runs either on its store."""

from __future__ import annotations

from pathlib import Path

from tests.services import fresh_schema_url

_chosen = {"kind": "sqlite"}
_schema_of: dict[Path, str] = {}


def chosen_kind() -> str:
    """ "sqlite" or "postgresql": the store the running test's servers use."""
    return _chosen["kind"]


def choose(kind: str) -> None:
    """Make the servers started from now on use `kind`'s store."""
    _chosen["kind"] = kind


def store_url_for(data_dir: Path) -> str:
    """The PostgreSQL URL for a server on `data_dir` when PostgreSQL is chosen ("" on
    SQLite); a server started again on the same data dir finds the same store."""
    if _chosen["kind"] != "postgresql":
        return ""
    return _schema_of.setdefault(data_dir, fresh_schema_url())


def known_store_url(data_dir: Path) -> str:
    """The PostgreSQL URL a server on `data_dir` was given ("" for none: SQLite)."""
    return _schema_of.get(data_dir, "")
