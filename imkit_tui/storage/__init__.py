"""SQLite plumbing shared by the client store and the server store.

Opening a database with the agreed pragmas, numbered migrations, and the single writer
task that batches writes into one transaction. Knows nothing about messages.
"""

from imkit_tui.storage.database import fetch_all, fetch_one, open_database
from imkit_tui.storage.migrations import Migration, apply_migrations
from imkit_tui.storage.writer import BatchWriter, WriterClosed

__all__ = [
    "BatchWriter",
    "Migration",
    "WriterClosed",
    "apply_migrations",
    "fetch_all",
    "fetch_one",
    "open_database",
]
