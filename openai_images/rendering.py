"""Outcomes as MCP results: the text a person reads, the small preview, the resource link and the structured content.

The pipeline hands over records (`Generated`, `DryRun`, a conversation waiting on a
question or stopped); this module decides how they look. The inline picture is
always the small preview: a full-size image would break the clients' result caps.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from typing import Any, Literal, overload

from fastmcp.tools.base import ToolResult
from fastmcp.utilities.json_schema import dereference_refs
from mcp_types import ImageContent, ResourceLink, TextContent
from pydantic import BaseModel, Field

from openai_images import costs, dialogue, enhancer, imagefiles, storage
from openai_images.dialogue import DialogueState
from openai_images.errors import ImageServerError, StorageError, redact
from openai_images.generation import Cancelled, DryRun, Generated, Rendering, Variations
from openai_images.services import SessionCost

log = logging.getLogger("openai_images_mcp")

MIME_TYPES = {"png": "image/png", "webp": "image/webp", "jpeg": "image/jpeg", "gif": "image/gif", "svg": imagefiles.SVG_MIME}

# Client caps: Claude Desktop refuses results over 1 MB, Claude Code stops near 25,000 tokens (about
# 100 KB of text). A long prompt appears in a result's text and again in its structured content, so
# each long string is shown up to SHOWN_CHARS (the whole of it stays in the conversation:// resource),
# and a listing stops adding conversations at LISTING_CHARS.
SHOWN_CHARS = 4_000
LISTING_CHARS = 30_000


class QuestionInfo(BaseModel):
    key: str
    text: str
    options: list[str]
    number: int
    total: int


class TreeNode(BaseModel):
    # One image of a conversation, and the image it refined (a comment: a docstring would be listed in every schema).

    image_id: str
    parent_id: str | None = None
    prompt: str
    variation: str | None = None


MAX_TREE_IMAGES = 40  # the most images listed in a tree; older ones are counted, not shown


def image_tree(conversation: storage.Conversation) -> list[TreeNode]:
    """The conversation's latest images as nodes, oldest first (at most MAX_TREE_IMAGES)."""
    return [
        TreeNode(image_id=image.image_id, parent_id=image.parent_id, prompt=shorten(image.prompt, 80), variation=image.variation)
        for image in conversation.images[-MAX_TREE_IMAGES:]
    ]


def tree_lines(conversation: storage.Conversation, current: str | None) -> list[str]:
    """The images as an indented tree of refinements, the one shown marked: one line each."""
    nodes = image_tree(conversation)
    shown = {node.image_id for node in nodes}
    children: dict[str | None, list[TreeNode]] = {}
    for node in nodes:
        children.setdefault(node.parent_id if node.parent_id in shown else None, []).append(node)
    lines = [f"Images of {conversation.id} (each under the image it refined; refine any with image_id):"]
    if len(conversation.images) > len(nodes):
        lines.append(f"  ({len(conversation.images) - len(nodes)} older image(s) not shown)")

    def walk(parent: str | None, depth: int) -> None:
        for node in children.get(parent, []):
            variation = f" [variation {node.variation}]" if node.variation else ""
            mark = "  <- this one" if node.image_id == current else ""
            lines.append(f"{'  ' * (depth + 1)}- {node.image_id}{variation}: {node.prompt}{mark}")
            walk(node.image_id, depth + 1)

    walk(None, 0)
    return lines


class VariationInfo(BaseModel):
    # One of several variations made at once: its number on the contact sheet, and where it stands.

    number: int
    status: Literal["generated", "rendering", "failed"]
    image_id: str | None = None
    path: str | None = None
    uri: str | None = None
    url: str | None = None
    size: str | None = None
    response_id: str | None = None
    cost_usd: float | None = None
    error: str | None = None


