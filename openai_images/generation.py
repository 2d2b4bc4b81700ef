"""The generation pipeline: a checked job becomes an image on disk, recorded in its conversation.

No MCP here. A caller (a tool, a test, a terminal command) plans a `Job`, then either
`preview`s it (a dry run: the request and an estimate, nothing sent) or `generate`s it,
hearing progress through a plain callback. Both return an outcome record that the
caller renders; this module never formats a result.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from openai_images import (
    costs,
    dialogue,
    enhancer,
    imagefiles,
    inputs,
    limits,
    renders,
    sizes,
    storage,
    svgfiles,
)
from openai_images.errors import (
    ImageServerError,
    InvalidInput,
    OpenAIError,
    StorageError,
    redact,
)
from openai_images.image_models import COMPLETION_WINDOWS, ImageOptions, effective_model, validate_options
from openai_images.openai_api import (
    GeneratedImage,
    ImageInput,
    MarkupFiles,
    PreviousResponseGone,
    RenderLost,
    Tracking,
    build_edit_request,
    build_request,
    streams,
)
from openai_images.services import Services

log = logging.getLogger("openai_images_mcp.generation")

DEFAULT_SIZE = "1024x1024"
IMAGE_WORKERS = 2
RESPONSE_ID = re.compile(r"^resp_[A-Za-z0-9]{1,200}$")  # how OpenAI's response ids look

OnProgress = Callable[[int, str], Awaitable[None]]
"""Hears (step number, message) for each stage of a render; its failures never fail the image."""


@dataclass(kw_only=True)
class Job:
    """One image to make: what to send, and the conversation it joins (new ones are saved with the image)."""

    prompt: str
    size: str
    assistant_model: str
    conversation: storage.Conversation
    is_new: bool
    options: ImageOptions
    user_message: str | None  # recorded as the user's turn (None: the dialogue recorded it)
    analysis: storage.PromptAnalysis | None = None  # set for a conversation's first image
    images: list[ImageInput] = field(default_factory=list)
    mask_url: str | None = None
    notes: list[str] = field(default_factory=list)  # what the user should know about how the job was built
    completion_window: str = "soonest"  # "2h" or "8h": a discounted render, collected later
    parent: storage.ImageRecord | None = None  # the earlier image this turn refines (a refinement: the last one unless told)
    variation: str | None = None  # "2/4" for one of several variations
    variations: int = 1  # how many to make at once (generate_variations), one request each
    markup: MarkupFiles | None = None  # a markup edit: one images.edit request, answered whole


@dataclass(kw_only=True)
class Generated:
    """A generated image once it is on disk and in its conversation (or a saved one, shown again)."""

    job: Job
    saved: imagefiles.SavedImage
    record: storage.ImageRecord
    conversation: storage.Conversation
    cost: costs.ImageCost | None  # None for an image shown again: it was counted when it was made
    preview: tuple[bytes, str] | None  # JPEG bytes and MIME type; None when it could not be made
    notes: list[str]
    recorded: bool = True  # False when another process had recorded the same render first
    show_tree: bool = False  # list the conversation's images as the tree they form (openai_get_image)


@dataclass(kw_only=True)
class Rendering:
    """An image OpenAI is still making when the caller's deadline came; collect it by its conversation id."""

    conversation_id: str
    response_id: str | None
    started_at: str
    elapsed_seconds: float
    completion_window: str
    notes: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class Variations:
    """Several images made at once from one job: each variation's outcome, in order (an error for one that failed)."""

    conversation_id: str
    outcomes: list[Generated | Rendering | ImageServerError]

    @property
    def made(self) -> list[Generated]:
        return [outcome for outcome in self.outcomes if isinstance(outcome, Generated)]


@dataclass(kw_only=True)
class Cancelled:
    """A pending render that was cancelled: no image will appear from it."""

    conversation: storage.Conversation
    response_id: str
    started_at: str
    message: str


@dataclass(kw_only=True)
class DryRun:
    """What a job would send, and what it would cost; nothing was sent or saved."""

    job: Job
    request: dict[str, Any]  # as sent, with image data shortened
    image_model: str
    endpoint: str
    estimate: costs.CostEstimate
    path: str = "/responses"  # what it would POST to, under `endpoint`


# --- planning -------------------------------------------------------------------


def plan_new(
    *,
    text: str,
    explicit_size: str | None,
    assistant_model: str,
    dialogue_mode: str,
    skip_dialogue: bool,
    images: list[ImageInput],
    options: ImageOptions,
    mask_url: str | None,
    services: Services,
    completion_window: str = "soonest",
    variations: int = 1,
) -> Job:
    """A new image with no questions asked: still detect the type, score the prompt and pick a size."""
    detected = enhancer.detect_type(text)
    score = enhancer.score(text).total
    size, reason = sizes.choose_size(explicit_size, detected.image_type, text, model=services.settings.image_model)
    analysis = storage.PromptAnalysis(
        image_type=detected.image_type.value, type_words=list(detected.words), score_before=score, score_after=score, size_reason=reason
    )
    conversation = storage.new_conversation(
        text, dialogue_mode=dialogue_mode, skip_dialogue=skip_dialogue, assistant_model=assistant_model, analysis=analysis
    )
    return Job(
        prompt=text,
        size=size,
        assistant_model=assistant_model,
        conversation=conversation,
        is_new=True,
        options=options,
        user_message=text,
        analysis=analysis,
        images=images,
        mask_url=mask_url,
        completion_window=completion_window,
        variations=variations,
    )


