"""End to end: the installed `imkit` in a real terminal (tmux), talking to the echo bot."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")


def _imkit_command() -> str:
    beside_python = Path(sys.executable).parent / "imkit"
    found = str(beside_python) if beside_python.exists() else shutil.which("imkit")
    assert found is not None, "the imkit command is not installed"
    return found


class Terminal:
    """One tmux session running one command, on a tmux server of its own (`-L`), so
    another tmux user on the machine (or its `kill-server`) cannot disturb it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _tmux(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [TMUX or "tmux", "-L", self.name, *arguments],
            check=check,
            capture_output=True,
            text=True,
        )

    def start(self, command: str, width: int = 110, height: int = 32) -> None:
        self._tmux(
            "-f", "/dev/null", "new-session", "-d", "-s", self.name, "-x", str(width),
            "-y", str(height), command,
        )  # fmt: skip

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", self.name, *keys)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", self.name, "-l", text)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.name, check=False).stdout

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen()}")

    def record(self, path: Path) -> None:
        """From now on, append every byte the command writes to the terminal to `path`."""
        self._tmux("pipe-pane", "-o", "-t", self.name, f"cat >> {shlex.quote(str(path))}")

    def kill(self) -> None:
        self._tmux("kill-server", check=False)


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    session = Terminal(f"imkit-e2e-{time.monotonic_ns()}")
    try:
        yield session
    finally:
        session.kill()


def _chat_with_echo_bot(
    terminal: Terminal, home: Path, width: int = 110, height: int = 32, *, inside: str = ""
) -> None:
    """Start imkit for the first time (its own server, the echo bot) and open the bot's
    chat with ctrl+n. `inside` prefixes the command (``unshare -rn``)."""
    command = (
        f"{inside} env IMKIT_HOME={shlex.quote(str(home))} TERM=xterm-256color "
        f"{shlex.quote(_imkit_command())}; echo imkit-exited-with-$?; sleep 30"
    )
    terminal.start(command, width, height)
    terminal.wait_for("● connected")
    terminal.wait_for("echo-bot")
    terminal.keys("C-n")
    terminal.wait_for("New chat with")
    terminal.type("echo-bot")
    terminal.keys("Enter")
    terminal.wait_for("Message echo-bot")


def test_first_run_chats_with_the_echo_bot(terminal: Terminal, tmp_path: Path) -> None:
    home = tmp_path / "home"
    _chat_with_echo_bot(terminal, home)
    terminal.type("ping from tmux")
    terminal.keys("Enter")
    terminal.wait_for("echo: ping from tmux")
    terminal.keys("C-q")
    terminal.wait_for("imkit-exited-with-0")
    assert (home / "cache" / "imkit.log").exists(), "the app logs to a file, not the screen"


def _unshare_refusal() -> str | None:
    """Why this process cannot make an empty network namespace (None when it can)."""
    if shutil.which("unshare") is None:
        return "unshare is not installed"
    probe = subprocess.run(
        ["unshare", "-rn", "true"], capture_output=True, text=True, timeout=30, check=False
    )
    if probe.returncode != 0:
        return f"unshare -rn is not permitted here: {probe.stderr.strip()}"
    return None


def test_the_app_works_without_any_network(terminal: Terminal, tmp_path: Path) -> None:
    """In an empty network namespace (its loopback is down: a port can be bound, but
    nothing connects to it) the embedded app starts, connects in-process, and echo-bot
    answers. Before the in-process transport it ended with "not connected and synced
    in time"."""
    refusal = _unshare_refusal()
    if refusal is not None:
        pytest.skip(refusal)
    _chat_with_echo_bot(terminal, tmp_path / "home", inside="unshare -rn")
    terminal.type("anyone there offline?")
    terminal.keys("Enter")
    terminal.wait_for("echo: anyone there offline?")
    terminal.keys("C-q")
    terminal.wait_for("imkit-exited-with-0")


def _texts_stored(home: Path) -> list[str]:
    """Every text message in the stores of every account under `home` (read-only)."""
    texts: list[str] = []
    for path in home.rglob("store.db"):
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
            try:
                rows = conn.execute("SELECT content FROM messages").fetchall()
            except sqlite3.OperationalError:
                continue
        texts += [str(json.loads(content).get("content", "")) for (content,) in rows]
    return texts


def test_enter_right_after_fast_typing_sends_the_whole_text(
    terminal: Terminal, tmp_path: Path
) -> None:
    """`send-keys -l` of a long line then Enter at once, as a script or a terminal
    without bracketed paste does: the whole line is sent, the composer is left empty."""
    home = tmp_path / "home"
    _chat_with_echo_bot(terminal, home, width=80, height=24)
    ascii_text = " ".join(letter * 4 for letter in "abcdefghijklmnopqrstuvwxyz") + " done"
    chinese = "快速输入一段很长的中文，然后立刻按回车，整段文字都应该发出去，一个字也不能少。" * 4
    for text in (ascii_text, chinese):
        assert len(text) >= 130
        terminal.type(text)
        terminal.keys("Enter")
        deadline = time.monotonic() + 30
        while f"echo: {text}" not in _texts_stored(home) and time.monotonic() < deadline:
            time.sleep(0.2)
        stored = _texts_stored(home)
        assert f"echo: {text}" in stored, f"the echo of the whole text is missing: {stored}"
        halves = [t for t in stored if t and t != text and text.startswith(t)]
        assert not halves, f"part of the text was sent on its own: {halves}"
        terminal.wait_for("Message echo-bot")  # the placeholder: the composer is empty


