"""Benchmarks for openai-images-mcp: start-up, per-image overhead, memory, listing at scale, result size, concurrency, renders, HTTP, S3.

Every figure is measured beside a floor taken in the same run on the same machine, because absolute
times on a shared 2-core machine swing by tens of percent from one minute to the next, while the
ratio ours / floor stays put. The floors:

- start-up: a minimal one-tool FastMCP server (benchmarks/floor_server.py), spawned the same way and
  timed the same way (spawn -> initialize -> tools/list answer), alternating runs;
- per image, memory and concurrency: the bare work in one process - the openai SDK streaming the very
  request our server sent to the same fake OpenAI server, base64 decode, write the file;
- listing: reading the bytes of every conversation file (server side), and the server-side time
  itself for the stdio round trip;
- result size: the full image as base64, i.e. what inlining the image would have cost;
- renders (8 photo renders finishing together): for the ping round trip, the same server's pings
  at idle; for the wall time, one render alone on the same server; for CPU, the bare work above,
  its process's CPU per image;
- HTTP (`openai-images-mcp serve --http`, signed in with a static token; 1 and 16 clients, each its own MCP
  session): for tools/list, a minimal one-tool FastMCP HTTP server (benchmarks/floor_http_server.py)
  asked by the same client, alternating; for images, the bare work above, 1 and 16 at once;
- S3 (OPENAI_IMAGES_STORAGE=s3://..., against moto's S3 server on 127.0.0.1): the same server
  with local folders, one image each in turn, over stdio.

Everything talks to the fake OpenAI server from tests/fake_openai.py on 127.0.0.1, in temporary
folders that are removed at the end; its images are photo-like (about 1.6 MB as PNG at 1024x1024,
``FakeOpenAI.photo_like``), so decoding, previews and stream parsing cost what real images cost.
MCP messages go through a bare JSON-lines client over the child's pipes, or over HTTP through bare
JSON-RPC POSTs with httpx (the answer read whole, as JSON or SSE), so no client-side MCP SDK is ever
timed. The s3 phase needs s3store.py, boto3 and moto[server] (requirements-test.txt).

Run: python benchmarks/bench.py [--runs N] [--image-runs N] [--quick] [--only PHASE ...] [--json PATH]
The exit status is 0 when targets are missed (this is a measurement); it is 1 when a figure could
not be measured at all.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import importlib.util
import json
import math
import os
import platform
import random
import re
import secrets
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

sys.dont_write_bytecode = True  # the benchmark leaves nothing behind in the checkout

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "openai_images_mcp.py"
FLOOR_SERVER = ROOT / "benchmarks" / "floor_server.py"
FLOOR_HTTP_SERVER = ROOT / "benchmarks" / "floor_http_server.py"
DEFAULT_JSON = ROOT / "benchmarks" / "results.json"

PROTOCOL_VERSION = "2025-11-25"
BENCH_KEY = "sk-bench-0123456789abcdef0123456789abcdef"
IMAGE_MODEL = "gpt-image-2"  # a flexible-size model, so 3840x2160 is a valid size
SIZES = ("1024x1024", "1536x1024", "3840x2160")
BIG = "3840x2160"
PROMPT = "A lighthouse on a rocky coast at dusk, waves breaking, oil painting with warm light"
DEFAULT_RUNS = 9
IMAGE_RUNS = 15  # per size; one call is tens of ms, so more runs cost little and steady the median
LISTING_RUNS = 5
CONVERSATIONS = 10_000
QUICK_CONVERSATIONS = 200
SEARCH_WORD = "lighthouse"
WORST_EDGE = 8000  # 64 megapixels, imagefiles.MAX_INPUT_PIXELS: the largest picture one input may have
QUICK_WORST_EDGE = 2000
CONCURRENT_CALLS = 8
CONCURRENT_LATENCY = 1.0
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
HTTP_TOKEN = "bench-token-0123456789abcdef0123"  # 32 characters: OPENAI_IMAGES_AUTH_TOKENS=bench=<it>
HTTP_CLIENTS = (1, 16)
HTTP_ROUNDS = 3  # rounds of ours and the floor in turn, every figure once per round
LIST_SECONDS = 2.0  # how long each tools/list measurement keeps every client asking
QUICK_LIST_SECONDS = 0.3
HTTP_IMAGES = {1: 6, 16: 2}  # images per client in one measurement: 6 in a row for 1 client, 32 in all for 16
QUICK_HTTP_IMAGES = {1: 2, 16: 1}
S3_BUCKET = "bench-bucket"
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 120.0
CLOSE_TIMEOUT = 5.0
LINE_LIMIT = 64 * 1024 * 1024
KB = 1024


class BenchError(Exception):
    """A figure could not be measured (a process died, a call failed, an answer was malformed)."""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- figures


@dataclass
class Figure:
    """One measured figure beside its floor; `target` bounds either the value or the ratio."""

    name: str
    label: str
    unit: str  # "ms", "s", "MB" (MiB), "bytes" or "/s" (a rate: higher is better, so it carries no target)
    value: float | None
    floor: float | None
    floor_label: str
    target: float | None = None
    target_on: str = "value"  # "value" or "ratio"
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.floor:
            return None
        return self.value / self.floor

    @property
    def judged(self) -> float | None:
        return self.ratio if self.target_on == "ratio" else self.value

    @property
    def passed(self) -> bool | None:
        if self.target is None or self.judged is None:
            return None
        return self.judged <= self.target

    def target_text(self) -> str:
        if self.target is None:
            return "(report)"
        if self.target_on == "ratio":
            return f"ratio <= {self.target:.2f}"
        return f"<= {show(self.target, self.unit)}"

    def miss_text(self) -> str:
        judged, target = self.judged or 0.0, self.target or 0.0
        what = f"ratio {judged:.2f}" if self.target_on == "ratio" else show(judged, self.unit)
        limit = f"{target:.2f}" if self.target_on == "ratio" else show(target, self.unit)
        return f"{self.label}: {what} > {limit} ({100 * (judged / target - 1):+.0f}% over the target)"

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "unit": self.unit,
            "value": _round(self.value),
            "floor": _round(self.floor),
            "floor_is": self.floor_label,
            "ratio": _round(self.ratio),
            "target": self.target,
            "target_on": self.target_on if self.target is not None else None,
            "pass": self.passed,
            **{key: _round(value) for key, value in self.extra.items()},
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def show(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "bytes":
        return f"{value / KB:.1f} KB"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.1f} MB"
    if unit == "/s":
        return f"{value:.1f}/s"
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def median(values: list[float]) -> float:
    return statistics.median(values)


# --------------------------------------------------------------------------- a bare stdio client


@dataclass
class Reply:
    """One JSON-RPC answer: the message, the byte length of its line, and when it was sent and arrived."""

    message: dict[str, Any]
    size: int
    arrived: float
    sent: float = 0.0

    @property
    def seconds(self) -> float:
        return self.arrived - self.sent

    @property
    def result(self) -> dict[str, Any]:
        return self.message["result"]


class Session:
    """What a host does with an MCP server, over whichever transport `request` and `notify` speak."""

    name: str

    async def request(self, method: str, params: dict[str, Any] | None = None) -> Reply:
        raise NotImplementedError

    async def notify(self, method: str) -> None:
        raise NotImplementedError

    async def handshake(self) -> Reply:
        """initialize, notifications/initialized, tools/list: what a host does before the first call."""
        params = {"protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}
        await self.request("initialize", params)
        await self.notify("notifications/initialized")
        reply = await self.request("tools/list")
        if not reply.result.get("tools"):
            raise BenchError(f"{self.name}: tools/list came back empty")
        return reply

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> Reply:
        """tools/call; a tool error raises BenchError with the tool's own text."""
        reply = await self.request("tools/call", {"name": name, "arguments": arguments})
        if reply.result.get("isError"):
            texts = [part.get("text", "") for part in reply.result.get("content", [])]
            raise BenchError(f"{self.name}: {name} returned an error: {' '.join(texts)[:500]}")
        return reply


