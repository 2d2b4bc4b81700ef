"""Per image and result size: one tool call per size over stdio, beside the bare work on the very request our server sent.

The floor is floor_worker.py (the openai SDK streaming that request from the same fake OpenAI server, base64
decode, a plain write), asked in turn with each of our calls; for the result line, the floor is the full image as
base64, i.e. what inlining the image would have cost.
"""

from __future__ import annotations

import math
from typing import Any

from benchmarks.common import KB, PROMPT, SIZES, Workspace, log, median, ours_argv, sent_request
from benchmarks.floor_worker import floor_generate, floor_worker_argv
from benchmarks.mcp_client import generate
from benchmarks.processes import spawned
from benchmarks.report import Figure

NOTES = (
    "Per-image floor: the openai SDK streaming the very request our server sent, base64 decode and a plain "
    "write (no fsync, no preview, no validation, no conversation file) in one warm process.",
    "Result size 'floor' is a reference: the full image as base64, i.e. what inlining it would cost.",
)


async def measure_images(ws: Workspace, fake: Any, runs: int) -> list[Figure]:
    env, log_path = ws.env("images", fake.base_url), ws.log("images")
    timings: list[Figure] = []
    sizes: list[Figure] = []
    async with (
        spawned(ours_argv(), env, log_path, "server") as server,
        spawned(floor_worker_argv(), env, log_path, "floor worker") as worker,
    ):
        await server.handshake()
        for size in SIZES:
            await generate(server, f"{PROMPT} (warm-up)", size)  # first use of this size: discarded
            template = sent_request(fake)
            await floor_generate(worker, [template])
            ours, floor, lines, image_bytes = [], [], [], 0
            for run in range(runs):
                prompt = f"{PROMPT} (run {run})"
                request = dict(template, input=prompt)
                if run % 2:
                    floor.append(await floor_generate(worker, [request]) * 1000)
                reply = await generate(server, prompt, size)
                ours.append(reply.seconds * 1000)
                if not run % 2:
                    floor.append(await floor_generate(worker, [request]) * 1000)
                lines.append(reply.size)
                image_bytes = int(reply.result["structuredContent"]["bytes"])
            log(f"{size}: ours {median(ours):.0f} ms, floor {median(floor):.0f} ms, result {max(lines) / KB:.1f} KB")
            overhead = median(ours) - median(floor)
            timings.append(
                Figure(
                    f"image_{size}_ms",
                    f"one image {size} over stdio",
                    "ms",
                    median(ours),
                    median(floor),
                    "SDK stream + b64 decode + write, in one process",
                    1.5 if size == SIZES[0] else None,
                    "ratio",
                    extra={
                        "overhead_ms": overhead,
                        "paired_ratio_median": median([o / f for o, f in zip(ours, floor)]),
                        "image_bytes": image_bytes,
                    },
                )
            )
            sizes.append(
                Figure(
                    f"result_bytes_{size}",
                    f"result line {size}",
                    "bytes",
                    max(lines),
                    4 * math.ceil(image_bytes / 3),
                    "the full image as base64 (what inlining costs)",
                    256 * KB,
                    "value",
                )
            )
    return timings + sizes
