"""End to end in real terminals under a virtual display: kitty, tmux inside kitty, xterm.

Each case starts the installed ``imkit`` on a fresh home in a real terminal under Xvfb,
reads which graphics protocol it chose (its log, ``imkit -v``), opens ``# Design``, the
picture in the viewer and back, and takes screenshots (ImageMagick's ``import``); the
title of the window, and inside tmux the pane's title, must hold nothing of the probe.
A terminal this machine does not have is skipped, with the reason. Screenshots go to
``$IMKIT_SCREENSHOTS`` when set (``tests/e2e/real_terminals.sh`` sets it), else to the
test's temporary folder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from imkit_tui.ui.images.terminal_probe import draws_placeholders

REQUIRED = ("Xvfb", "import", "xdotool")
MISSING = [tool for tool in REQUIRED if shutil.which(tool) is None]
pytestmark = [
    pytest.mark.skipif(
        bool(MISSING), reason=f"needs {', '.join(MISSING)} (Xvfb, ImageMagick, xdotool)"
    ),
    pytest.mark.timeout(300),
]

PROBE_TEXT = re.compile(r"Gi=|a=[TqQ]|tmux;|1337;")
"""What the probe or a picture would leave in a title."""

STARTUP = 90.0
"""Seconds the app may take to seed the demo and draw on a slow, shared machine."""


def _imkit() -> str:
    found = Path(sys.executable).with_name("imkit")
    return str(found) if found.exists() else shutil.which("imkit") or "imkit"


def kitty_version() -> str:
    """``kitty(0.26.5)``, as kitty names itself in XTVERSION; empty without kitty."""
    if shutil.which("kitty") is None:
        return ""
    shown = subprocess.run(["kitty", "--version"], capture_output=True, text=True, check=False)
    match = re.search(r"kitty (\S+)", shown.stdout)
    return f"kitty({match[1]})" if match else ""


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """A virtual X display of its own (Xvfb), for the module's terminals."""
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    number = b""
    while not number.endswith(b"\n"):
        chunk = os.read(read, 16)
        if not chunk:
            break
        number += chunk
    os.close(read)
    if not number.strip():
        server.kill()
        pytest.skip("Xvfb did not start")
    yield f":{number.decode().strip()}"
    server.terminate()
    server.wait(10)


@dataclass
class Run:
    """One imkit in one terminal: its home, log, environment and screenshots."""

    name: str
    home: Path
    shots: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.home / "cache" / "imkit.log"

    def chosen(self, timeout: float = STARTUP) -> str:
        """The protocol the app chose, from its log (waits for the line)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log.exists():
                match = re.search(r"graphics: (\S+) \(tmux: (\w+)\)", self.log.read_text())
                if match:
                    return match[1]
            time.sleep(0.3)
        raise AssertionError(f"{self.name}: no graphics line in {self.log}")

    def wait_ready(self, timeout: float = STARTUP) -> None:
        """Wait until the demo is seeded and the app has had time to draw."""
        marker = self.home / "data" / "server" / "demo-created"
        deadline = time.monotonic() + timeout
        while not list(self.home.rglob("demo-created")) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert list(self.home.rglob("demo-created")), f"{self.name}: no demo in {marker.parent}"
        from PIL import Image

        previous: list[tuple[int, tuple[int, int, int]]] | None = None
        while time.monotonic() < deadline:  # drawn: many colours, and two shots alike
            path = self.screenshot("0-start")
            with Image.open(path) as shot:
                colours = shot.convert("RGB").getcolors(1 << 20) or []
            if len(colours) > 40 and colours == previous:
                time.sleep(2)  # the list can take keys once it is drawn
                return
            previous = colours
            time.sleep(1.5)
        raise AssertionError(f"{self.name}: the app was not drawn")

    def screenshot(self, label: str) -> Path:
        """A screenshot of the whole display."""
        path = self.shots / f"{self.name}-{label}.png"
        subprocess.run(
            ["import", "-window", "root", str(path)], env=self.env, check=True, timeout=30
        )
        return path

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("IMKIT_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def start(display: str, name: str, home: Path, shots: Path, command: list[str]) -> Run:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TMUX", "KITTY", "TERM", "COLORTERM", "IMKIT_GRAPHICS"))
    }
    env.update(DISPLAY=display, LANG="C.UTF-8", LC_ALL="C.UTF-8")
    run = Run(name, home, shots, env)
    run.process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return run


def window_of(run: Run, klass: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = subprocess.run(
            ["xdotool", "search", "--class", klass],
            env=run.env,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        if found:
            return found[-1]
        time.sleep(0.3)
    raise AssertionError(f"{run.name}: no {klass} window")


def keys(run: Run, window: str, *names: str) -> None:
    """Type keys into the terminal's window, one at a time, as a person would."""
    subprocess.run(["xdotool", "windowfocus", window], env=run.env, check=False)
    for name in names:
        subprocess.run(["xdotool", "key", name], env=run.env, check=True)
        time.sleep(0.6)


