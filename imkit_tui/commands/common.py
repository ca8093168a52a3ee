"""What the client subcommands share: exit codes, opening a client, printing messages."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from imkit_tui import core
from imkit_tui import messages as catalogue
from imkit_tui.config import ConfigError, Settings, check_server_url, load_settings
from imkit_tui.core import Message
from imkit_tui.paths import Paths, make_dir
from imkit_tui.protocol import ConversationType, ConvRef, ProtocolError, describe
from imkit_tui.protocol.tokens import read_claims

if TYPE_CHECKING:
    from imkit_tui.core import IMClient

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_TIMEOUT = 4

IN_PROCESS_URL = "ws://in-process"
"""The client's server URL while the server runs in its process and listens on no port."""

TOKEN_ENV = "IMKIT_TOKEN"
"""The environment variable a login token may come from (after --token and --token-file)."""


class Subparsers(Protocol):
    """What `add_subparsers()` returns, as a command module uses it: it adds parsers."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        """Add the parser of the command `name` (keywords as `ArgumentParser`'s)."""
        ...


class CommandError(Exception):
    """A failure to report to the user as one line, with the exit code to use."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def add_client_options(parser: argparse.ArgumentParser) -> None:
    """The options every client subcommand takes."""
    parser.add_argument(
        "--server",
        metavar="URL",
        help="the server, e.g. ws://127.0.0.1:8765, or several nodes of it, ws://a,ws://b "
        "(default: server in the config file)",
    )
    parser.add_argument(
        "--token",
        help=f"your login token (see `imkit token`; default: the --token-file, then "
        f"${TOKEN_ENV}, then token in the config file)",
    )
    parser.add_argument(
        "--token-file",
        metavar="PATH",
        help="read your login token from the file PATH, so it is not on the command line",
    )


def given_token(
    token: str | None, token_file: str | None, environ: Mapping[str, str] = os.environ
) -> str | None:
    """The login token given outside the config file: `token` (--token), else the one in
    `token_file` (--token-file), else $IMKIT_TOKEN; None when there is none. A token file
    that cannot be read, or that does not hold one token, is bad usage."""
    if token is not None:
        return token
    if token_file is not None:
        return read_token_file(Path(token_file))
    return environ.get(TOKEN_ENV) or None


def read_token_file(path: Path) -> str:
    """The token in the file at `path` (surrounding blank space and lines ignored)."""
    try:
        words = path.read_text(encoding="utf-8").split()
    except UnicodeDecodeError:
        raise CommandError(f"the token file {path} is not text", EXIT_USAGE) from None
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise CommandError(f"cannot read the token file {path}: {reason}", EXIT_USAGE) from None
    if len(words) != 1:
        raise CommandError(
            f"the token file {path} should hold one token, not {len(words)} words", EXIT_USAGE
        )
    return words[0]


def client_settings(args: argparse.Namespace, config_file: Path) -> Settings:
    """The settings of `config_file` with the --server and --token flags over them.

    Warns about what the file had that was ignored; a server missing from both, or one
    that is not a websocket URL, is bad usage.
    """
    try:
        token = given_token(args.token, args.token_file)
        settings = load_settings(config_file).with_overrides(server=args.server, token=token)
        if settings.server is not None:
            check_server_url(settings.server)
    except ConfigError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None
    for line in settings.warnings:
        warn(line)
    if settings.server is None:
        raise CommandError(
            f"no server: give --server URL, or set server in {config_file}", EXIT_USAGE
        )
    return settings


def unreachable(client: IMClient) -> str:
    """Why `client` has not connected, as a phrase to put before the rest of an error
    ("cannot reach ws://…: connection refused; "), or "" when it is not known."""
    reason = client.connection_error
    return f"{reason}; " if reason else ""


@contextlib.asynccontextmanager
async def synced_client(
    client: IMClient, *, timeout: float, offline: bool = False
) -> AsyncIterator[IMClient]:
    """Start `client` and wait for its first sync (or, `offline`, only open its store);
    close it afterwards. A refused login or no server in time ends the command."""
    if offline:
        await client.open()
    else:
        await client.start()
    try:
        if not offline:
            try:
                await client.wait_synced(timeout=timeout)
            except core.LoginRefused as refused:
                raise CommandError(f"login refused: {refused}", EXIT_REFUSED) from None
            except TimeoutError:
                raise CommandError(
                    f"{unreachable(client)}not connected in {timeout:g} s", EXIT_TIMEOUT
                ) from None
        yield client
    finally:
        await client.close()


def make_client(args: argparse.Namespace, device: str) -> IMClient:
    """A client for the server and token of `args` (or of the config file), with its
    store under the home."""
    paths = Paths.resolve(args.home)
    settings = client_settings(args, paths.config_file)
    server, token = settings.server, settings.token
    assert server is not None
    if token is None:
        raise CommandError(
            f"no token: give --token TOKEN or --token-file PATH, set ${TOKEN_ENV}, or set "
            f"token in {paths.config_file}",
            EXIT_USAGE,
        )
    try:
        user_id = read_claims(token).user_id
    except ProtocolError as exc:
        raise CommandError(f"the token is not valid: {exc.message}", EXIT_REFUSED) from None
    store_path = paths.account_store(server, user_id)
    make_dir(store_path.parent)
    return core.IMClient(server_url=server, token=token, store_path=store_path, device=device)


def add_ultra_options(
    which: argparse._MutuallyExclusiveGroup, parser: argparse.ArgumentParser
) -> None:
    """`--ultra GROUP` among the conversation choices `which`, and `--channel CHANNEL`."""
    which.add_argument("--ultra", metavar="GROUP", help="a channel of ultra group GROUP")
    parser.add_argument(
        "--channel",
        default="",
        metavar="CHANNEL",
        help="with --ultra: the channel (default: the group's default channel)",
    )


def conversation_of(args: argparse.Namespace) -> ConvRef:
    """The conversation named by --with USER (`args.peer`) or --to USER, --group GROUP,
    or --ultra GROUP with --channel CHANNEL (default: the default channel)."""
    ultra = getattr(args, "ultra", None)
    if ultra:
        return ConvRef(type=ConversationType.ULTRA_GROUP, target=ultra, channel=args.channel or "")
    peer = getattr(args, "peer", None) or getattr(args, "to", None)
    return ConvRef.private(peer) if peer else ConvRef.group(args.group)


def message_json(message: Message) -> dict[str, Any]:
    """The JSON object printed for a message by `--json`."""
    return {
        "uid": message.uid,
        "seq": message.seq,
        "cmid": message.cmid,
        "sender": message.sender,
        "conversation": {
            "type": message.conv.type,
            "target": message.conv.target,
            "channel": message.conv.channel,
        },
        "type": message.object_name,
        "content": message.content,
        "sent_at": message.sent_at,
        "status": message.status.name.lower(),
        **({"edited_at": message.edited_at} if message.edited_at else {}),
    }


def message_line(message: Message) -> str:
    """One readable line for a message: time, sender, summary."""
    when = dt.datetime.fromtimestamp(message.sent_at / 1000).strftime("%Y-%m-%d %H:%M:%S")
    summary = catalogue.summarize(message.object_name, message.content)
    mark = "" if message.seq is not None else f"  ({message.status.name.lower()})"
    if message.edited_at:
        mark += "  (edited)"
    return f"{when}  {message.sender}: {summary}{mark}"


def print_message(message: Message, as_json: bool) -> None:
    """Print a message as JSON or as a line, flushing so pipes see it at once."""
    if as_json:
        print(json.dumps(message_json(message), ensure_ascii=False), flush=True)
    else:
        print(message_line(message), flush=True)


MAX_USER_ID = 64
"""The longest user id the service takes."""


def checked_user_ids(users: list[str]) -> list[str]:
    """`users`, each a user id (1 to MAX_USER_ID characters); CommandError (usage) for
    the first that is not."""
    for user in users:
        if not 1 <= len(user) <= MAX_USER_ID:
            raise CommandError(
                f"not a user id (1 to {MAX_USER_ID} characters): {user!r}", EXIT_USAGE
            )
    return users


def request_failed(error: Exception) -> int:
    """Say why a request to the server got no answer (refused, or the connection
    dropped first) and return the exit code for it (1, or 4)."""
    if isinstance(error, core.RequestFailed):
        fail(f"refused: {describe(error.code)} ({error.code}): {error.message}")
        return EXIT_FAILED
    fail("the connection dropped before the server answered")
    return EXIT_TIMEOUT


def fail(message: str) -> None:
    """Print an error line on stderr."""
    print(f"imkit: {message}", file=sys.stderr, flush=True)


def warn(message: str) -> None:
    """Print a warning line on stderr."""
    print(f"imkit: warning: {message}", file=sys.stderr, flush=True)
