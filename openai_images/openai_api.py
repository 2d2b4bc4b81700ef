"""The one place that talks to OpenAI: build a Responses request, send it, read the image back.

Requests go to `POST /responses` with the `image_generation` tool forced. The
client is built once, lazily, on an explicit `httpx.AsyncClient` (so respx can
intercept it in tests), with the SDK's own retries off: we retry here, because
the SDK would also retry an exhausted quota and re-send billable requests after
a timeout.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import random
import re
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from openai_images import sse
from openai_images.errors import ConfigurationError, OpenAIError, redact
from openai_images.image_models import ImageOptions, effective_model
from openai_images.settings import Settings

if TYPE_CHECKING:
    from openai import AsyncOpenAI

log = logging.getLogger("openai_images_mcp.openai")

MAX_BACKOFF_SECONDS = 8.0


@dataclass(frozen=True)
class ImageInput:
    """One image sent beside the prompt: a data URL or an OpenAI file id."""

    image_url: str | None = None
    file_id: str | None = None

    def part(self) -> dict[str, Any]:
        if self.file_id:
            return {"type": "input_image", "file_id": self.file_id, "detail": "auto"}
        return {"type": "input_image", "image_url": self.image_url, "detail": "auto"}


@dataclass(kw_only=True)
class GeneratedImage:
    """The image call OpenAI answered with, plus the response around it."""

    b64: str
    response_id: str | None  # None for an images.edit, which makes no response to continue from
    image_call_id: str | None
    revised_prompt: str | None
    size: str | None
    image_model: str
    assistant_text: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)


OnProgress = Callable[[str, "int | None"], Coroutine[Any, Any, None]]

# Stream events worth telling the user about, with the words to use.
_STAGES = {
    "response.queued": "queued at OpenAI",
    "response.in_progress": "OpenAI is working on it",
    "response.image_generation_call.in_progress": "image generation started",
    "response.image_generation_call.generating": "generating the image",
    "response.image_generation_call.completed": "image finished, receiving it",
}


async def _ignore_progress(message: str, partial_index: int | None) -> None:
    return None


class PreviousResponseGone(OpenAIError):
    """OpenAI no longer has the response named by previous_response_id."""


def build_request(
    *,
    prompt: str,
    assistant_model: str,
    size: str,
    image_model: str | None,
    images: Sequence[ImageInput] = (),
    previous_response_id: str | None = None,
    options: ImageOptions | None = None,
    mask_url: str | None = None,
    background: bool = False,
    completion_window: str = "soonest",
    safety_identifier: str | None = None,
    svg_author: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The exact keyword arguments for `responses.create` (less `stream`): nothing the caller did not choose.

    `background` makes it a stored background response, which runs at OpenAI whatever happens to the
    connection; `completion_window` "2h" or "8h" asks for a discounted, delayed one (background only).
    `svg_author` (the tool's `svg` object: model, reasoning effort) goes with output_format svg only.
    """
    tool: dict[str, Any] = {"type": "image_generation", "size": size}
    if image_model:
        tool["model"] = image_model
    if options:
        tool.update(options.tool_fields())
    if svg_author and tool.get("output_format") == "svg":
        tool["svg"] = svg_author
    if mask_url:
        tool["input_image_mask"] = {"image_url": mask_url}
    if images:
        content = [{"type": "input_text", "text": prompt}, *(image.part() for image in images)]
        request_input: Any = [{"role": "user", "content": content}]
    else:
        request_input = prompt
    request: dict[str, Any] = {
        "model": assistant_model,
        "input": request_input,
        "tools": [tool],
        "tool_choice": {"type": "image_generation"},
    }
    if previous_response_id:
        request["previous_response_id"] = previous_response_id
    if background:
        request["background"] = True
        request["store"] = True
    if completion_window != "soonest":
        request["background_options"] = {"completion_window": completion_window}
    if safety_identifier:
        request["safety_identifier"] = safety_identifier
    return request


@dataclass(frozen=True, kw_only=True)
class EditFile:
    """One file of an images.edit request, as the SDK uploads it."""

    name: str
    data: bytes = field(repr=False)
    mime_type: str

    def upload(self) -> tuple[str, bytes, str]:
        return (self.name, self.data, self.mime_type)


@dataclass(frozen=True, kw_only=True)
class MarkupFiles:
    """The files of a markup edit: the image marked up first, any references after it, and the markup over the first."""

    images: tuple[EditFile, ...]
    markup: EditFile


# What images.edit takes of the image options (types/image_edit_params.py): no moderation, and no
# partial_images, since the edit is one request answered whole.
EDIT_OPTIONS = ("quality", "background", "output_format", "output_compression", "complexity", "frame_count", "frame_duration_ms")


