"""The local store's schema, as numbered migrations."""

from __future__ import annotations

from imkit_tui.storage import Migration

_ULTRA_ROW = """
    INSERT OR IGNORE INTO conversations(type, target, channel) VALUES (10, {target}, '*');
    UPDATE conversations SET
        (unread, mentions) = (
            SELECT COALESCE(SUM(c.unread), 0), COALESCE(SUM(c.mentions), 0)
            FROM conversations c WHERE c.type = 10 AND c.target = {target} AND c.channel != '*'),
        (last_at, preview, last_sender, last_seq) = (
            SELECT COALESCE(MAX(c.last_at), 0), COALESCE(c.preview, ''),
                COALESCE(c.last_sender, ''), 0
            FROM conversations c WHERE c.type = 10 AND c.target = {target} AND c.channel != '*'),
        hidden = CASE WHEN {moved} THEN 0 ELSE hidden END
    WHERE type = 10 AND target = {target} AND channel = '*';
    UPDATE conversations SET sort_at = MAX(last_at, draft_at)
    WHERE type = 10 AND target = {target} AND channel = '*';
"""
"""Keeps an ultra group's list row (channel "*") from its channels' rows: the sum of
their unread and mention counts, the newest channel's preview (SQLite takes the bare
columns from the row of MAX), the later of it and the draft as the sort key; a new
message shows a removed group again. `target` and `moved` are SQL of the trigger."""

