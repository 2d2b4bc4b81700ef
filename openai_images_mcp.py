"""openai-images-mcp: an MCP stdio server that makes and refines images with OpenAI's GPT image models.

This module wires the three tools to the helpers: `openai_api` talks to OpenAI,
`imagefiles` reads and writes image bytes, `storage` keeps conversations. It
starts fast (OpenAI's SDK and Pillow load on first use), keeps stdout for
JSON-RPC only (logs go to stderr), and turns every failure into an MCP tool
error whose message says what to change.

Run: python3 openai_images_mcp.py
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Awaitable, Literal

from fastmcp import FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.tools.base import ToolResult
from mcp_types import ImageContent, TextContent
from pydantic import BaseModel, Field

import imagefiles
import storage
from errors import ImageServerError, InvalidInput, OpenAIError, StorageError, redact
from image_models import effective_model, validate_size
from openai_api import GeneratedImage, ImageInput, OpenAIImages, PreviousResponseGone, build_request
from settings import Settings

log = logging.getLogger("openai_images_mcp")

SERVER_NAME = "openai-images"
DEFAULT_SIZE = "1024x1024"
MAX_PROMPT_CHARS = 32_000  # the image API's documented prompt limit
OPENAI_FILE_ID = re.compile(r"^file-[A-Za-z0-9_-]{1,128}$")
DialogueMode = Literal["quick", "guided", "explorer", "skip"]

mcp = FastMCP(
    SERVER_NAME,
    instructions=(
        "Creates and refines images with OpenAI's GPT image models. Images are saved as files "
        "(the result gives the path and a small preview). To change an image, call "
        "openai_conversational_image again with the conversation_id from the previous result."
    ),
)


class Services:
    """Settings, store and OpenAI client, made on first use so that start-up stays cheap."""

    @cached_property
    def settings(self) -> Settings:
        return Settings.from_env()

    @cached_property
    def store(self) -> storage.ConversationStore:
        return storage.ConversationStore(self.settings.conversations_dir)

    @cached_property
    def openai(self) -> OpenAIImages:
        return OpenAIImages(self.settings)


services = Services()


class GenerationResult(BaseModel):
    """What a generating tool returns as structured content."""

    path: str = Field(description="Absolute path of the saved full-quality image")
    uri: str = Field(description="file:// URI of the saved image")
    conversation_id: str = Field(description="Pass this back to refine the image")
    image_id: str
    size: str = Field(description="WIDTHxHEIGHT of the saved image")
    format: str
    bytes: int
    model: str = Field(description="Image model that made it")
    assistant_model: str
    revised_prompt: str | None
    response_id: str
    notes: list[str]


@dataclass
class Job:
    """One image to make: what to send and where the result belongs."""

    prompt: str
    size: str
    assistant_model: str
    images: list[ImageInput] = field(default_factory=list)
    conversation: storage.Conversation | None = None  # set when refining
    new_fields: dict[str, Any] = field(default_factory=dict)  # stored on a new conversation


# --- tools -------------------------------------------------------------------

GENERATION_ANNOTATIONS = {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": False, "openWorldHint": True}


@mcp.tool(
    name="openai_conversational_image",
    title="Create or refine an image (conversation)",
    annotations=GENERATION_ANNOTATIONS,
    output_schema=GenerationResult.model_json_schema(),
)
async def openai_conversational_image(
    prompt: Annotated[str, Field(description="What to draw, or for a refinement what to change (e.g. 'make the sky stormy').")],
    conversation_id: Annotated[
        str | None,
        Field(description="Id from an earlier result (conv_...) to refine its last image. Omit to start a new conversation."),
    ] = None,
    dialogue_mode: Annotated[
        DialogueMode,
        Field(description="How many questions to ask before generating: quick, guided (default), explorer, or skip."),
    ] = "guided",
    skip_dialogue: Annotated[bool, Field(description="True to generate at once without any questions.")] = False,
    input_image_file_id: Annotated[
        str | None,
        Field(description="An image to work from: an OpenAI file id (file-...) or an image_id (img_...) from an earlier result."),
    ] = None,
    input_image_path: Annotated[
        str | None,
        Field(description="Absolute path of a local PNG, JPEG or WebP (up to 50 MB) to edit or use as reference; ~ is expanded."),
    ] = None,
    assistant_model: Annotated[
        str | None,
        Field(description="Override the OpenAI model that drives the image tool (default from OPENAI_ASSISTANT_MODEL). Rarely needed."),
    ] = None,
    size: Annotated[
        str | None,
        Field(description="WIDTHxHEIGHT such as 1024x1024, 1536x1024 (landscape), 1024x1536 (portrait), or auto. Default 1024x1024; a refinement keeps the previous size."),
    ] = None,
) -> ToolResult:
    """Create an image from a description, or refine an earlier one in the same conversation.

    Returns the saved file's path, a small preview and a conversation_id. To change the image,
    call this tool again with that conversation_id and describe the change: OpenAI keeps the
    earlier turns as context. Use input_image_path or input_image_file_id to start from an existing image.
    """

    async def run() -> ToolResult:
        text = _check_prompt(prompt)
        conversation = None
        if conversation_id is not None:
            conversation = await asyncio.to_thread(services.store.load, storage.check_conversation_id(conversation_id))
        last = conversation.last_image if conversation else None
        checked_size = _check_size(size, fallback=last.size if last else DEFAULT_SIZE)
        model = _check_model_name(
            assistant_model or (conversation.assistant_model if conversation else None) or services.settings.assistant_model
        )
        job = Job(
            prompt=text,
            size=checked_size,
            assistant_model=model,
            images=await _input_images(input_image_file_id, input_image_path),
            conversation=conversation,
            new_fields={"dialogue_mode": dialogue_mode, "skip_dialogue": skip_dialogue, "assistant_model": model},
        )
        return await _generate(job)

    return await _as_tool_result(run())


@mcp.tool(
    name="openai_generate_image",
    title="Generate an image (one shot)",
    annotations=GENERATION_ANNOTATIONS,
    output_schema=GenerationResult.model_json_schema(),
)
async def openai_generate_image(
    prompt: Annotated[str, Field(description="Full description of the image to make.")],
    size: Annotated[
        str | None,
        Field(description="WIDTHxHEIGHT such as 1024x1024 (default), 1536x1024 (landscape), 1024x1536 (portrait), or auto."),
    ] = None,
) -> ToolResult:
    """Generate one image straight away from a complete description, without questions.

    Returns the saved file's path, a small preview and a conversation_id; the image can be
    refined later with openai_conversational_image and that conversation_id.
    """

    async def run() -> ToolResult:
        model = services.settings.assistant_model
        job = Job(
            prompt=_check_prompt(prompt),
            size=_check_size(size, fallback=DEFAULT_SIZE),
            assistant_model=model,
            new_fields={"dialogue_mode": "skip", "skip_dialogue": True, "assistant_model": model},
        )
        return await _generate(job)

    return await _as_tool_result(run())


@mcp.tool(
    name="openai_list_conversations",
    title="List saved image conversations",
    annotations={"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True, "openWorldHint": False},
    output_schema=storage.Listing.model_json_schema(),
)
async def openai_list_conversations(
    limit: Annotated[int, Field(ge=1, le=500, description="How many conversations to show, newest first (default 20).")] = 20,
    query: Annotated[
        str | None, Field(description="Only conversations whose title or prompts contain this text (case-insensitive).")
    ] = None,
) -> ToolResult:
    """List saved image conversations, newest first, with their ids, titles, image counts and last image path.

    Use an id from here as conversation_id in openai_conversational_image to keep refining.
    """

    async def run() -> ToolResult:
        listing = await asyncio.to_thread(services.store.list, limit, query)
        return ToolResult(content=[TextContent(type="text", text=_listing_text(listing, query))], structured_content=listing.model_dump(mode="json"))

    return await _as_tool_result(run())


# --- generation ----------------------------------------------------------------


async def _generate(job: Job) -> ToolResult:
    settings = services.settings
    conversation = job.conversation
    notes: list[str] = []
    request = build_request(
        prompt=job.prompt,
        assistant_model=job.assistant_model,
        size=job.size,
        image_model=settings.image_model,
        images=job.images,
        previous_response_id=conversation.last_response_id if conversation else None,
    )
    try:
        result = await services.openai.create(request)
    except PreviousResponseGone:
        request, note = await _without_previous_response(job)
        result = await services.openai.create(request)
        notes.append(note)

    saved = await asyncio.to_thread(imagefiles.save_image, result.b64, settings.output_dir)
    actual_size = f"{saved.width}x{saved.height}"
    if result.size and result.size not in ("auto", actual_size):
        notes.append(f"OpenAI reported size {result.size}, but the saved image is {actual_size}.")
    record = storage.ImageRecord(
        image_id=storage.new_image_id(),
        path=str(saved.path),
        response_id=result.response_id,
        image_call_id=result.image_call_id,
        prompt=job.prompt,
        revised_prompt=result.revised_prompt,
        size=actual_size,
        model=result.image_model,
        format=saved.format,
    )
    try:
        conversation = await asyncio.to_thread(_record_turn, job, record, result)
    except ImageServerError as exc:
        raise StorageError(f"The image was saved to {saved.path}, but the conversation could not be updated: {exc}") from None
    log.info("Saved %s (%s, %d bytes) for %s", saved.path, actual_size, saved.byte_size, conversation.id)
    return _generation_result(conversation, record, saved, job, notes)


async def _without_previous_response(job: Job) -> tuple[dict[str, Any], str]:
    """The retry request when OpenAI has forgotten the conversation: the last image goes in as an input."""
    last = job.conversation.last_image if job.conversation else None
    if last is None or not Path(last.path).is_file():
        where = f" and the last image file {last.path} is gone" if last else ""
        raise OpenAIError(
            "OpenAI no longer has this conversation's previous response (stored responses expire)"
            f"{where}. Start a new conversation, or pass the image to edit with input_image_path."
        )
    last_image = ImageInput(image_url=await asyncio.to_thread(_data_url, last.path, "the conversation's last image"))
    request = build_request(
        prompt=job.prompt,
        assistant_model=job.assistant_model,
        size=job.size,
        image_model=services.settings.image_model,
        images=[last_image, *job.images],
    )
    note = (
        "OpenAI no longer had this conversation's earlier turns, so the last saved image "
        f"({last.path}) was sent with your prompt instead; the refinement starts from that image."
    )
    return request, note


def _record_turn(job: Job, record: storage.ImageRecord, result: GeneratedImage) -> storage.Conversation:
    store = services.store
    if job.conversation is not None:
        return store.add_turn(job.conversation.id, job.prompt, record, result.assistant_text)
    conversation = storage.Conversation(
        id=storage.new_conversation_id(), title=storage.make_title(job.prompt), **job.new_fields
    )
    conversation.messages.append(storage.Message(role="user", text=job.prompt))
    if result.assistant_text:
        conversation.messages.append(storage.Message(role="assistant", text=result.assistant_text))
    conversation.images.append(record)
    conversation.last_response_id = record.response_id
    store.save(conversation)
    return conversation


def _generation_result(conversation, record, saved, job: Job, notes: list[str]) -> ToolResult:
    structured = GenerationResult(
        path=record.path,
        uri=saved.path.as_uri(),
        conversation_id=conversation.id,
        image_id=record.image_id,
        size=record.size,
        format=saved.format,
        bytes=saved.byte_size,
        model=record.model,
        assistant_model=job.assistant_model,
        revised_prompt=record.revised_prompt,
        response_id=record.response_id or "",
        notes=notes,
    )
    lines = [
        f"Image saved: {record.path}",
        f"Conversation: {conversation.id} · image {record.image_id} · {len(conversation.images)} image(s) so far",
        f"Size: {record.size} {saved.format.upper()} ({saved.byte_size / 1024:.0f} KB) · model {record.model} via {job.assistant_model}",
    ]
    if record.revised_prompt:
        lines.append(f"OpenAI's revised prompt: {record.revised_prompt}")
    lines += [f"Note: {note}" for note in notes]
    lines.append(
        f'To refine this image, call openai_conversational_image with conversation_id="{conversation.id}" '
        "and describe the change in prompt. The inline picture is a small preview; the file is full quality."
    )
    preview = ImageContent(type="image", data=_b64(saved.preview), mime_type=saved.preview_mime_type)
    return ToolResult(
        content=[TextContent(type="text", text="\n".join(lines)), preview],
        structured_content=structured.model_dump(mode="json"),
    )


# --- argument checks -------------------------------------------------------------


def _check_prompt(prompt: str) -> str:
    text = (prompt or "").strip()
    if not text:
        raise InvalidInput("prompt is empty: describe the image to make, or the change to an existing one.")
    if len(text) > MAX_PROMPT_CHARS:
        raise InvalidInput(f"prompt is {len(text):,} characters; the limit is {MAX_PROMPT_CHARS:,}. Shorten it.")
    return text


def _check_size(size: str | None, fallback: str) -> str:
    model = effective_model(services.settings.image_model)
    return validate_size(size if size is not None and size.strip() else fallback, model)


def _check_model_name(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,99}", name):
        raise InvalidInput(f"assistant_model {name[:60]!r} is not a model name (e.g. gpt-6-astra or gpt-5.5).")
    return name


async def _input_images(file_id: str | None, path: str | None) -> list[ImageInput]:
    """The images given with the prompt, each checked before anything is sent."""
    images: list[ImageInput] = []
    if file_id is not None:
        value = file_id.strip()
        if OPENAI_FILE_ID.fullmatch(value):
            images.append(ImageInput(file_id=value))
        elif storage.IMAGE_ID.fullmatch(value):
            found = await asyncio.to_thread(services.store.find_image, value)
            if found is None:
                raise InvalidInput(f"input_image_file_id {value}: no image with that id in the saved conversations.")
            images.append(ImageInput(image_url=await asyncio.to_thread(_data_url, found[1].path, f"image {value}")))
        else:
            raise InvalidInput(
                f"input_image_file_id {value[:60]!r} is neither an OpenAI file id (file-...) nor an image_id "
                "from this server (img_ and 16 hex digits). For a local file use input_image_path."
            )
    if path is not None:
        images.append(ImageInput(image_url=await asyncio.to_thread(_data_url, path, "input_image_path")))
    return images


def _data_url(path: str, what: str) -> str:
    """Read, decode and base64 an image in one go (called off the event loop: it can be 50 MB)."""
    return imagefiles.read_input_image(path, what).data_url()


# --- results and errors -------------------------------------------------------------


async def _as_tool_result(work: Awaitable[ToolResult]) -> ToolResult:
    """Run a tool body; user-facing failures become MCP tool errors, bugs become a redacted report."""
    try:
        return await work
    except ImageServerError as exc:
        log.warning("Tool error: %s", redact(str(exc)))
        raise ToolError(redact(str(exc))) from None
    except Exception as exc:
        log.exception("Unexpected error")
        raise ToolError(
            f"Unexpected error ({type(exc).__name__}): {redact(str(exc))}. This is a bug in openai-images-mcp; "
            "the server log (stderr) has the details."
        ) from None


def _listing_text(listing: storage.Listing, query: str | None) -> str:
    about = f' matching "{query}"' if query and query.strip() else ""
    lines = [
        f"{listing.total_matching} conversation(s){about}; showing {len(listing.conversations)}, newest first. "
        f"Stored in {listing.folder}"
    ]
    if listing.unreadable:
        lines.append(f"{listing.unreadable} conversation file(s) could not be read and were skipped (see the server log).")
    for number, c in enumerate(listing.conversations, 1):
        lines.append(
            f"{number}. {c.id} — {c.title}\n"
            f"   {c.image_count} image(s) · mode {c.dialogue_mode} · created {c.created_at} · updated {c.updated_at}"
            + (f"\n   last image: {c.last_image_path}" if c.last_image_path else "")
        )
    if listing.conversations:
        lines.append("Refine one with openai_conversational_image and its conversation_id.")
    return "\n".join(lines)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- entry point ------------------------------------------------------------------


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def main() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    mcp.run(show_banner=False)


if __name__ == "__main__":
    main()