def build_edit_request(
    *, prompt: str, image_model: str, size: str, files: MarkupFiles, options: ImageOptions, safety_identifier: str | None
) -> dict[str, Any]:
    """The exact keyword arguments for `images.edit` of a markup edit: nothing the caller did not choose."""
    chosen = options.tool_fields()
    images = [file.upload() for file in files.images]
    request: dict[str, Any] = {
        "model": image_model,
        "prompt": prompt,
        "image": images[0] if len(images) == 1 else images,
        "markup": files.markup.upload(),
        "size": size,
        **{name: chosen[name] for name in EDIT_OPTIONS if name in chosen},
    }
    if safety_identifier:
        request["safety_identifier"] = safety_identifier
    return request


def extract_edit(answer: Any, image_model: str) -> GeneratedImage:
    """The image of an images.edit answer (an ImagesResponse); OpenAIError when it holds none."""
    data = list(getattr(answer, "data", None) or [])
    b64 = getattr(data[0], "b64_json", None) if data else None
    if not b64:
        raise OpenAIError("OpenAI answered the markup edit without an image; nothing was saved. Try again, or rephrase the note.")
    usage = getattr(answer, "usage", None)
    return GeneratedImage(
        b64=b64,
        response_id=None,
        image_call_id=None,
        revised_prompt=getattr(data[0], "revised_prompt", None),
        size=getattr(answer, "size", None),
        image_model=image_model,
        usage={"image": usage.model_dump(mode="json") if usage is not None else None},
    )


def extract_image(response: Any, requested_image_model: str | None) -> GeneratedImage:
    """Find the image_generation_call by type (never by position) and turn failures into OpenAIError."""
    if getattr(response, "status", None) == "failed":
        error = getattr(response, "error", None)
        code = getattr(error, "code", None) or "unknown"
        message = getattr(error, "message", None) or "no details"
        raise OpenAIError(f"OpenAI could not make the image ({code}): {redact(message)}")
    output = list(getattr(response, "output", None) or [])
    calls = [item for item in output if getattr(item, "type", None) == "image_generation_call"]
    texts = [
        part.text
        for item in output
        if getattr(item, "type", None) == "message"
        for part in (getattr(item, "content", None) or [])
        if getattr(part, "type", None) == "output_text"
    ]
    assistant_text = " ".join(t.strip() for t in texts if t and t.strip()) or None
    if not calls:
        said = f' The assistant model said: "{assistant_text[:300]}"' if assistant_text else ""
        raise OpenAIError(f"OpenAI answered without an image (no image_generation call in the response).{said} Try rephrasing the prompt.")
    call = calls[-1]
    if getattr(call, "status", None) == "failed" or not getattr(call, "result", None):
        raise _image_call_error(call)
    tool_model = next(
        (getattr(t, "model", None) for t in (getattr(response, "tools", None) or []) if getattr(t, "type", None) == "image_generation"),
        None,
    )
    usage = getattr(response, "usage", None)
    tool_usage = getattr(response, "tool_usage", None)
    svg_usage = getattr(call, "svg_usage", None)  # an SVG's: the model that wrote it, and its tokens
    return GeneratedImage(
        b64=call.result,
        response_id=response.id,
        image_call_id=call.id,
        revised_prompt=getattr(call, "revised_prompt", None),
        size=getattr(call, "size", None),
        image_model=tool_model or effective_model(requested_image_model),
        assistant_text=assistant_text,
        usage={
            "assistant": usage.model_dump(mode="json") if usage is not None else None,
            "image": tool_usage.model_dump(mode="json").get("image_gen") if tool_usage is not None else None,
            **({"svg": svg_usage.model_dump(mode="json")} if svg_usage is not None else {}),
        },
    )


def _image_call_error(call: Any) -> OpenAIError:
    error = getattr(call, "error", None)
    code = getattr(error, "code", None)
    if code == "moderation_blocked":
        details = getattr(error, "moderation_details", None)
        categories = ", ".join(getattr(details, "categories", None) or []) or "not given"
        return OpenAIError(
            f"OpenAI's safety system blocked this image (moderation_blocked; categories: {categories}). "
            "Rephrase the prompt to avoid that content."
        )
    if error is not None:
        return OpenAIError(f"The image call failed ({code or 'unknown'}): {redact(getattr(error, 'message', '') or 'no details')}")
    return OpenAIError("The image call finished without an image. Try again or rephrase the prompt.")


class RenderLost(OpenAIError):
    """Contact with a background response was lost; OpenAI may still finish it, and it can be collected later."""