_ULTRA_ROW_WITH_FAILED = """
    INSERT OR IGNORE INTO conversations(type, target, channel) VALUES (10, {target}, '*');
    UPDATE conversations SET
        (unread, mentions) = (
            SELECT COALESCE(SUM(c.unread), 0), COALESCE(SUM(c.mentions), 0)
            FROM conversations c WHERE c.type = 10 AND c.target = {target} AND c.channel != '*'),
        (last_at, preview, last_sender, last_seq, failed_id) = (
            SELECT COALESCE(MAX(c.last_at), 0), COALESCE(c.preview, ''),
                COALESCE(c.last_sender, ''), 0, COALESCE(c.failed_id, 0)
            FROM conversations c WHERE c.type = 10 AND c.target = {target} AND c.channel != '*'),
        hidden = CASE WHEN {moved} THEN 0 ELSE hidden END
    WHERE type = 10 AND target = {target} AND channel = '*';
    UPDATE conversations SET sort_at = MAX(last_at, draft_at)
    WHERE type = 10 AND target = {target} AND channel = '*';
"""
"""`_ULTRA_ROW` (migration 15, kept as it was) that also takes the newest channel's
failed mark (`failed_id`, migration 21)."""

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
    Migration(
        3,
        "read receipts and settings synced with the server",
        """
        ALTER TABLE conversations ADD COLUMN peer_read_seq INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE conversations ADD COLUMN marked_unread INTEGER NOT NULL DEFAULT 0;
        -- A read position or a setting changed here and not yet confirmed by the server.
        ALTER TABLE conversations ADD COLUMN read_pending INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE conversations ADD COLUMN settings_pending INTEGER NOT NULL DEFAULT 0;
        """,
    ),
    Migration(
        4,
        "full-text search (FTS5 trigram) over messages",
        # A regular FTS5 table: it keeps its own copy of the searchable text. Contentless
        # (content='') would save that copy, but before SQLite 3.43 a contentless row can
        # only be deleted by repeating its exact text, which here is computed in Python
        # (a summary that may change between versions), and the snippet needs the text
        # anyway. External content would need that text as a column of messages: the
        # same copy, in the table every page of a chat reads.
        # The rowid is not messages.id but a time key, sent_at * 1024 + a slot: FTS5 can
        # only walk its rowids in order, results must come newest first, and local ids are
        # not in time order (older pages fetched from the cloud later get higher ids).
        # `id` (unindexed) leads back to the message; the triggers find a message's row
        # from its sent_at (the key's bucket) and its id.
        # trigram: substrings of any script, Chinese included, no word breaking needed;
        # case-insensitive. `conv` and `sender` hold tags of the message's conversation
        # and sender (core/search_index.py), so a search in one conversation or by one
        # sender is a single MATCH that FTS5 intersects itself, instead of a walk over
        # every match of a common word. columnsize=0: results are ordered by time, not
        # bm25, so no per-row token counts are written.
        # A message is not indexed where it is written: a trigger queues its id in
        # search_pending (microseconds, in the same transaction) and the indexer in
        # core/search_index.py indexes the queue in batches, ~6x cheaper a message
        # than one FTS5 transaction each. The messages stored before this migration are
        # the backfill: the last statement only notes the newest of them (no work at
        # start-up), and the indexer works down from it in the background.
        """
        CREATE VIRTUAL TABLE message_search USING fts5(
            text, conv, sender, id UNINDEXED, tokenize = 'trigram', columnsize = 0
        );
        -- The index's trigrams (to expand a 2-character term into those it starts).
        CREATE VIRTUAL TABLE message_search_vocab USING fts5vocab(message_search, 'col');
        CREATE TABLE search_pending (id INTEGER PRIMARY KEY);

        CREATE TRIGGER messages_search_queue AFTER INSERT ON messages BEGIN
            INSERT OR IGNORE INTO search_pending(id) VALUES (new.id);
        END;
        -- Replaced content (a recall, an edit, a finished upload) is unsearchable at
        -- once, and indexed again from the new content (and a new time: an ack).
        CREATE TRIGGER messages_search_requeue AFTER UPDATE OF object_name, content, sent_at
        ON messages BEGIN
            DELETE FROM message_search WHERE id = old.id
            AND rowid BETWEEN MAX(0, MIN(old.sent_at, 4503599627370495)) * 1024
            AND MAX(0, MIN(old.sent_at, 4503599627370495)) * 1024 + 1023;
            INSERT OR IGNORE INTO search_pending(id) VALUES (new.id);
        END;
        CREATE TRIGGER messages_search_forget AFTER DELETE ON messages BEGIN
            DELETE FROM message_search WHERE id = old.id
            AND rowid BETWEEN MAX(0, MIN(old.sent_at, 4503599627370495)) * 1024
            AND MAX(0, MIN(old.sent_at, 4503599627370495)) * 1024 + 1023;
            DELETE FROM search_pending WHERE id = old.id;
        END;

        -- The messages not sent yet, by conversation: opening a chat (or a search
        -- result) reads them, and without this index that read scans every message.
        CREATE INDEX messages_unsent ON messages(conv_id, id) WHERE seq IS NULL;

        INSERT INTO meta(key, value)
        SELECT 'search_backfill', CAST(MAX(id) AS TEXT) FROM messages HAVING MAX(id) IS NOT NULL;
        """,
    ),
    Migration(
        5,
        "a conversation removed from the list until its next message",
        "ALTER TABLE conversations ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;",
    ),
    Migration(
        6,
        "@mentions of this user, flagged and counted like unread messages",
        # mentioned: a counted message of someone else whose mentionedInfo names this
        # user or everyone (core/store.py); the flag drops with the content (recall,
        # delete). conversations.mentions is recounted wherever unread is (core/sql.py),
        # from the read position; the partial index makes "the unread mentions of a
        # conversation" a range of a few rows, however long the history.
        """
        ALTER TABLE messages ADD COLUMN mentioned INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE conversations ADD COLUMN mentions INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX messages_mentioned ON messages(conv_id, seq) WHERE mentioned = 1;
        """,
    ),
    Migration(
        7,
        "the members a targeted group message was sent to",
        # A JSON list; empty for a message to everyone. Kept in the outbox row so a
        # retry after a restart targets the same members.
        "ALTER TABLE messages ADD COLUMN recipients TEXT NOT NULL DEFAULT '';",
    ),
    Migration(
        8,
        "group read receipts asked for, and whether this device answered",
        """
        -- core/receipts.py: 0 none; own message: 1 receipts asked for; another's:
        -- 1 asked (answer once read here), 2 read (answer to send), 3 answered.
        ALTER TABLE messages ADD COLUMN receipt INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX messages_receipt_pending ON messages(conv_id) WHERE receipt = 2;
        """,
    ),
    Migration(
        9,
        "the groups this user is in: name, owner and members (core/group_store.py)",
        """
        CREATE TABLE groups (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            owner TEXT NOT NULL DEFAULT '',
            members TEXT NOT NULL DEFAULT '',
            updated_at INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        10,
        "which process sends an outbox row, until when (core/outbox_claims.py)",
        """
        ALTER TABLE messages ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
        ALTER TABLE messages ADD COLUMN claim_until INTEGER NOT NULL DEFAULT 0;
        """,
    ),
    Migration(
        11,
        "receipt requests still to answer, by conversation and seq (core/receipts.py)",
        # Marking a conversation read answers the requests up to the read position:
        # without this index that statement read every message of the conversation.
        # Only received messages whose sender asked and that are not read yet are in it,
        # so it holds a few rows however long the history.
        """
        CREATE INDEX messages_receipt_asked ON messages(conv_id, seq)
        WHERE receipt = 1 AND direction = 0;
        """,
    ),
    Migration(
        12,
        "client ids indexed for this user's own messages only",
        # A client id is looked up only for this user's own messages (an outbox row
        # queued again with the same cmid, a record of ours the server sent back:
        # core/store.py, core/sql.py `confirm`), always with `direction = 1`, and the
        # server keeps a sender's client ids unique. Received messages of other users
        # (most of a store) no longer write an entry here: a received row touches one
        # index page fewer, and a catch-up inserts ~20% faster.
        """
        DROP INDEX messages_cmid;
        CREATE UNIQUE INDEX messages_cmid ON messages(sender, cmid) WHERE direction = 1;
        """,
    ),
    Migration(
        13,
        "new messages found for search by their ids, without a queue row each",
        # A stored message used to write a row into search_pending as well: one more
        # page in the transaction of every message sent or received. Now the indexer
        # notes the highest id it has indexed (meta search_head) and finds newer rows by
        # their ids (core/search_index.py). search_pending keeps what the head does not
        # cover: changed content (recall, edit, upload) of a row at or below it, and a
        # row whose id was reused (SQLite gives a new row the highest id plus one: after
        # the newest row is deleted, its id comes back). The WHEN reads one meta row and
        # writes nothing.
        """
        INSERT OR REPLACE INTO meta(key, value)
        SELECT 'search_head', CAST(COALESCE(MAX(id), 0) AS TEXT) FROM messages;

        DROP TRIGGER messages_search_queue;
        CREATE TRIGGER messages_search_queue AFTER INSERT ON messages
        WHEN new.id <= (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'search_head')
        BEGIN
            INSERT OR IGNORE INTO search_pending(id) VALUES (new.id);
        END;

        DROP TRIGGER messages_search_requeue;
        CREATE TRIGGER messages_search_requeue AFTER UPDATE OF object_name, content, sent_at
        ON messages BEGIN
            DELETE FROM message_search WHERE id = old.id
            AND rowid BETWEEN MAX(0, MIN(old.sent_at, 4503599627370495)) * 1024
            AND MAX(0, MIN(old.sent_at, 4503599627370495)) * 1024 + 1023;
            INSERT OR IGNORE INTO search_pending(id) SELECT new.id
            WHERE new.id <= (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'search_head');
        END;
        """,
    ),
    Migration(
        14,
        "the messages of joined chatrooms, held only while in them (core/chatroom_store.py)",
        # A room's messages never touch the messages table: not in the conversation
        # list, the unread counts or search. `holder` is the store (one per process) that
        # joined the room, so two processes of a user leave rooms apart.
        """
        CREATE TABLE chatroom_messages (
            id INTEGER PRIMARY KEY,
            holder TEXT NOT NULL,
            room TEXT NOT NULL,
            seq INTEGER,
            uid TEXT,
            cmid TEXT NOT NULL,
            sender TEXT NOT NULL,
            direction INTEGER NOT NULL,
            status INTEGER NOT NULL,
            error INTEGER,
            object_name TEXT NOT NULL,
            content TEXT NOT NULL,
            sent_at INTEGER NOT NULL
        );
        CREATE INDEX chatroom_messages_order ON chatroom_messages(holder, room, seq);
        CREATE UNIQUE INDEX chatroom_messages_uid ON chatroom_messages(holder, room, uid)
        WHERE uid IS NOT NULL;
        CREATE INDEX chatroom_messages_own ON chatroom_messages(holder, room, cmid)
        WHERE direction = 1;
        """,
    ),
    Migration(
        15,
        "ultra groups: their channels, settings and list row; edited messages",
        # core/ultra_store.py. A channel is a conversation (type 10, target the group,
        # channel its id; "" the default channel) with its own seqs, read position and
        # counts, as any conversation. The list shows the group as one row instead: the
        # conversation (10, group, "*") (no channel can be called "*"), kept by the
        # triggers below from its channels' rows (unread and mentions summed, the newest
        # preview), so the list stays one indexed query. A trigger reads the group's
        # channels by the conversations' unique key: at most ultra_max_channels rows,
        # never the history. Edits: the newest edit's time and the seq of its event.
        f"""
        ALTER TABLE messages ADD COLUMN edited_at INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE messages ADD COLUMN edit_seq INTEGER NOT NULL DEFAULT 0;

        CREATE TABLE ultra_groups (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL DEFAULT '',
            owner TEXT NOT NULL DEFAULT '',
            level TEXT NOT NULL DEFAULT 'default',
            default_level TEXT NOT NULL DEFAULT 'all',
            dnd INTEGER NOT NULL DEFAULT 0,
            pre_join_history INTEGER NOT NULL DEFAULT 0,
            member_count INTEGER NOT NULL DEFAULT 0,
            last_channel TEXT NOT NULL DEFAULT ''
        ) WITHOUT ROWID;
        CREATE TABLE ultra_channels (
            group_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            level TEXT NOT NULL DEFAULT 'default',
            effective_level TEXT NOT NULL DEFAULT 'all',
            PRIMARY KEY (group_id, channel)
        ) WITHOUT ROWID;

        CREATE TRIGGER ultra_row_on_update AFTER UPDATE OF unread, mentions, last_at, preview
        ON conversations WHEN new.type = 10 AND new.channel != '*'
        BEGIN {_ULTRA_ROW.format(target="new.target", moved="new.last_at > old.last_at")} END;
        CREATE TRIGGER ultra_row_on_delete AFTER DELETE ON conversations
        WHEN old.type = 10 AND old.channel != '*'
        BEGIN {_ULTRA_ROW.format(target="old.target", moved="0")} END;
        """,
    ),
    Migration(
        16,
        "people's display names and portraits, as last read from the server",
        # core/profile_store.py: one row per user this device has shown; `fetched_at`
        # (local ms) says when the server was last asked, so a stale row is asked again.
        """
        CREATE TABLE profiles (
            user_id TEXT PRIMARY KEY,
            name TEXT NOT NULL DEFAULT '',
            portrait TEXT NOT NULL DEFAULT '',
            updated_at INTEGER NOT NULL DEFAULT 0,
            fetched_at INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        17,
        "customer service: where each conversation with a service stands",
        # One row per customer-service account this user spoke to: the session id, the
        # mode (robot, queued, human, ended), the agent, a rating or a left message
        # asked for. Kept so the chat header says the same after a restart.
        """
        CREATE TABLE cs_state (
            account TEXT PRIMARY KEY,
            body TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        18,
        "public service accounts as last seen: profile, menu, followed",
        """
        -- What this device knows of the public service accounts it searched or follows,
        -- so the list names them and the menu bar draws before the server answers.
        CREATE TABLE public_accounts (
            type INTEGER NOT NULL,
            id TEXT NOT NULL,
            name TEXT NOT NULL,
            portrait TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT '',
            menu TEXT NOT NULL DEFAULT '[]',
            accepts_text INTEGER NOT NULL DEFAULT 0,
            followed INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (type, id)
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        19,
        "a failed message keeps its place in the conversation",
        """
        -- A message of ours that failed (refused, or given up on) is shown where it was
        -- written: after the stored message of this seq (the newest stored before it;
        -- local ids grow in the order rows are written). NULL while it is sending.
        ALTER TABLE messages ADD COLUMN place_seq INTEGER;
        UPDATE messages SET place_seq = COALESCE((SELECT o.seq FROM messages o
            WHERE o.conv_id = messages.conv_id AND o.seq IS NOT NULL AND o.id < messages.id
            ORDER BY o.seq DESC LIMIT 1), 0)
        WHERE status = 2 AND seq IS NULL;
        CREATE INDEX messages_failed_place ON messages(conv_id, place_seq)
            WHERE seq IS NULL AND place_seq IS NOT NULL;
        """,
    ),
    Migration(
        20,
        "a failed message of ours keeps its place in a chatroom too",
        # A room's messages are held only while in it: none failed before this version
        # outlives a restart, so nothing is placed here.
        """
        ALTER TABLE chatroom_messages ADD COLUMN place_seq INTEGER;
        CREATE INDEX chatroom_messages_failed_place
            ON chatroom_messages(holder, room, place_seq)
            WHERE seq IS NULL AND place_seq IS NOT NULL;
        """,
    ),
    Migration(
        21,
        "the list row says when the message it shows failed",
        # outbox_table.mark_failed sets it while the row shows that message; a newer
        # message shown (sql.set_preview), a retry or the message deleted clears it.
        # Failures a store already holds are marked where nothing was written after them.
        f"""
        ALTER TABLE conversations ADD COLUMN failed_id INTEGER NOT NULL DEFAULT 0;
        -- Only a conversation's newest failure can be the one its row shows (it comes
        -- after every older one); it is, when nothing the row would show came after it.
        UPDATE conversations SET failed_id = COALESCE((SELECT f.id FROM messages f
            WHERE f.id = (SELECT MAX(l.id) FROM messages l
                WHERE l.conv_id = conversations.id AND l.seq IS NULL AND l.status = 2)
            AND NOT EXISTS (SELECT 1 FROM messages n WHERE n.conv_id = f.conv_id
                AND n.seq > f.place_seq AND n.object_name NOT IN ('RC:RRReqMsg', 'imkit:EditCmd'))
            AND NOT EXISTS (SELECT 1 FROM messages n WHERE n.conv_id = f.conv_id
                AND n.seq IS NULL AND n.id > f.id
                AND n.object_name NOT IN ('RC:RRReqMsg', 'imkit:EditCmd'))), 0)
        WHERE channel != '*';
        DROP TRIGGER ultra_row_on_update;
        DROP TRIGGER ultra_row_on_delete;
        CREATE TRIGGER ultra_row_on_update
        AFTER UPDATE OF unread, mentions, last_at, preview, failed_id
        ON conversations WHEN new.type = 10 AND new.channel != '*'
        BEGIN {
            _ULTRA_ROW_WITH_FAILED.format(target="new.target", moved="new.last_at > old.last_at")
        } END;
        CREATE TRIGGER ultra_row_on_delete AFTER DELETE ON conversations
        WHEN old.type = 10 AND old.channel != '*'
        BEGIN {_ULTRA_ROW_WITH_FAILED.format(target="old.target", moved="0")} END;
        UPDATE conversations SET failed_id = COALESCE((SELECT c.failed_id FROM conversations c
            WHERE c.type = 10 AND c.target = conversations.target AND c.channel != '*'
            ORDER BY c.last_at DESC LIMIT 1), 0)
        WHERE type = 10 AND channel = '*';
        """,
    ),
)
