"""openai-images-mcp: an MCP stdio server that makes and refines images with OpenAI's GPT image models.

This module wires the three tools to the helpers: `openai_api` talks to OpenAI,
`imagefiles` reads and writes image bytes, `storage` keeps conversations. It
starts fast (OpenAI's SDK and Pillow load on first use), keeps stdout for
JSON-RPC only (logs go to stderr), and turns every failure into an MCP tool
error whose message says what to change.

Run: python3 openai_images_mcp.py
"""

from __future__ import annotations

import gc

# Start-up makes some 170,000 objects that live as long as the server (FastMCP, MCP types,
# pydantic schemas). The cyclic collector would walk them again and again while they are being
# made, for nothing: about 80 ms of start-up. It is switched back on at the end of this module.
gc.disable()

import asyncio
import base64
import contextlib
import json
import logging
import re
import sys
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Awaitable, Literal

import mcp_types
from fastmcp import Context, FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.tools.base import ToolResult
from fastmcp.resources import ResourceContent, ResourceResult
from mcp_types import ImageContent, ResourceLink, TextContent
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, Field

import costs
import dialogue
import enhancer
import imagefiles
import storage
from dialogue import DialogueState, DialogueStatus
from errors import ImageServerError, InvalidInput, OpenAIError, StorageError, redact
from image_models import ImageOptions, effective_model, validate_options, validate_size
from openai_api import GeneratedImage, ImageInput, OpenAIImages, PreviousResponseGone, build_request
from settings import Settings

log = logging.getLogger("openai_images_mcp")

SERVER_NAME = "openai-images"
DEFAULT_SIZE = "1024x1024"
MAX_PROMPT_CHARS = 32_000  # the image API's documented prompt limit
OPENAI_FILE_ID = re.compile(r"^file-[A-Za-z0-9_-]{1,128}$")
MAX_INPUT_IMAGES = 16  # OpenAI takes up to 16 images beside one prompt
DialogueMode = Literal["quick", "guided", "explorer", "skip"]
Quality = Literal["low", "medium", "high", "xhigh", "max", "auto"]
Background = Literal["auto", "transparent", "opaque"]
OutputFormat = Literal["png", "webp", "jpeg"]
MIME_TYPES = {"png": "image/png", "webp": "image/webp", "jpeg": "image/jpeg", "gif": "image/gif"}

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

    @cached_property
    def prices(self) -> dict[str, costs.Prices]:
        return costs.parse_price_overrides(self.settings.prices) if self.settings.prices else {}


services = Services()


@dataclass
class SessionCost:
    """What this server process has spent, for the running total shown with each image."""

    usd: float = 0.0
    images: int = 0
    unpriced: int = 0

    def add(self, cost: costs.ImageCost) -> None:
        self.images += 1
        if cost.total_usd is None:
            self.unpriced += 1
        else:
            self.usd += cost.total_usd

    def text(self) -> str:
        unpriced = f", {self.unpriced} without a known price" if self.unpriced else ""
        return f"Session total: {costs.format_usd(self.usd)} for {self.images} image(s){unpriced} (estimate from reported usage)"


session_cost = SessionCost()


class QuestionInfo(BaseModel):
    key: str
    text: str
    options: list[str]
    number: int
    total: int


class ImageResult(BaseModel):
    """Structured content of the generating tools: an image, a question before generating, or a stop."""

    status: Literal["generated", "question", "cancelled", "stopped", "dry_run"] = Field(
        description="generated: an image was saved; question: answer it to continue; cancelled/stopped: nothing was made; dry_run: nothing was sent"
    )
    conversation_id: str | None = Field(default=None, description="Pass this back to answer the question or refine the image")
    path: str | None = Field(default=None, description="Absolute path of the saved full-quality image")
    uri: str | None = Field(default=None, description="file:// URI of the saved image")
    image_id: str | None = None
    size: str | None = Field(default=None, description="WIDTHxHEIGHT of the saved image")
    format: str | None = None
    bytes: int | None = None
    model: str | None = Field(default=None, description="Image model that made it")
    assistant_model: str | None = None
    revised_prompt: str | None = None
    response_id: str | None = None
    image_type: str | None = Field(default=None, description="Detected kind of image (logo, presentation, portrait ...)")
    score_before: int | None = Field(default=None, description="Prompt quality 0-100 before the dialogue")
    score_after: int | None = Field(default=None, description="Prompt quality 0-100 of the prompt sent")
    final_prompt: str | None = Field(default=None, description="The prompt sent, when the dialogue built it")
    size_reason: str | None = None
    question: QuestionInfo | None = None
    usage: dict[str, Any] | None = Field(default=None, description="Tokens OpenAI reported: image model and assistant model")
    cost_usd: float | None = Field(default=None, description="Estimated cost of this image in USD (None: no known price)")
    cost_note: str | None = None
    session_cost_usd: float | None = Field(default=None, description="Estimated cost of every image made by this server process")
    request: dict[str, Any] | None = Field(default=None, description="Dry run: the request that would be sent (image data elided)")
    estimated_cost_usd: list[float | None] | None = Field(default=None, description="Dry run: [low, high] estimate in USD")
    notes: list[str] = Field(default_factory=list)


@dataclass
class Analysis:
    """What the server worked out about a new prompt, shown beside the image."""

    image_type: str
    type_words: list[str]
    score_before: int
    size_reason: str
    score_after: int | None = None
    final_prompt: str | None = None  # set when a dialogue built the prompt


@dataclass
class Job:
    """One image to make: what to send and where the result belongs."""

    prompt: str
    size: str
    assistant_model: str
    images: list[ImageInput] = field(default_factory=list)
    conversation: storage.Conversation | None = None  # the conversation the image joins, if it exists
    new_fields: dict[str, Any] = field(default_factory=dict)  # stored on a new conversation
    user_message: str | None = None  # recorded as the user's turn (None: already recorded by the dialogue)
    analysis: Analysis | None = None
    options: ImageOptions = field(default_factory=ImageOptions)
    mask_url: str | None = None
    dry_run: bool = False