class RenderEnded(OpenAIError):
    """The response ended without an image: failed, incomplete, cancelled, expired, or answered without one."""

    def __init__(self, message: str, *, status: str = "failed"):
        super().__init__(message)
        self.status = status  # "cancelled" or "failed"


class _BackgroundRefused(Exception):
    """The endpoint refused the background fields (an older deployment or a proxy); nothing was billed."""


@dataclass(kw_only=True)
class Tracking:
    """What is known of a response being followed: enough to pick it up again from another process."""

    response_id: str | None = None
    last_sequence: int = -1  # the last stream event seen; a resumed stream starts after it
    background: bool = False
    streamed: bool = True


OnStarted = Callable[[Tracking], Coroutine[Any, Any, None]]
"""Hears that OpenAI named the response (Tracking.response_id is set): the moment to write it down; and
again before a dropped stream is picked up, with the last event seen then."""


async def _nothing_started(tracking: Tracking) -> None:
    return None


_TERMINAL_EVENTS = frozenset({"response.completed", "response.failed", "response.incomplete", "response.cancelled"})
_FINISHED = frozenset({"completed", "failed", "incomplete", "cancelled"})
RESUME_ATTEMPTS = 4  # reconnections in a row that bring nothing new before contact counts as lost
POLL_FIRST_SECONDS, POLL_MAX_SECONDS = 0.5, 30.0


def streams(request: dict[str, Any]) -> bool:
    """False for the discounted completion windows, which OpenAI only answers by polling, and for SVG, which is
    never streamed ("SVG output requires n=1 and cannot use streaming", types/image_edit_params.py)."""
    return _window(request) == "soonest" and not any(tool.get("output_format") == "svg" for tool in request.get("tools", ()))


def _window(request: dict[str, Any]) -> str:
    return (request.get("background_options") or {}).get("completion_window", "soonest")


def foreground(request: dict[str, Any]) -> dict[str, Any]:
    """`request` without the background fields; InvalidRequest when it asked for a discounted window."""
    window = _window(request)
    if window != "soonest":
        raise OpenAIError(
            f"This endpoint does not accept background mode, so completion_window={window!r} (a discounted, "
            "delayed render) cannot be used; nothing was sent or charged. Use completion_window 'soonest', or "
            "an endpoint that supports background responses (OPENAI_BASE_URL)."
        )
    return {k: v for k, v in request.items() if k not in ("background", "background_options", "store")}