def plan_from_dialogue(conversation: storage.Conversation, call: inputs.CallOptions | None, services: Services) -> Job:
    """The dialogue is done (or a dry run asks early): one image from the prompt it built.

    The built prompt is used once; later refinements send the user's new text as it is.
    """
    restored = dialogue.restore(conversation.dialogue)
    if restored is None:
        raise InvalidInput(f"Conversation {conversation.id} has no dialogue to make an image from; nothing was sent.")
    state = dialogue.finish_early(restored)
    built, note = inputs.fit_prompt(dialogue.final_prompt(state))
    size, reason = sizes.choose_size(conversation.requested_size, state.image_type, built, model=services.settings.image_model)
    analysis = storage.PromptAnalysis(
        image_type=state.image_type.value,
        score_before=state.score_before,
        score_after=enhancer.score(built).total,
        final_prompt=built,
        size_reason=reason,
    )
    options, format_note = _file_chosen(inputs.merged_options(conversation, call, services), state, services)
    return Job(
        prompt=built,
        size=size,
        assistant_model=conversation.assistant_model or services.settings.assistant_model,
        conversation=conversation,
        is_new=False,
        options=options,
        user_message=None,
        analysis=analysis,
        notes=[text for text in (note, format_note) if text],
        completion_window=_window(call, conversation.requested_window),
        variations=_variations(call, conversation.requested_variations),
    )


def _file_chosen(options: ImageOptions, state: dialogue.DialogueState, services: Services) -> tuple[ImageOptions, str | None]:
    """`options` with the file the dialogue's file question chose, unless the call chose a format or it cannot go with them."""
    chosen = dialogue.chosen_file(state)
    if not chosen or options.output_format is not None:
        return options, None
    wanted = dataclasses.replace(options, output_format=chosen["output_format"], background=chosen.get("background", options.background))
    try:
        validate_options(wanted, effective_model(services.settings.image_model))
    except InvalidInput as exc:
        return options, f"Made as {options.output_format or 'png'}, not {chosen['output_format']} as answered: {exc}"
    return wanted, None


def plan_refinement(
    *,
    conversation: storage.Conversation,
    text: str,
    explicit_size: str | None,
    assistant_model: str,
    call: inputs.CallOptions,
    images: list[ImageInput],
    mask_url: str | None,
    services: Services,
    parent: storage.ImageRecord | None = None,
) -> Job:
    """A new turn in an existing conversation: OpenAI sees the earlier turns through previous_response_id.

    It refines `parent` (any earlier image of the conversation: a new branch), else the last image.
    Without an explicit size that image's size is kept, or the closest the current model accepts.
    """
    notes = []
    base = parent or conversation.last_image
    if explicit_size:
        size = explicit_size
    else:
        size, note = sizes.fit_size(base.size if base else conversation.requested_size or DEFAULT_SIZE, services.settings.image_model)
        notes = [note] if note else []
    return Job(
        prompt=text,
        size=size,
        assistant_model=assistant_model,
        conversation=conversation,
        is_new=False,
        options=inputs.merged_options(conversation, call, services),
        user_message=text,
        images=images,
        mask_url=mask_url,
        notes=notes,
        completion_window=call.completion_window,
        parent=base,
        variations=call.variations,
    )


def plan_markup(
    *,
    conversation: storage.Conversation | None,
    text: str,
    explicit_size: str | None,
    assistant_model: str,
    call: inputs.CallOptions,
    files: MarkupFiles,
    services: Services,
    parent: storage.ImageRecord | None = None,
) -> Job:
    """A markup edit: the marked-up image, the markup and `text` go to images.edit, and the image lands as a turn like any other.

    In a conversation it refines `parent` (else the last image) and keeps its size and options; without
    one it starts a conversation, as an edit of input_image_path does.
    """
    if conversation is None:
        job = plan_new(
            text=text,
            explicit_size=explicit_size,
            assistant_model=assistant_model,
            dialogue_mode=dialogue.DialogueMode.SKIP.value,
            skip_dialogue=True,
            images=[],
            options=call.options,
            mask_url=None,
            services=services,
            variations=call.variations,
        )
    else:
        job = plan_refinement(
            conversation=conversation,
            text=text,
            explicit_size=explicit_size,
            assistant_model=assistant_model,
            call=call,
            images=[],
            mask_url=None,
            services=services,
            parent=parent,
        )
    return dataclasses.replace(job, markup=files)


def pick_image(conversation: storage.Conversation, image_id: str | None) -> storage.ImageRecord | None:
    """The image a refinement starts from: `image_id` when given (it must be this conversation's), else None for the last."""
    if image_id is None:
        return None
    record = conversation.image(image_id.strip())
    if record is None:
        known = ", ".join(image.image_id for image in conversation.images[-8:]) or "none yet"
        raise InvalidInput(
            f"image_id {image_id[:40]!r} is not an image of conversation {conversation.id} (its images: {known}). "
            "Use an image_id from this conversation's results, or omit image_id to refine the last image."
        )
    return record


def _variations(call: inputs.CallOptions | None, requested: int | None) -> int:
    """This call's variations, else what the dialogue's first call asked for (read from a file: checked)."""
    if call is not None and call.variations > 1:
        return call.variations
    return requested if isinstance(requested, int) and 1 <= requested <= inputs.MAX_VARIATIONS else 1


def _window(call: inputs.CallOptions | None, requested: str | None) -> str:
    """This call's completion window, else the one the dialogue's first call asked for (read from a file: checked)."""
    if call is not None and call.completion_window != "soonest":
        return call.completion_window
    return requested if requested in COMPLETION_WINDOWS else "soonest"