@dataclass
class Extras:
    """The per-call settings beside the prompt, checked before anything else happens."""

    options: ImageOptions
    reference_paths: list[str]
    mask_path: str | None
    dry_run: bool


class Progress:
    """MCP progress for one tool call: a message per stage, and a heartbeat so clients do not time out.

    Clients that reset their timeout on progress (and show the message) keep waiting for
    long renders; without a progress token from the client, FastMCP sends nothing.
    """

    HEARTBEAT_SECONDS = 4.0

    def __init__(self, ctx: Context | None, partial_images: int = 0):
        self.ctx = ctx
        self.partial_images = partial_images
        self.sent = 0
        self.started = self.last = time.monotonic()

    async def say(self, message: str) -> None:
        self.sent += 1
        self.last = time.monotonic()
        if self.ctx is None:
            return
        try:
            await self.ctx.report_progress(self.sent, None, message)
        except Exception as exc:  # progress is a courtesy: never fail the image because of it
            log.debug("Progress notification failed: %s", exc)

    async def from_openai(self, message: str, partial_index: int | None) -> None:
        if partial_index is not None and self.partial_images:
            message = f"partial image {partial_index + 1} of {self.partial_images} received"
        await self.say(message)

    @contextlib.asynccontextmanager
    async def heartbeat(self):
        task = asyncio.create_task(self._beat())
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            if time.monotonic() - self.last >= self.HEARTBEAT_SECONDS:
                await self.say(f"still working ({time.monotonic() - self.started:.0f} s so far)")


# --- tools -------------------------------------------------------------------

