"""`imkit public`: public service accounts from the terminal, through the Server API.

    imkit public create ID NAME [--type 7|8] [--description TEXT] [--portrait URL]
                        [--menu JSON|@FILE] [--accepts-text]
    imkit public update ID [NAME] [--type …] [--description …] [--portrait …]
                        [--menu …] [--accepts-text | --menu-only]
    imkit public delete ID [--type …]        imkit public menu ID JSON|@FILE [--type …]
    imkit public post ID --title TITLE [--digest TEXT] [--url URL] [--picture URL]
                      [--text TEXT|@FILE] [--type …]
    imkit public post ID --object-name NAME --content JSON   (any stored message)
    imkit public followers ID [--type …] [--json]
    imkit public list [KEYWORD] [--json]

A menu is a JSON array of items {"id", "name", "kind": "click"|"view"|"group", "url",
"items"}: at most 3, and 5 in a group's sub-menu. `post` sends an article
(RC:PSImgTxtMsg) to the account's followers and prints how many it reached. Each
command exits 0 when the API answers 200, 1 when it refuses (the reason on stderr), 2
for a bad use. The API is found and signed as `imkit admin` does (--api, --data,
--app-key, --app-secret).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from imkit_tui import messages
from imkit_tui.commands.admin import add_api_options, call_api
from imkit_tui.commands.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CommandError, Subparsers


def add_parser(subparsers: Subparsers) -> None:
    """Register `imkit public` and its actions."""
    parser = subparsers.add_parser(
        "public",
        description="Make public service accounts (type 7: the app's, the default; 8: the "
        "public service platform's), set their menus, post articles to their followers "
        "and list the followers, through the Server API. Users search, follow and open "
        "accounts in the app (palette: Public service accounts…).",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, helptext: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=helptext, description=helptext)
        if name != "list":
            sub.add_argument("account", metavar="ID", help="the account's id")
            sub.add_argument("--type", type=int, choices=(7, 8), default=7, help="(default 7)")
        add_api_options(sub)
        sub.set_defaults(run=run)
        return sub

    for name, helptext in (
        ("create", "make an account"),
        ("update", "change what is given of an account"),
    ):
        sub = action(name, helptext)
        sub.add_argument("name", nargs="?" if name == "update" else None, metavar="NAME")
        sub.add_argument("--description", metavar="TEXT", help="what the account is about")
        sub.add_argument("--portrait", metavar="URL", help="its picture")
        sub.add_argument("--menu", metavar="JSON|@FILE", help="its menu (see `imkit public -h`)")
        sub.add_argument(
            "--accepts-text",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="whether followers may type to it (default: no, menu only)",
        )
    action("delete", "remove an account (its followers keep what they read)")
    menu = action("menu", "set an account's menu")
    menu.add_argument("menu", metavar="JSON|@FILE", help="the menu, or @ and a file holding it")
    post = action("post", "send an article (or any stored message) to the followers")
    post.add_argument("--title", help="the article's title")
    post.add_argument("--digest", default="", help="its summary, shown on the card")
    post.add_argument("--url", default="", help="its link")
    post.add_argument("--picture", default="", help="its picture's URL")
    post.add_argument("--text", default="", metavar="TEXT|@FILE", help="its whole text")
    post.add_argument("--object-name", help="send this message type instead of an article")
    post.add_argument("--content", metavar="JSON", help="the content (with --object-name)")
    followers = action("followers", "list an account's followers")
    followers.add_argument("--json", action="store_true", help="print the API's answer")
    listing = action("list", "list the accounts")
    listing.add_argument("keyword", nargs="?", default="", help="only names holding it")
    listing.add_argument("--json", action="store_true", help="print the API's answer")


def _text(value: str) -> str:
    """A value, or with a leading @ the text of that file."""
    if not value.startswith("@"):
        return value
    try:
        return Path(value[1:]).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot read {value[1:]}: {exc.strerror or exc}", EXIT_USAGE) from None


def _account(args: argparse.Namespace) -> list[tuple[str, str]]:
    return [("type", str(args.type)), ("publicServiceId", args.account)]


def _profile(args: argparse.Namespace) -> list[tuple[str, str]]:
    pairs = [("name", args.name)] if args.name else []
    for name, value in (
        ("introduction", args.description),
        ("portraitUri", args.portrait),
        ("menu", _text(args.menu) if args.menu is not None else None),
    ):
        if value is not None:
            pairs.append((name, value))
    if args.accepts_text is not None:
        pairs.append(("acceptsText", "1" if args.accepts_text else "0"))
    return pairs


def _post(args: argparse.Namespace) -> list[tuple[str, str]]:
    if args.object_name:
        if args.content is None:
            raise CommandError("--object-name needs --content JSON", EXIT_USAGE)
        return [("objectName", args.object_name), ("content", _text(args.content))]
    if not args.title:
        raise CommandError("an article needs --title (or give --object-name)", EXIT_USAGE)
    article = {"title": args.title, "digest": args.digest, "url": args.url}
    if args.picture:
        article["picurl"] = args.picture
    if args.text:
        article["content"] = _text(args.text)
    content = {"articles": [{k: v for k, v in article.items() if v}]}
    return [("objectName", messages.PS_ARTICLE), ("content", json.dumps(content))]


_PATHS = {
    "create": "/publicservice/create",
    "update": "/publicservice/update",
    "delete": "/publicservice/delete",
    "menu": "/publicservice/menu/set",
    "post": "/publicservice/message/publish",
}
"""The API path of each action on one account."""


def _pairs(args: argparse.Namespace) -> list[tuple[str, str]]:
    """The parameters of an action on one account, beside the account's own."""
    if args.action in ("create", "update"):
        return _profile(args)
    if args.action == "menu":
        return [("menu", _text(args.menu))]
    if args.action == "post":
        return _post(args)
    return []


def run(args: argparse.Namespace) -> int:
    """Call the API path of the action; print what it answered."""
    action = args.action
    if action == "list":
        answer = call_api(args, "/publicservice/query", [("keyword", args.keyword)])
    elif action == "followers":
        answer = _all_followers(args)
    else:
        answer = call_api(args, _PATHS[action], [*_account(args), *_pairs(args)])
    if answer.get("code") != 200:
        print(f"imkit public: {answer.get('errorMessage', 'refused')}", file=sys.stderr)
        return EXIT_FAILED
    _print(args, answer)
    return EXIT_OK


def _all_followers(args: argparse.Namespace) -> dict[str, Any]:
    """Every follower, page after page."""
    users: list[str] = []
    while True:
        after = [("after", users[-1])] if users else []
        page = call_api(
            args, "/publicservice/followers/query", [*_account(args), ("count", "1000"), *after]
        )
        if page.get("code") != 200:
            return page
        users.extend(page["users"])
        if len(page["users"]) < 1000:
            return {**page, "users": users}


def _print(args: argparse.Namespace, answer: dict[str, Any]) -> None:
    action = args.action
    if getattr(args, "json", False):
        print(json.dumps(answer, ensure_ascii=False, indent=2))
    elif action == "list":
        for account in answer["publicServices"]:
            kind, name = account["type"], account["name"]
            print(f"{account['publicServiceId']}\t{kind}\t{name}\t{account['introduction']}")
    elif action == "followers":
        for user in answer["users"]:
            print(user)
    elif action == "post":
        print(f"sent {answer['messageUID']} to {answer['followers']} followers")
    else:
        print(f"{action}: {args.account} done")