class OpenAIImages:
    """Sends image requests with the configured settings; one lazily built client per server.

    Background responses (the default) run at OpenAI whatever happens to our connection: a dropped
    stream is picked up again after the last event seen, and another process can collect the image
    by the response id. An endpoint that refuses them gets foreground streams for the rest of the process.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self._client: AsyncOpenAI | None = None
        self.background_refused = False

    @property
    def uses_background(self) -> bool:
        """Whether new requests go out as background responses."""
        return self.settings.background and not self.background_refused

    def client(self) -> AsyncOpenAI:
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    async def create(
        self, request: dict[str, Any], on_progress: OnProgress | None = None, *, on_started: OnStarted | None = None
    ) -> GeneratedImage:
        """Send one request and follow it to its image; every failure is an ImageServerError.

        `on_started(tracking)` hears the response id as soon as OpenAI names it; `on_progress(message,
        partial_image_index)` hears each stage. A foreground request must finish within
        OPENAI_IMAGES_TIMEOUT; a background one is followed until it ends, across dropped streams.
        """
        await _load_sdk()
        if request.get("background") and self.background_refused:
            request = foreground(request)
        on_progress, on_started = _relayed(on_progress or _ignore_progress), _relayed(on_started or _nothing_started)
        try:
            return await _WIRE.run(self._create(request, on_progress, on_started))
        except _BackgroundRefused:
            self.background_refused = True
            log.warning("The endpoint refused background mode; using foreground streams from now on")
            return await _WIRE.run(self._create(foreground(request), on_progress, on_started))

    async def edit(self, request: dict[str, Any]) -> GeneratedImage:
        """Send one images.edit (a markup edit) and read its image; it answers whole, within OPENAI_IMAGES_TIMEOUT.

        Retried as `create` is; every failure is an ImageServerError.
        """
        await _load_sdk()
        return await _WIRE.run(self._edit(request))

    async def _edit(self, request: dict[str, Any]) -> GeneratedImage:
        import openai

        async def send() -> Any:
            async with asyncio.timeout(self.settings.timeout):
                return await self.client().images.edit(**request)

        try:
            answer = await self._retrying(send, what="edit")
        except TimeoutError:
            raise OpenAIError(timeout_message(self.settings)) from None
        except openai.APIError as exc:
            raise translate_error(exc, self.settings) from None
        return extract_edit(answer, request["model"])

    async def resume(
        self, tracking: Tracking, on_progress: OnProgress | None = None, *, on_started: OnStarted | None = None
    ) -> GeneratedImage:
        """Follow a response this process did not start (after a restart), by its id; never creates one."""
        await _load_sdk()
        on_progress, on_started = _relayed(on_progress or _ignore_progress), _relayed(on_started or _nothing_started)
        return self._image_of(await _WIRE.run(self._follow(None, tracking, on_progress, on_started=on_started)))

    async def cancel(self, response_id: str) -> str:
        """Cancel a background response: its status afterwards ("cancelled", or "completed" etc. if it had ended)."""
        await _load_sdk()
        return await _WIRE.run(self._cancel(response_id))

    async def _cancel(self, response_id: str) -> str:
        import openai

        try:
            response = await self.client().responses.cancel(response_id)
        except openai.APIStatusError as exc:
            if exc.status_code == 404:
                return "expired"
            if exc.status_code == 400 and "cannot cancel" in str(exc).lower():
                return (await self._retrieve(response_id)).status or "completed"
            raise translate_error(exc, self.settings) from None
        except openai.APIError as exc:
            raise translate_error(exc, self.settings) from None
        return response.status or "cancelled"

    async def _create(self, request: dict[str, Any], on_progress: OnProgress | None, on_started: OnStarted) -> GeneratedImage:
        import openai

        for_progress = on_progress or _ignore_progress
        tracking = Tracking(background=bool(request.get("background")), streamed=streams(request))
        sent_previous = bool(request.get("previous_response_id"))
        if not tracking.background:
            try:
                async with asyncio.timeout(self.settings.timeout):
                    stream = await self._open(request, sent_previous=sent_previous)
                    if not tracking.streamed:  # an SVG in the foreground: the answer is the finished response
                        tracking.response_id = _response_id(stream)
                        await on_started(tracking)
                        return self._image_of(stream)
                    try:
                        final = await self._read_stream(stream, tracking, for_progress, on_started=on_started)
                    except openai.APIConnectionError as exc:
                        if isinstance(exc, openai.APITimeoutError):
                            raise translate_error(exc, self.settings) from None
                        raise OpenAIError(
                            "The connection to OpenAI dropped while the image was being made; nothing was saved. Try again."
                        ) from None
                    except openai.APIError as exc:
                        raise translate_error(exc, self.settings) from None
                    finally:
                        await stream.close()
            except TimeoutError:
                raise OpenAIError(timeout_message(self.settings)) from None
            if final is None:
                raise OpenAIError("The stream from OpenAI ended before the image arrived; nothing was saved. Try again.")
            return self._image_of(final)
        opened = await self._open(request, sent_previous=sent_previous)
        if not tracking.streamed:  # a discounted window: OpenAI answers at once with the queued response
            tracking.response_id = opened.id
            await on_started(tracking)
            return self._image_of(await self._follow(None, tracking, for_progress))
        return self._image_of(await self._follow(opened, tracking, for_progress, on_started=on_started))

    async def _open(self, request: dict[str, Any], *, sent_previous: bool) -> Any:
        """Start the request (a stream unless it is a discounted window), retrying what is safe to retry."""
        import openai

        client = self.client()
        try:
            return await self._retrying(lambda: client.responses.create(**request, stream=streams(request)), what="request")
        except openai.APIError as exc:
            if request.get("background") and _refuses_background(exc):
                raise _BackgroundRefused from None
            raise translate_error(exc, self.settings, sent_previous=sent_previous) from None

    async def _retrying(self, send: Callable[[], Awaitable[Any]], *, what: str) -> Any:
        """`send()`, sent again after what is safe to retry (see _retryable), up to OPENAI_IMAGES_MAX_RETRIES times;
        any other APIError, or the last one, is raised as it is."""
        import openai

        attempt = 0
        while True:
            try:
                return await send()
            except openai.APIError as exc:
                if attempt >= self.settings.max_retries or not _retryable(exc):
                    raise
                delay = _retry_delay(exc, attempt)
                log.warning("OpenAI %s failed (%s); retry %d in %.1f s", what, type(exc).__name__, attempt + 1, delay)
                attempt += 1
                await asyncio.sleep(delay)

    async def _follow(self, stream: Any, tracking: Tracking, on_progress: OnProgress, *, on_started: OnStarted = _nothing_started) -> Any:
        """Follow a background response to its end: read `stream`, and after a drop look it up and stream again.

        `stream` None starts with a look-up (after a restart, or a window that does not stream). Raises
        RenderLost after RESUME_ATTEMPTS reconnections in a row that brought nothing new, RenderEnded
        when OpenAI no longer has the response.
        """
        import openai

        fruitless, delay = 0, POLL_FIRST_SECONDS
        while True:
            if stream is not None:
                seen = tracking.last_sequence
                try:
                    final = await self._read_stream(stream, tracking, on_progress, on_started=on_started)
                except openai.APIConnectionError as exc:  # a drop, or no event for OPENAI_IMAGES_TIMEOUT seconds
                    log.info("Lost the stream of %s after event %d (%s)", tracking.response_id, tracking.last_sequence, type(exc).__name__)
                    final = None
                finally:
                    await stream.close()
                stream = None
                if final is not None and getattr(final, "status", None) in _FINISHED:
                    return final
                if tracking.response_id is None:
                    raise OpenAIError("The stream from OpenAI ended before it named the response; nothing was saved. Try again.")
                fruitless = 0 if tracking.last_sequence > seen else fruitless + 1
                if tracking.last_sequence > seen:
                    await on_started(tracking)  # so that another process would resume from here too
            response_id = tracking.response_id
            if response_id is None:  # never: the stream above named it, or the caller did (resume, a discounted window)
                raise OpenAIError("There is no response id to look the render up by; nothing was saved. Try again.")
            try:
                current = await self._retrieve(response_id)
            except RenderLost:
                current = None
                fruitless += 1
            if current is not None and current.status in _FINISHED:
                return current
            if fruitless > RESUME_ATTEMPTS:
                raise RenderLost(lost_message(tracking.response_id))
            if not tracking.streamed or not tracking.background:  # nothing to stream again: poll, at a growing interval
                await asyncio.sleep(delay)
                delay = min(delay * 1.5, POLL_MAX_SECONDS)
                continue
            if fruitless:
                await asyncio.sleep(min(0.25 * 2 ** (fruitless - 1), MAX_BACKOFF_SECONDS))
            try:
                after = tracking.last_sequence if tracking.last_sequence >= 0 else openai.omit  # -1: no event seen, so from the start
                stream = await self.client().responses.retrieve(response_id, stream=True, starting_after=after)
            except openai.APIStatusError as exc:
                raise self._retrieve_error(exc, response_id) from None
            except openai.APIConnectionError:
                fruitless += 1

    async def _retrieve(self, response_id: str) -> Any:
        """The response as OpenAI has it now; RenderLost when it cannot be reached, RenderEnded when it is gone."""
        import openai

        try:
            return await self.client().responses.retrieve(response_id)
        except openai.APIStatusError as exc:
            if exc.status_code in (408, 409, 429) or exc.status_code >= 500:
                raise RenderLost(lost_message(response_id)) from None
            raise self._retrieve_error(exc, response_id) from None
        except openai.APIConnectionError:
            raise RenderLost(lost_message(response_id)) from None

    def _retrieve_error(self, exc: Any, response_id: str) -> Exception:
        if exc.status_code == 404:
            return RenderEnded(
                f"OpenAI no longer has the render {response_id} (it expired or was deleted); no image was saved "
                "and nothing more will be charged. Make the image again."
            )
        return translate_error(exc, self.settings)

    async def _read_stream(self, stream: Any, tracking: Tracking, on_progress: OnProgress, *, on_started: OnStarted) -> Any:
        """Read events until the response ends; the final response, or None when the stream stopped first.

        The events are framed by `sse` from the raw bytes: the image inside the finished output item is
        never parsed (the final response carries it again), and a big payload is parsed in a thread, so
        the event loop stays free for other calls and pings. A plain JSON answer (a buffering proxy) is
        taken as the response itself. Raises openai.APIConnectionError (APITimeoutError) when the
        connection drops (stays silent), as the SDK's own stream would.
        """
        import httpx
        import openai

        response = stream.response
        try:
            if response.headers.get("content-type", "").startswith("application/json"):
                final = await _parsed(await response.aread(), _response_from_json)
                await _named(tracking, getattr(final, "id", None), on_started)
                return final
            framer = sse.Framer()
            async for chunk in response.aiter_bytes():
                for event in framer.feed(chunk):
                    final = await self._on_event(event, tracking, on_progress, on_started=on_started)
                    if final is not None:
                        return final
        except httpx.TimeoutException as exc:
            raise openai.APITimeoutError(request=response.request) from exc
        except httpx.TransportError as exc:
            raise openai.APIConnectionError(request=response.request) from exc
        return None

    async def _on_event(self, event: sse.Event, tracking: Tracking, on_progress: OnProgress, *, on_started: OnStarted) -> Any:
        """Act on one event; the final response once the stream says the response has ended."""
        sequence = sse.sequence_number(event.data)
        if sequence is not None:
            tracking.last_sequence = max(tracking.last_sequence, sequence)
        kind = event.name
        if kind in _SKIPPED_EVENTS or kind == "keepalive" or event.data == b"[DONE]":
            return None  # the finished output item repeats the image the final response carries
        if kind in _TERMINAL_EVENTS:
            final = await _parsed(event.data, _final_response)
            await _named(tracking, getattr(final, "id", None), on_started)
            return final
        if kind and kind not in _STAGES and kind not in ("error", PARTIAL_IMAGE, *_NAMING_EVENTS) and tracking.response_id is not None:
            return None  # text deltas and the like: nothing here needs them (an unnamed event is parsed to learn its type)
        payload = await _parsed(event.data, _json_object)
        kind = kind or str(payload.get("type", ""))
        if tracking.response_id is None:
            await _named(tracking, _response_id(payload.get("response")), on_started)
        if kind in _TERMINAL_EVENTS:
            return await _parsed(event.data, _final_response)
        if kind == "error":
            code = payload.get("code") or "error"
            raise RenderEnded(f"OpenAI reported an error while making the image ({code}): {redact(str(payload.get('message') or ''))}")
        if kind == PARTIAL_IMAGE:
            index = payload.get("partial_image_index")
            if isinstance(index, int):
                await on_progress(f"partial image {index + 1} received", index)
        elif kind in _STAGES:
            await on_progress(_STAGES[kind], None)
        return None

    def _image_of(self, final: Any) -> GeneratedImage:
        status = getattr(final, "status", None)
        if status == "cancelled":
            raise RenderEnded(f"The render {final.id} was cancelled at OpenAI; no image was saved.", status="cancelled")
        if status == "incomplete":
            reason = getattr(getattr(final, "incomplete_details", None), "reason", None) or "no reason given"
            raise RenderEnded(f"OpenAI stopped before the image was finished (incomplete: {reason}). Try again.")
        try:
            return extract_image(final, self.settings.image_model)
        except OpenAIError as exc:
            raise RenderEnded(str(exc)) from None


class _Wire:
    """A thread with an event loop of its own, where every request to OpenAI is sent and every stream read.

    Reading eight streams that each carry an image twice (about 4 MB per 1024x1024 photo) is hundreds
    of small callbacks; on the server's own loop they queued in front of every other call and ping.
    Here the server's loop only hears the outcome, and the progress, through `_relayed` callbacks.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                threading.Thread(target=self._loop.run_forever, name="openai-wire", daemon=True).start()
            return self._loop

    async def run(self, work: Coroutine[Any, Any, Any]) -> Any:
        """`work`'s result, run on the wire's loop; cancelling the caller cancels the work."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self.loop()))


_WIRE = _Wire()


def _relayed(callback: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., Coroutine[Any, Any, None]]:
    """`callback`, made callable from the wire's loop: it runs on the loop of the caller that passed it."""
    home = asyncio.get_running_loop()

    async def relay(*args: Any) -> None:
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(callback(*args), home))

    return relay


