"""The error family at the MCP edge: tool errors, JSON-RPC errors for resources, and plain words for bad arguments.

Every failure a user can act on (an `ImageServerError`) leaves as a one-line MCP error that says what
to change; anything else is a bug, reported as one with secrets redacted and the traceback on stderr.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TypeVar

import mcp_types
import pydantic
from fastmcp.exceptions import MCPError, ResourceError, ToolError, ValidationError
from fastmcp.resources import ResourceResult
from fastmcp.server.middleware import CallNext, Middleware, MiddlewareContext
from fastmcp.tools.base import ToolResult

from openai_images import inputs, rendering
from openai_images.errors import ImageServerError, InvalidInput, redact

log = logging.getLogger("openai_images_mcp")

Result = TypeVar("Result")


async def as_tool_result(work: Awaitable[Result]) -> Result:
    """Run a tool body; user-facing failures become MCP tool errors, bugs become a redacted report."""
    try:
        return await work
    except ImageServerError as exc:
        message = rendering.shorten(redact(str(exc)))
        log.warning("Tool error: %s", message)
        raise ToolError(message) from None
    except Exception as exc:
        log.exception("Unexpected error")
        raise ToolError(
            f"Unexpected error ({type(exc).__name__}): {redact(str(exc))}. This is a bug in openai-images-mcp; "
            "the server log (stderr) has the details."
        ) from None


class ResourceFailure(ResourceError, MCPError):
    """A resource read that failed for a reason the user can act on, as the JSON-RPC error to send.

    It is a FastMCP error, so FastMCP logs it at this level (DEBUG: no traceback box on stderr; we
    log one line), and an MCPError, so FastMCP sends its code and data unchanged. An unknown id is
    -32602 with data.uri, as SEP-2164 asks for resources/read.
    """

    def __init__(self, uri: str, message: str, code: int):
        MCPError.__init__(self, code=code, message=message, data={"uri": uri})
        self.log_level = logging.DEBUG


async def as_resource(uri: str, work: Awaitable[ResourceResult]) -> ResourceResult:
    """Run a resource read; the error family becomes a JSON-RPC error that says what to do."""
    try:
        return await work
    except ImageServerError as exc:
        message = redact(str(exc))
        log.warning("Resource %s: %s", uri[:100], message)
        code = mcp_types.INVALID_PARAMS if isinstance(exc, InvalidInput) else mcp_types.INTERNAL_ERROR
        raise ResourceFailure(uri, message, code) from None


class ArgumentErrorsInPlainWords(Middleware):
    """Arguments that fail the tools' schemas get our own one-line error, not pydantic's report."""

    async def on_call_tool(
        self,
        context: MiddlewareContext[mcp_types.CallToolRequestParams],
        call_next: CallNext[mcp_types.CallToolRequestParams, ToolResult],
    ) -> ToolResult:
        try:
            return await call_next(context)
        except ValidationError as exc:
            if not isinstance(exc.__cause__, pydantic.ValidationError):
                raise
            errors = exc.__cause__.errors(include_url=False, include_context=True, include_input=True)
            message = redact(inputs.describe_argument_errors(context.message.name, errors))
            log.warning("Tool error: %s", message)
            raise ToolError(message) from None
