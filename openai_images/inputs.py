"""Tool arguments, checked, and the input images they name, loaded: all before anything is sent to OpenAI.

Every check raises `InvalidInput` with a message that names the argument, what
was given and what is allowed. Reading and decoding images is blocking work, so
each image makes one trip to a worker thread.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from openai_images import imagefiles, storage
from openai_images.errors import ConfigurationError, InvalidInput, StorageError
from openai_images.image_models import (
    COMPLETION_WINDOWS,
    MARKUP_MODELS,
    ImageOptions,
    effective_model,
    supports_markup,
    validate_options,
    validate_size,
)
from openai_images.openai_api import EditFile, ImageInput, MarkupFiles, missing_key_message
from openai_images.services import Services

MAX_PROMPT_CHARS = 32_000  # the image API's documented prompt limit
MAX_QUERY_CHARS = 200  # a listing search's text
MAX_INPUT_IMAGES = 16  # OpenAI takes up to 16 images beside one prompt
MAX_CALL_INPUT_BYTES = 64 * 1024 * 1024  # every image and the mask of one call, as sent (before base64)
OPENAI_FILE_ID = re.compile(r"^file-[A-Za-z0-9_-]{1,128}$")
_MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,99}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SENTENCE_END = re.compile(r"[.!?](?=\s)")
_OPTION_FIELDS = frozenset(field.name for field in dataclasses.fields(ImageOptions))
log = logging.getLogger("openai_images_mcp.inputs")


def check_prompt(prompt: str) -> str:
    """The prompt without control characters (tabs and newlines stay); InvalidInput when empty or too long."""
    text = _CONTROL.sub("", prompt or "").strip()
    if not text:
        raise InvalidInput("prompt is empty: describe the image to make, or the change to an existing one.")
    if len(text) > MAX_PROMPT_CHARS:
        raise InvalidInput(f"prompt is {len(text):,} characters; the limit is {MAX_PROMPT_CHARS:,}. Shorten it.")
    return text


def fit_prompt(text: str) -> tuple[str, str | None]:
    """A built prompt within MAX_PROMPT_CHARS: as it is, or cut at the last sentence end that fits, with a note."""
    if len(text) <= MAX_PROMPT_CHARS:
        return text, None
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, MAX_PROMPT_CHARS)]
    cut = ends[-1] if ends else text.rfind(" ", 0, MAX_PROMPT_CHARS)
    shortened = text[: cut if cut > 0 else MAX_PROMPT_CHARS].rstrip()
    return shortened, (
        f"The prompt built from your answers was {len(text):,} characters, over OpenAI's {MAX_PROMPT_CHARS:,}; "
        f"it was cut at a sentence end to {len(shortened):,}, so the last answers may be left out. "
        "Shorter answers keep every one."
    )


def given(value: str | None) -> TypeGuard[str]:
    """True for a string with something other than spaces in it."""
    return value is not None and bool(value.strip())


def check_size(size: str, services: Services) -> str:
    """The canonical size if the configured image model accepts it, else InvalidInput listing what it accepts."""
    return validate_size(size, effective_model(services.settings.image_model))


def check_model_name(name: str) -> str:
    """`name` if it looks like an OpenAI model name, else InvalidInput."""
    if not _MODEL_NAME.fullmatch(name):
        raise InvalidInput(f"assistant_model {name[:60]!r} is not a model name (e.g. gpt-6-astra or gpt-5.5).")
    return name


@dataclass(kw_only=True)
class CallOptions:
    """The per-call settings beside the prompt, checked before anything else happens."""

    options: ImageOptions
    reference_paths: list[str]
    mask_path: str | None
    dry_run: bool
    completion_window: str = "soonest"
    variations: int = 1  # how many images to make at once, one request each
    markup_path: str | None = None  # a markup edit: sent through images.edit, not the Responses API


MAX_VARIATIONS = 4


def check_call_options(
    *,
    reference_paths: list[str] | None,
    mask_path: str | None,
    dry_run: bool,
    services: Services,
    completion_window: str | None = None,
    variations: int = 1,
    markup_path: str | None = None,
    **chosen: Any,
) -> CallOptions:
    """Check the image options (`chosen`: ImageOptions' fields) against the configured model before anything is read or sent."""
    window = completion_window or "soonest"
    markup = markup_path if given(markup_path) else None
    if markup is not None:
        _check_markup_call(mask_path=mask_path, window=window, chosen=chosen, services=services)
    if not isinstance(variations, int) or not 1 <= variations <= MAX_VARIATIONS:
        raise InvalidInput(
            f"variations={str(variations)[:20]!r} is not allowed: make 1 to {MAX_VARIATIONS} at once (each is charged as one image)."
        )
    if window not in COMPLETION_WINDOWS:
        raise InvalidInput(f"completion_window={str(window)[:40]!r} is not allowed; use one of {', '.join(COMPLETION_WINDOWS)}.")
    if window != "soonest" and not services.settings.background:
        raise InvalidInput(
            f"completion_window={window!r} needs OpenAI background mode, which OPENAI_IMAGES_BACKGROUND=false switches off; "
            "use 'soonest', or set OPENAI_IMAGES_BACKGROUND=true."
        )
    if window != "soonest" and chosen.get("partial_images"):
        raise InvalidInput(
            f"partial_images cannot be used with completion_window={window!r}: a discounted render is not streamed. "
            "Leave partial_images at 0, or use completion_window 'soonest'."
        )
    options = ImageOptions(**{**chosen, "partial_images": chosen.get("partial_images") or None})
    validate_options(options, effective_model(services.settings.image_model))
    references = list(reference_paths or [])
    if len(references) > MAX_INPUT_IMAGES:
        raise InvalidInput(f"reference_image_paths has {len(references)} paths; OpenAI takes at most {MAX_INPUT_IMAGES} images.")
    return CallOptions(
        options=options,
        reference_paths=references,
        mask_path=mask_path if given(mask_path) else None,
        dry_run=dry_run,
        completion_window=window,
        variations=variations,
        markup_path=markup,
    )


def _check_markup_call(*, mask_path: str | None, window: str, chosen: dict[str, Any], services: Services) -> None:
    """What a markup edit cannot be combined with, said before anything is read: it is one images.edit request."""
    if given(mask_path):
        raise InvalidInput(
            "markup_path cannot be combined with mask_path (OpenAI takes one or the other): draw on the markup what "
            "to change and leave mask_path out, or use mask_path alone."
        )
    model = effective_model(services.settings.image_model)
    if not supports_markup(model):
        raise InvalidInput(
            f"markup_path needs a GPT Image 2.5 or 2.6 model, and the image model is {model}: set OPENAI_IMAGE_MODEL to "
            f"{' or '.join(MARKUP_MODELS)} (or a dated snapshot of one), or leave markup_path out."
        )
    if window != "soonest":
        raise InvalidInput(f"markup_path cannot be used with completion_window={window!r}: a markup edit is made at once. Use 'soonest'.")
    for name in ("partial_images", "moderation"):
        if chosen.get(name):
            raise InvalidInput(f"markup_path cannot be used with {name}: OpenAI's edit endpoint does not take it. Leave {name} out.")


def check_key(services: Services, *, dry_run: bool) -> None:
    """ConfigurationError, before anything else happens, when no API key is set and the call would need one."""
    settings = services.settings
    if not dry_run and not (settings.api_key or settings.uses_azure):
        raise ConfigurationError(missing_key_message())


def merged_options(conversation: storage.Conversation, call: CallOptions | None, services: Services) -> ImageOptions:
    """The conversation's last options (format, background ...) with this call's choices on top, checked."""
    model = effective_model(services.settings.image_model)
    chosen = call.options.tool_fields() if call else {}
    merged = ImageOptions(**{**_stored_options(conversation, model), **chosen})
    return validate_options(merged, model)


def _stored_options(conversation: storage.Conversation, model: str) -> dict[str, Any]:
    """The options saved on the conversation that are still valid, one by one; the rest are left out and logged.

    They come from a file, which anyone may have edited, and the model may have changed since.
    """
    kept: dict[str, Any] = {}
    for name, value in conversation.options.items():
        if name not in _OPTION_FIELDS or name == "partial_images":
            continue
        try:
            validate_options(ImageOptions(**{**kept, name: value}), model)
        except (InvalidInput, TypeError, ValueError):
            log.warning(
                "Conversation %s: saved option %s=%r left out: not valid for %s", conversation.id, name[:40], str(value)[:60], model
            )
            continue
        kept[name] = value
    return kept


@dataclass(frozen=True, kw_only=True)
class LoadedImage:
    """An image ready to send, with its size when it came from a file (a mask needs it)."""

    image: ImageInput
    width: int | None = None
    height: int | None = None
    path: str | None = None
    byte_size: int = 0  # what it adds to the call's MAX_CALL_INPUT_BYTES
    data: bytes = dataclasses.field(default=b"", repr=False)  # the bytes sent (empty for an OpenAI file id)
    mime_type: str = ""

    def as_file(self, name: str) -> EditFile:
        """The image as an images.edit upload: `name` and the extension of its type."""
        extension = {"image/jpeg": "jpg", "image/webp": "webp"}.get(self.mime_type, "png")
        return EditFile(name=f"{name}.{extension}", data=self.data, mime_type=self.mime_type)


async def prepare_images(
    *,
    conversation: storage.Conversation | None,
    file_id: str | None,
    path: str | None,
    call: CallOptions,
    services: Services,
    edited: storage.ImageRecord | None = None,
) -> tuple[list[ImageInput], str | None]:
    """Every image to send beside the prompt, and the mask as a data URL; all checked before anything is sent.

    A mask applies to the first image sent, so the image it edits goes first: input_image_path, an
    image_id, or else the conversation's last image (sent again explicitly for the mask's sake).
    """
    loaded = await _given_images(path=path, file_id=file_id, conversation=conversation, services=services)
    mask_bytes = 0
    mask_url = None
    if call.mask_path and call.options.output_format == "gif":
        raise InvalidInput("An animated GIF cannot be made with a mask: leave mask_path out, or choose png, webp or jpeg.")
    if call.mask_path:
        target = next((item for item in loaded if item.width), None)
        if target is None and not loaded:
            last = edited or (conversation.last_image if conversation else None)
            if last is None:
                raise InvalidInput(
                    "mask_path needs an image to edit: give input_image_path (or input_image_file_id with an img_ id), "
                    "or a conversation_id whose last image should be edited."
                )
            target = await load_saved_image(last, "the conversation's last image", services)
            loaded.insert(0, target)
        elif target is not None:
            loaded.remove(target)
            loaded.insert(0, target)
        if target is None or target.width is None or target.height is None:  # only OpenAI file ids were given
            raise InvalidInput(
                "mask_path needs the edited image's size: pass it as input_image_path or an image_id (img_...), not an OpenAI file id."
            )
        check_remote_path("mask_path", call.mask_path, services)
        mask = await asyncio.to_thread(
            functools.partial(
                imagefiles.read_mask,
                call.mask_path,
                width=target.width,
                height=target.height,
                edited=target.path or "the edited image",
                allowed_dirs=services.settings.allowed_dirs,
                keep_metadata=services.settings.keep_metadata,
            )
        )
        mask_url, mask_bytes = mask.data_url(), len(mask.data)
    await _add_references(loaded, call, services, extra_bytes=mask_bytes)
    return [item.image for item in loaded], mask_url


async def _given_images(
    *, path: str | None, file_id: str | None, conversation: storage.Conversation | None, services: Services
) -> list[LoadedImage]:
    """The images the call named itself: input_image_path, then input_image_file_id."""
    loaded: list[LoadedImage] = []
    if path is not None:
        loaded.append(await load_image(path, "input_image_path", services))
    if file_id is not None:
        loaded.append(await _load_by_id(file_id, conversation, services))
    return loaded


async def _add_references(loaded: list[LoadedImage], call: CallOptions, services: Services, *, extra_bytes: int) -> None:
    """Load the call's reference images after `loaded`, within OpenAI's byte budget (with `extra_bytes`, a mask or
    markup) and its count of images."""
    for number, reference in enumerate(call.reference_paths, 1):
        _check_budget(loaded, extra_bytes)
        loaded.append(await load_image(reference, f"reference_image_paths[{number}]", services))
    _check_budget(loaded, extra_bytes)
    if len(loaded) > MAX_INPUT_IMAGES:
        raise InvalidInput(f"{len(loaded)} images would be sent; OpenAI takes at most {MAX_INPUT_IMAGES}. Drop some references.")


async def prepare_markup(
    *,
    conversation: storage.Conversation | None,
    file_id: str | None,
    path: str | None,
    call: CallOptions,
    services: Services,
    edited: storage.ImageRecord | None = None,
    markup_data: bytes | None = None,
) -> MarkupFiles:
    """The files of a markup edit, all checked before anything is sent: the image it marks up, the references, the markup.

    The markup lies over input_image_path, an image_id (img_...), else `edited` or the conversation's last
    image; it must be that image's size as shown (after its EXIF orientation) and have transparent pixels.
    `markup_data` is a markup already in hand (the gallery's drawing, saved at call.markup_path).
    """
    if call.markup_path is None:
        raise InvalidInput("A markup edit needs markup_path: a transparent PNG drawn over the image to change.")
    loaded = await _given_images(path=path, file_id=file_id, conversation=conversation, services=services)
    if any(not item.data for item in loaded):
        raise InvalidInput(
            "markup_path needs the image's bytes: pass it as input_image_path or an image_id (img_...), not an OpenAI file id."
        )
    if not loaded:
        last = edited or (conversation.last_image if conversation else None)
        if last is None:
            raise InvalidInput(
                "markup_path needs an image to mark up: give a conversation_id (its last image, or image_id's), or input_image_path."
            )
        loaded.append(await load_saved_image(last, f"image {last.image_id}", services))
        shown = f"image {last.image_id}"
    else:
        shown = loaded[0].path or "the edited image"
    width, height = await asyncio.to_thread(imagefiles.upright_size, loaded[0].data)
    markup_path, allowed = call.markup_path, services.settings.allowed_dirs

    def read() -> imagefiles.InputImage:
        if markup_data is None:
            return imagefiles.read_markup(markup_path, width=width, height=height, edited=shown, allowed_dirs=allowed)
        drawn = imagefiles.decode_image(markup_data, markup_path, "markup", keep_metadata=False)
        return imagefiles.check_markup(drawn, width=width, height=height, edited=shown, what="markup")

    if markup_data is None:
        check_remote_path("markup_path", markup_path, services)
    markup = await asyncio.to_thread(read)
    await _add_references(loaded, call, services, extra_bytes=len(markup.data))
    return MarkupFiles(
        images=tuple(item.as_file(f"image_{number}") for number, item in enumerate(loaded, 1)),
        markup=EditFile(name="markup.png", data=markup.data, mime_type="image/png"),
    )


async def load_image(path: str, what: str, services: Services) -> LoadedImage:
    """Read an image the user named, off the event loop; held to OPENAI_IMAGES_ALLOWED_DIRS."""
    check_remote_path(what, path, services)
    settings = services.settings
    return await asyncio.to_thread(
        lambda: _loaded(imagefiles.read_input_image(path, what, allowed_dirs=settings.allowed_dirs, keep_metadata=settings.keep_metadata))
    )


def check_remote_path(what: str, path: str, services: Services) -> None:
    """A signed-in user of a shared server has no files on it: a path is read only from OPENAI_IMAGES_ALLOWED_DIRS, which must be set.

    Without this, a path could name another user's image in the server's own folders, so those
    folders are refused even when OPENAI_IMAGES_ALLOWED_DIRS takes them in.
    """
    if not services.remote:
        return
    if not services.settings.allowed_dirs:
        raise InvalidInput(
            f"{what}: this server is shared over HTTP, so it cannot read files from your computer, and it reads none of its own "
            "unless its operator sets OPENAI_IMAGES_ALLOWED_DIRS. To edit an image made here, pass its image_id as "
            "input_image_file_id, or refine it with its conversation_id."
        )
    server = services.parent.settings if services.parent is not None else services.settings
    try:
        real = Path(path).expanduser().resolve()
    except (ValueError, OSError, RuntimeError):
        return  # not a usable path at all: the reader's own checks say so
    if any(real.is_relative_to(folder.resolve()) for folder in (server.output_dir, server.data_dir)):
        raise InvalidInput(
            f"{what}: {path[:200]} is in the server's own image or data folder, which holds every user's files; it is not read. "
            "Name an image made here by its image_id (input_image_file_id) instead."
        )


async def load_saved_image(record: storage.ImageRecord, what: str, services: Services) -> LoadedImage:
    """Read back an image from a conversation file's record, to send: only one this server saved, where it saves them."""
    keep = services.settings.keep_metadata
    return await asyncio.to_thread(lambda: _loaded(read_saved(record.path, what, services, keep_metadata=keep)))


async def read_saved_file(record: storage.ImageRecord, what: str, services: Services) -> imagefiles.InputImage:
    """The saved file's own bytes and type, after the same checks as load_saved_image (for the image:// resource and the gallery).

    An animated GIF is read too: it is shown, not sent.
    """
    return await asyncio.to_thread(
        functools.partial(read_saved, record.path, what, services, keep_metadata=True, formats=imagefiles.SHOWN_FORMATS)
    )


def read_saved(
    location: str, what: str, services: Services, *, keep_metadata: bool, formats: Mapping[str, str] = imagefiles.INPUT_FORMATS
) -> imagefiles.InputImage:
    """Blocking: an image this server saved, from its output folder or its bucket, checked like any input (in `formats`)."""
    settings = services.settings
    if not location.startswith("s3://"):
        return imagefiles.read_saved_image(
            location, what, output_dir=settings.output_dir, allowed_dirs=settings.allowed_dirs, keep_metadata=keep_metadata, formats=formats
        )
    if services.bucket is None:
        raise InvalidInput(f"{what} is kept in a bucket ({location[:200]}), but OPENAI_IMAGES_STORAGE names none; set it to read it.")
    try:
        data = services.images.read(location, imagefiles.MAX_INPUT_BYTES)
    except FileNotFoundError:
        raise InvalidInput(f"{what}: nothing is stored at {location[:300]} any more.") from None
    except OSError as exc:
        raise StorageError(f"{what}: could not read {location[:300]} from the bucket ({exc.strerror or exc}).") from None
    return imagefiles.decode_image(data, location, what, keep_metadata=keep_metadata, formats=formats, vector=True)


def _loaded(image: imagefiles.InputImage) -> LoadedImage:
    # Called in the reading thread: one trip for reading, decoding, encoding again and base64 of up to 50 MB.
    image = imagefiles.rasterised(image)
    return LoadedImage(
        image=ImageInput(image_url=image.data_url()),
        width=image.width,
        height=image.height,
        path=str(image.path),
        byte_size=len(image.data),
        data=image.data,
        mime_type=image.mime_type,
    )


async def _load_by_id(file_id: str, conversation: storage.Conversation | None, services: Services) -> LoadedImage:
    value = file_id.strip()
    if OPENAI_FILE_ID.fullmatch(value):
        return LoadedImage(image=ImageInput(file_id=value))
    if storage.IMAGE_ID.fullmatch(value):
        record = conversation.image(value) if conversation else None
        if record is None:
            found = await asyncio.to_thread(services.store.find_image, value)
            record = found[1] if found else None
        if record is None:
            raise InvalidInput(f"input_image_file_id {value}: no image with that id in the saved conversations.")
        return await load_saved_image(record, f"image {value}", services)
    raise InvalidInput(
        f"input_image_file_id {value[:60]!r} is neither an OpenAI file id (file-...) nor an image_id "
        "from this server (img_ and 16 hex digits). For a local file use input_image_path."
    )


def _check_budget(loaded: list[LoadedImage], mask_bytes: int) -> None:
    total = sum(item.byte_size for item in loaded) + mask_bytes
    if total > MAX_CALL_INPUT_BYTES:
        raise InvalidInput(
            f"The input images of this call add up to {total / 1024 / 1024:.1f} MB; one call sends at most "
            f"{MAX_CALL_INPUT_BYTES // 1024 // 1024} MB of images. Nothing was sent: use fewer or smaller reference images."
        )


def describe_argument_errors(tool: str, errors: Sequence[Mapping[str, Any]]) -> str:
    """Pydantic's argument errors in our words: which parameter, what was given, what is allowed."""
    parts = []
    for error in errors:
        name = ".".join(str(part) for part in error.get("loc", ())) or "arguments"
        kind = error.get("type", "")
        context = error.get("ctx") or {}
        given_value = error.get("input")
        shown = repr(given_value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        if kind == "missing" or kind == "missing_argument":
            parts.append(f"{name} is required")
        elif kind == "unexpected_keyword_argument" or kind == "extra_forbidden":
            parts.append(f"{name} is not a parameter of {tool}")
        elif kind == "literal_error":
            parts.append(f"{name}={shown} is not allowed; use one of {context.get('expected', 'the listed values')}")
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            bound = {"greater_than_equal": "at least", "less_than_equal": "at most", "greater_than": "more than", "less_than": "less than"}[
                kind
            ]
            limit = next(iter(context.values()), "")
            parts.append(f"{name}={shown} is out of range; it must be {bound} {limit}")
        elif kind.startswith(("int_", "float_")):
            parts.append(f"{name}={shown} is not a whole number")
        elif kind.startswith("bool_"):
            parts.append(f"{name}={shown} is not true or false")
        elif kind == "string_too_long":
            parts.append(f"{name} is {len(given_value or ''):,} characters; the limit is {context.get('max_length')}")
        elif kind.startswith("string_"):
            parts.append(f"{name}={shown} is not text")
        elif kind.startswith("list_"):
            parts.append(f"{name}={shown} is not a list")
        else:
            parts.append(f"{name}={shown} is not valid ({error.get('msg', kind)})")
    return f"Invalid arguments for {tool}: " + "; ".join(parts) + ". Nothing was sent to OpenAI."