PARTIAL_IMAGE = "response.image_generation_call.partial_image"
_SKIPPED_EVENTS = frozenset({"response.output_item.done", "response.output_item.added", "response.content_part.done"})
_NAMING_EVENTS = ("response.created", "response.queued", "response.in_progress")
BIG_PAYLOAD_BYTES = 64 * 1024  # parsed in a thread from this size on: a partial image, the final response


async def _parsed(data: bytes, parse: Callable[[bytes], Any]) -> Any:
    """`parse(data)`, in a thread when the payload is big: the loop answers other calls meanwhile."""
    if len(data) >= BIG_PAYLOAD_BYTES:
        return await asyncio.to_thread(parse, data)
    return parse(data)


async def _named(tracking: Tracking, response_id: str | None, on_started: OnStarted) -> None:
    """The first time OpenAI names the response: remember the id, and tell the caller."""
    if tracking.response_id is None and response_id:
        tracking.response_id = response_id
        await on_started(tracking)


def _json_object(data: bytes) -> dict[str, Any]:
    import json

    try:
        value = json.loads(data)
    except ValueError:
        raise OpenAIError("OpenAI sent a stream event that is not JSON; nothing was saved. Try again.") from None
    return value if isinstance(value, dict) else {}


def _final_response(data: bytes) -> Any:
    """The response inside a terminal event's payload."""
    response = _json_object(data).get("response")
    if not isinstance(response, dict):
        raise OpenAIError("OpenAI's last stream event carried no response; nothing was saved. Try again.")
    return _response_from_json(response)


