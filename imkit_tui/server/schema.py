"""The server store's schema, as numbered migrations."""

from __future__ import annotations

from imkit_tui.storage import Migration

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "users, conversations, members and messages",
        """
        CREATE TABLE users (
            id TEXT PRIMARY KEY,
            created_at INTEGER NOT NULL
        ) WITHOUT ROWID;

        -- One row per conversation, however many members it has. `change_id` is taken
        -- from a global counter on every change, so "what changed since N" is a range.
        CREATE TABLE conversations (
            id INTEGER PRIMARY KEY,
            type INTEGER NOT NULL,
            key TEXT NOT NULL UNIQUE,
            max_seq INTEGER NOT NULL DEFAULT 0,
            change_id INTEGER NOT NULL DEFAULT 0,
            last_at INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX conversations_change ON conversations(change_id);

        -- How each member sees the conversation: `target` is the peer in a private chat.
        CREATE TABLE members (
            user_id TEXT NOT NULL,
            conv_id INTEGER NOT NULL REFERENCES conversations(id),
            target TEXT NOT NULL,
            joined_at INTEGER NOT NULL,
            PRIMARY KEY (user_id, conv_id)
        ) WITHOUT ROWID;
        CREATE INDEX members_conv ON members(conv_id);

        -- Stored once per conversation, never once per member.
        CREATE TABLE messages (
            conv_id INTEGER NOT NULL REFERENCES conversations(id),
            seq INTEGER NOT NULL,
            uid TEXT NOT NULL,
            sender TEXT NOT NULL,
            cmid TEXT NOT NULL,
            object_name TEXT NOT NULL,
            content TEXT NOT NULL,
            sent_at INTEGER NOT NULL,
            PRIMARY KEY (conv_id, seq)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX messages_uid ON messages(uid);
        CREATE UNIQUE INDEX messages_idempotency ON messages(sender, cmid);
        CREATE INDEX messages_time ON messages(conv_id, sent_at);
        CREATE INDEX messages_age ON messages(sent_at);
        """,
    ),
    Migration(
        2,
        "groups: a name and an owner; membership lives in members",
        """
        CREATE TABLE groups (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            owner TEXT NOT NULL,
            created_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        3,
        "each member's read position and settings, with their own change id",
        """
        ALTER TABLE members ADD COLUMN read_seq INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE members ADD COLUMN muted INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE members ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE members ADD COLUMN marked_unread INTEGER NOT NULL DEFAULT 0;
        -- From the same counter as conversations.change_id: a member's own change (read,
        -- settings, the peer's read) is found by the same sync as a new message.
        ALTER TABLE members ADD COLUMN state_change INTEGER NOT NULL DEFAULT 0;
        """,
    ),
    Migration(
        4,
        "history cleared and messages deleted by one member only",
        """
        ALTER TABLE members ADD COLUMN cleared_seq INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE deleted (
            user_id TEXT NOT NULL,
            conv_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (user_id, conv_id, seq)
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        5,
        "who each user blocks, their whitelist, and whether whitelist mode is on",
        """
        -- `kind` 1: `other` is blocked by `user_id`; 2: `other` is on their whitelist.
        CREATE TABLE privacy_lists (
            user_id TEXT NOT NULL,
            kind INTEGER NOT NULL,
            other TEXT NOT NULL,
            added_at INTEGER NOT NULL,
            PRIMARY KEY (user_id, kind, other)
        ) WITHOUT ROWID;

        -- A row only for users who ever switched whitelist mode.
        CREATE TABLE privacy_modes (
            user_id TEXT PRIMARY KEY,
            whitelist_mode INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        6,
        "who may speak in a group: muted members, mute-all and its speakers",
        """
        ALTER TABLE groups ADD COLUMN all_muted INTEGER NOT NULL DEFAULT 0;
        -- kind 'muted': may read, may not send; kind 'speaker': may send while all are muted.
        CREATE TABLE group_voices (
            group_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            PRIMARY KEY (group_id, kind, user_id)
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        7,
        "the audience of each targeted message",
        """
        -- A message with rows here is targeted: only these users (the members it names
        -- and its sender) may see it. Kept after the message is pruned, because every
        -- other member's numbering of the conversation leaves its seq out.
        CREATE TABLE targeted (
            conv_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            user_id TEXT NOT NULL,
            PRIMARY KEY (conv_id, seq, user_id)
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        8,
        "group read receipts: the messages receipts were asked for, and who read them",
        """
        CREATE TABLE receipt_requests (
            conv_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (conv_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE receipts (
            conv_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            reader TEXT NOT NULL,
            read_at INTEGER NOT NULL,
            PRIMARY KEY (conv_id, seq, reader)
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        9,
        "members who left a group keep what they had: the seq they left at",
        """
        ALTER TABLE members ADD COLUMN left_seq INTEGER;
        """,
    ),
    Migration(
        10,
        "who may read a file: the messages naming it, and its uploader for a day",
        """
        CREATE TABLE file_refs (
            sha256 TEXT NOT NULL,
            conv_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (sha256, conv_id, seq)
        ) WITHOUT ROWID;
        CREATE INDEX file_refs_message ON file_refs(conv_id, seq);
        CREATE TABLE file_grants (
            user_id TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            granted_at INTEGER NOT NULL,
            PRIMARY KEY (user_id, sha256)
        ) WITHOUT ROWID;
        CREATE INDEX file_grants_age ON file_grants(granted_at);
        INSERT OR IGNORE INTO file_refs(sha256, conv_id, seq)
            SELECT substr(j.value, 13), m.conv_id, m.seq
            FROM messages m, json_tree(m.content) j
            WHERE m.content LIKE '%imkit-media:%' AND j.type = 'text'
            AND j.value LIKE 'imkit-media:%' AND length(j.value) = 76;
        """,
    ),
    Migration(
        11,
        "group invitations for those who do not accept messages from the inviter",
        """
        CREATE TABLE group_invitations (
            group_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            inviter TEXT NOT NULL,
            invited_at INTEGER NOT NULL,
            PRIMARY KEY (group_id, user_id)
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        12,
        "each user's token version: tokens issued under an older one are revoked",
        """
        -- A row only for users whose tokens were ever revoked (no row: version 0).
        -- `change` grows with every revocation, so a running server finds the new ones
        -- with a range read (token_versions.py).
        CREATE TABLE token_versions (
            user_id TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            change INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX token_versions_change ON token_versions(change);
        """,
    ),
    Migration(
        13,
        "fewer pages written per message: the client-id key led by the (time-ordered)"
        " client id, and no time index per conversation",
        """
        -- Every stored message used to dirty a page in three places that differ from
        -- one conversation (or sender) to the next. A client id is a UUIDv7: led by
        -- it, the idempotency key grows at one edge like the message ids. The floor of
        -- a pull (the first message not older than a time) is found along seq instead,
        -- where sent_at never decreases (floors.py, first_since).
        DROP INDEX messages_idempotency;
        CREATE UNIQUE INDEX messages_client_id ON messages(cmid, sender);
        DROP INDEX messages_time;
        """,
    ),
    Migration(
        14,
        "no time index on messages: retention finds old messages by their time-ordered uid",
        """
        -- A stored message's uid is a UUIDv7 of its sent_at, so the messages sent before
        -- a time are a range of messages_uid (store.py, prune); one index fewer to
        -- write per message.
        DROP INDEX messages_age;
        """,
    ),
    Migration(
        15,
        "the Server API: user names, portraits and tags, blocked users, timed group gags,"
        " sensitive words, deleted history logs, push texts",
        """
        -- Set by /user/getToken and /user/refresh; read by /user/info.
        CREATE TABLE user_profiles (
            user_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            portrait TEXT NOT NULL DEFAULT '',
            updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        -- A blocked user cannot log in before `ends_at` (/user/block).
        CREATE TABLE user_blocks (
            user_id TEXT PRIMARY KEY,
            ends_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        -- When a gag (a mute in group_voices) made by /group/user/gag/add ends; 0: never.
        CREATE TABLE group_gag_ends (
            group_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            ends_at INTEGER NOT NULL,
            PRIMARY KEY (group_id, user_id)
        ) WITHOUT ROWID;
        CREATE INDEX group_gag_ends_time ON group_gag_ends(ends_at);
        -- Tags the app server gives a user (/user/tag/set), for pushes by tag.
        CREATE TABLE user_tags (
            user_id TEXT NOT NULL,
            tag TEXT NOT NULL,
            PRIMARY KEY (user_id, tag)
        ) WITHOUT ROWID;
        CREATE INDEX user_tags_tag ON user_tags(tag);
        -- Words the app refuses in messages (`replace` NULL) or replaces (/sensitiveword).
        CREATE TABLE sensitive_words (
            word TEXT PRIMARY KEY,
            replace TEXT
        ) WITHOUT ROWID;
        -- Hours whose message log the app deleted (/message/history/delete).
        CREATE TABLE history_logs_deleted (
            hour_ms INTEGER PRIMARY KEY
        );
        -- The push text a publish gave its message (pushContent, pushData), by uid.
        CREATE TABLE push_texts (
            uid TEXT PRIMARY KEY,
            content TEXT NOT NULL,
            data TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        16,
        "the outgoing queue to the app's backend (routing, status, pushes) and push URLs",
        """
        -- A request waiting to reach the app's backend (server/hooks/): sent in id
        -- order per lane (a conversation), deleted once delivered.
        CREATE TABLE hook_outbox (
            id INTEGER PRIMARY KEY,
            lane TEXT NOT NULL,
            kind TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        -- Where a user's offline pushes go: an Apprise URL (/user/push/url/set).
        CREATE TABLE push_urls (
            user_id TEXT PRIMARY KEY,
            url TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        17,
        "the Server API's broadcasts, counted across restarts",
        """
        -- When each /message/broadcast was let through (at most 2 an hour, 3 a day): read
        -- back when the API starts, so a restart does not reset the count.
        CREATE TABLE api_broadcasts (sent_at INTEGER NOT NULL);
        """,
    ),
    Migration(18, "reserved", ""),
    Migration(
        19,
        "chatroom cloud history and the chatrooms' settings",
        """
        -- A chatroom message kept as cloud history (when the server keeps it): numbered
        -- by the room's own seq; pruned by age. Members online got it as it happened;
        -- nobody receives it later but by pulling.
        CREATE TABLE chatroom_messages (
            room TEXT NOT NULL,
            seq INTEGER NOT NULL,
            uid TEXT NOT NULL,
            sender TEXT NOT NULL,
            object_name TEXT NOT NULL,
            content TEXT NOT NULL,
            cmid TEXT NOT NULL,
            sent_at INTEGER NOT NULL,
            PRIMARY KEY (room, seq)
        ) WITHOUT ROWID;
        CREATE INDEX chatroom_messages_sent ON chatroom_messages(sent_at);
        -- What the app set up for its chatrooms (rooms, keep-alive, whitelists, low
        -- priority, mutes and bans with their ends), one JSON document, rewritten when
        -- it changes, read back at start. Members are not kept: they are online only.
        CREATE TABLE chatroom_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            body TEXT NOT NULL
        );
        """,
    ),
    Migration(
        20,
        "ultra groups: groups, channels, members, voices, counted messages, edits",
        """
        -- An ultra group: no member limit; `member_count` is kept, never counted.
        CREATE TABLE ultra_groups (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            owner TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            default_level TEXT NOT NULL DEFAULT 'all',
            pre_join_history INTEGER NOT NULL DEFAULT 0,
            all_muted INTEGER NOT NULL DEFAULT 0,
            member_count INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        -- Its channels ('' the default one). Messages live in the conversation `conv_key`
        -- (type 10), made anew for each incarnation of a channel id. `floor_at`: the
        -- owner deleted everything before it for everyone.
        CREATE TABLE ultra_channels (
            group_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            name TEXT NOT NULL,
            conv_key TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL,
            floor_at INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (group_id, channel)
        ) WITHOUT ROWID;
        -- A member: one row per (group, user), nothing per message. `level`, `dnd` and
        -- `cleared_at` are the member's own settings for the whole group; `join_seqs`
        -- each channel's max seq when they joined ({conv_key: seq}; bounded by channels).
        CREATE TABLE ultra_members (
            group_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            joined_at INTEGER NOT NULL,
            level TEXT NOT NULL DEFAULT 'default',
            dnd INTEGER NOT NULL DEFAULT 0,
            cleared_at INTEGER NOT NULL DEFAULT 0,
            join_seqs TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (group_id, user_id)
        ) WITHOUT ROWID;
        CREATE INDEX ultra_members_user ON ultra_members(user_id);
        -- A member's own view of one channel, only once they read it or set something.
        CREATE TABLE ultra_member_channels (
            group_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            read_seq INTEGER NOT NULL DEFAULT 0,
            level TEXT NOT NULL DEFAULT 'default',
            dnd INTEGER NOT NULL DEFAULT 0,
            cleared_at INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (group_id, user_id, channel)
        ) WITHOUT ROWID;
        -- Who is muted ('muted') and who may speak while all are ('speaker').
        CREATE TABLE ultra_voices (
            group_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            PRIMARY KEY (group_id, kind, user_id)
        ) WITHOUT ROWID;
        -- The counted messages of ultra channels (read diffusion): a member's unread
        -- and mention counts are a range of this index after their read position.
        -- `mentioned` is ',a,b,' (the ids an @ names); `mention_all` an @all.
        CREATE TABLE ultra_counted (
            conv_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            sender TEXT NOT NULL,
            mention_all INTEGER NOT NULL,
            mentioned TEXT NOT NULL,
            PRIMARY KEY (conv_id, seq)
        ) WITHOUT ROWID;
        -- The newest edit of a message: when, and the seq of its edit event.
        CREATE TABLE ultra_edits (
            conv_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            edited_at INTEGER NOT NULL,
            edit_seq INTEGER NOT NULL,
            PRIMARY KEY (conv_id, seq)
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        21,
        "portraits found by URL: a stored file that is a portrait is readable by all",
        """
        CREATE INDEX user_profiles_portrait ON user_profiles(portrait);
        """,
    ),
    Migration(
        22,
        "customer-service ratings and left messages",
        """
        -- A customer's rating of a session with an agent (1-5 stars and a comment),
        -- once per session.
        CREATE TABLE cs_ratings (
            sid TEXT PRIMARY KEY,
            customer TEXT NOT NULL,
            agent TEXT NOT NULL,
            stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
            comment TEXT NOT NULL,
            rated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        -- A message a customer left when no agent was online: read by the agents.
        CREATE TABLE cs_left_messages (
            id INTEGER PRIMARY KEY,
            customer TEXT NOT NULL,
            body TEXT NOT NULL,
            left_at INTEGER NOT NULL
        );
        """,
    ),
    Migration(
        23,
        "public service accounts; their followers are members of their conversation",
        """
        -- An account of this app (type 7) or of the public service platform (8). Its
        -- articles are stored once in conversation '<type>:<id>', whose members are its
        -- followers (read diffusion: no row per follower and article).
        CREATE TABLE public_accounts (
            type INTEGER NOT NULL,
            id TEXT NOT NULL,
            name TEXT NOT NULL,
            portrait TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT '',
            menu TEXT NOT NULL DEFAULT '[]',
            accepts_text INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (type, id)
        ) WITHOUT ROWID;
        """,
    ),
)
