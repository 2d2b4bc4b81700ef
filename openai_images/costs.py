"""What an image cost, in US dollars, from the usage OpenAI reports.

Pure functions, no I/O. Prices change and OpenAI documents them unevenly, so
every row of the table names its source, and the user can replace or add rows
with the OPENAI_IMAGES_PRICES setting. A model without a documented price is
"cost unknown" (None), never a guess. Actual cost comes from the reported
token counts: `tool_usage.image_gen` and `usage` of a Responses answer
(`openai/types/responses/response.py`, `openai/types/responses/response_usage.py`)
or `usage` of an Images answer (`openai/types/images_response.py`). The dry-run
estimate uses the community gpt-image-2 token formula (see
estimate_output_tokens) and says that it is an estimate.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, NoReturn

from pydantic import BaseModel

from openai_images.errors import ConfigurationError, InvalidInput
from openai_images.image_models import (
    EXTRA_QUALITIES,
    QUALITIES,
    STANDARD_SIZES,
    parse_size,
)

PRICES_SETTING = "OPENAI_IMAGES_PRICES"
_SET_PRICES = f"set {PRICES_SETTING}"
# The shape only: put in the prices of your own OpenAI pricing page.
_OVERRIDE_EXAMPLE = '{"gpt-5.5": {"text_in": 5, "text_in_cached": 0.5, "text_out": 30}, "my-proxy-image-model": {"image_out": 30}}'


@dataclass(frozen=True, kw_only=True)
class Prices:
    """USD per 1M tokens for one model; None means the price is not documented."""

    text_in: float | None = None
    text_in_cached: float | None = None
    image_in: float | None = None
    image_in_cached: float | None = None
    image_out: float | None = None
    text_out: float | None = None
    source: str = ""


PRICE_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Prices) if f.name != "source")

_OFFICIAL = "official model page"

# Each row's `source` says where its prices come from: OpenAI's own model page for that
# model, or the third-party pages named. The image models, and the default mainline
# (assistant) model; other mainline models are priced with OPENAI_IMAGES_PRICES.
_SIX = "3rd-party (apiyi: https://docs.apiyi.com/en/live/2026-11/gpt-image-2-6-launch.md, 'token prices unchanged')"
# gpt-6-astra: no OpenAI page could be read from here; several public price tables agree on $10 / $1 cached / $50,
# one of them dated "OpenAI's pricing page on 2026-09-30". Reasoning tokens are output tokens.
_ASTRA = "3rd-party (public price tables agreeing, one quoting OpenAI's pricing page of 2026-09-30)"
PRICE_TABLE: dict[str, Prices] = {
    "gpt-image-2.6-sunburst": Prices(text_in=5.0, text_in_cached=1.25, image_in=8.0, image_in_cached=2.0, image_out=30.0, source=_OFFICIAL),
    # The 2.6 launch notes give flare the sunburst prices; wavespeed (https://wavespeed.ai/de/gpt-image-2-6-api) agrees.
    "gpt-image-2.6-flare": Prices(text_in=5.0, image_in=8.0, image_out=30.0, source=_SIX),
    "gpt-6-astra": Prices(text_in=10.0, text_in_cached=1.0, text_out=50.0, source=_ASTRA),
    "gpt-image-2.5-sunburst": Prices(text_in=5.0, image_in=8.0, image_out=30.0, source="3rd-party (apidog, quoting OpenAI's pricing page)"),
    "gpt-image-2.5-flare": Prices(text_in=5.0, image_in=8.0, image_out=30.0, source="3rd-party (apidog, quoting OpenAI's pricing page)"),
    "gpt-image-2": Prices(
        text_in=5.0,
        text_in_cached=1.25,
        image_in=8.0,
        image_in_cached=2.0,
        image_out=30.0,
        text_out=10.0,
        source="3rd-party (fal.ai, xairouter, robotsatlas)",
    ),
    "gpt-image-1.5": Prices(
        text_in=5.0,
        text_in_cached=1.25,
        image_in=8.0,
        image_in_cached=2.0,
        image_out=32.0,
        source="3rd-party (piapi, llmreference)",
    ),
    "gpt-image-1-mini": Prices(text_in=2.0, text_in_cached=0.2, image_in=2.5, image_in_cached=0.25, image_out=8.0, source=_OFFICIAL),
}

_SNAPSHOT_SUFFIX = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def base_model(model: str) -> str:
    """The model a dated snapshot belongs to (`gpt-image-2-2026-04-21` -> `gpt-image-2`)."""
    return _SNAPSHOT_SUFFIX.sub("", model.strip())


def prices_for(model: str, overrides: Mapping[str, Prices] | None = None) -> Prices | None:
    """Prices for `model`: an override wins over the table; snapshots fall back to their base model.

    None when neither the overrides nor the table know the model.
    """
    overrides = overrides or {}
    name = model.strip()
    for candidate in (name, base_model(name)):
        if candidate in overrides:
            return overrides[candidate]
    for candidate in (name, base_model(name)):
        if candidate in PRICE_TABLE:
            return PRICE_TABLE[candidate]
    return None


def parse_price_overrides(text: str | None) -> dict[str, Prices]:
    """Parse the OPENAI_IMAGES_PRICES setting: JSON mapping model -> {price key: USD per 1M tokens}.

    Empty text gives no overrides. Anything malformed raises ConfigurationError
    naming the setting, what was wrong and an example.
    """
    if text is None or not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        _bad_overrides(f"it is not valid JSON ({error.msg} at line {error.lineno} column {error.colno})")
    if not isinstance(data, dict):
        _bad_overrides(f"it must be a JSON object mapping model names to prices, not {type(data).__name__}")
    result: dict[str, Prices] = {}
    for model, entry in data.items():
        if not model.strip():
            _bad_overrides("a model name is empty")
        if not isinstance(entry, dict):
            _bad_overrides(f"the value for {model!r} must be an object of prices, not {json.dumps(entry)}")
        if not entry:
            _bad_overrides(f"{model!r} has no prices; give at least one of {', '.join(PRICE_KEYS)}")
        values: dict[str, float] = {}
        for key, value in entry.items():
            if key not in PRICE_KEYS:
                _bad_overrides(f"unknown key {key!r} for {model!r}; the keys are {', '.join(PRICE_KEYS)}")
            # bool is an int in Python, but `true` is no price.
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                _bad_overrides(f"{model}.{key} must be a number (USD per 1M tokens), not {json.dumps(value)}")
            if value < 0:
                _bad_overrides(f"{model}.{key} must be 0 or more, not {value}")
            values[key] = float(value)
        result[model.strip()] = Prices(**values, source=f"{PRICES_SETTING} setting")
    return result


def _bad_overrides(problem: str) -> NoReturn:
    raise ConfigurationError(
        f"{PRICES_SETTING} is not valid: {problem}. It is a JSON object of USD per 1M tokens per model, "
        f"with keys {', '.join(PRICE_KEYS)}; for example {_OVERRIDE_EXAMPLE}"
    )


def format_usd(value: float | None) -> str:
    """'$0.0527' under $1, '$1.25' from $1 up, 'cost unknown' for None."""
    if value is None:
        return "cost unknown"
    return f"${value:.2f}" if abs(value) >= 1 else f"${value:.4f}"


class ImageCost(BaseModel):
    """The cost of one response: the image model's part, the assistant model's part, and their sum."""

    image_usd: float | None
    assistant_usd: float | None
    total_usd: float | None
    """Sum of the known parts; None only when the image part is unknown."""
    complete: bool
    """True when both parts are priced."""
    note: str
    """One human-readable line explaining the numbers or why they are missing."""


def _count(data: Mapping[str, Any] | None, key: str) -> int:
    # Counts "may be missing for some calls" (SDK): absent or null is 0.
    if not data:
        return 0
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    return max(0, int(value))


def _details(data: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    value = data.get(key)
    return value if isinstance(value, Mapping) else None


def _image_part(model: str, usage: dict | None, prices: Prices | None) -> tuple[float | None, str]:
    if usage is None:
        return None, f"cost unknown: OpenAI reported no usage for {model}"
    if prices is None:
        return None, f"cost unknown: no price for {model} ({_SET_PRICES})"

    input_tokens = _count(usage, "input_tokens")
    input_details = _details(usage, "input_tokens_details")
    if input_details is None:
        text_in, image_in = input_tokens, 0
    else:
        image_in = _count(input_details, "image_tokens")
        text_in = max(_count(input_details, "text_tokens"), input_tokens - image_in)

    output_tokens = _count(usage, "output_tokens")
    output_details = _details(usage, "output_tokens_details")
    if output_details is None:
        text_out, image_out = 0, output_tokens
    else:
        text_out = _count(output_details, "text_tokens")
        image_out = max(_count(output_details, "image_tokens"), output_tokens - text_out)

    cached = _count(usage, "cached_tokens")
    cached_details = _details(usage, "cached_tokens_details")
    remarks: list[str] = []
    if cached_details is not None:
        cached_text = min(_count(cached_details, "cached_text_tokens"), text_in)
        cached_image = min(_count(cached_details, "cached_image_tokens"), image_in)
    else:
        cached_text = cached_image = 0
        if cached:
            remarks.append(f"{cached} cached tokens charged at uncached rates (split not reported; upper bound)")

    # (tokens, rate, fallback rate, price key, what using the fallback means) per kind of token.
    uncached = "at the uncached rate (no cached price documented; upper bound)"
    text_as_image = "output text tokens charged at the image-output rate (no text_out price)"
    parts = [
        (text_in - cached_text, prices.text_in, None, "text_in", ""),
        (cached_text, prices.text_in_cached, prices.text_in, "text_in_cached", f"cached text tokens charged {uncached}"),
        (image_in - cached_image, prices.image_in, None, "image_in", ""),
        (cached_image, prices.image_in_cached, prices.image_in, "image_in_cached", f"cached image tokens charged {uncached}"),
        (image_out, prices.image_out, None, "image_out", ""),
        (text_out, prices.text_out, prices.image_out, "text_out", text_as_image),
    ]
    usd = 0.0
    for tokens, rate, fallback, key, fallback_remark in parts:
        if not tokens:
            continue
        if rate is None and fallback is not None:
            rate = fallback
            remarks.append(f"{tokens} {fallback_remark}")
        if rate is None:
            return None, f"cost unknown: no {key} price for {model} ({_SET_PRICES})"
        usd += tokens * rate / 1_000_000

    tokens_text = f"{output_tokens} output tokens"
    if prices.source and prices.source != _OFFICIAL:
        tokens_text += f"; {prices.source} prices"
    line = f"image {format_usd(usd)} ({model}, {tokens_text})"
    if remarks:
        line += "; " + "; ".join(remarks)
    return usd, line


def _assistant_part(model: str, usage: dict | None, prices: Prices | None, *, role: str = "assistant") -> tuple[float | None, str]:
    """A text model's part: the mainline model (`role` "assistant") or the model that wrote an SVG ("SVG author")."""
    if usage is None:
        return None, f"{role} {model}: OpenAI reported no usage"
    input_tokens = _count(usage, "input_tokens")
    cached = min(_count(_details(usage, "input_tokens_details"), "cached_tokens"), input_tokens)
    # Reasoning tokens are part of output_tokens and billed as output.
    output_tokens = _count(usage, "output_tokens")
    total = input_tokens + output_tokens
    if total == 0:
        return 0.0, ""
    if prices is None:
        return None, f"{role} {model}: {total} tokens not priced ({_SET_PRICES})"
    parts = [
        (input_tokens - cached, prices.text_in, "text_in"),
        (cached, prices.text_in_cached if prices.text_in_cached is not None else prices.text_in, "text_in"),
        (output_tokens, prices.text_out, "text_out"),
    ]
    usd = 0.0
    for tokens, rate, key in parts:
        if not tokens:
            continue
        if rate is None:
            return None, f"{role} {model}: {total} tokens not priced (no {key} price; {_SET_PRICES})"
        usd += tokens * rate / 1_000_000
    return usd, f"{role} {format_usd(usd)} ({model}, {total} tokens)"


