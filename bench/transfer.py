"""File transfer throughput: imkit upload and download beside a bare websockets stream.

A real in-process `IMServer` and a real `IMClient` upload a file of N MB (random bytes,
so nothing is deduplicated) and download it again into an empty cache, each checked by
sha256. The baseline, in the same run and process, streams the same bytes over a bare
websockets connection in frames of the same size (base64 in JSON, as imkit sends them),
each answered with a small acknowledgement, which is the least a resumable upload needs.
Only the ratios mean anything: absolute MB/s move with the machine's noise.

Run: ``python bench/transfer.py [--mb N] [--rounds R] [--json]``. Always exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from imkit_tui.core import IMClient
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.server import IMServer, ServerConfig
from imkit_tui.server.auth import load_or_create_secret


async def _bare_stream(data: bytes, chunk: int) -> float:
    """Seconds to push `data` in acknowledged JSON frames over a bare websocket."""

    async def sink(ws: ServerConnection) -> None:
        async for frame in ws:
            decoded = json.loads(frame)
            base64.b64decode(decoded["data"])
            await ws.send('{"t":"ok"}')

    async with serve(sink, "127.0.0.1", 0, compression=None, max_size=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        async with connect(f"ws://127.0.0.1:{port}", compression=None, max_size=None) as ws:
            start = time.perf_counter()
            for offset in range(0, len(data), chunk):
                part = base64.b64encode(data[offset : offset + chunk]).decode()
                await ws.send(json.dumps({"t": "chunk", "offset": offset, "data": part}))
                await ws.recv()
            return time.perf_counter() - start


async def _imkit_round(folder: Path, data: bytes, index: int) -> tuple[float, float, int]:
    """Seconds to upload and to download `data` through imkit, and its chunk size."""
    server = IMServer(ServerConfig(data_dir=folder / f"server-{index}", port=0))
    await server.start()
    secret = load_or_create_secret(server.config.data_dir)
    source = folder / f"payload-{index}.bin"
    await asyncio.to_thread(source.write_bytes, data)
    client = IMClient(
        server_url=server.url,
        token=issue_token(secret, "alice"),
        store_path=folder / f"alice-{index}" / "store.db",
    )
    try:
        await client.start()
        await client.wait_synced(timeout=10)
        start = time.perf_counter()
        uploaded = await client.transfers.upload(source)
        upload = time.perf_counter() - start
        start = time.perf_counter()
        path = await client.transfers.download(uploaded.url)
        download = time.perf_counter() - start
        assert path.stat().st_size == len(data)
        return upload, download, client.transfers.chunk_size()
    finally:
        await client.close()
        await server.stop()


async def run(megabytes: int, rounds: int) -> dict[str, Any]:
    """Measure `rounds` alternating imkit and bare runs; return the medians and ratios."""
    data = os.urandom(megabytes * 1024 * 1024)
    uploads, downloads, bare = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(rounds):
            data = os.urandom(len(data))  # fresh bytes: never deduplicated
            up, down, chunk = await _imkit_round(Path(tmp), data, index)
            uploads.append(up)
            downloads.append(down)
            bare.append(await _bare_stream(data, chunk))
    mb = len(data) / (1024 * 1024)
    results = {
        "megabytes": megabytes,
        "rounds": rounds,
        "upload_mb_s": mb / statistics.median(uploads),
        "download_mb_s": mb / statistics.median(downloads),
        "bare_mb_s": mb / statistics.median(bare),
    }
    results["upload_ratio"] = statistics.median(uploads) / statistics.median(bare)
    results["download_ratio"] = statistics.median(downloads) / statistics.median(bare)
    return results


def main() -> None:
    """Parse the arguments, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=50, help="file size in MB (default 50)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    results = asyncio.run(run(args.mb, args.rounds))
    if args.json:
        print(json.dumps(results))
        return
    print(f"file: {args.mb} MB, {args.rounds} rounds (medians)")
    print(f"bare websocket stream : {results['bare_mb_s']:8.1f} MB/s")
    print(
        f"imkit upload          : {results['upload_mb_s']:8.1f} MB/s"
        f"  ({results['upload_ratio']:.2f}x the bare time)"
    )
    print(
        f"imkit download        : {results['download_mb_s']:8.1f} MB/s"
        f"  ({results['download_ratio']:.2f}x the bare time)"
    )


if __name__ == "__main__":
    main()
