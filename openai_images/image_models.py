"""What each GPT image model accepts, as the installed OpenAI SDK documents it.

Pure rules, no I/O: the server checks a request against them before spending
money, and the error names what the configured model would accept instead.
Source: `openai/types/responses/tool_param.py` (ImageGeneration.size/model).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

from openai_images.errors import InvalidInput

# The Responses image tool's default when no model is sent (SDK docstring).
API_DEFAULT_IMAGE_MODEL = "gpt-image-2.6-sunburst"

# Image models OpenAI has shut down, with the day: the SDK docstring of ImageGeneration.model (gpt-image-1),
# OpenAI's deprecations page (the three of 2026-12-01, and DALL-E). A dated snapshot shares its model's fate.
RETIRED_MODELS = {
    "gpt-image-1": "2026-10-23",
    "gpt-image-1.5": "2026-12-01",
    "gpt-image-1-mini": "2026-12-01",
    "chatgpt-image-latest": "2026-12-01",
    "dall-e-2": "2026-05-12",
    "dall-e-3": "2026-05-12",
}
REPLACEMENTS = ("gpt-image-2.6-sunburst", "gpt-image-2.6-flare")
_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def retirement(model: str) -> str | None:
    """Why `model` can no longer make images, naming the day and the replacement; None for a model still served."""
    name = _SNAPSHOT.sub("", model.strip().lower())
    day = RETIRED_MODELS.get(name)
    if day is None:
        return None
    return (
        f"{model} was shut down by OpenAI on {day}, so no request is sent. Use {REPLACEMENTS[0]} (OpenAI's default: "
        f"leave OPENAI_IMAGE_MODEL unset) or {REPLACEMENTS[1]}."
    )


def check_not_retired(model: str, *, setting: str = "OPENAI_IMAGE_MODEL") -> str:
    """`model`, or InvalidInput saying it was shut down and what `setting` to change."""
    problem = retirement(model)
    if problem:
        raise InvalidInput(f"{setting}={model}: {problem}")
    return model


STANDARD_SIZES = ("1024x1024", "1536x1024", "1024x1536")

# Models the SDK lists as taking arbitrary WIDTHxHEIGHT (plus their dated snapshots).
_FLEXIBLE_SIZE = re.compile(r"^gpt-image-2(-\d{4}-\d{2}-\d{2})?$|^gpt-image-2\.5-")

MAX_WIDTH, MAX_HEIGHT = 3840, 2160  # "maximum supported resolution is 3840x2160"
MAX_RATIO = 3.0  # aspect ratio between 1:3 and 3:1
SIZE_STEP = 16  # both sides divisible by 16
# "The requested size must also satisfy the model's current pixel and edge limits" (SDK docstring of
# ImageGeneration.size), without the figures; OpenAI's size calculator, as quoted by third parties
# (shared/research/openai.md, section 1.3), gives gpt-image-2 at least 655,360 pixels (e.g. 1024x640).
MIN_PIXELS = 655_360

_WXH = re.compile(r"^\s*(\d{1,6})\s*[xX×]\s*(\d{1,6})\s*$")


@dataclass(frozen=True)
class Size:
    width: int
    height: int

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"


def effective_model(configured: str | None) -> str:
    """The image model a request will use: the configured one, else the API default."""
    return configured or API_DEFAULT_IMAGE_MODEL


def has_flexible_sizes(model: str) -> bool:
    """True when `model` accepts any WxH within the documented limits."""
    return bool(_FLEXIBLE_SIZE.search(model))


def accepted_sizes_text(model: str) -> str:
    """One line describing the sizes `model` accepts, for error messages and docs."""
    if has_flexible_sizes(model):
        return (
            f"{model} accepts 'auto' or any WIDTHxHEIGHT with both sides divisible by 16, "
            "an aspect ratio between 1:3 and 3:1, at least 655,360 pixels, and at most 3840x2160 "
            "(landscape) or 2160x3840 (portrait), e.g. 1024x1024, 1536x864, 2048x1152"
        )
    return f"{model} accepts {', '.join(STANDARD_SIZES)} or auto"


def parse_size(text: str) -> Size | None:
    """Parse 'WxH' (also 'W X H', 'W×H'); None when it is not of that shape."""
    match = _WXH.match(text)
    if not match:
        return None
    return Size(int(match.group(1)), int(match.group(2)))


def validate_size(size: str, model: str) -> str:
    """Return the canonical size string for `model`, or raise InvalidInput saying what is allowed."""
    text = size.strip().lower()
    if text == "auto":
        return "auto"
    parsed = parse_size(text)
    if parsed is None:
        raise InvalidInput(f"Size {size!r} is not of the form WIDTHxHEIGHT. {accepted_sizes_text(model)}.")
    canonical = str(parsed)
    if not has_flexible_sizes(model):
        if canonical in STANDARD_SIZES:
            return canonical
        raise InvalidInput(
            f"Size {canonical} is not available for {model}: {accepted_sizes_text(model)}. "
            "For other sizes set OPENAI_IMAGE_MODEL to a flexible-size model such as gpt-image-2."
        )
    problems = flexible_size_problems(parsed)
    if problems:
        raise InvalidInput(f"Size {canonical} is not valid: {'; '.join(problems)}. {accepted_sizes_text(model)}.")
    return canonical


def flexible_size_problems(size: Size) -> list[str]:
    """Every rule of the flexible-size models that `size` breaks (empty when valid)."""
    w, h = size.width, size.height
    if w <= 0 or h <= 0:
        return ["width and height must be positive"]
    problems = []
    if w % SIZE_STEP or h % SIZE_STEP:
        problems.append("both sides must be divisible by 16")
    if max(w, h) / min(w, h) > MAX_RATIO:
        problems.append("the aspect ratio must be between 1:3 and 3:1")
    if w * h < MIN_PIXELS:
        problems.append(f"it must have at least {MIN_PIXELS:,} pixels (e.g. 1024x640 or 816x816), not {w * h:,}")
    if max(w, h) > MAX_WIDTH or min(w, h) > MAX_HEIGHT:
        problems.append("the largest size is 3840x2160 (or 2160x3840)")
    return problems


# --- options --------------------------------------------------------------------

# Each list of allowed values is a Literal type, for the tool parameters, and its tuple, for checks and messages.
Quality = Literal["low", "medium", "high", "auto"]
ExtraQuality = Literal["xhigh", "max"]
Background = Literal["auto", "transparent", "opaque"]
# gif: an animated GIF of frame_count frames (ImageGeneration.output_format, frame_count, frame_duration_ms);
# svg: a vector file, which "requires n=1 and cannot use streaming, partial images, or output compression"
# (ImageEditParams.svg in types/image_edit_params.py).
OutputFormat = Literal["png", "webp", "jpeg", "gif", "svg"]
Moderation = Literal["auto", "low"]
Fidelity = Literal["high", "low"]
# Planning effort, apart from rendering quality (ImageGeneration.complexity in types/responses/tool_param.py).
Complexity = Literal["low", "medium", "high"]
# background_options.completion_window: "soonest" renders now; "2h" and "8h" are discounted, cannot stream,
# and need background mode (BackgroundOptions in types/responses/response_create_params.py).
CompletionWindow = Literal["soonest", "2h", "8h"]

QUALITIES: tuple[str, ...] = get_args(Quality)
EXTRA_QUALITIES: tuple[str, ...] = get_args(ExtraQuality)
BACKGROUNDS: tuple[str, ...] = get_args(Background)
OUTPUT_FORMATS: tuple[str, ...] = get_args(OutputFormat)
MODERATIONS: tuple[str, ...] = get_args(Moderation)
COMPLETION_WINDOWS: tuple[str, ...] = get_args(CompletionWindow)
COMPLEXITIES: tuple[str, ...] = get_args(Complexity)

# xhigh/max: only the 2.5 sunburst and flare models and their snapshots (SDK docstring).
_EXTRA_QUALITY = re.compile(r"^gpt-image-2\.5-(sunburst|flare)(-\d{4}-\d{2}-\d{2})?$")


@dataclass(frozen=True, kw_only=True)
class ImageOptions:
    """The image tool's optional settings; None means 'not sent' (OpenAI's default applies)."""

    quality: str | None = None
    background: str | None = None
    output_format: str | None = None
    output_compression: int | None = None
    moderation: str | None = None
    input_fidelity: str | None = None
    partial_images: int | None = None
    complexity: str | None = None
    frame_count: int | None = None
    frame_duration_ms: int | None = None

    def tool_fields(self) -> dict[str, object]:
        """The fields to put in the image_generation tool, leaving out what was not chosen."""
        return {name: value for name, value in self.__dict__.items() if value is not None}


# images.edit `markup`: "Supports GPT Image 2.5." (types/image_edit_params.py), and GPT Image 2.6, released after it
# with "image markup editing" (https://docs.apiyi.com/en/live/2026-11/gpt-image-2-6-launch.md): both families and
# their snapshots.
MARKUP_MODELS = ("gpt-image-2.6-sunburst", "gpt-image-2.6-flare", "gpt-image-2.5-sunburst", "gpt-image-2.5-flare")
_MARKUP = re.compile(r"^gpt-image-2\.[56]-(sunburst|flare)(-\d{4}-\d{2}-\d{2})?$")


def supports_markup(model: str) -> bool:
    """True when `model` takes a markup edit (images.edit `markup`)."""
    return bool(_MARKUP.match(model))


def qualities_for(model: str) -> tuple[str, ...]:
    return QUALITIES + EXTRA_QUALITIES if _EXTRA_QUALITY.match(model) else QUALITIES


def validate_options(options: ImageOptions, model: str) -> ImageOptions:
    """Return `options` if `model` accepts the combination, else raise InvalidInput saying what to change."""
    check_not_retired(model)
    _one_of("quality", options.quality, qualities_for(model), model=model)
    _one_of("background", options.background, BACKGROUNDS)
    _one_of("output_format", options.output_format, OUTPUT_FORMATS)
    _one_of("moderation", options.moderation, MODERATIONS)
    _one_of("complexity", options.complexity, COMPLEXITIES)
    fmt = options.output_format or "png"
    if options.background == "transparent" and fmt not in ("png", "webp"):
        why = {"jpeg": "JPEG has no transparency", "svg": "an SVG's background is whatever it draws"}.get(
            fmt, "OpenAI allows it for those only"
        )
        raise InvalidInput(
            f"background=transparent needs output_format png or webp, not {fmt}: {why}. "
            "Set output_format to png or webp, or leave background out."
        )
    if options.output_compression is not None:
        if not 0 <= options.output_compression <= 100:
            raise InvalidInput(f"output_compression must be between 0 and 100, not {options.output_compression}.")
        if fmt not in ("jpeg", "webp"):
            raise InvalidInput(
                f"output_compression applies to jpeg and webp only, and output_format is {fmt}. "
                "Set output_format to jpeg or webp, or leave output_compression out."
            )
    if options.partial_images is not None and not 0 <= options.partial_images <= 3:
        raise InvalidInput(f"partial_images must be 0, 1, 2 or 3, not {options.partial_images}.")
    _check_animation(options, fmt)
    if fmt == "svg" and options.partial_images:
        raise InvalidInput("An SVG is not streamed, so it has no partial images: leave partial_images at 0, or choose png, webp or jpeg.")
    if options.input_fidelity is not None:  # SDK docstring: only gpt-image-1.5 and gpt-image-1-mini took it
        raise InvalidInput(
            f"{model} does not take input_fidelity: only gpt-image-1.5 and gpt-image-1-mini did, and OpenAI shut "
            "them down on 2026-12-01; leave it out. Current models keep input images at high fidelity by themselves."
        )
    return options


MIN_FRAMES, MAX_FRAMES, DEFAULT_FRAMES = 2, 16, 9
MIN_FRAME_MS, MAX_FRAME_MS = 10, 10_000


def _check_animation(options: ImageOptions, fmt: str) -> None:
    """The SDK's rules for gif: frame_count 2-16 and frame_duration_ms only with it, and no partial images."""
    frames, duration = options.frame_count, options.frame_duration_ms
    if fmt != "gif":
        if frames is not None or duration is not None:
            raise InvalidInput("frame_count and frame_duration_ms make an animated GIF: set output_format to gif, or leave them out.")
        return
    if frames is not None and not MIN_FRAMES <= frames <= MAX_FRAMES:
        raise InvalidInput(f"frame_count must be {MIN_FRAMES} to {MAX_FRAMES} (default {DEFAULT_FRAMES}), not {frames}.")
    if duration is not None and not MIN_FRAME_MS <= duration <= MAX_FRAME_MS:
        raise InvalidInput(f"frame_duration_ms must be {MIN_FRAME_MS} to {MAX_FRAME_MS} (default 200, rounded to 10 ms), not {duration}.")
    if options.partial_images:
        raise InvalidInput("An animated GIF cannot stream partial images: leave partial_images at 0, or choose png, webp or jpeg.")


def _one_of(name: str, value: str | None, allowed: tuple[str, ...], *, model: str | None = None) -> None:
    if value is not None and value not in allowed:
        where = f" for {model}" if model else ""
        hint = ""
        if name == "quality" and value in EXTRA_QUALITIES:
            hint = " xhigh and max need OPENAI_IMAGE_MODEL set to gpt-image-2.5-sunburst or gpt-image-2.5-flare."
        raise InvalidInput(f"{name}={value!r} is not available{where}: use one of {', '.join(allowed)}.{hint}")