def window_title(run: Run, window: str) -> str:
    return subprocess.run(
        ["xdotool", "getwindowname", window], env=run.env, capture_output=True, text=True
    ).stdout


OPEN_DESIGN = ("Down", "Return")
"""From the list at start: ``# Design`` is the second conversation."""
SELECT_PICTURE = ("Escape", "Tab", "G", "Up", "Up", "Up", "Up")
"""Into the chat, to its newest message, up past the place, the file and the voice note."""


def walk_through(
    run: Run, press: object, *, true_size: bool = False, drawn: bool = True
) -> list[Path]:
    """Open ``# Design``, its picture in the viewer (and 1:1 with ``true_size``) and back,
    with a screenshot each; `drawn`: whether the terminal can show the picture at all (if
    not, the viewer's shot is not waited for)."""
    assert callable(press)
    press(*OPEN_DESIGN)
    time.sleep(2)
    taken = [run.screenshot("1-design")]
    press(*SELECT_PICTURE, "o")
    # Downloading, decoding and encoding take a while.
    deadline = time.monotonic() + (30 if drawn else 0)
    time.sleep(3)
    while card_pixels(run.screenshot("2-viewer")) < 2000 and time.monotonic() < deadline:
        time.sleep(2)
    taken.append(run.shots / f"{run.name}-2-viewer.png")
    if true_size:  # t: the app steps aside, the picture pixel for pixel, a key comes back
        press("t")
        deadline = time.monotonic() + 30
        while card_pixels(run.screenshot("2-true-size")) < 1000 and time.monotonic() < deadline:
            time.sleep(2)
        assert card_pixels(run.shots / f"{run.name}-2-true-size.png") >= 1000
        press("space")
        time.sleep(3)
    press("Escape")
    time.sleep(2)
    taken.append(run.screenshot("3-back"))
    return taken


CARD = (255, 170, 90)
"""The orange of the first card in the demo's mock-up picture."""


def card_pixels(path: Path) -> int:
    """How many pixels of a screenshot have the card's orange (the picture is on screen)."""
    from PIL import Image

    with Image.open(path) as shot:
        colours = shot.convert("RGB").getcolors(1 << 24) or []
    return sum(
        count
        for count, rgb in colours
        if all(abs(a - b) < 12 for a, b in zip(rgb, CARD, strict=True))
    )


def check_shots(taken: list[Path]) -> None:
    """The picture fills the viewer, and is gone from the screen after it."""
    design, viewer, back = (card_pixels(path) for path in taken)
    assert viewer > 2000 and viewer > 2 * max(design, back), (design, viewer, back)