# --- running ---------------------------------------------------------------------


def request_for(job: Job, services: Services, *, images: list[ImageInput] | None = None, chained: bool = True) -> dict[str, Any]:
    """The exact Responses request for `job` (less `stream`); `images` and `chained` vary it for the retry without history.

    A markup edit's is the images.edit request instead.
    """
    if job.markup is not None:
        return build_edit_request(
            prompt=job.prompt,
            image_model=effective_model(services.settings.image_model),
            size=job.size,
            files=job.markup,
            options=job.options,
            safety_identifier=services.safety_identifier,
        )
    return build_request(
        prompt=job.prompt,
        assistant_model=job.assistant_model,
        size=job.size,
        image_model=services.settings.image_model,
        images=job.images if images is None else images,
        previous_response_id=_chained_from(job) if chained and not job.is_new else None,
        options=job.options,
        mask_url=job.mask_url,
        background=services.openai.uses_background,
        completion_window=job.completion_window,
        safety_identifier=services.safety_identifier,
        svg_author=services.settings.svg_author(),
    )


def _chained_from(job: Job) -> str | None:
    """The response a turn goes on from: the refined image's own (a branch), else the conversation's last.

    None when the refined image came from no response (a markup edit): `_sends_refined_image` then sends it.
    """
    base = job.parent or job.conversation.last_image
    if base is not None and not base.response_id:
        return None
    if job.parent is not None and job.parent.response_id and job.parent is not job.conversation.last_image:
        return job.parent.response_id
    return job.conversation.last_response_id


def _sends_refined_image(job: Job) -> bool:
    """True for a refinement of an image no OpenAI response made (a markup edit's): it goes in as an input image instead.

    A masked edit already sends the image it edits first (inputs.prepare_images).
    """
    base = job.parent or job.conversation.last_image
    return not job.is_new and job.markup is None and not job.mask_url and base is not None and not base.response_id


def preview(job: Job, services: Services) -> DryRun:
    """The request `job` would send, with image data shortened, and its estimated cost; nothing is sent."""
    model = effective_model(services.settings.image_model)
    estimate = costs.estimate_cost(
        model,
        job.options.quality or "auto",
        job.size,
        prompt=job.prompt,
        partial_images=job.options.partial_images or 0,
        input_images=len(job.markup.images) + 1 if job.markup else len(job.images),
        overrides=services.prices,
    )
    if job.markup is not None:
        request, path = _edit_as_sent(request_for(job, services)), "/images/edits"
    else:
        base = job.parent or job.conversation.last_image
        instead = [ImageInput(image_url=f"(the saved image {base.image_id}, read when sent)")] if base and _sends_refined_image(job) else []
        request, path = elide_images(_as_sent(request_for(job, services, images=[*instead, *job.images]))), "/responses"
    return DryRun(
        job=job,
        request=request,
        image_model=model,
        endpoint=redact(services.settings.base_url or "https://api.openai.com/v1"),
        estimate=estimate,
        path=path,
    )


async def run(
    job: Job, services: Services, on_progress: OnProgress | None = None, *, wait_seconds: float | None = None
) -> Generated | Rendering | Variations:
    """Make the job's image, or its variations when it asks for several."""
    if job.variations > 1:
        return await generate_variations(job, services, on_progress, wait_seconds=wait_seconds)
    return await generate(job, services, on_progress, wait_seconds=wait_seconds)


async def generate(
    job: Job, services: Services, on_progress: OnProgress | None = None, *, wait_seconds: float | None = None
) -> Generated | Rendering:
    """Start `job` at OpenAI and wait for its image up to the deadline (OPENAI_IMAGES_WAIT_SECONDS).

    The render is a task of its own: when the deadline comes first, or the caller is cancelled, it
    goes on, and its image is saved and recorded just the same; `collect` picks it up later.
    """
    reservation = await _reserve(job, services)
    render = renders.Render(job.conversation.id, completion_window=job.completion_window)
    try:
        services.renders.launch(render, functools.partial(_make, job=job, services=services, reservation=reservation))
    except ImageServerError:
        await _settle(reservation, services, cost=None, landed=False)
        raise
    return await collect(
        render,
        services,
        on_progress,
        wait_seconds=_wait(job, services, wait_seconds),
        partial_images=job.options.partial_images or 0,
        until_named=job.completion_window != "soonest",
    )


MARKUP_LANDING_SECONDS = 30.0  # beyond OPENAI_IMAGES_TIMEOUT: saving and recording the edited image


def _wait(job: Job, services: Services, wait_seconds: float | None) -> float | None:
    """How long a call waits for `job`: a markup edit to its end, since it has no response id to collect it by later."""
    if job.markup is None:
        return wait_seconds
    return services.settings.timeout + MARKUP_LANDING_SECONDS


async def collect(
    render: renders.Render,
    services: Services,
    on_progress: OnProgress | None = None,
    *,
    wait_seconds: float | None = None,
    partial_images: int = 0,
    until_named: bool = False,
) -> Generated | Rendering:
    """Wait up to `wait_seconds` (default OPENAI_IMAGES_WAIT_SECONDS) for `render`: its image, or where it stands.

    `until_named` waits only until OpenAI has named the response: a discounted completion window
    takes hours, so the call that starts one answers at once. Raises what the render raised when
    it ended without an image.
    """
    seconds = services.settings.wait_seconds if wait_seconds is None else wait_seconds
    progress = Progress(on_progress, partial_images, started=render.started)
    async with progress.heartbeat():
        with render.listening(progress.from_openai):
            if until_named:
                done = await render.wait_named(seconds)
            else:
                done = await render.wait(seconds)
    if done and render.done:
        return render.task.result()
    return Rendering(
        conversation_id=render.conversation_id,
        response_id=render.response_id,
        started_at=render.started_at,
        elapsed_seconds=round(render.elapsed(), 1),
        completion_window=render.completion_window,
    )