class StdioSession(Session):
    """JSON-RPC over a child's stdin/stdout, one JSON object per line, with concurrent requests matched by id."""

    def __init__(self, process: asyncio.subprocess.Process, name: str):
        self.process = process
        self.name = name
        self.pid = process.pid
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[Reply]] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while True:
            line = await self.process.stdout.readline()
            arrived = time.perf_counter()
            if not line:
                break
            try:
                message = json.loads(line)
            except ValueError:
                log(f"{self.name} wrote a non-JSON line to stdout: {line[:120]!r}")
                continue
            if not isinstance(message, dict) or "method" in message:
                continue  # notifications and server requests are not measured
            future = self._pending.pop(message.get("id"), None)
            if future is not None and not future.done():
                future.set_result(Reply(message, len(line.rstrip(b"\r\n")), arrived))
        for future in self._pending.values():
            if not future.done():
                future.set_exception(BenchError(f"{self.name} closed its stdout (see its log in the temp folder)"))

    async def _send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        await self.process.stdin.drain()

    async def request(self, method: str, params: dict[str, Any] | None = None) -> Reply:
        """Send one request and wait (bounded) for its answer; a JSON-RPC error raises BenchError."""
        self._next_id += 1
        ident = self._next_id
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": ident, "method": method}
        if params is not None:
            message["params"] = params
        sent = time.perf_counter()
        await self._send(message)
        try:
            reply = await asyncio.wait_for(future, REQUEST_TIMEOUT)
        except TimeoutError:
            raise BenchError(f"{self.name}: no answer to {method} within {REQUEST_TIMEOUT:g} s") from None
        if "error" in reply.message:
            raise BenchError(f"{self.name}: {method} failed: {reply.message['error']}")
        reply.sent = sent
        return reply

    async def notify(self, method: str) -> None:
        await self._send({"jsonrpc": "2.0", "method": method})

    async def close(self) -> None:
        """Close stdin (a stdio server's cue to exit), then wait; kill only if it does not go."""
        if self.process.stdin is not None and not self.process.stdin.is_closing():
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), CLOSE_TIMEOUT)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        await asyncio.gather(self._reader, return_exceptions=True)


@asynccontextmanager
async def spawned(argv: list[str], env: dict[str, str], log_path: Path, name: str) -> AsyncIterator[StdioSession]:
    """Spawn `argv` with exactly `env`, its stderr going to `log_path`, and close it afterwards."""
    with open(log_path, "ab") as stderr:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            env=env,
            cwd=str(ROOT),
            limit=LINE_LIMIT,
        )
    session = StdioSession(process, name)
    try:
        yield session
    finally:
        await session.close()


