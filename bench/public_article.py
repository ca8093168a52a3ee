"""A public service account's article to its followers beside a group message to as many
members: both stored once, both pushed along a route naming every receiver.

A real in-process `IMServer` (no devices online: what is measured is the server's own
work, the store and the route) holds an account followed by `--followers` users and a
group of as many members. Each turn posts one article (`post_to_followers`, which reads
the followers and stores the article once in the account's conversation) and one group
message from the group's owner through the app server's `Operator` along the route of its
members (as the Server API's group publish makes it), the two taking turns;
each post is timed from the call until its record comes back (after the commit). It
prints the median and p90 of both, their ratio, and how many rows the articles left in
the messages table (one per article, whatever the followers).

With ``--store postgresql`` the server runs on PostgreSQL (``IMKIT_TEST_POSTGRES``, a
schema of its own, dropped after), as a node of several does: there an article's
followers, kept in memory, are checked against the account's last follow or unfollow
before each post (one lookup by key).

Run: ``python bench/public_article.py [--followers N] [--posts N] [--store sqlite|postgresql]
[--json]``. Always exits 0; a measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _args import positive_int
from _pg import drop_schemas, schema_url

from imkit_tui import messages
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server import IMServer, ServerConfig
from imkit_tui.server.group_store import join_conversation
from imkit_tui.server.handlers.public_service import post_to_followers
from imkit_tui.server.operator import Operator, group_route
from imkit_tui.server.public_service.accounts import AccountSpec, account_key
from imkit_tui.server.public_service.service import save_account

ARTICLE = {"articles": [{"title": "imkit news", "digest": "What is new this week"}]}


async def _follow_all(server: IMServer, users: list[str]) -> None:
    """Make every user a follower in one transaction (as many follows would, faster)."""
    store = server.require_store()
    conv_id = await store.ensure_conversation(7, account_key(7, "news"), ())
    if server.config.store_url:

        async def insert(conn: Any) -> None:
            await conn.execute(
                "INSERT INTO members(user_id, conv_id, target, joined_at)"
                " SELECT unnest($1::text[]), $2, 'news', $3",
                users,
                conv_id,
                now_ms(),
            )

        await store._writer.submit(insert)
        return

    def job(conn: Any) -> None:
        join_conversation(conn, conv_id, 0, "news", users, now_ms())

    await store._writer.submit(job)


async def _article_rows(server: IMServer) -> int:
    """How many messages the account's conversation holds."""
    store = server.require_store()
    sql = (
        "SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conv_id WHERE c.key = {}"
    )
    key = account_key(7, "news")
    if server.config.store_url:
        return int(await store._pool.fetchval(sql.format("$1"), key))
    row = await store._reader.fetch_one(sql.format("?"), (key,))
    return int(row[0]) if row else 0


async def run(followers: int, posts: int, store_kind: str = "sqlite") -> dict[str, Any]:
    """Post `posts` articles and as many group messages, taking turns, on `store_kind`
    (sqlite or postgresql); the figures."""
    users = [f"user{n:06d}" for n in range(followers)]
    schema = f"bench_public_{uuid.uuid4().hex[:8]}"
    store_url = ""
    if store_kind == "postgresql":
        store_url = schema_url(schema)
    with tempfile.TemporaryDirectory() as root:
        config = ServerConfig(
            data_dir=Path(root),
            rate_per_second=1e9,
            rate_burst=10**9,
            store_url=store_url,
            migrate_store=bool(store_url),
        )
        server = IMServer(config)
        await server.start(listen=False)
        try:
            store = server.require_store()
            await save_account(store, AccountSpec(type=7, id="news", name="News"))
            await _follow_all(server, users)
            await server.create_group("team", "Team", users[0], users[1:])
            account = await store.public.get(7, "news")
            assert account is not None
            operator = Operator(server)
            article_ms: list[float] = []
            group_ms: list[float] = []
            for index in range(posts):
                started = time.perf_counter()
                await post_to_followers(server, account, messages.PS_ARTICLE, ARTICLE)
                article_ms.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                text = messages.text_content(f"message {index}")
                # As the Server API's group publish does: the members, then their route.
                route = group_route("team", await store.groups.members("team") or [])
                await operator.post(route, users[0], messages.TEXT, text)
                group_ms.append((time.perf_counter() - started) * 1000)
            rows = await _article_rows(server)
        finally:
            await server.stop()
            if store_url:
                with contextlib.suppress(Exception):
                    await drop_schemas([schema])
    article, group = statistics.median(article_ms), statistics.median(group_ms)
    return {
        "store": store_kind,
        "followers": followers,
        "posts": posts,
        "article_p50_ms": round(article, 3),
        "article_p90_ms": round(statistics.quantiles(article_ms, n=10)[-1], 3),
        "group_p50_ms": round(group, 3),
        "group_p90_ms": round(statistics.quantiles(group_ms, n=10)[-1], 3),
        "ratio_p50": round(article / group, 2) if group else None,
        "article_rows": rows,
    }


def render(figures: dict[str, Any]) -> str:
    """The figures as lines."""
    return "\n".join(
        [
            f"{figures['posts']} articles to {figures['followers']:,} followers, beside as "
            f"many group messages to as many members ({figures['store']})",
            f"  article  p50 {figures['article_p50_ms']} ms  p90 {figures['article_p90_ms']} ms",
            f"  group    p50 {figures['group_p50_ms']} ms  p90 {figures['group_p90_ms']} ms",
            f"  ratio (article / group message) at p50: {figures['ratio_p50']}x",
            f"  rows the articles left in the messages table: {figures['article_rows']}",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--followers", type=positive_int, default=10_000)
    parser.add_argument("--posts", type=positive_int, default=50)
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args.followers, args.posts, args.store))
    print(json.dumps(figures) if args.json else render(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