async def _load_sdk() -> None:
    if "openai" not in sys.modules:
        # The SDK takes about a second to import: do it in a thread, not on the event loop that answers pings.
        await asyncio.to_thread(importlib.import_module, "openai")


def _response_id(response: Any) -> str | None:
    value = response.get("id") if isinstance(response, dict) else getattr(response, "id", None)
    return value if isinstance(value, str) and value else None


def _response_from_json(data: Any) -> Any:
    """An SDK Response from JSON text or a parsed dict, as lenient as the SDK is with a stream's events."""
    import json

    from openai.types.responses import Response

    try:
        parsed = json.loads(data) if isinstance(data, (bytes, str)) else data
        if not isinstance(parsed, dict) or not isinstance(parsed.get("output", []), list):
            raise ValueError("not a response object")
    except ValueError as exc:
        raise OpenAIError(f"OpenAI answered with something that is not a response ({exc}); nothing was saved. Try again.") from None
    try:
        return Response.model_validate(parsed)
    except ValueError:
        return Response.construct(**parsed)  # what the SDK does with a stream event it cannot validate


BACKGROUND_FIELDS = ("background", "background_options", "store")


def _refuses_background(exc: Any) -> bool:
    """A 400 that names the request's own background fields: an endpoint that does not know them.

    The image tool has a `background` of its own (transparent, opaque): a 400 whose param is
    `tools[0].background` is about that option and is an ordinary error.
    """
    if getattr(exc, "status_code", None) != 400:
        return False
    param = str(getattr(exc, "param", None) or "")
    if param:
        return re.split(r"[.\[]", param, maxsplit=1)[0] in BACKGROUND_FIELDS
    message = str(getattr(exc, "message", "") or "")
    return any(f"'{field}'" in message or f"`{field}`" in message for field in BACKGROUND_FIELDS) and "tools[" not in message