def follow(conversation: storage.Conversation, services: Services) -> renders.Render | None:
    """The render of `conversation` this process follows; a pending one found in its file is resumed first.

    Resuming looks the response up at OpenAI by its id: it never starts a second generation.
    """
    live = services.renders.live(conversation.id)
    if live is None and conversation.pending_render is not None:
        live = services.renders.following(conversation.pending_render.response_id)  # variation 1, started here
    if live is not None or conversation.pending_render is None:
        return live
    pending = conversation.pending_render
    if not RESPONSE_ID.fullmatch(pending.response_id):  # the file is not proof of anything: ask OpenAI for no odd path
        log.warning(
            "Conversation %s names a pending render %r that is not a response id; it is not looked up",
            conversation.id,
            pending.response_id[:60],
        )
        return None
    render = renders.Render(
        conversation.id, started_at=pending.started_at, response_id=pending.response_id, completion_window=pending.completion_window
    )
    log.info("Resuming render %s of %s (started %s)", pending.response_id, conversation.id, pending.started_at)
    return services.renders.launch(render, functools.partial(_resume, conversation=conversation, pending=pending, services=services))


def follow_variations(conversation: storage.Conversation, services: Services) -> list[renders.Render]:
    """The renders of the conversation's other pending variations, each resumed from its file when this process is not following it."""
    followed = []
    for pending in conversation.pending_variations:
        live = services.renders.following(pending.response_id)
        if live is None:
            if not RESPONSE_ID.fullmatch(pending.response_id):
                log.warning(
                    "Conversation %s names a pending variation %r that is not a response id", conversation.id, pending.response_id[:60]
                )
                continue
            render = renders.Render(
                f"{conversation.id}~{pending.response_id}",
                started_at=pending.started_at,
                response_id=pending.response_id,
                completion_window=pending.completion_window,
                conversation_id=conversation.id,
            )
            live = services.renders.launch(
                render, functools.partial(_resume, conversation=conversation, pending=pending, services=services)
            )
        followed.append(live)
    return followed


async def generate_variations(
    job: Job, services: Services, on_progress: OnProgress | None = None, *, wait_seconds: float | None = None
) -> Variations:
    """Make `job.variations` images of one job at once, one request each, all in the job's conversation.

    The user's turn is recorded once, before the renders start (a new conversation is saved
    first), so that each render lands into the same conversation as its own image, "2/4" and so
    on, all refining the same image. Each render outlives the call as any render does; the call
    waits for all of them up to its one deadline. Limits count every variation before any is sent.
    """
    reservations: list[limits.Reservation | None] = []
    try:  # every variation is counted before anything is sent or written
        for _ in range(job.variations):
            reservations.append(await _reserve(job, services, starting=len(reservations)))
    except ImageServerError:
        for reservation in reservations:
            await _settle(reservation, services, cost=None, landed=False)
        raise
    conversation = job.conversation
    message = storage.Message(role="user", text=job.user_message) if job.user_message else None
    try:
        if job.is_new:
            conversation = conversation.model_copy(update={"messages": [*conversation.messages, *([message] if message else [])]})
            if job.analysis is not None:
                conversation.analysis = job.analysis
            await asyncio.to_thread(services.store.save, conversation)
        elif message is not None:
            conversation = await asyncio.to_thread(services.store.update, conversation.id, lambda stored: stored.messages.append(message))
    except ImageServerError:
        for reservation in reservations:
            await _settle(reservation, services, cost=None, landed=False)
        raise
    total = job.variations
    jobs = [
        dataclasses.replace(job, conversation=conversation, is_new=False, user_message=None, variation=f"{number}/{total}", variations=1)
        for number in range(1, total + 1)
    ]
    launched = []
    for each, reservation in zip(jobs, reservations):
        render = renders.Render(
            f"{conversation.id}~{each.variation}", completion_window=job.completion_window, conversation_id=conversation.id
        )
        launched.append(services.renders.launch(render, functools.partial(_make, job=each, services=services, reservation=reservation)))
    return await collect_variations(
        launched,
        services,
        on_progress,
        wait_seconds=_wait(job, services, wait_seconds),
        until_named=job.completion_window != "soonest",
        conversation_id=conversation.id,
    )


async def collect_variations(
    launched: list[renders.Render],
    services: Services,
    on_progress: OnProgress | None = None,
    *,
    wait_seconds: float | None,
    conversation_id: str,
    until_named: bool = False,
) -> Variations:
    """Wait for several renders at once, up to one deadline; progress is reported for the first."""
    outcomes = await asyncio.gather(
        *(
            collect(render, services, on_progress if number == 0 else None, wait_seconds=wait_seconds, until_named=until_named)
            for number, render in enumerate(launched)
        ),
        return_exceptions=True,
    )
    kept: list[Generated | Rendering | ImageServerError] = []
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, ImageServerError):
            raise outcome
        kept.append(outcome)
    return Variations(conversation_id=conversation_id, outcomes=kept)


