"""The gallery: an MCP App view of a conversation's images at full size, with refine, variation, markup and download buttons.

MCP Apps (the `io.modelcontextprotocol/ui` extension, specification/2026-01-26/apps.mdx in
github.com/modelcontextprotocol/ext-apps) lets a host such as Claude, ChatGPT or VS Code show a
tool's result in a sandboxed iframe. The generating tools name the view in their definition
(`meta=TOOL_META`: `_meta.ui.resourceUri`). Their results do not change. A client that did not
declare the extension sees the server as it was before the gallery (`_ForAppsOnly`): no app-only
tools, no view among the resources, no `_meta.ui` on the tools.

The view gets the tool's result from the host (`ui/notifications/tool-result`), takes the
conversation_id from it and asks two app-only tools for the rest: `openai_gallery` for the list
of images, `openai_gallery_image` for each image's own bytes, in chunks. No image ever travels
through a URL, and the hosts keep app-only tools away from the model, so full-size bytes never
reach its context. Each chunk is at most CHUNK_BYTES (about 700 KB as base64), under Claude
Desktop's 1 MB cap on a tool result, whatever the image's size. "Mark up" lets a person draw on an
image (pen, colour, undo) and write a note; the third app-only tool, `openai_gallery_markup`, saves
the drawing in the user's data folder and makes a markup edit of the image from it and the note.

The HTML, CSS and JavaScript are one self-contained document below (no CDN, no fonts, no
network: the hosts' default CSP allows none), with the view's half of the protocol written by
hand. It lives in this module rather than beside it, so that the wheel, the Claude Desktop bundle
and the Docker image, which all ship the root's *.py files, carry it without further packaging.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

from fastmcp import Context, FastMCP
from fastmcp.apps.config import UI_EXTENSION_ID, UI_MIME_TYPE, AppConfig
from fastmcp.exceptions import ToolError
from fastmcp.server.middleware import Middleware, MiddlewareContext
from fastmcp.tools import Tool
from fastmcp.tools.base import ToolResult
from fastmcp.utilities.json_schema import dereference_refs
from mcp_types import TextContent
from pydantic import BaseModel, Field

from openai_images import generation, imagefiles, inputs, rendering, safefiles, storage
from openai_images.errors import ImageServerError, InvalidInput, NotFound, StorageError, redact
from openai_images.services import Services
from openai_images.tool_steps import refine, settle

VIEW_URI = "ui://openai-images/gallery.html"
TOOL_META = {"ui": {"resourceUri": VIEW_URI}}  # for the generating tools' definitions: their results open the gallery
LIST_TOOL = "openai_gallery"
IMAGE_TOOL = "openai_gallery_image"
MARKUP_TOOL = "openai_gallery_markup"
APP_TOOLS = (LIST_TOOL, IMAGE_TOOL, MARKUP_TOOL)
# A drawing is mostly transparent and compresses well: 3 MB of base64 (about 2.2 MB of PNG) is far more than strokes on
# a 3840x2160 image weigh, and stays under the HTTP server's 4 MB cap on a request (OPENAI_IMAGES_MAX_REQUEST_BYTES).
MAX_MARKUP_BASE64 = 3 * 1024 * 1024
MARKUPS_FOLDER = "markups"  # in the user's data folder, beside the conversations
CHUNK_BYTES = 512 * 1024  # raw bytes per openai_gallery_image call: 699,052 characters as base64
MAX_IMAGES = 60  # the newest images a gallery lists; older ones are counted
PROMPT_CHARS = 600  # of each prompt shown under its image (the whole of it is in the conversation:// resource)
RECENT_FILES = 4  # images kept read and checked between chunk calls, so a 10 MB file is not decoded 20 times

# Hosts keep a tool whose visibility lacks "model" out of the model's tool list (the spec's Visibility section).
_APP_ONLY = AppConfig(visibility=["app"])
_READ_ONLY = {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True, "openWorldHint": False}


class GalleryImage(BaseModel):
    """One image as the view shows it: what it is, where it came from, and how to ask for its bytes."""

    image_id: str
    prompt: str
    size: str = Field(description="WIDTHxHEIGHT")
    mime_type: str
    file_name: str = Field(description="The saved file's name, for downloads")
    path: str = Field(description="Where the full-quality file is saved (a path, or s3:// in object storage)")
    model: str
    created_at: str
    cost_usd: float | None = None
    parent_id: str | None = Field(default=None, description="The image this one refined")
    variation: str | None = Field(default=None, description="'2/4': one of several variations made at once")


class Gallery(BaseModel):
    """Structured content of openai_gallery: the conversation's images, newest last."""

    conversation_id: str
    title: str
    images: list[GalleryImage]
    older_images: int = Field(default=0, description="Images left out, older than the ones listed")
    rendering: bool = Field(description="True while OpenAI is still making an image in this conversation")
    question_pending: bool = Field(description="True while the conversation waits for the answer to a question")
    total_cost_usd: float | None = None
    chunk_bytes: int = CHUNK_BYTES


