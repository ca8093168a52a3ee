"""The hooks' HTTP client against aiohttp's: what one POST costs the sending process.

A backend in a process of its own on 127.0.0.1 answers every POST at once. The same
signed form POSTs go through `aiohttp.ClientSession` and through the hooks' own client
(`imkit_tui.server.hooks.http1.HttpClient`), one at a time and 8 at once, interleaved
`--repeat` times. Quoted: CPU time of this process per request (what the chat's loop
pays) and the round trip's p50, each as a ratio of the hooks' client to aiohttp's.

Run: ``python bench/http_client.py [--repeat 5] [--requests 2000] [--json]``. Always
exits 0; this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from _args import positive_int
from routing import backend_process

from imkit_tui.server.hooks.http1 import HttpClient

FORM = "application/x-www-form-urlencoded"
BODY = (
    b"fromUserId=alice&toUserId=bob&objectName=RC%3ATxtMsg&content=%7B%22content%22%3A"
    b"%22hello%22%7D&channelType=PERSON&msgTimeStamp=1765100000000&msgUID=abc&source=iOS"
)

Post = Callable[[str], Awaitable[int]]


async def _measure(post: Post, url: str, count: int, at_once: int) -> dict[str, float]:
    samples: list[float] = []

    async def one_lane(n: int) -> None:
        for i in range(n):
            started = time.perf_counter()
            status = await post(f"{url}/route?appKey=k&nonce={i}&timestamp=1&signature=s")
            samples.append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"the backend answered {status}")

    cpu = time.process_time()
    await asyncio.gather(*(one_lane(count // at_once) for _ in range(at_once)))
    cpu = time.process_time() - cpu
    return {"cpu_us": cpu / len(samples) * 1e6, "p50_ms": statistics.median(samples) * 1e3}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Both clients `--repeat` times, interleaved; medians and ratios."""
    ports: Any = multiprocessing.Queue()
    process = multiprocessing.Process(target=backend_process, args=(ports,), daemon=True)
    process.start()
    rows: dict[str, list[dict[str, float]]] = {}
    try:
        url = f"http://127.0.0.1:{ports.get(timeout=20)}"
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        client = HttpClient(timeout=5)

        async def by_aiohttp(target: str) -> int:
            headers = {"Content-Type": FORM}
            async with session.post(target, data=BODY, headers=headers) as answer:
                await answer.read()
                return answer.status

        async def by_http1(target: str) -> int:
            return (await client.post(target, BODY, FORM)).status

        try:
            for at_once in (1, 8):
                for post in (by_aiohttp, by_http1):  # warm: connections, first imports
                    await _measure(post, url, 200, at_once)
            for _ in range(args.repeat):
                for at_once in (1, 8):
                    for name, post in (("aiohttp", by_aiohttp), ("http1", by_http1)):
                        got = await _measure(post, url, args.requests, at_once)
                        rows.setdefault(f"{name} x{at_once}", []).append(got)
        finally:
            await session.close()
            await client.close()
    finally:
        process.terminate()
        process.join(5)
    medians = {
        key: {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        for key, runs in rows.items()
    }
    ratios = {
        f"x{n}": {
            k: medians[f"http1 x{n}"][k] / medians[f"aiohttp x{n}"][k] for k in ("cpu_us", "p50_ms")
        }
        for n in (1, 8)
    }
    return {"repeat": args.repeat, "requests": args.requests, "medians": medians, "ratios": ratios}


def render(f: dict[str, Any]) -> str:
    """The figures as a table and the ratios."""
    lines = [
        f"medians of {f['repeat']} interleaved runs of {f['requests']} POSTs",
        f"{'client':<14}{'CPU us/request':>16}{'p50 ms':>10}",
    ]
    for key, row in f["medians"].items():
        lines.append(f"{key:<14}{row['cpu_us']:>16.1f}{row['p50_ms']:>10.3f}")
    for n, ratio in f["ratios"].items():
        lines.append(
            f"hooks' client / aiohttp, {n} at once: CPU {ratio['cpu_us']:.2f}x,"
            f" p50 {ratio['p50_ms']:.2f}x"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=positive_int, default=5)
    parser.add_argument("--requests", type=positive_int, default=2000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args))
    print(json.dumps(figures, indent=2) if args.json else render(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