class ImageResult(BaseModel):
    """Structured content of the generating tools and openai_get_image; fields that do not apply are null."""

    # Only what a field's name does not say is described in the schema (clients list it on every turn).

    status: Literal["generated", "rendering", "question", "cancelled", "stopped", "dry_run"] = Field(
        description="rendering: collect it with openai_get_image; question: answer it"
    )
    conversation_id: str | None = Field(default=None, description="Pass it back to answer the question or refine the image")
    path: str | None = None  # absolute path of the saved full-quality image, or s3://bucket/key in object storage
    uri: str | None = None  # file:// URI of the saved image (s3:// in object storage)
    url: str | None = None  # time-limited HTTPS link to the full image (object storage only)
    preview_url: str | None = None  # time-limited HTTPS link to the preview JPEG (object storage only)
    image_id: str | None = Field(default=None, description="Its bytes: the resource image://<image_id>")
    size: str | None = None  # WIDTHxHEIGHT of the saved image
    format: str | None = None
    bytes: int | None = None
    model: str | None = None  # the image model that made it
    assistant_model: str | None = None
    revised_prompt: str | None = None
    response_id: str | None = None
    elapsed_seconds: float | None = None  # rendering: seconds since OpenAI began the image
    started_at: str | None = None  # rendering: when the render began (ISO 8601, UTC)
    completion_window: str | None = None  # soonest, or 2h/8h for a discounted render
    image_type: str | None = None  # the detected kind of image (logo, presentation, portrait ...)
    score_before: int | None = None  # prompt quality 0-100 before the dialogue; score_after: of the prompt sent
    score_after: int | None = None
    final_prompt: str | None = None  # the prompt sent, when the dialogue built it
    size_reason: str | None = None
    question: QuestionInfo | None = None
    usage: dict[str, Any] | None = None  # tokens OpenAI reported: image model and assistant model
    cost_usd: float | None = Field(default=None, description="Estimate; null: no known price")
    cost_note: str | None = None
    session_cost_usd: float | None = None  # the estimated cost of every image this server process made
    request: dict[str, Any] | None = None  # dry run: the request that would be sent (image data elided)
    estimated_cost_usd: list[float | None] | None = None  # dry run: [low, high] in USD
    notes: list[str] = Field(default_factory=list)
    parent_id: str | None = None  # the image this one refined; null for a conversation's first image
    tree: list[TreeNode] | None = None  # openai_get_image: the conversation's images and what each refined, oldest first
    variations: list[VariationInfo] | None = None  # with variations: each one by its number on the contact sheet


# Inlined once here: FastMCP inlines every $ref for clients that cannot follow one, on every tools/list
# otherwise (measured: 12 ms of the 13 ms a tools/list took).
IMAGE_RESULT_SCHEMA = dereference_refs(ImageResult.model_json_schema())
LISTING_SCHEMA = dereference_refs(storage.Listing.model_json_schema())


def image_uri(image_id: str) -> str:
    """The readable resource URI of a saved image."""
    return f"image://{image_id}"


def _analysis_fields(analysis: storage.PromptAnalysis | None) -> dict[str, Any]:
    """The analysis as ImageResult fields: the structured result is a view of the same record."""
    if analysis is None:
        return {}
    return {
        "image_type": analysis.image_type,
        "score_before": analysis.score_before,
        "score_after": analysis.score_after,
        "final_prompt": shorten(analysis.final_prompt),
        "size_reason": analysis.size_reason,
    }


def outcome_result(outcome: Generated | Rendering | Variations, session: SessionCost) -> ToolResult:
    """A generating call's outcome: the saved image, word that it is still rendering, or the variations."""
    if isinstance(outcome, Variations):
        return variations_result(outcome, session)
    if isinstance(outcome, Rendering):
        return rendering_result(outcome)
    return generated_result(outcome, session)


def _naming_the_saved(made: list[Generated], conversation_id: str, build: Callable[[], ToolResult]) -> ToolResult:
    """`build()`, or, when it fails, a StorageError naming every saved file: the images are paid for and on disk."""
    try:
        return build()
    except Exception as exc:
        if isinstance(exc, ImageServerError) or not made:
            raise
        log.exception("Could not put together the result of %s", conversation_id)
        saved = ", ".join(generated.saved.location for generated in made)
        raise StorageError(
            f"The image is saved ({saved}), but this result could not be put together ({type(exc).__name__}: {exc}). "
            f'Nothing is lost: call openai_get_image with conversation_id="{conversation_id}" to show it again.'
        ) from None