GENERATION_ANNOTATIONS = {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": False, "openWorldHint": True}
ToolOutput = ToolResult | mcp_types.InputRequiredResult


SIZE_HELP = "WIDTHxHEIGHT such as 1024x1024, 1536x1024 (landscape), 1024x1536 (portrait), or auto. Omit to let the server pick one for the kind of image."
QUALITY_HELP = "low, medium, high or auto (OpenAI's default); xhigh and max only on gpt-image-2.5 models. Higher costs more and takes longer."
BACKGROUND_HELP = "transparent (needs output_format png or webp), opaque, or auto."
FORMAT_HELP = "File format: png (default), webp or jpeg."
COMPRESSION_HELP = "0-100 compression for jpeg or webp (100 = best quality)."
MODERATION_HELP = "OpenAI content moderation: auto (default) or low (less strict)."
FIDELITY_HELP = "How closely to keep input images' details and faces: high or low. Only gpt-image-1.5 (and low on gpt-image-1-mini)."
PARTIAL_HELP = "0-3 previews streamed while rendering, reported as progress; each costs about 100 extra image tokens. Default 0."
DRY_RUN_HELP = "True to send nothing and return the exact request that would be sent, with an estimated cost."

# Parameters both generating tools take, declared once (the schemas stay flat: one property each).
SizeArg = Annotated[str | None, Field(description=SIZE_HELP)]
QualityArg = Annotated[Quality | None, Field(description=QUALITY_HELP)]
BackgroundArg = Annotated[Background | None, Field(description=BACKGROUND_HELP)]
FormatArg = Annotated[OutputFormat | None, Field(description=FORMAT_HELP)]
CompressionArg = Annotated[int | None, Field(ge=0, le=100, description=COMPRESSION_HELP)]
ModerationArg = Annotated[Literal["auto", "low"] | None, Field(description=MODERATION_HELP)]
FidelityArg = Annotated[Literal["high", "low"] | None, Field(description=FIDELITY_HELP)]
ReferencesArg = Annotated[
    list[str] | None, Field(description="Up to 16 absolute paths of local images to use as style or subject references.")
]
PartialArg = Annotated[int, Field(ge=0, le=3, description=PARTIAL_HELP)]
DryRunArg = Annotated[bool, Field(description=DRY_RUN_HELP)]
IMAGE_RESULT_SCHEMA = ImageResult.model_json_schema()


@mcp.tool(
    name="openai_conversational_image",
    title="Create or refine an image (conversation)",
    annotations=GENERATION_ANNOTATIONS,
    output_schema=IMAGE_RESULT_SCHEMA,
)
async def openai_conversational_image(
    prompt: Annotated[
        str,
        Field(description="What to draw; the answer to a pending question; or, for a refinement, what to change (e.g. 'make the sky stormy')."),
    ],
    ctx: Context,
    conversation_id: Annotated[
        str | None,
        Field(description="Id from an earlier result (conv_...): answers its pending question, or refines its last image. Omit to start a new conversation."),
    ] = None,
    dialogue_mode: Annotated[
        DialogueMode,
        Field(description="Questions to ask before generating a new image: quick (1-2), guided (3-5, default), explorer (6-8), skip (none)."),
    ] = "guided",
    skip_dialogue: Annotated[bool, Field(description="True to generate at once without any questions.")] = False,
    input_image_file_id: Annotated[
        str | None,
        Field(description="An image to work from: an OpenAI file id (file-...) or an image_id (img_...) from an earlier result."),
    ] = None,
    input_image_path: Annotated[
        str | None,
        Field(description="Absolute path of a local PNG, JPEG or WebP (up to 50 MB) to edit; ~ is expanded."),
    ] = None,
    mask_path: Annotated[
        str | None,
        Field(description="PNG with transparency, same size as the image being edited (input_image_path, or the conversation's last image): transparent pixels mark what to change."),
    ] = None,
    reference_image_paths: ReferencesArg = None,
    assistant_model: Annotated[
        str | None,
        Field(description="Override the OpenAI model that drives the image tool (default from OPENAI_ASSISTANT_MODEL). Rarely needed."),
    ] = None,
    size: Annotated[str | None, Field(description=SIZE_HELP + " A refinement keeps the previous size.")] = None,
    quality: QualityArg = None,
    background: BackgroundArg = None,
    output_format: FormatArg = None,
    output_compression: CompressionArg = None,
    moderation: ModerationArg = None,
    input_fidelity: FidelityArg = None,
    partial_images: PartialArg = 0,
    dry_run: DryRunArg = False,
) -> ToolOutput:
    """Create an image through a short guided conversation, or refine an earlier one.

    A new prompt first gets a few questions (unless dialogue_mode is skip or skip_dialogue is true):
    the result then shows a question and a conversation_id. Ask the user, and call again with that
    conversation_id and the user's answer as prompt; after the last answer the image is made from an
    improved prompt. To change an existing image, call with its conversation_id and describe the change
    (add mask_path to change only part of it). Results give the saved file's path, a small preview,
    the conversation_id and the estimated cost.
    """

    async def run() -> ToolOutput:
        text = _check_prompt(prompt)  # checked first: a reply to a form carries the original prompt again
        continuing = _continued_elicitation(ctx)
        if continuing is not None:
            return await _resume_elicitation(continuing, ctx)
        explicit_size = _check_size(size) if _given(size) else None
        extras = _check_extras(
            quality, background, output_format, output_compression, moderation, input_fidelity, partial_images,
            reference_image_paths, mask_path, dry_run,
        )
        if conversation_id is not None:
            conversation = await asyncio.to_thread(services.store.load, storage.check_conversation_id(conversation_id))
            if conversation.question_pending and not extras.dry_run:
                return await _answer(conversation, text, ctx, explicit_size)
            dialogue_done = conversation.dialogue is not None and conversation.dialogue.status != DialogueStatus.CANCELLED
            if dialogue_done and not conversation.images and not (input_image_file_id or input_image_path):
                # A dialogue whose image is not made yet: the first attempt failed, or this is a dry run.
                return await _generate_from_dialogue(conversation, ctx, extras)
            model = _check_model_name(assistant_model or conversation.assistant_model or services.settings.assistant_model)
            return await _refine(conversation, text, explicit_size, model, extras, input_image_file_id, input_image_path, ctx)

        model = _check_model_name(assistant_model or services.settings.assistant_model)
        images, mask_url = await _prepare_images(None, input_image_file_id, input_image_path, extras)
        fields = {"dialogue_mode": dialogue_mode, "skip_dialogue": skip_dialogue, "assistant_model": model}
        if skip_dialogue or dialogue_mode == "skip" or images or extras.dry_run:
            # Questions are for a new picture from words alone; an edit, or a dry run, goes straight through.
            return await _generate(_direct_job(text, explicit_size, model, images, fields, extras, mask_url), ctx)

        state = dialogue.start(text, dialogue_mode, services.settings.image_model)
        conversation = storage.Conversation(
            id=storage.new_conversation_id(),
            title=storage.make_title(text),
            messages=[storage.Message(role="user", text=text)],
            requested_size=explicit_size,
            options=extras.options.tool_fields(),
            dialogue=state,
            image_type=state.image_type.value,
            score_before=state.score_before,
            **fields,
        )
        await asyncio.to_thread(services.store.save, conversation)
        return await _next_step(conversation, ctx)

    return await _as_tool_result(run())


@mcp.tool(
    name="openai_generate_image",
    title="Generate an image (one shot)",
    annotations=GENERATION_ANNOTATIONS,
    output_schema=IMAGE_RESULT_SCHEMA,
)
async def openai_generate_image(
    prompt: Annotated[str, Field(description="Full description of the image to make.")],
    ctx: Context,
    size: SizeArg = None,
    quality: QualityArg = None,
    background: BackgroundArg = None,
    output_format: FormatArg = None,
    output_compression: CompressionArg = None,
    moderation: ModerationArg = None,
    input_fidelity: FidelityArg = None,
    reference_image_paths: ReferencesArg = None,
    partial_images: PartialArg = 0,
    dry_run: DryRunArg = False,
) -> ToolResult:
    """Generate one image straight away from a complete description, without questions.

    Returns the saved file's path, a small preview, the estimated cost and a conversation_id; the
    image can be refined later with openai_conversational_image and that conversation_id.
    """

    async def run() -> ToolResult:
        text = _check_prompt(prompt)
        explicit_size = _check_size(size) if _given(size) else None
        extras = _check_extras(
            quality, background, output_format, output_compression, moderation, input_fidelity, partial_images,
            reference_image_paths, None, dry_run,
        )
        images, _ = await _prepare_images(None, None, None, extras)
        model = services.settings.assistant_model
        fields = {"dialogue_mode": "skip", "skip_dialogue": True, "assistant_model": model}
        return await _generate(_direct_job(text, explicit_size, model, images, fields, extras, None), ctx)

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
    """List saved image conversations, newest first: ids, titles, dialogue mode, pending questions, prompt scores,
    image counts and the last image's path.

    Use an id from here as conversation_id in openai_conversational_image to answer or keep refining.
    """

    async def run() -> ToolResult:
        listing = await asyncio.to_thread(services.store.list, limit, query)
        return ToolResult(content=[TextContent(type="text", text=_listing_text(listing, query))], structured_content=listing.model_dump(mode="json"))

    return await _as_tool_result(run())


# --- resources -------------------------------------------------------------------------


@mcp.resource(
    "conversation://{conversation_id}",
    name="conversation",
    title="Image conversation",
    description="One saved conversation as JSON: messages, images (paths, prompts, usage, cost) and dialogue state.",
    mime_type="application/json",
)
async def conversation_resource(conversation_id: str) -> ResourceResult:
    try:
        conversation = await asyncio.to_thread(services.store.load, storage.check_conversation_id(conversation_id))
    except ImageServerError as exc:
        raise ValueError(str(exc)) from None
    return ResourceResult([ResourceContent(conversation.model_dump_json(indent=2), mime_type="application/json")])


@mcp.resource(
    "image://{image_id}",
    name="image",
    title="Saved image",
    description="The full-quality bytes of an image this server saved, with its MIME type.",
    mime_type="image/png",
)
async def image_resource(image_id: str) -> ResourceResult:
    found = await asyncio.to_thread(services.store.find_image, image_id)
    if found is None:
        raise ValueError(f"No saved image {image_id[:40]!r}; image ids look like img_0123456789abcdef.")
    record = found[1]
    try:
        data = await asyncio.to_thread(Path(record.path).read_bytes)
    except OSError as exc:
        raise ValueError(f"Image {image_id} was saved at {record.path}, which cannot be read now ({exc.strerror or exc}).") from None
    return ResourceResult([ResourceContent(data, mime_type=MIME_TYPES.get(record.format, "application/octet-stream"))])


# --- the dialogue before generating ----------------------------------------------------
#
# A dialogue lives on its conversation record, so it survives restarts. Clients that can
# show forms get each question through MCP elicitation inside one tool call: a server
# request on 2025-11-25 connections, an InputRequiredResult round trip on 2026-07-28 ones
# (where server-to-client requests no longer exist). Other clients, Claude Desktop among
# them, get the question as text and send the answer in their next call.

ANSWER_FIELD, CHOICE_FIELD = "answer", "choice"


async def _next_step(conversation: storage.Conversation, ctx: Context) -> ToolOutput:
    """Ask the pending question (by form when the client can show one), or finish the dialogue."""
    state = conversation.dialogue
    assert state is not None
    if state.status == DialogueStatus.CANCELLED:
        return _stopped_result(conversation, "cancelled")
    if state.status == DialogueStatus.READY:
        return await _generate_from_dialogue(conversation, ctx)
    if not _can_elicit(ctx):
        return _question_result(conversation)
    question = dialogue.current_question(state)
    assert question is not None
    number, total = dialogue.question_number(state)
    message = f"Question {number} of {total}: {question.text}"
    schema = _question_form(question)
    modern = _is_modern(ctx)
    log.info("Asking %s question %d of %d by form (%s)", conversation.id, number, total, "input_required round trip" if modern else "elicitation request")
    if modern:
        return mcp_types.InputRequiredResult(
            input_requests={question.key: mcp_types.ElicitRequest(params=mcp_types.ElicitRequestFormParams(message=message, requested_schema=schema))},
            request_state=conversation.id,
        )
    reply = await ctx.session.elicit_form(message, schema, related_request_id=ctx.request_id)
    return await _apply_form_reply(conversation, question, reply, ctx)


def _continued_elicitation(ctx: Context) -> str | None:
    """The conversation id a 2026-07-28 client hands back when it retries with form answers."""
    if not _is_modern(ctx) or not ctx.request_state:
        return None
    return storage.check_conversation_id(ctx.request_state)


async def _resume_elicitation(conversation_id: str, ctx: Context) -> ToolOutput:
    conversation = await asyncio.to_thread(services.store.load, conversation_id)
    question = dialogue.current_question(conversation.dialogue) if conversation.dialogue else None
    if question is None:
        raise InvalidInput(
            f"Conversation {conversation_id} has no question waiting for an answer; nothing was changed. "
            "Call openai_conversational_image with its conversation_id to refine it."
        )
    reply = (ctx.input_responses or {}).get(question.key)
    if reply is None:
        return await _next_step(conversation, ctx)  # not answered: ask again
    return await _apply_form_reply(conversation, question, reply, ctx)


async def _apply_form_reply(conversation: storage.Conversation, question: dialogue.Question, reply: Any, ctx: Context) -> ToolOutput:
    """Accept answers the question, decline generates with what is known, cancel stops and keeps the state."""
    action = getattr(reply, "action", "cancel")
    if action == "cancel":
        return _stopped_result(conversation, "stopped")
    if action == "decline":
        state = dialogue.finish_early(conversation.dialogue)
        text = "(declined the form: generate now)"
    else:
        content = getattr(reply, "content", None) or {}
        text = str(content.get(ANSWER_FIELD) or "").strip() or str(content.get(CHOICE_FIELD) or "").strip() or "no preference"
        state = dialogue.answer(conversation.dialogue, text)
    conversation = await asyncio.to_thread(_save_answer, conversation.id, question, text, state)
    return await _next_step(conversation, ctx)


async def _answer(conversation: storage.Conversation, text: str, ctx: Context, explicit_size: str | None) -> ToolOutput:
    """A plain-text reply to the pending question (a size given with it is kept for the image)."""
    question = dialogue.current_question(conversation.dialogue)
    state = dialogue.answer(conversation.dialogue, text)
    conversation = await asyncio.to_thread(_save_answer, conversation.id, question, text, state, explicit_size)
    return await _next_step(conversation, ctx)


def _save_answer(
    conversation_id: str, question: dialogue.Question, text: str, state: DialogueState, size: str | None = None
) -> storage.Conversation:
    def change(conversation: storage.Conversation) -> None:
        if conversation.dialogue is None or conversation.dialogue.pending != question.key:
            raise InvalidInput(f"Conversation {conversation_id} is no longer waiting for an answer to that question; nothing was changed.")
        conversation.messages.append(storage.Message(role="assistant", text=question.text))
        conversation.messages.append(storage.Message(role="user", text=text))
        conversation.dialogue = state
        if size:
            conversation.requested_size = size

    return services.store.update(conversation_id, change)


def _question_form(question: dialogue.Question) -> dict[str, Any]:
    """A flat elicitation form: pick an option, or write an answer (which wins when both are given)."""
    return {
        "type": "object",
        "properties": {
            CHOICE_FIELD: {"type": "string", "title": "Pick one", "enum": question.options},
            ANSWER_FIELD: {"type": "string", "title": "Or answer in your own words"},
        },
    }


def _can_elicit(ctx: Context) -> bool:
    session = getattr(ctx, "session", None)
    capabilities = getattr(session, "client_capabilities", None)
    return getattr(capabilities, "elicitation", None) is not None


def _is_modern(ctx: Context) -> bool:
    request = getattr(ctx, "request_context", None)
    return getattr(request, "protocol_version", None) in MODERN_PROTOCOL_VERSIONS


def _question_result(conversation: storage.Conversation) -> ToolResult:
    state = conversation.dialogue
    question = dialogue.current_question(state)
    number, total = dialogue.question_number(state)
    detected = enhancer.detect_type(state.original_prompt)
    words = f' (from "{", ".join(detected.words)}")' if detected.words and detected.image_type == state.image_type else ""
    if number == 1:
        header = [
            "Before generating, a few questions to get the image right. Nothing has been generated or paid for yet.",
            f"Detected image type: {_type_label(state.image_type)}{words} · prompt quality {state.score_before}/100",
        ]
    else:
        header = ["Answer noted. Nothing has been generated yet."]
    lines = [
        *header,
        "",
        question.as_text(number, total),
        "",
        f"conversation_id: {conversation.id}",
        f'For the assistant: ask the user this question with its options, then call openai_conversational_image with conversation_id="{conversation.id}" '
        "and the user's reply as prompt (an option number, its words, their own words, \"generate now\" or \"cancel\").",
    ]
    structured = ImageResult(
        status="question",
        conversation_id=conversation.id,
        image_type=state.image_type.value,
        score_before=state.score_before,
        question=QuestionInfo(key=question.key, text=question.text, options=question.options, number=number, total=total),
    )
    return ToolResult(content=[TextContent(type="text", text="\n".join(lines))], structured_content=structured.model_dump(mode="json"))


def _stopped_result(conversation: storage.Conversation, status: Literal["cancelled", "stopped"]) -> ToolResult:
    if status == "cancelled":
        text = (
            f"Dialogue cancelled: no image was generated. Conversation {conversation.id} keeps the answers so far. "
            "To make an image anyway, call openai_conversational_image with this conversation_id and a prompt."
        )
    else:
        text = (
            f"Stopped before generating: no image was made. The dialogue of conversation {conversation.id} is saved; "
            'to continue, call openai_conversational_image with this conversation_id and the answer (or "generate now").'
        )
    structured = ImageResult(status=status, conversation_id=conversation.id, image_type=conversation.image_type, score_before=conversation.score_before)
    return ToolResult(content=[TextContent(type="text", text=text)], structured_content=structured.model_dump(mode="json"))


# --- generation ----------------------------------------------------------------


def _direct_job(
    text: str,
    explicit_size: str | None,
    model: str,
    images: list[ImageInput],
    fields: dict[str, Any],
    extras: Extras,
    mask_url: str | None,
) -> Job:
    """A new image with no questions asked: still detect the type, score the prompt and pick a size."""
    detected = enhancer.detect_type(text)
    score = enhancer.score(text).total
    chosen, reason = _choose_size(explicit_size, detected.image_type, text)
    analysis = Analysis(image_type=detected.image_type.value, type_words=list(detected.words), score_before=score, size_reason=reason)
    fields = {**fields, "image_type": detected.image_type.value, "score_before": score, "score_after": score}
    return Job(
        prompt=text,
        size=chosen,
        assistant_model=model,
        images=images,
        new_fields=fields,
        user_message=text,
        analysis=analysis,
        options=extras.options,
        mask_url=mask_url,
        dry_run=extras.dry_run,
    )


def _choose_size(explicit: str | None, image_type: enhancer.ImageType, prompt: str) -> tuple[str, str]:
    """The caller's size if given, else the one suggested for the kind of image, with the reason to show."""
    if explicit:
        return explicit, "the size you asked for"
    suggestion = enhancer.suggest_size(image_type, prompt, services.settings.image_model)
    return _check_size(suggestion.size), suggestion.reason


async def _generate_from_dialogue(conversation: storage.Conversation, ctx: Context, extras: Extras | None = None) -> ToolResult:
    """The dialogue is done: generate once with the prompt it built (never re-applied to later refinements).

    A dry run on a dialogue that is still asking shows the request the answers so far would make.
    """
    state = dialogue.finish_early(conversation.dialogue)
    final = dialogue.final_prompt(state)
    chosen, reason = _choose_size(conversation.requested_size, state.image_type, final)
    analysis = Analysis(
        image_type=state.image_type.value,
        type_words=[],
        score_before=state.score_before,
        score_after=enhancer.score(final).total,
        final_prompt=final,
        size_reason=reason,
    )
    job = Job(
        prompt=final,
        size=chosen,
        assistant_model=conversation.assistant_model or services.settings.assistant_model,
        conversation=conversation,
        analysis=analysis,
        options=_merged_options(conversation, extras),
        dry_run=bool(extras and extras.dry_run),
    )
    return await _generate(job, ctx)


async def _refine(
    conversation: storage.Conversation,
    text: str,
    explicit_size: str | None,
    model: str,
    extras: Extras,
    file_id: str | None,
    path: str | None,
    ctx: Context,
) -> ToolResult:
    """A new turn in an existing conversation: OpenAI sees the earlier turns through previous_response_id."""
    last = conversation.last_image
    size = explicit_size or _check_size(last.size if last else conversation.requested_size or DEFAULT_SIZE)
    images, mask_url = await _prepare_images(conversation, file_id, path, extras)
    job = Job(
        prompt=text,
        size=size,
        assistant_model=model,
        images=images,
        conversation=conversation,
        user_message=text,
        options=_merged_options(conversation, extras),
        mask_url=mask_url,
        dry_run=extras.dry_run,
    )
    return await _generate(job, ctx)


def _merged_options(conversation: storage.Conversation, extras: Extras | None) -> ImageOptions:
    """The conversation's last options (format, background ...) with this call's choices on top."""
    chosen = extras.options.tool_fields() if extras else {}
    merged = ImageOptions(**{**conversation.options, **chosen})
    return validate_options(merged, effective_model(services.settings.image_model))


async def _generate(job: Job, ctx: Context | None) -> ToolResult:
    """Send the job to OpenAI (streamed, with progress), save the image, record it, and build the result."""
    settings = services.settings
    conversation = job.conversation
    request = build_request(
        prompt=job.prompt,
        assistant_model=job.assistant_model,
        size=job.size,
        image_model=settings.image_model,
        images=job.images,
        previous_response_id=conversation.last_response_id if conversation else None,
        options=job.options,
        mask_url=job.mask_url,
    )
    if job.dry_run:
        return _dry_run_result(job, request)
    notes: list[str] = []
    progress = Progress(ctx, job.options.partial_images or 0)
    async with progress.heartbeat():
        await progress.say("sending the request to OpenAI")
        try:
            result = await services.openai.create(request, progress.from_openai)
        except PreviousResponseGone:
            request, note = await _without_previous_response(job)
            result = await services.openai.create(request, progress.from_openai)
            notes.append(note)
        await progress.say("saving the image")
        kept, preview = await asyncio.to_thread(_keep, job, result, notes)
    session_cost.add(kept.cost)
    log.info(
        "Saved %s (%s, %d bytes, %s) for %s",
        kept.saved.path, kept.record.size, kept.saved.byte_size, costs.format_usd(kept.cost.total_usd), kept.conversation.id,
    )
    await progress.say("done")
    return _generation_result(kept, preview, job, notes)


@dataclass
class KeptImage:
    """A generated image once it is on disk and in its conversation."""

    saved: imagefiles.SavedImage
    record: storage.ImageRecord
    conversation: storage.Conversation
    cost: costs.ImageCost


def _keep(job: Job, result: GeneratedImage, notes: list[str]) -> tuple[KeptImage, tuple[bytes, str]]:
    """Blocking: check, save and record OpenAI's image, and make its preview (bytes, MIME type).

    One thread, one step after another, and to the end once begun, even if the call is cancelled:
    the image is paid for. (Writing the file beside the decode, or the preview beside the
    conversation file, measured no faster: Pillow holds the GIL while it encodes a JPEG.) A damaged
    image saves nothing; a conversation that cannot be updated leaves the image file in place and
    says where it is.
    """
    checked = imagefiles.check_image(result.b64)
    saved = imagefiles.save_image(checked, services.settings.output_dir)
    actual_size = f"{saved.width}x{saved.height}"
    if result.size and result.size not in ("auto", actual_size):
        notes.append(f"OpenAI reported size {result.size}, but the saved image is {actual_size}.")
    cost = costs.cost_from_usage(
        result.image_model, result.usage.get("image"), job.assistant_model, result.usage.get("assistant"), services.prices
    )
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
        options=job.options.tool_fields(),
        usage=result.usage,
        cost_usd=cost.total_usd,
        cost_note=cost.note,
    )
    try:
        conversation = _record_turn(job, record, result)
    except ImageServerError as exc:
        raise StorageError(f"The image was saved to {saved.path}, but the conversation could not be updated: {exc}") from None
    return KeptImage(saved, record, conversation, cost), imagefiles.make_preview(checked.decoded)


