"""Size rules per image model, checked before any request is sent."""

from __future__ import annotations

import pytest

from errors import InvalidInput
from image_models import API_DEFAULT_IMAGE_MODEL, has_flexible_sizes, validate_size


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


@pytest.mark.parametrize("size", ["1536x864", "3840x2160", "2160x3840", "2048x1152", "768x2304", "16x16"])
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
    ],
)
def test_flexible_model_refuses_invalid_sizes_with_the_reason(size, reason):
    with pytest.raises(InvalidInput, match=reason):
        validate_size(size, "gpt-image-2.5-sunburst")