async def cancel(conversation: storage.Conversation, services: Services) -> Generated | Cancelled:
    """Cancel every pending render of the conversation (its variations too) at OpenAI and record each as cancelled.

    A render OpenAI had already finished is paid for, so it is saved instead. The outcome shown is
    the main render's (or the first variation's); what happened to the others is added as notes.
    """
    pendings = conversation.all_pending
    if not pendings:
        raise InvalidInput(
            f"Conversation {conversation.id} has no render in progress, so there is nothing to cancel. "
            "Call openai_get_image without cancel to see its latest image."
        )
    outcomes = [await _cancel_one(conversation, pending, services) for pending in pendings]
    first, others = outcomes[0], outcomes[1:]
    notes = first.notes if isinstance(first, Generated) else []
    for pending, outcome in zip(pendings[1:], others):
        what = f"variation {pending.variation}" if pending.variation else f"render {pending.response_id}"
        if isinstance(outcome, Generated):
            notes.append(f"The {what} had already finished, so it was saved as {outcome.record.image_id} ({outcome.record.path}).")
        else:
            notes.append(f"The {what} was cancelled too.")
    if isinstance(first, Cancelled):
        first.message = " ".join([first.message, *notes])
        if others:
            first.conversation = await asyncio.to_thread(services.store.load, conversation.id)
    return first


async def _cancel_one(conversation: storage.Conversation, pending: storage.PendingRender, services: Services) -> Generated | Cancelled:
    live = services.renders.following(pending.response_id)
    if live is None and pending is conversation.pending_render:
        live = services.renders.live(conversation.id)
    status = "cancelled"
    if live is None or not live.saving:
        status = await services.openai.cancel(pending.response_id) if pending.background else "cancelled"
    if status == "completed" or (live is not None and live.saving):
        # it finished first: it is paid for, so it is saved
        if pending is conversation.pending_render:
            render = follow(conversation, services)
        else:
            render = next(r for r in follow_variations(conversation, services) if r.response_id == pending.response_id)
        assert render is not None
        generated = await asyncio.shield(render.task)
        generated.notes.append("The render had already finished when the cancel arrived, so it was saved (and is charged).")
        return generated
    if live is not None:
        live.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, ImageServerError):
            await live.task
    message = f"Cancelled on request at {storage.now_iso()}."
    ended: Literal["cancelled", "failed"] = "cancelled"
    if status in ("failed", "incomplete"):
        message, ended = f"It had already ended at OpenAI without an image ({status}) when the cancel arrived.", "failed"
    elif status == "expired":
        message = "OpenAI no longer had it when the cancel arrived (it expired or was deleted)."
    updated = await asyncio.to_thread(
        functools.partial(services.store.end_render, conversation.id, pending.response_id, status=ended, message=message)
    )
    return Cancelled(conversation=updated, response_id=pending.response_id, started_at=pending.started_at, message=message)


async def _reserve(job: Job, services: Services, *, starting: int = 0) -> limits.Reservation | None:
    """Count the job against the user's limits before anything is sent; LimitReached when it would pass one.

    `starting` renders of the same call were counted already and are about to start.
    """
    if not services.limits.any:
        return None
    estimate = preview(job, services).estimate
    usd = estimate.high_usd if estimate.high_usd is not None else estimate.low_usd or 0.0
    reserve = functools.partial(
        services.ledger.reserve, user=services.user, limits=services.limits, usd=usd, running=len(services.renders.all()) + starting
    )
    return await asyncio.to_thread(reserve)


async def _settle(reservation: limits.Reservation | None, services: Services, *, cost: costs.ImageCost | None, landed: bool) -> None:
    if reservation is not None:
        usd = cost.total_usd if cost is not None else None
        await asyncio.to_thread(functools.partial(services.ledger.settle, reservation, usd=usd, landed=landed))


async def _make(render: renders.Render, *, job: Job, services: Services, reservation: limits.Reservation | None = None) -> Generated:
    """The render task of a new job: send it, write it down as pending once OpenAI names it, then land the image."""
    notes = list(job.notes)
    stem = imagefiles.image_file_stem()
    written: list[bool] = []

    async def started(tracking: Tracking) -> None:
        response_id = tracking.response_id or ""  # OnStarted: OpenAI has named the response
        if written:  # picked up again after a drop: remember how far it got
            with contextlib.suppress(Exception):
                await asyncio.to_thread(services.store.note_sequence, job.conversation.id, response_id, tracking.last_sequence)
            return
        render.response_id = tracking.response_id
        pending = storage.PendingRender(
            response_id=response_id,
            started_at=render.started_at,
            background=tracking.background,
            streamed=tracking.streamed,
            completion_window=job.completion_window,
            last_sequence=tracking.last_sequence,
            file_stem=stem,
            prompt=job.prompt,
            user_message=job.user_message,
            size=job.size,
            assistant_model=job.assistant_model,
            options=job.options.tool_fields(),
            analysis=job.analysis,
            notes=notes,
            parent_id=job.parent.image_id if job.parent else None,
            variation=job.variation,
        )
        try:
            await asyncio.to_thread(functools.partial(services.store.begin_render, job.conversation, pending, is_new=job.is_new))
            written.append(True)
        except Exception as exc:  # the render goes on; only a restart before it lands would lose track of it
            log.warning("Could not write down render %s: %s", tracking.response_id, exc)
            notes.append(f"This render could not be written down ({exc}); if the server stops before it lands, it is lost.")
        render.named.set()  # only now: a caller told "rendering" may look the conversation up at once

    await render.tell("sending the request to OpenAI")
    try:
        try:
            if job.markup is not None:  # images.edit: answered whole, with no response to write down as pending
                result = await services.openai.edit(request_for(job, services))
            elif _sends_refined_image(job):
                request, note = await _without_previous_response(job, services, markup=True)
                notes.append(note)
                result = await services.openai.create(request, render.tell, on_started=started)
            else:
                result = await services.openai.create(request_for(job, services), render.tell, on_started=started)
        except PreviousResponseGone:
            request, note = await _without_previous_response(job, services)
            notes.append(note)
            result = await services.openai.create(request, render.tell, on_started=started)
    except RenderLost:
        raise  # still pending: it can be collected later (and stays counted against the limits)
    except ImageServerError as exc:
        if written:
            await _ended(job.conversation.id, render.response_id, exc, services=services)
        try:
            await _settle(reservation, services, cost=None, landed=False)
        except Exception:  # the caller is told what OpenAI said, not that the ledger failed too
            log.exception("Could not give back the reservation of a render that made no image")
        raise
    finally:
        render.named.set()
    generated = await _land(job, result, render, services=services, stem=stem, notes=notes, written=bool(written))
    try:
        await _settle(reservation, services, cost=generated.cost, landed=True)
    except Exception as exc:  # the image is paid for and saved: the result says where, whatever the ledger did
        log.exception("Could not count %s in the usage ledger", generated.saved.location)
        generated.notes.append(f"The image is saved, but today's usage count could not be updated ({type(exc).__name__}: {exc}).")
    return generated


