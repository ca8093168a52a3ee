"""What /proc tells about a process, for the benches that measure CPU time."""

from __future__ import annotations

import math
import os
from pathlib import Path


def loop_cpu_seconds(pid: int) -> float:
    """CPU time the main thread of process `pid` (an asyncio server's event loop) has
    used so far, from its schedstat (nanoseconds); NaN where /proc does not tell."""
    try:
        return int(Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return math.nan


def cpu_seconds(pid: int) -> float:
    """CPU time the process `pid` has used so far, all its threads: from each thread's
    schedstat (nanoseconds), else from its stat (user and system, in clock ticks of
    10 ms, too coarse for ratios near 1.3); NaN where /proc is not there to tell."""
    try:
        running = sum(
            int((task / "schedstat").read_text().split()[0])
            for task in Path(f"/proc/{pid}/task").iterdir()
        )
    except (OSError, ValueError, IndexError):
        running = 0
    if running:  # 0 where the kernel keeps no schedstats
        return running / 1e9
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
