"""The processes a phase measures: spawned and stopped, waited on until they answer, their memory and CPU read from /proc."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from benchmarks.common import CLOSE_TIMEOUT, KB, ROOT, START_TIMEOUT, BenchError
from benchmarks.mcp_client import StdioSession

LINE_LIMIT = 64 * 1024 * 1024  # one stdout line is one whole tool result, well past asyncio's 64 KiB default


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
