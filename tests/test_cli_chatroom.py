"""`imkit chatroom …` and `imkit tail --chatroom` as processes against a server process."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from tests.conftest import Cluster
from tests.processes import IMKIT, env_for, imkit


def as_user(
    cluster: Cluster, home: Path, user: str, *args: str
) -> subprocess.CompletedProcess[str]:
    return imkit(home, "chatroom", *args, "--server", cluster.url, "--token", cluster.token(user))


def read_json_line(process: subprocess.Popen[str], timeout: float = 20) -> dict[str, object]:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    line = process.stdout.readline()
    assert line, f"no line in {timeout} s: {process.stderr.read() if process.stderr else ''}"
    assert time.monotonic() < deadline
    found: dict[str, object] = json.loads(line)
    return found


def test_join_members_attributes_and_tail_as_users(cluster: Cluster, tmp_path: Path) -> None:
    joined = as_user(cluster, tmp_path / "a", "cli-ann", "join", "cli-room", "--json")
    assert joined.returncode == 0, joined.stderr
    room = json.loads(joined.stdout.splitlines()[0])
    assert room["room"] == "cli-room" and room["member_count"] == 1

    tail = subprocess.Popen(
        [*IMKIT, "tail", "--chatroom", "cli-room", "--json", "--server", cluster.url,
         "--token", cluster.token("cli-tom")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env_for(tmp_path / "t"),
    )  # fmt: skip
    try:
        members: list[object] = []
        for _ in range(100):
            listed = as_user(cluster, tmp_path / "a", "cli-ann", "members", "cli-room", "--json")
            assert listed.returncode == 0, listed.stderr
            members = json.loads(listed.stdout)["members"]
            if members:
                break
            time.sleep(0.1)
        assert [m["user"] for m in members] == ["cli-tom"]  # type: ignore[index]

        done = as_user(cluster, tmp_path / "a", "cli-ann", "attr", "cli-room", "set", "topic",
                       "cats")  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "topic=cats"
        notice = read_json_line(tail)
        assert notice["type"] == "RC:chrmKVNotiMsg" and notice["sender"] == "cli-ann"
        listed_attrs = as_user(cluster, tmp_path / "b", "cli-bea", "attr", "cli-room", "list")
        assert listed_attrs.stdout.strip() == "topic=cats", listed_attrs.stderr
        refused = as_user(cluster, tmp_path / "b", "cli-bea", "attr", "cli-room", "remove",
                          "topic")  # fmt: skip
        assert refused.returncode == 1 and "23424" in refused.stderr
    finally:
        tail.send_signal(signal.SIGTERM)
        _, err = tail.communicate(timeout=20)
    assert tail.returncode == 0, err
    nowhere = imkit(tmp_path / "t", "tail", "--chatroom", "no-such-room", "--server",
                    cluster.url, "--token", cluster.token("cli-tom"))  # fmt: skip
    assert nowhere.returncode == 1 and "23410" in nowhere.stderr


def test_help_names_every_action(tmp_path: Path) -> None:
    shown = imkit(tmp_path, "chatroom", "--help")
    assert shown.returncode == 0
    for action in ("create", "destroy", "join", "members", "mute", "ban", "attr", "list"):
        assert action in shown.stdout
    assert "--chatroom" in imkit(tmp_path, "tail", "--help").stdout
    assert "chatroom" in imkit(tmp_path, "--help").stdout