def test_two_imkit_processes_of_one_user_follow_each_other(tmp_path: Path) -> None:
    """The same user in two terminals: both receive, each shows what the other sent,
    reading on one clears the other's badge, and a pin follows."""
    from tests.processes import imkit, start_server, token

    data = tmp_path / "server"
    server, url = start_server(data)
    me, bob = token(data, "me"), token(data, "bob")
    sent = imkit(tmp_path / "bob", "send", "--server", url, "--token", bob, "--to", "me", "hi")
    assert sent.returncode == 0, sent.stderr
    first, second = (
        Terminal(f"imkit-a-{time.monotonic_ns()}"),
        Terminal(f"imkit-b-{time.monotonic_ns()}"),
    )
    try:
        for index, screen in enumerate((first, second)):
            home = tmp_path / f"device-{index}"
            screen.start(
                f"env IMKIT_HOME={shlex.quote(str(home))} TERM=xterm-256color "
                f"{shlex.quote(_imkit_command())} --server {url} --token {me}; sleep 30"
            )
        for screen in (first, second):
            screen.wait_for("● connected")
            screen.wait_for(" 1 ")  # bob's unread badge

        first.keys("Enter")  # open bob: read here, so read on the other device too
        first.wait_for("Message bob")
        deadline = time.monotonic() + 20
        while " 1 " in second.screen() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert " 1 " not in second.screen(), "reading on one device left the badge on the other"

        first.type("sent from the first terminal")
        first.keys("Enter")
        second.wait_for("sent from the first terminal")  # the list's preview

        sent = imkit(
            tmp_path / "bob", "send", "--server", url, "--token", bob, "--to", "me", "to both"
        )
        assert sent.returncode == 0, sent.stderr
        first.wait_for("to both")
        second.wait_for("to both")

        second.keys("p")  # the list has focus there: pin bob…
        second.wait_for("📌")
        first.wait_for("📌")  # …and it is pinned on the other device
    finally:
        first.kill()
        second.kill()
        server.terminate()
        server.wait(10)


_FAULTS = """
import asyncio, logging, os, signal, sys, threading, warnings
from imkit_tui.cli import main

# A library's own handler on the terminal, made before the app starts (as basicConfig's).
logging.getLogger("some.library").addHandler(logging.StreamHandler())

def faults():
    logging.getLogger("probe").error("probe: a logged error")
    logging.getLogger("some.library").error("probe: a library logged this")
    future = asyncio.get_running_loop().create_future()
    future.set_exception(RuntimeError("probe: never retrieved"))
    del future  # collected now: asyncio reports it through its exception handler
    warnings.warn("probe: a warning", stacklevel=1)
    def fail():
        raise RuntimeError("probe: a thread failed")
    threading.Thread(target=fail).start()

real_run = asyncio.run

def run(coroutine, **options):
    async def with_faults():
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, faults)
        return await coroutine
    return real_run(with_faults(), **options)

asyncio.run = run
with open(sys.argv.pop(1), "w") as pid_file:
    pid_file.write(str(os.getpid()))
sys.exit(main())
"""


def test_errors_while_the_app_runs_go_to_its_log_file_never_to_the_terminal(
    terminal: Terminal, tmp_path: Path
) -> None:
    """The real `imkit` (its cli.main) in tmux, every byte it writes to the terminal
    recorded: an error logged, one logged by a library on a handler of its own made
    before the app started, a future whose exception nobody reads, a warning and a
    thread's exception all land in imkit.log, and none of them on the screen."""
    from tests.processes import start_server, token

    data = tmp_path / "server"
    server, url = start_server(data)
    home, script = tmp_path / "home", tmp_path / "faults.py"
    script.write_text(_FAULTS)
    pid_file, written = tmp_path / "pid", tmp_path / "terminal-output"
    try:
        terminal.start(
            f"sleep 1; env IMKIT_HOME={shlex.quote(str(home))} TERM=xterm-256color "
            f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} {shlex.quote(str(pid_file))}"
            f" --server {url} --token {token(data, 'me')}; sleep 30"
        )
        terminal.record(written)
        terminal.wait_for("● connected")
        os.kill(int(pid_file.read_text()), signal.SIGUSR1)
        log_file = home / "cache" / "imkit.log"
        expected = (
            "probe: a logged error",
            "probe: a library logged this",
            "Future exception was never retrieved",
            "probe: never retrieved",
            "probe: a warning",
            "probe: a thread failed",
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            logged = log_file.read_text() if log_file.exists() else ""
            if all(line in logged for line in expected):
                break
            time.sleep(0.2)
        terminal.keys("C-q")
    finally:
        server.terminate()
        server.wait(10)
    shown = written.read_text(errors="replace")
    assert "connected" in shown, "the terminal's output was not recorded"
    assert "probe" not in shown, "an error reached the terminal"
    assert [line for line in expected if line not in logged] == []
