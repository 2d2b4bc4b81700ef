"""openai-images-mcp: an MCP stdio server that makes and refines images with OpenAI's GPT image models.

This module declares the tools and resources and wires them to the helpers:
`inputs` checks arguments and loads input images, `dialogue_mcp` asks the questions
before a new image, `generation` makes and records the image, `rendering` turns the
outcome into MCP content. It starts fast (OpenAI's SDK and Pillow load on first use),
keeps stdout for JSON-RPC only (logs go to stderr), and turns every failure into an
MCP error whose message says what to change.

Run: python3 openai_images_mcp.py
"""

from __future__ import annotations

import gc
import sys

if sys.version_info < (3, 11):  # asyncio.timeout, enum.StrEnum ...: one clear line instead of an ImportError later
    sys.exit(f"openai-images-mcp needs Python 3.11 or newer; this is Python {sys.version.split()[0]} ({sys.executable}).")
from contextlib import contextmanager

__version__ = "0.10.0"


@contextmanager
def _collector_paused():
    """No cyclic garbage collection while the long-lived start-up objects are made; then freeze them.

    Importing FastMCP, the MCP types and pydantic makes some 170,000 objects that live as long
    as the server; the collector would walk them again and again while they are made (about
    80 ms of start-up). The collector is switched back on even if an import fails.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # keep them out of every later collection
        if was_enabled:
            gc.enable()


with _collector_paused():
    import asyncio
    import logging
    import time
    from typing import Annotated, Awaitable, Literal

    import mcp_types
    import pydantic
    from fastmcp import Context, FastMCP
    from fastmcp.exceptions import MCPError, PromptError, ResourceError, ToolError, ValidationError
    from fastmcp.prompts.base import Prompt, PromptArgument
    from fastmcp.resources import ResourceContent, ResourceResult
    from fastmcp.server.middleware import Middleware
    from fastmcp.tools.base import ToolResult
    from pydantic import Field

    import dialogue
    import dialogue_mcp
    import gallery
    import generation
    import inputs
    import prompt_templates
    import rendering
    import signin
    import stdio_wire
    import storage
    from dialogue_mcp import ToolOutput
    from errors import ImageServerError, InvalidInput, NotFound, OpenAIError, redact
    from image_models import BACKGROUNDS, COMPLETION_WINDOWS, EXTRA_QUALITIES, FIDELITIES, MODERATIONS, OUTPUT_FORMATS, QUALITIES
    from services import Services

    log = logging.getLogger("openai_images_mcp")

    SERVER_NAME = "openai-images"
    mcp = FastMCP(
        SERVER_NAME,
        version=__version__,
        instructions=(
            "Creates and refines images with OpenAI's GPT image models. Images are saved as files "
            "(the result gives the path and a small preview). To change an image, call "
            "openai_conversational_image again with the conversation_id from the previous result."
        ),
    )

services = Services()


def _caller() -> Services:
    """The services of whoever makes this call: the local user, or the signed-in one on a shared HTTP server."""
    return services.for_user(signin.current_user())


# --- tools -------------------------------------------------------------------

def _annotations(title: str, *, read_only: bool, destructive: bool, idempotent: bool, open_world: bool) -> dict[str, object]:
    """MCP tool annotations, all five stated (clients assume the worst of a hint left out)."""
    return {
        "title": title, "readOnlyHint": read_only, "destructiveHint": destructive,
        "idempotentHint": idempotent, "openWorldHint": open_world,
    }

SIZE_HELP = "WIDTHxHEIGHT such as 1024x1024, 1536x1024 (landscape), 1024x1536 (portrait), or auto. Omit to let the server pick one for the kind of image."
QUALITY_HELP = "low, medium, high or auto (OpenAI's default); xhigh and max only on gpt-image-2.5 models. Higher costs more and takes longer."
BACKGROUND_HELP = "transparent (needs output_format png or webp), opaque, or auto."
FORMAT_HELP = "File format: png (default), webp or jpeg."
COMPRESSION_HELP = "0-100 compression for jpeg or webp (100 = best quality)."
MODERATION_HELP = "OpenAI content moderation: auto (default) or low (less strict)."
FIDELITY_HELP = "How closely to keep input images' details and faces: high or low. Only gpt-image-1.5 (and low on gpt-image-1-mini)."
PARTIAL_HELP = "0-3 previews streamed while rendering, reported as progress; each costs about 100 extra image tokens. Default 0."
DRY_RUN_HELP = "True to send nothing and return the exact request that would be sent, with an estimated cost."
WINDOW_HELP = (
    "soonest (default): render now. 2h or 8h: a discounted render OpenAI finishes within that window; "
    "the call answers at once and openai_get_image collects the image later."
)
MODE_HELP = "Questions to ask before generating a new image: quick (1-2), guided (3-5, default), explorer (6-8), skip (none)."

# Parameters both generating tools take, declared once (the schemas stay flat: one property each).
# The allowed values come from image_models and dialogue, the one place each list is defined.
SizeArg = Annotated[str | None, Field(description=SIZE_HELP)]
QualityArg = Annotated[Literal[QUALITIES + EXTRA_QUALITIES] | None, Field(description=QUALITY_HELP)]
BackgroundArg = Annotated[Literal[BACKGROUNDS] | None, Field(description=BACKGROUND_HELP)]
FormatArg = Annotated[Literal[OUTPUT_FORMATS] | None, Field(description=FORMAT_HELP)]
CompressionArg = Annotated[int | None, Field(ge=0, le=100, description=COMPRESSION_HELP)]
ModerationArg = Annotated[Literal[MODERATIONS] | None, Field(description=MODERATION_HELP)]
FidelityArg = Annotated[Literal[FIDELITIES] | None, Field(description=FIDELITY_HELP)]
ModeArg = Annotated[Literal[tuple(mode.value for mode in dialogue.DialogueMode)], Field(description=MODE_HELP)]
ReferencesArg = Annotated[
    list[str] | None, Field(description="Up to 16 absolute paths of local images to use as style or subject references.")
]
PartialArg = Annotated[int, Field(ge=0, le=3, description=PARTIAL_HELP)]
DryRunArg = Annotated[bool, Field(description=DRY_RUN_HELP)]
WindowArg = Annotated[Literal[COMPLETION_WINDOWS], Field(description=WINDOW_HELP)]
VARIATIONS_HELP = (
    "1-4 (default 1): make that many images of this prompt at once, one request each (each charged as one image). "
    "The result shows one numbered contact sheet and each image_id; refine the one the user picks with its image_id."
)
VariationsArg = Annotated[int, Field(ge=1, le=inputs.MAX_VARIATIONS, description=VARIATIONS_HELP)]
VARIATIONS_HELP = (
    "1-4 (default 1): make that many images of this prompt at once, one request each (each charged as one image). "
    "The result shows one numbered contact sheet and each image_id; refine the one the user picks with its image_id."
)
VariationsArg = Annotated[int, Field(ge=1, le=inputs.MAX_VARIATIONS, description=VARIATIONS_HELP)]


@mcp.tool(
    name="openai_conversational_image",
    title="Create or refine an image (conversation)",
    annotations=_annotations("Create or refine an image (conversation)", read_only=False, destructive=False, idempotent=False, open_world=True),
    output_schema=rendering.IMAGE_RESULT_SCHEMA,
    meta=gallery.TOOL_META,  # hosts with MCP Apps show the result in the gallery; others ignore it
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
    image_id: Annotated[
        str | None,
        Field(description="With conversation_id: refine this earlier image of the conversation (img_...) instead of its last one, starting a new branch."),
    ] = None,
    dialogue_mode: ModeArg = dialogue.DEFAULT_MODE.value,
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
    completion_window: WindowArg = "soonest",
    variations: VariationsArg = 1,
    dry_run: DryRunArg = False,
) -> ToolOutput:
    """Create an image through a short guided conversation, or refine an earlier one.

    A new prompt first gets a few questions (unless dialogue_mode is skip or skip_dialogue is true):
    the result then shows a question and a conversation_id. Ask the user, and call again with that
    conversation_id and the user's answer as prompt; after the last answer the image is made from an
    improved prompt. To change an existing image, call with its conversation_id and describe the change
    (add mask_path to change only part of it); add image_id to go on from an earlier image instead of
    the last. Results give the saved file's path, a small preview, the conversation_id and the estimated cost.
    """
    svc = _caller()

    async def run() -> ToolOutput:
        deadline = time.monotonic() + svc.settings.wait_seconds  # for the whole call, a refinement's wait included
        text = inputs.check_prompt(prompt)  # checked first: a reply to a form carries the original prompt again
        continuing = dialogue_mcp.continued_elicitation(ctx)
        if continuing is not None:
            return await dialogue_mcp.resume_elicitation(continuing, ctx, svc)
        explicit_size = inputs.check_size(size, svc) if inputs.given(size) else None
        call = inputs.check_call_options(
            quality=quality, background=background, output_format=output_format, output_compression=output_compression,
            moderation=moderation, input_fidelity=input_fidelity, partial_images=partial_images,
            reference_paths=reference_image_paths, mask_path=mask_path, dry_run=dry_run, services=svc,
            completion_window=completion_window, variations=variations,
        )
        inputs.check_key(svc, dry_run=call.dry_run)  # before the first question: the dialogue would end in this error
        with_image = bool(input_image_file_id or input_image_path)
        if image_id is not None and conversation_id is None:
            raise InvalidInput("image_id names an earlier image to refine, so it needs that image's conversation_id as well.")
        if conversation_id is not None:
            conversation = await asyncio.to_thread(svc.store.load, storage.check_conversation_id(conversation_id))
            if conversation.question_pending and not call.dry_run:
                return await dialogue_mcp.answer(conversation, text, explicit_size=explicit_size, ctx=ctx, services=svc)
            if not call.dry_run:  # an image still rendering here is waited for first: the next turn goes on from it
                conversation, waiting = await _settle(conversation, deadline=deadline, ctx=ctx, svc=svc)
                if waiting is not None:
                    return waiting
            state = dialogue.restore(conversation.dialogue)
            if state is not None and state.status != dialogue.DialogueStatus.CANCELLED and not conversation.images and not with_image:
                # A dialogue whose image is not made yet: the first attempt failed, or this is a dry run.
                return await dialogue_mcp.finish(conversation, call=call, ctx=ctx, services=svc)
            model = inputs.check_model_name(assistant_model or conversation.assistant_model or svc.settings.assistant_model)
            parent = generation.pick_image(conversation, image_id)
            images, mask_url = await inputs.prepare_images(
                conversation=conversation, file_id=input_image_file_id, path=input_image_path, call=call, services=svc, edited=parent
            )
            job = generation.plan_refinement(
                conversation=conversation, text=text, explicit_size=explicit_size, assistant_model=model,
                call=call, images=images, mask_url=mask_url, services=svc, parent=parent,
            )
            return await _run(job, call=call, ctx=ctx, svc=svc, wait_seconds=max(deadline - time.monotonic(), 1.0))

        model = inputs.check_model_name(assistant_model or svc.settings.assistant_model)
        images, mask_url = await inputs.prepare_images(
            conversation=None, file_id=input_image_file_id, path=input_image_path, call=call, services=svc
        )
        if skip_dialogue or dialogue_mode == dialogue.DialogueMode.SKIP or images or call.dry_run:
            # Questions are for a new picture from words alone; an edit, or a dry run, goes straight through.
            job = generation.plan_new(
                text=text, explicit_size=explicit_size, assistant_model=model, dialogue_mode=dialogue_mode,
                skip_dialogue=skip_dialogue, images=images, options=call.options, mask_url=mask_url, services=svc,
                completion_window=call.completion_window, variations=call.variations,
            )
            return await _run(job, call=call, ctx=ctx, svc=svc)
        return await dialogue_mcp.begin(
            text=text, mode=dialogue_mode, assistant_model=model, explicit_size=explicit_size, call=call, ctx=ctx, services=svc
        )

    return await _as_tool_result(run())


@mcp.tool(
    name="openai_generate_image",
    title="Generate an image (one shot)",
    annotations=_annotations("Generate an image (one shot)", read_only=False, destructive=False, idempotent=False, open_world=True),
    output_schema=rendering.IMAGE_RESULT_SCHEMA,
    meta=gallery.TOOL_META,  # hosts with MCP Apps show the result in the gallery; others ignore it
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
    completion_window: WindowArg = "soonest",
    variations: VariationsArg = 1,
    dry_run: DryRunArg = False,
) -> ToolResult:
    """Generate one image straight away from a complete description, without questions.

    Returns the saved file's path, a small preview, the estimated cost and a conversation_id; the
    image can be refined later with openai_conversational_image and that conversation_id.
    """
    svc = _caller()

    async def run() -> ToolResult:
        text = inputs.check_prompt(prompt)
        explicit_size = inputs.check_size(size, svc) if inputs.given(size) else None
        call = inputs.check_call_options(
            quality=quality, background=background, output_format=output_format, output_compression=output_compression,
            moderation=moderation, input_fidelity=input_fidelity, partial_images=partial_images,
            reference_paths=reference_image_paths, mask_path=None, dry_run=dry_run, services=svc,
            completion_window=completion_window, variations=variations,
        )
        inputs.check_key(svc, dry_run=call.dry_run)
        images, _ = await inputs.prepare_images(conversation=None, file_id=None, path=None, call=call, services=svc)
        job = generation.plan_new(
            text=text, explicit_size=explicit_size, assistant_model=svc.settings.assistant_model,
            dialogue_mode=dialogue.DialogueMode.SKIP.value, skip_dialogue=True, images=images,
            options=call.options, mask_url=None, services=svc, completion_window=call.completion_window,
            variations=call.variations,
        )
        return await _run(job, call=call, ctx=ctx, svc=svc)

    return await _as_tool_result(run())


@mcp.tool(
    name="openai_list_conversations",
    title="List saved image conversations",
    annotations=_annotations("List saved image conversations", read_only=True, destructive=False, idempotent=True, open_world=False),
    output_schema=rendering.LISTING_SCHEMA,
)
async def openai_list_conversations(
    limit: Annotated[int, Field(ge=1, le=500, description="How many conversations to show, newest first (default 20).")] = 20,
    query: Annotated[
        str | None,
        Field(max_length=inputs.MAX_QUERY_CHARS, description="Only conversations whose title or prompts contain this text (case-insensitive; up to 200 characters)."),
    ] = None,
) -> ToolResult:
    """List saved image conversations, newest first: ids, titles, dialogue mode, pending questions, prompt scores,
    image counts and the last image's path.

    Use an id from here as conversation_id in openai_conversational_image to answer or keep refining.
    """
    svc = _caller()

    async def run() -> ToolResult:
        listing = await asyncio.to_thread(svc.store.list, limit, query)
        await _resume_listed(listing, svc)
        return rendering.listing_result(listing, query, svc.session_cost)

    return await _as_tool_result(run())


# It may finish saving an image already paid for, and cancel=true stops a render; it never starts one,
# and asking again gives the same image. Not destructive: nothing that exists is removed or changed.
GET_IMAGE_ANNOTATIONS = _annotations(
    "Collect, show again or cancel an image", read_only=False, destructive=False, idempotent=True, open_world=True
)


@mcp.tool(
    name="openai_get_image",
    title="Collect, show again or cancel an image",
    annotations=GET_IMAGE_ANNOTATIONS,
    output_schema=rendering.IMAGE_RESULT_SCHEMA,
)
async def openai_get_image(
    conversation_id: Annotated[str, Field(description="The conversation (conv_...) from an earlier result, e.g. one that said the image is still rendering.")],
    ctx: Context,
    image_id: Annotated[
        str | None, Field(description="An earlier image of this conversation (img_...) to show again. Omit for the image being made, or the latest one.")
    ] = None,
    wait_seconds: Annotated[
        float | None, Field(ge=0, le=3600, description="Longest to wait for an image still rendering (default OPENAI_IMAGES_WAIT_SECONDS, 50).")
    ] = None,
    cancel: Annotated[bool, Field(description="True to cancel the render in progress at OpenAI: no file will appear from it.")] = False,
) -> ToolResult:
    """Collect an image that was still rendering when its call returned, or show a saved image again.

    While OpenAI is still making the conversation's image, this waits for it (up to wait_seconds) and
    returns it like a generation does, or says it is still rendering. Otherwise it returns the latest
    image (or image_id's) again: path, preview and resource link. It never starts a paid generation; it
    may save an image that is already paid for. cancel=true stops the render in progress.
    """
    svc = _caller()

    async def run() -> ToolResult:
        conversation = await asyncio.to_thread(svc.store.load, storage.check_conversation_id(conversation_id))
        if cancel:
            if image_id is not None:
                raise InvalidInput("cancel=true stops the render in progress; leave image_id out (a saved image cannot be cancelled).")
            outcome = await generation.cancel(conversation, svc)
            if isinstance(outcome, generation.Cancelled):
                return rendering.cancelled_render_result(outcome)
            return rendering.generated_result(outcome, svc.session_cost)
        render = generation.follow(conversation, svc)
        others = generation.follow_variations(conversation, svc)
        if image_id is None and others:  # variations still rendering: collect them all, the main render first
            launched = [render, *others] if render is not None else others
            outcome = await generation.collect_variations(
                launched, svc, dialogue_mcp.progress_reporter(ctx), wait_seconds=wait_seconds, conversation_id=conversation.id
            )
            return rendering.variations_result(outcome, svc.session_cost)
        if image_id is None and render is not None:
            pending = conversation.pending_render
            partials = pending.options.get("partial_images") if pending else None
            outcome = await generation.collect(
                render, svc, dialogue_mcp.progress_reporter(ctx), wait_seconds=wait_seconds,
                partial_images=partials if isinstance(partials, int) else 0,
            )
            return rendering.outcome_result(outcome, svc.session_cost)
        record, notes = _image_to_show(conversation, image_id)
        shown = await asyncio.to_thread(generation.recall, conversation, record, svc)
        shown.notes[:0] = notes
        shown.show_tree = True
        return rendering.generated_result(shown, svc.session_cost)

    return await _as_tool_result(run())


def _image_to_show(conversation: storage.Conversation, image_id: str | None) -> tuple[storage.ImageRecord, list[str]]:
    """The image to show again: `image_id`'s, else the latest; a render that failed after it is an error."""
    if image_id is not None:
        record = conversation.image(image_id) if storage.IMAGE_ID.fullmatch(image_id) else None
        if record is None:
            ids = ", ".join(image.image_id for image in conversation.images[-10:]) or "none yet"
            raise NotFound(f"Conversation {conversation.id} has no image {image_id[:40]!r}; its images: {ids}.")
        return record, []
    last, ended = conversation.last_image, conversation.last_ended_render
    if ended is not None and ended.status == "failed":
        still = f" The conversation's latest image is still {last.image_id} ({last.path})." if last else ""
        raise OpenAIError(
            f"The render started {ended.started_at} in conversation {conversation.id} failed: {ended.message}{still} "
            "Nothing was saved from it. To try again, call openai_conversational_image with this conversation_id."
        )
    if last is None:
        what = f"its render was cancelled ({ended.message})" if ended else "no image has been made in it yet"
        raise NotFound(
            f"Conversation {conversation.id} has no image: {what}. Make one with openai_conversational_image and this conversation_id."
        )
    notes = [f"The render started {ended.started_at} after this image was cancelled; this is the latest image."] if ended else []
    return last, notes


async def _settle(
    conversation: storage.Conversation, *, deadline: float, ctx: Context, svc: Services
) -> tuple[storage.Conversation, ToolResult | None]:
    """Before a refinement: wait, within the call's deadline, for a render still pending in the conversation.

    Returns the conversation as it is once that render has ended, or a "rendering" result when
    it is still going at the deadline: a refinement never chains from an unfinished response.
    """
    render = generation.follow(conversation, svc)
    if render is None:
        return conversation, None
    try:
        outcome = await generation.collect(render, svc, dialogue_mcp.progress_reporter(ctx), wait_seconds=deadline - time.monotonic())
    except ImageServerError as exc:
        settled = await asyncio.to_thread(svc.store.load, conversation.id)
        if settled.pending_render is not None:  # not collected, yet not over: going on would lose track of it
            raise type(exc)(f"The refinement was not started: the image before it is not collected yet. {exc}") from None
        log.info("The pending render of %s ended without an image (%s); refining from the last image", conversation.id, exc)
        return settled, None
    if isinstance(outcome, generation.Rendering):
        outcome.notes.append(
            "The refinement was not started: it continues from this image, which is still rendering. "
            "Try the refinement again in a moment, or collect the image first with openai_get_image."
        )
        return conversation, rendering.rendering_result(outcome)
    return await asyncio.to_thread(svc.store.load, conversation.id), None


async def _resume_listed(listing: storage.Listing, svc: Services) -> None:
    """Pick up the renders the listing shows as pending that no render of this process follows (after a restart)."""
    for summary in listing.conversations:
        if summary.pending_response_id and svc.renders.following(summary.pending_response_id) is None:
            try:
                conversation = await asyncio.to_thread(svc.store.load, summary.id)
            except ImageServerError as exc:
                log.warning("Could not resume the render of %s: %s", summary.id, exc)
                continue
            generation.follow(conversation, svc)
            generation.follow_variations(conversation, svc)


async def _run(
    job: generation.Job, *, call: inputs.CallOptions, ctx: Context, svc: Services, wait_seconds: float | None = None
) -> ToolResult:
    """Preview the job (dry run) or make the image, and render the outcome: the image, or word that it is still rendering."""
    if call.dry_run:
        return rendering.dry_run_result(generation.preview(job, svc))
    outcome = await generation.run(job, svc, dialogue_mcp.progress_reporter(ctx), wait_seconds=wait_seconds)
    return rendering.outcome_result(outcome, svc.session_cost)


# --- resources -------------------------------------------------------------------------


@mcp.resource(
    "conversation://{conversation_id}",
    name="conversation",
    title="Image conversation",
    description="One saved conversation as JSON: messages, images (paths, prompts, usage, cost) and dialogue state.",
    mime_type="application/json",
)
async def conversation_resource(conversation_id: str) -> ResourceResult:
    async def read() -> ResourceResult:
        conversation = await asyncio.to_thread(_caller().store.load, storage.check_conversation_id(conversation_id))
        return ResourceResult([ResourceContent(conversation.model_dump_json(indent=2), mime_type="application/json")])

    return await _as_resource(f"conversation://{conversation_id}", read())


@mcp.resource(
    "image://{image_id}",
    name="image",
    title="Saved image",
    description="The full-quality bytes of an image this server saved, with its MIME type.",
    mime_type="image/png",
)
async def image_resource(image_id: str) -> ResourceResult:
    async def read() -> ResourceResult:
        svc = _caller()
        found = await asyncio.to_thread(svc.store.find_image, image_id)
        if found is None:
            raise NotFound(
                f"No saved image {image_id[:40]!r}; image ids look like img_0123456789abcdef. "
                "Use an image_id from a result or from the conversation:// resource."
            )
        image = await inputs.read_saved_file(found[1], f"image {image_id}", svc)
        return ResourceResult([ResourceContent(image.data, mime_type=image.mime_type)])

    return await _as_resource(f"image://{image_id}", read())


gallery.register(mcp, caller=_caller)  # the ui:// view and its app-only tools (gallery.py)


# --- prompts ---------------------------------------------------------------------------


class _TemplatePrompt(Prompt):
    """One of prompt_templates' ready-made requests, offered by clients as a slash command."""

    template_name: str

    async def render(self, arguments: dict[str, object] | None = None) -> str:
        try:
            return prompt_templates.render(self.template_name, {k: None if v is None else str(v) for k, v in (arguments or {}).items()})
        except ValueError as exc:
            error = PromptError(str(exc))
            error.log_level = logging.DEBUG  # the caller's mistake, answered in words: no traceback on stderr
            raise error from None


for _template in prompt_templates.TEMPLATES:
    mcp.add_prompt(
        _TemplatePrompt(
            name=_template.name, title=_template.title, description=_template.description, template_name=_template.name,
            arguments=[PromptArgument(name=a.name, description=a.description, required=a.required) for a in _template.arguments],
        )
    )


# --- errors ------------------------------------------------------------------------


async def _as_tool_result(work: Awaitable[ToolOutput]) -> ToolOutput:
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


class _ResourceFailure(ResourceError, MCPError):
    """A resource read that failed for a reason the user can act on, as the JSON-RPC error to send.

    It is a FastMCP error, so FastMCP logs it at this level (DEBUG: no traceback box on stderr; we
    log one line), and an MCPError, so FastMCP sends its code and data unchanged. An unknown id is
    -32602 with data.uri, as SEP-2164 asks for resources/read.
    """

    def __init__(self, uri: str, message: str, code: int):
        MCPError.__init__(self, code=code, message=message, data={"uri": uri})
        self.log_level = logging.DEBUG


async def _as_resource(uri: str, work: Awaitable[ResourceResult]) -> ResourceResult:
    """Run a resource read; the error family becomes a JSON-RPC error that says what to do."""
    try:
        return await work
    except ImageServerError as exc:
        message = redact(str(exc))
        log.warning("Resource %s: %s", uri[:100], message)
        code = mcp_types.INVALID_PARAMS if isinstance(exc, InvalidInput) else mcp_types.INTERNAL_ERROR
        raise _ResourceFailure(uri, message, code) from None


class _ArgumentErrorsInPlainWords(Middleware):
    """Arguments that fail the tools' schemas get our own one-line error, not pydantic's report."""

    async def on_call_tool(self, context, call_next):
        try:
            return await call_next(context)
        except ValidationError as exc:
            if not isinstance(exc.__cause__, pydantic.ValidationError):
                raise
            errors = exc.__cause__.errors(include_url=False, include_context=True, include_input=True)
            message = redact(inputs.describe_argument_errors(context.message.name, errors))
            log.warning("Tool error: %s", message)
            raise ToolError(message) from None


mcp.add_middleware(_ArgumentErrorsInPlainWords())


# --- entry point ------------------------------------------------------------------


SWITCH_INTERVAL_SECONDS = 0.001


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def main(argv: list[str] | None = None) -> None:
    """Serve MCP on stdin/stdout, or with --http over Streamable HTTP."""
    options = _command_line(sys.argv[1:] if argv is None else argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    fastmcp_log = logging.getLogger("fastmcp")  # FastMCP gave itself a rich handler on import: one format on stderr instead
    fastmcp_log.handlers.clear()
    fastmcp_log.propagate = True
    # Streams are read, and images decoded and saved, in threads (openai_api._Wire, generation._land);
    # the event loop that answers calls waits this long for the interpreter lock before its holder must
    # let go. At CPython's 5 ms, a ping during eight finishing renders took 43-47 ms at p99; at 1 ms, 30-40.
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    _warn_about_settings()
    if not options.http:
        stdio_wire.serve_until_stopped(mcp)
        return
    import http_server

    try:
        http_server.serve(mcp, services.settings, host=options.host, port=options.port, path=options.path, version=__version__)
    except ImageServerError as exc:
        sys.exit(f"openai-images-mcp: error: {redact(str(exc))}")


def _command_line(argv: list[str]):
    import argparse

    import http_server

    parser = argparse.ArgumentParser(prog="openai_images_mcp.py", description="The openai-images MCP server (stdio unless --http).")
    http_server.add_serve_arguments(parser)
    options = parser.parse_args(argv)
    problem = http_server.serve_arguments_problem(options)
    if problem:
        parser.error(problem)
    return options


def _warn_about_settings() -> None:
    """One line on stderr at start-up when no call could make an image: found now, not after the questions."""
    try:
        settings = services.settings
    except ImageServerError as exc:
        log.warning("%s Every tool call will say so until it is fixed.", exc)
        return
    if not (settings.api_key or settings.uses_azure):
        log.warning("OPENAI_API_KEY is not set: dry runs and the listing work, making an image does not. Set it in the client's config.")


if __name__ == "__main__":
    main()