class ImageChunk(BaseModel):
    """Structured content of openai_gallery_image: a piece of one image's saved file, as base64."""

    image_id: str
    mime_type: str
    total_bytes: int
    offset: int
    data: str = Field(description="Base64 of the file's bytes from offset, at most chunk_bytes of them")
    next_offset: int | None = Field(description="Offset of the next chunk; None after the last")


# Inlined once here, as rendering.py does: FastMCP would inline the $refs again on every tools/list.
GALLERY_SCHEMA = dereference_refs(Gallery.model_json_schema())
CHUNK_SCHEMA = dereference_refs(ImageChunk.model_json_schema())


def register(mcp: FastMCP, *, caller: Callable[[], Services]) -> None:
    """Add the gallery's view (VIEW_URI) and its two app-only tools to `mcp`, shown only to clients with MCP Apps;
    `caller()` gives the calling user's services."""
    mcp.add_middleware(_ForAppsOnly())
    recent: OrderedDict[tuple[str, str], imagefiles.InputImage] = OrderedDict()

    @mcp.resource(
        VIEW_URI,
        name="gallery",
        title="Image gallery",
        description="MCP App view: a conversation's images at full size, with refine, variation and download buttons.",
        mime_type=UI_MIME_TYPE,
        app=AppConfig(prefers_border=True),  # no csp: the view loads nothing from anywhere
    )
    def gallery_view() -> str:
        return VIEW_HTML

    @mcp.tool(
        name=LIST_TOOL,
        title="Gallery: a conversation's images",
        annotations={"title": "Gallery: a conversation's images", **_READ_ONLY},
        app=_APP_ONLY,
        output_schema=GALLERY_SCHEMA,
    )
    async def openai_gallery(
        conversation_id: Annotated[str, Field(description="The conversation (conv_...) whose images to list.")],
    ) -> ToolResult:
        """For the gallery view: the conversation's images (ids, prompts, sizes, costs, what each refined), newest last.

        The bytes of each image come from openai_gallery_image.
        """

        async def run() -> ToolResult:
            svc = caller()
            conversation = await asyncio.to_thread(svc.store.load, storage.check_conversation_id(conversation_id))
            gallery = _gallery(conversation)
            text = f"{len(conversation.images)} image(s) in {conversation.id}" + (", one rendering" if gallery.rendering else "")
            return ToolResult(content=[TextContent(type="text", text=text)], structured_content=gallery.model_dump(mode="json"))

        return await _as_tool_result(run())

    @mcp.tool(
        name=IMAGE_TOOL,
        title="Gallery: one image's bytes",
        annotations={"title": "Gallery: one image's bytes", **_READ_ONLY},
        app=_APP_ONLY,
        output_schema=CHUNK_SCHEMA,
    )
    async def openai_gallery_image(
        conversation_id: Annotated[str, Field(description="The conversation (conv_...) the image belongs to.")],
        image_id: Annotated[str, Field(description="The image (img_...) whose saved file to read.")],
        offset: Annotated[int, Field(ge=0, description="Where to start in the file: 0, then each answer's next_offset.")] = 0,
    ) -> ToolResult:
        """For the gallery view: a chunk of an image's full-quality saved file, as base64, from offset; call again at next_offset."""

        async def run() -> ToolResult:
            svc = caller()
            conversation = await asyncio.to_thread(svc.store.load, storage.check_conversation_id(conversation_id))
            record = conversation.image(image_id) if storage.IMAGE_ID.fullmatch(image_id) else None
            if record is None:
                raise NotFound(f"Conversation {conversation.id} has no image {image_id[:40]!r}.")
            key = (svc.user, record.path)
            image = recent.pop(key, None) or await inputs.read_saved_file(record, f"image {record.image_id}", svc)
            recent[key] = image
            while len(recent) > RECENT_FILES:
                recent.popitem(last=False)
            chunk = await asyncio.to_thread(_chunk, image, record.image_id, offset)
            end = chunk.next_offset or chunk.total_bytes
            text = f"{record.image_id}: bytes {offset}-{end} of {chunk.total_bytes} ({chunk.mime_type})"
            return ToolResult(content=[TextContent(type="text", text=text)], structured_content=chunk.model_dump(mode="json"))

        return await _as_tool_result(run())

    @mcp.tool(
        name=MARKUP_TOOL,
        title="Gallery: mark up an image",
        annotations={
            "title": "Gallery: mark up an image",
            "readOnlyHint": False,
            "destructiveHint": False,
            "idempotentHint": False,
            "openWorldHint": True,
        },
        app=_APP_ONLY,
        output_schema=rendering.IMAGE_RESULT_SCHEMA,
    )
    async def openai_gallery_markup(
        conversation_id: Annotated[str, Field(description="The conversation (conv_...) the image belongs to.")],
        image_id: Annotated[str, Field(description="The image (img_...) drawn on.")],
        prompt: Annotated[str, Field(description="The note: what to do where it is drawn.")],
        markup_png: Annotated[str, Field(description="Base64 of the drawing: a PNG of the image's size, transparent but for the strokes.")],
        ctx: Context,
    ) -> ToolResult:
        """For the gallery view: a markup edit of one image from a drawing on it and a note; the drawing is saved, then the edit made."""

        async def run() -> ToolResult:
            svc = caller()
            drawing = _drawing(markup_png)
            text = inputs.check_prompt(prompt)
            conversation = await asyncio.to_thread(svc.store.load, storage.check_conversation_id(conversation_id))
            parent = generation.pick_image(conversation, image_id)
            conversation, waiting = await settle(conversation, deadline=time.monotonic() + svc.settings.wait_seconds, ctx=ctx, svc=svc)
            if waiting is not None:
                return waiting
            saved = await asyncio.to_thread(_save_drawing, drawing, svc)
            call = inputs.check_call_options(reference_paths=None, mask_path=None, dry_run=False, services=svc, markup_path=str(saved))
            inputs.check_key(svc, dry_run=False)
            return await refine(
                conversation,
                text=text,
                explicit_size=None,
                assistant_model=inputs.check_model_name(conversation.assistant_model or svc.settings.assistant_model),
                call=call,
                file_id=None,
                path=None,
                ctx=ctx,
                svc=svc,
                parent=parent,
                markup_data=drawing,
            )

        return await _as_tool_result(run())


