"""Start-up: process start to the first complete frame of `imkit`, in two cases.

1. A big store: 1,000 conversations and 100,000 messages. imkit is pointed at a server
   that is not there, so the figure is the app's own start-up (store, list, first
   paint), not a network round trip.
2. The embedded default on a fresh home: plain `imkit` (no --server) on an empty
   $IMKIT_HOME each run: it draws its first frame (an empty list), then creates its
   store, runs its own server, seeds the demo workspace and starts echo-bot.

The baseline is a minimal Textual app started the same way (a new Python process on a
pseudo-terminal) in the same run, alternating with both cases. Each writes the time of
its first complete frame, and its CPU time by then, to a file named by $IMKIT_READY_FILE.
Only the ratios mean much.

Run: ``python bench/startup.py [--runs N] [--conversations N] [--messages N]``. Exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import os
import pty
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from _proc import cpu_seconds

import imkit_tui
from imkit_tui.core.store import Coverage, LocalStore
from imkit_tui.paths import Paths
from imkit_tui.protocol import ConvRef, MessageRecord
from imkit_tui.protocol.tokens import issue_token

SERVER = "ws://127.0.0.1:9"  # discard port: nothing answers, the app shows "reconnecting"
TARGET_RATIO = 1.3

MINIMAL_APP = textwrap.dedent(
    """
    import os, time
    from pathlib import Path
    from textual.app import App
    from textual.widgets import Footer, Static

    class Minimal(App):
        def compose(self):
            yield Static("hello")
            yield Footer()

        def on_mount(self):
            self.call_after_refresh(
                lambda: Path(os.environ["IMKIT_READY_FILE"]).write_text(
                    f"{time.time()!r} {time.process_time()!r}"
                )
            )

    Minimal().run()
    """
)


async def fill_store(home: Path, conversations: int, messages: int) -> None:
    """Write the big store the way sync would, in batches."""
    path = Paths.resolve(home).account_store(SERVER, "me")
    store = await LocalStore.open(path, "me")
    per_conversation = max(1, messages // conversations)
    base = int(time.time() * 1000) - messages * 1000
    try:
        for c in range(conversations):
            peer = f"user{c:04d}"
            conv = ConvRef.private(peer)
            records = [
                MessageRecord(
                    uid=f"{peer}-{i}",
                    conv=conv,
                    seq=i + 1,
                    sender=peer if i % 3 else "me",
                    object_name="RC:TxtMsg",
                    content={"content": f"message {i} from {peer}"},
                    cmid=f"c-{peer}-{i}",
                    sent_at=base + (c * per_conversation + i) * 1000,
                )
                for i in range(per_conversation)
            ]
            coverage = Coverage(per_conversation, 1, per_conversation)
            await store.messages.add_received(conv, records, coverage)
    finally:
        await store.close()


def time_start(
    command: list[str], env: dict[str, str], ready: Path, timeout: float = 60
) -> tuple[float, float]:
    """Seconds from starting `command` on a pty to its ready file being written, and the
    CPU seconds the process had used by its first frame (a figure other work on the
    machine moves less): as the process wrote it in the file, else as /proc tells when
    the file was seen."""
    ready.unlink(missing_ok=True)
    leader, follower = pty.openpty()
    os.set_blocking(leader, False)
    started = time.time()
    process = subprocess.Popen(
        command, stdin=follower, stdout=follower, stderr=follower, env=env, close_fds=True
    )
    os.close(follower)
    try:
        deadline = started + timeout
        answered = False
        while not ready.exists() or not ready.read_text():
            if time.time() > deadline:
                raise TimeoutError(f"{command[:3]} never drew its first frame")
            with contextlib.suppress(BlockingIOError):
                output = os.read(leader, 65536)  # keep the terminal drained
                if not answered and b"\x1b[c" in output:
                    # Answer the device-attributes query as a real terminal does (a
                    # VT220 without graphics), so imkit's graphics probe does not wait.
                    os.write(leader, b"\x1b[?62;22c")
                    answered = True
            time.sleep(0.002)
        seen_cpu = cpu_seconds(process.pid)
        when, _, cpu = ready.read_text().partition(" ")
        # The process's own account of its CPU time at its first frame, else what it had
        # used when the file was seen (which counts the work it does after that frame).
        return float(when) - started, float(cpu) if cpu else seen_cpu
    finally:
        process.kill()
        process.wait()
        os.close(leader)


def main() -> int:
    """Fill a store, then time the three start-ups alternately and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    times: dict[str, list[tuple[float, float]]] = {"minimal": [], "big store": [], "embedded": []}
    # As `pip install` does: a run with PYTHONDONTWRITEBYTECODE set would otherwise compile
    # every imkit module from source on every start (Textual's are compiled at install).
    compileall.compile_dir(Path(imkit_tui.__file__).parent, quiet=1)
    with tempfile.TemporaryDirectory(prefix="imkit-startup-") as tmp:
        root = Path(tmp)
        home = root / "home"
        began = time.perf_counter()
        asyncio.run(fill_store(home, args.conversations, args.messages))
        print(f"store: {args.conversations} conversations, {args.messages} messages "
              f"(written in {time.perf_counter() - began:.1f} s)")  # fmt: skip
        ready = root / "ready"
        env = dict(os.environ, IMKIT_HOME=str(home), IMKIT_READY_FILE=str(ready),
                   TERM="xterm-256color", COLUMNS="120", LINES="36")  # fmt: skip
        token = issue_token(b"0" * 32, "me")
        imkit = [sys.executable, "-m", "imkit_tui", "--server", SERVER, "--token", token]
        embedded = [sys.executable, "-m", "imkit_tui", "--user", "me"]
        script = root / "minimal.py"
        script.write_text(MINIMAL_APP)
        minimal = [sys.executable, str(script)]
        for run in range(args.runs):
            times["minimal"].append(time_start(minimal, env, ready))
            times["big store"].append(time_start(imkit, env, ready))
            fresh = dict(env, IMKIT_HOME=str(root / f"fresh-{run}"))
            times["embedded"].append(time_start(embedded, fresh, ready))
    wall = {case: statistics.median(t[0] for t in runs) for case, runs in times.items()}
    cpu = {case: statistics.median(t[1] for t in runs) for case, runs in times.items()}
    print(f"minimal Textual app:        p50 {wall['minimal'] * 1000:.0f} ms "
          f"(CPU {cpu['minimal'] * 1000:.0f} ms) over {args.runs} runs")  # fmt: skip
    for case, label in (("big store", "imkit, big store"), ("embedded", "imkit, embedded, fresh")):
        ratio = wall[case] / wall["minimal"]
        verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
        print(f"{label + ':':27} p50 {wall[case] * 1000:.0f} ms, {ratio:.2f}x "
              f"(aim ≤ {TARGET_RATIO}x: {verdict}); CPU {cpu[case] * 1000:.0f} ms, "
              f"{cpu[case] / cpu['minimal']:.2f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
