"""`imkit serve`: run the reference server until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imkit_tui.commands import serve_chatrooms, serve_ultra
from imkit_tui.commands.common import EXIT_OK, EXIT_USAGE, CommandError, Subparsers
from imkit_tui.paths import Paths

if TYPE_CHECKING:
    from imkit_tui.server import ServerConfig
    from imkit_tui.server.api_setup import ApiSetup
    from imkit_tui.server.hooks.settings import HooksConfig
    from imkit_tui.server.public_service.accounts import AccountSpec


def add_parser(subparsers: Subparsers) -> None:
    """Register `imkit serve`."""
    parser = subparsers.add_parser(
        "serve",
        description="Run the reference IM server. Prints 'listening on ws://HOST:PORT' "
        "once it accepts connections, then 'api on http://HOST:PORT' once the Server API "
        "(signed HTTP, as RongCloud's v1 Server API) accepts requests.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8765, help="port to bind; 0 picks a free one (default 8765)"
    )
    parser.add_argument("--data", metavar="DIR", help="where the store and app secret live")
    parser.add_argument(
        "--offline-days",
        type=int,
        default=7,
        help="days messages wait for offline users, 1-7 (default 7)",
    )
    parser.add_argument(
        "--history-days", type=int, default=180, help="days of cloud history kept (default 180)"
    )
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=50.0,
        metavar="N",
        help="messages a second each user may send on average (default 50; burst 2N)",
    )
    parser.add_argument(
        "--max-group-members",
        type=int,
        default=3000,
        metavar="N",
        help="the most members a group may have (default 3000)",
    )
    parser.add_argument(
        "--max-devices",
        type=int,
        default=10,
        metavar="N",
        help="devices one user may have connected at once; a newer one closes the oldest "
        "(default 10; every imkit process is a device)",
    )
    parser.add_argument(
        "--group-history",
        action="store_true",
        help="let those who join a group read the messages sent before they joined",
    )
    cluster = parser.add_argument_group(
        "several nodes",
        "nodes sharing one PostgreSQL store (and a NATS bus) serve the same "
        "users; without these, the store is SQLite in the data dir",
    )
    cluster.add_argument(
        "--store",
        metavar="URL",
        help="keep the store in PostgreSQL at URL (postgresql://USER@HOST:PORT/DB; "
        "?search_path=NAME picks the schema); default: store in the config file, else SQLite",
    )
    cluster.add_argument(
        "--migrate",
        action="store_true",
        help="create or upgrade the PostgreSQL schema first (a server refuses to start on "
        "a schema older than it)",
    )
    cluster.add_argument(
        "--bus",
        metavar="URL",
        help="join the other nodes on this store through NATS at URL (nats://HOST:4222; "
        "?subject=NAME keeps clusters sharing one NATS apart), so a user's devices on any "
        "node get every push; default: bus in the config file, else none",
    )
    api = parser.add_argument_group("Server API")
    api.add_argument("--api-host", metavar="HOST", help="address of the API (default: --host)")
    api.add_argument(
        "--api-port",
        type=int,
        metavar="PORT",
        help="port of the API; 0 picks a free one (default: --port + 1, or 0 with --port 0)",
    )
    api.add_argument("--no-api", action="store_true", help="do not serve the Server API")
    api.add_argument(
        "--api-rate-limit",
        type=float,
        default=1000.0,
        metavar="N",
        help="calls a second each API path allows, in bursts of N (default 1000; past "
        "it, error 1008); 0 for no limit",
    )
    api.add_argument(
        "--broadcasts-per-hour",
        type=int,
        default=2,
        metavar="N",
        help="/message/broadcast calls allowed in any hour (default 2, as the service)",
    )
    api.add_argument(
        "--broadcasts-per-day",
        type=int,
        default=3,
        metavar="N",
        help="/message/broadcast calls allowed in any day (default 3, as the service)",
    )
    api.add_argument(
        "--app-key",
        metavar="KEY",
        help="the app key requests are signed for (default: $IMKIT_APP_KEY, then app_key in "
        "the config file, else the one made in the data dir on first start; `imkit "
        "credentials` prints it)",
    )
    api.add_argument(
        "--app-secret",
        metavar="SECRET",
        help="the app secret that signs requests and login tokens (default: "
        "$IMKIT_APP_SECRET, then app_secret in the config file, else the one in the data "
        "dir); kept in the data dir",
    )
    hooks = parser.add_argument_group(
        "the app's backend",
        "what the server sends it, signed as the service signs callbacks (appKey, nonce, "
        "timestamp, signature); the [hooks] table of the config file has every setting. "
        "With --store, every node writes the outgoing queue and one node at a time sends it",
    )
    hooks.add_argument(
        "--routing-url",
        metavar="URL",
        help="POST every stored message here as the service routes it (form fields)",
    )
    hooks.add_argument(
        "--moderation-url",
        metavar="URL",
        help="the message callback: hold messages from devices for this URL's decision "
        '(JSON {"pass": 1} delivers, {"pass": 0} refuses, replaceContent replaces)',
    )
    hooks.add_argument(
        "--status-url", metavar="URL", help="POST users' online/offline/logout here (JSON)"
    )
    hooks.add_argument(
        "--push",
        action="store_true",
        default=None,
        help="send offline pushes to the URLs users set (/user/push/url/set)",
    )
    hooks.add_argument(
        "--push-url",
        metavar="URL",
        help="an Apprise URL (ntfy://, json://, mailto://, ...) for the offline pushes of "
        "users who set none of their own (implies --push)",
    )
    serve_chatrooms.add_arguments(parser)
    parser.add_argument(
        "--public-accounts",
        metavar="FILE",
        help="a TOML file of public service accounts ([[account]] id, name, type 7 or 8, "
        "description, portrait, accepts_text, menu), made or updated at every start",
    )
    serve_ultra.add_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM."""

    from imkit_tui.config import ConfigError, load_settings
    from imkit_tui.server.api.credentials import KEY_ENV, SECRET_ENV
    from imkit_tui.server.api_setup import api_setup
    from imkit_tui.server.hooks.setup import hooks_setup

    paths = Paths.resolve(args.home)
    data = args.data or paths.server_data
    try:
        settings = load_settings(paths.config_file)
    except ConfigError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None
    try:
        config = _config(
            args,
            Path(data),
            args.store or settings.store or "",
            args.bus or settings.bus or "",
            settings.customer_service,
            paths.config_file.parent,
        )
        api = api_setup(
            config,
            enabled=not args.no_api,
            host=args.api_host,
            port=args.api_port,
            app_key=args.app_key or os.environ.get(KEY_ENV) or settings.app_key,
            app_secret=args.app_secret or os.environ.get(SECRET_ENV) or settings.app_secret,
            rate_per_second=args.api_rate_limit or None,
            broadcasts=(args.broadcasts_per_hour, args.broadcasts_per_day),
        )
        hooks = hooks_setup(
            settings.hooks,
            routing_url=args.routing_url,
            status_url=args.status_url,
            moderation_url=args.moderation_url,
            push=args.push,
            push_url=args.push_url,
            chatroom_status_url=args.chatroom_status_url,
        )
    except ValueError as exc:
        raise CommandError(f"bad server setting: {exc}", EXIT_USAGE) from None
    from imkit_tui.server.unusable import ServiceUnusable

    try:
        asyncio.run(_serve(config, api, hooks))
    except ServiceUnusable as exc:
        raise CommandError(str(exc)) from None
    return EXIT_OK