async def _without_previous_response(job: Job) -> tuple[dict[str, Any], str]:
    """The retry request when OpenAI has forgotten the conversation: the last image goes in as an input."""
    last = job.conversation.last_image if job.conversation else None
    if last is None or not Path(last.path).is_file():
        where = f" and the last image file {last.path} is gone" if last else ""
        raise OpenAIError(
            "OpenAI no longer has this conversation's previous response (stored responses expire)"
            f"{where}. Start a new conversation, or pass the image to edit with input_image_path."
        )
    last_image = (await _load(last.path, "the conversation's last image")).image
    already_sent = job.images and job.images[0] == last_image  # a masked edit already sends it first
    request = build_request(
        prompt=job.prompt,
        assistant_model=job.assistant_model,
        size=job.size,
        image_model=services.settings.image_model,
        images=job.images if already_sent else [last_image, *job.images],
        options=job.options,
        mask_url=job.mask_url,
    )
    note = (
        "OpenAI no longer had this conversation's earlier turns, so the last saved image "
        f"({last.path}) was sent with your prompt instead; the refinement starts from that image."
    )
    return request, note


def _record_turn(job: Job, record: storage.ImageRecord, result: GeneratedImage) -> storage.Conversation:
    stored_options = {k: v for k, v in job.options.tool_fields().items() if k != "partial_images"}
    if job.conversation is not None:
        fields: dict[str, Any] = {"options": stored_options}
        if job.analysis and job.analysis.score_after is not None:
            fields["score_after"] = job.analysis.score_after
        return services.store.add_turn(job.conversation.id, job.user_message, record, result.assistant_text, **fields)
    conversation = storage.Conversation(
        id=storage.new_conversation_id(), title=storage.make_title(job.prompt), options=stored_options, **job.new_fields
    )
    storage.record_turn(conversation, job.user_message, record, result.assistant_text)
    services.store.save(conversation)
    return conversation