async def _resume(
    render: renders.Render, *, conversation: storage.Conversation, pending: storage.PendingRender, services: Services
) -> Generated:
    """The render task of a pending render found in a file: follow it at OpenAI, then land it as `_make` would."""
    job = _job_of_pending(conversation, pending, services)
    tracking = Tracking(
        response_id=pending.response_id, last_sequence=pending.last_sequence, background=pending.background, streamed=pending.streamed
    )

    async def progressed(tracking: Tracking) -> None:
        with contextlib.suppress(Exception):
            await asyncio.to_thread(services.store.note_sequence, conversation.id, pending.response_id, tracking.last_sequence)

    try:
        result = await services.openai.resume(tracking, render.tell, on_started=progressed)
    except RenderLost:
        raise
    except ImageServerError as exc:
        await _ended(conversation.id, pending.response_id, exc, services=services)
        raise
    return await _land(job, result, render, services=services, stem=pending.file_stem, notes=list(pending.notes), written=True)


async def _land(
    job: Job, result: GeneratedImage, render: renders.Render, *, services: Services, stem: str, notes: list[str], written: bool
) -> Generated:
    render.saving = True  # from here on nothing stops it: the image is paid for
    await render.tell("saving the image")
    try:
        keep = functools.partial(_keep, job, result, notes=notes, services=services, stem=stem, written=written)
        generated = await asyncio.get_running_loop().run_in_executor(_image_work(), keep)
    except StorageError:
        raise  # the disk or the folder: once fixed, the render can be collected again
    except ImageServerError as exc:  # a damaged image: asking OpenAI again would bring the same
        if written:
            await _ended(job.conversation.id, result.response_id, exc, services=services)
        raise
    if generated.recorded and generated.cost is not None:  # recorded here: it has its cost
        services.session_cost.add(generated.cost)
    log.info(
        "Saved %s (%s, %d bytes, %s) for %s",
        generated.saved.path,
        generated.record.size,
        generated.saved.byte_size,
        costs.format_usd(generated.record.cost_usd),
        generated.conversation.id,
    )
    await render.tell("done")
    return generated


@functools.cache
def _image_work() -> concurrent.futures.ThreadPoolExecutor:
    """The threads that check, save and preview arrived images: two, so that eight images landing together
    take turns instead of all contending with the event loop for the interpreter lock at once."""
    return concurrent.futures.ThreadPoolExecutor(max_workers=IMAGE_WORKERS, thread_name_prefix="image-work")


async def _ended(conversation_id: str, response_id: str | None, exc: ImageServerError, *, services: Services) -> None:
    """Record a render that ended without an image; the conversation stays as it was before it began."""
    if response_id is None:
        return
    status: Literal["cancelled", "failed"] = "cancelled" if getattr(exc, "status", None) == "cancelled" else "failed"
    try:
        await asyncio.to_thread(
            functools.partial(services.store.end_render, conversation_id, response_id, status=status, message=redact(str(exc)))
        )
    except ImageServerError as store_exc:
        log.warning("Could not record the end of render %s: %s", response_id, store_exc)


def _job_of_pending(conversation: storage.Conversation, pending: storage.PendingRender, services: Services) -> Job:
    """The job a pending render was started from, as its file tells it (options it cannot take are left out)."""
    known = {f.name for f in dataclasses.fields(ImageOptions)}
    try:
        options = ImageOptions(**{k: v for k, v in pending.options.items() if k in known})
    except TypeError:
        options = ImageOptions()
    return Job(
        prompt=pending.prompt,
        size=pending.size,
        assistant_model=pending.assistant_model,
        conversation=conversation,
        is_new=False,
        options=options,
        user_message=pending.user_message,
        analysis=pending.analysis,
        completion_window=pending.completion_window,
        parent=conversation.image(pending.parent_id) if pending.parent_id else None,
        variation=pending.variation,
    )


