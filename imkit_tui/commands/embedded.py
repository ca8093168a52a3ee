"""One embedded server per home, shared by every app started on it.

The app's client is made first (:meth:`EmbeddedHost.prepare`: no server yet), so the
first frame is drawn from the local store; :meth:`EmbeddedHost.connect` then serves or
finds the server and connects. A client in the serving process talks to the server
in-process (a socket pair, no network: it works without loopback too); the server also
listens on 127.0.0.1 for the home's other processes when it can.

The first `imkit` of a home takes an exclusive lock on ``embedded.lock`` in the server's
data dir and holds it for its whole life: it runs the server, writes its URL (and its
process id) to ``embedded.url``, seeds the demo workspace (once per data dir) and runs
echo-bot. Another `imkit` of the same home finds the lock taken, reads the URL and
connects as another device of the user, on the same local store. When the holder goes
(quit, crash, kill), the kernel frees the lock; the others, now disconnected, try it
every :data:`LOOK_EVERY` seconds, and the first to get it serves the same data on the
same port (another one if that is taken), so every client's reconnect finds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from imkit_tui import core
from imkit_tui.commands.common import EXIT_FAILED, EXIT_USAGE, IN_PROCESS_URL, CommandError
from imkit_tui.core import ConnectionState
from imkit_tui.paths import Paths
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.storage.private import open_private, private_dir

if TYPE_CHECKING:
    from imkit_tui.commands.demo import DemoBots
    from imkit_tui.core import IMClient
    from imkit_tui.server import IMServer
    from imkit_tui.server.customer_service.settings import CustomerServiceSettings

EMBEDDED_STORE_KEY = "embedded"
"""The accounts folder of the embedded server's users (whatever port it is on)."""
LOCK_FILE = "embedded.lock"
URL_FILE = "embedded.url"
LOOK_EVERY = 0.5
"""Seconds between looks at the lock (or the URL) while the server is out of reach."""
FIND_TIMEOUT = 30.0
"""How long a new process waits for the holder to write where it serves."""

log = logging.getLogger(__name__)


class HomeLock:
    """An exclusive lock on a file, held until released or until the process ends."""

    def __init__(self, path: Path) -> None:
        """The lock on `path` (created if missing)."""
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """True while this process holds the lock."""
        return self._fd is not None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; never waits."""
        if self._fd is not None:
            return True
        private_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if not _lock(fd):
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        """Let the lock go (closing the file releases it)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def _lock(fd: int) -> bool:
    """Lock `fd` exclusively without waiting; False when another process holds it."""
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def write_url(path: Path, url: str) -> None:
    """Note where the embedded server listens, and which process runs it."""
    partial = path.with_suffix(".tmp")
    with open_private(partial) as handle:
        handle.write(f"{url} {os.getpid()}\n".encode())
    partial.replace(path)


def read_url(path: Path, *, live_only: bool = True) -> str | None:
    """The URL in `path`; with `live_only`, only if the process that wrote it still runs
    (a file left by a holder that is gone is not an answer)."""
    try:
        url, _, pid = path.read_text().strip().partition(" ")
    except OSError:
        return None
    if not url.startswith("ws://"):
        return None
    if live_only and not core.process_running(pid):
        return None
    return url


def _port(url: str | None) -> int:
    """The port of a ws:// URL, 0 for none."""
    if url is None:
        return 0
    with contextlib.suppress(ValueError):
        return int(url.rsplit(":", 1)[1])
    return 0


@dataclass
class _Serving:
    """What the holder runs."""

    server: IMServer
    bot: DemoBots


