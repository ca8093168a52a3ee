"""SQLite plumbing shared by the client store and the server store.

A database owned by one thread (every call one hand-off), numbered migrations, the
single writer task that batches writes into one transaction, and a side writer for
work too big for the event loop. Knows nothing about
messages.
"""

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
