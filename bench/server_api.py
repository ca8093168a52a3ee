"""Server API: signed requests a second, beside a bare aiohttp handler in the same run.

Three cases, each driven by one aiohttp client with `--concurrency` requests in flight,
against a real in-process `IMServer` with its Server API (signature checked on each
request, fresh nonce each time; its per-path call limit off, since the bench asks more
than the default allowance):

- `bare`: an aiohttp handler that answers `{"code": 200}` and does nothing (no
  signature, no server): the floor of HTTP on this machine;
- `getToken`: `/user/getToken.json` for a new user each time (a store write, a token);
- `publish`: `/message/private/publish.json` from alice to bob, bob online on a
  websocket (stored, pushed).

Each case runs `--requests` requests, `--rounds` times, interleaved; the median of the
rounds is printed with its ratio to `bare`. Only the ratios are meaningful.

Run: ``python bench/server_api.py [--requests N] [--concurrency N] [--rounds N]
[--json]``. Always exits 0; this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import json
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from _args import positive_int
from aiohttp import web
from websockets.asyncio.client import connect

from imkit_tui.protocol import Hello, encode
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.server import IMServer, ServerConfig
from imkit_tui.server.api.credentials import Credentials, load_or_create
from imkit_tui.server.api.runner import ApiConfig, ApiServer

Request = Callable[[aiohttp.ClientSession, int], Awaitable[None]]


def _headers(credentials: Credentials) -> dict[str, str]:
    nonce, timestamp = secrets.token_hex(8), str(int(time.time() * 1000))
    digest = hashlib.sha1((credentials.app_secret + nonce + timestamp).encode()).hexdigest()
    return {
        "App-Key": credentials.app_key,
        "Nonce": nonce,
        "Timestamp": timestamp,
        "Signature": digest,
    }


async def _drive(request: Request, total: int, concurrency: int) -> float:
    """Requests a second for `total` calls of `request`, `concurrency` at a time."""
    counter = itertools.count()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            while (n := next(counter)) < total:
                await request(session, n)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return total / (time.perf_counter() - start)


async def _bare_app() -> tuple[web.AppRunner, str]:
    async def answer(request: web.Request) -> web.Response:
        await request.post()
        return web.json_response({"code": 200})

    app = web.Application()
    app.router.add_post("/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "server"
        credentials = load_or_create(data, environ={})
        config = ServerConfig(data_dir=data, port=0, rate_per_second=1e9, rate_burst=10**9)
        server = IMServer(config)
        await server.start()
        # No call limit: the bench measures the work, not the allowance.
        api = ApiServer(server, credentials, ApiConfig(port=0, rate_per_second=None))
        await api.start()
        bare, bare_url = await _bare_app()
        bob = await connect(server.url, max_size=None)
        token = issue_token(credentials.app_secret.encode(), "bob", None)
        await bob.send(encode(Hello(id=1, versions=[1], token=token, device="bench")))
        await bob.recv()
        drain = asyncio.create_task(_drain(bob))
        run_id = secrets.token_hex(3)

        async def bare_call(session: aiohttp.ClientSession, n: int) -> None:
            async with session.post(bare_url + "/x", data={"userId": f"u{n}"}) as response:
                assert response.status == 200

        async def get_token(session: aiohttp.ClientSession, n: int) -> None:
            form = {"userId": f"u{run_id}-{n}", "name": "user"}
            async with session.post(
                api.url + "/user/getToken.json", data=form, headers=_headers(credentials)
            ) as response:
                assert (await response.json())["code"] == 200

        async def publish(session: aiohttp.ClientSession, n: int) -> None:
            form = {
                "fromUserId": "alice",
                "toUserId": "bob",
                "objectName": "RC:TxtMsg",
                "content": json.dumps({"content": f"message {n}"}),
            }
            async with session.post(
                api.url + "/message/private/publish.json", data=form, headers=_headers(credentials)
            ) as response:
                assert (await response.json())["code"] == 200

        cases: dict[str, Request] = {"bare": bare_call, "getToken": get_token, "publish": publish}
        rates: dict[str, list[float]] = {name: [] for name in cases}
        try:
            for _ in range(args.rounds):
                for name, call in cases.items():
                    run_id = secrets.token_hex(3)
                    rates[name].append(await _drive(call, args.requests, args.concurrency))
        finally:
            drain.cancel()
            await bob.close()
            await bare.cleanup()
            await api.stop()
            await server.stop()
    medians = {name: statistics.median(values) for name, values in rates.items()}
    return {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "per_second": medians,
        "ratio_to_bare": {name: medians[name] / medians["bare"] for name in medians},
    }


async def _drain(ws: Any) -> None:
    async for _ in ws:
        pass


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the medians and their ratios to the bare handler."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--requests", type=positive_int, default=2000)
    parser.add_argument("--concurrency", type=positive_int, default=16)
    parser.add_argument("--rounds", type=positive_int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = asyncio.run(_run(args))
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{args.requests} requests, {args.concurrency} in flight, median of {args.rounds}")
    for name, rate in result["per_second"].items():
        print(f"  {name:<9} {rate:8.0f}/s   {result['ratio_to_bare'][name]:.2f}x bare")
    return 0


if __name__ == "__main__":
    sys.exit(main())
