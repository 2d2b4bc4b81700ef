"""Serving the MCP server over Streamable HTTP: sign-in, /healthz, a cap on request bodies, Host/Origin checks and JSON logs.

The server module hands its FastMCP object to `serve`; nothing here imports it. FastMCP's own
Streamable HTTP app does the protocol (both eras, the stateless 2026-07-28 one included), checks
bearer tokens through the provider `signin` builds, answers 401 with `WWW-Authenticate`, and guards
against DNS rebinding: a Host header it does not know gets 421, an Origin it does not trust 403.
Around it sit small ASGI layers of ours: `/healthz`, answered before anything else so that a load
balancer's probe needs neither a token nor a known Host, the body cap (413), and `SingleAnswers`: an
answer that streams nothing goes as one JSON body rather than a stream of one event (docs/http.md).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit

from openai_images.errors import ConfigurationError, redact

log = logging.getLogger("openai_images_mcp.http")

HEALTH_PATH = "/healthz"
DEFAULT_HOST, DEFAULT_PORT, DEFAULT_PATH = "127.0.0.1", 8000, "/mcp"


def add_serve_arguments(parser) -> None:
    """The serving options, one definition for `openai-images-mcp serve` and `python openai_images_mcp.py`."""
    parser.add_argument("--http", action="store_true", help="serve Streamable HTTP instead of stdio")
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST}; any other needs sign-in)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--path", default=DEFAULT_PATH, help=f"the MCP endpoint's path (default {DEFAULT_PATH})")


def serve_arguments_problem(options) -> str | None:
    """What is wrong with parsed serving options, in one line, or None."""
    if not options.http and (options.host, options.port, options.path) != (DEFAULT_HOST, DEFAULT_PORT, DEFAULT_PATH):
        return "--host, --port and --path go with --http; without it the server speaks stdio."
    if not 0 < options.port < 65536:
        return f"--port {options.port} is not a port number (1-65535)."
    return None


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any `fields` a record carries; secrets redacted."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_as_json_lines() -> None:
    """Send every log record to stderr as one JSON line (uvicorn's and FastMCP's too)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for name in ("fastmcp", "uvicorn", "uvicorn.error", "uvicorn.access", "mcp"):
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)  # our access log below says more, and no query strings


