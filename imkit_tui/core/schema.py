"""The local store's schema, as numbered migrations."""

from __future__ import annotations

from imkit_tui.storage import Migration

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "conversations, messages and the sync cursor",
        """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;

        -- The conversation row carries everything the list shows, and its sort key, so
        -- the list is one indexed query. Every message with floor_seq <= seq <=
        -- synced_seq is in the local store.
        CREATE TABLE conversations (
            id INTEGER PRIMARY KEY,
            type INTEGER NOT NULL,
            target TEXT NOT NULL,
            channel TEXT NOT NULL DEFAULT '',
            synced_seq INTEGER NOT NULL DEFAULT 0,
            floor_seq INTEGER NOT NULL DEFAULT 0,
            max_seq INTEGER NOT NULL DEFAULT 0,
            read_seq INTEGER NOT NULL DEFAULT 0,
            last_seq INTEGER NOT NULL DEFAULT 0,
            last_at INTEGER NOT NULL DEFAULT 0,
            last_sender TEXT NOT NULL DEFAULT '',
            preview TEXT NOT NULL DEFAULT '',
            unread INTEGER NOT NULL DEFAULT 0,
            pinned INTEGER NOT NULL DEFAULT 0,
            muted INTEGER NOT NULL DEFAULT 0,
            draft TEXT NOT NULL DEFAULT '',
            draft_at INTEGER NOT NULL DEFAULT 0,
            sort_at INTEGER NOT NULL DEFAULT 0,
            UNIQUE (type, target, channel)
        );
        CREATE INDEX conversations_order ON conversations(pinned DESC, sort_at DESC);

        -- Messages keyed by (conversation, seq); seq is NULL while a message of ours
        -- waits in the outbox (status 0).
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            conv_id INTEGER NOT NULL REFERENCES conversations(id),
            seq INTEGER,
            uid TEXT,
            cmid TEXT NOT NULL,
            sender TEXT NOT NULL,
            direction INTEGER NOT NULL,
            status INTEGER NOT NULL,
            error INTEGER,
            counted INTEGER NOT NULL,
            object_name TEXT NOT NULL,
            content TEXT NOT NULL,
            sent_at INTEGER NOT NULL
        );
        CREATE UNIQUE INDEX messages_seq ON messages(conv_id, seq) WHERE seq IS NOT NULL;
        CREATE UNIQUE INDEX messages_cmid ON messages(sender, cmid);
        CREATE UNIQUE INDEX messages_uid ON messages(uid) WHERE uid IS NOT NULL;
        CREATE INDEX messages_outbox ON messages(id) WHERE status = 0;
        """,
    ),
    Migration(
        2,
        "whether a received voice message was listened to",
        "ALTER TABLE messages ADD COLUMN listened INTEGER NOT NULL DEFAULT 0;",
    ),
)
