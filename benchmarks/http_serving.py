"""HTTP: tools/list and image rates of `openai-images-mcp serve --http`, 1 and 16 clients, beside minimal floors.

Each client has an MCP session and a connection of its own and signs in with a static token. For tools/list, the
floor is a minimal one-tool FastMCP HTTP server (floor_http_server.py) asked by the same client, in alternating
turns; for images, the bare work (floor_worker.py) with at most 1 or 16 requests in flight.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import PROMPT, SIZES, Workspace, log, median, sent_request
from benchmarks.floor_worker import floor_generate, floor_worker_argv
from benchmarks.mcp_client import HttpSession, StdioSession, generate, http_sessions
from benchmarks.processes import http_served, spawned
from benchmarks.report import Figure

FLOOR_HTTP_SERVER = Path(__file__).resolve().parent / "floor_http_server.py"
HTTP_TOKEN = "bench-token-0123456789abcdef0123"  # 32 characters: OPENAI_IMAGES_AUTH_TOKENS=bench=<it>
HTTP_CLIENTS = (1, 16)
HTTP_ROUNDS = 3  # rounds of ours and the floor in turn, every figure once per round
LIST_SECONDS = 2.0  # how long each tools/list measurement keeps every client asking
QUICK_LIST_SECONDS = 0.3
HTTP_IMAGES = {1: 6, 16: 2}  # images per client in one measurement: 6 in a row for 1 client, 32 in all for 16
QUICK_HTTP_IMAGES = {1: 2, 16: 1}

NOTES = (
    "HTTP: `openai-images-mcp serve --http` signed in with a static token, and the floor HTTP server, each asked by 1 or 16 "
    "clients with an MCP session and a connection each (bare JSON-RPC POSTs, one in flight per client, answers read "
    f"whole); tools/list for {LIST_SECONDS:g} s per figure and round, {SIZES[0]} images {HTTP_IMAGES[1]} in a row for 1 "
    f"client and {HTTP_IMAGES[16]} each for 16; {HTTP_ROUNDS} rounds (--quick: 1), who goes first alternating. Rates (/s) are higher-is-better, so a ratio under 1 is slower than the "
    "floor. The image floor sends as many requests with at most 1 or 16 in flight; the fake runs in the bench's "
    "process, beside the clients.",
)


def http_env(ws: Workspace, phase: str, base_url: str) -> dict[str, str]:
    return {**ws.env(phase, base_url), "OPENAI_IMAGES_AUTH_TOKENS": f"bench={HTTP_TOKEN}"}


def ours_http_argv() -> list[str]:
    """As users start it (cwd is the checkout); http_served adds the port."""
    return [sys.executable, "-m", "openai_images", "serve", "--http", "--host", "127.0.0.1", "--port"]


def floor_http_argv() -> list[str]:
    return [sys.executable, str(FLOOR_HTTP_SERVER)]


async def list_rate(sessions: list[HttpSession], seconds: float) -> float:
    """tools/list answers per second, every session asking in a loop (one request in flight each) for `seconds`."""
    started = time.perf_counter()
    deadline = started + seconds

    async def ask(session: HttpSession) -> int:
        answered = 0
        while time.perf_counter() < deadline:
            await session.request("tools/list")
            answered += 1
        return answered

    answered = sum(await asyncio.gather(*(ask(session) for session in sessions)))
    return answered / (time.perf_counter() - started)


async def image_rate(sessions: list[HttpSession], per_client: int, label: str) -> float:
    """Images per second, every session making `per_client` images in a row, all sessions at once."""
    started = time.perf_counter()

    async def make(number: int, session: HttpSession) -> None:
        for turn in range(per_client):
            await generate(session, f"{PROMPT} ({label}, client {number}, image {turn})", SIZES[0])

    await asyncio.gather(*(make(number, session) for number, session in enumerate(sessions)))
    return len(sessions) * per_client / (time.perf_counter() - started)


async def floor_image_rate(worker: StdioSession, template: dict[str, Any], clients: int, per_client: int, label: str) -> float:
    """The bare work's images per second: as many requests, at most `clients` in flight."""
    requests = [dict(template, input=f"{PROMPT} ({label}, floor {n})") for n in range(clients * per_client)]
    return len(requests) / await floor_generate(worker, requests, at_once=clients)


