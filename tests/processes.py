"""Helpers to run `imkit` as real processes: servers to kill, clients to kill."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.services import pg_fetch
from tests.store_choice import known_store_url, store_url_for

IMKIT = [sys.executable, "-m", "imkit_tui"]


def env_for(home: Path) -> dict[str, str]:
    """The environment of a child `imkit` with everything under `home`."""
    env = dict(os.environ)
    env["IMKIT_HOME"] = str(home)
    env.pop("IMKIT_DEBUG", None)
    env.pop("IMKIT_TOKEN", None)
    return env


def serve_store_args(data: Path) -> tuple[str, ...]:
    """`imkit serve`'s arguments for the test's store (tests/store_choice.py) when the
    server on `data` is to run on PostgreSQL: its own schema, migrated."""
    store_url = store_url_for(data)
    return ("--store", store_url, "--migrate") if store_url else ()


def start_server(data: Path, port: int = 0, *extra: str) -> tuple[subprocess.Popen[str], str]:
    """Start `imkit serve` and wait for its 'listening on' line; return it and the URL.
    Its store is the test's (tests/store_choice.py) unless `extra` names one."""
    store = () if "--store" in extra else serve_store_args(data)
    process = subprocess.Popen(
        [*IMKIT, "serve", "--port", str(port), "--data", str(data), *store, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_for(data.parent / "server-home"),
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("listening on "):
        process.kill()
        _, err = process.communicate()
        raise AssertionError(f"server did not start: {line!r} {err}")
    return process, line.removeprefix("listening on ").strip()


def port_of(url: str) -> int:
    """The port of a ws:// URL."""
    return int(url.rsplit(":", 1)[1])


def imkit(
    home: Path, *args: str, stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run one `imkit` command to completion."""
    return subprocess.run(
        [*IMKIT, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env_for(home),
        timeout=timeout,
    )


def store_args(data: Path) -> list[str]:
    """`imkit token`'s arguments naming the store of the server on `data`, when it is not
    in the data dir."""
    store_url = known_store_url(data)
    return ["--store", store_url] if store_url else []


def token(data: Path, user: str) -> str:
    """A token for `user` from the server's data dir, through `imkit token`."""
    args = ["token", user, "--data", str(data), *store_args(data)]
    result = imkit(data.parent / "token-home", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def stored_rows(data: Path, sql: str) -> list[tuple[Any, ...]]:
    """The rows of `sql` (no parameters) read from the store of the server on `data`,
    SQLite or PostgreSQL, from this process; none while the store has no such table."""
    store_url = known_store_url(data)
    if store_url:
        return pg_fetch(store_url, sql)
    path = data / "server.db"
    if not path.exists():
        return []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
        try:
            return [tuple(row) for row in conn.execute(sql).fetchall()]
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise


def stored_count(data: Path) -> int:
    """How many messages the server has committed (read from its store, another process)."""
    rows = stored_rows(data, "SELECT COUNT(*) FROM messages")
    return int(rows[0][0]) if rows else 0


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    """Poll `predicate` until it is true, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def history(home: Path, url: str, tok: str, peer: str) -> list[dict[str, Any]]:
    """The conversation with `peer` as `imkit history --json` prints it."""
    result = imkit(home, "history", "--server", url, "--token", tok, "--with", peer, "--json")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def assert_exactly_once_in_order(received: list[dict[str, Any]], expected_texts: list[str]) -> None:
    """Every expected text exactly once, in order, with seqs 1..n and no gap."""
    texts = [m["content"]["content"] for m in received]
    assert len(texts) == len(set(texts)), "a message was delivered twice"
    missing = set(expected_texts) - set(texts)
    assert not missing, f"{len(missing)} messages lost, e.g. {sorted(missing)[:3]}"
    assert texts == expected_texts
    assert [m["seq"] for m in received] == list(range(1, len(expected_texts) + 1))