class Progress:
    """Progress for one render: a message per stage, and a heartbeat so clients do not time out.

    Clients that reset their timeout on progress (and show the message) keep waiting for long renders.
    """

    HEARTBEAT_SECONDS = 4.0

    def __init__(self, on_progress: OnProgress | None, partial_images: int = 0, *, started: float | None = None):
        self.on_progress = on_progress
        self.partial_images = partial_images
        self.sent = 0
        self.last = time.monotonic()
        self.started = self.last if started is None else started  # the render's start, for "N s so far"

    async def say(self, message: str) -> None:
        self.sent += 1
        self.last = time.monotonic()
        if self.on_progress is None:
            return
        try:
            await self.on_progress(self.sent, message)
        except Exception as exc:  # progress is a courtesy: never fail the image because of it
            log.debug("Progress report failed: %s", exc)

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


def recall(conversation: storage.Conversation, record: storage.ImageRecord, services: Services) -> Generated:
    """Blocking: a saved image shown again, read back with the checks every saved path gets, with a fresh preview.

    Nothing is sent to OpenAI. The analysis is shown with the conversation's first image only.
    """
    settings = services.settings
    image = inputs.read_saved(record.path, f"image {record.image_id}", services, keep_metadata=True, formats=imagefiles.SHOWN_FORMATS)
    saved = imagefiles.SavedImage(
        location=record.path,
        format="svg" if image.mime_type == imagefiles.SVG_MIME else image.mime_type.removeprefix("image/"),
        width=image.width,
        height=image.height,
        byte_size=len(image.data),
    )
    saved = services.images.linked(saved)
    notes: list[str] = []
    try:
        preview = imagefiles.preview_of(image.data)
    except Exception as exc:
        preview = None
        notes.append(f"No inline preview this time ({type(exc).__name__}); the saved file is complete.")
    first = bool(conversation.images) and conversation.images[0].image_id == record.image_id
    job = Job(
        prompt=record.prompt,
        size=record.size,
        assistant_model=conversation.assistant_model or settings.assistant_model,
        conversation=conversation,
        is_new=False,
        options=ImageOptions(),
        user_message=None,
        analysis=conversation.analysis if first else None,
    )
    return Generated(
        job=job, saved=saved, record=record, conversation=conversation, cost=None, preview=preview, notes=notes, recorded=False
    )


def _keep(
    job: Job, result: GeneratedImage, *, notes: list[str], services: Services, stem: str | None = None, written: bool = False
) -> Generated:
    """Blocking: check, save and record OpenAI's image, and make its preview.

    One thread, one step after another, and to the end once begun, even if the call is cancelled:
    the image is paid for. (Writing the file beside the decode, or the preview beside the
    conversation file, measured no faster: Pillow holds the GIL while it encodes a JPEG.) Every
    failure from here on says where the image is, or that it could not be saved and why: a
    damaged image saves nothing; a conversation that cannot be updated leaves the image file in
    place; a preview that cannot be made only leaves the preview out.
    """
    try:
        checked = imagefiles.check_image(result.b64)
        saved = services.images.save(checked, stem=stem)
    except StorageError as exc:
        raise StorageError(str(exc) + _still_collectable(job, written)) from None
    except ImageServerError:
        raise
    except Exception as exc:  # MemoryError, an odd OSError: still the user's paid image, still a clear answer
        log.exception("Could not check or save the image of %s", result.response_id or job.conversation.id)
        raise StorageError(
            f"OpenAI made the image ({_made_by(result)}), but it could not be saved: {type(exc).__name__}: {exc}. "
            "Check free disk space and OPENAI_IMAGES_OUTPUT_DIR." + _still_collectable(job, written)
        ) from None
    if checked.format == "gif":
        notes.append(_animation_note(checked, asked=job.options.frame_count))
    if checked.vector is not None:
        notes.extend(_vector_notes(checked.vector))
    try:
        record, cost = _record_of(job, result, saved, notes=notes, services=services)
        conversation, record, recorded = _record_turn(job, record, result, services=services, written=written)
    except Exception as exc:
        if not isinstance(exc, ImageServerError):
            log.exception("Could not record %s", saved.location)
        reason = str(exc) if isinstance(exc, ImageServerError) else f"{type(exc).__name__}: {exc}"
        raise StorageError(
            f"The image was saved to {saved.location}, but the conversation could not be updated: {reason} "
            "Pass that file as input_image_path to go on from it."
        ) from None
    try:
        preview = imagefiles.preview_of_checked(checked)
    except Exception as exc:
        log.exception("Could not make the preview of %s", saved.location)
        preview = None
        notes.append(f"No inline preview this time ({type(exc).__name__}); the saved file is complete.")
    if preview is not None:
        try:
            saved = services.images.save_preview(saved, preview[0])
        except Exception as exc:  # the image and its record are safe; only the preview's link is missing
            log.warning("Could not store the preview of %s: %s", saved.location, exc)
            notes.append("The preview could not be stored beside the image, so this result has no link to it.")
    return Generated(
        job=job, saved=saved, record=record, conversation=conversation, cost=cost, preview=preview, notes=notes, recorded=recorded
    )


def _made_by(result: GeneratedImage) -> str:
    return f"response {result.response_id}" if result.response_id else "a markup edit"


def _still_collectable(job: Job, written: bool) -> str:
    if not written:
        return ""
    return (
        f' OpenAI keeps the finished image for now: once that is fixed, call openai_get_image with conversation_id="{job.conversation.id}" '
        "to save it; nothing more is charged."
    )


