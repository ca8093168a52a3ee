"""The store as the handlers see it: one interface per table, and the store holding
them. :class:`~imkit_tui.server.store.ServerStore` (SQLite) implements it; another
backend (PostgreSQL) would implement the same calls, and the handlers would not change.
Nothing here names a connection, a cursor or SQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from imkit_tui.protocol import ConversationState, ConvRef, MessageRecord
from imkit_tui.protocol.public_frames import MenuItem, PublicAccount
from imkit_tui.server.group_store import GroupRecord, Voices
from imkit_tui.server.privacy_store import PrivacyChange, PrivacyRules, PrivacyUpdate
from imkit_tui.server.public_service.accounts import AccountSpec
from imkit_tui.server.receipt_store import StoredRef
from imkit_tui.server.seq_views import SeqView, TargetedMessages
from imkit_tui.server.store_records import Member, NewMessage, Page, StoredMessage
from imkit_tui.server.ultra.interface import UltraRecords

Done = Callable[[Any, BaseException | None], None]
"""Called after a commit with (result, None), or (None, error) when it failed."""


class Audiences(Protocol):
    """Who may see each targeted message, and so how each member numbers a conversation."""

    def targeted(self, conv_key: str) -> TargetedMessages | None:
        """The targeted messages of a conversation; None when it has none."""
        ...

    def seq_view(self, conv_key: str, user_id: str) -> SeqView:
        """How `user_id` numbers the conversation `conv_key`."""
        ...

    def audience(self, conv_key: str, seq: int) -> frozenset[str] | None:
        """Who may see the message at `seq`; None when it is for every member."""
        ...


class Members(Protocol):
    """Each member's own view of a conversation: read position, settings, deletions,
    cleared history."""

    async def changed_conversations(
        self, user_id: str, since: int, limit: int
    ) -> tuple[list[ConversationState], int, bool]:
        """The user's conversations changed after cursor `since`, oldest change first."""
        ...

    async def conversation_state(self, user_id: str, conv_id: int) -> ConversationState | None:
        """How `user_id` sees a conversation now (None when not a member)."""
        ...

    async def mark_read(self, user_id: str, conv_id: int, seq: int) -> list[str]:
        """Move `user_id`'s read position forward to `seq` (at most the last message)."""
        ...

    async def update_settings(
        self,
        user_id: str,
        conv_id: int,
        *,
        muted: bool | None,
        pinned: bool | None,
        marked_unread: bool | None,
    ) -> bool:
        """Change the user's settings of a conversation; False when nothing changed."""
        ...

    async def delete_for(self, user_id: str, conv_id: int, seqs: Sequence[int]) -> bool:
        """Hide messages from `user_id` only; False when nothing new was hidden."""
        ...

    async def clear_for(self, user_id: str, conv_id: int, seq: int) -> bool:
        """Clear `user_id`'s history up to `seq` (at most the last message); it counts as
        read. False when the mark did not move."""
        ...


class Groups(Protocol):
    """Group membership, names, invitations and who may speak."""

    async def members(self, group_id: str) -> list[str] | None:
        """The members of a group (None when there is no such group); cached."""
        ...

    async def get(self, group_id: str) -> GroupRecord | None:
        """The group as it is now, or None when there is no such group."""
        ...

    async def add_invitations(
        self, group_id: str, user_ids: Sequence[str], inviter: str, now_ms: int
    ) -> list[str]:
        """Note that `inviter` invited these users (they join when they accept); returns
        those not invited to this group already (asking again says nothing new)."""
        ...

    async def take_invitation(self, group_id: str, user_id: str) -> str | None:
        """Use up `user_id`'s invitation to the group; who invited them, or None."""
        ...

    async def left_at(self, group_id: str, user_id: str) -> int | None:
        """The seq at which `user_id` left the group (None: a member, or never one)."""
        ...

    async def voices(self, group_id: str) -> Voices | None:
        """Who may speak in a group (cached; None when there is no such group)."""
        ...

    async def set_voices(self, group_id: str, kind: str, user_ids: Sequence[str], on: bool) -> None:
        """Mute or unmute members (kind "muted"), or make them speakers while all are
        muted, or not (kind "speaker")."""
        ...

    async def set_all_muted(self, group_id: str, on: bool) -> None:
        """Mute everyone but the owner and the speakers, or lift that."""
        ...

    async def add_members(
        self,
        group_id: str,
        user_ids: Sequence[str],
        now_ms: int,
        *,
        with_history: bool = False,
        limit: int | None = None,
    ) -> list[str]:
        """Add users to a group; returns those who were not members yet. Each starts
        with the history before now read, and hidden unless `with_history`."""
        ...

    async def remove_members(self, group_id: str, user_ids: Sequence[str]) -> list[str]:
        """Take users out of a group; returns those who were members."""
        ...

    async def rename(self, group_id: str, name: str) -> None:
        """Give a group a new name."""
        ...


