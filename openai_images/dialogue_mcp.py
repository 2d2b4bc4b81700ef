"""The pre-generation dialogue carried over MCP: a form when the client can show one, else the question as text.

A dialogue lives on its conversation record, so it survives restarts. Clients that
can show forms get each question through MCP elicitation inside one tool call: a
server request on 2025-11-25 connections, an InputRequiredResult round trip on
2026-07-28 ones (where server-to-client requests no longer exist). Other clients,
Claude Desktop among them, get the question as text and send the answer in their
next call. When the last answer is in, the image is made from the prompt the
dialogue built.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

import mcp_types
from fastmcp import Context
from fastmcp.tools.base import ToolResult
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from openai_images import dialogue, generation, inputs, rendering, storage
from openai_images.dialogue import DialogueState, DialogueStatus
from openai_images.errors import InvalidInput
from openai_images.services import Services

log = logging.getLogger("openai_images_mcp.dialogue")

ToolOutput = ToolResult | mcp_types.InputRequiredResult
ANSWER_FIELD, CHOICE_FIELD = "answer", "choice"


async def begin(
    *,
    text: str,
    mode: str,
    assistant_model: str,
    explicit_size: str | None,
    call: inputs.CallOptions,
    ctx: Context,
    services: Services,
) -> ToolOutput:
    """Start a dialogue for a new prompt, save it, and ask its first question (or generate if nothing is left to ask)."""
    state = dialogue.start(text, mode, offer_file=call.options.output_format is None)
    conversation = storage.new_conversation(
        text,
        messages=[storage.Message(role="user", text=text)],
        requested_size=explicit_size,
        requested_window=call.completion_window if call.completion_window != "soonest" else None,
        requested_variations=call.variations if call.variations > 1 else None,
        options=call.options.tool_fields(),
        dialogue=dialogue.stored(state),
        analysis=storage.PromptAnalysis(image_type=state.image_type.value, score_before=state.score_before),
        dialogue_mode=mode,
        assistant_model=assistant_model,
    )
    await asyncio.to_thread(services.store.save, conversation)
    return await next_step(conversation, ctx, services)


async def next_step(conversation: storage.Conversation, ctx: Context, services: Services) -> ToolOutput:
    """Ask the pending question (by form when the client can show one), or finish the dialogue."""
    state = dialogue.restore(conversation.dialogue)
    assert state is not None
    if state.status == DialogueStatus.CANCELLED:
        return rendering.stopped_result(conversation, "cancelled")
    if state.status == DialogueStatus.READY:
        return await finish(conversation, call=None, ctx=ctx, services=services)
    if not can_elicit(ctx):
        return rendering.question_result(conversation, state)
    question = dialogue.current_question(state)
    assert question is not None
    number, total = dialogue.question_number(state)
    message = f"Question {number} of {total}: {question.text}"
    schema = _question_form(question)
    modern = _is_modern(ctx)
    log.info(
        "Asking %s question %d of %d by form (%s)",
        conversation.id,
        number,
        total,
        "input_required round trip" if modern else "elicitation request",
    )
    if modern:
        return mcp_types.InputRequiredResult(
            input_requests={
                question.key: mcp_types.ElicitRequest(params=mcp_types.ElicitRequestFormParams(message=message, requested_schema=schema))
            },
            request_state=conversation.id,
        )
    reply = await ctx.session.elicit_form(message, schema, related_request_id=ctx.request_id)
    return await _apply_form_reply(conversation, question, reply, state=state, ctx=ctx, services=services)


async def finish(conversation: storage.Conversation, *, call: inputs.CallOptions | None, ctx: Context, services: Services) -> ToolResult:
    """Make the image from the prompt the dialogue built; a dry run shows the request the answers so far would make."""
    job = generation.plan_from_dialogue(conversation, call, services)
    if call is not None and call.dry_run:
        return rendering.dry_run_result(generation.preview(job, services))
    outcome = await generation.run(job, services, progress_reporter(ctx))
    return rendering.outcome_result(outcome, services.session_cost)


def progress_reporter(ctx: Context | None) -> generation.OnProgress | None:
    """The pipeline's progress as MCP progress notifications (sent only when the client asked for progress)."""
    if ctx is None:
        return None

    async def report(step: int, message: str) -> None:
        await ctx.report_progress(step, None, message)

    return report


