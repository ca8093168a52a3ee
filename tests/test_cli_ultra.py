"""`imkit ultra`, `imkit send --ultra --channel`, `imkit edit` and `imkit delete --before`
against a real server process."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tests.conftest import Cluster
from tests.processes import imkit, start_server, token


def _run(cluster: Cluster, home: Path, user: str, *args: str) -> Any:
    return imkit(home, *args, "--server", cluster.url, "--token", cluster.token(user))


def _history(cluster: Cluster, home: Path, user: str, channel: str) -> list[dict[str, Any]]:
    result = _run(cluster, home, user, "history", "--ultra", "cli-guild", "--channel", channel,
                  "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_create_channels_send_edit_and_delete_before(cluster: Cluster, tmp_path: Path) -> None:
    owner, member = tmp_path / "uo", tmp_path / "um"
    created = _run(cluster, owner, "u-ria", "ultra", "create", "cli-guild", "--name", "Guild")
    assert created.returncode == 0, created.stderr
    assert "Guild (cli-guild), owner u-ria" in created.stdout
    made = _run(cluster, owner, "u-ria", "ultra", "channel", "create", "cli-guild", "news",
                "--name", "News", "--json")  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert {"channel": "news", "name": "News"} in json.loads(made.stdout)["channels"]
    assert _run(cluster, member, "u-sam", "ultra", "join", "cli-guild").returncode == 0
    for text in ("old news", "older news"):
        sent = _run(cluster, owner, "u-ria", "send", "--ultra", "cli-guild", "--channel", "news",
                    text)  # fmt: skip
        assert sent.returncode == 0, sent.stderr
    sent = _run(cluster, owner, "u-ria", "send", "--ultra", "cli-guild", "general hello")
    assert sent.returncode == 0, sent.stderr

    listed = _run(cluster, member, "u-sam", "ultra", "channel", "list", "cli-guild", "--json")
    assert listed.returncode == 0, listed.stderr
    counts = {c["channel"]: c["unread"] for c in map(json.loads, listed.stdout.splitlines())}
    assert counts == {"": 1, "news": 2}
    groups = _run(cluster, member, "u-sam", "ultra", "list")
    assert "Guild (cli-guild): 3 unread" in groups.stdout, groups.stdout

    news = _history(cluster, owner, "u-ria", "news")
    assert [m["content"]["content"] for m in news] == ["old news", "older news"]
    edited = _run(cluster, owner, "u-ria", "edit", "--ultra", "cli-guild", "--channel", "news",
                  news[0]["uid"], "fresh news")  # fmt: skip
    assert edited.returncode == 0, edited.stderr
    seen = _history(cluster, member, "u-sam", "news")
    assert seen[0]["content"]["content"] == "fresh news" and seen[0]["edited_at"] > 0
    # Only the sender edits.
    theirs = _run(cluster, member, "u-sam", "edit", "--ultra", "cli-guild", "--channel", "news",
                  news[1]["uid"], "mine now")  # fmt: skip
    assert theirs.returncode == 2 and "own" in theirs.stderr, theirs.stderr

    time.sleep(0.01)
    cut = str(int(time.time() * 1000))
    gone = _run(cluster, member, "u-sam", "delete", "--ultra", "cli-guild", "--channel", "news",
                "--before", cut)  # fmt: skip
    assert gone.returncode == 0, gone.stderr
    assert _history(cluster, member, "u-sam", "news") == []
    assert len(_history(cluster, owner, "u-ria", "news")) == 2  # for u-sam alone
    everyone = _run(cluster, owner, "u-ria", "delete", "--ultra", "cli-guild", "--before", cut,
                    "--all-channels", "--for-everyone")  # fmt: skip
    assert everyone.returncode == 0, everyone.stderr
    assert _history(cluster, owner, "u-ria", "news") == []
    assert _history(cluster, tmp_path / "fresh", "u-sam", "") == []

    level = _run(cluster, member, "u-sam", "ultra", "level", "cli-guild", "mentions")
    assert level.returncode == 0, level.stderr
    quit_ = _run(cluster, member, "u-sam", "ultra", "quit", "cli-guild")
    assert quit_.returncode == 0 and "not a member" in quit_.stdout, quit_.stdout
    refused = _run(cluster, member, "u-sam", "ultra", "info", "cli-guild")
    assert refused.returncode == 1 and "24406" in refused.stderr, refused.stderr


def test_bad_mixes_are_usage_errors(tmp_path: Path) -> None:
    for args in (
        ("send", "--to", "a", "--channel", "c", "hi"),
        ("delete", "--ultra", "g", "u1", "--before", "1"),
        ("delete", "--group", "g", "--before", "1"),
        ("delete", "--ultra", "g"),
        ("delete", "--ultra", "g", "--before", "yesterday-ish"),
        ("edit", "--group", "g", "u1", "text"),
    ):
        result = imkit(tmp_path, *args, "--server", "ws://127.0.0.1:9", "--token", "t")
        assert result.returncode == 2, (args, result.stderr)
    helped = imkit(tmp_path, "--help")
    assert "ultra" in helped.stdout and "edit" in helped.stdout


def test_serve_takes_the_ultra_limits_from_its_flags(tmp_path: Path) -> None:
    """`imkit serve --ultra-max-joined 1`: a user's second ultra group is refused (24412);
    a bad limit is a usage error naming it."""
    server, url = start_server(tmp_path / "data", 0, "--no-api", "--ultra-max-joined", "1")
    try:

        def run(*args: str) -> Any:
            tok = token(tmp_path / "data", "u-lim")
            return imkit(tmp_path / "home", *args, "--server", url, "--token", tok)

        assert run("ultra", "create", "first").returncode == 0
        second = run("ultra", "create", "second")
        assert second.returncode == 1 and "24412" in second.stderr, second.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)
    bad = imkit(
        tmp_path / "home", "serve", "--data", str(tmp_path / "d2"), "--ultra-max-joined", "0"
    )
    assert bad.returncode == 2 and "ultra group limits" in bad.stderr, bad.stderr