class Privacy(Protocol):
    """Who may message each user: block lists, whitelists, whitelist mode."""

    def cached(self, user_id: str) -> PrivacyRules | None:
        """The rules of `user_id` if they are in memory (no I/O: the send path's check)."""
        ...

    async def rules(self, user_id: str) -> PrivacyRules:
        """The rules of `user_id`: from memory, else read once and kept."""
        ...

    async def update(self, user_id: str, change: PrivacyChange, now_ms: int) -> PrivacyUpdate:
        """Apply `change` to the rules of `user_id` in one transaction."""
        ...


class Receipts(Protocol):
    """Group read receipts: which messages they were asked for, and who read."""

    async def find_messages(self, conv_id: int, uids: Sequence[str]) -> list[StoredRef]:
        """The messages of a conversation with these server ids (unknown ones left out)."""
        ...

    async def request(self, conv_id: int, seq: int) -> None:
        """Note that the sender of the message at `seq` asked for read receipts."""
        ...

    async def requested(self, conv_id: int, seq: int) -> bool:
        """Whether receipts were asked for the message at `seq`."""
        ...

    async def record_reads(
        self, conv_id: int, reader: str, seqs: Sequence[int], now_ms: int
    ) -> list[int]:
        """Record that `reader` read these messages; return the seqs newly recorded (only
        messages receipts were asked for count)."""
        ...

    async def readers(
        self, conv_id: int, conv_key: str, messages: Sequence[StoredRef]
    ) -> dict[str, tuple[list[str], list[str]]]:
        """For each message receipts were asked for (by uid): who read it and who has
        not yet, among the members who can see it (in the group when it was sent, in its
        audience when targeted, the sender left out)."""
        ...


class Files(Protocol):
    """Who may read which stored file."""

    async def grant_upload(self, user_id: str, sha256: str, now_ms: int) -> None:
        """`user_id` holds the bytes of `sha256` (uploaded, or proved by uploading)."""
        ...

    async def may_read(self, user_id: str, sha256: str, now_ms: int) -> bool:
        """Whether `user_id` may download (or send a message naming) `sha256`."""
        ...

    async def unreferenced(self, candidates: Iterable[str], now_ms: int) -> list[str]:
        """Those of `candidates` that no message names and no uploader still holds."""
        ...


class Words(Protocol):
    """The app's sensitive words, applied to every send."""

    @property
    def active(self) -> bool:
        """False once the words are known to be none: sends need no screening then."""
        ...

    async def screened(self, content: dict[str, Any], request_id: int = 0) -> dict[str, Any]:
        """`content` with its text's words replaced; ProtocolError 21501 when a refusing
        word is in it (nothing is stored or delivered)."""
        ...


