"""End to end: the installed `imkit` in a real terminal (tmux), talking to the echo bot."""

from __future__ import annotations

import shlex
import shutil
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
    """One tmux session running one command."""

    def __init__(self, name: str) -> None:
        self.name = name

    def start(self, command: str, width: int = 110, height: int = 32) -> None:
        subprocess.run(
            [TMUX or "tmux", "new-session", "-d", "-s", self.name, "-x", str(width),
             "-y", str(height), command],
            check=True,
        )  # fmt: skip

    def keys(self, *keys: str) -> None:
        subprocess.run([TMUX or "tmux", "send-keys", "-t", self.name, *keys], check=True)

    def type(self, text: str) -> None:
        subprocess.run([TMUX or "tmux", "send-keys", "-t", self.name, "-l", text], check=True)

    def screen(self) -> str:
        result = subprocess.run(
            [TMUX or "tmux", "capture-pane", "-p", "-t", self.name],
            capture_output=True,
            text=True,
        )
        return result.stdout

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen()}")

    def kill(self) -> None:
        subprocess.run([TMUX or "tmux", "kill-session", "-t", self.name], capture_output=True)


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    session = Terminal(f"imkit-e2e-{time.monotonic_ns()}")
    try:
        yield session
    finally:
        session.kill()


def test_first_run_chats_with_the_echo_bot(terminal: Terminal, tmp_path: Path) -> None:
    home = tmp_path / "home"
    command = (
        f"env IMKIT_HOME={shlex.quote(str(home))} TERM=xterm-256color "
        f"{shlex.quote(_imkit_command())}; echo imkit-exited-with-$?; sleep 30"
    )
    terminal.start(command)
    terminal.wait_for("● connected")
    terminal.wait_for("echo-bot")
    terminal.keys("C-n")
    terminal.wait_for("New chat with")
    terminal.type("echo-bot")
    terminal.keys("Enter")
    terminal.wait_for("Message echo-bot")
    terminal.type("ping from tmux")
    time.sleep(0.3)
    terminal.keys("Enter")
    terminal.wait_for("echo: ping from tmux")
    terminal.keys("C-q")
    terminal.wait_for("imkit-exited-with-0")
    assert (home / "cache" / "imkit.log").exists(), "the app logs to a file, not the screen"
