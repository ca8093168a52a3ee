"""`imkit chatroom …` and `imkit tail --chatroom` as processes against a server process."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from tests.conftest import Cluster
from tests.processes import IMKIT, env_for, imkit, start_server, token


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
            if len(members) == 2:
                break
            time.sleep(0.1)
        # By join time; ann is still in: a command ending takes nobody out (auto-exit does).
        assert [m["user"] for m in members] == ["cli-ann", "cli-tom"]  # type: ignore[index]

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


def _api_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("api on http://"), line
    return line.removeprefix("api on ").strip()


def test_create_ban_mute_destroy_through_the_server_api(tmp_path: Path) -> None:
    data = tmp_path / "server"
    server, url = start_server(data)
    try:
        api = ["--api", _api_line(server), "--data", str(data)]

        def admin(*args: str) -> subprocess.CompletedProcess[str]:
            return imkit(tmp_path / "admin", "chatroom", *args, *api)

        def user(name: str, *args: str) -> subprocess.CompletedProcess[str]:
            return imkit(tmp_path / name, "chatroom", *args, "--server", url, "--token",
                         token(data, name))  # fmt: skip

        assert admin("create", "api-room", "--name", "API room").returncode == 0
        joined = user("cli-ann", "join", "api-room", "--existing", "--json")
        assert joined.returncode == 0, joined.stderr
        assert json.loads(joined.stdout)["name"] == "API room"

        tail = subprocess.Popen(
            [*IMKIT, "tail", "--chatroom", "api-room", "--server", url, "--token",
             token(data, "cli-tom")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env_for(tmp_path / "cli-tom-tail"),
        )  # fmt: skip
        try:
            for _ in range(100):  # until tom is in the room
                listed = user("cli-ann", "members", "api-room", "--json")
                if "cli-tom" in listed.stdout:
                    break
                time.sleep(0.1)
            banned = admin("ban", "api-room", "cli-tom", "--minutes", "5")
            assert banned.returncode == 0, banned.stderr
            _, err = tail.communicate(timeout=20)
        finally:
            tail.kill()
        assert tail.returncode == 1 and "out of api-room: banned" in err
        kept_out = user("cli-tom", "join", "api-room")
        assert kept_out.returncode == 1 and "23409" in kept_out.stderr
        assert admin("ban", "api-room", "cli-tom", "--lift").returncode == 0
        assert user("cli-tom", "join", "api-room").returncode == 0

        assert admin("mute", "api-room", "cli-ann", "--minutes", "5").returncode == 0
        gagged = imkit(tmp_path / "admin", "admin", "/chatroom/user/gag/list",
                       "chatroomId=api-room", *api)  # fmt: skip
        assert [u["userId"] for u in json.loads(gagged.stdout)["users"]] == ["cli-ann"]
        assert admin("mute", "api-room", "cli-ann", "--lift").returncode == 0
        assert admin("mute", "api-room", "cli-ann", "--everywhere").returncode == 0
        everywhere = imkit(tmp_path / "admin", "admin", "/chatroom/user/ban/query", *api)
        assert [u["userId"] for u in json.loads(everywhere.stdout)["users"]] == ["cli-ann"]
        assert admin("mute", "api-room").returncode == 0  # the whole room
        checked = imkit(tmp_path / "admin", "admin", "/chatroom/ban/check",
                        "chatroomId=api-room", *api)  # fmt: skip
        assert json.loads(checked.stdout)["status"] == 1, checked.stdout

        assert admin("destroy", "api-room").returncode == 0
        gone = user("cli-ann", "join", "api-room", "--existing")
        assert gone.returncode == 1 and "23410" in gone.stderr
        refused = admin("ban", "no-room", "cli-tom")
        assert refused.returncode == 1 and "refused" in refused.stderr
    finally:
        server.terminate()
        server.communicate(timeout=15)