def lost_message(response_id: str | None) -> str:
    return (
        f"Lost contact with OpenAI while the image was rendering (response {response_id}); it may still finish, "
        "and it was not lost: call openai_get_image with this conversation_id to collect it."
    )


def make_client(settings: Settings) -> AsyncOpenAI:
    """OpenAI, any OpenAI-compatible endpoint (OPENAI_BASE_URL), or Azure OpenAI when its two settings are set.

    Always on an explicit httpx.AsyncClient: the SDK's own default (httpx2) is invisible to respx.
    """
    import httpx
    import openai

    common: dict[str, Any] = {
        "timeout": settings.timeout,
        "max_retries": 0,
        "http_client": httpx.AsyncClient(timeout=httpx.Timeout(settings.timeout, connect=10.0)),
    }
    azure_endpoint, azure_key = settings.azure_endpoint, settings.azure_api_key
    if azure_endpoint and azure_key:  # what settings.uses_azure checks, spelled out so both are str below
        endpoint = azure_endpoint.rstrip("/")
        if settings.api_version:
            return openai.AsyncAzureOpenAI(azure_endpoint=endpoint, api_key=azure_key, api_version=settings.api_version, **common)
        # Azure's v1 endpoint speaks the plain OpenAI API; it reads the key from the api-key header.
        return openai.AsyncOpenAI(
            api_key=azure_key,
            base_url=f"{endpoint}/openai/v1/",
            default_headers={"api-key": azure_key},
            **common,
        )
    if not settings.api_key:
        raise ConfigurationError(missing_key_message())
    return openai.AsyncOpenAI(
        api_key=settings.api_key,
        base_url=settings.base_url,
        organization=settings.organization,
        project=settings.project,
        **common,
    )


def _retryable(exc: Exception) -> bool:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return False  # the image may still be rendering and billed; a retry could pay twice
    if isinstance(exc, openai.RateLimitError):
        return exc.code != "insufficient_quota"
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 409) or exc.status_code >= 500
    return isinstance(exc, openai.APIConnectionError)


def _retry_delay(exc: Exception, attempt: int) -> float:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    try:
        if "retry-after-ms" in headers:
            return min(float(headers["retry-after-ms"]) / 1000, MAX_BACKOFF_SECONDS)
        if "retry-after" in headers:
            return min(float(headers["retry-after"]), MAX_BACKOFF_SECONDS)
    except ValueError:
        pass
    return min(0.5 * 2**attempt, MAX_BACKOFF_SECONDS) * (1 - 0.25 * random.random())


def missing_key_message() -> str:
    """What to do without a key, with this installation's own command in it."""
    from pathlib import Path

    command = f"{sys.executable} {Path(__file__).resolve().parent.parent / 'openai_images_mcp.py'}"
    return (
        "OPENAI_API_KEY is not set, so no image can be made. Put your key in the server's "
        'environment. Claude Desktop: in claude_desktop_config.json add "env": {"OPENAI_API_KEY": "sk-..."} to the '
        '"openai-images" entry under "mcpServers", then restart Claude Desktop. '
        f"Claude Code: claude mcp add openai-images -e OPENAI_API_KEY=sk-... -- {command}"
    )


