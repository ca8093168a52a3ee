"""The server's settings, with the service's defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from imkit_tui.protocol import DEFAULT_MAX_CONTENT_BYTES, DEFAULT_MAX_FRAME_BYTES
from imkit_tui.server.budgets import FrameBudgets
from imkit_tui.server.chatrooms.settings import ChatroomSettings
from imkit_tui.server.customer_service.settings import CustomerServiceSettings
from imkit_tui.server.data_dir import database_path
from imkit_tui.server.inbound import InboundPolicy
from imkit_tui.server.public_service.accounts import AccountSpec
from imkit_tui.server.ultra.config import UltraPolicy
from imkit_tui.server.upload_quota import UploadQuota

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Everything the reference server can be told. Defaults follow the service.

    - `offline_days`: how long messages wait for an offline user (1–7, default 7).
    - `history_days`: how long cloud history is kept (default 6 months).
    - `rate_per_second` / `rate_burst`: the per-user send limit (error 20604 past it).
    - `max_frame_bytes`: larger frames are refused with error 30016 (the connection stays).
    - `hard_frame_bytes`: larger frames close the connection (websocket close 1009).
    - `max_upload_bytes`: the largest file a client may upload (default 100 MB).
    - `max_group_members`: the most members a group may have (default 3,000).
    - `recall_seconds`: how old a message may be and still be recalled (0: no limit,
      the default; the app enforces its own window).
    - `receipt_request_seconds`: how soon after sending a group message its sender may
      ask for read receipts (default 2 minutes, as IMKit).
    - `new_members_see_history`: whether those who join a group may fetch the messages
      sent before they joined (default no: they see what comes after).
    - `max_devices_per_user`: how many devices of one user may be connected at once;
      past it the oldest is closed (default 10: every `imkit` process is a device).
    - `revocation_check_seconds`: how often the store is read for revoked tokens,
      whose devices are then closed (`imkit token --revoke`, another process).
    - `budgets`: per user, how fast each kind of frame but sends may come (20604 past
      it; server/budgets.py).
    - `upload_quota`: per user, how many uploads may be unfinished at once, how many
      announced bytes they may hold together, and how many bytes a day may be received.
    - `wal_limit_bytes`: the size the store's write-ahead log is kept to under a
      sustained write (past it, writes wait for a checkpoint that lets it start over).
    - `outbound_buffer_bytes`: how much may wait unsent to one device; a device that
      lets more pile up (it stopped reading) is dropped, and syncs when it is back.
    - `store_url`: a postgresql:// URL to keep the store in PostgreSQL, shared by
      several nodes (its `search_path` parameter names the schema); empty: SQLite in
      `data_dir` (the default). `migrate_store`: create or upgrade that schema at start
      (otherwise a schema behind this version refuses to start).
    - `bus_url`: a nats:// URL: pushes reach the devices connected to the other nodes
      on the same store through NATS (server/nats_fanout.py); `?subject=NAME` keeps
      clusters sharing one NATS apart. Needs `store_url`.
    - `ultra`: the limits of ultra groups (server/ultra/config.py): groups a user may
      join (100), channels a group may have (50), days of cloud history (7).
    - `inbound`: what one connection may ask (`server/inbound.py`): frames a second
      (more are read later), requests in flight, and refused frames (not JSON, invalid,
      unknown type, too large) in a burst and a second, past which it is closed (1008).
    - `chatrooms`: how chatrooms run (server/chatrooms/settings.py): the room budget
      and priorities, auto-exit, idle destroy, cloud history, public rooms.
    - `public_accounts`: public service accounts made (or brought up to date) at start
      (server/public_service/config.py reads them from a file).
    - `customer_service`: the customer-service account, its robot's FAQ and its agents
      (server/customer_service/settings.py; none by default).
    """

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8765
    offline_days: int = 7
    history_days: int = 180
    rate_per_second: float = 50.0
    rate_burst: int = 100
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES
    max_content_bytes: int = DEFAULT_MAX_CONTENT_BYTES
    hard_frame_bytes: int = 4 * 1024 * 1024
    heartbeat_seconds: float = 20.0
    handshake_timeout: float = 10.0
    outbound_buffer_bytes: int = 16 * 1024 * 1024
    wal_limit_bytes: int = 64 * 1024 * 1024
    retention_interval_seconds: float = 3600.0
    gag_sweep_seconds: float = 1.0
    max_upload_bytes: int = 100 * 1024 * 1024
    recall_seconds: int = 0
    max_group_members: int = 3000
    receipt_request_seconds: int = 120
    new_members_see_history: bool = False
    max_devices_per_user: int = 10
    revocation_check_seconds: float = 1.0
    upload_quota: UploadQuota = field(default_factory=UploadQuota)
    budgets: FrameBudgets = field(default_factory=FrameBudgets)
    inbound: InboundPolicy = field(default_factory=InboundPolicy)
    store_url: str = ""
    migrate_store: bool = False
    bus_url: str = ""
    chatrooms: ChatroomSettings = field(default_factory=ChatroomSettings)
    public_accounts: tuple[AccountSpec, ...] = ()
    ultra: UltraPolicy = field(default_factory=UltraPolicy)
    customer_service: CustomerServiceSettings = field(default_factory=CustomerServiceSettings)

    def __post_init__(self) -> None:
        if not 1 <= self.offline_days <= 7:
            raise ValueError("offline_days must be between 1 and 7")
        if self.history_days < self.offline_days:
            raise ValueError("history_days must be at least offline_days")
        if self.rate_per_second <= 0 or self.rate_burst < 1:
            raise ValueError("the send rate limit must be positive")
        if self.max_content_bytes > self.max_frame_bytes:
            raise ValueError("max_content_bytes cannot exceed max_frame_bytes")
        if self.max_frame_bytes > self.hard_frame_bytes:
            raise ValueError("max_frame_bytes cannot exceed hard_frame_bytes")
        if self.max_upload_bytes < 1:
            raise ValueError("max_upload_bytes must be positive")
        if self.max_group_members < 2:
            raise ValueError("max_group_members must be at least 2")
        if self.max_devices_per_user < 1:
            raise ValueError("max_devices_per_user must be at least 1")
        if self.outbound_buffer_bytes < 1 or self.wal_limit_bytes < 1:
            raise ValueError("outbound_buffer_bytes and wal_limit_bytes must be positive")
        if self.store_url and not self.store_url.startswith(("postgresql://", "postgres://")):
            raise ValueError("store must be a postgresql:// URL")
        if self.bus_url and not self.store_url:
            raise ValueError("a bus joins nodes sharing a PostgreSQL store: give store_url too")
        if self.revocation_check_seconds <= 0:
            raise ValueError("revocation_check_seconds must be positive")

    @property
    def database_path(self) -> Path:
        """Where the server's SQLite store lives."""
        return database_path(self.data_dir)

    @property
    def media_dir(self) -> Path:
        """Where uploaded files are kept."""
        return self.data_dir / "media"

    @property
    def offline_ms(self) -> int:
        """Offline retention in milliseconds."""
        return self.offline_days * DAY_MS

    @property
    def history_ms(self) -> int:
        """Cloud history retention in milliseconds."""
        return self.history_days * DAY_MS