def _generation_result(kept: KeptImage, preview: tuple[bytes, str], job: Job, notes: list[str]) -> ToolResult:
    conversation, record, saved = kept.conversation, kept.record, kept.saved
    analysis = job.analysis
    structured = ImageResult(
        status="generated",
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
        response_id=record.response_id,
        image_type=analysis.image_type if analysis else None,
        score_before=analysis.score_before if analysis else None,
        score_after=analysis.score_after if analysis else None,
        final_prompt=analysis.final_prompt if analysis else None,
        size_reason=analysis.size_reason if analysis else None,
        usage=record.usage,
        cost_usd=record.cost_usd,
        cost_note=record.cost_note,
        session_cost_usd=round(session_cost.usd, 6),
        notes=notes,
    )
    options = ", ".join(f"{k} {v}" for k, v in record.options.items() if k != "partial_images")
    lines = [
        f"Image saved: {record.path}",
        f"Conversation: {conversation.id} · image {record.image_id} · {len(conversation.images)} image(s) so far",
        f"Size: {record.size} {saved.format.upper()} ({saved.byte_size / 1024:.0f} KB) · model {record.model} via {job.assistant_model}"
        + (f" · {options}" if options else ""),
        f"Cost: {costs.format_usd(record.cost_usd)} ({record.cost_note})",
        session_cost.text(),
    ]
    if analysis:
        lines += _analysis_lines(analysis)
    if record.revised_prompt:
        lines.append(f"OpenAI's revised prompt: {record.revised_prompt}")
    lines += [f"Note: {note}" for note in notes]
    lines.append(
        f'To refine this image, call openai_conversational_image with conversation_id="{conversation.id}" '
        "and describe the change in prompt. The inline picture is a small preview; the file is full quality."
    )
    preview_data, preview_mime = preview
    inline = ImageContent(type="image", data=_b64(preview_data), mime_type=preview_mime)
    link = ResourceLink(
        type="resource_link",
        uri=saved.path.as_uri(),
        name=saved.path.name,
        title=f"Full-quality image {record.size}",
        mime_type=MIME_TYPES.get(saved.format, "application/octet-stream"),
        size=saved.byte_size,
    )
    return ToolResult(
        content=[TextContent(type="text", text="\n".join(lines)), inline, link],
        structured_content=structured.model_dump(mode="json"),
    )