def variations_result(made: Variations, session: SessionCost) -> ToolResult:
    """Several variations: one line each, one contact sheet labelled 1..n, a resource link per image, the cost per image and summed."""
    return _naming_the_saved(made.made, made.conversation_id, lambda: _variations_result(made, session))


def _variations_result(made: Variations, session: SessionCost) -> ToolResult:
    """Several variations: one line each, one contact sheet labelled 1..n, a resource link per image, the cost per image and summed."""
    lines: list[str] = []
    infos: list[VariationInfo] = []
    sheet: list[tuple[int, bytes]] = []
    links: list[ResourceLink] = []
    total = 0.0
    priced = 0
    for number, outcome in enumerate(made.outcomes, 1):
        if isinstance(outcome, Generated):
            record, saved = outcome.record, outcome.saved
            cost = record.cost_usd
            if cost is not None:
                total, priced = total + cost, priced + 1
            lines.append(f"{number}. {record.image_id} · {record.size} · {costs.format_usd(cost)} · {record.path}")
            if saved.url:
                lines.append(f"   download: {saved.url}")
            infos.append(
                VariationInfo(
                    number=number,
                    status="generated",
                    image_id=record.image_id,
                    path=record.path,
                    uri=saved.uri,
                    url=saved.url,
                    size=record.size,
                    response_id=record.response_id,
                    cost_usd=cost,
                )
            )
            if outcome.preview is not None:
                sheet.append((number, outcome.preview[0]))
            links.append(_resource_link(record, saved, title=f"Variation {number}: full-quality image {record.size}"))
        elif isinstance(outcome, Rendering):
            lines.append(
                f"{number}. still rendering ({_duration(outcome.elapsed_seconds)} so far, render {outcome.response_id or 'not named yet'})"
            )
            infos.append(VariationInfo(number=number, status="rendering", response_id=outcome.response_id))
        else:
            message = shorten(redact(str(outcome)))
            lines.append(f"{number}. failed: {message}")
            infos.append(VariationInfo(number=number, status="failed", error=message))
    done = len(made.made)
    head = f"{done} of {len(made.outcomes)} variations made in conversation {made.conversation_id} (one request each)."
    summary = (
        f"Cost: {costs.format_usd(round(total, 6) if priced else None)} for the {priced} priced image(s) (estimate from reported usage)"
    )
    tail = []
    if any(info.status == "rendering" for info in infos):
        tail.append(f'The rest are still rendering: call openai_get_image with conversation_id="{made.conversation_id}" to collect them.')
    if done:
        tail.append(
            f'The contact sheet is numbered like the list. To refine one, call openai_conversational_image with conversation_id="{made.conversation_id}", '
            "its image_id and the change in prompt."
        )
    content: list[Any] = [TextContent(type="text", text="\n".join([head, *lines, summary, session.text(), *tail]))]
    if sheet:
        data, mime = imagefiles.contact_sheet(sheet)
        content.append(ImageContent(type="image", data=base64.b64encode(data).decode("ascii"), mime_type=mime))
    content += links
    first = made.made[0] if made.made else None
    structured = ImageResult(
        status="generated" if done else "rendering" if any(info.status == "rendering" for info in infos) else "stopped",
        conversation_id=made.conversation_id,
        path=first.record.path if first else None,
        uri=first.saved.uri if first else None,
        image_id=first.record.image_id if first else None,
        size=first.record.size if first else None,
        cost_usd=round(total, 6) if priced else None,
        session_cost_usd=round(session.usd, 6),
        variations=infos,
    )
    return ToolResult(content=content, structured_content=structured.model_dump(mode="json"))


