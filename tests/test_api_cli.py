"""`imkit serve` with its Server API, and `imkit credentials`, as processes."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
from pathlib import Path

import aiohttp

from imkit_tui.server.api.credentials import Credentials, read_existing
from tests.api_client import SignedClient
from tests.processes import (
    IMKIT,
    env_for,
    history,
    imkit,
    serve_store_args,
    start_server,
    store_args,
)


def _api_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("api on http://"), line
    return line.removeprefix("api on ").strip()


async def test_serve_prints_the_api_line_and_credentials_print_the_pair(tmp_path: Path) -> None:
    data = tmp_path / "server"
    process, _ = start_server(data)
    try:
        api_url = _api_line(process)
        shown = imkit(tmp_path, "credentials", "--data", str(data))
        assert shown.returncode == 0, shown.stderr
        lines = dict(line.split(": ", 1) for line in shown.stdout.splitlines())
        credentials = Credentials(lines["app key"], lines["app secret"])
        for name in ("app-key", "app-secret"):
            assert stat.S_IMODE(os.stat(data / name).st_mode) == 0o600
        client = SignedClient(api_url, credentials)
        try:
            body = await client.ok("/user/getToken.json", {"userId": "alice"})
        finally:
            await client.close()
        # The same secret signs `imkit token`'s tokens.
        token = imkit(tmp_path, "token", "alice", "--data", str(data), *store_args(data))
        assert token.returncode == 0 and token.stdout.strip()
        assert body["token"].split(".")[0] == token.stdout.split(".")[0]
    finally:
        process.terminate()
        process.communicate(timeout=15)


def _serve_with_secret_in_env(tmp_path: Path, data: Path) -> subprocess.Popen[str]:
    env = {**env_for(tmp_path / "home"), "IMKIT_APP_SECRET": "Y1W2MeFwwwRxa0"}
    serve = [*IMKIT, "serve", "--port", "0", "--data", str(data), *serve_store_args(data)]
    return subprocess.Popen(
        [*serve, "--app-key", "uwd1c0sxdlx2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


async def test_a_given_key_and_secret_are_used_and_kept(tmp_path: Path) -> None:
    data = tmp_path / "server"
    process = _serve_with_secret_in_env(tmp_path, data)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("listening on ")
        api_url = _api_line(process)
        client = SignedClient(api_url, Credentials("uwd1c0sxdlx2", "Y1W2MeFwwwRxa0"))
        try:
            await client.ok("/user/checkOnline.json", {"userId": "bob"})
        finally:
            await client.close()
    finally:
        process.terminate()
        process.communicate(timeout=15)
    shown = imkit(tmp_path, "credentials", "--data", str(data))
    assert shown.stdout.splitlines() == ["app key: uwd1c0sxdlx2", "app secret: Y1W2MeFwwwRxa0"]


async def test_no_api_serves_no_api(tmp_path: Path) -> None:
    data = tmp_path / "server"
    process, url = start_server(data, 0, "--no-api", "--api-port", "0")
    try:
        port = int(url.rsplit(":", 1)[1])
        # The websocket port answers plain HTTP as before (no API there).
        url = f"http://127.0.0.1:{port}/user/getToken.json"
        async with aiohttp.ClientSession() as session, session.post(url) as answer:
            assert answer.status in (405, 426)
            assert answer.content_type != "application/json"
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=15)
    assert "api on" not in out


def test_credentials_before_any_start_say_what_to_do(tmp_path: Path) -> None:
    shown = imkit(tmp_path, "credentials", "--data", str(tmp_path / "none"))
    assert shown.returncode != 0 and "imkit serve" in shown.stderr


def _call(api_url: str, credentials: Credentials, path: str, form: object) -> dict[str, object]:
    async def call() -> dict[str, object]:
        client = SignedClient(api_url, credentials)
        try:
            return await client.ok(path, form)
        finally:
            await client.close()

    return asyncio.run(call())


def test_private_publish_reaches_imkit_tail_logged_in_with_a_get_token_token(
    tmp_path: Path,
) -> None:
    data = tmp_path / "server"
    process, url = start_server(data)
    tail = None
    try:
        api_url = _api_line(process)
        credentials = read_existing(data)
        assert credentials is not None
        bob = _call(api_url, credentials, "/user/getToken.json", {"userId": "bob"})["token"]
        # Synced once first: `tail` then prints what arrives by its first sync too (on a
        # store that never synced, that sync is old history), so whether the message
        # comes before or after `tail` is up, it is printed: no race with its start.
        assert history(tmp_path / "bob", url, str(bob), "alice") == []
        tail = subprocess.Popen(
            [*IMKIT, "tail", "--server", url, "--token", str(bob), "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env_for(tmp_path / "bob"),
        )
        form = {
            "fromUserId": "alice",
            "toUserId": "bob",
            "objectName": "RC:TxtMsg",
            "content": json.dumps({"content": "from the backend"}),
        }
        _call(api_url, credentials, "/message/private/publish.json", form)
        assert tail.stdout is not None
        line = json.loads(tail.stdout.readline())
        assert line["content"] == {"content": "from the backend"} and line["sender"] == "alice"
    finally:
        if tail is not None:
            tail.terminate()
            tail.wait(10)
        process.terminate()
        process.communicate(timeout=15)


def test_admin_creates_a_group_that_imkit_group_members_shows(tmp_path: Path) -> None:
    data = tmp_path / "server"
    process, url = start_server(data)
    try:
        api_url = _api_line(process)
        admin = ("admin", "--api", api_url, "--data", str(data))
        made = imkit(tmp_path, *admin, "/group/create", "groupId=g1", "groupName=Team",
                     "userId=alice", "userId=bob")  # fmt: skip
        assert made.returncode == 0, made.stderr
        assert json.loads(made.stdout) == {"code": 200}
        got = imkit(tmp_path, *admin, "user/getToken", "userId=bob")
        bob = json.loads(got.stdout)["token"]
        shown = imkit(tmp_path / "bob", "group", "members", "g1", "--server", url,
                      "--token", bob, "--json")  # fmt: skip
        assert shown.returncode == 0, shown.stderr
        group = json.loads(shown.stdout)
        assert (group["name"], group["owner"], group["members"]) == (
            "Team",
            "alice",
            ["alice", "bob"],
        )
        tagged = imkit(tmp_path, *admin, "--json-body", "/user/tag/set", "userId=bob",
                       "tags[]=vip")  # fmt: skip
        assert tagged.returncode == 0, tagged.stderr
        refused = imkit(tmp_path, *admin, "/group/user/query", "groupId=nope")
        assert refused.returncode == 1 and json.loads(refused.stdout)["code"] == 1002
    finally:
        process.terminate()
        process.communicate(timeout=15)


def test_the_config_file_sets_the_pair_when_no_flag_or_variable_does(tmp_path: Path) -> None:
    data = tmp_path / "server"
    # start_server runs with IMKIT_HOME=<data's parent>/server-home
    config = tmp_path / "server-home" / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('app_key = "fromconfig"\napp_secret = "config-secret-1"\n')
    process, _ = start_server(data)
    try:
        _api_line(process)
    finally:
        process.terminate()
        process.communicate(timeout=15)
    shown = imkit(tmp_path, "credentials", "--data", str(data))
    assert shown.stdout.splitlines() == ["app key: fromconfig", "app secret: config-secret-1"]