def timeout_message(settings: Settings) -> str:
    return (
        f"OpenAI did not finish within {settings.timeout:g} s; nothing was saved. High-quality or large images can "
        "take minutes: raise OPENAI_IMAGES_TIMEOUT (seconds) or try again."
    )


_NOT_FINISHED = ("not_completed", "not completed", "not finished", "in progress", "in_progress", "still running", "queued")
_GONE = ("not found", "not_found", "does not exist", "expired", "deleted", "no longer")


def previous_response_state(exc: Any) -> str | None:
    """What OpenAI's answer says of the previous response a request continued: "busy", "gone", or None.

    The one rule, read from the whole answer (status, code, type, param, message), since the code for
    "not finished yet" is not documented: busy when it is still being made (409, or words saying so);
    gone when it is missing (404, or a 400 naming it with words saying so). Anything else, even naming
    the previous response, is an ordinary error: never a reason to make the image again without its history.
    """
    status = getattr(exc, "status_code", None)
    fields = (getattr(exc, name, None) for name in ("code", "type", "param", "message"))
    text = " ".join(str(field) for field in fields if field).lower()
    if "previous_response" not in text and "previous response" not in text and status not in (404, 409):
        return None
    if status == 409 or any(words in text for words in _NOT_FINISHED):
        return "busy"
    if status == 404 or (status == 400 and any(words in text for words in _GONE)):
        return "gone"
    return None


def translate_error(exc: Exception, settings: Settings, *, sent_previous: bool = False) -> OpenAIError | ConfigurationError:
    """Turn an SDK exception into a message that says what happened and what to change."""
    import openai

    detail = redact(str(getattr(exc, "message", "") or exc))
    model = effective_model(settings.image_model)
    if isinstance(exc, openai.APITimeoutError):
        return OpenAIError(timeout_message(settings))
    if isinstance(exc, openai.APIConnectionError):
        where = redact(settings.base_url or "https://api.openai.com/v1")
        return OpenAIError(f"Could not reach OpenAI at {where}. Check the network connection and OPENAI_BASE_URL.")
    if not isinstance(exc, openai.APIStatusError):
        return OpenAIError(f"OpenAI request failed: {detail}")
    status, code = exc.status_code, getattr(exc, "code", None)
    state = previous_response_state(exc) if sent_previous else None
    if state == "busy":
        return OpenAIError(f"OpenAI is still making the image this refinement continues from: {detail} Try again when it is done.")
    if state == "gone":
        return PreviousResponseGone(f"OpenAI no longer has the previous response: {detail}")
    if status == 401:
        return ConfigurationError(
            "OpenAI rejected the API key (401). Check OPENAI_API_KEY in the server's environment "
            "(claude_desktop_config.json or `claude mcp add -e`): it may be mistyped, revoked, or for another organization."
        )
    if status in (403, 404):
        return ConfigurationError(
            f"OpenAI refused the model ({status}): {detail} Your key may not have access to the image model "
            f"{model} (set OPENAI_IMAGE_MODEL to one you can use, e.g. gpt-image-2) or to the assistant model "
            f"{settings.assistant_model} (OPENAI_ASSISTANT_MODEL). Some image models need organization verification."
        )
    if status == 429 and code == "insufficient_quota":
        return OpenAIError(
            "Your OpenAI quota is used up (429 insufficient_quota). Add credit or raise the limit at "
            "platform.openai.com → Settings → Billing; retrying will not help until then."
        )
    if status == 429:
        return OpenAIError(
            f"OpenAI's rate limit was hit (429 {code or 'rate_limit_exceeded'}) and did not clear after "
            f"{settings.max_retries} retries. Wait a minute and try again."
        )
    if code == "moderation_blocked" or "safety system" in detail:
        categories = _safety_categories(detail)
        return OpenAIError(
            f"OpenAI's safety system blocked this request (moderation_blocked{'; categories: ' + categories if categories else ''}). "
            "Rephrase the prompt to avoid that content."
        )
    if status >= 500:
        return OpenAIError(
            f"OpenAI had a server error ({status}) and still failed after {settings.max_retries} retries. "
            "This is on OpenAI's side; try again in a few minutes."
        )
    param = getattr(exc, "param", None)
    return OpenAIError(f"OpenAI refused the request ({status}{', ' + param if param else ''}): {detail}")


def _safety_categories(detail: str) -> str:
    marker = "safety_violations=["
    if marker in detail:
        return detail.split(marker, 1)[1].split("]", 1)[0]
    return ""
