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

import mcp_types
from fastmcp import Context, FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.tools.base import ToolResult
from mcp_types import ImageContent, TextContent
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, Field

import dialogue
import enhancer
import imagefiles
import storage
from dialogue import DialogueState, DialogueStatus
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


class QuestionInfo(BaseModel):
    key: str
    text: str
    options: list[str]
    number: int
    total: int


class ImageResult(BaseModel):
    """Structured content of the generating tools: an image, a question before generating, or a stop."""

    status: Literal["generated", "question", "cancelled", "stopped"] = Field(
        description="generated: an image was saved; question: answer it to continue; cancelled/stopped: nothing was made"
    )
    conversation_id: str = Field(description="Pass this back to answer the question or refine the image")
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


# --- tools -------------------------------------------------------------------

GENERATION_ANNOTATIONS = {"readOnlyHint": False, "destructiveHint": False, "idempotentHint": False, "openWorldHint": True}
ToolOutput = ToolResult | mcp_types.InputRequiredResult


@mcp.tool(
    name="openai_conversational_image",
    title="Create or refine an image (conversation)",
    annotations=GENERATION_ANNOTATIONS,
    output_schema=ImageResult.model_json_schema(),
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
        Field(description="Absolute path of a local PNG, JPEG or WebP (up to 50 MB) to edit or use as reference; ~ is expanded."),
    ] = None,
    assistant_model: Annotated[
        str | None,
        Field(description="Override the OpenAI model that drives the image tool (default from OPENAI_ASSISTANT_MODEL). Rarely needed."),
    ] = None,
    size: Annotated[
        str | None,
        Field(description="WIDTHxHEIGHT such as 1024x1024, 1536x1024 (landscape), 1024x1536 (portrait), or auto. Omit to let the server pick one for the kind of image; a refinement keeps the previous size."),
    ] = None,
) -> ToolOutput:
    """Create an image through a short guided conversation, or refine an earlier one.

    A new prompt first gets a few questions (unless dialogue_mode is skip or skip_dialogue is true):
    the result then shows a question and a conversation_id. Ask the user, and call again with that
    conversation_id and the user's answer as prompt; after the last answer the image is made from an
    improved prompt. To change an existing image, call with its conversation_id and describe the change.
    Results give the saved file's path, a small preview and the conversation_id.
    """

    async def run() -> ToolOutput:
        text = _check_prompt(prompt)  # checked first: a reply to a form carries the original prompt again
        continuing = _continued_elicitation(ctx)
        if continuing is not None:
            return await _resume_elicitation(continuing, ctx)
        explicit_size = _check_size(size) if _given(size) else None
        if conversation_id is not None:
            conversation = await asyncio.to_thread(services.store.load, storage.check_conversation_id(conversation_id))
            if conversation.question_pending:
                return await _answer(conversation, text, ctx, explicit_size)
            images = await _input_images(input_image_file_id, input_image_path)
            dialogue_done = conversation.dialogue is not None and conversation.dialogue.status == DialogueStatus.READY
            if dialogue_done and not conversation.images and not images:
                return await _generate_from_dialogue(conversation)  # the first attempt failed: try it again
            model = _check_model_name(assistant_model or conversation.assistant_model or services.settings.assistant_model)
            return await _refine(conversation, text, images, explicit_size, model)

        model = _check_model_name(assistant_model or services.settings.assistant_model)
        images = await _input_images(input_image_file_id, input_image_path)
        fields = {"dialogue_mode": dialogue_mode, "skip_dialogue": skip_dialogue, "assistant_model": model}
        if skip_dialogue or dialogue_mode == "skip" or images:
            # With an input image the questions about a new picture do not fit: edit straight away.
            return await _generate(_direct_job(text, explicit_size, model, images, fields))

        state = dialogue.start(text, dialogue_mode, services.settings.image_model)
        conversation = storage.Conversation(
            id=storage.new_conversation_id(),
            title=storage.make_title(text),
            messages=[storage.Message(role="user", text=text)],
            requested_size=explicit_size,
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
    output_schema=ImageResult.model_json_schema(),
)
async def openai_generate_image(
    prompt: Annotated[str, Field(description="Full description of the image to make.")],
    size: Annotated[
        str | None,
        Field(description="WIDTHxHEIGHT such as 1024x1024, 1536x1024 (landscape), 1024x1536 (portrait), or auto. Omit to let the server pick one for the kind of image."),
    ] = None,
) -> ToolResult:
    """Generate one image straight away from a complete description, without questions.

    Returns the saved file's path, a small preview and a conversation_id; the image can be
    refined later with openai_conversational_image and that conversation_id.
    """

    async def run() -> ToolResult:
        text = _check_prompt(prompt)
        explicit_size = _check_size(size) if _given(size) else None
        model = services.settings.assistant_model
        fields = {"dialogue_mode": "skip", "skip_dialogue": True, "assistant_model": model}
        return await _generate(_direct_job(text, explicit_size, model, [], fields))

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
        return await _generate_from_dialogue(conversation)
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


