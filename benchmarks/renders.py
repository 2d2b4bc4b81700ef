"""Renders finishing together: ping round trips and wall time while 8 photo renders end at once, and CPU per image.

The floors: for the pings, the same server's pings at idle; for the wall time, one render alone on the same
server; for CPU, the bare work (floor_worker.py), its process's CPU per image.
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from benchmarks.common import FAKE_OPENAI, PROMPT, REQUEST_TIMEOUT, ROOT, SIZES, BenchError, Workspace, log, median, ours_argv, sent_request
from benchmarks.floor_worker import floor_generate, floor_worker_argv
from benchmarks.mcp_client import StdioSession, generate
from benchmarks.processes import cpu_ms, spawned
from benchmarks.report import Figure, show

RENDER_CALLS = 8
RENDER_SECONDS = 2.0  # the fake's clock per render, long enough that 8 started together also finish together
FAKE_QUEUED_SECONDS = 0.05  # FakeOpenAI.queued_seconds: a background response's wait before its render begins
RENDER_ROUNDS = 3  # rounds of one render alone, then 8 at once
PING_EVERY = 0.010
PING_LEAD = 0.5  # pinging starts this long before the fake finishes a round's renders
IDLE_PING_SECONDS = 2.0
CPU_IMAGES = 10  # sequential renders whose process CPU is averaged
QUICK_CPU_IMAGES = 2
PING_TARGET_MS = 50.0
RENDERS_RATIO_TARGET = 1.3

NOTES = (
    "Renders: 8 photo renders sent at once finish together on the fake's clock (the fake in a process of its own); "
    "MCP pings every 10 ms from 0.5 s before they finish until the last result; p99 by nearest rank, over every "
    "round but the first (which also opens the connections and starts the worker threads). "
    "CPU: utime + stime from /proc/<pid>/stat over sequential renders, warm-up excluded.",
)


@asynccontextmanager
async def fake_process(log_path: Path, render_seconds: float) -> AsyncIterator[str]:
    """The fake OpenAI server, photo-like, in a process of its own; yields its base URL.

    Its threads then never hold the bench's GIL while it streams 8 images at once, so a slow ping is the server's.
    """
    argv = [sys.executable, str(FAKE_OPENAI), "--render-seconds", str(render_seconds), "--photo-like"]
    with open(log_path, "ab") as stderr:
        process = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE, stderr=stderr, cwd=str(ROOT))
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), REQUEST_TIMEOUT)
        if not line.startswith(b"http://"):
            raise BenchError(f"the fake OpenAI process did not print its URL (got {line[:120]!r})")
        yield line.decode().strip()
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()


async def ping_until(server: StdioSession, done: asyncio.Future[Any]) -> list[float]:
    """MCP pings, one every PING_EVERY seconds and each waiting for its answer, until `done`; their round trips in ms."""
    trips: list[float] = []
    while not done.done():
        reply = await server.request("ping")
        trips.append(reply.seconds * 1000)
        await asyncio.sleep(max(0.0, PING_EVERY - reply.seconds))
    return trips


def p99(values: list[float]) -> float:
    """The 99th percentile by nearest rank: the value 99% of the samples are at or under."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


async def render_burst(server: StdioSession, size: str, label: str) -> tuple[float, list[float]]:
    """RENDER_CALLS generations sent at once (so the fake finishes them together), pinged from PING_LEAD seconds
    before they finish until the last result is in: the wall time of all of them, and the ping round trips."""
    started = time.perf_counter()
    calls = asyncio.ensure_future(asyncio.gather(*(generate(server, f"{PROMPT} #{n} ({label})", size) for n in range(RENDER_CALLS))))
    await asyncio.wait({calls}, timeout=max(0.0, FAKE_QUEUED_SECONDS + RENDER_SECONDS - PING_LEAD))
    pings = await ping_until(server, calls)
    replies = await calls
    return max(reply.arrived for reply in replies) - started, pings