def cost_from_usage(
    image_model: str,
    image_usage: dict | None,
    *,
    assistant_model: str,
    assistant_usage: dict | None,
    overrides: Mapping[str, Prices] | None = None,
    svg_usage: dict | None = None,
) -> ImageCost:
    """Price one response from OpenAI's reported token counts.

    `image_usage` is `tool_usage.image_gen` (Responses API) or `usage` (Images
    API); `assistant_usage` is the Responses `usage` of the mainline model.
    Pass `assistant_model=""` when there is no mainline model (Images API):
    that part is then 0. `svg_usage` (an SVG's `svg_usage`) adds the tokens
    of the model that wrote it, counted with the assistant's part. A part
    whose usage or price is missing is None and the note says why; nothing
    is guessed.
    """
    overrides = overrides or {}
    image_usd, image_note = _image_part(image_model, image_usage, prices_for(image_model, overrides))
    if assistant_model:
        assistant_usd, assistant_note = _assistant_part(assistant_model, assistant_usage, prices_for(assistant_model, overrides))
    else:
        assistant_usd, assistant_note = 0.0, ""
    svg_note = ""
    if svg_usage is not None:
        author = str(svg_usage.get("model") or "unnamed")
        svg_usd, svg_note = _assistant_part(author, svg_usage, prices_for(author, overrides), role="SVG author")
        assistant_usd = None if assistant_usd is None or svg_usd is None else assistant_usd + svg_usd
    total = None if image_usd is None else image_usd + (assistant_usd or 0.0)
    note = "; ".join(part for part in (image_note, assistant_note, svg_note) if part)
    return ImageCost(
        image_usd=image_usd,
        assistant_usd=assistant_usd,
        total_usd=total,
        complete=image_usd is not None and assistant_usd is not None,
        note=note,
    )


