"""SQLite plumbing shared by the client store and the server store.

A database owned by one thread (every call one hand-off), numbered migrations, and the
single writer task that batches writes into one transaction. Knows nothing about
messages.
"""

from imkit_tui.storage.database import Database
from imkit_tui.storage.migrations import Migration, SchemaTooNew, apply_migrations
from imkit_tui.storage.writer import BatchWriter, WriterClosed

__all__ = [
    "BatchWriter",
    "Database",
    "Migration",
    "SchemaTooNew",
    "WriterClosed",
    "apply_migrations",
]
