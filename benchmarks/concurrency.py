"""Concurrency: 8 images asked at once from a slow OpenAI (1 s latency), beside the openai SDK sending the same 8 at once."""

from __future__ import annotations

import asyncio
import time

from benchmarks.common import PROMPT, SIZES, Workspace, load_fake_openai, log, ours_argv, sent_request
from benchmarks.floor_worker import floor_generate, floor_worker_argv
from benchmarks.mcp_client import generate
from benchmarks.processes import spawned
from benchmarks.report import Figure

CONCURRENT_CALLS = 8
CONCURRENT_LATENCY = 1.0


async def measure_concurrency(ws: Workspace) -> list[Figure]:
    size = SIZES[0]
    with load_fake_openai().FakeOpenAI(latency=CONCURRENT_LATENCY, photo_like=True) as slow:
        env, log_path = ws.env("concurrency", slow.base_url), ws.log("concurrency")
        async with spawned(ours_argv(), env, log_path, "server") as server:
            await server.handshake()
            await generate(server, f"{PROMPT} (warm-up)", size)
            template = sent_request(slow)
            started = time.perf_counter()
            calls = [generate(server, f"{PROMPT} #{n}", size) for n in range(CONCURRENT_CALLS)]
            replies = await asyncio.gather(*calls)
            ours = max(reply.arrived for reply in replies) - started
        async with spawned(floor_worker_argv(), env, log_path, "floor worker") as worker:
            await floor_generate(worker, [template])
            floor = await floor_generate(worker, [dict(template, input=f"{PROMPT} #{n}") for n in range(CONCURRENT_CALLS)])
    log(f"{CONCURRENT_CALLS} at once: ours {ours:.2f} s, floor {floor:.2f} s")
    return [
        Figure(
            "concurrency_8_s",
            f"{CONCURRENT_CALLS} images at once, {CONCURRENT_LATENCY:g} s OpenAI latency",
            "s",
            ours,
            floor,
            f"the SDK sending the same {CONCURRENT_CALLS} requests at once",
            2.0,
            "value",
        )
    ]
