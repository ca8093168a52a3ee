"""`imkit block`, `unblock`, `whitelist` and `privacy`, run as real processes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.processes import imkit, start_server, token


class Server:
    """One server process for the tests of this module."""

    def __init__(self, data: Path, url: str) -> None:
        self.data = data
        self.url = url

    def run(self, home: Path, user: str, *args: str) -> Any:
        """Run `imkit ARGS` as `user`."""
        return imkit(home, *args, "--server", self.url, "--token", token(self.data, user))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, module_store: str) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("cli-privacy") / "server"
    process, url = start_server(data)
    try:
        yield Server(data, url)
    finally:
        process.terminate()
        process.wait(10)


def _state(result: Any) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    state: dict[str, Any] = json.loads(result.stdout)
    return state


def test_block_unblock_whitelist_and_privacy_json(server: Server, tmp_path: Path) -> None:
    home = tmp_path / "bob"
    blocked = _state(server.run(home, "p-bob", "block", "p-alice", "p-carol", "--json"))
    assert blocked == {"blocked": ["p-alice", "p-carol"], "allowed": [], "whitelist_mode": False}

    refused = server.run(tmp_path / "alice", "p-alice", "send", "--to", "p-bob", "hi")
    assert refused.returncode == 1 and "405" in refused.stderr

    assert _state(server.run(home, "p-bob", "unblock", "p-carol", "--json"))["blocked"] == [
        "p-alice"
    ]
    assert _state(server.run(home, "p-bob", "whitelist", "add", "p-dave", "--json"))["allowed"] == [
        "p-dave"
    ]
    on = _state(server.run(home, "p-bob", "whitelist", "on", "--json"))
    assert on == {"blocked": ["p-alice"], "allowed": ["p-dave"], "whitelist_mode": True}
    refused = server.run(tmp_path / "carol", "p-carol", "send", "--to", "p-bob", "hi")
    assert refused.returncode == 1 and "405" in refused.stderr
    sent = server.run(tmp_path / "dave", "p-dave", "send", "--to", "p-bob", "hi")
    assert sent.returncode == 0, sent.stderr

    # Another device (another home) sees the same state.
    shown = _state(server.run(tmp_path / "bob-2", "p-bob", "privacy", "--json"))
    assert shown == on
    readable = server.run(home, "p-bob", "privacy")
    assert readable.returncode == 0
    assert "blocked: p-alice" in readable.stdout and "whitelist: p-dave" in readable.stdout
    assert "whitelist mode: on" in readable.stdout

    removed = _state(server.run(home, "p-bob", "whitelist", "remove", "p-dave", "--json"))
    assert removed["allowed"] == []
    off = _state(server.run(home, "p-bob", "whitelist", "off", "--json"))
    assert off == {"blocked": ["p-alice"], "allowed": [], "whitelist_mode": False}


def test_bad_usage_and_refusals_have_their_exit_codes(server: Server, tmp_path: Path) -> None:
    home = tmp_path / "erin"
    myself = server.run(home, "p-erin", "block", "p-erin")
    assert myself.returncode == 1 and "33003" in myself.stderr
    assert "Traceback" not in myself.stderr
    too_long = server.run(home, "p-erin", "block", "x" * 65)
    assert too_long.returncode == 2 and "64" in too_long.stderr
    no_user = server.run(home, "p-erin", "whitelist", "add")
    assert no_user.returncode == 2
    extra = server.run(home, "p-erin", "whitelist", "on", "p-frank")
    assert extra.returncode == 2
    nobody = imkit(home, "block", "p-zed", "--server", server.url, "--token", "x")
    assert nobody.returncode == 3
    away = imkit(
        home, "privacy", "--server", "ws://127.0.0.1:9", "--token", token(server.data, "p-erin"),
        "--timeout", "1",
    )  # fmt: skip
    assert away.returncode == 4


def test_help_lists_the_privacy_commands(tmp_path: Path) -> None:
    listed = imkit(tmp_path, "--help").stdout
    for command in ("block", "unblock", "whitelist", "privacy"):
        assert command in listed