class ChatroomHistory(Protocol):
    """Chatroom cloud history (server/chatrooms/history_store.py)."""

    async def append(self, room: str, record: MessageRecord) -> None:
        """Keep `record`, a message of `room`."""
        ...

    async def remove(self, room: str, seq: int) -> None:
        """Forget message `seq` of `room`."""
        ...

    async def last_seq(self, room: str) -> int:
        """The highest seq kept for `room` (0: none)."""
        ...

    async def find(self, room: str, uid: str, not_before_ms: int) -> MessageRecord | None:
        """The kept message `uid` of `room`, sent at `not_before_ms` or later."""
        ...

    async def page(
        self,
        room: str,
        *,
        after_seq: int,
        before_seq: int,
        limit: int,
        periods: Sequence[tuple[int, int]] | None,
    ) -> list[MessageRecord]:
        """A page of `room`'s kept messages."""
        ...

    async def prune(self, older_than_ms: int) -> int:
        """Forget messages sent before `older_than_ms`; how many went."""
        ...


class ChatroomState(Protocol):
    """The chatrooms' settings (server/chatrooms/state_store.py)."""

    async def save(self, body: dict[str, Any]) -> None:
        """Keep `body` as the chatrooms' settings."""
        ...

    async def load(self) -> dict[str, Any]:
        """The chatrooms' settings last kept ({} when none)."""
        ...


class CustomerService(Protocol):
    """Customer-service records (server/customer_service/records.py)."""

    async def seat(self, customer: str, agent: str, now_ms: int) -> None:
        """Make `agent` a member of `customer`'s conversation."""
        ...

    async def rate(
        self, sid: str, customer: str, agent: str, stars: int, comment: str, now_ms: int
    ) -> None:
        """Keep the rating of session `sid` (once)."""
        ...

    async def ratings(self, agent: str = "") -> list[tuple[str, str, str, int, str]]:
        """The ratings kept (of `agent`'s sessions when given), oldest first."""
        ...

    async def leave(self, customer: str, fields: dict[str, str], now_ms: int) -> None:
        """Keep a message `customer` left for the agents."""
        ...

    async def left(self) -> list[tuple[str, dict[str, str], int]]:
        """The latest messages customers left, newest first."""
        ...


class PublicService(Protocol):
    """Public service accounts and their followers (server/public_service/accounts.py)."""

    async def save(self, spec: AccountSpec, now_ms: int) -> bool:
        """Create the account, or update it; True when it was created."""
        ...

    async def set_menu(self, account_type: int, account_id: str, menu: list[MenuItem]) -> bool:
        """Replace an account's menu; False when there is no such account."""
        ...

    async def delete(self, account_type: int, account_id: str) -> bool:
        """Remove an account (its followers leave); False when there was none."""
        ...

    async def get(
        self, account_type: int, account_id: str, user_id: str = ""
    ) -> PublicAccount | None:
        """The account (`followed`: whether `user_id` follows it), or None."""
        ...

    async def follows(self, user_id: str, account_type: int, account_id: str) -> bool:
        """Whether `user_id` follows the account now."""
        ...

    async def search(
        self, user_id: str, keyword: str, account_type: int, followed_only: bool, limit: int
    ) -> list[PublicAccount]:
        """Accounts whose id is `keyword` or whose name holds it, by name."""
        ...

    async def follow(self, user_id: str, account_type: int, account_id: str, now_ms: int) -> bool:
        """Make `user_id` a follower; False when they followed already."""
        ...

    async def unfollow(self, user_id: str, account_type: int, account_id: str) -> bool:
        """Stop `user_id` following; False when they did not."""
        ...

    async def followers(
        self, account_type: int, account_id: str, after: str = "", limit: int = 0
    ) -> list[str]:
        """The account's followers by id, those after `after` (`limit` 0: all)."""
        ...

    async def follower_count(self, account_type: int, account_id: str) -> int:
        """How many follow the account now."""
        ...


class Users(Protocol):
    """Users' profiles, as the profile frames use them (server/user_records.py)."""

    async def set_profile(
        self, user_id: str, name: str | None, portrait: str | None, now_ms: int
    ) -> None:
        """Set the name and portrait given (None: unchanged)."""
        ...

    async def profiles(self, user_ids: Sequence[str]) -> dict[str, tuple[str, str, int]]:
        """(name, portrait, updated_at) of each of `user_ids` that has a profile."""
        ...

    async def contacts(self, user_id: str) -> list[str]:
        """Everyone who shares a conversation with `user_id`."""
        ...