# Community formula for gpt-image-2 (see estimate_output_tokens): output tokens per quality factor.
QUALITY_FACTORS = {"low": 16, "medium": 48, "high": 96}
# Each streamed partial image adds 100 output tokens (OpenAI's image generation guide, as quoted by apidog).
PARTIAL_IMAGE_TOKENS = 100

# gpt-image-1's per-image output token counts (at $40/M they give the per-image prices on
# OpenAI's gpt-image-1 model page); that gpt-image-1.5 bills the same counts is third-party
# (piapi, llmreference).
_DOCUMENTED_OUTPUT_TOKENS: dict[str, dict[tuple[str, str], int]] = {
    "gpt-image-1.5": {
        ("low", "1024x1024"): 272,
        ("low", "1024x1536"): 408,
        ("low", "1536x1024"): 400,
        ("medium", "1024x1024"): 1056,
        ("medium", "1024x1536"): 1584,
        ("medium", "1536x1024"): 1568,
        ("high", "1024x1024"): 4160,
        ("high", "1024x1536"): 6240,
        ("high", "1536x1024"): 6208,
    },
}


def estimate_output_tokens(quality: str, width: int, height: int) -> int:
    """Output tokens of one gpt-image-2 image by the community formula.

    The formula is from the OpenAI developer forum (2026-06), reverse-engineered;
    it reproduces OpenAI's pricing calculator (7024 tokens for 1024x1024 high).
    Quality is low, medium or high.
    """
    qf = QUALITY_FACTORS.get(quality)
    if qf is None:
        raise InvalidInput(f"Quality {quality!r} has no token formula; use one of {', '.join(QUALITY_FACTORS)}.")
    if width <= 0 or height <= 0:
        raise InvalidInput(f"Size {width}x{height} is not valid: width and height must be positive.")
    long_side, short_side = max(width, height), min(width, height)
    saf = (2 * qf * short_side + long_side) // (2 * long_side)
    # Integer ceiling: the float form can land a hair above an exact integer.
    return -(-qf * saf * (2_000_000 + width * height) // 4_000_000)


class CostEstimate(BaseModel):
    """A dry run's cost range; None where no price or formula exists."""

    low_usd: float | None
    high_usd: float | None
    note: str


# Every quality some model accepts (image_models); the estimate itself knows only QUALITY_FACTORS' three.
_QUALITIES = QUALITIES + EXTRA_QUALITIES


def _output_tokens(model: str, quality: str, size: str) -> int:
    documented = _DOCUMENTED_OUTPUT_TOKENS.get(base_model(model), {})
    if (quality, size) in documented:
        return documented[(quality, size)]
    parsed = parse_size(size)
    if parsed is None:
        raise InvalidInput(f"Size {size!r} is not of the form WIDTHxHEIGHT or auto.")
    return estimate_output_tokens(quality, parsed.width, parsed.height)


def estimate_cost(
    image_model: str,
    quality: str,
    size: str,
    *,
    prompt: str,
    partial_images: int = 0,
    input_images: int = 0,
    overrides: Mapping[str, Prices] | None = None,
) -> CostEstimate:
    """Estimate the image model's cost of one image before generating it.

    quality low/medium/high gives that quality; auto gives low..high; xhigh/max
    gives high quality as the lower bound and no upper bound. size "auto" spans
    the three standard sizes. The prompt is counted as ~4 characters per token;
    input images and the assistant model are not included. Unknown model: both
    bounds None. Billing follows the usage OpenAI reports, not this estimate.
    """
    model = image_model.strip()
    prices = prices_for(model, overrides)
    if prices is None:
        return CostEstimate(low_usd=None, high_usd=None, note=f"cost unknown: no price for {model} ({_SET_PRICES})")

    quality_key = quality.strip().lower()
    if quality_key not in _QUALITIES:
        raise InvalidInput(f"Quality {quality!r} is not one of {', '.join(_QUALITIES)}.")
    size_key = size.strip().lower()
    if size_key == "auto":
        sizes = list(STANDARD_SIZES)
    else:
        parsed = parse_size(size_key)
        if parsed is None or parsed.width <= 0 or parsed.height <= 0:
            raise InvalidInput(f"Size {size!r} is not of the form WIDTHxHEIGHT or auto.")
        sizes = [str(parsed)]
    open_ended = quality_key in EXTRA_QUALITIES  # no formula for these: high is the lower bound
    if quality_key == "auto":
        qualities = list(QUALITY_FACTORS)
    else:
        qualities = ["high"] if open_ended else [quality_key]

    if prices.image_out is None:
        return CostEstimate(low_usd=None, high_usd=None, note=f"cost unknown: no image_out price for {model} ({_SET_PRICES})")
    remarks: list[str] = []
    prompt_tokens = math.ceil(len(prompt) / 4)
    prompt_usd = 0.0
    if prompt_tokens and prices.text_in is not None:
        prompt_usd = prompt_tokens * prices.text_in / 1_000_000
    elif prompt_tokens:
        remarks.append(f"the prompt's ~{prompt_tokens} text tokens are not included (no text_in price)")
    partial_tokens = PARTIAL_IMAGE_TOKENS * max(0, partial_images)

    totals = [prompt_usd + (_output_tokens(model, q, s) + partial_tokens) * prices.image_out / 1_000_000 for q in qualities for s in sizes]
    low = min(totals)
    high: float | None = max(totals)
    if open_ended:
        high = None
        extra = "/".join(EXTRA_QUALITIES)
        remarks.append(f"lower bound is high quality's cost; {extra} cost more; no formula is published")
    if high is None:
        range_text = f"at least {format_usd(low)}"
    elif high == low:
        range_text = format_usd(low)
    else:
        range_text = f"{format_usd(low)} to {format_usd(high)}"

    if base_model(model) in _DOCUMENTED_OUTPUT_TOKENS and all(
        (q, s) in _DOCUMENTED_OUTPUT_TOKENS[base_model(model)] for q in qualities for s in sizes
    ):
        remarks.append(f"output tokens from {base_model(model)}'s published counts")
    elif base_model(model) == "gpt-image-2":
        remarks.append("output tokens from the community gpt-image-2 formula")
    else:
        remarks.append(f"output tokens from the community gpt-image-2 formula; {model}'s may differ")
    if partial_tokens:
        remarks.append(f"includes {partial_tokens} output tokens for {partial_images} partial image(s)")
    if input_images > 0:
        remarks.append(f"{input_images} input image(s) add image-input tokens not included")
    remarks.append("actual billing follows the usage OpenAI reports")
    note = f"estimate {range_text} for {model} (quality {quality_key}, size {size_key}); " + "; ".join(remarks)
    return CostEstimate(low_usd=low, high_usd=high, note=note)
