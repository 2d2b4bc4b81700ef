"""A full-size image read back over HTTP by the official MCP clients at their default settings, in both protocol eras.

The Python SDK's Streamable HTTP client refuses a server-sent event over 1 MiB, and a 3 MB PNG is 4 MB of base64:
the server answers a request that streams nothing as one JSON body instead (http_server.SingleAnswers), so
`resources/read` of `image://` reads whole in 2025-11-25 as it already did in 2026-07-28, while progress still
streams. The TypeScript clients (npm: @modelcontextprotocol/sdk 1.x and @modelcontextprotocol/client 2.x, pinned in
tests/ts_client/package.json) read the same image through tests/ts_client/read.mjs, run by Node.
"""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import subprocess
import time
from pathlib import Path

import mcp
import pytest
from conftest import result_text
from http_helpers import http_server
from npm_helpers import npm_project

from openai_images.http_server import SingleAnswers

TS_CLIENT = Path(__file__).resolve().parent / "ts_client"
# A flexible-size model, so the image can be 1536x1536: as a photo-like PNG from the fake (grain over shapes, which
# PNG cannot compress away) that is about 3.7 MB, over three times the Python client's cap on one event.
BIG = {"prompt": "A harbour at dawn, photographed", "size": "1536x1536", "output_format": "png"}
MIN_BYTES = 3 * 1024 * 1024


@pytest.fixture
def big_image(server_env, fake_openai, tmp_path):
    """The server over HTTP (loopback, no sign-in) holding one photo-like PNG of over 3 MiB: (served, uri, its bytes)."""
    fake_openai.photo_like = True
    with http_server({**server_env, "OPENAI_IMAGE_MODEL": "gpt-image-2"}, tmp_path / "server.log") as served:

        async def make():
            async with mcp.Client(served.url) as client:
                return await client.call_tool("openai_generate_image", BIG)

        made = asyncio.run(make())
        assert not made.is_error, result_text(made)
        saved = Path(made.structured_content["path"]).read_bytes()
        assert len(saved) > MIN_BYTES and saved[:8] == b"\x89PNG\r\n\x1a\n"
        yield served, f"image://{made.structured_content['image_id']}", saved


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "version"), [("legacy", "2025-11-25"), ("2026-07-28", "2026-07-28")])
def test_the_python_client_reads_a_full_size_image_at_its_default_settings(big_image, mode, version):
    served, uri, saved = big_image

    async def read():
        async with mcp.Client(served.url, mode=mode) as client:  # the URL alone: streamable_http_client's defaults
            return client.protocol_version, await client.read_resource(uri)

    negotiated, read = asyncio.run(read())
    [content] = read.contents
    assert negotiated == version
    assert content.mime_type == "image/png" and len(content.blob) > 4_000_000, "over the 1 MiB event cap four times"
    assert base64.b64decode(content.blob) == saved


@pytest.mark.slow
def test_progress_still_streams_over_http_while_the_image_renders(server_env, fake_openai, tmp_path):
    fake_openai.event_delay = 0.3  # between the events of OpenAI's stream, so the render takes a few seconds
    heard: list[tuple[float, str | None]] = []

    async def progress(step: float, total: float | None, message: str | None) -> None:
        heard.append((time.monotonic(), message))

    async def call(url):
        async with mcp.Client(url, mode="legacy") as client:
            made = await client.call_tool("openai_generate_image", {"prompt": "A red fox in snow"}, progress_callback=progress)
            return made, time.monotonic()

    with http_server(server_env, tmp_path / "server.log") as served:
        made, answered = asyncio.run(call(served.url))
    assert not made.is_error, result_text(made)
    assert len(heard) >= 3, heard
    assert answered - heard[0][0] > 0.5, "the first progress came while the image was still rendering, not with the result"


@pytest.fixture(scope="session")
def ts_client(tmp_path_factory) -> Path:
    """A folder with tests/ts_client's files and its npm packages (npm_helpers.npm_project)."""
    return npm_project(TS_CLIENT, tmp_path_factory.getbasetemp().parent, test="the TypeScript client test")


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize(
    ("client", "version"),
    [("sdk", "2025-11-25"), ("client-2025-11-25", "2025-11-25"), ("client-2026-07-28", "2026-07-28")],
)
def test_the_typescript_clients_read_a_full_size_image(big_image, ts_client, tmp_path, client, version):
    served, uri, saved = big_image
    out = tmp_path / "read.png"
    config = {"url": served.url, "uri": uri, "out": str(out), "client": client}
    done = subprocess.run(
        [shutil.which("node") or "node", "read.mjs", json.dumps(config)],
        cwd=ts_client,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["protocolVersion"] == version and report["mimeType"] == "image/png"
    assert out.read_bytes() == saved


# --- the layer itself, on a stand-in app --------------------------------------------------------------------


ANSWER = b'{"jsonrpc":"2.0","id":7,"result":{"contents":[]}}'
PROGRESS = b'{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"p","progress":1}}'
ELICIT = b'{"jsonrpc":"2.0","id":1,"method":"elicitation/create","params":{"message":"Which style?","requestedSchema":{}}}'
SSE_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"cache-control", b"no-cache, no-transform"),
        (b"content-type", b"text/event-stream"),
        (b"mcp-session-id", b"abc123"),
        (b"x-accel-buffering", b"no"),
    ],
}