def _resource_link(record: storage.ImageRecord, saved: imagefiles.SavedImage, *, title: str) -> ResourceLink:
    return ResourceLink(
        type="resource_link",
        uri=image_uri(record.image_id),
        name=saved.name,
        title=title,
        description=f"Saved at {record.path}",
        mime_type=MIME_TYPES.get(saved.format, "application/octet-stream"),
        size=saved.byte_size,
    )


def rendering_result(rendering: Rendering) -> ToolResult:
    """The image is not ready by the deadline: a normal result that says so, and how to collect it."""
    conversation_id = rendering.conversation_id
    if rendering.completion_window != "soonest":
        first = (
            f"The image is queued at OpenAI in the discounted {rendering.completion_window} completion window "
            f"(started {rendering.started_at}); it can take up to {rendering.completion_window[:-1]} hours."
        )
    else:
        first = f"The image is still rendering at OpenAI: {_duration(rendering.elapsed_seconds)} so far (started {rendering.started_at})."
    lines = [
        first,
        "Nothing more will be charged for waiting: it keeps rendering, and the server saves it when it is done.",
        f'To collect it, call openai_get_image with conversation_id="{conversation_id}" (it waits for the image, then returns it).',
        f"Render: {rendering.response_id or 'not named by OpenAI yet'}",
        *(f"Note: {note}" for note in rendering.notes),
    ]
    structured = ImageResult(
        status="rendering",
        conversation_id=conversation_id,
        response_id=rendering.response_id,
        elapsed_seconds=rendering.elapsed_seconds,
        started_at=rendering.started_at,
        completion_window=rendering.completion_window,
        notes=rendering.notes,
    )
    return ToolResult(content=[TextContent(type="text", text="\n".join(lines))], structured_content=structured.model_dump(mode="json"))


def cancelled_render_result(cancelled: Cancelled) -> ToolResult:
    """A pending render cancelled at OpenAI: no file will appear from it."""
    conversation = cancelled.conversation
    lines = [
        f"Render {cancelled.response_id} of conversation {conversation.id} (started {cancelled.started_at}) was cancelled: "
        "no image will be saved from it, and nothing more will be charged for it. " + cancelled.message,
    ]
    if conversation.last_image is not None:
        lines.append(f"The conversation's latest image is still {conversation.last_image.path}.")
    lines.append(f'To make a new image, call openai_conversational_image with conversation_id="{conversation.id}" and a prompt.')
    structured = ImageResult(
        status="cancelled", conversation_id=conversation.id, response_id=cancelled.response_id, started_at=cancelled.started_at
    )
    return ToolResult(content=[TextContent(type="text", text="\n".join(lines))], structured_content=structured.model_dump(mode="json"))


