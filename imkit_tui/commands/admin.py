"""`imkit admin PATH [NAME=VALUE ...]`: call the Server API of a running server, signed
with its app key and secret, and print the answer (tokens, users, groups, messages)."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from imkit_tui.commands.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CommandError
from imkit_tui.paths import Paths
from imkit_tui.protocol.clock import now_ms

DEFAULT_API = "http://127.0.0.1:8766"
"""The API of `imkit serve` with its default ports."""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `imkit admin`."""
    parser = subparsers.add_parser(
        "admin",
        description="Call the Server API: PATH is a path of RongCloud's v1 Server API "
        "(/user/getToken, /message/private/publish, /group/create, ...; `.json` may be "
        "left out), each NAME=VALUE a parameter (repeat NAME for a list, e.g. "
        "userId=alice userId=bob). Prints the JSON answer; exits 0 when its code is 200, "
        "1 otherwise. The request is signed with the app key and secret of --data DIR "
        "(default: the data folder's server/), or of --app-key/--app-secret "
        "($IMKIT_APP_KEY/$IMKIT_APP_SECRET).",
        epilog="Example: imkit admin /user/getToken userId=alice name=Alice",
    )
    parser.add_argument("path", metavar="PATH", help="the API path, e.g. /user/getToken")
    parser.add_argument("params", nargs="*", metavar="NAME=VALUE", help="the parameters")
    add_api_options(parser)
    parser.add_argument(
        "--json-body",
        action="store_true",
        help="send the parameters as a JSON object (for /user/tag/set and the like): a "
        "NAME given twice, or written NAME[]=VALUE, is an array",
    )
    parser.set_defaults(run=run)


def add_api_options(parser: argparse.ArgumentParser) -> None:
    """The options of a command that calls the Server API: where, and its credentials."""
    parser.add_argument(
        "--api", metavar="URL", default=DEFAULT_API, help=f"(default {DEFAULT_API})"
    )
    parser.add_argument("--data", metavar="DIR", help="the server's data dir, for its credentials")
    parser.add_argument("--app-key", metavar="KEY", help="the app key (instead of --data)")
    parser.add_argument("--app-secret", metavar="SECRET", help="the app secret (with --app-key)")


def run(args: argparse.Namespace) -> int:
    """Sign, send, print."""
    pairs = [_pair(text) for text in args.params]
    answer = call_api(args, args.path, pairs, json_body=args.json_body)
    print(json.dumps(answer, ensure_ascii=False, indent=2), flush=True)
    if answer.get("code") != 200:
        print(f"imkit admin: {answer.get('errorMessage', 'refused')}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def call_api(
    args: argparse.Namespace,
    path: str,
    pairs: list[tuple[str, str]],
    *,
    json_body: bool = False,
) -> dict[str, Any]:
    """POST `pairs` to the Server API's `path` (`.json` may be left out), signed with
    the credentials of `args` (see :func:`add_api_options`); the JSON answer. Raises
    CommandError when there are no credentials, the API cannot be reached or answers
    something that is not a JSON object."""
    from imkit_tui.server.api.credentials import KEY_ENV, SECRET_ENV, read_existing
    from imkit_tui.server.api.signing import signed_headers

    key = args.app_key or os.environ.get(KEY_ENV)
    secret = args.app_secret or os.environ.get(SECRET_ENV)
    if not (key and secret):
        data = Path(args.data) if args.data else Paths.resolve(args.home).server_data
        kept = read_existing(data)
        if kept is None:
            raise CommandError(
                f"no app key and secret: give --app-key and --app-secret, or the --data "
                f"dir of a server started once (none in {data})",
                EXIT_USAGE,
            )
        key, secret = kept.app_key, kept.app_secret
    path = "/" + path.strip("/")
    if not path.endswith(".json"):
        path += ".json"
    headers = signed_headers(key, secret, secrets.token_hex(8), now_ms())
    if json_body:
        body = json.dumps(_as_object(pairs)).encode()
        headers["Content-Type"] = "application/json"
    else:
        body = urllib.parse.urlencode(pairs).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(args.api.rstrip("/") + path, body, headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
    except urllib.error.HTTPError as exc:
        text = exc.read().decode(errors="replace")
    except (urllib.error.URLError, OSError) as exc:
        raise CommandError(f"cannot reach the API at {args.api}: {exc}") from None
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise CommandError(f"the API answered something that is not JSON: {text[:200]}")
    return answer


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise CommandError(f"a parameter is NAME=VALUE, not {text!r}", EXIT_USAGE)
    return name, value


def _as_object(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Pairs as a JSON object: a name given more than once, or written `NAME[]`, is an
    array."""
    found: dict[str, list[str]] = {}
    arrays: set[str] = set()
    for name, value in pairs:
        if name.endswith("[]"):
            name = name[:-2]
            arrays.add(name)
        found.setdefault(name, []).append(value)
    return {
        name: values if len(values) > 1 or name in arrays else values[0]
        for name, values in found.items()
    }
