"""Memory: peak RSS of a fresh server making one 3840x2160 image, and taking the largest inputs the limits allow.

The floors: a fresh floor_worker.py doing the bare work once, and a fresh process decoding one of those inputs.
"""

from __future__ import annotations

import asyncio
import random
import sys
from pathlib import Path
from typing import Any

from benchmarks.common import KB, PROMPT, Workspace, log, ours_argv, sent_request
from benchmarks.floor_worker import floor_generate, floor_worker_argv
from benchmarks.mcp_client import generate
from benchmarks.processes import spawned, status_mb
from benchmarks.report import Figure, show

BIG = "3840x2160"
WORST_EDGE = 8000  # 64 megapixels, imagefiles.MAX_INPUT_PIXELS: the largest picture one input may have
QUICK_WORST_EDGE = 2000

NOTES = ("Memory: VmHWM / VmRSS from /proc/<pid>/status of the spawned process (MiB).",)


async def measure_memory(ws: Workspace, fake: Any, worst_edge: int) -> list[Figure]:
    env, log_path = ws.env("memory", fake.base_url), ws.log("memory")
    async with spawned(ours_argv(), env, log_path, "server") as server:
        await server.handshake()
        await generate(server, f"{PROMPT} (memory)", BIG)
        ours_peak = status_mb(server.pid, "VmHWM")
    template = sent_request(fake)
    async with spawned(floor_worker_argv(), env, log_path, "floor worker") as worker:
        await floor_generate(worker, [template])
        floor_peak = status_mb(worker.pid, "VmHWM")
    log(f"peak RSS at {BIG}: ours {show(ours_peak, 'MB')}, floor {show(floor_peak, 'MB')}")
    return [
        Figure(
            "peak_rss_mb",
            f"peak RSS, fresh server, one {BIG} image",
            "MB",
            ours_peak,
            floor_peak,
            "fresh process doing the bare work once",
            300.0,
            "value",
        ),
        await measure_worst_inputs(ws, fake, worst_edge),
    ]


def worst_input_photo(path: Path, edge: int) -> None:
    """A photo-like JPEG of edge x edge pixels (smooth random shapes and grain, not a flat colour)."""
    from PIL import Image, ImageFilter

    rng = random.Random(7)
    small = Image.frombytes("RGB", (48, 48), bytes(rng.randrange(256) for _ in range(48 * 48 * 3)))
    photo = small.resize((edge, edge), Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(2))
    grain = Image.effect_noise((edge, edge), 18).convert("RGB")
    Image.blend(photo, grain, 0.12).save(path, "JPEG", quality=90)


async def measure_worst_inputs(ws: Workspace, fake: Any, edge: int) -> Figure:
    """Peak RSS of the largest call the limits allow: as many edge x edge photos as the byte budget takes, at most 16."""
    from openai_images import inputs

    photo = ws.folder("memory") / "worst.jpg"
    worst_input_photo(photo, edge)
    count = max(1, min(16, int(inputs.MAX_CALL_INPUT_BYTES * 0.9) // photo.stat().st_size))
    env, log_path = ws.env("memory", fake.base_url), ws.log("memory")
    arguments = {"prompt": PROMPT, "input_image_path": str(photo), "reference_image_paths": [str(photo)] * (count - 1), "dry_run": True}
    async with spawned(ours_argv(), env, log_path, "server") as server:
        await server.handshake()
        await server.call_tool("openai_conversational_image", arguments)
        ours_peak = status_mb(server.pid, "VmHWM")
    floor_code = (
        "import sys; from PIL import Image; Image.MAX_IMAGE_PIXELS = None; Image.open(sys.argv[1]).load(); "
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))"
    )
    floor = await asyncio.create_subprocess_exec(sys.executable, "-c", floor_code, str(photo), stdout=asyncio.subprocess.PIPE)
    out, _ = await floor.communicate()
    floor_peak = int(out) / KB if out.strip().isdigit() else None
    megapixels = edge * edge / 1e6
    log(f"peak RSS, {count} x {megapixels:.0f} MP inputs: ours {show(ours_peak, 'MB')}, floor {show(floor_peak, 'MB')}")
    return Figure(
        "peak_rss_worst_inputs_mb",
        f"peak RSS, worst inputs: {count} x {megapixels:.0f} MP photos",
        "MB",
        ours_peak,
        floor_peak,
        "fresh process decoding one of them",
        1024.0,
        "value",
    )