def _duration(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole} s" if whole < 120 else f"{whole // 60} min {whole % 60} s"


def generated_result(generated: Generated, session: SessionCost) -> ToolResult:
    """A saved image: what and where it is, what it cost, a small preview and a link to the full file."""
    return _naming_the_saved([generated], generated.conversation.id, lambda: _generated_result(generated, session))


def _generated_result(generated: Generated, session: SessionCost) -> ToolResult:
    job, conversation, record, saved = generated.job, generated.conversation, generated.record, generated.saved
    structured = ImageResult(
        status="generated",
        path=record.path,
        uri=saved.uri,
        url=saved.url,
        preview_url=saved.preview_url,
        conversation_id=conversation.id,
        image_id=record.image_id,
        size=record.size,
        format=saved.format,
        bytes=saved.byte_size,
        model=record.model,
        assistant_model=job.assistant_model,
        revised_prompt=shorten(record.revised_prompt),
        response_id=record.response_id,
        usage=record.usage,
        cost_usd=record.cost_usd,
        cost_note=record.cost_note,
        session_cost_usd=round(session.usd, 6),
        notes=generated.notes,
        parent_id=record.parent_id,
        tree=image_tree(conversation) if generated.show_tree else None,
        **_analysis_fields(job.analysis),
    )
    options = ", ".join(f"{k} {v}" for k, v in record.options.items() if k != "partial_images")
    shown_again = generated.cost is None
    lines = [
        f"Image saved{' earlier' if shown_again else ''}: {record.path}",
        f"Conversation: {conversation.id} · image {record.image_id} · {len(conversation.images)} image(s) so far",
        f"Size: {record.size} {saved.format.upper()} ({saved.byte_size / 1024:.0f} KB) · model {record.model} via {job.assistant_model}"
        + (f" · {options}" if options else ""),
        f"Cost: {costs.format_usd(record.cost_usd)} ({record.cost_note})" + (" · nothing was sent to OpenAI now" if shown_again else ""),
        session.text(),
    ]
    if saved.url:
        lines.append(f"Download (link valid for a limited time): {saved.url}")
    if job.analysis:
        lines += _analysis_lines(job.analysis)
    if record.revised_prompt:
        lines.append(f"OpenAI's revised prompt: {shorten(record.revised_prompt)}")
    lines += [f"Note: {note}" for note in generated.notes]
    if generated.show_tree and len(conversation.images) > 1:
        lines += tree_lines(conversation, record.image_id)
    refine = f'To refine this image, call openai_conversational_image with conversation_id="{conversation.id}"'
    if conversation.last_image is not None and conversation.last_image.image_id != record.image_id:
        refine += f' and image_id="{record.image_id}"'  # not the latest: name it, or the turn goes on from the latest
    lines.append(refine + " and describe the change in prompt. The inline picture is a small preview; the file is full quality.")
    inline = []
    if generated.preview is not None:
        preview_data, preview_mime = generated.preview
        inline = [ImageContent(type="image", data=base64.b64encode(preview_data).decode("ascii"), mime_type=preview_mime)]
    link = _resource_link(record, saved, title=f"Full-quality image {record.size}")  # resources/read answers it
    return ToolResult(
        content=[TextContent(type="text", text="\n".join(lines)), *inline, link],
        structured_content=structured.model_dump(mode="json"),
    )


def dry_run_result(run: DryRun) -> ToolResult:
    """What would be sent, and what it would cost; nothing was sent or saved."""
    job = run.job
    lines = [
        "Dry run: nothing was sent to OpenAI and nothing was saved.",
        f"It would send POST {run.path} ({_how_answered(run)}) to {run.endpoint}:",
        json.dumps(_shorten_strings(run.request), indent=2, ensure_ascii=False),
        f"Image model: {run.image_model} · size {job.size} · completion window {job.completion_window}"
        + (
            " (discounted and delayed: the call answers at once, and openai_get_image collects the image)"
            if job.completion_window != "soonest"
            else ""
        ),
        f"Estimated cost: {_cost_range(run.estimate)} ({run.estimate.note})",
    ]
    n = job.variations
    low, high = run.estimate.low_usd, run.estimate.high_usd
    if n > 1:
        low, high = (None if low is None else round(low * n, 6)), (None if high is None else round(high * n, 6))
        lines.append(f"Variations: {n}, so {n} requests like this one, one per image; estimated in all: {_usd_range(low, high)}")
    if job.analysis:
        lines += _analysis_lines(job.analysis)
    lines += [f"Note: {note}" for note in job.notes]
    structured = ImageResult(
        status="dry_run",
        conversation_id=None if job.is_new else job.conversation.id,
        size=job.size,
        model=run.image_model,
        assistant_model=job.assistant_model,
        request=_shorten_strings(run.request),
        completion_window=job.completion_window,
        estimated_cost_usd=[low, high],
        notes=job.notes,
        **{**_analysis_fields(job.analysis), "final_prompt": shorten(job.prompt)},
    )
    return ToolResult(content=[TextContent(type="text", text="\n".join(lines))], structured_content=structured.model_dump(mode="json"))


def _how_answered(run: DryRun) -> str:
    if run.path != "/responses":
        return "answered whole"
    return "streamed" if run.request.get("stream") else "then poll it until the image is ready"


def question_result(conversation: storage.Conversation, state: DialogueState) -> ToolResult:
    """The pending question as text, for clients that cannot show a form."""
    question = dialogue.current_question(state)
    assert question is not None
    number, total = dialogue.question_number(state)
    detected = enhancer.detect_type(state.original_prompt)
    words = f' (from "{", ".join(detected.words)}")' if detected.words and detected.image_type == state.image_type else ""
    if number == 1:
        header = [
            "Before generating, a few questions to get the image right. Nothing has been generated or paid for yet.",
            f"Detected image type: {type_label(state.image_type)}{words} · prompt quality {state.score_before}/100",
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
        'and the user\'s reply as prompt (an option number, its words, their own words, "generate now" or "cancel").',
    ]
    structured = ImageResult(
        status="question",
        conversation_id=conversation.id,
        image_type=state.image_type.value,
        score_before=state.score_before,
        question=QuestionInfo(key=question.key, text=question.text, options=question.options, number=number, total=total),
    )
    return ToolResult(content=[TextContent(type="text", text="\n".join(lines))], structured_content=structured.model_dump(mode="json"))


def stopped_result(conversation: storage.Conversation, status: Literal["cancelled", "stopped"]) -> ToolResult:
    """The dialogue ended (cancelled) or paused (a form was dismissed) before anything was generated."""
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
    analysis = conversation.analysis
    structured = ImageResult(
        status=status,
        conversation_id=conversation.id,
        image_type=analysis.image_type if analysis else None,
        score_before=analysis.score_before if analysis else None,
    )
    return ToolResult(content=[TextContent(type="text", text=text)], structured_content=structured.model_dump(mode="json"))


def listing_result(listing: storage.Listing, query: str | None, session: SessionCost) -> ToolResult:
    """The conversation listing as numbered lines, with the same conversations as structured content.

    It stops adding conversations once the text reaches LISTING_CHARS, and says how to see the rest.
    """
    about = f' matching "{shorten(query, 200)}"' if query and query.strip() else ""
    entries: list[str] = []
    used = 0
    for number, c in enumerate(listing.conversations, 1):
        entry = _listing_entry(number, c)
        if used + len(entry) > LISTING_CHARS and entries:
            break
        entries.append(entry)
        used += len(entry)
    shown = listing.conversations[: len(entries)]
    lines = [f"{listing.total_matching} conversation(s){about}; showing {len(shown)}, newest first. Stored in {listing.folder}"]
    if listing.unreadable:
        lines.append(f"{listing.unreadable} conversation file(s) could not be read and were skipped (see the server log).")
    lines += entries
    if len(shown) < len(listing.conversations):
        lines.append(
            f"{len(listing.conversations) - len(shown)} more left out to keep this result within the client's size limit: "
            "narrow it with query, or ask for a smaller limit."
        )
    if shown:
        lines.append("Refine one with openai_conversational_image and its conversation_id.")
    if session.images:
        lines.append(session.text())
    structured = listing.model_copy(update={"conversations": shown})
    return ToolResult(content=[TextContent(type="text", text="\n".join(lines))], structured_content=structured.model_dump(mode="json"))


def _listing_entry(number: int, c: storage.ConversationSummary) -> str:
    facts = [f"{c.image_count} image(s)", f"mode {c.dialogue_mode}"]
    if c.branches > 1:
        facts.append(f"{c.branches} branches (openai_get_image shows the tree)")
    if c.rendering_since:
        facts.append(f"rendering since {c.rendering_since} (collect it with openai_get_image)")
    if c.question_pending:
        facts.append("a question is waiting for an answer")
    if c.score_before is not None:
        after = f" -> {c.score_after}/100" if c.score_after is not None and c.score_after != c.score_before else ""
        facts.append(f"prompt quality {c.score_before}/100{after}")
    if c.image_count:
        unpriced = f" + {c.unpriced_images} image(s) without a known price" if c.unpriced_images else ""
        facts.append(f"cost {costs.format_usd(c.cost_usd or 0.0) if c.cost_usd is not None or not unpriced else 'unknown'}{unpriced}")
    return f"{number}. {c.id} — {c.title}\n   {' · '.join(facts)}\n   created {c.created_at} · updated {c.updated_at}" + (
        f"\n   last image: {c.last_image_path}" if c.last_image_path else ""
    )


@overload
def shorten(text: str, limit: int = SHOWN_CHARS) -> str: ...
@overload
def shorten(text: str | None, limit: int = SHOWN_CHARS) -> str | None: ...
def shorten(text: str | None, limit: int = SHOWN_CHARS) -> str | None:
    """`text` as shown in a result: whole up to `limit` characters, else its start and how much was left out."""
    if text is None or len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters; the whole text is in the conversation:// resource)"


def _shorten_strings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shorten_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten_strings(v) for v in value]
    return shorten(value) if isinstance(value, str) else value


