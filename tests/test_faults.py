"""Kill processes mid-stream: nothing lost, nothing duplicated, no gap in the seq."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.processes import (
    IMKIT,
    assert_exactly_once_in_order,
    env_for,
    history,
    port_of,
    start_server,
    stored_count,
    token,
    wait_until,
)

MESSAGES = 1500
pytestmark = pytest.mark.slow


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(10)


def _stderr(process: subprocess.Popen[str]) -> str:
    return process.stderr.read() if process.stderr is not None else ""


def _lines() -> list[str]:
    return [f"line {i:04d}" for i in range(MESSAGES)]


def test_server_killed_mid_stream_and_restarted(tmp_path: Path) -> None:
    data = tmp_path / "server"
    server, url = start_server(data, 0, "--rate-limit", "100000")
    alice, bob = token(data, "alice"), token(data, "bob")
    # Synced once first: tail then prints what its own first sync brings too (a store's
    # very first sync is old history, not printed), so no line is lost to its start.
    assert history(tmp_path / "bob-tail", url, bob, "alice") == []
    tail = subprocess.Popen(
        [*IMKIT, "tail", "--server", url, "--token", bob, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_for(tmp_path / "bob-tail"),
    )
    sender = subprocess.Popen(
        [*IMKIT, "send", "--server", url, "--token", alice, "--to", "bob", "-", "--timeout", "120"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_for(tmp_path / "alice"),
    )
    try:
        assert sender.stdin is not None
        sender.stdin.write("\n".join(_lines()) + "\n")
        sender.stdin.close()
        wait_until(lambda: stored_count(data) >= 300, 60, "300 messages stored")
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        killed_at = stored_count(data)
        assert killed_at < MESSAGES, "the stream ended before the kill: nothing was tested"
        time.sleep(0.5)
        # The API port stays free-picked: port + 1 may be a client socket's port by now.
        server, _ = start_server(data, port_of(url), "--rate-limit", "100000", "--api-port", "0")
        assert sender.wait(120) == 0, _stderr(sender)
        assert stored_count(data) == MESSAGES

        received = history(tmp_path / "bob", url, bob, "alice")
        assert_exactly_once_in_order(received, _lines())

        live: list[dict[str, object]] = []
        assert tail.stdout is not None
        while len(live) < MESSAGES:
            line = tail.stdout.readline()
            assert line, f"tail ended after {len(live)} messages"
            live.append(json.loads(line))
        assert_exactly_once_in_order(live, _lines())  # type: ignore[arg-type]
    finally:
        for process in (sender, tail, server):
            _stop(process)


def test_sending_client_killed_mid_stream_and_run_again(tmp_path: Path) -> None:
    data = tmp_path / "server"
    server, url = start_server(data, 0, "--rate-limit", "100000")
    alice, bob = token(data, "alice"), token(data, "bob")
    stdin_text = "\n".join(_lines()) + "\n"
    command = [
        *IMKIT, "send", "--server", url, "--token", alice, "--to", "bob", "-",
        "--key", "nightly-import", "--timeout", "120",
    ]  # fmt: skip
    try:
        first = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env_for(tmp_path / "alice"),
        )
        assert first.stdin is not None
        first.stdin.write(stdin_text)
        first.stdin.close()
        wait_until(lambda: stored_count(data) >= 300, 60, "300 messages stored")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert stored_count(data) < MESSAGES, "the stream ended before the kill"

        again = subprocess.run(
            command,
            input=stdin_text,
            capture_output=True,
            text=True,
            env=env_for(tmp_path / "alice"),
            timeout=120,
        )
        assert again.returncode == 0, again.stderr
        assert stored_count(data) == MESSAGES
        assert_exactly_once_in_order(history(tmp_path / "bob", url, bob, "alice"), _lines())
    finally:
        _stop(server)


def test_sender_killed_mid_upload_sends_the_file_once_on_rerun(tmp_path: Path) -> None:
    data = tmp_path / "server"
    server, url = start_server(data)
    alice, bob = token(data, "alice"), token(data, "bob")
    payload = tmp_path / "dataset.bin"
    payload.write_bytes(b"PK\x03\x04" + bytes(range(256)) * (30 * 4096))  # ~30 MB
    send = [*IMKIT, "send", "--server", url, "--token", alice, "--to", "bob"]
    send += ["--file", str(payload), "--key", "upload-1", "--timeout", "120"]
    home = tmp_path / "alice"
    partial_dir = data / "media" / "partial"

    def upload_started() -> bool:
        return any(p.stat().st_size > 1_000_000 for p in partial_dir.glob("*/*.part"))

    try:
        first = subprocess.Popen(
            send, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env_for(home)
        )
        try:
            wait_until(upload_started, 60, "the upload to start")
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            _stop(first)
        assert stored_count(data) == 0, "the message went out before its file"

        rerun = subprocess.run(send, capture_output=True, text=True, env=env_for(home), timeout=120)
        assert rerun.returncode == 0, rerun.stderr
        again = subprocess.run(send, capture_output=True, text=True, env=env_for(home), timeout=120)
        assert again.returncode == 0, again.stderr

        received = history(tmp_path / "bob", url, bob, "alice")
        assert len(received) == 1, "the file message was lost or duplicated"
        digest = hashlib.sha256(payload.read_bytes()).hexdigest()
        assert received[0]["content"]["fileUrl"] == f"imkit-media:{digest}"
        stored = data / "media" / digest[:2] / digest
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == digest
        assert not list(partial_dir.glob("*/*.part"))
    finally:
        _stop(server)