def _config(
    args: argparse.Namespace, data: Path, store: str, bus: str, desk: dict[str, Any], base: Path
) -> ServerConfig:
    from imkit_tui.server import ServerConfig
    from imkit_tui.server.customer_service.settings import settings_from_table

    if args.migrate and not store:
        raise ValueError("--migrate is for a PostgreSQL store (--store postgresql://…)")
    return ServerConfig(
        data_dir=data,
        host=args.host,
        port=args.port,
        offline_days=args.offline_days,
        history_days=args.history_days,
        rate_per_second=args.rate_limit,
        rate_burst=max(1, int(args.rate_limit * 2)),
        max_group_members=args.max_group_members,
        new_members_see_history=args.group_history,
        max_devices_per_user=args.max_devices,
        store_url=store,
        migrate_store=args.migrate,
        bus_url=bus,
        chatrooms=serve_chatrooms.chatroom_settings(args),
        public_accounts=_public_accounts(args.public_accounts),
        ultra=serve_ultra.ultra_policy(args),
        customer_service=settings_from_table(desk, base),
    )


def _public_accounts(path: str | None) -> tuple[AccountSpec, ...]:
    """The accounts of the --public-accounts file (ValueError when it is wrong)."""
    from imkit_tui.server.public_service.config import accounts_from_toml

    if path is None:
        return ()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    return accounts_from_toml(text)


async def _serve(config: ServerConfig, api: ApiSetup | None, hooks: HooksConfig | None) -> None:
    from imkit_tui.server import IMServer
    from imkit_tui.server.hooks.setup import start_hooks

    server = IMServer(config)
    await server.start()
    backend = await start_hooks(server, hooks) if hooks is not None else None
    print(f"listening on {server.url}", flush=True)
    api_server = None
    if api is not None:
        try:
            api_server = await api.start(server)
        except BaseException:
            if backend is not None:
                await backend.stop()
            await server.stop()
            raise
        print(f"api on {api_server.url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        if api_server is not None:
            await api_server.stop()
        if backend is not None:
            await backend.stop()
        await server.stop()