class EmbeddedHost:
    """The embedded server of a home as one process sees it: served here or elsewhere.

    :meth:`start` returns the user's client, connected to whichever process serves;
    a background task takes the server over when its holder goes.
    """

    def __init__(self, paths: Paths, user_id: str, device: str = "app") -> None:
        """For `user_id` on the home `paths`; `device` names the client's kind."""
        self.paths = paths
        self.user_id = user_id
        self._device = device
        self._lock = HomeLock(paths.server_data / LOCK_FILE)
        self._url_file = paths.server_data / URL_FILE
        self._serving: _Serving | None = None
        self.client: IMClient | None = None
        self._watching: asyncio.Task[None] | None = None

    @property
    def serving(self) -> bool:
        """True when the server runs in this process."""
        return self._serving is not None

    @property
    def store_path(self) -> Path:
        """The user's local store (the same whichever process serves)."""
        return self.paths.account_store(EMBEDDED_STORE_KEY, self.user_id)

    def prepare(self) -> IMClient:
        """The user's client, not started: its store opens without any server (the app
        draws its first frame from it), and it connects once :meth:`connect` ran."""
        if self.client is not None:
            return self.client
        from imkit_tui.server.auth import load_or_create_secret
        from imkit_tui.server.data_dir import database_path
        from imkit_tui.server.token_versions import read_version

        # Under the user's current token version: `imkit token --revoke` may have run.
        store = database_path(self.paths.server_data)
        secret = load_or_create_secret(self.paths.server_data)
        self.client = core.IMClient(
            server_url=read_url(self._url_file) or IN_PROCESS_URL,
            token=issue_token(secret, self.user_id, version=read_version(store, self.user_id)),
            store_path=self.store_path,
            device=self._device,
        )
        return self.client

    async def connect(self) -> None:
        """Serve or find the server (seeding the demo first when this process serves a
        new data dir), then start the client on it and keep it served."""
        client = self.prepare()
        url = await self._serve_or_find()
        self._aim(client, url)
        await client.start()
        self._watching = asyncio.create_task(self._keep_serving(client), name="embedded")

    async def start(self) -> IMClient:
        """:meth:`prepare` and :meth:`connect` in one: the user's client, started."""
        await self.connect()
        return self.prepare()

    def _aim(self, client: IMClient, url: str) -> None:
        """Point `client` at `url`, or, when this process serves, at the server itself."""
        if self._serving is not None:
            client.move_to(url, self._serving.server.connect_in_process)
        elif url != client.server_url:
            client.move_to(url)

    async def stop(self) -> None:
        """Close the client; when serving, stop the bot and the server, then let the
        lock go (another process of the home takes over)."""
        if self._watching is not None:
            self._watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watching
            self._watching = None
        if self.client is not None:
            await self.client.close()
            self.client = None
        serving, self._serving = self._serving, None
        if serving is not None:
            await serving.bot.stop()
            await serving.server.stop()
        self._lock.release()

    async def _serve_or_find(self) -> str:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FIND_TIMEOUT
        while True:
            if self._lock.try_acquire():
                return await self._serve()
            url = read_url(self._url_file)
            if url is not None:
                return url
            if loop.time() > deadline:
                raise CommandError(
                    f"another imkit holds {self._lock.path} but does not say where it "
                    "serves; is it stuck?",
                    EXIT_FAILED,
                )
            await asyncio.sleep(0.05)

    async def _serve(self) -> str:
        """Under the lock: run the server (on the last port if free), note its URL,
        seed the demo once per data dir and start its bots (echo-bot, the lobby's)."""
        # Imported here: a process that only connects never loads the server.
        from imkit_tui.commands.demo import DemoBots, create_demo

        server = await _start_server(
            self.paths.server_data,
            _port(read_url(self._url_file, live_only=False)),
            _customer_service(self.paths),
        )
        try:
            if server.listening:
                write_url(self._url_file, server.url)
            else:
                self._url_file.unlink(missing_ok=True)
            bots_dir = self.paths.data / "demo"
            await create_demo(server, self.user_id, bots_dir)
            bot = DemoBots(server, bots_dir)
            await bot.start()
        except BaseException:
            await server.stop()
            raise
        self._serving = _Serving(server, bot)
        return server.url if server.listening else IN_PROCESS_URL

    async def _keep_serving(self, client: IMClient) -> None:
        """While another process serves: when the server is out of reach, take it over
        if its holder is gone, or follow it to where it now listens."""
        while self._serving is None:
            await asyncio.sleep(LOOK_EVERY)
            if client.state == ConnectionState.CONNECTED:
                continue
            if self._lock.try_acquire():
                try:
                    url = await self._serve()
                except Exception:
                    log.exception("could not take the embedded server over; trying again")
                    self._lock.release()
                    continue
                log.info("took the embedded server over at %s", url)
                self._aim(client, url)
                return
            moved = read_url(self._url_file)
            if moved is not None and moved != client.server_url:
                client.move_to(moved)


def _customer_service(paths: Paths) -> CustomerServiceSettings:
    """The embedded server's customer service: the config file's, else the demo's."""
    from imkit_tui.commands.demo_cs import embedded_customer_service
    from imkit_tui.config import ConfigError, load_settings

    try:
        table = load_settings(paths.config_file).customer_service
        return embedded_customer_service(table, paths.config_file.parent)
    except (ConfigError, ValueError) as exc:
        raise CommandError(f"bad customer_service setting: {exc}", EXIT_USAGE) from None


async def _start_server(data_dir: Path, port: int, desk: CustomerServiceSettings) -> IMServer:
    """The server, listening on 127.0.0.1 `port`, or on a free port when that one is
    taken, or on none when there is no network at all (in-process connections only);
    `desk`: its customer service."""
    from imkit_tui.commands.demo import demo_chatrooms
    from imkit_tui.server import IMServer, ServerConfig

    server = IMServer(
        ServerConfig(
            data_dir=data_dir, port=port, chatrooms=demo_chatrooms(), customer_service=desk
        )
    )
    await server.start(listen=False)
    for each in (port, 0) if port else (0,):
        try:
            await server.listen(each)
        except OSError as exc:
            log.info("cannot listen on port %s: %s", each, exc)
        else:
            return server
    log.warning("no network: the embedded server serves this process only")
    return server