class Store(Protocol):
    """The store as handlers use it: messages and conversations, and each concern's
    table as an attribute. ServerStore (SQLite) is one."""

    @property
    def audiences(self) -> Audiences:
        """Targeted messages' audiences."""
        ...

    @property
    def members(self) -> Members:
        """Each member's own view of a conversation."""
        ...

    @property
    def groups(self) -> Groups:
        """Groups."""
        ...

    @property
    def ultra(self) -> UltraRecords:
        """Ultra groups (server/ultra/store.py)."""
        ...

    @property
    def privacy(self) -> Privacy:
        """Who may message whom."""
        ...

    @property
    def receipts(self) -> Receipts:
        """Group read receipts."""
        ...

    @property
    def files(self) -> Files:
        """Who may read which file."""
        ...

    @property
    def words(self) -> Words:
        """The app's sensitive words."""
        ...

    @property
    def users(self) -> Users:
        """Users' profiles."""
        ...

    @property
    def chatrooms(self) -> ChatroomHistory:
        """Chatroom cloud history."""
        ...

    @property
    def chatroom_state(self) -> ChatroomState:
        """The chatrooms' settings, kept across restarts."""
        ...

    @property
    def public(self) -> PublicService:
        """Public service accounts and their followers."""
        ...

    @property
    def customer_service(self) -> CustomerService:
        """Customer-service ratings, left messages and seated agents."""
        ...

    def append(self, message: NewMessage) -> asyncio.Future[StoredMessage]:
        """Store a message with the next seq of its conversation, once per (sender, cmid):
        queued at once, in call order; the future resolves after the commit."""
        ...

    def append_then(self, message: NewMessage, then: Done) -> None:
        """:meth:`append`, calling `then(stored, error)` right after the commit."""
        ...

    async def recall(
        self,
        *,
        conv_type: int,
        conv_key: str,
        members: Sequence[Member],
        sender: str,
        uid: str,
        notice_json: Callable[[str, int], tuple[str, str]],
        now_ms: int,
        max_age_ms: int = 0,
    ) -> StoredMessage:
        """Recall `sender`'s message `uid`: its stored content is replaced by a recall
        notice (nothing of the original is kept) and a recall command (RC:RcCmd) with its
        own seq is appended, in one transaction. Idempotent: a retry returns the command
        appended the first time. `notice_json(original_object_name, original_sent_at)`
        gives the notice's and the command's content. Raises LookupError when the message
        is not `sender`'s in this conversation, TimeoutError past `max_age_ms` (0: no limit)."""
        ...

    async def ensure_conversation(self, conv_type: int, key: str, members: Sequence[Member]) -> int:
        """The id of conversation `key`, created with `members` when it does not exist."""
        ...

    async def create_group(
        self, group_id: str, name: str, owner: str, member_ids: Sequence[str], now_ms: int
    ) -> bool:
        """Create a group with its members (the owner among them); False if it exists."""
        ...

    async def find_by_client_id(
        self, sender: str, cmid: str, conv_key: str = ""
    ) -> StoredMessage | None:
        """The stored message `sender` sent under `cmid`, if any (committed reads only);
        `elsewhere` when it is not in conversation `conv_key` (given)."""
        ...

    async def conversation_id(self, key: str, user_id: str) -> int | None:
        """The id of conversation `key` if `user_id` is a member of it."""
        ...

    async def pull(
        self,
        conv_id: int,
        seen_as: ConvRef,
        *,
        after_seq: int,
        before_seq: int,
        limit: int,
        not_before_ms: int,
        reader: str = "",
        conv_key: str = "",
    ) -> Page:
        """Messages of a conversation by seq range, never older than `not_before_ms`."""
        ...

    async def truncate_wal(self) -> None:
        """Checkpoint and empty the WAL: no older copy of any page stays on disk."""
        ...
