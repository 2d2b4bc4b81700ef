"""Start-up: spawn -> tools/list answer and the RSS at idle, beside a minimal one-tool FastMCP server (floor_server.py).

Both servers are spawned the same way (the Python, a script path) and timed the same way, in alternating runs,
so the ratio shows what our own imports and set-up add on top of what FastMCP itself costs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from benchmarks.common import Workspace, log, median, ours_argv
from benchmarks.processes import spawned, status_mb
from benchmarks.report import Figure

FLOOR_SERVER = Path(__file__).resolve().parent / "floor_server.py"


def floor_server_argv() -> list[str]:
    return [sys.executable, str(FLOOR_SERVER)]


async def time_startup(argv: list[str], env: dict[str, str], log_path: Path, name: str) -> tuple[float, float | None]:
    """Seconds from spawn to the tools/list answer, and the RSS (MiB) right then, at idle."""
    started = time.perf_counter()
    async with spawned(argv, env, log_path, name) as session:
        reply = await session.handshake()
        return reply.arrived - started, status_mb(session.pid, "VmRSS")


async def measure_startup(ws: Workspace, base_url: str, runs: int) -> list[Figure]:
    env, log_path = ws.env("startup", base_url), ws.log("startup")
    contenders = {"ours": (ours_argv(), "server"), "floor": (floor_server_argv(), "floor server")}
    for argv, name in contenders.values():
        await time_startup(argv, env, log_path, name)  # warm the file cache and .pyc files; discarded
    times: dict[str, list[float]] = {"ours": [], "floor": []}
    rss: dict[str, list[float]] = {"ours": [], "floor": []}
    for run in range(runs):
        order = ("ours", "floor") if run % 2 == 0 else ("floor", "ours")
        for who in order:
            argv, name = contenders[who]
            seconds, idle = await time_startup(argv, env, log_path, name)
            times[who].append(seconds * 1000)
            if idle is not None:
                rss[who].append(idle)
        log(f"start-up {run + 1}/{runs}: ours {times['ours'][-1]:.0f} ms, floor {times['floor'][-1]:.0f} ms")
    return [
        Figure(
            "startup_ms",
            "start-up: spawn -> tools/list",
            "ms",
            median(times["ours"]),
            median(times["floor"]),
            "minimal one-tool FastMCP server",
            1.10,
            "ratio",
            extra={
                # Noise hits both servers of a pair alike, so the median of per-pair ratios is steadier.
                "paired_ratio_median": median([o / f for o, f in zip(times["ours"], times["floor"])]),
                "ours_min_ms": min(times["ours"]),
                "floor_min_ms": min(times["floor"]),
            },
        ),
        Figure(
            "idle_rss_mb",
            "RSS at idle after start",
            "MB",
            median(rss["ours"]) if rss["ours"] else None,
            median(rss["floor"]) if rss["floor"] else None,
            "minimal one-tool FastMCP server",
        ),
    ]