def _direct_job(text: str, explicit_size: str | None, model: str, images: list[ImageInput], fields: dict[str, Any]) -> Job:
    """A new image with no questions asked: still detect the type, score the prompt and pick a size."""
    detected = enhancer.detect_type(text)
    score = enhancer.score(text).total
    if explicit_size:
        chosen, reason = explicit_size, "the size you asked for"
    else:
        suggestion = enhancer.suggest_size(detected.image_type, text, services.settings.image_model)
        chosen, reason = _check_size(suggestion.size), suggestion.reason
    analysis = Analysis(image_type=detected.image_type.value, type_words=list(detected.words), score_before=score, size_reason=reason)
    fields = {**fields, "image_type": detected.image_type.value, "score_before": score, "score_after": score}
    return Job(prompt=text, size=chosen, assistant_model=model, images=images, new_fields=fields, user_message=text, analysis=analysis)


async def _generate_from_dialogue(conversation: storage.Conversation) -> ToolResult:
    """The dialogue is done: generate once with the prompt it built (never re-applied to later refinements)."""
    state = conversation.dialogue
    final = dialogue.final_prompt(state)
    if conversation.requested_size:
        chosen, reason = conversation.requested_size, "the size you asked for"
    else:
        suggestion = enhancer.suggest_size(state.image_type, final, services.settings.image_model)
        chosen, reason = _check_size(suggestion.size), suggestion.reason
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
    )
    return await _generate(job)


async def _refine(
    conversation: storage.Conversation, text: str, images: list[ImageInput], explicit_size: str | None, model: str
) -> ToolResult:
    """A new turn in an existing conversation: OpenAI sees the earlier turns through previous_response_id."""
    last = conversation.last_image
    size = explicit_size or _check_size(last.size if last else conversation.requested_size or DEFAULT_SIZE)
    job = Job(prompt=text, size=size, assistant_model=model, images=images, conversation=conversation, user_message=text)
    return await _generate(job)


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
    if job.conversation is not None:
        scores = {"score_after": job.analysis.score_after} if job.analysis and job.analysis.score_after is not None else {}
        return services.store.add_turn(job.conversation.id, job.user_message, record, result.assistant_text, **scores)
    conversation = storage.Conversation(id=storage.new_conversation_id(), title=storage.make_title(job.prompt), **job.new_fields)
    storage.record_turn(conversation, job.user_message, record, result.assistant_text)
    services.store.save(conversation)
    return conversation


def _generation_result(conversation, record, saved, job: Job, notes: list[str]) -> ToolResult:
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
        notes=notes,
    )
    lines = [
        f"Image saved: {record.path}",
        f"Conversation: {conversation.id} · image {record.image_id} · {len(conversation.images)} image(s) so far",
        f"Size: {record.size} {saved.format.upper()} ({saved.byte_size / 1024:.0f} KB) · model {record.model} via {job.assistant_model}",
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
    preview = ImageContent(type="image", data=_b64(saved.preview), mime_type=saved.preview_mime_type)
    return ToolResult(
        content=[TextContent(type="text", text="\n".join(lines)), preview],
        structured_content=structured.model_dump(mode="json"),
    )


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


def _check_prompt(prompt: str) -> str:
    text = (prompt or "").strip()
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
        lines.append(
            f"{number}. {c.id} — {c.title}\n"
            f"   {' · '.join(facts)}\n   created {c.created_at} · updated {c.updated_at}"
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
