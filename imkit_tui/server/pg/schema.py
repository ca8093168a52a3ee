"""The PostgreSQL store's schema, as numbered migrations (as server/schema.py for SQLite).

Migration 1 is the SQLite schema as of its migration 17, in PostgreSQL's words, with
what several nodes need besides: the change counter as a row (`counters`), an id on
each targeted row (so a node reads only the audiences stored since it last looked) and
a time index on messages (where SQLite searches along seq, floors.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import asyncpg

from imkit_tui.server.unusable import ServiceUnusable


@dataclass(frozen=True, slots=True)
class PgMigration:
    """One numbered step of the schema."""

    version: int
    description: str
    sql: str


def _bytewise(sql: str) -> str:
    """`sql` with every TEXT column compared byte by byte, as SQLite compares (ids sort
    and range the same whatever the database's locale)."""
    return re.sub(r"\bTEXT\b", 'TEXT COLLATE "C"', sql)


MIGRATIONS: tuple[PgMigration, ...] = (
    PgMigration(
        1,
        "the store as SQLite has it after its migration 17, and the change counter",
        _bytewise("""
        CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
        INSERT INTO counters(name, value) VALUES ('change', 0);
        CREATE TABLE users (id TEXT PRIMARY KEY, created_at BIGINT NOT NULL);
        CREATE TABLE conversations (
            id BIGSERIAL PRIMARY KEY,
            type INTEGER NOT NULL,
            key TEXT NOT NULL UNIQUE,
            max_seq BIGINT NOT NULL DEFAULT 0,
            change_id BIGINT NOT NULL DEFAULT 0,
            last_at BIGINT NOT NULL DEFAULT 0
        );
        CREATE INDEX conversations_change ON conversations(change_id);
        CREATE TABLE members (
            user_id TEXT NOT NULL,
            conv_id BIGINT NOT NULL REFERENCES conversations(id),
            target TEXT NOT NULL,
            joined_at BIGINT NOT NULL,
            read_seq BIGINT NOT NULL DEFAULT 0,
            muted INTEGER NOT NULL DEFAULT 0,
            pinned INTEGER NOT NULL DEFAULT 0,
            marked_unread INTEGER NOT NULL DEFAULT 0,
            state_change BIGINT NOT NULL DEFAULT 0,
            cleared_seq BIGINT NOT NULL DEFAULT 0,
            left_seq BIGINT,
            PRIMARY KEY (user_id, conv_id)
        );
        CREATE INDEX members_conv ON members(conv_id);
        CREATE TABLE messages (
            conv_id BIGINT NOT NULL REFERENCES conversations(id),
            seq BIGINT NOT NULL,
            uid TEXT NOT NULL,
            sender TEXT NOT NULL,
            cmid TEXT NOT NULL,
            object_name TEXT NOT NULL,
            content TEXT NOT NULL,
            sent_at BIGINT NOT NULL,
            PRIMARY KEY (conv_id, seq)
        );
        CREATE UNIQUE INDEX messages_uid ON messages(uid);
        CREATE UNIQUE INDEX messages_client_id ON messages(cmid, sender);
        CREATE INDEX messages_time ON messages(conv_id, sent_at, seq);
        CREATE TABLE groups (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            owner TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            all_muted INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE deleted (
            user_id TEXT NOT NULL,
            conv_id BIGINT NOT NULL,
            seq BIGINT NOT NULL,
            PRIMARY KEY (user_id, conv_id, seq)
        );
        CREATE TABLE privacy_lists (
            user_id TEXT NOT NULL,
            kind INTEGER NOT NULL,
            other TEXT NOT NULL,
            added_at BIGINT NOT NULL,
            PRIMARY KEY (user_id, kind, other)
        );
        CREATE TABLE privacy_modes (
            user_id TEXT PRIMARY KEY,
            whitelist_mode INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE group_voices (
            group_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            PRIMARY KEY (group_id, kind, user_id)
        );
        CREATE TABLE targeted (
            id BIGSERIAL UNIQUE,
            conv_id BIGINT NOT NULL,
            seq BIGINT NOT NULL,
            user_id TEXT NOT NULL,
            PRIMARY KEY (conv_id, seq, user_id)
        );
        CREATE TABLE receipt_requests (
            conv_id BIGINT NOT NULL,
            seq BIGINT NOT NULL,
            PRIMARY KEY (conv_id, seq)
        );
        CREATE TABLE receipts (
            conv_id BIGINT NOT NULL,
            seq BIGINT NOT NULL,
            reader TEXT NOT NULL,
            read_at BIGINT NOT NULL,
            PRIMARY KEY (conv_id, seq, reader)
        );
        CREATE TABLE file_refs (
            sha256 TEXT NOT NULL,
            conv_id BIGINT NOT NULL,
            seq BIGINT NOT NULL,
            PRIMARY KEY (sha256, conv_id, seq)
        );
        CREATE INDEX file_refs_message ON file_refs(conv_id, seq);
        CREATE TABLE file_grants (
            user_id TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            granted_at BIGINT NOT NULL,
            PRIMARY KEY (user_id, sha256)
        );
        CREATE INDEX file_grants_age ON file_grants(granted_at);
        CREATE TABLE group_invitations (
            group_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            inviter TEXT NOT NULL,
            invited_at BIGINT NOT NULL,
            PRIMARY KEY (group_id, user_id)
        );
        CREATE TABLE token_versions (
            user_id TEXT PRIMARY KEY,
            version BIGINT NOT NULL,
            change BIGINT NOT NULL
        );
        CREATE INDEX token_versions_change ON token_versions(change);
        CREATE TABLE user_profiles (
            user_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            portrait TEXT NOT NULL DEFAULT '',
            updated_at BIGINT NOT NULL
        );
        CREATE TABLE user_blocks (user_id TEXT PRIMARY KEY, ends_at BIGINT NOT NULL);
        CREATE TABLE group_gag_ends (
            group_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            ends_at BIGINT NOT NULL,
            PRIMARY KEY (group_id, user_id)
        );
        CREATE INDEX group_gag_ends_time ON group_gag_ends(ends_at);
        CREATE TABLE user_tags (
            user_id TEXT NOT NULL,
            tag TEXT NOT NULL,
            PRIMARY KEY (user_id, tag)
        );
        CREATE INDEX user_tags_tag ON user_tags(tag);
        CREATE TABLE sensitive_words (word TEXT PRIMARY KEY, replace TEXT);
        CREATE TABLE history_logs_deleted (hour_ms BIGINT PRIMARY KEY);
        CREATE TABLE push_texts (
            uid TEXT PRIMARY KEY,
            content TEXT NOT NULL,
            data TEXT NOT NULL
        );
        CREATE TABLE push_urls (user_id TEXT PRIMARY KEY, url TEXT NOT NULL);
        CREATE TABLE api_broadcasts (sent_at BIGINT NOT NULL);
        """),
    ),
    PgMigration(
        2,
        "chatroom cloud history and settings, portraits found by URL (SQLite's 19 and 21)",
        _bytewise("""
        CREATE TABLE chatroom_messages (
            room TEXT NOT NULL,
            seq BIGINT NOT NULL,
            uid TEXT NOT NULL,
            sender TEXT NOT NULL,
            object_name TEXT NOT NULL,
            content TEXT NOT NULL,
            cmid TEXT NOT NULL,
            sent_at BIGINT NOT NULL,
            PRIMARY KEY (room, seq)
        );
        CREATE INDEX chatroom_messages_sent ON chatroom_messages(sent_at);
        CREATE TABLE chatroom_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            body TEXT NOT NULL
        );
        CREATE INDEX user_profiles_portrait ON user_profiles(portrait);
        """),
    ),
    PgMigration(
        3,
        "customer-service ratings and left messages (SQLite's 22)",
        _bytewise("""
        CREATE TABLE cs_ratings (
            sid TEXT PRIMARY KEY,
            customer TEXT NOT NULL,
            agent TEXT NOT NULL,
            stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
            comment TEXT NOT NULL,
            rated_at BIGINT NOT NULL
        );
        CREATE TABLE cs_left_messages (
            id BIGSERIAL PRIMARY KEY,
            customer TEXT NOT NULL,
            body TEXT NOT NULL,
            left_at BIGINT NOT NULL
        );
        """),
    ),
    PgMigration(
        4,
        "ultra groups: groups, channels, members, voices, counted messages, edits (SQLite's 20)",
        _bytewise("""
        CREATE TABLE ultra_groups (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            owner TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            default_level TEXT NOT NULL DEFAULT 'all',
            pre_join_history BOOLEAN NOT NULL DEFAULT false,
            all_muted BOOLEAN NOT NULL DEFAULT false,
            member_count BIGINT NOT NULL DEFAULT 0,
            -- moves on with every change: a node uses the group it keeps only while
            -- this is the same (pg/ultra.py)
            version BIGINT NOT NULL DEFAULT 0
        );
        CREATE TABLE ultra_channels (
            group_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            name TEXT NOT NULL,
            conv_key TEXT NOT NULL UNIQUE,
            created_at BIGINT NOT NULL,
            floor_at BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY (group_id, channel)
        );
        CREATE TABLE ultra_members (
            group_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            joined_at BIGINT NOT NULL,
            level TEXT NOT NULL DEFAULT 'default',
            dnd BOOLEAN NOT NULL DEFAULT false,
            cleared_at BIGINT NOT NULL DEFAULT 0,
            join_seqs TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (group_id, user_id)
        );
        CREATE INDEX ultra_members_user ON ultra_members(user_id);
        CREATE TABLE ultra_member_channels (
            group_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            read_seq BIGINT NOT NULL DEFAULT 0,
            level TEXT NOT NULL DEFAULT 'default',
            dnd BOOLEAN NOT NULL DEFAULT false,
            cleared_at BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY (group_id, user_id, channel)
        );
        CREATE TABLE ultra_voices (
            group_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            PRIMARY KEY (group_id, kind, user_id)
        );
        CREATE TABLE ultra_counted (
            conv_id BIGINT NOT NULL,
            seq BIGINT NOT NULL,
            sender TEXT NOT NULL,
            mention_all BOOLEAN NOT NULL,
            mentioned TEXT NOT NULL,
            PRIMARY KEY (conv_id, seq)
        );
        CREATE TABLE ultra_edits (
            conv_id BIGINT NOT NULL,
            seq BIGINT NOT NULL,
            edited_at BIGINT NOT NULL,
            edit_seq BIGINT NOT NULL,
            PRIMARY KEY (conv_id, seq)
        );
        """),
    ),
    PgMigration(
        5,
        "public service accounts (SQLite's 23), with the change of their followers;"
        " each user's unfinished uploads and the bytes of their day",
        _bytewise("""
        CREATE TABLE public_accounts (
            type INTEGER NOT NULL,
            id TEXT NOT NULL,
            name TEXT NOT NULL,
            portrait TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT '',
            menu TEXT NOT NULL DEFAULT '[]',
            accepts_text INTEGER NOT NULL DEFAULT 0,
            created_at BIGINT NOT NULL,
            -- the change id of the last follow, unfollow or creation: a node's kept
            -- followers are used only while it is the same (pg/public_accounts.py)
            followers_change BIGINT NOT NULL,
            PRIMARY KEY (type, id)
        );
        -- counted once for every node (pg/uploads.py, server/upload_quota.py)
        CREATE TABLE uploads (
            user_id TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size BIGINT NOT NULL,
            opened_at BIGINT NOT NULL,
            PRIMARY KEY (user_id, sha256)
        );
        CREATE INDEX uploads_age ON uploads(opened_at);
        CREATE TABLE upload_days (
            user_id TEXT PRIMARY KEY,
            started_at BIGINT NOT NULL,
            received BIGINT NOT NULL
        );
        """),
    ),
    PgMigration(
        6,
        "the outgoing queue to the app's backend, shared by the nodes, and who is online where",
        _bytewise("""
        -- A request waiting to reach the app's backend (server/hooks/): written by any
        -- node, sent by the one node holding the sender's lock, in id order per lane,
        -- deleted once delivered. Ids grow in commit order (every write of every node
        -- runs after the one before it: pg/writer.py).
        CREATE TABLE hook_outbox (
            id BIGSERIAL PRIMARY KEY,
            lane TEXT NOT NULL,
            kind TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at BIGINT NOT NULL
        );
        -- The nodes running hooks; each holds an advisory lock on its number while it
        -- lives, so the rows of a node that died are known and swept.
        CREATE TABLE hook_nodes (node INTEGER PRIMARY KEY, started_at BIGINT NOT NULL);
        -- How many devices of a user are connected to a node.
        CREATE TABLE hook_presence (
            user_id TEXT NOT NULL,
            node INTEGER NOT NULL,
            devices INTEGER NOT NULL,
            PRIMARY KEY (user_id, node)
        );
        CREATE INDEX hook_presence_node ON hook_presence(node);
        -- Each user's last reported status, and the mark of a change not reported yet
        -- (due_ms: when; the device and time of the last change; whether it logged out).
        CREATE TABLE hook_status (
            user_id TEXT PRIMARY KEY,
            reported TEXT NOT NULL DEFAULT '1',
            due_ms BIGINT,
            device TEXT NOT NULL DEFAULT '',
            at_ms BIGINT NOT NULL DEFAULT 0,
            logout BOOLEAN NOT NULL DEFAULT false
        );
        CREATE INDEX hook_status_due ON hook_status(due_ms) WHERE due_ms IS NOT NULL;
        """),
    ),
    PgMigration(
        7,
        "logs of acts that keep the chatrooms and the customer-service desk alike on all nodes",
        _bytewise("""
        -- Every act of each log (pg/act_log.py: "chatroom", "desk"), in the order all
        -- nodes apply it.
        CREATE TABLE log_acts (
            id BIGSERIAL PRIMARY KEY,
            log TEXT NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX log_acts_log ON log_acts(log, id);
        -- A log's whole state as of act `op`: where a starting node begins.
        CREATE TABLE log_snapshots (
            log TEXT PRIMARY KEY,
            op BIGINT NOT NULL,
            at BIGINT NOT NULL,
            body TEXT NOT NULL
        );
        -- The live nodes of each log: when each last said so, and the last act it applied.
        CREATE TABLE log_nodes (
            log TEXT NOT NULL,
            node TEXT NOT NULL,
            seen_at BIGINT NOT NULL,
            applied BIGINT NOT NULL,
            PRIMARY KEY (log, node)
        );
        """),
    ),
)

_MIGRATION_LOCK = 0x696D6B6974  # any constant: one node migrates at a time


class SchemaTooOld(ServiceUnusable):
    """The database's schema is behind this version: run `imkit serve --migrate`."""


def schema_name(search_path: str) -> str:
    """The schema the store's tables live in: the first of the connection's search_path."""
    first = search_path.split(",")[0].strip().strip('"')
    if first in ("", "$user"):
        return "public"
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", first):
        raise ValueError(f"unusable schema name {first!r}")
    return first


async def current_version(conn: asyncpg.Connection) -> int:
    """The last migration applied to the store's schema (0: none, or no schema)."""
    schema = schema_name(await conn.fetchval("SHOW search_path"))
    exists = await conn.fetchval(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = $1"
        " AND table_name = 'schema_migrations'",
        schema,
    )
    if exists is None:
        return 0
    return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))


async def migrate(
    conn: asyncpg.Connection, migrations: tuple[PgMigration, ...] = MIGRATIONS
) -> int:
    """Create the schema (the first of search_path) if needed and apply the migrations it
    lacks, each in its own transaction, under a lock so nodes starting together apply
    each once. Returns the version reached."""
    schema = schema_name(await conn.fetchval("SHOW search_path"))
    await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (version INTEGER PRIMARY KEY, description TEXT NOT NULL)"
        )
        done = await current_version(conn)
        for step in migrations:
            if step.version <= done:
                continue
            async with conn.transaction():
                await conn.execute(step.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations(version, description) VALUES ($1, $2)",
                    step.version,
                    step.description,
                )
            done = step.version
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)


async def check_version(conn: asyncpg.Connection) -> None:
    """Raise SchemaTooOld unless every migration is applied."""
    found = await current_version(conn)
    wanted = MIGRATIONS[-1].version
    if found < wanted:
        raise SchemaTooOld(
            f"the PostgreSQL schema is at version {found}, this server needs {wanted}:"
            " run `imkit serve --store … --migrate`"
        )
