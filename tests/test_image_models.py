"""Size rules per image model, checked before any request is sent."""

from __future__ import annotations

import pytest

from openai_images import image_models
from openai_images.errors import InvalidInput
from openai_images.image_models import (
    API_DEFAULT_IMAGE_MODEL,
    has_flexible_sizes,
    validate_size,
)


@pytest.mark.parametrize(
    "model, flexible",
    [
        ("gpt-image-2", True),
        ("gpt-image-2-2026-04-21", True),
        ("gpt-image-2.5-sunburst", True),
        ("gpt-image-2.5-flare-2026-09-08", True),
        ("gpt-image-2.6-sunburst", False),
        ("gpt-image-2.6-flare", False),
        ("gpt-image-1.5", False),
        ("gpt-image-1-mini", False),
        ("chatgpt-image-latest", False),
    ],
)
def test_which_models_take_arbitrary_sizes(model, flexible):
    assert has_flexible_sizes(model) is flexible


@pytest.mark.parametrize("size", ["1024x1024", "1536x1024", "1024x1536", "auto", " AUTO ", "1024 X 1024"])
def test_fixed_size_model_accepts_the_standard_sizes(size):
    assert validate_size(size, API_DEFAULT_IMAGE_MODEL) in ("1024x1024", "1536x1024", "1024x1536", "auto")


def test_fixed_size_model_refuses_old_dalle_size_and_lists_the_allowed_ones():
    with pytest.raises(InvalidInput) as info:
        validate_size("1024x1792", "gpt-image-2.6-sunburst")
    message = str(info.value)
    assert "1024x1792" in message
    assert "1024x1024, 1536x1024, 1024x1536 or auto" in message
    assert "OPENAI_IMAGE_MODEL" in message


@pytest.mark.parametrize("size", ["1536x864", "3840x2160", "2160x3840", "2048x1152", "768x2304", "1024x640", "816x816"])
def test_flexible_model_accepts_valid_custom_sizes(size):
    assert validate_size(size, "gpt-image-2") == size


@pytest.mark.parametrize(
    "size, reason",
    [
        ("1000x1000", "divisible by 16"),
        ("3072x1008", "1:3 and 3:1"),
        ("4096x2304", "3840x2160"),
        ("3840x3840", "3840x2160"),
        ("0x0", "positive"),
        ("abc", "WIDTHxHEIGHT"),
        ("-1x5", "WIDTHxHEIGHT"),
        ("99999x99999", "3840x2160"),
        ("", "WIDTHxHEIGHT"),
        ("768x768", "at least 655,360 pixels"),
        ("16x16", "at least 655,360 pixels"),
        ("1008x640", "at least 655,360 pixels"),
    ],
)
def test_flexible_model_refuses_invalid_sizes_with_the_reason(size, reason):
    with pytest.raises(InvalidInput, match=reason):
        validate_size(size, "gpt-image-2.5-sunburst")


from openai_images.image_models import ImageOptions, validate_options  # noqa: E402


def test_options_leave_out_what_was_not_chosen():
    assert ImageOptions(quality="high", output_format="webp").tool_fields() == {"quality": "high", "output_format": "webp"}


@pytest.mark.parametrize(
    "options, model",
    [
        (ImageOptions(quality="xhigh"), "gpt-image-2.5-sunburst"),
        (ImageOptions(quality="max"), "gpt-image-2.5-flare-2026-09-08"),
        (ImageOptions(background="transparent", output_format="webp", output_compression=90), "gpt-image-2"),
        (ImageOptions(background="transparent"), "gpt-image-2.6-sunburst"),
        (ImageOptions(output_format="jpeg", output_compression=0, moderation="low", partial_images=3), "gpt-image-2"),
    ],
)
def test_valid_option_combinations_pass(options, model):
    assert validate_options(options, model) == options


@pytest.mark.parametrize(
    "options, model, message",
    [
        (ImageOptions(quality="xhigh"), "gpt-image-2", "xhigh and max need"),
        (ImageOptions(quality="max"), "gpt-image-2.6-sunburst", "use one of low, medium, high, auto"),
        (ImageOptions(background="transparent", output_format="jpeg"), "gpt-image-2", "png or webp"),
        (ImageOptions(output_compression=80), "gpt-image-2", "jpeg and webp only"),
        (ImageOptions(output_compression=120, output_format="jpeg"), "gpt-image-2", "between 0 and 100"),
        (ImageOptions(input_fidelity="high"), "gpt-image-2", "does not take input_fidelity"),
        (ImageOptions(input_fidelity="low"), "gpt-image-2.6-flare", "shut them down on 2026-12-01"),
        (ImageOptions(partial_images=4), "gpt-image-2", "0, 1, 2 or 3"),
        (ImageOptions(output_format="bmp"), "gpt-image-2", "png, webp, jpeg, gif, svg"),
        (ImageOptions(output_format="svg", partial_images=2), "gpt-image-2", "An SVG is not streamed"),
        (ImageOptions(output_format="svg", output_compression=80), "gpt-image-2", "jpeg and webp only"),
        (ImageOptions(output_format="svg", background="transparent"), "gpt-image-2", "whatever it draws"),
        (ImageOptions(output_format="gif", partial_images=1), "gpt-image-2", "cannot stream partial images"),
        (ImageOptions(frame_count=4), "gpt-image-2", "set output_format to gif"),
        (ImageOptions(output_format="gif", frame_count=17), "gpt-image-2", "frame_count must be 2 to 16"),
    ],
)
def test_invalid_option_combinations_say_what_to_change(options, model, message):
    with pytest.raises(InvalidInput, match=message):
        validate_options(options, model)


@pytest.mark.parametrize(
    ("model", "day"),
    [
        ("gpt-image-1", "2026-10-23"),
        ("gpt-image-1.5", "2026-12-01"),
        ("GPT-Image-1-Mini", "2026-12-01"),
        ("chatgpt-image-latest", "2026-12-01"),
        ("dall-e-2", "2026-05-12"),
    ],
)
def test_retired_models_are_named_with_their_day_and_replacement(model, day):
    problem = image_models.retirement(model)
    assert problem and f"shut down by OpenAI on {day}" in problem and "gpt-image-2.6-sunburst" in problem
    with pytest.raises(InvalidInput, match="OPENAI_IMAGE_MODEL="):
        image_models.validate_options(ImageOptions(), model)


@pytest.mark.parametrize(
    "model", ["gpt-image-2.6-sunburst", "gpt-image-2.6-flare", "gpt-image-2", "gpt-image-2.5-flare-2026-09-08", "gpt-image-10"]
)
def test_current_models_are_not_retired(model):
    assert image_models.retirement(model) is None