def _dry_run_result(job: Job, request: dict[str, Any]) -> ToolResult:
    """What would be sent, with image data shortened, and what it would cost; nothing is sent or saved."""
    shown = _elide_images({**request, "stream": True})
    model = effective_model(services.settings.image_model)
    estimate = costs.estimate_cost(
        model,
        job.options.quality or "auto",
        job.size,
        job.prompt,
        job.options.partial_images or 0,
        len(job.images),
        services.prices,
    )
    lines = [
        "Dry run: nothing was sent to OpenAI and nothing was saved.",
        f"It would send POST /responses (streamed) to {services.settings.base_url or 'https://api.openai.com/v1'}:",
        json.dumps(shown, indent=2, ensure_ascii=False),
        f"Image model: {model} · size {job.size}",
        f"Estimated cost: {_cost_range(estimate)} ({estimate.note})",
    ]
    if job.analysis:
        lines += _analysis_lines(job.analysis)
    structured = ImageResult(
        status="dry_run",
        conversation_id=job.conversation.id if job.conversation else None,
        size=job.size,
        model=model,
        assistant_model=job.assistant_model,
        image_type=job.analysis.image_type if job.analysis else None,
        score_before=job.analysis.score_before if job.analysis else None,
        score_after=job.analysis.score_after if job.analysis else None,
        final_prompt=job.prompt,
        size_reason=job.analysis.size_reason if job.analysis else None,
        request=shown,
        estimated_cost_usd=[estimate.low_usd, estimate.high_usd],
    )
    return ToolResult(content=[TextContent(type="text", text="\n".join(lines))], structured_content=structured.model_dump(mode="json"))


