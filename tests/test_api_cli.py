"""`imkit serve` with its Server API, and `imkit credentials`, as processes."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import aiohttp

from imkit_tui.server.api.credentials import Credentials
from tests.api_client import SignedClient
from tests.processes import IMKIT, env_for, imkit, start_server


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
        token = imkit(tmp_path, "token", "alice", "--data", str(data))
        assert token.returncode == 0 and token.stdout.strip()
        assert body["token"].split(".")[0] == token.stdout.split(".")[0]
    finally:
        process.terminate()
        process.communicate(timeout=15)


def _serve_with_secret_in_env(tmp_path: Path, data: Path) -> subprocess.Popen[str]:
    env = {**env_for(tmp_path / "home"), "IMKIT_APP_SECRET": "Y1W2MeFwwwRxa0"}
    return subprocess.Popen(
        [*IMKIT, "serve", "--port", "0", "--data", str(data), "--app-key", "uwd1c0sxdlx2"],
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