async def measure_renders(ws: Workspace, fake: Any, *, rounds: int, cpu_images: int) -> list[Figure]:
    size = SIZES[0]
    log_path = ws.log("renders")
    async with (
        fake_process(log_path, RENDER_SECONDS) as slow_url,
        spawned(ours_argv(), ws.env("renders", slow_url), log_path, "server") as server,
    ):
        await server.handshake()
        await generate(server, f"{PROMPT} (warm-up)", size)  # also the fake's one encoding of the photo
        idle = await ping_until(server, asyncio.ensure_future(asyncio.sleep(IDLE_PING_SECONDS)))
        # The first burst also opens 7 more connections and starts the worker threads: measured, then left out.
        _, cold = await render_burst(server, size, "warm-up")
        alone, together, pings = [], [], []
        for number in range(rounds):
            alone.append((await generate(server, f"{PROMPT} (alone, round {number})", size)).seconds)
            seconds, trips = await render_burst(server, size, f"round {number}")
            together.append(seconds)
            pings += trips
            log(
                f"round {number + 1}/{rounds}: one {alone[-1]:.2f} s, {RENDER_CALLS} at once {seconds:.2f} s, "
                f"ping p99 {p99(trips):.1f} ms, max {max(trips):.1f} ms ({len(trips)} pings)"
            )
    log(f"idle ping p99 {p99(idle):.1f} ms, max {max(idle):.1f} ms ({len(idle)} pings); first burst p99 {p99(cold):.1f} ms")
    ours_cpu, floor_cpu = await measure_cpu_per_image(ws, fake, size, cpu_images)
    log(f"CPU per image: ours {show(ours_cpu, 'ms')}, floor {show(floor_cpu, 'ms')}")
    return [
        Figure(
            "ping_p99_during_renders_ms",
            f"ping p99 while {RENDER_CALLS} photo renders finish",
            "ms",
            p99(pings),
            p99(idle),
            "the same server at idle, the same pings",
            PING_TARGET_MS,
            "value",
            extra={
                "pings": len(pings),
                "ping_max_ms": max(pings),
                "ping_median_ms": median(pings),
                "idle_max_ms": max(idle),
                "first_burst_p99_ms": p99(cold),
            },
        ),
        Figure(
            "renders_8_vs_1_ratio",
            f"{RENDER_CALLS} photo renders at once ({RENDER_SECONDS:g} s each)",
            "s",
            median(together),
            median(alone),
            "one render alone, the same server and fake",
            RENDERS_RATIO_TARGET,
            "ratio",
        ),
        Figure(
            "cpu_per_image_ms",
            f"server CPU per {size} photo image",
            "ms",
            ours_cpu,
            floor_cpu,
            "CPU of the bare work's process (SDK stream + b64 decode + write)",
            extra={"images": cpu_images},
        ),
    ]


async def measure_cpu_per_image(ws: Workspace, fake: Any, size: str, count: int) -> tuple[float | None, float | None]:
    """The process CPU (ms) per image over `count` sequential renders, warm-up excluded: the server's, the floor's."""
    env, log_path = ws.env("renders", fake.base_url), ws.log("renders")
    async with spawned(ours_argv(), env, log_path, "server") as server:
        await server.handshake()
        await generate(server, f"{PROMPT} (CPU warm-up)", size)
        before = cpu_ms(server.pid)
        for number in range(count):
            await generate(server, f"{PROMPT} (CPU {number})", size)
        after = cpu_ms(server.pid)
    template = sent_request(fake)
    async with spawned(floor_worker_argv(), env, log_path, "floor worker") as worker:
        await floor_generate(worker, [template])
        floor_before = cpu_ms(worker.pid)
        for number in range(count):
            await floor_generate(worker, [dict(template, input=f"{PROMPT} (CPU {number})")])
        floor_after = cpu_ms(worker.pid)
    ours = None if before is None or after is None else (after - before) / count
    floor = None if floor_before is None or floor_after is None else (floor_after - floor_before) / count
    return ours, floor