async def measure_http(ws: Workspace, fake: Any, *, rounds: int, list_seconds: float, images: dict[int, int]) -> list[Figure]:
    log_path, most = ws.log("http"), max(HTTP_CLIENTS)
    floor_env = ws.env("http-floor", fake.base_url)
    async with (
        http_served(ours_http_argv(), http_env(ws, "http", fake.base_url), log_path, "server") as ours_url,
        http_served(floor_http_argv(), floor_env, log_path, "floor HTTP server") as floor_url,
        http_sessions(ours_url, most, "server", token=HTTP_TOKEN) as ours,
        http_sessions(floor_url, most, "floor HTTP server", token=HTTP_TOKEN) as floor,
        spawned(floor_worker_argv(), floor_env, log_path, "floor worker") as worker,
    ):
        # One image per session at once, discarded: the first call's imports, the connections to the fake, its encoding.
        await asyncio.gather(*(generate(session, f"{PROMPT} (HTTP warm-up {n})", SIZES[0]) for n, session in enumerate(ours)))
        template = sent_request(fake)
        await floor_image_rate(worker, template, most, 1, "warm-up")
        rates: dict[tuple[str, str, int], list[float]] = {}
        for number in range(rounds):
            order = ("ours", "floor") if number % 2 == 0 else ("floor", "ours")
            for clients in HTTP_CLIENTS:
                for who in order:
                    sessions = (ours if who == "ours" else floor)[:clients]
                    rates.setdefault(("list", who, clients), []).append(await list_rate(sessions, list_seconds))
            for clients in HTTP_CLIENTS:
                label = f"round {number}, {clients} clients"
                for who in order:
                    if who == "ours":
                        rate = await image_rate(ours[:clients], images[clients], label)
                    else:
                        rate = await floor_image_rate(worker, template, clients, images[clients], label)
                    rates.setdefault(("images", who, clients), []).append(rate)
            log(
                f"round {number + 1}/{rounds}: "
                + "; ".join(
                    f"{kind} x{clients}: ours {rates[(kind, 'ours', clients)][-1]:.1f}/s, floor {rates[(kind, 'floor', clients)][-1]:.1f}/s"
                    for kind in ("list", "images")
                    for clients in HTTP_CLIENTS
                )
            )

    def figure(kind: str, clients: int, label: str, floor_label: str) -> Figure:
        ours_rates, floor_rates = rates[(kind, "ours", clients)], rates[(kind, "floor", clients)]
        extra = {"paired_ratio_median": median([o / f for o, f in zip(ours_rates, floor_rates)])}
        if clients == 1:  # one request in flight: the inverse of the rate is the round trip
            extra.update(ours_ms_each=1000 / median(ours_rates), floor_ms_each=1000 / median(floor_rates))
        clients_text = "1 client" if clients == 1 else f"{clients} clients"
        return Figure(
            f"http_{kind}_{clients}_per_s",
            f"{label} over HTTP, {clients_text}",
            "/s",
            median(ours_rates),
            median(floor_rates),
            floor_label,
            extra=extra,
        )

    lists = [figure("list", n, "tools/list", "minimal one-tool FastMCP HTTP server, the same client") for n in HTTP_CLIENTS]
    made = [
        figure(
            "images",
            n,
            f"{SIZES[0]} images",
            "SDK stream + b64 decode + write, in one process"
            if n == 1
            else f"SDK stream + b64 decode + write, {n} at once, in one process",
        )
        for n in HTTP_CLIENTS
    ]
    return lists + made
