"""SQLite plumbing shared by the client store and the server store.

A database owned by one thread (every call one hand-off), numbered migrations, the
single writer task that batches writes into one transaction, and a side writer for
work too big for the event loop. Knows nothing about messages. The names below load on
first use (:func:`imkit_tui.lazy.lazy_names`): `imkit_tui.storage.private` and the
migrations load without the database's threads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imkit_tui.lazy import lazy_names

if TYPE_CHECKING:
    from imkit_tui.storage.database import Database
    from imkit_tui.storage.migrations import Migration, SchemaTooNew, apply_migrations
    from imkit_tui.storage.side_writer import SideWriter
    from imkit_tui.storage.writer import BatchWriter, WriterClosed

__all__ = [
    "BatchWriter",
    "Database",
    "Migration",
    "SchemaTooNew",
    "SideWriter",
    "WriterClosed",
    "apply_migrations",
]

_MIGRATIONS = "imkit_tui.storage.migrations"
_WRITER = "imkit_tui.storage.writer"
__getattr__ = lazy_names(
    __name__,
    {
        "BatchWriter": _WRITER,
        "Database": "imkit_tui.storage.database",
        "Migration": _MIGRATIONS,
        "SchemaTooNew": _MIGRATIONS,
        "SideWriter": "imkit_tui.storage.side_writer",
        "WriterClosed": _WRITER,
        "apply_migrations": _MIGRATIONS,
    },
)