@pytest.mark.skipif(shutil.which("kitty") is None, reason="kitty is not installed")
def test_kitty(display: str, tmp_path: Path, shots: Path) -> None:
    version = kitty_version()
    expected = "kitty" if draws_placeholders(version) else "kitty-direct"
    run = start(
        display,
        f"kitty-{version.removeprefix('kitty(').removesuffix(')')}",
        tmp_path / "home",
        shots,
        [
            "kitty",
            "-o",
            "remember_window_size=no",
            _imkit(),
            "-v",
            "--home",
            str(tmp_path / "home"),
        ],
    )
    try:
        assert run.chosen() == expected, version
        run.wait_ready()
        window = window_of(run, "kitty")
        taken = walk_through(run, lambda *names: keys(run, window, *names), true_size=True)
        check_shots(taken)
        assert not PROBE_TEXT.search(window_title(run, window))
    finally:
        run.stop()


@pytest.mark.skipif(shutil.which("xterm") is None, reason="xterm is not installed")
def test_xterm_with_sixel(display: str, tmp_path: Path, shots: Path) -> None:
    home = tmp_path / "home"
    command = [
        "xterm", "-ti", "vt340", "-geometry", "120x36", "-fa", "DejaVu Sans Mono", "-fs", "10",
        "-xrm", "XTerm*numColorRegisters: 1024", "-xrm", "XTerm*allowWindowOps: true",
        "-e", "env", "COLORTERM=truecolor", _imkit(), "-v", "--home", str(home),
    ]  # fmt: skip
    run = start(display, "xterm-vt340", home, shots, command)
    try:
        assert run.chosen() == "sixel"
        run.wait_ready()
        window = window_of(run, "xterm")
        taken = walk_through(run, lambda *names: keys(run, window, *names), true_size=True)
        check_shots(taken)
        assert not PROBE_TEXT.search(window_title(run, window))
    finally:
        run.stop()


TMUX_KEYS = {"Return": "Enter"}
"""tmux's names of the keys whose X names differ."""

TMUX_CONF = """\
set -g allow-passthrough on
set -as terminal-features ',xterm-kitty:RGB'
set -g status on
"""


@pytest.mark.skipif(
    shutil.which("kitty") is None or shutil.which("tmux") is None,
    reason="needs kitty and tmux",
)
@pytest.mark.parametrize("forced", ["", "kitty"])
def test_tmux_inside_kitty(display: str, tmp_path: Path, shots: Path, forced: str) -> None:
    version = kitty_version()
    expected = forced or ("kitty" if draws_placeholders(version) else "none")
    socket = f"imkit-e2e-{os.getpid()}-{forced or 'auto'}"
    conf = tmp_path / "tmux.conf"
    conf.write_text(TMUX_CONF)
    home = tmp_path / "home"
    launch = f"env IMKIT_GRAPHICS={forced or 'auto'} {_imkit()} -v --home {home}"
    command = [
        "kitty", "-o", "remember_window_size=no",
        "tmux", "-L", socket, "-f", str(conf), "new-session", "-s", "e2e", launch,
    ]  # fmt: skip
    run = start(display, f"tmux-in-kitty-{forced or 'auto'}", home, shots, command)

    def tmux(*arguments: str) -> str:
        return subprocess.run(
            ["tmux", "-L", socket, *arguments], capture_output=True, text=True, check=False
        ).stdout

    def press(*names: str) -> None:
        for name in names:
            tmux("send-keys", "-t", "e2e", TMUX_KEYS.get(name, name))
            time.sleep(0.6)

    try:
        assert run.chosen() == expected, version
        run.wait_ready()
        drawn = expected != "kitty" or draws_placeholders(version)  # forced on an old kitty
        taken = walk_through(run, press, drawn=drawn)
        for title in (
            tmux("display", "-p", "-t", "e2e", "#{pane_title}"),
            tmux("list-panes", "-a", "-F", "#{pane_title}"),
        ):
            assert not PROBE_TEXT.search(title), title
        assert "Design" in tmux("capture-pane", "-p", "-t", "e2e")
        if drawn:  # forced on an old kitty: boxes
            check_shots(taken)
    finally:
        tmux("kill-server")
        run.stop()