def _animation_note(checked: imagefiles.CheckedImage, *, asked: int | None) -> str:
    """What the saved GIF holds, as Pillow counts it; the preview shows its first frame."""
    frames = getattr(checked.decoded, "n_frames", 1)
    duration = checked.decoded.info.get("duration")
    each = f", {duration} ms each" if isinstance(duration, int) else ""
    differs = f" (frame_count asked for {asked})" if asked is not None and asked != frames else ""
    return f"Animated GIF: {frames} frame(s){each}{differs}; the preview shows the first frame, the saved file the animation."


def _vector_notes(svg: svgfiles.Sanitised) -> list[str]:
    """What the saved SVG is, and what was taken out of it before it was saved."""
    box = f"viewBox {svg.view_box!r}" if svg.view_box else "no viewBox"
    notes = [f"SVG: {len(svg.data):,} bytes, {box}, drawn at {svg.width}x{svg.height}; the preview is a raster drawing of it."]
    if svg.removed:
        notes.append("Removed from the SVG before it was saved, as unsafe: " + "; ".join(svg.removed[:10]) + ".")
    return notes


def _record_of(
    job: Job, result: GeneratedImage, saved: imagefiles.SavedImage, *, notes: list[str], services: Services
) -> tuple[storage.ImageRecord, costs.ImageCost]:
    actual_size = f"{saved.width}x{saved.height}"
    if result.size and result.size not in ("auto", actual_size):
        notes.append(f"OpenAI reported size {result.size}, but the saved image is {actual_size}.")
    cost = costs.cost_from_usage(
        result.image_model,
        result.usage.get("image"),
        assistant_model="" if job.markup is not None else job.assistant_model,  # images.edit has no mainline model
        assistant_usage=result.usage.get("assistant"),
        overrides=services.prices,
        svg_usage=result.usage.get("svg"),
    )
    record = storage.ImageRecord(
        image_id=storage.new_image_id(),
        path=saved.location,
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
        parent_id=job.parent.image_id if job.parent else None,
        variation=job.variation,
    )
    return record, cost


def _record_turn(
    job: Job, record: storage.ImageRecord, result: GeneratedImage, *, services: Services, written: bool
) -> tuple[storage.Conversation, storage.ImageRecord, bool]:
    """Record the image once: (conversation, its record, whether this call recorded it)."""
    stored_options = {k: v for k, v in job.options.tool_fields().items() if k != "partial_images"}
    fields: dict[str, Any] = {"options": stored_options}
    if job.analysis is not None:
        fields["analysis"] = job.analysis
    if job.is_new and not written:  # the pending render was never written down: the conversation is new on disk
        conversation = job.conversation.model_copy(update=fields)
        storage.record_turn(conversation, prompt=job.user_message, image=record, assistant_text=result.assistant_text)
        services.store.save(conversation)
        return conversation, record, True
    if result.response_id is None:  # a markup edit: no render was pending, and no other process can have recorded it
        conversation = services.store.add_turn(
            job.conversation.id, prompt=job.user_message, image=record, assistant_text=result.assistant_text, **fields
        )
        return conversation, record, True
    return services.store.finish_render(
        job.conversation.id, result.response_id, prompt=job.user_message, image=record, assistant_text=result.assistant_text, **fields
    )


async def _without_previous_response(job: Job, services: Services, *, markup: bool = False) -> tuple[dict[str, Any], str]:
    """The retry request when OpenAI has forgotten the conversation: the refined image (the last, or a branch's) goes in as an input.

    `markup`: the refined image came from a markup edit, which left no response to chain from, so it is sent the same way.
    """
    last = job.parent or job.conversation.last_image
    gone = "OpenAI no longer has this conversation's previous response (stored responses expire)"
    if markup:
        gone = "The image refined here came from a markup edit, which leaves no OpenAI response to continue from"
    if last is None:
        raise OpenAIError(f"{gone}. Start a new conversation, or pass the image to edit with input_image_path.")
    try:
        last_image = (await inputs.load_saved_image(last, "the conversation's last image", services)).image
    except InvalidInput as exc:
        raise OpenAIError(f"{gone}, and its last image cannot be sent instead: {exc} Nothing more was sent.") from None
    already_sent = job.images and job.images[0] == last_image  # a masked edit already sends it first
    request = request_for(job, services, images=job.images if already_sent else [last_image, *job.images], chained=False)
    note = (
        "OpenAI no longer had this conversation's earlier turns, so the last saved image "
        f"({last.path}) was sent with your prompt instead; the refinement starts from that image."
    )
    if markup:
        note = f"{last.image_id} came from a markup edit, so its saved file ({last.path}) was sent with your prompt; the refinement starts from it."
    return request, note


def _as_sent(request: dict[str, Any]) -> dict[str, Any]:
    return {**request, "stream": streams(request)}


def elide_images(value: Any) -> Any:
    """A copy of a request with each base64 data URL replaced by its type and size."""
    if isinstance(value, dict):
        return {k: elide_images(v) for k, v in value.items()}
    if isinstance(value, list):
        return [elide_images(v) for v in value]
    if isinstance(value, str) and value.startswith("data:") and ";base64," in value:
        head, data = value.split(",", 1)
        return f"{head},<{len(data) * 3 // 4 // 1024} KB of image data>"
    return value


def _edit_as_sent(request: dict[str, Any]) -> dict[str, Any]:
    """An images.edit request with each uploaded file replaced by its name, type and size."""

    def shown(upload: Any) -> Any:
        if isinstance(upload, tuple) and len(upload) == 3 and isinstance(upload[1], bytes):
            return f"<{upload[0]}, {upload[2]}, {len(upload[1]) // 1024} KB>"
        return [shown(item) for item in upload] if isinstance(upload, list) else upload

    return {key: shown(value) for key, value in request.items()}