def _drawing(markup_png: str) -> bytes:
    """The drawing's PNG bytes from its base64, within MAX_MARKUP_BASE64; InvalidInput otherwise."""
    if len(markup_png) > MAX_MARKUP_BASE64:
        raise InvalidInput(
            f"markup_png is {len(markup_png):,} characters of base64; the gallery sends at most {MAX_MARKUP_BASE64:,} "
            "(about 2.2 MB of PNG). Undo some strokes, or mark up a smaller image."
        )
    try:
        data = base64.b64decode(markup_png, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("markup_png is not base64: send the drawing's PNG bytes as base64, without a data: prefix.") from None
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise InvalidInput("markup_png is not a PNG: send the drawing as a PNG with transparency.")
    return data


def _save_drawing(data: bytes, svc: Services) -> Path:
    """Blocking: keep the drawing in the user's data folder (markups/), named like the images; its path."""
    folder = svc.settings.data_dir / MARKUPS_FOLDER
    path = folder / f"markup_{time.strftime('%Y%m%d_%H%M%S')}_{secrets.token_hex(4)}.png"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        safefiles.atomic_write(path, data)
    except OSError as exc:
        raise StorageError(
            f"Could not save the drawing in {folder} ({exc.strerror or exc}); nothing was sent. Check OPENAI_IMAGES_DATA_DIR."
        ) from None
    return path


class _ForAppsOnly(Middleware):
    """The gallery for clients that declared MCP Apps (`io.modelcontextprotocol/ui`); every other client sees none of it.

    A client without Apps would offer the app-only tools to its model, which could then pull full-size image
    bytes into its context; and it would list a view it cannot show.
    """

    async def on_list_tools(self, context, call_next):
        tools = await call_next(context)
        if _with_apps(context):
            return tools
        return [_without_ui(tool) for tool in tools if tool.name not in APP_TOOLS]

    async def on_list_resources(self, context, call_next):
        resources = await call_next(context)
        return resources if _with_apps(context) else [resource for resource in resources if str(resource.uri) != VIEW_URI]

    async def on_call_tool(self, context, call_next):
        if context.message.name in APP_TOOLS and not _with_apps(context):
            raise ToolError(f"{context.message.name} serves the gallery view of clients with MCP Apps; this client did not declare them.")
        return await call_next(context)


def _with_apps(context: MiddlewareContext) -> bool:
    """True when the client declared the UI extension with the HTML view's MIME type among its `mimeTypes`.

    The extension's specification makes the list the client's promise of what it can show: a client that
    declares `io.modelcontextprotocol/ui` without `text/html;profile=mcp-app` cannot show this view.
    """
    found = context.fastmcp_context
    if found is None or not found.client_supports_extension(UI_EXTENSION_ID):
        return False
    capabilities = found.session.client_capabilities  # not None: client_supports_extension read it
    if capabilities is None:
        return False
    extensions = capabilities.extensions or (capabilities.model_extra or {}).get("extensions") or {}  # as FastMCP reads them
    declared = extensions.get(UI_EXTENSION_ID)
    mime_types = declared.get("mimeTypes") if isinstance(declared, dict) else None
    return isinstance(mime_types, list) and UI_MIME_TYPE in mime_types


def _without_ui(tool: Tool) -> Tool:
    if not tool.meta or "ui" not in tool.meta:
        return tool
    return tool.model_copy(update={"meta": {key: value for key, value in tool.meta.items() if key != "ui"}})


def _gallery(conversation: storage.Conversation) -> Gallery:
    shown = conversation.images[-MAX_IMAGES:]
    priced = [image.cost_usd for image in conversation.images if image.cost_usd is not None]
    return Gallery(
        conversation_id=conversation.id,
        title=conversation.title,
        images=[_shown(image) for image in shown],
        older_images=len(conversation.images) - len(shown),
        rendering=conversation.pending_render is not None,
        question_pending=conversation.question_pending,
        total_cost_usd=round(sum(priced), 6) if priced else None,
    )


def _shown(image: storage.ImageRecord) -> GalleryImage:
    prompt = image.prompt if len(image.prompt) <= PROMPT_CHARS else image.prompt[:PROMPT_CHARS] + "…"
    name = image.path.replace("\\", "/").rsplit("/", 1)[-1]
    return GalleryImage(
        image_id=image.image_id,
        prompt=prompt,
        size=image.size,
        mime_type=rendering.MIME_TYPES.get(image.format, "image/png"),
        file_name=name,
        path=image.path,
        model=image.model,
        created_at=image.created_at,
        cost_usd=image.cost_usd,
        parent_id=image.parent_id,
        variation=image.variation,
    )


def _chunk(image: imagefiles.InputImage, image_id: str, offset: int) -> ImageChunk:
    total = len(image.data)
    if offset > total or (offset == total and total):
        raise InvalidInput(f"offset {offset} is past the end of {image_id}, which has {total} bytes.")
    end = min(offset + CHUNK_BYTES, total)
    return ImageChunk(
        image_id=image_id,
        mime_type=image.mime_type,
        total_bytes=total,
        offset=offset,
        data=base64.b64encode(image.data[offset:end]).decode("ascii"),
        next_offset=end if end < total else None,
    )


async def _as_tool_result(work: Awaitable[ToolResult]) -> ToolResult:
    """Our error family as a tool error the view can show; anything else is left to FastMCP's own handling."""
    try:
        return await work
    except ImageServerError as exc:
        raise ToolError(redact(str(exc))) from None


# The view. Its half of the protocol, by hand (JSON-RPC 2.0 over postMessage with the host):
#   -> ui/initialize, then ui/notifications/initialized       (the handshake; the answer has hostCapabilities, hostContext)
#   <- ui/notifications/tool-input, ui/notifications/tool-result   (the generating call's arguments, then its result)
#   <- ui/notifications/host-context-changed, ping, ui/resource-teardown
#   -> tools/call openai_gallery, openai_gallery_image, openai_conversational_image (refine; variations), openai_gallery_markup
#   -> ui/download-file (when the host offers downloadFile), ui/update-model-context, ui/notifications/size-changed
VIEW_HTML = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Image gallery</title>
<style>
  :root {
    color-scheme: light dark;
    --bg: var(--color-background-primary, light-dark(#ffffff, #1b1b1b));
    --bg2: var(--color-background-secondary, light-dark(#f4f4f5, #262626));
    --fg: var(--color-text-primary, light-dark(#18181b, #f4f4f5));
    --fg2: var(--color-text-secondary, light-dark(#52525b, #a1a1aa));
    --line: var(--color-border-primary, light-dark(#e4e4e7, #3f3f46));
    --danger: var(--color-text-danger, light-dark(#b91c1c, #f87171));
    --radius: var(--border-radius-md, 8px);
  }
  html[data-theme="light"] { color-scheme: light; }
  html[data-theme="dark"] { color-scheme: dark; }
  * { box-sizing: border-box; }
  body { margin: 0; padding: 12px; background: var(--bg); color: var(--fg);
         font: var(--font-text-sm-size, 14px)/1.45 var(--font-sans, system-ui, -apple-system, "Segoe UI", sans-serif); }
  header { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; margin-bottom: 10px; }
  h1 { font-size: var(--font-heading-sm-size, 16px); margin: 0; font-weight: 600; }
  .muted { color: var(--fg2); }
  #status { margin: 0 0 10px; }
  #status:empty { display: none; }
  #status.error { color: var(--danger); }
  #images { display: grid; gap: 14px; grid-template-columns: repeat(auto-fill, minmax(min(100%, 400px), 1fr)); align-items: start; }
  figure.expanded { grid-column: 1 / -1; }
  figure { margin: 0; border: 1px solid var(--line); border-radius: var(--radius); overflow: hidden; background: var(--bg2); }
  .frame { overflow: auto; background: repeating-conic-gradient(#8882 0% 25%, transparent 0% 50%) 50% / 16px 16px; }
  .frame img { display: block; width: 100%; height: auto; cursor: zoom-in; }
  figure.expanded .frame img { width: auto; max-width: none; margin: 0 auto; cursor: zoom-out; }
  .frame .loading { display: grid; place-items: center; width: 100%; color: var(--fg2); }
  .markup { display: grid; gap: 6px; }
  .sheet { position: relative; border: 1px solid var(--line); border-radius: var(--border-radius-sm, 6px); overflow: hidden; }
  .sheet img { display: block; width: 100%; height: auto; }
  .sheet canvas { position: absolute; inset: 0; width: 100%; height: 100%; cursor: crosshair; touch-action: none; }
  .form label { display: flex; gap: 4px; align-items: center; }
  figcaption { padding: 8px 10px; display: grid; gap: 6px; }
  .prompt { white-space: pre-wrap; overflow-wrap: anywhere; }
  .meta { font-size: var(--font-text-xs-size, 12px); color: var(--fg2); overflow-wrap: anywhere; }
  .actions, .form, .choices { display: flex; gap: 6px; flex-wrap: wrap; align-items: center; }
  .choices span { flex-basis: 100%; }
  button { font: inherit; padding: 4px 10px; border-radius: var(--border-radius-sm, 6px); border: 1px solid var(--line);
           background: var(--bg); color: var(--fg); cursor: pointer; }
  button:hover:not(:disabled) { border-color: var(--fg2); }
  button:disabled { opacity: .5; cursor: default; }
  .form textarea { flex: 1 1 240px; min-height: 2.6em; font: inherit; padding: 4px 6px; border-radius: var(--border-radius-sm, 6px);
                   border: 1px solid var(--line); background: var(--bg); color: var(--fg); }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<header><h1 id="title">Images</h1><span id="summary" class="muted"></span>
  <button id="refresh" type="button" hidden>Refresh</button></header>
<p id="status" role="status" aria-live="polite">Waiting for the image…</p>
<div id="images"></div>
<template id="card">
  <figure>
    <div class="frame"><div class="loading">Loading…</div></div>
    <figcaption>
      <div class="prompt"></div>
      <div class="meta"></div>
      <div class="actions">
        <button type="button" data-action="refine">Refine</button>
        <button type="button" data-action="variations">Variations</button>
        <button type="button" data-action="markup">Mark up</button>
        <button type="button" data-action="download">Download</button>
      </div>
      <div class="form" data-form="refine" hidden>
        <textarea placeholder="What to change, e.g. make it night"></textarea>
        <button type="button" data-action="send">Refine</button><button type="button" data-action="close">Cancel</button>
      </div>
      <div class="choices" data-form="variations" hidden>
        <span class="muted">How many variations? Each is billed as one image.</span>
        <button type="button" data-count="1">1</button><button type="button" data-count="2">2</button>
        <button type="button" data-count="3">3</button><button type="button" data-count="4">4</button>
        <button type="button" data-action="close">Cancel</button>
      </div>
      <div class="markup" data-form="markup" hidden>
        <span class="muted">Draw on the image where to change it, then say what to do there.</span>
        <div class="sheet"><canvas aria-label="Draw on the image"></canvas></div>
        <div class="form">
          <label>Pen colour <input type="color" value="#ff2020" data-role="colour"></label>
          <button type="button" data-action="undo">Undo</button>
          <textarea placeholder="What to do where you drew, e.g. put a red kite here"></textarea>
          <button type="button" data-action="send-markup">Send</button><button type="button" data-action="close">Cancel</button>
        </div>
      </div>
    </figcaption>
  </figure>
</template>
<script>
"use strict";
const PROTOCOL_VERSION = "2026-01-26";
const VARIATION_PROMPT = "Make a variation of this image: keep its subject, style and composition, and vary the details.";
const host = window.parent;
const state = { conversationId: null, gallery: null, hostCapabilities: {}, bytes: new Map(), busy: false };
const $ = (id) => document.getElementById(id);

// --- JSON-RPC over postMessage ----------------------------------------------------------
let nextId = 1;
const waiting = new Map();
function request(method, params) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    host.postMessage({ jsonrpc: "2.0", id, method, params }, "*");
  });
}
function notify(method, params) {
  host.postMessage({ jsonrpc: "2.0", method, params }, "*");
}
const onNotification = {
  "ui/notifications/tool-input": () => setStatus("Making the image…"),
  "ui/notifications/tool-result": (result) => {
    const id = conversationOf(result);
    if (result.isError && !id) return setStatus(textOf(result) || "The image could not be made.", true);
    const status = result.structuredContent && result.structuredContent.status;
    if (!id && status === "dry_run") return setStatus("A dry run: nothing was sent, so there is no image to show.");
    if (!id) return setStatus("This result has no conversation to show.", true);
    show(id, result);
  },
  "ui/notifications/tool-cancelled": (params) => setStatus("The call was cancelled" + (params.reason ? ": " + params.reason : ".")),
  "ui/notifications/host-context-changed": (context) => applyContext(context),
};
const onRequest = {
  "ping": () => ({}),
  "ui/resource-teardown": () => ({}),
};
window.addEventListener("message", (event) => {
  if (event.source !== host) return;
  const message = event.data;
  if (!message || message.jsonrpc !== "2.0") return;
  if (message.method === undefined) {
    const pending = waiting.get(message.id);
    if (!pending) return;
    waiting.delete(message.id);
    if (message.error) pending.reject(new Error(message.error.message || "The host refused the request."));
    else pending.resolve(message.result || {});
  } else if (message.id !== undefined) {
    const handler = onRequest[message.method];
    host.postMessage(handler ? { jsonrpc: "2.0", id: message.id, result: handler(message.params || {}) }
      : { jsonrpc: "2.0", id: message.id, error: { code: -32601, message: "Method not found: " + message.method } }, "*");
  } else if (onNotification[message.method]) {
    onNotification[message.method](message.params || {});
  }
});

async function callTool(name, args) {
  const result = await request("tools/call", { name, arguments: args });
  if (result.isError) throw new Error(textOf(result) || name + " failed.");
  return result;
}
function textOf(result) {
  return (result.content || []).filter((block) => block.type === "text").map((block) => block.text).join("\n");
}
function conversationOf(result) {
  const structured = result.structuredContent || {};
  if (typeof structured.conversation_id === "string") return structured.conversation_id;
  const found = /\bconv_[0-9a-f]{16}\b/.exec(textOf(result));
  return found ? found[0] : null;
}

// --- host context: theme, style variables, size ---------------------------------------------
function applyContext(context) {
  if (context.theme) document.documentElement.dataset.theme = context.theme;
  const variables = (context.styles && context.styles.variables) || {};
  for (const [name, value] of Object.entries(variables)) {
    if (name.startsWith("--") && typeof value === "string") document.documentElement.style.setProperty(name, value);
  }
}
let lastSize = "";
new ResizeObserver(() => {
  const size = { width: Math.ceil(document.documentElement.scrollWidth), height: Math.ceil(document.documentElement.scrollHeight) };
  const key = size.width + "x" + size.height;
  if (key !== lastSize) { lastSize = key; notify("ui/notifications/size-changed", size); }
}).observe(document.documentElement);

// --- the gallery ------------------------------------------------------------------------
function setStatus(text, isError) {
  $("status").textContent = text;
  $("status").classList.toggle("error", Boolean(isError));
}
async function show(conversationId, result) {
  state.conversationId = conversationId;
  const made = result && result.structuredContent && result.structuredContent.status;
  try {
    const answer = await callTool("openai_gallery", { conversation_id: conversationId });
    state.gallery = answer.structuredContent;
  } catch (error) {
    return setStatus(error.message, true);
  }
  render(made === "rendering" ? "The image is still rendering; press Refresh in a moment." : null);
}
function render(note) {
  const gallery = state.gallery;
  $("title").textContent = gallery.title || "Images";
  const cost = gallery.total_cost_usd == null ? "" : " · about $" + gallery.total_cost_usd.toFixed(3);
  $("summary").textContent = gallery.images.length + " image(s)" + (gallery.older_images ? " (+" + gallery.older_images + " older)" : "") + cost;
  $("refresh").hidden = false;
  const list = $("images");
  list.replaceChildren();
  const newestFirst = [...gallery.images].reverse();
  for (const image of newestFirst) list.append(card(image));
  let text = note;
  if (!text && gallery.rendering) text = "An image is still rendering; press Refresh in a moment.";
  if (!text && gallery.question_pending && !gallery.images.length) text = "No image yet: answer the question in the chat first.";
  setStatus(text || (gallery.images.length ? "" : "No images in this conversation yet."));
  loadImages(newestFirst);
}
function card(image) {
  const node = $("card").content.firstElementChild.cloneNode(true);
  node.dataset.imageId = image.image_id;
  const [width, height] = (image.size || "").split("x").map(Number);
  const loading = node.querySelector(".loading");
  if (width && height) loading.style.aspectRatio = width + " / " + height;
  node.querySelector(".prompt").textContent = image.prompt;
  const meta = [image.image_id, image.size, image.model];
  if (image.variation) meta.push("variation " + image.variation);
  if (image.parent_id) meta.push("refined from " + image.parent_id);
  if (image.cost_usd != null) meta.push("about $" + image.cost_usd.toFixed(3));
  meta.push(image.file_name);
  node.querySelector(".meta").textContent = meta.join(" · ");
  node.querySelector(".meta").title = "Saved at " + image.path;
  const refineForm = node.querySelector('[data-form="refine"]');
  const choices = node.querySelector('[data-form="variations"]');
  const markupForm = node.querySelector('[data-form="markup"]');
  const text = refineForm.querySelector("textarea");
  const only = (form) => { for (const other of [refineForm, choices, markupForm]) other.hidden = other !== form; };
  node.querySelector('[data-action="refine"]').onclick = () => { only(refineForm); text.focus(); };
  node.querySelector('[data-action="variations"]').onclick = () => only(choices);
  node.querySelector('[data-action="markup"]').onclick = () => { only(markupForm); openMarkup(image, markupForm); };
  node.querySelector('[data-action="download"]').onclick = () => download(image);
  for (const close of node.querySelectorAll('[data-action="close"]')) close.onclick = () => only(null);
  // No <form>: a sandbox without allow-forms blocks its submission.
  const send = () => { const prompt = text.value.trim(); if (prompt) make(image, { prompt }, "Refining " + image.image_id + "…"); };
  refineForm.querySelector('[data-action="send"]').onclick = send;
  text.onkeydown = (event) => { if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) send(); };
  for (const button of choices.querySelectorAll("[data-count]")) {
    const count = Number(button.dataset.count);
    button.onclick = () => make(image, { prompt: VARIATION_PROMPT, variations: count }, "Making " + count + " variation(s) of " + image.image_id + "…");
  }
  return node;
}
async function loadImages(images) {
  for (const image of images) {
    const frame = document.querySelector('figure[data-image-id="' + image.image_id + '"] .frame');
    if (!frame) continue;
    try {
      const file = await imageData(image);
      const img = document.createElement("img");
      img.alt = image.prompt;
      img.dataset.imageId = image.image_id;
      img.src = "data:" + file.mimeType + ";base64," + file.data;
      img.title = "Click for actual size";
      img.onclick = () => frame.parentElement.classList.toggle("expanded");
      frame.replaceChildren(img);
    } catch (error) {
      frame.querySelector(".loading").textContent = "Could not load " + image.image_id + ": " + error.message;
    }
  }
}
function imageData(image) {
  // The saved file as base64 with its type, fetched once in chunks (each answer stays under the hosts' cap on a tool result).
  if (!state.bytes.has(image.image_id)) {
    const fetching = (async () => {
      const parts = [];
      let offset = 0, mimeType = image.mime_type;
      while (offset !== null) {
        const args = { conversation_id: state.conversationId, image_id: image.image_id, offset };
        const chunk = (await callTool("openai_gallery_image", args)).structuredContent;
        parts.push(chunk.data);
        mimeType = chunk.mime_type;
        offset = chunk.next_offset;
      }
      return { mimeType, data: parts.length === 1 ? parts[0] : btoa(parts.map(atob).join("")) };
    })();
    fetching.catch(() => state.bytes.delete(image.image_id));
    state.bytes.set(image.image_id, fetching);
  }
  return state.bytes.get(image.image_id);
}
// --- mark up: a pen over the image, drawn on a transparent canvas of the image's own size ----------------------
async function openMarkup(image, form) {
  if (form.drawing) return;
  const sheet = form.querySelector(".sheet");
  const canvas = sheet.querySelector("canvas");
  let file;
  try {
    file = await imageData(image);
  } catch (error) {
    return setStatus(error.message, true);
  }
  const picture = document.createElement("img");
  picture.alt = "";
  picture.src = "data:" + file.mimeType + ";base64," + file.data;
  await picture.decode();
  sheet.prepend(picture);
  canvas.width = picture.naturalWidth;  // the markup is sent at the image's natural size, whatever size it is shown at
  canvas.height = picture.naturalHeight;
  form.drawing = drawingOn(canvas, form.querySelector('[data-role="colour"]'));
  form.querySelector('[data-action="undo"]').onclick = () => form.drawing.undo();
  const note = form.querySelector("textarea");
  form.querySelector('[data-action="send-markup"]').onclick = () => {
    const prompt = note.value.trim();
    if (!form.drawing.strokes.length) return setStatus("Draw on the image first: the strokes show where to change it.", true);
    if (!prompt) return setStatus("Write a note: what to do where you drew.", true);
    const markupPng = canvas.toDataURL("image/png").split(",")[1];
    make(image, { prompt, markup_png: markupPng }, "Editing " + image.image_id + " where you drew…", "openai_gallery_markup");
  };
}
function drawingOn(canvas, colour) {
  // Strokes are kept as points in the image's pixels, so that undo can draw the rest again.
  const context = canvas.getContext("2d");
  const strokes = [];
  const width = Math.max(3, Math.round(Math.max(canvas.width, canvas.height) / 150));
  let current = null;
  const at = (event) => {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height];
  };
  const paint = (stroke) => {
    Object.assign(context, { strokeStyle: stroke.colour, lineWidth: stroke.width, lineCap: "round", lineJoin: "round" });
    context.beginPath();
    context.moveTo(...stroke.points[0]);
    for (const point of stroke.points) context.lineTo(...point);
    context.stroke();
  };
  const redraw = () => { context.clearRect(0, 0, canvas.width, canvas.height); strokes.forEach(paint); };
  canvas.onpointerdown = (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    current = { colour: colour.value, width, points: [at(event)] };
    strokes.push(current);
    redraw();
  };
  canvas.onpointermove = (event) => { if (current) { current.points.push(at(event)); redraw(); } };
  canvas.onpointerup = canvas.onpointercancel = () => { current = null; };
  return { strokes, undo() { current = null; strokes.pop(); redraw(); } };
}

async function make(image, args, doing, tool) {
  if (state.busy) return;
  state.busy = true;
  for (const button of document.querySelectorAll("button")) button.disabled = true;
  setStatus(doing + " This can take a minute.");
  let result;
  try {
    result = await callTool(tool || "openai_conversational_image", { conversation_id: state.conversationId, image_id: image.image_id, ...args });
  } catch (error) {
    setStatus(error.message, true);
    return;
  } finally {
    state.busy = false;
    for (const button of document.querySelectorAll("button")) button.disabled = false;
  }
  if (state.hostCapabilities.updateModelContext) {  // so that the model knows what the user made here
    const what = args.variations ? args.variations + " variation(s) of " + image.image_id
      : (args.markup_png ? "a markup edit (drawn on the image) of " : "a refinement of ") + image.image_id + " (" + args.prompt + ")";
    const text = "In the gallery of " + state.conversationId + " the user made " + what + ".\n" + textOf(result);
    request("ui/update-model-context", { content: [{ type: "text", text }] }).catch(() => {});
  }
  await show(state.conversationId, result);
}
async function download(image) {
  let file;
  try {
    file = await imageData(image);
  } catch (error) {
    return setStatus(error.message, true);
  }
  if (state.hostCapabilities.downloadFile) {
    try {
      const answer = await request("ui/download-file", {
        contents: [{ type: "resource", resource: { uri: "file:///" + image.file_name, mimeType: file.mimeType, blob: file.data } }],
      });
      if (!answer.isError) return setStatus("Downloaded " + image.file_name + ".");
    } catch (error) { /* fall through to a link in this page */ }
  }
  // Hosts without ui/download-file: a link to the bytes this page already has (works where the sandbox allows downloads).
  const raw = atob(file.data);
  const bytes = new Uint8Array(raw.length);
  for (let index = 0; index < raw.length; index++) bytes[index] = raw.charCodeAt(index);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([bytes], { type: file.mimeType }));
  link.download = image.file_name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
  setStatus("If no download started, the full image is saved at " + image.path + ".");
}
$("refresh").onclick = () => state.conversationId && show(state.conversationId);

// --- the handshake ------------------------------------------------------------------------
request("ui/initialize", {
  protocolVersion: PROTOCOL_VERSION,
  appInfo: { name: "openai-images-gallery", version: "1" },
  appCapabilities: { availableDisplayModes: ["inline"] },
}).then((answer) => {
  state.hostCapabilities = answer.hostCapabilities || {};
  applyContext(answer.hostContext || {});
  notify("ui/notifications/initialized", {});
}, (error) => setStatus("The host did not answer: " + error.message, true));
</script>
</body>
</html>
"""
