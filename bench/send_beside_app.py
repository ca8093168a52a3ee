"""`imkit send` with the app open for the same user, against `imkit send` alone.

A real `IMServer` runs in this process. Each run times one `imkit send` process (start
to exit, acknowledged) for alice; the baseline runs have nothing else open, the others
have alice's "app" open on the same store: an `IMClient` on the store the command uses,
connected and synced, which stores the server's push of the same message. Only the
ratio means much; it should be near 1 (the command does not wait for its timeout).

Run: ``python bench/send_beside_app.py [--runs N] [--timeout SECONDS]``. Exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _args import positive_int

from imkit_tui.core import IMClient
from imkit_tui.paths import Paths
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.server import IMServer, ServerConfig
from imkit_tui.server.auth import load_or_create_secret


async def _send_once(home: Path, url: str, token: str, text: str, timeout: float) -> float:
    """Seconds from starting `imkit send` to its exit; its exit code is printed if not 0."""
    env = {**os.environ, "IMKIT_HOME": str(home)}
    args = ["send", "--server", url, "--token", token, "--to", "bob", "--timeout", str(timeout)]
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "imkit_tui", *args, text, env=env
    )
    code = await process.wait()
    took = time.perf_counter() - started
    if code:
        print(f"  imkit send exited {code}")
    return took


async def main(runs: int, timeout: float) -> None:
    """Time both ways, alternating, and print the medians and their ratio."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        server = IMServer(ServerConfig(data_dir=root / "server", port=0))
        await server.start()
        token = issue_token(load_or_create_secret(root / "server"), "alice")
        home = root / "home"
        alone: list[float] = []
        beside: list[float] = []
        try:
            await _send_once(home, server.url, token, "warm-up", timeout)
            for run in range(runs):
                alone.append(await _send_once(home, server.url, token, f"a{run}", timeout))
                app = IMClient(
                    server_url=server.url,
                    token=token,
                    store_path=Paths.resolve(home).account_store(server.url, "alice"),
                    device="app",
                )
                await app.start()
                try:
                    await app.wait_synced(timeout=30)
                    beside.append(await _send_once(home, server.url, token, f"b{run}", timeout))
                finally:
                    await app.close()
        finally:
            await server.stop()
    base, open_ = statistics.median(alone), statistics.median(beside)
    print(f"imkit send alone:        median {base:.2f} s over {runs} runs")
    print(f"imkit send, app open:    median {open_:.2f} s")
    print(f"ratio (app open / alone): {open_ / base:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=positive_int, default=3)
    parser.add_argument("--timeout", type=float, default=15.0, help="--timeout of imkit send")
    options = parser.parse_args()
    asyncio.run(main(options.runs, options.timeout))
