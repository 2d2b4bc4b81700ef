"""What a client sees when it writes a line that is not a JSON-RPC message to the server's stdin.

JSON-RPC 2.0 (https://www.jsonrpc.org/specification#error_object) answers such a line with -32700 Parse error
and "id": null, or -32600 Invalid Request when the line is JSON but not a message. The MCP SDK's stdio
transport drops such lines (mcp/server/stdio.py, `stdin_reader`; mcp/shared/jsonrpc_dispatcher.py,
`_dispatch`); `stdio_wire.py` answers them, and reads a line that holds a lone UTF-16 surrogate escape
again without it, so every line gets an answer and the session goes on.
"""

from __future__ import annotations

import asyncio
import json
import sys

import mcp_types
import pytest
from conftest import SERVER

pytestmark = pytest.mark.integration

BAD_LINES = {
    "not-json": b"{not json",
    "json-but-not-json-rpc": b'{"hello": 1}',
    "request-with-a-number-for-method": b'{"jsonrpc":"2.0","id":7,"method":5}',
    "invalid-utf8": b"\xff\xfe{\xc3(",
}
UNPARSEABLE = ["not-json", "invalid-utf8"]
NOT_A_MESSAGE = [("json-but-not-json-rpc", None), ("request-with-a-number-for-method", 7)]  # (line, id the answer carries)


class RawSession:
    """The real server process over raw pipes: write any bytes as a line, read stdout as JSON-RPC messages."""

    def __init__(self, process: asyncio.subprocess.Process):
        self.process = process

    async def send(self, line: bytes) -> None:
        self.process.stdin.write(line + b"\n")
        await self.process.stdin.drain()

    async def next_message(self, timeout: float) -> dict:
        """The next stdout line, which must be one JSON-RPC message; TimeoutError if none comes within `timeout`."""
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        assert line, "the server closed stdout"
        mcp_types.jsonrpc_message_adapter.validate_json(line)  # anything that is not a JSON-RPC message fails here
        return json.loads(line)

    async def request(self, request_id: int, method: str, params: dict | None = None) -> list[dict]:
        """Send a request; return every message read up to and including its answer."""
        message = {"jsonrpc": "2.0", "id": request_id, "method": method, **({"params": params} if params else {})}
        await self.send(json.dumps(message).encode())
        seen = [await self.next_message(timeout=20)]
        while seen[-1].get("id") != request_id or "method" in seen[-1]:
            seen.append(await self.next_message(timeout=20))
        return seen

    async def quiet_for(self, seconds: float) -> list[dict]:
        """Every message that arrives within `seconds` (none, when the server has nothing more to say)."""
        seen = []
        try:
            while True:
                seen.append(await self.next_message(timeout=seconds))
        except TimeoutError:
            return seen

    async def close(self) -> tuple[int, str]:
        """Close stdin; return the exit code and everything the server wrote to stderr. Stdout must hold only messages."""
        self.process.stdin.close()
        rest, stderr = await asyncio.wait_for(self.process.communicate(), 30)
        for line in rest.splitlines():
            mcp_types.jsonrpc_message_adapter.validate_json(line)
        return self.process.returncode, stderr.decode(errors="replace")


@pytest.fixture
async def session(server_env):
    """A started server that has answered `initialize` (2025-11-25 handshake) and been told `initialized`."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SERVER),
        env=server_env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    raw = RawSession(process)
    hello = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}
    [answer] = await raw.request(0, "initialize", hello)
    assert answer["result"]["serverInfo"]["name"] == "openai-images"
    await raw.send(b'{"jsonrpc":"2.0","method":"notifications/initialized"}')
    yield raw
    if process.returncode is None:
        process.kill()
        await process.wait()


async def _ping_after(session: RawSession, line: bytes) -> list[dict]:
    """Send `line`, then a ping; return the messages read until the ping's answer, without that answer."""
    await session.send(line)
    seen = await session.request(100, "ping")
    assert seen[-1] == {"jsonrpc": "2.0", "id": 100, "result": {}}
    return seen[:-1]


@pytest.mark.parametrize("name", BAD_LINES)
async def test_after_a_bad_line_the_server_still_answers_and_stdout_stays_json_rpc(session, name):
    before_ping = await _ping_after(session, BAD_LINES[name])
    assert all("error" in message for message in before_ping), "a bad line gets an error or nothing, never a result"
    [tools] = await session.request(101, "tools/list")
    assert "openai_generate_image" in {tool["name"] for tool in tools["result"]["tools"]}
    returncode, stderr = await session.close()
    assert returncode == 0, stderr[-2000:]
    assert "Traceback" not in stderr


async def test_a_blank_line_is_ignored(session):
    assert await _ping_after(session, b"   ") == []


async def test_invalid_utf8_inside_a_json_string_becomes_u_fffd_and_the_request_is_answered(session):
    line = b'{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"no_tool_\xff","arguments":{}}}'
    await session.send(line)
    answer = await session.next_message(timeout=20)
    assert answer["id"] == 9
    assert "no_tool_\ufffd" in answer["result"]["content"][0]["text"]


@pytest.mark.parametrize("name", UNPARSEABLE)
async def test_an_unparseable_line_is_answered_with_parse_error_and_a_null_id(session, name):
    [answer] = await _ping_after(session, BAD_LINES[name])
    assert answer["id"] is None
    assert answer["error"]["code"] == mcp_types.PARSE_ERROR == -32700


@pytest.mark.parametrize(("name", "request_id"), NOT_A_MESSAGE)
async def test_json_that_is_not_a_message_is_answered_with_invalid_request_and_its_id(session, name, request_id):
    [answer] = await _ping_after(session, BAD_LINES[name])
    assert answer["id"] == request_id
    assert answer["error"]["code"] == mcp_types.INVALID_REQUEST == -32600


@pytest.mark.parametrize(
    "tool, arguments",
    [
        ("openai_generate_image", r'{"prompt": "a fox \ud800 in snow", "dry_run": true}'),  # JSON escapes of lone surrogates
        ("openai_list_conversations", r'{"query": "fox\udc00"}'),
    ],
)
async def test_a_lone_surrogate_is_removed_and_the_call_answered(session, tool, arguments):
    line = f'{{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{{"name":"{tool}","arguments":{arguments}}}}}'
    await session.send(line.encode())
    answer = await session.next_message(timeout=20)
    assert answer["id"] == 12 and not answer["result"]["isError"], answer
    if tool == "openai_generate_image":
        assert answer["result"]["structuredContent"]["request"]["input"] == "a fox  in snow"
    _, stderr = await session.close()
    assert "Removed 1 lone UTF-16 surrogate(s)" in stderr