def status_mb(pid: int, key: str) -> float | None:
    """VmRSS / VmHWM of a live process from /proc, in MiB; None where there is no /proc."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / KB
    return None


def cpu_ms(pid: int) -> float | None:
    """CPU time (user + system, every thread) a live process has used so far, from /proc/<pid>/stat, in ms."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) ": field 3, state, is fields[0]
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- a bare HTTP client


def sse_messages(body: str) -> list[Any]:
    """The JSON messages of a text/event-stream body: each event's data lines, joined."""
    messages = []
    for event in re.split(r"\r?\n\r?\n", body):
        data = [line[5:].removeprefix(" ") for line in event.splitlines() if line.startswith("data:")]
        if data:
            messages.append(json.loads("\n".join(data)))
    return messages


class HttpSession(Session):
    """JSON-RPC over Streamable HTTP: one MCP session on one connection of its own, each request a POST
    whose answer (JSON, or an SSE stream that ends with the answer) is read whole."""

    def __init__(self, url: str, name: str):
        import httpx

        self.url = url
        self.name = name
        self.headers = {
            "accept": "application/json, text/event-stream",
            "content-type": "application/json",
            "authorization": f"Bearer {HTTP_TOKEN}",
        }
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(REQUEST_TIMEOUT, connect=10.0), limits=httpx.Limits(max_connections=1))
        self._next_id = 0

    async def _post(self, message: dict[str, Any]) -> Any:
        import httpx

        try:
            response = await self.client.post(self.url, headers=self.headers, content=json.dumps(message))
        except httpx.HTTPError as exc:
            raise BenchError(f"{self.name}: {message['method']} failed: {type(exc).__name__}: {exc}") from None
        if response.status_code not in (200, 202):
            raise BenchError(f"{self.name}: {message['method']} answered HTTP {response.status_code}: {response.text[:300]}")
        session = response.headers.get("mcp-session-id")
        if session and "mcp-session-id" not in self.headers:
            self.headers.update({"mcp-session-id": session, "mcp-protocol-version": PROTOCOL_VERSION})
        return response

    async def request(self, method: str, params: dict[str, Any] | None = None) -> Reply:
        """POST one request and read its answer; a JSON-RPC error raises BenchError."""
        self._next_id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": self._next_id, "method": method}
        if params is not None:
            message["params"] = params
        sent = time.perf_counter()
        response = await self._post(message)
        arrived = time.perf_counter()
        try:
            found = (
                [response.json()]
                if response.headers.get("content-type", "").startswith("application/json")
                else sse_messages(response.text)
            )
        except ValueError:
            raise BenchError(f"{self.name}: {method} answered with a body that is not JSON or SSE: {response.text[:200]!r}") from None
        answer = next((m for m in found if isinstance(m, dict) and m.get("id") == self._next_id and "method" not in m), None)
        if answer is None:
            raise BenchError(f"{self.name}: {method} got no answer with id {self._next_id}: {response.text[:300]!r}")
        if "error" in answer:
            raise BenchError(f"{self.name}: {method} failed: {answer['error']}")
        return Reply(answer, len(response.content), arrived, sent)

    async def notify(self, method: str) -> None:
        await self._post({"jsonrpc": "2.0", "method": method})

    async def close(self) -> None:
        """End the MCP session (DELETE), then the connection."""
        import httpx

        try:
            if "mcp-session-id" in self.headers:
                await self.client.delete(self.url, headers=self.headers, timeout=CLOSE_TIMEOUT)
        except httpx.HTTPError as exc:  # the figures are in; only the goodbye was lost
            log(f"{self.name}: ending the session failed: {type(exc).__name__}")
        await self.client.aclose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def wait_until_up(process: asyncio.subprocess.Process, url: str, name: str, log_path: Path) -> None:
    """Poll GET `url` until it answers 200; BenchError if the process exits first or START_TIMEOUT passes."""
    import httpx

    deadline = time.perf_counter() + START_TIMEOUT
    async with httpx.AsyncClient(timeout=1.0) as probe:
        while True:
            if process.returncode is not None:
                raise BenchError(f"{name} exited with {process.returncode} before answering {url} (see {log_path})")
            try:
                if (await probe.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.perf_counter() > deadline:
                raise BenchError(f"{name} did not answer {url} within {START_TIMEOUT:g} s (see {log_path})")
            await asyncio.sleep(0.05)


async def stop(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, then kill if it has not gone after a while."""
    if process.returncode is None:
        process.terminate()
    try:
        await asyncio.wait_for(process.wait(), 2 * CLOSE_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()


@asynccontextmanager
async def http_served(argv: list[str], env: dict[str, str], log_path: Path, name: str) -> AsyncIterator[str]:
    """Start an HTTP server (`argv` without its port: a free one is added), wait until GET /healthz answers 200;
    yields the MCP endpoint, and stops the server afterwards."""
    port = free_port()
    with open(log_path, "ab") as stderr:
        process = await asyncio.create_subprocess_exec(
            *argv, str(port), stdin=asyncio.subprocess.DEVNULL, stdout=stderr, stderr=stderr, env=env, cwd=str(ROOT)
        )
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_until_up(process, f"{base}/healthz", name, log_path)
        yield f"{base}/mcp"
    finally:
        await stop(process)


@asynccontextmanager
async def http_sessions(url: str, count: int, name: str) -> AsyncIterator[list[HttpSession]]:
    """`count` sessions with the server at `url`, each through its handshake; all closed afterwards."""
    sessions = [HttpSession(url, f"{name} client {number}") for number in range(count)]
    try:
        await asyncio.gather(*(session.handshake() for session in sessions))
        yield sessions
    finally:
        await asyncio.gather(*(session.close() for session in sessions))


# --------------------------------------------------------------------------- the floor worker


async def floor_worker() -> None:
    """Answer `generate` requests on stdin with the bare work, timed in-process: the per-image floor.

    params: {"requests": [Responses request body, ...], "at_once": N}: the requests, at most N in flight at a
    time (default: all at once); result: {"seconds", "bytes"}.
    """
    import httpx
    import openai

    timeout = REQUEST_TIMEOUT
    client = openai.AsyncOpenAI(
        api_key=os.environ["OPENAI_API_KEY"],
        base_url=os.environ["OPENAI_BASE_URL"],
        max_retries=0,
        timeout=timeout,
        http_client=httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=10.0)),
    )
    folder = Path(os.environ["OPENAI_IMAGES_OUTPUT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        message = json.loads(line)
        answer: dict[str, Any] = {"jsonrpc": "2.0", "id": message["id"]}
        requests = message["params"]["requests"]
        in_flight = asyncio.Semaphore(message["params"].get("at_once") or max(1, len(requests)))
        try:
            started = time.perf_counter()
            sizes = await asyncio.gather(*(bounded(in_flight, bare_generation(client, r, folder)) for r in requests))
            answer["result"] = {"seconds": time.perf_counter() - started, "bytes": sizes}
        except Exception as exc:  # reported to the bench, which stops with this message
            answer["error"] = {"code": -32000, "message": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    await client.close()


async def bounded(in_flight: asyncio.Semaphore, work: Awaitable[int]) -> int:
    """`work`, started once `in_flight` lets it."""
    async with in_flight:
        return await work


async def bare_generation(client: Any, request: dict[str, Any], folder: Path) -> int:
    """Stream one Responses request to response.completed, decode the image, write it; return its size."""
    stream = await client.responses.create(**request, stream=True)
    final = None
    async for event in stream:
        if event.type == "response.completed":
            final = event.response
    if final is None:
        raise RuntimeError("the stream ended without response.completed")
    call = next(item for item in final.output if item.type == "image_generation_call")
    data = base64.b64decode(call.result)
    (folder / f"floor_{secrets.token_hex(8)}.png").write_bytes(data)
    return len(data)


# --------------------------------------------------------------------------- workspace


class Workspace:
    """Temporary HOME, output and data folders per phase, and the environments of the spawned processes."""

    def __init__(self, root: Path):
        self.root = root

    def folder(self, phase: str) -> Path:
        path = self.root / phase
        (path / "home").mkdir(parents=True, exist_ok=True)
        return path

    def env(self, phase: str, base_url: str, data_dir: Path | None = None) -> dict[str, str]:
        path = self.folder(phase)
        return {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(path / "home"),
            "OPENAI_API_KEY": BENCH_KEY,
            "OPENAI_BASE_URL": base_url,
            "OPENAI_IMAGE_MODEL": IMAGE_MODEL,
            "OPENAI_IMAGES_OUTPUT_DIR": str(path / "output"),
            "OPENAI_IMAGES_DATA_DIR": str(data_dir or path / "data"),
            "OPENAI_IMAGES_TIMEOUT": str(int(REQUEST_TIMEOUT)),
            "FASTMCP_CHECK_FOR_UPDATES": "off",
        }

    def log(self, phase: str) -> Path:
        return self.folder(phase) / "stderr.log"


def ours_argv() -> list[str]:
    return [sys.executable, str(SERVER)]


def floor_server_argv() -> list[str]:
    return [sys.executable, str(FLOOR_SERVER)]


def floor_worker_argv() -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--floor-worker"]


async def generate(server: Session, prompt: str, size: str) -> Reply:
    return await server.call_tool("openai_generate_image", {"prompt": prompt, "size": size})


async def floor_generate(worker: StdioSession, requests: list[dict[str, Any]], at_once: int | None = None) -> float:
    """Seconds the worker took for `requests`, all sent at once (or at most `at_once` at a time)."""
    params: dict[str, Any] = {"requests": requests}
    if at_once is not None:
        params["at_once"] = at_once
    reply = await worker.request("generate", params)
    return float(reply.result["seconds"])


def sent_request(fake: Any) -> dict[str, Any]:
    """The last Responses request our server sent, minus `stream`: the floor sends exactly this."""
    request = dict(fake.response_requests()[-1])
    request.pop("stream", None)
    if not isinstance(request.get("input"), str):
        raise BenchError("expected a plain-text Responses input from openai_generate_image")
    return request


# --------------------------------------------------------------------------- 1. start-up


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


# --------------------------------------------------------------------------- 2 and 5. per image, result size


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


# --------------------------------------------------------------------------- 3. memory


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


# --------------------------------------------------------------------------- 4. listing at scale

_SUBJECTS = (
    "a red fox in fresh snow",
    "a lighthouse on a rocky coast",
    "a logo for a coffee shop called Roastery Row",
    "a slide about quarterly revenue growth",
    "a portrait of an old fisherman",
    "a bowl of ramen on a wooden table",
    "a city skyline at night",
    "a cat sleeping on a windowsill",
    "an astronaut riding a horse",
    "a cozy reading nook",
    "a mountain lake at sunrise",
    "a vintage bicycle leaning on a wall",
    "a dragon over a medieval castle",
    "a product shot of wireless earbuds",
    "a watercolor map of Lisbon",
    "a robot watering plants",
    "an Instagram post for a bakery opening",
    "a children's book illustration of a bear",
    "a neon sign reading OPEN",
    "a hot air balloon festival",
    "a minimalist poster of a whale",
    "a forest path in autumn",
    "a sushi platter",
    "a futuristic train station",
    "a garden with sunflowers",
    "a jazz band in a smoky club",
    "a desert caravan",
    "a snowy cabin with warm windows",
    "a tiger in tall grass",
    "a sailboat in a storm",
)
_STYLES = ("oil painting", "flat vector art", "photorealistic", "watercolor", "3D render", "pencil sketch", "pixel art", "")
_MOODS = ("warm golden light", "moody blue tones", "soft pastel colours", "high contrast", "dramatic shadows", "")
_REFINEMENTS = (
    "make it night",
    "add a full moon",
    "use brighter colours",
    "make the background simpler",
    "add some rain",
    "zoom out a little",
    "make it look older",
    "remove the text",
)


def synthetic_conversation(rng: random.Random, index: int, now: datetime) -> Any:
    """A valid storage.Conversation with a varied prompt, 0-3 images and an updated_at within two years."""
    from openai_images import dialogue, enhancer, image_models, storage

    prompt = ", ".join(part for part in (rng.choice(_SUBJECTS), rng.choice(_STYLES), rng.choice(_MOODS)) if part)
    updated = now - timedelta(seconds=rng.randrange(730 * 86400))
    created = updated - timedelta(seconds=rng.randrange(30 * 86400))
    stamp = updated.isoformat(timespec="seconds")
    messages = [storage.Message(role="user", text=prompt, time=created.isoformat(timespec="seconds"))]
    images = []
    for number in range(rng.randrange(4)):
        turn_prompt = prompt if number == 0 else rng.choice(_REFINEMENTS)
        if number:
            messages.append(storage.Message(role="user", text=turn_prompt, time=stamp))
        messages.append(storage.Message(role="assistant", text="Here is your image.", time=stamp))
        size = rng.choice(("1024x1024", "1536x1024", "1024x1536"))
        images.append(
            storage.ImageRecord(
                image_id=f"img_{rng.getrandbits(64):016x}",
                path=f"/home/user/Downloads/openai_image_{index:08d}_{number}.png",
                response_id=f"resp_{rng.getrandbits(96):024x}",
                image_call_id=f"ig_{rng.getrandbits(96):024x}",
                prompt=turn_prompt,
                revised_prompt=f"Revised: {turn_prompt}",
                size=size,
                model=IMAGE_MODEL,
                created_at=stamp,
                options={"quality": rng.choice(image_models.QUALITIES)},
                usage={"image": {"input_tokens": 40, "output_tokens": 1372}, "assistant": {"total_tokens": 120}},
                cost_usd=round(rng.uniform(0.01, 0.2), 4) if rng.random() < 0.9 else None,
            )
        )
    return storage.Conversation(
        id=f"conv_{rng.getrandbits(32):08x}{index:08x}",
        title=storage.make_title(prompt),
        created_at=created.isoformat(timespec="seconds"),
        updated_at=stamp,
        dialogue_mode=rng.choice([mode.value for mode in dialogue.DialogueMode]),
        skip_dialogue=rng.random() < 0.3,
        messages=messages,
        images=images,
        last_response_id=images[-1].response_id if images else None,
        analysis=storage.PromptAnalysis(
            image_type=rng.choice([kind.value for kind in enhancer.ImageType]),
            score_before=rng.randrange(5, 60),
            score_after=rng.randrange(40, 95),
        ),
    )


def write_conversations(folder: Path, count: int) -> None:
    """`count` conversation files in the format ConversationStore.save writes (seeded, so every run is alike)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(6)
    now = datetime.now(UTC)
    for index in range(count):
        conversation = synthetic_conversation(rng, index, now)
        path = folder / f"{conversation.id}.json"
        path.write_bytes(conversation.model_dump_json(indent=2).encode())
        # The server rewrites a file on every save, so its modification time is its updated_at.
        stamp = datetime.fromisoformat(conversation.updated_at).timestamp()
        os.utime(path, (stamp, stamp))


def read_every_file(folder: Path) -> int:
    """The listing floor: read the bytes of every conversation file once."""
    total = 0
    for entry in os.scandir(folder):
        if entry.name.endswith(".json"):
            with open(entry.path, "rb") as handle:
                total += len(handle.read())
    return total


def timed_ms(work: Callable[[], Any]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


async def measure_listing(ws: Workspace, base_url: str, count: int) -> list[Figure]:
    from openai_images import storage

    data = ws.folder("listing") / "data"
    started = time.perf_counter()
    write_conversations(data / "conversations", count)
    log(f"wrote {count} conversations in {time.perf_counter() - started:.1f} s")

    store = storage.ConversationStore(data / "conversations")  # what services.store is in the server
    first = timed_ms(lambda: store.list(20))
    newest, search, floor = [], [], []
    for _ in range(LISTING_RUNS):
        floor.append(timed_ms(lambda: read_every_file(store.folder)))
        newest.append(timed_ms(lambda: store.list(20)))
        search.append(timed_ms(lambda: store.list(20, SEARCH_WORD)))
    listing, found = store.list(20), store.list(20, SEARCH_WORD)
    if listing.total_matching != count or not found.total_matching:
        raise BenchError(f"listing saw {listing.total_matching} of {count} conversations, search found {found.total_matching}")
    log(f"server side: newest {median(newest):.0f} ms, search {median(search):.0f} ms, read-all {median(floor):.0f} ms")

    env = ws.env("listing", base_url, data_dir=data)
    async with spawned(ours_argv(), env, ws.log("listing"), "server") as server:
        await server.handshake()
        first_trip = (await server.call_tool("openai_list_conversations", {"limit": 20})).seconds * 1000
        trip_newest, trip_search = [], []
        for _ in range(LISTING_RUNS):
            trip_newest.append((await server.call_tool("openai_list_conversations", {"limit": 20})).seconds * 1000)
            trip_search.append((await server.call_tool("openai_list_conversations", {"limit": 20, "query": SEARCH_WORD})).seconds * 1000)
    log(f"round trip: newest {median(trip_newest):.0f} ms, search {median(trip_search):.0f} ms")
    floor_label = f"read the bytes of all {count} files"
    return [
        Figure(
            "list_newest20_ms",
            f"list newest 20 of {count} (server side)",
            "ms",
            median(newest),
            median(floor),
            floor_label,
            100.0,
            "value",
            extra={"first_call_ms": first},
        ),
        Figure(
            "list_search_ms",
            f"search '{SEARCH_WORD}' in {count} (server side)",
            "ms",
            median(search),
            median(floor),
            floor_label,
            1000.0,
            "value",
            extra={"matches": found.total_matching},
        ),
        Figure(
            "list_newest20_roundtrip_ms",
            "list newest 20, stdio round trip",
            "ms",
            median(trip_newest),
            median(newest),
            "server-side time",
            extra={"first_call_ms": first_trip},
        ),
        Figure(
            "list_search_roundtrip_ms",
            "search, stdio round trip",
            "ms",
            median(trip_search),
            median(search),
            "server-side time",
        ),
    ]


# --------------------------------------------------------------------------- 6. concurrency


async def measure_concurrency(ws: Workspace) -> list[Figure]:
    from fake_openai import FakeOpenAI

    size = SIZES[0]
    with FakeOpenAI(latency=CONCURRENT_LATENCY, photo_like=True) as slow:
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


# --------------------------------------------------------------------------- 7. renders finishing together


@asynccontextmanager
async def fake_process(log_path: Path, render_seconds: float) -> AsyncIterator[str]:
    """The fake OpenAI server, photo-like, in a process of its own; yields its base URL.

    Its threads then never hold the bench's GIL while it streams 8 images at once, so a slow ping is the server's.
    """
    argv = [sys.executable, str(ROOT / "tests" / "fake_openai.py"), "--render-seconds", str(render_seconds), "--photo-like"]
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


# --------------------------------------------------------------------------- 8. HTTP


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
        http_sessions(ours_url, most, "server") as ours,
        http_sessions(floor_url, most, "floor HTTP server") as floor,
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


# --------------------------------------------------------------------------- 9. S3 storage


# One line of moto's (werkzeug's) request log; werkzeug colours the request of a 4xx or 5xx answer.
MOTO_REQUEST = re.compile(rb'"(?:\x1b\[[0-9;]*m)?(?:GET|PUT|POST|HEAD|DELETE) [^"]*" \d{3}')


def s3_missing() -> str | None:
    """Why the s3 phase cannot run here, or None: it needs the backend (s3store.py), boto3 and moto's server."""
    if not (ROOT / "s3store.py").is_file():
        return "s3store missing (no s3store.py in the checkout)"
    absent = [name for name in ("boto3", "moto", "flask") if importlib.util.find_spec(name) is None]
    if absent:
        return f"{', '.join(absent)} not installed (pip install 'moto[server]' boto3, as requirements-test.txt says)"
    return None


@asynccontextmanager
async def moto_server(log_path: Path) -> AsyncIterator[str]:
    """moto's standalone S3 server on a free port of 127.0.0.1, its request log in `log_path`; yields its endpoint."""
    port = free_port()
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(log_path.parent), "PYTHONUNBUFFERED": "1"}
    with open(log_path, "ab") as sink:
        process = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL, stdout=sink, stderr=sink, env=env)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        await wait_until_up(process, f"{endpoint}/moto-api/data.json", "moto's S3 server", log_path)
        yield endpoint
    finally:
        await stop(process)


def moto_requests(log_path: Path) -> int:
    return len(MOTO_REQUEST.findall(log_path.read_bytes()))


async def measure_s3(ws: Workspace, fake: Any, runs: int) -> list[Figure]:
    import boto3

    size, log_path, moto_log = SIZES[0], ws.log("s3"), ws.folder("s3") / "moto.log"
    credentials = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1"}
    async with moto_server(moto_log) as endpoint:
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=credentials["AWS_REGION"],
            aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        ).create_bucket(Bucket=S3_BUCKET)
        s3_env = {
            **ws.env("s3-bucket", fake.base_url),
            **credentials,
            "AWS_EC2_METADATA_DISABLED": "true",
            "OPENAI_IMAGES_STORAGE": f"s3://{S3_BUCKET}/bench",
            "OPENAI_IMAGES_S3_ENDPOINT": endpoint,
        }
        async with (
            spawned(ours_argv(), ws.env("s3-local", fake.base_url), log_path, "server (local folders)") as local,
            spawned(ours_argv(), s3_env, log_path, "server (S3)") as bucket,
        ):
            await asyncio.gather(local.handshake(), bucket.handshake())
            # The first image's imports and connections (and boto3's client), discarded.
            _, warm = await asyncio.gather(
                generate(local, f"{PROMPT} (warm-up, local)", size), generate(bucket, f"{PROMPT} (warm-up, S3)", size)
            )
            stored = warm.result["structuredContent"]["path"]
            if not str(stored).startswith(f"s3://{S3_BUCKET}/"):
                raise BenchError(f"the S3 server saved its image at {stored}, not in s3://{S3_BUCKET}/")
            times: dict[str, list[float]] = {"local": [], "s3": []}
            before = moto_requests(moto_log)
            for run in range(runs):
                order = (("local", local), ("s3", bucket)) if run % 2 == 0 else (("s3", bucket), ("local", local))
                for who, server in order:
                    times[who].append((await generate(server, f"{PROMPT} (run {run}, {who})", size)).seconds * 1000)
            requests = (moto_requests(moto_log) - before) / runs
    s3, folders = times["s3"], times["local"]
    log(f"S3: {median(s3):.0f} ms, local folders {median(folders):.0f} ms, {requests:.1f} S3 requests per image")
    return [
        Figure(
            f"s3_image_{size}_ms",
            f"one image {size} over stdio, S3 storage (moto)",
            "ms",
            median(s3),
            median(folders),
            "the same server with local folders",
            extra={
                "overhead_ms": median(s3) - median(folders),
                "paired_ratio_median": median([s / f for s, f in zip(s3, folders)]),
                "paired_added_ms_median": median([s - f for s, f in zip(s3, folders)]),
                "s3_requests_per_image": requests,
            },
        )
    ]


