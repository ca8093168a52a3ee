"""Several nodes: sustained messages a second for one node on SQLite, one node on
PostgreSQL, and two nodes on PostgreSQL + NATS, in one run; and send→receive latency
across nodes beside the same node.

Each node is a process of its own (bench/server_load.py's `--serve imkit`, its send
limit and per-connection pace lifted). The load is server_load.py's open-loop sweep:
`--pairs` senders each in a private chat with a receiver of its own, sends scheduled
at fixed times, a message's latency from its scheduled time until its receiver holds
the Push. On two nodes the senders are on one node and the receivers on the other, so
every message crosses the bus; the same-node figures come from a second load with both
ends on one of the two nodes, at the same rates, taking turns with it. Only the ratios
mean something: the generator, both nodes, PostgreSQL and NATS share the machine.

Needs PostgreSQL and NATS (IMKIT_TEST_POSTGRES, IMKIT_TEST_NATS, defaults as the
tests'). Run: ``python bench/cluster.py [--rates R,R,...] [--seconds S] [--pairs N]
[--json]``. Always exits 0; a measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _args import positive_int
from _pg import drop_schemas, schema_url
from server_load import P99_LIMIT_MS, Load, rate_list, sustained

NATS = os.environ.get("IMKIT_TEST_NATS", "nats://127.0.0.1:4222")
DEFAULT_RATES = (250, 500, 1000, 1500, 2000, 3000, 4000)
SERVE = Path(__file__).with_name("server_load.py")


def start_node(data: Path, store: str = "", bus: str = "") -> tuple[subprocess.Popen[str], str]:
    """One node in a process of its own; it and its URL."""
    args = [sys.executable, str(SERVE), "--serve", "imkit", "--data-dir", str(data)]
    if store:
        args += ["--store", store]
    if bus:
        args += ["--bus", bus]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.strip():
        process.kill()
        raise RuntimeError(f"the node {args} did not start")
    return process, f"ws://127.0.0.1:{int(line)}"


async def run(rates: Sequence[int], seconds: float, pairs: int) -> dict[str, Any]:
    """The three set-ups under the same load, rate by rate, taking turns."""
    from imkit_tui.protocol.tokens import issue_token
    from imkit_tui.server.auth import load_or_create_secret

    run_id = uuid.uuid4().hex[:8]
    schemas = [f"bench_{run_id}_one", f"bench_{run_id}_two"]
    processes: list[subprocess.Popen[str]] = []
    loads: dict[str, Load] = {}
    steps: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="imkit-cluster-") as root:
        try:
            urls: dict[str, str] = {}
            for name, store, bus in (
                ("sqlite", "", ""),
                ("postgresql", schema_url(schemas[0]), ""),
                ("two_a", schema_url(schemas[1]), f"{NATS}?subject=bench-{run_id}"),
                ("two_b", schema_url(schemas[1]), f"{NATS}?subject=bench-{run_id}"),
            ):
                data = Path(root) / (name if not name.startswith("two") else "two")
                process, urls[name] = start_node(data, store, bus)
                processes.append(process)
            for name, sender_url, receiver_url, data_name in (
                ("sqlite", urls["sqlite"], urls["sqlite"], "sqlite"),
                ("postgresql", urls["postgresql"], urls["postgresql"], "postgresql"),
                ("two nodes, across", urls["two_a"], urls["two_b"], "two"),
                ("two nodes, same node", urls["two_a"], urls["two_a"], "two"),
            ):
                secret = load_or_create_secret(Path(root) / data_name)
                tag = name[:3] + str(len(loads))
                tokens = [
                    (
                        issue_token(secret, f"s{tag}{i}"),
                        f"r{tag}{i}",
                        issue_token(secret, f"r{tag}{i}"),
                    )
                    for i in range(pairs)
                ]
                loads[name] = Load(sender_url, tokens, receiver_url)
                await loads[name].connect()
                steps[name] = []
            for rate in rates:
                for name, load in loads.items():
                    steps[name].append(await load.step(rate, seconds))
        finally:
            for process in processes:
                process.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(5)
            with contextlib.suppress(Exception):
                await drop_schemas(schemas)
    figures: dict[str, Any] = {"pairs": pairs, "seconds": seconds, "steps": steps}
    figures["sustained"] = {name: sustained(found)[0] for name, found in steps.items()}
    return figures


def render(figures: dict[str, Any]) -> str:
    """The sweep as a table, then each set-up's sustained rate and the ratios."""
    names = list(figures["steps"])
    header = f"{'rate/s':>8}" + "".join(f"{name[:22]:>26}" for name in names)
    lines = [
        f"open-loop sweep, {figures['pairs']} pairs, {figures['seconds']:g} s a rate; "
        "p50 / p99 ms (lost)",
        header,
    ]
    for row in zip(*(figures["steps"][name] for name in names), strict=True):
        cells = "".join(
            f"{step['p50']:>11.1f} /{step['p99']:>7.1f} ({step['lost']:>3})" for step in row
        )
        lines.append(f"{row[0]['rate']:>8}{cells}")
    best = figures["sustained"]
    base = best["sqlite"] or 1
    lines.append(f"sustained at p99 <= {P99_LIMIT_MS:g} ms, and as a share of SQLite's:")
    for name in names:
        lines.append(f"  {name}: {best[name]}/s ({best[name] / base:.2f}x)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run the sweep and print the figures. Returns 0 either way."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rates", type=rate_list, default=list(DEFAULT_RATES))
    parser.add_argument("--seconds", type=float, default=2.0, help="per rate (default 2)")
    parser.add_argument("--pairs", type=positive_int, default=50, help="senders (default 50)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args.rates, args.seconds, args.pairs))
    print(json.dumps(figures) if args.json else render(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
