"""Inline previews only where they help: OPENAI_IMAGES_INLINE_PREVIEW, and the clients known to turn image content into text.

A generating result carries a small JPEG preview as image content, so that a model that can look at
images sees what it made (Claude's can). Some clients cannot show image content and hand its base64 to
their model as text instead: a 100 KB preview becomes tens of thousands of tokens of noise. For them,
`auto` leaves the image content out; the result's text and structured content still name the saved file,
and hosts with MCP Apps show the image in the gallery. The list is kept here, each entry with its source.
"""

from __future__ import annotations

from collections.abc import Callable

from fastmcp.server.middleware import Middleware, MiddlewareContext
from fastmcp.tools.base import ToolResult
from mcp_types import ImageContent, TextContent

# clientInfo.name (lower case) -> why image content is left out for it.
MISHANDLES_IMAGE_CONTENT: dict[str, str] = {
    # ChatGPT's connector introduces itself as "openai-mcp" (the initialize requests that public guides to
    # OpenAI's connectors quote), and passes ImageContent to the model as base64 text:
    # https://patent.dev/model-context-protocol-has-an-image-problem ; when an MCP Apps view renders it forwards
    # only structuredContent (https://github.com/openai/openai-apps-sdk-examples/issues/144).
    "openai-mcp": "ChatGPT gives image content to its model as text",
    "chatgpt": "ChatGPT gives image content to its model as text",
}


def left_out_because(setting: str, client_name: str | None) -> str | None:
    """Why a result for `client_name` goes without its inline preview under `setting`; None when it keeps it."""
    if setting == "never":
        return "OPENAI_IMAGES_INLINE_PREVIEW is never"
    if setting == "always":
        return None
    return MISHANDLES_IMAGE_CONTENT.get((client_name or "").strip().lower())


def without_images(result: ToolResult, reason: str) -> ToolResult:
    """`result` with its image content taken out and one line saying why; its text and structured content unchanged."""
    kept = [block for block in result.content if not isinstance(block, ImageContent)]
    if len(kept) == len(result.content):
        return result
    note = (
        f"No inline preview in this result ({reason}; set OPENAI_IMAGES_INLINE_PREVIEW=always to send it): the saved file is named above."
    )
    return ToolResult(
        content=[*kept, TextContent(type="text", text=note)],
        structured_content=result.structured_content,
        meta=result.meta,
        is_error=result.is_error,
    )


def client_name(context: MiddlewareContext) -> str | None:
    """The calling client's clientInfo.name: from the handshake, or from the request's envelope on 2026-07-28 connections."""
    found = context.fastmcp_context
    params = found.session.client_params if found is not None else None
    info = params.client_info if params is not None else None
    return info.name if info is not None else None


class InlinePreviews(Middleware):
    """Takes the image content out of tool results for clients that mishandle it, as `setting()` decides."""

    def __init__(self, setting: Callable[[], str]):
        self.setting = setting

    async def on_call_tool(self, context, call_next):
        result = await call_next(context)
        reason = left_out_because(self.setting(), client_name(context))
        if reason is None or not isinstance(result, ToolResult):
            return result
        return without_images(result, reason)