class Edge:
    """The outermost ASGI layer: /healthz, the body cap, and one access-log line per request."""

    def __init__(self, app, *, max_body: int, version: str):
        self.app = app
        self.max_body = max_body
        self.version = version

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == HEALTH_PATH:
            await _answer(send, 200, json.dumps({"status": "ok", "version": self.version}).encode(), content_type="application/json")
            return
        started = time.perf_counter()
        status: list[int] = [0]
        received = [0]

        async def sending(message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        declared = _content_length(scope)
        if declared is not None and declared > self.max_body:
            await _too_large(send, self.max_body)
            status[0] = 413
        elif declared is None and scope.get("method") in ("POST", "PUT", "PATCH"):
            # No length given (chunked): read the body here, up to the cap, and hand it on whole. The HTTP
            # layer enforces a declared length, so only these bodies can grow past what they said.
            body = await _read_body(receive, self.max_body)
            received[0] = len(body or b"")
            if body is None:
                await _too_large(send, self.max_body)
                status[0] = 413
            else:
                await self.app(scope, _replay(body, receive), sending)
        else:
            await self.app(scope, receive, sending)
        log.info(
            "%s %s %s",
            scope.get("method"),
            scope["path"],
            status[0],
            extra={
                "fields": {
                    "method": scope.get("method"),
                    "path": scope["path"][:200],
                    "status": status[0],
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                    "request_bytes": declared if declared is not None else received[0],
                    "client": (scope.get("client") or ("", 0))[0],
                }
            },
        )


async def _read_body(receive, limit: int) -> bytes | None:
    """The whole request body, or None once it passes `limit` bytes (the rest is not read)."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(parts)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts)


def _replay(body: bytes, receive):
    sent = [False]

    async def receiving():
        if not sent[0]:
            sent[0] = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return receiving


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(send, limit: int) -> None:
    message = f"Request body over {limit} bytes (OPENAI_IMAGES_MAX_REQUEST_BYTES)."
    await _answer(send, 413, json.dumps({"error": message}).encode(), content_type="application/json")


async def _answer(send, status: int, body: bytes, *, content_type: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    sent = [*(headers or []), (b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": sent})
    await send({"type": "http.response.body", "body": body})


class SingleAnswers:
    """A POST whose event stream carries its JSON-RPC answer and nothing else gets that answer as `application/json`;
    any other stream goes out as it is, from its first byte.

    Why: FastMCP's 2025-11-25 transport answers every request with `text/event-stream`, one event per message, and
    the official Python client refuses an event over 1 MiB (`DEFAULT_MAX_SSE_EVENT_SIZE` in
    mcp/client/streamable_http.py) but reads a JSON body whole; a 3 MB PNG from `image://` is 4 MB of base64. The
    Streamable HTTP spec lets a server answer a POST either way, and mcp's own 2026-07-28 transport does this
    (`handle_modern_request` in mcp/server/_streamable_http_modern.py): the headers wait for the first message, and
    when that is the answer it goes as JSON. A progress notification, a request to the client (elicitation) or the
    ping the stream sends after 15 s of silence (sse_starlette's default) opens the stream at once: progress is
    never held back, and no answer's headers wait longer than one ping.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        held: list[dict] = []  # a stream's start, while it is not yet known whether it stays a stream
        stream = _FirstEvent()

        async def sending(message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200 and _is_event_stream(message):
                held.append(message)
                return
            if not held:
                await send(message)
                return
            chunk, ended = message.get("body", b""), not message.get("more_body", False)
            verdict = stream.read(chunk, ended=ended)
            if verdict == "wait":
                return
            start = held.pop()
            if verdict == "stream":
                await send(start)
                await send({"type": "http.response.body", "body": bytes(stream.sent), "more_body": not ended})
            else:
                headers = [(name, value) for name, value in start["headers"] if name.lower() not in _STREAM_HEADERS]
                await _answer(send, 200, verdict, content_type="application/json", headers=headers)

        try:
            await self.app(scope, receive, sending)
        finally:
            if held:  # the app stopped before its stream said anything conclusive (a client that went away)
                await send(held.pop())
                await send({"type": "http.response.body", "body": bytes(stream.sent), "more_body": False})


_STREAM_HEADERS = frozenset(
    {b"content-type", b"content-length", b"transfer-encoding", b"cache-control", b"connection", b"x-accel-buffering"}
)


def _is_event_stream(start: dict) -> bool:
    return any(name.lower() == b"content-type" and value.lower().startswith(b"text/event-stream") for name, value in start["headers"])


class _FirstEvent:
    """An event stream read as it is sent, until it shows whether it is one JSON-RPC answer and nothing else."""

    def __init__(self) -> None:
        self.sent = bytearray()  # what the app sent so far
        self.answer: bytes | None = None  # the first event's data, once it is known to be an answer

    def read(self, chunk: bytes, *, ended: bool) -> bytes | Literal["wait", "stream"]:
        """The answer, once the stream has `ended` with it alone; "stream" as soon as anything else shows; else "wait"."""
        self.sent += chunk
        text = bytes(self.sent)
        if not ended and text.endswith(b"\r"):
            text = text[:-1]  # perhaps half of a CRLF
        # A line ends at CRLF, LF or CR, and an event at a blank line (the event stream format of the HTML standard).
        *parts, rest = text.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n\n")
        events = [part for part in parts if part.strip(b"\n")]
        if not events:
            return "stream" if ended else "wait"
        if self.answer is None:
            data = _event_data(events[0])
            if data is None or not _is_answer(data):
                return "stream"  # a notification, a request to the client, a ping or a resumption id: it streams
            self.answer = data
        if len(events) > 1 or rest.strip(b"\n"):
            return "stream"
        return self.answer if ended else "wait"


def _event_data(event: bytes) -> bytes | None:
    """The data of a `message` event with no other fields, else None (a comment, an `id`, a `retry`, another event)."""
    data: list[bytes] = []
    for line in event.strip(b"\n").split(b"\n"):
        name, _, value = line.partition(b":")
        if name == b"data":
            data.append(value.removeprefix(b" "))
        elif name != b"event" or value.strip() != b"message":
            return None
    return b"\n".join(data) if data else None


def _is_answer(data: bytes) -> bool:
    try:
        message = json.loads(data)
    except ValueError:
        return False
    return isinstance(message, dict) and "id" in message and "method" not in message and ("result" in message or "error" in message)


def public_url(settings, *, host: str, port: int) -> str:
    """Where clients reach the server: OPENAI_IMAGES_PUBLIC_URL, else http://HOST:PORT."""
    if settings.public_url:
        return settings.public_url
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def build_app(mcp, settings, *, host: str, port: int, path: str, version: str):
    """The ASGI app: FastMCP's Streamable HTTP endpoint at `path`, with sign-in as the settings say, inside our edge layer.

    ConfigurationError when the settings do not allow serving: sign-in is required off loopback.
    """
    from openai_images import signin  # here, not at the top: the command's parser reads this module's options without the storage stack

    if not path.startswith("/") or path == HEALTH_PATH:
        raise ConfigurationError(f"--path {path!r} must start with / and must not be {HEALTH_PATH}.")
    base = public_url(settings, host=host, port=port)
    auth = signin.provider(settings, base_url=base)
    if auth is None and not signin.is_loopback(host):
        raise ConfigurationError(
            f"Refusing to serve on {host}: every address but loopback needs sign-in, and none is set. Set OPENAI_IMAGES_JWT_JWKS_URL, "
            "OPENAI_IMAGES_JWT_ISSUER and OPENAI_IMAGES_JWT_AUDIENCE (your identity provider), or OPENAI_IMAGES_AUTH_TOKENS "
            "(development), or bind to 127.0.0.1."
        )
    mcp.auth = auth
    hosts = [*settings.allowed_hosts]
    public_host = urlsplit(base).hostname
    if public_host:
        hosts.append(public_host)
    if not signin.is_loopback(host) and host not in ("0.0.0.0", "::"):
        hosts.append(host)
    app = mcp.http_app(
        path=path,
        host_origin_protection=True,
        allowed_hosts=hosts,
        allowed_origins=list(settings.allowed_origins) or None,
    )
    return Edge(SingleAnswers(app), max_body=settings.max_request_bytes, version=version)


def serve(mcp, settings, *, host: str, port: int, path: str, version: str) -> None:
    """Run the HTTP server until interrupted (ConfigurationError, before binding, when the settings do not allow it)."""
    import uvicorn

    from openai_images import signin

    log_as_json_lines()
    app = build_app(mcp, settings, host=host, port=port, path=path, version=version)
    if not signin.is_loopback(host) and not (settings.public_url or settings.allowed_hosts):
        log.warning(
            "Bound to %s with no OPENAI_IMAGES_PUBLIC_URL or OPENAI_IMAGES_ALLOWED_HOSTS: only requests whose Host is %s or "
            "loopback are answered (others get 421), and the sign-in metadata names %s. Set OPENAI_IMAGES_PUBLIC_URL to the "
            "URL clients use.",
            host,
            host,
            public_url(settings, host=host, port=port),
        )
    signed = "no sign-in (loopback only)" if mcp.auth is None else type(mcp.auth).__name__
    log.info(
        "Serving MCP at %s%s",
        public_url(settings, host=host, port=port),
        path,
        extra={"fields": {"host": host, "port": port, "path": path, "auth": signed, "storage": settings.storage or "local folders"}},
    )
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=5)