def _cost_range(estimate: costs.CostEstimate) -> str:
    if estimate.low_usd is None:
        return "cost unknown"
    if estimate.high_usd is None:
        return f"at least {costs.format_usd(estimate.low_usd)}"
    if estimate.high_usd == estimate.low_usd:
        return f"about {costs.format_usd(estimate.low_usd)}"
    return f"{costs.format_usd(estimate.low_usd)} to {costs.format_usd(estimate.high_usd)}"


def _elide_images(value: Any) -> Any:
    """A copy of a request with each base64 data URL replaced by its type and size."""
    if isinstance(value, dict):
        return {k: _elide_images(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_elide_images(v) for v in value]
    if isinstance(value, str) and value.startswith("data:") and ";base64," in value:
        head, data = value.split(",", 1)
        return f"{head},<{len(data) * 3 // 4 // 1024} KB of image data>"
    return value


def _analysis_lines(analysis: Analysis) -> list[str]:
    words = f' (from "{", ".join(analysis.type_words)}")' if analysis.type_words else ""
    lines = [f"Detected image type: {_type_label(analysis.image_type)}{words}"]
    if analysis.score_after is not None and analysis.final_prompt is not None:
        lines.append(f"Prompt quality: {analysis.score_before}/100 -> {analysis.score_after}/100")
        lines.append(f"Final prompt: {analysis.final_prompt}")
    else:
        lines.append(f"Prompt quality: {analysis.score_before}/100")
    lines.append(f"Size chosen: {analysis.size_reason}")
    return lines


def _type_label(image_type: str) -> str:
    return enhancer.IMAGE_TYPE_LABELS.get(enhancer.ImageType(image_type), image_type)


# --- argument checks -------------------------------------------------------------


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _check_prompt(prompt: str) -> str:
    """The prompt without control characters (tabs and newlines stay); InvalidInput when empty or too long."""
    text = _CONTROL.sub("", prompt or "").strip()
    if not text:
        raise InvalidInput("prompt is empty: describe the image to make, or the change to an existing one.")
    if len(text) > MAX_PROMPT_CHARS:
        raise InvalidInput(f"prompt is {len(text):,} characters; the limit is {MAX_PROMPT_CHARS:,}. Shorten it.")
    return text


def _given(value: str | None) -> bool:
    return value is not None and bool(value.strip())


def _check_size(size: str) -> str:
    """The canonical size if the configured image model accepts it, else InvalidInput listing what it accepts."""
    return validate_size(size, effective_model(services.settings.image_model))


def _check_model_name(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,99}", name):
        raise InvalidInput(f"assistant_model {name[:60]!r} is not a model name (e.g. gpt-6-astra or gpt-5.5).")
    return name


def _check_extras(
    quality: str | None,
    background: str | None,
    output_format: str | None,
    output_compression: int | None,
    moderation: str | None,
    input_fidelity: str | None,
    partial_images: int,
    reference_paths: list[str] | None,
    mask_path: str | None,
    dry_run: bool,
) -> Extras:
    """Check the options against the configured image model before anything is read or sent."""
    options = ImageOptions(
        quality=quality,
        background=background,
        output_format=output_format,
        output_compression=output_compression,
        moderation=moderation,
        input_fidelity=input_fidelity,
        partial_images=partial_images or None,
    )
    validate_options(options, effective_model(services.settings.image_model))
    references = [p for p in (reference_paths or [])]
    if len(references) > MAX_INPUT_IMAGES:
        raise InvalidInput(f"reference_image_paths has {len(references)} paths; OpenAI takes at most {MAX_INPUT_IMAGES} images.")
    return Extras(options=options, reference_paths=references, mask_path=mask_path if _given(mask_path) else None, dry_run=dry_run)


@dataclass(frozen=True)
class _Loaded:
    image: ImageInput
    width: int | None = None
    height: int | None = None
    path: str | None = None


async def _prepare_images(
    conversation: storage.Conversation | None, file_id: str | None, path: str | None, extras: Extras
) -> tuple[list[ImageInput], str | None]:
    """Every image to send beside the prompt, and the mask as a data URL; all checked before anything is sent.

    A mask applies to the first image sent, so the image it edits goes first: input_image_path, an
    image_id, or else the conversation's last image (sent again explicitly for the mask's sake).
    """
    loaded: list[_Loaded] = []
    if path is not None:
        loaded.append(await _load(path, "input_image_path", user_path=True))
    if file_id is not None:
        loaded.append(await _load_by_id(file_id))
    mask_url = None
    if extras.mask_path:
        target = next((item for item in loaded if item.width), None)
        if target is None and loaded:
            raise InvalidInput("mask_path needs the edited image's size: pass it as input_image_path or an image_id (img_...), not an OpenAI file id.")
        if target is None:
            last = conversation.last_image if conversation else None
            if last is None:
                raise InvalidInput(
                    "mask_path needs an image to edit: give input_image_path (or input_image_file_id with an img_ id), "
                    "or a conversation_id whose last image should be edited."
                )
            target = await _load(last.path, "the conversation's last image")
            loaded.insert(0, target)
        else:
            loaded.remove(target)
            loaded.insert(0, target)
        edited = target.path or "the edited image"
        mask = await asyncio.to_thread(
            imagefiles.read_mask, extras.mask_path, target.width, target.height, edited, services.settings.allowed_dirs
        )
        mask_url = mask.data_url()
    for number, reference in enumerate(extras.reference_paths, 1):
        loaded.append(await _load(reference, f"reference_image_paths[{number}]", user_path=True))
    if len(loaded) > MAX_INPUT_IMAGES:
        raise InvalidInput(f"{len(loaded)} images would be sent; OpenAI takes at most {MAX_INPUT_IMAGES}. Drop some references.")
    return [item.image for item in loaded], mask_url


async def _load(path: str, what: str, user_path: bool = False) -> _Loaded:
    """Read an image off the event loop; paths from the user are held to OPENAI_IMAGES_ALLOWED_DIRS."""
    allowed = services.settings.allowed_dirs if user_path else ()

    def read() -> _Loaded:  # one trip to a thread: reading, decoding and base64 of up to 50 MB
        image = imagefiles.read_input_image(path, what, allowed)
        return _Loaded(ImageInput(image_url=image.data_url()), image.width, image.height, str(image.path))

    return await asyncio.to_thread(read)


async def _load_by_id(file_id: str) -> _Loaded:
    value = file_id.strip()
    if OPENAI_FILE_ID.fullmatch(value):
        return _Loaded(ImageInput(file_id=value))
    if storage.IMAGE_ID.fullmatch(value):
        found = await asyncio.to_thread(services.store.find_image, value)
        if found is None:
            raise InvalidInput(f"input_image_file_id {value}: no image with that id in the saved conversations.")
        return await _load(found[1].path, f"image {value}")
    raise InvalidInput(
        f"input_image_file_id {value[:60]!r} is neither an OpenAI file id (file-...) nor an image_id "
        "from this server (img_ and 16 hex digits). For a local file use input_image_path."
    )


# --- results and errors -------------------------------------------------------------


async def _as_tool_result(work: Awaitable[ToolOutput]) -> ToolOutput:
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
        facts = [f"{c.image_count} image(s)", f"mode {c.dialogue_mode}"]
        if c.question_pending:
            facts.append("a question is waiting for an answer")
        if c.score_before is not None:
            after = f" -> {c.score_after}/100" if c.score_after is not None and c.score_after != c.score_before else ""
            facts.append(f"prompt quality {c.score_before}/100{after}")
        if c.image_count:
            unpriced = f" + {c.unpriced_images} image(s) without a known price" if c.unpriced_images else ""
            facts.append(f"cost {costs.format_usd(c.cost_usd or 0.0) if c.cost_usd is not None or not unpriced else 'unknown'}{unpriced}")
        lines.append(
            f"{number}. {c.id} — {c.title}\n"
            f"   {' · '.join(facts)}\n   created {c.created_at} · updated {c.updated_at}"
            + (f"\n   last image: {c.last_image_path}" if c.last_image_path else "")
        )
    if listing.conversations:
        lines.append("Refine one with openai_conversational_image and its conversation_id.")
    if session_cost.images:
        lines.append(session_cost.text())
    return "\n".join(lines)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- entry point ------------------------------------------------------------------

# Everything made above lives as long as the server: keep it out of every later collection.
gc.freeze()
gc.enable()


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