def continued_elicitation(ctx: Context) -> str | None:
    """The conversation id a 2026-07-28 client hands back when it retries with form answers."""
    if not _is_modern(ctx) or not ctx.request_state:
        return None
    return storage.check_conversation_id(ctx.request_state)


async def resume_elicitation(conversation_id: str, ctx: Context, services: Services) -> ToolOutput:
    """Apply the form answers a 2026-07-28 client sent back, or ask again when the question was not answered."""
    conversation = await asyncio.to_thread(services.store.load, conversation_id)
    state, question = _waiting(conversation)
    reply = (ctx.input_responses or {}).get(question.key)
    if reply is None:
        return await next_step(conversation, ctx, services)  # not answered: ask again
    return await _apply_form_reply(conversation, question, reply, state=state, ctx=ctx, services=services)


def _waiting(conversation: storage.Conversation) -> tuple[DialogueState, dialogue.Question]:
    """The dialogue's state and the question it waits on; InvalidInput when no question waits for an answer."""
    state = dialogue.restore(conversation.dialogue)
    question = dialogue.current_question(state) if state else None
    if state is None or question is None:
        raise InvalidInput(
            f"Conversation {conversation.id} has no question waiting for an answer; nothing was changed. "
            "Call openai_conversational_image with its conversation_id to refine it."
        )
    return state, question


async def answer(
    conversation: storage.Conversation, text: str, *, explicit_size: str | None, ctx: Context, services: Services
) -> ToolOutput:
    """A plain-text reply to the pending question (a size given with it is kept for the image)."""
    state, question = _waiting(conversation)
    following = dialogue.answer(state, text)
    conversation = await asyncio.to_thread(
        functools.partial(_save_answer, conversation.id, question, text, state=following, size=explicit_size, services=services)
    )
    return await next_step(conversation, ctx, services)


async def _apply_form_reply(
    conversation: storage.Conversation, question: dialogue.Question, reply: Any, *, state: DialogueState, ctx: Context, services: Services
) -> ToolOutput:
    """Accept answers the question, decline generates with what is known, cancel stops and keeps the state."""
    action = getattr(reply, "action", "cancel")
    if action == "cancel":
        return rendering.stopped_result(conversation, "stopped")
    if action == "decline":
        following = dialogue.finish_early(state)
        text = "(declined the form: generate now)"
    else:
        content = getattr(reply, "content", None) or {}
        text = str(content.get(ANSWER_FIELD) or "").strip() or str(content.get(CHOICE_FIELD) or "").strip() or "no preference"
        following = dialogue.answer(state, text)
    conversation = await asyncio.to_thread(
        functools.partial(_save_answer, conversation.id, question, text, state=following, size=None, services=services)
    )
    return await next_step(conversation, ctx, services)


def _save_answer(
    conversation_id: str, question: dialogue.Question, text: str, *, state: DialogueState, size: str | None, services: Services
) -> storage.Conversation:
    def change(conversation: storage.Conversation) -> None:
        if conversation.dialogue is None or conversation.dialogue.get("pending") != question.key:
            raise InvalidInput(f"Conversation {conversation_id} is no longer waiting for an answer to that question; nothing was changed.")
        conversation.messages.append(storage.Message(role="assistant", text=question.text))
        conversation.messages.append(storage.Message(role="user", text=text))
        conversation.dialogue = dialogue.stored(state)
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


def can_elicit(ctx: Context) -> bool:
    """True when the client said it can show elicitation forms."""
    session = getattr(ctx, "session", None)
    capabilities = getattr(session, "client_capabilities", None)
    return getattr(capabilities, "elicitation", None) is not None


def _is_modern(ctx: Context) -> bool:
    request = getattr(ctx, "request_context", None)
    return getattr(request, "protocol_version", None) in MODERN_PROTOCOL_VERSIONS
