"""The stdio wire: serves the FastMCP server over stdin/stdout so that every line the client sends gets an answer.

The MCP SDK's stdio transport pushes the exception from a line it cannot validate onto its read
stream (mcp/server/stdio.py, `stdin_reader`), and the dispatcher the server builds drops it with a
debug log (mcp/shared/jsonrpc_dispatcher.py, `_dispatch`), so the client never hears back. Two kinds
of line end there:
- A request whose strings hold a lone UTF-16 surrogate escape (`"\\ud800"`): valid JSON to Python,
  but not to pydantic, which refuses text that is not Unicode. Such a line is read again with the
  surrogates removed, as control characters are removed from a prompt, and handled as usual.
- A line that is not JSON, or JSON that is not a JSON-RPC message: it gets the answer JSON-RPC 2.0
  asks for (https://www.jsonrpc.org/specification#error_object), -32700 with "id": null or -32600.
FastMCP's `run_stdio_async` has no hook for either, so `serve_stdio` runs the same SDK pieces itself
(the SDK's `stdio_server`, the low-level server's `run`) with a sorter between them; its answers go
out through the SDK's one writer, so frames never tear. No library code is patched.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio
import mcp_types
import pydantic
from fastmcp import FastMCP
from fastmcp.server.context import reset_transport, set_transport
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp_types import INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger("openai_images_mcp.stdio")

_SURROGATE = re.compile("[\ud800-\udfff]")


def without_surrogates(value: Any) -> tuple[Any, int]:
    """`value` (parsed JSON) with every lone surrogate removed from its strings and keys, and how many there were."""
    if isinstance(value, str):
        return _SURROGATE.subn("", value)
    if isinstance(value, list):
        items = [without_surrogates(item) for item in value]
        return [item for item, _ in items], sum(count for _, count in items)
    if isinstance(value, dict):
        pairs = [(without_surrogates(k), without_surrogates(v)) for k, v in value.items()]
        return {k: v for (k, _), (v, _) in pairs}, sum(a + b for (_, a), (_, b) in pairs)
    return value, 0


def reread(exc: Exception) -> SessionMessage | None:
    """The message of a line refused only for lone surrogates, read again without them; None for any other line."""
    errors = exc.errors() if isinstance(exc, pydantic.ValidationError) else []
    line = errors[0].get("input") if errors and errors[0]["type"] == "json_invalid" else None
    if not isinstance(line, str) or "\\u" not in line.lower():
        return None
    try:
        parsed = json.loads(line)  # Python's parser takes lone surrogates; pydantic's does not
    except ValueError:
        return None
    cleaned, removed = without_surrogates(parsed)
    if not removed:
        return None
    try:
        message = mcp_types.jsonrpc_message_adapter.validate_python(cleaned, by_name=False)
    except pydantic.ValidationError:
        return None
    log.warning("Removed %d lone UTF-16 surrogate(s) from a message: they are not Unicode text", removed)
    return SessionMessage(message)


def answer_to_unreadable_line(exc: Exception) -> JSONRPCError | None:
    """The JSON-RPC error for a line that is not a message, or None for a blank line (no answer).

    The SDK hands over only pydantic's ValidationError, not the line; the parsed object, when there is one,
    is the `input` of the errors about the message as a whole, which is where the request id is read from.
    """
    errors = exc.errors() if isinstance(exc, pydantic.ValidationError) else []
    if not errors or errors[0]["type"] == "json_invalid":
        line = errors[0].get("input") if errors else None
        if isinstance(line, str) and not line.strip():
            return None
        return JSONRPCError(jsonrpc="2.0", id=None, error=ErrorData(code=PARSE_ERROR, message="Parse error: the line is not JSON"))
    message: Any = next((error["input"] for error in errors if isinstance(error.get("input"), dict)), {})
    request_id = message.get("id")
    if isinstance(request_id, bool) or not isinstance(request_id, int | str):
        request_id = None
    return JSONRPCError(
        jsonrpc="2.0", id=request_id, error=ErrorData(code=INVALID_REQUEST, message="Invalid Request: not a JSON-RPC 2.0 message")
    )


async def serve_stdio(server: FastMCP) -> None:
    """Serve `server` over stdin/stdout as `server.run()` does, until stdin closes; every line gets an answer."""
    lowlevel = server._mcp_server  # no public handle; FastMCP's own http.py drives the same object
    token = set_transport("stdio")  # what run_stdio_async sets; FastMCP skips auth checks on stdio
    try:
        async with stdio_server() as (from_wire, to_wire):
            to_server, from_sorter = anyio.create_memory_object_stream[SessionMessage | Exception](0)

            async def sort_lines() -> None:
                async with from_wire, to_server:
                    async for item in from_wire:
                        if isinstance(item, SessionMessage):
                            await to_server.send(item)
                        elif (message := reread(item)) is not None:
                            await to_server.send(message)
                        elif (answer := answer_to_unreadable_line(item)) is not None:
                            log.warning(
                                "Answered a line that is not a JSON-RPC message with %d (id %s)", answer.error.code, json.dumps(answer.id)
                            )
                            await to_wire.send(SessionMessage(answer))

            log.info("Serving %r over stdio", server.name)
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(sort_lines)
                await lowlevel.run(from_sorter, to_wire, lowlevel.create_initialization_options())
    finally:
        reset_transport(token)


STOP_GRACE_SECONDS = 1.0


def stop_on_signals(loop: asyncio.AbstractEventLoop, stop: Callable[[str], None]) -> None:
    """Have `loop` call `stop` with the signal's name on SIGINT (Ctrl-C) or SIGTERM.

    Windows' event loop has no add_signal_handler (NotImplementedError); there a plain signal
    handler, run by Python in the main thread, hands the stop to the loop instead.
    """
    import signal

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop, signal.Signals(signum).name)
        except (NotImplementedError, RuntimeError):  # Windows' ProactorEventLoop, or a loop outside the main thread
            signal.signal(signum, lambda number, _: loop.call_soon_threadsafe(stop, signal.Signals(number).name))


def serve_until_stopped(server: FastMCP) -> None:
    """Serve until stdin closes, SIGINT (Ctrl-C) or SIGTERM; a signal ends the process with status 0 and no traceback.

    Cancelling the serving task is not enough: the SDK reads stdin in a worker thread that no
    cancellation reaches, so the first Ctrl-C used to do nothing and the second printed a
    KeyboardInterrupt traceback (modelcontextprotocol/python-sdk#3551). After a signal the server
    gets STOP_GRACE_SECONDS to finish, then the process exits. A render still running at OpenAI
    is recorded in its conversation, and the next process collects it.
    """
    import asyncio
    import os
    import sys

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        main = asyncio.current_task()

        def stop(signame: str) -> None:
            log.info("Stopping on %s", signame)
            if main is not None:
                main.cancel()
            loop.call_later(STOP_GRACE_SECONDS, exit_now)

        stop_on_signals(loop, stop)
        with contextlib.suppress(asyncio.CancelledError):
            await serve_stdio(server)

    def exit_now() -> None:
        logging.shutdown()
        sys.stdout.flush()
        os._exit(0)

    asyncio.run(serve())