# --------------------------------------------------------------------------- report


NOTES = (
    "Floors are measured in the same run; ratio = ours / floor. Times are medians.",
    "'paired' is the median of the per-run ratios, each of our runs beside a floor run: steadier when the "
    "machine's speed drifts during the run.",
    "The fake OpenAI server sends photo-like images (about 1.6 MB as PNG at 1024x1024), each size encoded once and "
    "cached; per request it base64-encodes and streams the image, and its clock takes 0.25 s per background response "
    "(1 s latency in concurrency, 2 s in renders). Ours and the floor pay that equally: it cancels in the overhead "
    "but not in the ratio.",
    "Renders: 8 photo renders sent at once finish together on the fake's clock (the fake in a process of its own); "
    "MCP pings every 10 ms from 0.5 s before they finish until the last result; p99 by nearest rank, over every "
    "round but the first (which also opens the connections and starts the worker threads). "
    "CPU: utime + stime from /proc/<pid>/stat over sequential renders, warm-up excluded.",
    "Per-image floor: the openai SDK streaming the very request our server sent, base64 decode and a plain "
    "write (no fsync, no preview, no validation, no conversation file) in one warm process.",
    "Result size 'floor' is a reference: the full image as base64, i.e. what inlining it would cost.",
    "Memory: VmHWM / VmRSS from /proc/<pid>/status of the spawned process (MiB).",
    "HTTP: `openai-images-mcp serve --http` signed in with a static token, and the floor HTTP server, each asked by 1 or 16 "
    "clients with an MCP session and a connection each (bare JSON-RPC POSTs, one in flight per client, answers read "
    f"whole); tools/list for {LIST_SECONDS:g} s per figure and round, {SIZES[0]} images {HTTP_IMAGES[1]} in a row for 1 "
    f"client and {HTTP_IMAGES[16]} each for 16; {HTTP_ROUNDS} rounds (--quick: 1), who goes first alternating. Rates (/s) are higher-is-better, so a ratio under 1 is slower than the "
    "floor. The image floor sends as many requests with at most 1 or 16 in flight; the fake runs in the bench's "
    "process, beside the clients.",
    "S3: the same stdio server with OPENAI_IMAGES_STORAGE=s3://... against moto's S3 server on 127.0.0.1, and with "
    "local folders, one image each in turn; 'overhead' is the ms S3 adds per image. moto answers on the same machine, "
    "so this is our code's, boto3's and moto's cost without network round trips: a real bucket adds about one round "
    "trip per S3 request (s3_requests_per_image in the JSON).",
)


