"""What `python -m benchmarks` does: read the options, run the chosen phases in turn, print the table, write the JSON.

Run (from the checkout): python -m benchmarks [--runs N] [--image-runs N] [--quick] [--only PHASE ...] [--json PATH]
The exit status is 0 when targets are missed (this is a measurement); it is 1 when a figure could not be measured at all.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import benchmarks
from benchmarks import concurrency, http_serving, images, listing, memory, renders, report, s3, startup
from benchmarks.common import ROOT, BenchError, Workspace, load_fake_openai, log
from benchmarks.report import Figure

PHASES = ("startup", "images", "memory", "listing", "concurrency", "renders", "http", "s3")
DEFAULT_RUNS = 9
IMAGE_RUNS = 15  # per size; one call is tens of ms, so more runs cost little and steady the median
DEFAULT_JSON = ROOT / "benchmarks" / "results.json"
# In the order the report has always printed them.
NOTES = (*report.NOTES, *renders.NOTES, *images.NOTES, *memory.NOTES, *http_serving.NOTES, *s3.NOTES)


async def run_all(
    runs: int,
    image_runs: int,
    conversations: int,
    *,
    only: tuple[str, ...] = PHASES,
    worst_edge: int = memory.WORST_EDGE,
    render_rounds: int = renders.RENDER_ROUNDS,
    cpu_images: int = renders.CPU_IMAGES,
    http_rounds: int = http_serving.HTTP_ROUNDS,
    list_seconds: float = http_serving.LIST_SECONDS,
    http_images: dict[int, int] = http_serving.HTTP_IMAGES,
) -> list[Figure]:
    """The chosen phases (default: all) in turn, in one temporary folder that is removed afterwards.

    BenchError before anything runs when the s3 phase is chosen but cannot run here.
    """
    if "s3" in only and (why := s3.s3_missing()):
        raise BenchError(f"s3: not measured: {why}")
    FakeOpenAI = load_fake_openai().FakeOpenAI

    with tempfile.TemporaryDirectory(prefix="openai-images-bench-") as tmp, FakeOpenAI(photo_like=True) as fake:
        ws = Workspace(Path(tmp))
        phases: list[tuple[str, str, Callable[[], Awaitable[list[Figure]]]]] = [
            ("startup", f"start-up, {runs} runs each", lambda: startup.measure_startup(ws, fake.base_url, runs)),
            ("images", f"per image, {image_runs} runs per size", lambda: images.measure_images(ws, fake, image_runs)),
            ("memory", "memory", lambda: memory.measure_memory(ws, fake, worst_edge)),
            (
                "listing",
                f"listing, {conversations} conversations",
                lambda: listing.measure_listing(ws, fake.base_url, conversations),
            ),
            ("concurrency", "concurrency", lambda: concurrency.measure_concurrency(ws)),
            (
                "renders",
                f"renders, a warm-up and {render_rounds} rounds of 1 then {renders.RENDER_CALLS} at once, CPU over {cpu_images} images",
                lambda: renders.measure_renders(ws, fake, rounds=render_rounds, cpu_images=cpu_images),
            ),
            (
                "http",
                f"HTTP, {http_rounds} rounds of tools/list for {list_seconds:g} s and of images, 1 and {max(http_serving.HTTP_CLIENTS)} clients",
                lambda: http_serving.measure_http(ws, fake, rounds=http_rounds, list_seconds=list_seconds, images=http_images),
            ),
            ("s3", f"S3 storage, {image_runs} images on each storage", lambda: s3.measure_s3(ws, fake, image_runs)),
        ]
        figures: list[Figure] = []
        for name, title, phase in phases:
            if name not in only:
                continue
            log(title)
            figures += await phase()
    order = ("startup", "idle", "image", "s3", "peak", "result", "list", "concurrency", "http", "ping", "renders", "cpu")
    return sorted(figures, key=lambda f: next(i for i, prefix in enumerate(order) if f.name.startswith(prefix)))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The options of `python -m benchmarks`, with --runs and --image-runs filled in from --quick; exits on a bad one."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=benchmarks.__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=None, help=f"start-up runs per server (default {DEFAULT_RUNS}, --quick 2)")
    parser.add_argument(
        "--image-runs",
        type=int,
        default=None,
        help=f"calls per image size, and per storage in the s3 phase (default {IMAGE_RUNS}, --quick 2)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"tiny settings for a smoke test: 2 runs, {listing.QUICK_CONVERSATIONS} conversations, 1 round of renders "
        f"and of HTTP ({http_serving.QUICK_LIST_SECONDS:g} s of tools/list)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=PHASES,
        metavar="PHASE",
        help=f"run only this phase (repeatable): {', '.join(PHASES)}; default all",
    )
    parser.add_argument(
        "--json", type=Path, default=DEFAULT_JSON, help=f"where to write the results (default {DEFAULT_JSON.relative_to(ROOT)})"
    )
    args = parser.parse_args(argv)
    if args.runs is None:
        args.runs = 2 if args.quick else DEFAULT_RUNS
    if args.image_runs is None:
        args.image_runs = 2 if args.quick else IMAGE_RUNS
    for name in ("runs", "image_runs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, not {getattr(args, name)}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks as the options say; 0 once the figures are printed and written, 1 if one could not be measured."""
    args = parse_args(argv)
    quick = args.quick
    conversations = listing.QUICK_CONVERSATIONS if quick else listing.CONVERSATIONS
    started = time.perf_counter()
    try:
        figures = asyncio.run(
            run_all(
                args.runs,
                args.image_runs,
                conversations,
                only=tuple(args.only or PHASES),
                worst_edge=memory.QUICK_WORST_EDGE if quick else memory.WORST_EDGE,
                render_rounds=1 if quick else renders.RENDER_ROUNDS,
                cpu_images=renders.QUICK_CPU_IMAGES if quick else renders.CPU_IMAGES,
                http_rounds=1 if quick else http_serving.HTTP_ROUNDS,
                list_seconds=http_serving.QUICK_LIST_SECONDS if quick else http_serving.LIST_SECONDS,
                http_images=http_serving.QUICK_HTTP_IMAGES if quick else http_serving.HTTP_IMAGES,
            )
        )
    except BenchError as exc:
        print(f"bench: could not measure: {exc}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - started
    print(report.table(figures))
    print()
    for note in NOTES:
        print(f"- {note}")
    print()
    print(report.summary(figures))
    settings = {
        "phases": args.only or list(PHASES),
        "runs": args.runs,
        "image_runs": args.image_runs,
        "conversations": conversations,
        "quick": quick,
    }
    report.write_json(args.json, figures, settings=settings, seconds=seconds, notes=NOTES)
    print(f"Results written to {args.json} ({seconds:.0f} s).")
    return 0