def _event(data: bytes) -> bytes:
    return b"event: message\r\ndata: " + data + b"\r\n\r\n"


def _body(chunk: bytes, more: bool = True) -> dict:
    return {"type": "http.response.body", "body": chunk, "more_body": more}


def _serve(*messages: dict, method: str = "POST") -> list[dict]:
    """What SingleAnswers sends for an app that sends `messages`."""
    sent: list[dict] = []

    async def app(scope, receive, send):
        for message in messages:
            await send(message)

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    asyncio.run(SingleAnswers(app)({"type": "http", "method": method, "path": "/mcp", "headers": []}, receive, send))
    return sent


def _headers(start: dict) -> dict[bytes, bytes]:
    return dict(start["headers"])


def test_a_stream_of_one_answer_goes_as_json_with_its_session_header():
    start, body = _serve(SSE_START, _body(_event(ANSWER)), _body(b"", more=False))
    headers = _headers(start)
    assert start["status"] == 200 and headers[b"content-type"] == b"application/json"
    assert headers[b"mcp-session-id"] == b"abc123" and b"x-accel-buffering" not in headers and b"cache-control" not in headers
    assert headers[b"content-length"] == str(len(ANSWER)).encode() and body["body"] == ANSWER


def test_a_stream_that_says_anything_before_its_answer_stays_a_stream_byte_for_byte():
    for first in (_event(PROGRESS), _event(ELICIT), b": ping - 2026-12-01 00:00:00\r\n\r\n", b"id: 1\r\ndata: \r\n\r\n"):
        stream = [first, _event(ANSWER), b""]
        sent = _serve(SSE_START, *(_body(chunk, more=bool(chunk)) for chunk in stream))
        assert sent[0] is SSE_START
        assert b"".join(message.get("body", b"") for message in sent[1:]) == b"".join(stream)


def test_a_progress_notification_goes_out_before_the_app_says_more():
    async def scenario():
        spoke = asyncio.Event()
        sent: list[dict] = []

        async def app(scope, receive, send):
            await send(SSE_START)
            await send(_body(_event(PROGRESS)))
            await asyncio.wait_for(spoke.wait(), 5)  # the answer only once the client has heard the progress
            await send(_body(_event(ANSWER)))
            await send(_body(b"", more=False))

        async def send(message):
            sent.append(message)
            if PROGRESS in message.get("body", b""):
                spoke.set()

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        await SingleAnswers(app)({"type": "http", "method": "POST", "path": "/mcp", "headers": []}, receive, send)
        return sent

    sent = asyncio.run(scenario())
    assert _headers(sent[0])[b"content-type"] == b"text/event-stream" and ANSWER in sent[2]["body"]


def test_an_answer_split_across_chunks_and_lf_lines_still_goes_as_json():
    event = _event(ANSWER).replace(b"\r\n", b"\n")
    chunks = [event[:10], event[10:-1], event[-1:]]
    start, body = _serve(SSE_START, *map(_body, chunks), _body(b"", more=False))
    assert _headers(start)[b"content-type"] == b"application/json" and body["body"] == ANSWER


def test_json_answers_errors_and_other_methods_pass_untouched():
    json_start = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
    refused = {"type": "http.response.start", "status": 406, "headers": [(b"content-type", b"text/event-stream")]}
    for messages, method in (((json_start, _body(ANSWER, more=False)), "POST"), ((refused, _body(b"", more=False)), "POST")):
        assert _serve(*messages, method=method) == list(messages)
    get_stream = (SSE_START, _body(_event(ANSWER)), _body(b"", more=False))
    assert _serve(*get_stream, method="GET") == list(get_stream)


def test_a_stream_the_app_leaves_unfinished_is_sent_as_it_was():
    sent = _serve(SSE_START, _body(b"event: message\r\ndata: {"))
    assert sent[0] is SSE_START and b"".join(message.get("body", b"") for message in sent[1:]) == b"event: message\r\ndata: {"
