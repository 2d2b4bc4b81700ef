"""The steps the tools share: wait for a pending render, make or preview a job, pick the image to show again.

They sit between the tool functions (openai_images_mcp.py), which check arguments, and the pipeline
(generation), which makes images; each turns a pipeline outcome into the tool's result.
"""

from __future__ import annotations

import asyncio
import logging
import time

from fastmcp import Context
from fastmcp.tools.base import ToolResult

from openai_images import dialogue_mcp, generation, inputs, rendering, storage
from openai_images.errors import ImageServerError, InvalidInput, NotFound, OpenAIError
from openai_images.services import Services

log = logging.getLogger("openai_images_mcp")


async def run_job(
    job: generation.Job, *, call: inputs.CallOptions, ctx: Context, svc: Services, wait_seconds: float | None = None
) -> ToolResult:
    """Preview the job (dry run) or make the image, and render the outcome: the image, or word that it is still rendering."""
    if call.dry_run:
        return rendering.dry_run_result(generation.preview(job, svc))
    outcome = await generation.run(job, svc, dialogue_mcp.progress_reporter(ctx), wait_seconds=wait_seconds)
    return rendering.outcome_result(outcome, svc.session_cost)


async def refine(
    conversation: storage.Conversation | None,
    *,
    text: str,
    explicit_size: str | None,
    assistant_model: str,
    call: inputs.CallOptions,
    file_id: str | None,
    path: str | None,
    ctx: Context,
    svc: Services,
    parent: storage.ImageRecord | None = None,
    wait_seconds: float | None = None,
    markup_data: bytes | None = None,
) -> ToolResult:
    """A new turn from an earlier image: its input images read and checked, the job planned, then made or previewed.

    With call.markup_path it is a markup edit (images.edit), which may also start a conversation from
    input_image_path (`conversation` None); `markup_data` is a markup already in hand (the gallery's).
    Otherwise it is the Responses request that goes on from the refined image.
    """
    if call.markup_path:
        files = await inputs.prepare_markup(
            conversation=conversation, file_id=file_id, path=path, call=call, services=svc, edited=parent, markup_data=markup_data
        )
        job = generation.plan_markup(
            conversation=conversation,
            text=text,
            explicit_size=explicit_size,
            assistant_model=assistant_model,
            call=call,
            files=files,
            services=svc,
            parent=parent,
        )
        return await run_job(job, call=call, ctx=ctx, svc=svc, wait_seconds=wait_seconds)
    if conversation is None:
        raise InvalidInput("Only a markup edit starts from an image without a conversation_id here.")  # the tools never ask it
    images, mask_url = await inputs.prepare_images(
        conversation=conversation, file_id=file_id, path=path, call=call, services=svc, edited=parent
    )
    job = generation.plan_refinement(
        conversation=conversation,
        text=text,
        explicit_size=explicit_size,
        assistant_model=assistant_model,
        call=call,
        images=images,
        mask_url=mask_url,
        services=svc,
        parent=parent,
    )
    return await run_job(job, call=call, ctx=ctx, svc=svc, wait_seconds=wait_seconds)


async def settle(
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


async def collect_or_show(
    conversation: storage.Conversation, *, image_id: str | None, wait_seconds: float | None, ctx: Context, svc: Services
) -> ToolResult:
    """openai_get_image without cancel: collect what is still rendering, else show the chosen or latest image again."""
    render = generation.follow(conversation, svc)
    others = generation.follow_variations(conversation, svc)
    if image_id is None and others:  # variations still rendering: collect them all, the main render first
        launched = [render, *others] if render is not None else others
        collected = await generation.collect_variations(
            launched, svc, dialogue_mcp.progress_reporter(ctx), wait_seconds=wait_seconds, conversation_id=conversation.id
        )
        return rendering.variations_result(collected, svc.session_cost)
    if image_id is None and render is not None:
        pending = conversation.pending_render
        partials = pending.options.get("partial_images") if pending else None
        outcome = await generation.collect(
            render,
            svc,
            dialogue_mcp.progress_reporter(ctx),
            wait_seconds=wait_seconds,
            partial_images=partials if isinstance(partials, int) else 0,
        )
        return rendering.outcome_result(outcome, svc.session_cost)
    record, notes = image_to_show(conversation, image_id)
    shown = await asyncio.to_thread(generation.recall, conversation, record, svc)
    shown.notes[:0] = notes
    shown.show_tree = True
    return rendering.generated_result(shown, svc.session_cost)


def image_to_show(conversation: storage.Conversation, image_id: str | None) -> tuple[storage.ImageRecord, list[str]]:
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


async def resume_listed(listing: storage.Listing, svc: Services) -> None:
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
