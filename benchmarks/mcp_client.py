"""A bare MCP client, JSON-RPC over a child's pipes or over Streamable HTTP, so that no client-side MCP SDK is timed."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from benchmarks.common import CLOSE_TIMEOUT, REQUEST_TIMEOUT, BenchError, log

PROTOCOL_VERSION = "2025-11-25"


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

    def __init__(self, url: str, name: str, token: str):
        import httpx

        self.url = url
        self.name = name
        self.headers = {
            "accept": "application/json, text/event-stream",
            "content-type": "application/json",
            "authorization": f"Bearer {token}",
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


@asynccontextmanager
async def http_sessions(url: str, count: int, name: str, *, token: str) -> AsyncIterator[list[HttpSession]]:
    """`count` sessions with the server at `url`, each signed in with `token` and through its handshake; all closed afterwards."""
    sessions = [HttpSession(url, f"{name} client {number}", token) for number in range(count)]
    try:
        await asyncio.gather(*(session.handshake() for session in sessions))
        yield sessions
    finally:
        await asyncio.gather(*(session.close() for session in sessions))


async def generate(server: Session, prompt: str, size: str) -> Reply:
    """openai_generate_image: the call most phases time."""
    return await server.call_tool("openai_generate_image", {"prompt": prompt, "size": size})