def type_label(image_type: str) -> str:
    """The readable name of an image type ("social_post" -> "social media post")."""
    return enhancer.IMAGE_TYPE_LABELS.get(enhancer.ImageType(image_type), image_type)


def _analysis_lines(analysis: storage.PromptAnalysis) -> list[str]:
    words = f' (from "{", ".join(analysis.type_words)}")' if analysis.type_words else ""
    lines = [f"Detected image type: {type_label(analysis.image_type)}{words}"]
    if analysis.final_prompt is not None and analysis.score_after is not None:
        lines.append(f"Prompt quality: {analysis.score_before}/100 -> {analysis.score_after}/100")
        lines.append(f"Final prompt: {shorten(analysis.final_prompt)}")
    else:
        lines.append(f"Prompt quality: {analysis.score_before}/100")
    lines.append(f"Size chosen: {analysis.size_reason}")
    return lines


def _cost_range(estimate: costs.CostEstimate) -> str:
    return _usd_range(estimate.low_usd, estimate.high_usd)


def _usd_range(low: float | None, high: float | None) -> str:
    if low is None:
        return "cost unknown"
    if high is None:
        return f"at least {costs.format_usd(low)}"
    if high == low:
        return f"about {costs.format_usd(low)}"
    return f"{costs.format_usd(low)} to {costs.format_usd(high)}"