def floor_keys(figures: list[Figure]) -> dict[str, str]:
    """A letter per distinct floor, in order of appearance, for the table's legend."""
    keys: dict[str, str] = {}
    for f in figures:
        keys.setdefault(f.floor_label, "abcdefghijklmnopqrstuvwxyz"[len(keys)])
    return keys


def table(figures: list[Figure]) -> str:
    keys = floor_keys(figures)
    header = ("figure", "ours", "floor", "ratio", "target", "result")
    rows = [header]
    for f in figures:
        ratio = "n/a" if f.ratio is None else f"{f.ratio:.2f}"
        verdict = {True: "PASS", False: "MISS", None: ""}[f.passed]
        asides = []
        if "paired_ratio_median" in f.extra:
            asides.append(f"paired {f.extra['paired_ratio_median']:.2f}")
        if "overhead_ms" in f.extra:
            asides.append(f"overhead {f.extra['overhead_ms']:+.0f} ms")
        if asides:
            verdict = f"{verdict} ({', '.join(asides)})".strip()
        floor = f"{show(f.floor, f.unit)} [{keys[f.floor_label]}]"
        rows.append((f.label, show(f.value, f.unit), floor, ratio, f.target_text(), verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for number, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [cell.rjust(widths[i]) for i, cell in enumerate(row[1:5], 1)] + [row[5]]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    legend = [f"[{key}] {label}" for label, key in keys.items()]
    return "\n".join([*lines, "", "Floors:", *legend])


def summary(figures: list[Figure]) -> str:
    judged = [f for f in figures if f.passed is not None]
    misses = [f for f in judged if f.passed is False]
    unmeasured = [f for f in figures if f.target is not None and f.passed is None]
    text = (
        f"All {len(judged)} targets met."
        if not misses
        else (f"Misses: {len(misses)} of {len(judged)} targets: " + "; ".join(f.miss_text() for f in misses))
    )
    if unmeasured:
        text += " Not measured: " + ", ".join(f.label for f in unmeasured) + "."
    return text


def write_json(path: Path, figures: list[Figure], settings: dict[str, Any], seconds: float) -> None:
    document = {
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "fastmcp": _version("fastmcp"),
            "openai": _version("openai"),
            "seconds": round(seconds, 1),
            **settings,
        },
        "figures": {f.name: f.as_json() for f in figures},
        "misses": [f.miss_text() for f in figures if f.passed is False],
        "notes": list(NOTES),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


# --------------------------------------------------------------------------- main


PHASES = ("startup", "images", "memory", "listing", "concurrency", "renders", "http", "s3")


async def run_all(
    runs: int,
    image_runs: int,
    conversations: int,
    only: tuple[str, ...] = PHASES,
    worst_edge: int = WORST_EDGE,
    *,
    render_rounds: int = RENDER_ROUNDS,
    cpu_images: int = CPU_IMAGES,
    http_rounds: int = HTTP_ROUNDS,
    list_seconds: float = LIST_SECONDS,
    http_images: dict[int, int] = HTTP_IMAGES,
) -> list[Figure]:
    """The chosen phases (default: all) in turn, in one temporary folder that is removed afterwards.

    BenchError before anything runs when the s3 phase is chosen but cannot run here.
    """
    if "s3" in only and (why := s3_missing()):
        raise BenchError(f"s3: not measured: {why}")
    sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
    from fake_openai import FakeOpenAI

    with tempfile.TemporaryDirectory(prefix="openai-images-bench-") as tmp, FakeOpenAI(photo_like=True) as fake:
        ws = Workspace(Path(tmp))
        phases: list[tuple[str, str, Callable[[], Awaitable[list[Figure]]]]] = [
            ("startup", f"start-up, {runs} runs each", lambda: measure_startup(ws, fake.base_url, runs)),
            ("images", f"per image, {image_runs} runs per size", lambda: measure_images(ws, fake, image_runs)),
            ("memory", "memory", lambda: measure_memory(ws, fake, worst_edge)),
            ("listing", f"listing, {conversations} conversations", lambda: measure_listing(ws, fake.base_url, conversations)),
            ("concurrency", "concurrency", lambda: measure_concurrency(ws)),
            (
                "renders",
                f"renders, a warm-up and {render_rounds} rounds of 1 then {RENDER_CALLS} at once, CPU over {cpu_images} images",
                lambda: measure_renders(ws, fake, rounds=render_rounds, cpu_images=cpu_images),
            ),
            (
                "http",
                f"HTTP, {http_rounds} rounds of tools/list for {list_seconds:g} s and of images, 1 and {max(HTTP_CLIENTS)} clients",
                lambda: measure_http(ws, fake, rounds=http_rounds, list_seconds=list_seconds, images=http_images),
            ),
            ("s3", f"S3 storage, {image_runs} images on each storage", lambda: measure_s3(ws, fake, image_runs)),
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
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
        help=f"tiny settings for a smoke test: 2 runs, {QUICK_CONVERSATIONS} conversations, 1 round of renders "
        f"and of HTTP ({QUICK_LIST_SECONDS:g} s of tools/list)",
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
    parser.add_argument("--floor-worker", action="store_true", help=argparse.SUPPRESS)
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
    args = parse_args(argv)
    if args.floor_worker:
        asyncio.run(floor_worker())
        return 0
    conversations = QUICK_CONVERSATIONS if args.quick else CONVERSATIONS
    started = time.perf_counter()
    try:
        worst_edge = QUICK_WORST_EDGE if args.quick else WORST_EDGE
        figures = asyncio.run(
            run_all(
                args.runs,
                args.image_runs,
                conversations,
                tuple(args.only or PHASES),
                worst_edge,
                render_rounds=1 if args.quick else RENDER_ROUNDS,
                cpu_images=QUICK_CPU_IMAGES if args.quick else CPU_IMAGES,
                http_rounds=1 if args.quick else HTTP_ROUNDS,
                list_seconds=QUICK_LIST_SECONDS if args.quick else LIST_SECONDS,
                http_images=QUICK_HTTP_IMAGES if args.quick else HTTP_IMAGES,
            )
        )
    except BenchError as exc:
        print(f"bench: could not measure: {exc}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - started
    print(table(figures))
    print()
    for note in NOTES:
        print(f"- {note}")
    print()
    print(summary(figures))
    settings = {
        "phases": args.only or list(PHASES),
        "runs": args.runs,
        "image_runs": args.image_runs,
        "conversations": conversations,
        "quick": args.quick,
    }
    write_json(args.json, figures, settings, seconds)
    print(f"Results written to {args.json} ({seconds:.0f} s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
