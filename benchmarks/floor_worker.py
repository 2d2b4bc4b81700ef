"""The per-image floor: the bare work (SDK stream, base64 decode, plain write) in a process of its own, and how to ask it.

The phases start it as `python -m benchmarks.floor_worker` in the checkout, with the environment of the server it stands
beside, and send it JSON-RPC `generate` requests on stdin (floor_generate); it times the work in-process.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import sys
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from benchmarks.common import REQUEST_TIMEOUT
from benchmarks.mcp_client import StdioSession


def floor_worker_argv() -> list[str]:
    return [sys.executable, "-m", "benchmarks.floor_worker"]  # cwd is the checkout (processes.spawned)


async def floor_generate(worker: StdioSession, requests: list[dict[str, Any]], at_once: int | None = None) -> float:
    """Seconds the worker took for `requests`, all sent at once (or at most `at_once` at a time)."""
    params: dict[str, Any] = {"requests": requests}
    if at_once is not None:
        params["at_once"] = at_once
    reply = await worker.request("generate", params)
    return float(reply.result["seconds"])


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


if __name__ == "__main__":
    asyncio.run(floor_worker())
