"""Login tokens and devices: revocation per user, the CLI's default lifetime, the cap on
devices per user, and tokens given without the command line (--token-file, IMKIT_TOKEN).

Against the real server on 127.0.0.1 port 0; `imkit token --revoke` runs as its own
process writing to the server's store, as it does beside a running server.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from imkit_tui.commands.common import CommandError, given_token
from imkit_tui.commands.embedded import EmbeddedHost
from imkit_tui.config import UiState
from imkit_tui.core import ConnectionState, IMClient
from imkit_tui.paths import Paths
from imkit_tui.protocol import ErrorCode, ErrorFrame, Hello, Welcome, decode_server_frame, encode
from imkit_tui.protocol.tokens import issue_token, read_claims, verify_token
from imkit_tui.ui.app import IMKitApp
from imkit_tui.ui.themes import load_themes
from tests.conftest import FAST_BACKOFF, Cluster, ServerHandle, running_server, until_client
from tests.processes import IMKIT, env_for, imkit, start_server, store_args
from tests.wire import WireClient

REVOKED = "this token was revoked"
OLDEST = "signed in on too many devices: this one was the oldest"
DAYS_30 = 30 * 24 * 60 * 60


@pytest.fixture
async def quick_server(tmp_path: Path) -> AsyncIterator[ServerHandle]:
    """A server that looks for revocations often and allows two devices per user."""
    overrides = {"revocation_check_seconds": 0.1, "max_devices_per_user": 2}
    async with running_server(tmp_path / "server", **overrides) as handle:
        yield handle


async def _hello(url: str, token: str) -> tuple[ErrorFrame | Welcome, int | None]:
    """The answer to a Hello with `token`, and the close code when refused."""
    async with connect(url) as ws:
        await ws.send(encode(Hello(id=1, versions=[1], token=token)), text=True)
        raw = await asyncio.wait_for(ws.recv(), 5)
        frame = decode_server_frame(raw if isinstance(raw, bytes) else raw.encode())
        assert isinstance(frame, ErrorFrame | Welcome), frame
        if isinstance(frame, Welcome):
            return frame, None
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        return frame, ws.close_code


def _cli_token(
    data: Path, *args: str, handle: ServerHandle | None = None
) -> subprocess.CompletedProcess[str]:
    store = handle.store_args if handle is not None else store_args(data)
    return imkit(data.parent / "token-home", "token", *args, "--data", str(data), *store)


async def _client(handle: ServerHandle, tmp_path: Path, token: str, device: str) -> IMClient:
    client = IMClient(
        server_url=handle.url,
        token=token,
        store_path=tmp_path / "clients" / device / "store.db",
        device=device,
        backoff=FAST_BACKOFF,
    )
    await client.start()
    await client.wait_synced(timeout=10)
    return client


async def _until_refused(client: IMClient, timeout: float = 10.0) -> None:
    async def refused() -> bool:
        return client.state == ConnectionState.REFUSED

    await until_client(client, refused, timeout)


# ---------------------------------------------------------------------- revocation


def test_tokens_carry_their_version_and_old_ones_are_version_0() -> None:
    secret = b"s" * 32
    assert read_claims(issue_token(secret, "ann")).version == 0
    assert verify_token(secret, issue_token(secret, "ann", version=3)).version == 3
    # A token made before versions existed has no "v" and keeps working as version 0.
    old = "imk1.eyJ1IjogImFubiIsICJpYXQiOiAxLCAiZXhwIjogbnVsbH0"
    assert read_claims(old + ".x").version == 0


async def test_revoking_refuses_old_tokens_and_closes_connected_devices(
    quick_server: ServerHandle, tmp_path: Path
) -> None:
    data = quick_server.data_dir
    old = _cli_token(data, "ann", handle=quick_server).stdout.strip()
    phone = await _client(quick_server, tmp_path, old, "phone")
    bystander = await _client(
        quick_server, tmp_path, _cli_token(data, "ben", handle=quick_server).stdout.strip(), "b"
    )
    try:
        revoked = _cli_token(data, "--revoke", "ann", handle=quick_server)
        assert revoked.returncode == 0, revoked.stderr
        assert "ann" in revoked.stdout
        await _until_refused(phone, timeout=5)
        assert phone.refused is not None and phone.refused.code == ErrorCode.TOKEN_INCORRECT
        assert phone.refused.message == REVOKED
        await asyncio.sleep(0.3)  # no reconnection follows
        assert phone.state == ConnectionState.REFUSED
        assert quick_server.server is not None
        assert quick_server.server.online_devices("ann") == 0
        assert bystander.state == ConnectionState.CONNECTED  # other users are untouched

        frame, close_code = await _hello(quick_server.url, old)
        assert isinstance(frame, ErrorFrame) and frame.code == ErrorCode.TOKEN_INCORRECT
        assert frame.message == REVOKED and close_code == 1008

        fresh = _cli_token(data, "ann", handle=quick_server).stdout.strip()
        assert read_claims(fresh).version == 1
        welcome, _ = await _hello(quick_server.url, fresh)
        assert isinstance(welcome, Welcome) and welcome.user_id == "ann"
    finally:
        await phone.close()
        await bystander.close()


async def test_a_login_checked_just_before_a_revocation_is_closed_once_admitted(
    quick_server: ServerHandle,
) -> None:
    # The window: the login read version 0, then the watch saw version 1 before the
    # session was admitted. Played here by telling the server of the revocation first.
    server = quick_server.server
    assert server is not None
    server.devices.close_revoked("ann", 1)
    late = await WireClient.login(quick_server.url, quick_server.token("ann"))
    frame = await late.recv()
    assert isinstance(frame, ErrorFrame) and frame.message == REVOKED
    assert server.online_devices("ann") == 0


async def test_a_revocation_made_while_the_server_was_down_holds_after_restart(
    tmp_path: Path,
) -> None:
    handle = ServerHandle(tmp_path / "server")
    await handle.start()
    old = _cli_token(handle.data_dir, "ann", handle=handle).stdout.strip()
    await handle.stop()
    assert _cli_token(handle.data_dir, "--revoke", "ann", handle=handle).returncode == 0
    await handle.start()
    try:
        frame, _ = await _hello(handle.url, old)
        assert isinstance(frame, ErrorFrame) and frame.message == REVOKED
    finally:
        await handle.stop()


async def test_the_embedded_app_logs_in_under_the_current_version(tmp_path: Path) -> None:
    paths = Paths.resolve(tmp_path / "home")
    first = EmbeddedHost(paths, "me")
    try:
        client = await first.start()
        await client.wait_synced(timeout=30)
        revoked = _cli_token(paths.server_data, "--revoke", "me")
        assert revoked.returncode == 0, revoked.stderr
        await _until_refused(client)
    finally:
        await first.stop()
    again = EmbeddedHost(paths, "me")  # the next start of the app
    try:
        client = await again.start()
        await client.wait_synced(timeout=30)
        assert client.refused is None  # a version-0 token would be refused
    finally:
        await again.stop()


# ---------------------------------------------------------------------- lifetime


def test_cli_tokens_expire_after_30_days_unless_told(cluster: Cluster) -> None:
    default = read_claims(cluster.token("life"))
    assert default.expires_at == default.issued_at + DAYS_30
    short = read_claims(_cli_token(cluster.data, "life", "--expires-in", "60").stdout.strip())
    assert short.expires_at == short.issued_at + 60
    forever = read_claims(_cli_token(cluster.data, "life", "--no-expiry").stdout.strip())
    assert forever.expires_at is None
    help_text = imkit(cluster.data.parent, "token", "--help").stdout
    assert "30 days" in help_text and "--no-expiry" in help_text and "--revoke" in help_text
    both = _cli_token(cluster.data, "life", "--no-expiry", "--expires-in", "5")
    assert both.returncode == 2 and "Traceback" not in both.stderr


# ---------------------------------------------------------------------- devices


async def test_past_the_cap_the_oldest_device_is_closed_for_good(
    quick_server: ServerHandle, tmp_path: Path
) -> None:
    token = quick_server.token("cat")
    first = await _client(quick_server, tmp_path, token, "first")
    second = await _client(quick_server, tmp_path, token, "second")
    third = None
    try:
        third = await _client(quick_server, tmp_path, token, "third")
        await _until_refused(first, timeout=5)
        assert first.refused is not None
        assert first.refused.code == ErrorCode.KICKED_BY_OTHER_DEVICE
        assert first.refused.message == OLDEST
        await asyncio.sleep(0.5)  # the closed device does not come back and close another
        assert first.state == ConnectionState.REFUSED
        assert second.state == third.state == ConnectionState.CONNECTED
        assert quick_server.server is not None
        assert quick_server.server.online_devices("cat") == 2
    finally:
        for client in (first, second, third):
            if client is not None:
                await client.close()


async def test_the_app_closed_as_the_oldest_device_ends_with_the_reason(
    quick_server: ServerHandle, tmp_path: Path
) -> None:
    me = await _client(quick_server, tmp_path, quick_server.token("me"), "app")
    app = IMKitApp(me, themes=load_themes(), state=UiState(tmp_path / "ui-state.json"))
    newer: list[WireClient] = []
    try:
        async with app.run_test(size=(110, 30)) as pilot:
            newer = [await quick_server.login("me", f"cli-{i}") for i in range(2)]
            for _ in range(250):
                if app.refusal is not None:
                    break
                await pilot.pause(0.02)
        assert app.return_code == 3 and OLDEST in (app.refusal or "")
        assert me.state == ConnectionState.REFUSED
    finally:
        for client in newer:
            await client.close()
        await me.close()


async def test_serve_takes_max_devices(tmp_path: Path) -> None:
    data = tmp_path / "server"
    process, url = start_server(data, 0, "--max-devices", "1")
    try:
        token = _cli_token(data, "dan").stdout.strip()
        older = await WireClient.login(url, token, "older")
        newer = await WireClient.login(url, token, "newer")
        frame = await older.recv()
        assert isinstance(frame, ErrorFrame) and frame.re == 0
        assert frame.code == ErrorCode.KICKED_BY_OTHER_DEVICE and frame.message == OLDEST
        with pytest.raises(ConnectionClosed):
            await older.recv()
        assert older.ws.close_code == 1008 and older.ws.close_reason == OLDEST
        await newer.close()
    finally:
        process.terminate()
        process.wait(10)
    bad = imkit(tmp_path, "serve", "--port", "0", "--data", str(data), "--max-devices", "0")
    assert bad.returncode == 2 and "max_devices_per_user" in bad.stderr


# ---------------------------------------------------------------------- token sources


def test_the_token_comes_from_the_flag_then_the_file_then_the_environment(
    tmp_path: Path,
) -> None:
    path = tmp_path / "token"
    path.write_text("\n  from-file  \n")
    env = {"IMKIT_TOKEN": "from-env"}
    assert given_token("from-flag", str(path), env) == "from-flag"
    assert given_token(None, str(path), env) == "from-file"
    assert given_token(None, None, env) == "from-env"
    assert given_token(None, None, {}) is None
    with pytest.raises(CommandError) as missing:
        given_token(None, str(tmp_path / "nope"), env)
    assert missing.value.exit_code == 2 and str(tmp_path / "nope") in str(missing.value)


def _history(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full = env_for(home) | (env or {})
    return subprocess.run(
        [*IMKIT, "history", "--with", "someone", "--json", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=120,
    )


def test_commands_read_the_token_from_a_file_or_the_environment(
    cluster: Cluster, tmp_path: Path
) -> None:
    token = cluster.token("eve")
    path = tmp_path / "eve.token"
    path.write_text(token + "\n")
    path.chmod(0o600)
    server = ("--server", cluster.url)
    from_file = _history(tmp_path / "a", *server, "--token-file", str(path))
    assert from_file.returncode == 0, from_file.stderr
    from_env = _history(tmp_path / "b", *server, env={"IMKIT_TOKEN": token})
    assert from_env.returncode == 0, from_env.stderr
    # --token wins over the environment: a bad one is refused even with a good IMKIT_TOKEN.
    flag_first = _history(tmp_path / "c", *server, "--token", "imk1.bad.bad",
                          env={"IMKIT_TOKEN": token})  # fmt: skip
    assert flag_first.returncode == 3, flag_first.stderr
    missing = tmp_path / "no-such.token"
    gone = _history(tmp_path / "d", *server, "--token-file", str(missing),
                    env={"IMKIT_TOKEN": token})  # fmt: skip
    assert gone.returncode == 2 and str(missing) in gone.stderr
    assert "Traceback" not in gone.stderr
    assert "--token-file" in imkit(tmp_path, "send", "--help").stdout