# conversation:// as JSON text, under every client's cap once the JSON-RPC answer escapes it (Claude Desktop:
# 1 MB; the Python SDK over HTTP: a 1 MiB event), with room for the envelope.
CONVERSATION_RESOURCE_BYTES = 900_000


def conversation_document(conversation: storage.Conversation, *, limit: int = CONVERSATION_RESOURCE_BYTES) -> str:
    """The conversation as JSON, whole when it fits in `limit` bytes once escaped, else without its oldest turns, saying so."""
    whole = conversation.model_dump_json(indent=2)
    if _escaped_size(whole) <= limit:
        return whole
    messages, images = conversation.messages, conversation.images
    keep_messages, keep_images = len(messages), len(images)
    while True:  # halve the longer list's kept part until the newest turns fit (each pass halves: few passes)
        if keep_messages >= keep_images:
            keep_messages //= 2
        else:
            keep_images //= 2
        shown = conversation.model_copy(
            update={"messages": messages[len(messages) - keep_messages :], "images": images[len(images) - keep_images :]}
        )
        document = shown.model_dump(mode="json")
        document["left_out"] = {
            "messages": len(messages) - keep_messages,
            "images": len(images) - keep_images,
            "why": (
                "The oldest turns are left out so that this resource stays under 1 MB. Every image is still saved: "
                "openai_get_image with this conversation_id and an image_id shows any of them again, and the tree of "
                "all images is in its result."
            ),
        }
        text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
        if _escaped_size(text) <= limit or keep_messages + keep_images == 0:
            return text


def _escaped_size(text: str) -> int:
    """Bytes of `text` once written as a JSON string, as a resources/read answer carries it."""
    return len(json.dumps(text).encode())
