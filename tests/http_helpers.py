"""The HTTP server as users run it, for tests: `openai-images-mcp serve --http` on a free port, waited for until /healthz answers."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Served:
    url: str  # the MCP endpoint
    base: str
    process: subprocess.Popen
    log: Path

    def log_lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8", errors="replace").splitlines()


@contextlib.contextmanager
def http_server(
    env: dict[str, str], log: Path, *, host: str = "127.0.0.1", port: int | None = None, path: str = "/mcp", wait: float = 30.0
) -> Iterator[Served]:
    """Run the server over HTTP with exactly `env`, stderr to `log`; stopped (SIGTERM, then kill) afterwards."""
    port = port or free_port()
    command = [sys.executable, "-m", "openai_images", "serve", "--http", "--host", host, "--port", str(port), "--path", path]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + wait
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the server exited with {process.returncode}: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the server did not answer /healthz in {wait} s: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield Served(url=f"{base}{path}", base=base, process=process, log=log)
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def http_client(url: str, token: str | None = None, **kwargs):
    """A real fastmcp Client over Streamable HTTP, signed in with `token` when given."""
    from fastmcp import Client

    return Client(url, auth=token, **kwargs)
