"""The generation pipeline: a checked job becomes an image on disk, recorded in its conversation.

No MCP here. A caller (a tool, a test, a terminal command) plans a `Job`, then either
`preview`s it (a dry run: the request and an estimate, nothing sent) or `generate`s it,
hearing progress through a plain callback. Both return an outcome record that the
caller renders; this module never formats a result.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

import costs
import dialogue
import enhancer
import imagefiles
import inputs
import sizes
import storage
from errors import ImageServerError, InvalidInput, OpenAIError, StorageError, redact
from image_models import ImageOptions, effective_model
from openai_api import GeneratedImage, ImageInput, PreviousResponseGone, build_request
from services import Services

log = logging.getLogger("openai_images_mcp.generation")

DEFAULT_SIZE = "1024x1024"

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


@dataclass(kw_only=True)
class Generated:
    """A generated image once it is on disk and in its conversation."""

    job: Job
    saved: imagefiles.SavedImage
    record: storage.ImageRecord
    conversation: storage.Conversation
    cost: costs.ImageCost
    preview: tuple[bytes, str] | None  # JPEG bytes and MIME type; None when it could not be made
    notes: list[str]


@dataclass(kw_only=True)
class DryRun:
    """What a job would send, and what it would cost; nothing was sent or saved."""

    job: Job
    request: dict[str, Any]  # as sent, with image data shortened
    image_model: str
    endpoint: str
    estimate: costs.CostEstimate


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
    )


def plan_from_dialogue(conversation: storage.Conversation, call: inputs.CallOptions | None, services: Services) -> Job:
    """The dialogue is done (or a dry run asks early): one image from the prompt it built.

    The built prompt is used once; later refinements send the user's new text as it is.
    """
    state = dialogue.finish_early(dialogue.restore(conversation.dialogue))
    built, note = inputs.fit_prompt(dialogue.final_prompt(state))
    size, reason = sizes.choose_size(conversation.requested_size, state.image_type, built, model=services.settings.image_model)
    analysis = storage.PromptAnalysis(
        image_type=state.image_type.value,
        score_before=state.score_before,
        score_after=enhancer.score(built).total,
        final_prompt=built,
        size_reason=reason,
    )
    return Job(
        prompt=built,
        size=size,
        assistant_model=conversation.assistant_model or services.settings.assistant_model,
        conversation=conversation,
        is_new=False,
        options=inputs.merged_options(conversation, call, services),
        user_message=None,
        analysis=analysis,
        notes=[note] if note else [],
    )


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
) -> Job:
    """A new turn in an existing conversation: OpenAI sees the earlier turns through previous_response_id.

    Without an explicit size the last image's size is kept, or the closest the current model accepts.
    """
    notes = []
    if explicit_size:
        size = explicit_size
    else:
        last = conversation.last_image
        size, note = sizes.fit_size(last.size if last else conversation.requested_size or DEFAULT_SIZE, services.settings.image_model)
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
    )


# --- running ---------------------------------------------------------------------


def request_for(job: Job, services: Services, *, images: list[ImageInput] | None = None, chained: bool = True) -> dict[str, Any]:
    """The exact Responses request for `job` (less `stream`); `images` and `chained` vary it for the retry without history."""
    return build_request(
        prompt=job.prompt,
        assistant_model=job.assistant_model,
        size=job.size,
        image_model=services.settings.image_model,
        images=job.images if images is None else images,
        previous_response_id=job.conversation.last_response_id if chained and not job.is_new else None,
        options=job.options,
        mask_url=job.mask_url,
    )


def preview(job: Job, services: Services) -> DryRun:
    """The request `job` would send, with image data shortened, and its estimated cost; nothing is sent."""
    model = effective_model(services.settings.image_model)
    estimate = costs.estimate_cost(
        model,
        job.options.quality or "auto",
        job.size,
        prompt=job.prompt,
        partial_images=job.options.partial_images or 0,
        input_images=len(job.images),
        overrides=services.prices,
    )
    return DryRun(
        job=job,
        request=elide_images({**request_for(job, services), "stream": True}),
        image_model=model,
        endpoint=redact(services.settings.base_url or "https://api.openai.com/v1"),
        estimate=estimate,
    )


async def generate(job: Job, services: Services, on_progress: OnProgress | None = None) -> Generated:
    """Send `job` to OpenAI (streamed), save the image and record it in its conversation."""
    notes = list(job.notes)
    progress = Progress(on_progress, job.options.partial_images or 0)
    async with progress.heartbeat():
        await progress.say("sending the request to OpenAI")
        try:
            result = await services.openai.create(request_for(job, services), progress.from_openai)
        except PreviousResponseGone:
            request, note = await _without_previous_response(job, services)
            result = await services.openai.create(request, progress.from_openai)
            notes.append(note)
        await progress.say("saving the image")
        generated = await asyncio.to_thread(functools.partial(_keep, job, result, notes=notes, services=services))
    services.session_cost.add(generated.cost)
    log.info(
        "Saved %s (%s, %d bytes, %s) for %s",
        generated.saved.path, generated.record.size, generated.saved.byte_size,
        costs.format_usd(generated.cost.total_usd), generated.conversation.id,
    )
    await progress.say("done")
    return generated


class Progress:
    """Progress for one render: a message per stage, and a heartbeat so clients do not time out.

    Clients that reset their timeout on progress (and show the message) keep waiting for long renders.
    """

    HEARTBEAT_SECONDS = 4.0

    def __init__(self, on_progress: OnProgress | None, partial_images: int = 0):
        self.on_progress = on_progress
        self.partial_images = partial_images
        self.sent = 0
        self.started = self.last = time.monotonic()

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


def _keep(job: Job, result: GeneratedImage, *, notes: list[str], services: Services) -> Generated:
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
        saved = imagefiles.save_image(checked, services.settings.output_dir)
    except ImageServerError:
        raise
    except Exception as exc:  # MemoryError, an odd OSError: still the user's paid image, still a clear answer
        log.exception("Could not check or save the image of %s", result.response_id)
        raise StorageError(
            f"OpenAI made the image (response {result.response_id}), but it could not be saved: {type(exc).__name__}: {exc}. "
            "Check free disk space and OPENAI_IMAGES_OUTPUT_DIR."
        ) from None
    try:
        record, cost = _record_of(job, result, saved, notes=notes, services=services)
        conversation = _record_turn(job, record, result, services=services)
    except Exception as exc:
        if not isinstance(exc, ImageServerError):
            log.exception("Could not record %s", saved.path)
        reason = str(exc) if isinstance(exc, ImageServerError) else f"{type(exc).__name__}: {exc}"
        raise StorageError(
            f"The image was saved to {saved.path}, but the conversation could not be updated: {reason} "
            "Pass that file as input_image_path to go on from it."
        ) from None
    try:
        preview = imagefiles.make_preview(checked.decoded)
    except Exception as exc:
        log.exception("Could not make the preview of %s", saved.path)
        preview = None
        notes.append(f"No inline preview this time ({type(exc).__name__}); the saved file is complete.")
    return Generated(job=job, saved=saved, record=record, conversation=conversation, cost=cost, preview=preview, notes=notes)


def _record_of(
    job: Job, result: GeneratedImage, saved: imagefiles.SavedImage, *, notes: list[str], services: Services
) -> tuple[storage.ImageRecord, costs.ImageCost]:
    actual_size = f"{saved.width}x{saved.height}"
    if result.size and result.size not in ("auto", actual_size):
        notes.append(f"OpenAI reported size {result.size}, but the saved image is {actual_size}.")
    cost = costs.cost_from_usage(
        result.image_model,
        result.usage.get("image"),
        assistant_model=job.assistant_model,
        assistant_usage=result.usage.get("assistant"),
        overrides=services.prices,
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
    return record, cost


def _record_turn(job: Job, record: storage.ImageRecord, result: GeneratedImage, *, services: Services) -> storage.Conversation:
    stored_options = {k: v for k, v in job.options.tool_fields().items() if k != "partial_images"}
    if job.is_new:
        conversation = job.conversation.model_copy(update={"options": stored_options})
        storage.record_turn(conversation, prompt=job.user_message, image=record, assistant_text=result.assistant_text)
        services.store.save(conversation)
        return conversation
    fields: dict[str, Any] = {"options": stored_options}
    if job.analysis is not None:
        fields["analysis"] = job.analysis
    return services.store.add_turn(
        job.conversation.id, prompt=job.user_message, image=record, assistant_text=result.assistant_text, **fields
    )


async def _without_previous_response(job: Job, services: Services) -> tuple[dict[str, Any], str]:
    """The retry request when OpenAI has forgotten the conversation: the last image goes in as an input."""
    last = job.conversation.last_image
    gone = "OpenAI no longer has this conversation's previous response (stored responses expire)"
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
    return request, note


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
