"""The command line says what went wrong, and its exit codes mean what they say."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import Cluster
from tests.processes import history, imkit


def _tampered(token: str) -> str:
    """The same token with a broken signature (its claims still name the user)."""
    tail = "abc" if not token.endswith("abc") else "xyz"
    return token[:-3] + tail


def test_a_send_that_exits_3_is_never_sent_later(cluster: Cluster, tmp_path: Path) -> None:
    good = cluster.token("hon-ann")
    auth = ["--server", cluster.url, "--to", "hon-bob"]
    refused = imkit(tmp_path / "ann", "send", *auth, "--token", _tampered(good), "never")
    assert refused.returncode == 3, refused.stderr
    # The next commands of the same user, with a good token, must not send it.
    shown = imkit(tmp_path / "ann", "history", "--server", cluster.url, "--token", good,
                  "--with", "hon-bob")  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    later = imkit(tmp_path / "ann", "send", *auth, "--token", good, "later")
    assert later.returncode == 0, later.stderr
    received = history(tmp_path / "bob", cluster.url, cluster.token("hon-bob"), "hon-ann")
    assert [m["content"]["content"] for m in received] == ["later"]
    mine = history(tmp_path / "ann", cluster.url, good, "hon-bob")
    assert sorted((m["content"]["content"], m["status"]) for m in mine) == [
        ("later", "sent"),
        ("never", "failed"),
    ]


def test_an_unreachable_server_is_named_with_the_reason(cluster: Cluster, tmp_path: Path) -> None:
    token = cluster.token("hon-cy")
    result = imkit(tmp_path, "send", "--server", "ws://127.0.0.1:1", "--token", token,
                   "--to", "hon-dee", "hello", "--timeout", "2")  # fmt: skip
    assert result.returncode == 4
    assert "cannot reach ws://127.0.0.1:1: connection refused" in result.stderr
    assert "stay queued" in result.stderr
    shown = imkit(tmp_path, "history", "--server", "ws://127.0.0.1:1", "--token", token,
                  "--with", "hon-dee", "--timeout", "2")  # fmt: skip
    assert shown.returncode == 4
    assert "cannot reach ws://127.0.0.1:1: connection refused" in shown.stderr


def test_a_server_url_that_is_not_a_websocket_is_bad_usage(
    cluster: Cluster, tmp_path: Path
) -> None:
    token = cluster.token("hon-eve")
    for url in ("http://127.0.0.1:8765", "127.0.0.1:8765"):
        result = imkit(tmp_path / "h", "send", "--server", url, "--token", token,
                       "--to", "x", "hi")  # fmt: skip
        assert result.returncode == 2, result.stderr
        assert url in result.stderr and "ws://" in result.stderr
        app = imkit(tmp_path / "h", "--server", url, "--token", token)
        assert app.returncode == 2 and "ws://" in app.stderr, app.stderr
    assert not (tmp_path / "h").exists()


def test_an_unusable_home_is_named_without_a_traceback(cluster: Cluster, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    token = cluster.token("hon-fay")
    home = blocker / "home"
    result = imkit(home, "history", "--server", "ws://127.0.0.1:1", "--token", token,
                   "--with", "x", "--offline")  # fmt: skip
    assert result.returncode == 1
    assert str(blocker) in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    app = imkit(home, timeout=30)
    assert app.returncode == 1 and str(blocker) in app.stderr, app.stderr
    assert "Traceback" not in app.stderr and len(app.stderr.strip().splitlines()) == 1


def test_a_missing_platform_home_is_named(cluster: Cluster, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "IMKIT_"))}
    env["HOME"] = str(blocker / "home")
    command = ["history", "--server", "ws://127.0.0.1:1", "--with", "x", "--offline"]
    result = subprocess.run(
        [sys.executable, "-m", "imkit_tui", *command, "--token", cluster.token("hon-gus")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1 and str(blocker) in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_token_refuses_a_data_dir_without_a_server(cluster: Cluster, tmp_path: Path) -> None:
    empty = tmp_path / "nowhere"
    result = imkit(tmp_path, "token", "hon-hal", "--data", str(empty))
    assert result.returncode == 2 and str(empty) in result.stderr, result.stderr
    assert "imkit serve" in result.stderr and result.stdout == ""
    assert not (empty / "app-secret").exists()
    assert cluster.token("hon-hal")  # a real server's data dir still works


def test_token_names_store_for_the_data_dir_of_a_postgresql_server(tmp_path: Path) -> None:
    """A data dir with the app secret and no SQLite store is a PostgreSQL server's:
    the line says to give its --store, and no store is made."""
    data = tmp_path / "pg-server"
    data.mkdir()
    (data / "app-secret").write_text("k" * 64)
    result = imkit(tmp_path, "token", "hon-hal", "--data", str(data))
    assert result.returncode == 2 and "PostgreSQL" in result.stderr, result.stderr
    assert "--store" in result.stderr and result.stdout == ""
    assert "Traceback" not in result.stderr
    assert not (data / "server.db").exists()


def test_an_unknown_option_prints_the_subcommands_usage(tmp_path: Path) -> None:
    result = imkit(tmp_path, "send", "--to", "x", "hi", "--bogus")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: imkit send"), result.stderr
    assert "unrecognized arguments: --bogus" in result.stderr
    nested = imkit(tmp_path, "group", "members", "g", "--bogus")
    assert nested.returncode == 2 and nested.stderr.startswith("usage: imkit group members")


def test_history_leaves_out_what_the_chat_does_not_show(cluster: Cluster, tmp_path: Path) -> None:
    ivy = cluster.token("hon-ivy")
    for text in ("kept", "taken back"):
        sent = imkit(tmp_path / "i", "send", "--server", cluster.url, "--token", ivy,
                     "--to", "hon-jon", text)  # fmt: skip
        assert sent.returncode == 0, sent.stderr
    uid = history(tmp_path / "i", cluster.url, ivy, "hon-jon")[-1]["uid"]
    recalled = imkit(tmp_path / "i", "recall", "--server", cluster.url, "--token", ivy,
                     "--with", "hon-jon", uid)  # fmt: skip
    assert recalled.returncode == 0, recalled.stderr
    jon = cluster.token("hon-jon")
    lines = imkit(tmp_path / "j", "history", "--server", cluster.url, "--token", jon,
                  "--with", "hon-ivy")  # fmt: skip
    assert lines.returncode == 0, lines.stderr
    printed = lines.stdout.splitlines()
    assert len(printed) == 2 and "hon-ivy: kept" in printed[0], printed
    assert "recalled" in printed[1], printed
    types = [m["type"] for m in history(tmp_path / "j", cluster.url, jon, "hon-ivy")]
    assert types == ["RC:TxtMsg", "RC:RcNtf"]
    assert "RC:RcCmd" not in json.dumps(types)
