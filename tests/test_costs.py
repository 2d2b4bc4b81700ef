"""Cost of an image from OpenAI's reported usage, price overrides, and the dry-run estimate."""

from __future__ import annotations

import pytest

from openai_images.costs import (
    PRICE_TABLE,
    QUALITY_FACTORS,
    Prices,
    cost_from_usage,
    estimate_cost,
    estimate_output_tokens,
    format_usd,
    parse_price_overrides,
    prices_for,
)
from openai_images.errors import ConfigurationError, InvalidInput
from openai_images.image_models import EXTRA_QUALITIES, QUALITIES

# A completed Responses answer for one 1024x1024 medium image (shape: openai/types/responses/response.py):
# its `usage` (mainline model) and `tool_usage.image_gen` (image model).
ASSISTANT_USAGE = {
    "input_tokens": 20,
    "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
    "output_tokens": 30,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 50,
}
IMAGE_USAGE = {
    "input_tokens": 50,
    "input_tokens_details": {"image_tokens": 0, "text_tokens": 50},
    "output_tokens": 1756,
    "output_tokens_details": {"image_tokens": 1756, "text_tokens": 0},
    "total_tokens": 1806,
}


@pytest.mark.parametrize(
    "width, height, low, medium, high",
    [
        (1024, 1024, 196, 1756, 7024),
        (1536, 1024, 158, 1372, 5488),
        (1024, 1536, 158, 1372, 5488),
        (1536, 864, 120, 1078, 4312),
        (2048, 1152, 157, 1413, 5650),
        (3840, 2160, 371, 3336, 13342),
    ],
)
def test_output_token_formula_per_quality_and_size(width, height, low, medium, high):
    # 7024 (1024x1024 high) is OpenAI's pricing calculator's count; the other rows pin the formula's output.
    assert [estimate_output_tokens(q, width, height) for q in ("low", "medium", "high")] == [low, medium, high]


def test_example_response_costs_text_input_plus_image_output():
    cost = cost_from_usage("gpt-image-2.6-sunburst", IMAGE_USAGE, assistant_model="gpt-5.5", assistant_usage=ASSISTANT_USAGE)
    assert cost.image_usd == pytest.approx(50 * 5 / 1e6 + 1756 * 30 / 1e6)
    assert cost.image_usd == pytest.approx(0.05293)
    assert cost.total_usd == pytest.approx(0.05293)
    assert cost.assistant_usd is None
    assert cost.complete is False
    assert cost.note == (
        "image $0.0529 (gpt-image-2.6-sunburst, 1756 output tokens); assistant gpt-5.5: 50 tokens not priced (set OPENAI_IMAGES_PRICES)"
    )


def test_the_default_models_are_priced_flare_and_the_mainline_model_included():
    cost = cost_from_usage("gpt-image-2.6-flare", IMAGE_USAGE, assistant_model="gpt-6-astra", assistant_usage=ASSISTANT_USAGE)
    assert cost.complete is True
    assert cost.image_usd == pytest.approx(50 * 5 / 1e6 + 1756 * 30 / 1e6)
    input_tokens, output_tokens = ASSISTANT_USAGE["input_tokens"], ASSISTANT_USAGE["output_tokens"]
    assert cost.assistant_usd == pytest.approx(input_tokens * 10 / 1e6 + output_tokens * 50 / 1e6)
    assert all(prices_for(model).source for model in ("gpt-image-2.6-flare", "gpt-6-astra"))


def test_an_svg_adds_its_author_models_tokens_and_an_unpriced_author_says_so():
    svg_usage = {"model": "gpt-6-astra", "input_tokens": 100, "output_tokens": 400, "reasoning_tokens": 64, "total_tokens": 500}
    cost = cost_from_usage(
        "gpt-image-2.6-sunburst", IMAGE_USAGE, assistant_model="gpt-6-astra", assistant_usage=ASSISTANT_USAGE, svg_usage=svg_usage
    )
    plain = cost_from_usage("gpt-image-2.6-sunburst", IMAGE_USAGE, assistant_model="gpt-6-astra", assistant_usage=ASSISTANT_USAGE)
    assert cost.total_usd == pytest.approx(plain.total_usd + (100 * 10 + 400 * 50) / 1e6)
    assert "SVG author $0.0210 (gpt-6-astra, 500 tokens)" in cost.note
    unknown = cost_from_usage(
        "gpt-image-2.6-sunburst",
        IMAGE_USAGE,
        assistant_model="gpt-6-astra",
        assistant_usage=ASSISTANT_USAGE,
        svg_usage={**svg_usage, "model": "svg-author-x"},
    )
    assert unknown.complete is False and "SVG author svg-author-x: 500 tokens not priced (set OPENAI_IMAGES_PRICES)" in unknown.note


def test_assistant_override_makes_the_cost_complete():
    overrides = parse_price_overrides('{"gpt-6-astra": {"text_in": 1.25, "text_out": 10}}')
    cost = cost_from_usage(
        "gpt-image-2.6-sunburst", IMAGE_USAGE, assistant_model="gpt-6-astra", assistant_usage=ASSISTANT_USAGE, overrides=overrides
    )
    assert cost.assistant_usd == pytest.approx(20 * 1.25 / 1e6 + 30 * 10 / 1e6)
    assert cost.total_usd == pytest.approx(0.05293 + 0.000325)
    assert cost.complete is True
    assert "assistant $0.0003 (gpt-6-astra, 50 tokens)" in cost.note


def test_assistant_cached_input_is_billed_at_the_cached_rate():
    overrides = parse_price_overrides('{"gpt-6-astra": {"text_in": 2, "text_in_cached": 0.5, "text_out": 10}}')
    usage = {"input_tokens": 1000, "input_tokens_details": {"cached_tokens": 800}, "output_tokens": 0}
    cost = cost_from_usage("gpt-image-2", IMAGE_USAGE, assistant_model="gpt-6-astra", assistant_usage=usage, overrides=overrides)
    assert cost.assistant_usd == pytest.approx((200 * 2 + 800 * 0.5) / 1e6)


def test_cached_image_tokens_use_the_cached_rates():
    usage = {
        "input_tokens": 1100,
        "input_tokens_details": {"image_tokens": 1000, "text_tokens": 100},
        "output_tokens": 1000,
        "cached_tokens": 640,
        "cached_tokens_details": {"cached_image_tokens": 600, "cached_text_tokens": 40},
    }
    cost = cost_from_usage("gpt-image-2.6-sunburst", usage, assistant_model="", assistant_usage=None)
    expected = (60 * 5 + 40 * 1.25 + 400 * 8 + 600 * 2 + 1000 * 30) / 1e6
    assert cost.image_usd == pytest.approx(expected)
    assert cost.complete is True
    assert "upper bound" not in cost.note


def test_undocumented_cached_rate_charges_the_uncached_rate_and_says_so():
    usage = {
        "input_tokens": 100,
        "input_tokens_details": {"image_tokens": 0, "text_tokens": 100},
        "output_tokens": 10,
        "cached_tokens": 80,
        "cached_tokens_details": {"cached_image_tokens": 0, "cached_text_tokens": 80},
    }
    cost = cost_from_usage("gpt-image-2.5-flare", usage, assistant_model="", assistant_usage=None)
    assert cost.image_usd == pytest.approx((100 * 5 + 10 * 30) / 1e6)
    assert "80 cached text tokens charged at the uncached rate" in cost.note
    assert "upper bound" in cost.note


def test_cached_tokens_without_a_split_are_charged_uncached_as_an_upper_bound():
    usage = {"input_tokens": 100, "input_tokens_details": {"image_tokens": 50, "text_tokens": 50}, "output_tokens": 0, "cached_tokens": 30}
    cost = cost_from_usage("gpt-image-2", usage, assistant_model="", assistant_usage=None)
    assert cost.image_usd == pytest.approx((50 * 5 + 50 * 8) / 1e6)
    assert "30 cached tokens charged at uncached rates" in cost.note


def test_output_text_tokens_use_text_out_or_fall_back_to_image_out():
    usage = {"input_tokens": 0, "output_tokens": 1100, "output_tokens_details": {"image_tokens": 1000, "text_tokens": 100}}
    with_text_price = cost_from_usage("gpt-image-2", usage, assistant_model="", assistant_usage=None)
    assert with_text_price.image_usd == pytest.approx((1000 * 30 + 100 * 10) / 1e6)
    without = cost_from_usage("gpt-image-2.6-sunburst", usage, assistant_model="", assistant_usage=None)
    assert without.image_usd == pytest.approx(1100 * 30 / 1e6)
    assert "100 output text tokens charged at the image-output rate" in without.note


def test_missing_details_mean_text_input_and_image_output():
    usage = {"input_tokens": 40, "output_tokens": 500}
    cost = cost_from_usage("gpt-image-1-mini", usage, assistant_model="", assistant_usage=None)
    assert cost.image_usd == pytest.approx((40 * 2 + 500 * 8) / 1e6)


def test_unknown_image_model_is_cost_unknown_and_names_the_setting():
    cost = cost_from_usage("my-proxy-image-model", IMAGE_USAGE, assistant_model="gpt-6-astra", assistant_usage=ASSISTANT_USAGE)
    assert cost.image_usd is None
    assert cost.total_usd is None
    assert cost.complete is False
    assert cost.note.startswith("cost unknown: no price for my-proxy-image-model (set OPENAI_IMAGES_PRICES)")
    assert format_usd(cost.total_usd) == "cost unknown"


@pytest.mark.parametrize("model", ["chatgpt-image-latest", "gpt-image-1", "dall-e-3"])
def test_undocumented_models_have_no_price(model):
    assert prices_for(model, {}) is None


def test_overrides_price_an_unknown_image_model_and_the_assistant():
    overrides = parse_price_overrides(
        '{"my-proxy-image-model": {"text_in": 5, "image_in": 8, "image_out": 30}, "gpt-6-astra": {"text_in": 1.25, "text_out": 10}}'
    )
    cost = cost_from_usage(
        "my-proxy-image-model", IMAGE_USAGE, assistant_model="gpt-6-astra", assistant_usage=ASSISTANT_USAGE, overrides=overrides
    )
    assert cost.complete is True
    assert cost.image_usd == pytest.approx(0.05293)
    assert cost.total_usd == pytest.approx(0.05293 + 0.000325)
    assert "OPENAI_IMAGES_PRICES setting prices" in cost.note


def test_an_override_replaces_the_whole_table_entry():
    overrides = parse_price_overrides('{"gpt-image-2": {"image_out": 40}}')
    prices = prices_for("gpt-image-2", overrides)
    assert prices == Prices(image_out=40.0, source="OPENAI_IMAGES_PRICES setting")
    cost = cost_from_usage("gpt-image-2", IMAGE_USAGE, assistant_model="", assistant_usage=None, overrides=overrides)
    assert cost.image_usd is None
    assert "no text_in price for gpt-image-2" in cost.note


def test_missing_usage_is_reported_not_guessed():
    cost = cost_from_usage("gpt-image-2", None, assistant_model="gpt-6-astra", assistant_usage=None)
    assert (cost.image_usd, cost.assistant_usd, cost.total_usd, cost.complete) == (None, None, None, False)
    assert "OpenAI reported no usage for gpt-image-2" in cost.note
    assert "assistant gpt-6-astra: OpenAI reported no usage" in cost.note


@pytest.mark.parametrize(
    "snapshot, base",
    [
        ("gpt-image-2-2026-04-21", "gpt-image-2"),
        ("gpt-image-2.5-sunburst-2026-09-08", "gpt-image-2.5-sunburst"),
        ("gpt-image-2.5-flare-2026-09-08", "gpt-image-2.5-flare"),
    ],
)
def test_dated_snapshots_use_their_base_model_prices(snapshot, base):
    assert prices_for(snapshot, {}) is PRICE_TABLE[base]


def test_an_override_of_the_base_model_applies_to_its_snapshots():
    overrides = parse_price_overrides('{"gpt-image-2": {"image_out": 40}}')
    assert prices_for("gpt-image-2-2026-04-21", overrides).image_out == 40.0


@pytest.mark.parametrize(
    "text, problem",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"gpt-x": 5}', "must be an object"),
        ('{"gpt-x": {}}', "has no prices"),
        ('{"gpt-x": {"image_output": 30}}', "unknown key 'image_output'"),
        ('{"gpt-x": {"image_out": "30"}}', "must be a number"),
        ('{"gpt-x": {"image_out": true}}', "must be a number"),
        ('{"gpt-x": {"image_out": -1}}', "0 or more"),
    ],
)
def test_bad_price_overrides_name_the_setting_the_problem_and_an_example(text, problem):
    with pytest.raises(ConfigurationError) as info:
        parse_price_overrides(text)
    message = str(info.value)
    assert message.startswith("OPENAI_IMAGES_PRICES is not valid")
    assert problem in message
    assert '{"gpt-5.5": {"text_in": 5, "text_in_cached": 0.5, "text_out": 30}' in message


def test_empty_price_setting_means_no_overrides():
    assert parse_price_overrides("") == {}
    assert parse_price_overrides("  ") == {}


def test_estimate_for_one_quality_and_size():
    estimate = estimate_cost("gpt-image-2", "medium", "1024x1024", prompt="", partial_images=0, input_images=0)
    assert estimate.low_usd == estimate.high_usd == pytest.approx(1756 * 30 / 1e6)
    assert "estimate $0.0527 for gpt-image-2" in estimate.note
    assert "actual billing follows the usage OpenAI reports" in estimate.note


def test_estimate_counts_prompt_tokens_and_partial_images():
    estimate = estimate_cost("gpt-image-2.6-sunburst", "low", "1024x1024", prompt="x" * 401, partial_images=2, input_images=0)
    assert estimate.low_usd == pytest.approx(101 * 5 / 1e6 + (196 + 200) * 30 / 1e6)
    assert "200 output tokens for 2 partial image(s)" in estimate.note
    assert "gpt-image-2.6-sunburst's may differ" in estimate.note


def test_auto_quality_spans_low_to_high():
    estimate = estimate_cost("gpt-image-2", "auto", "1024x1024", prompt="", partial_images=0, input_images=0)
    assert estimate.low_usd == pytest.approx(196 * 30 / 1e6)
    assert estimate.high_usd == pytest.approx(7024 * 30 / 1e6)
    assert "$0.0059 to $0.2107" in estimate.note


def test_auto_size_spans_the_three_standard_sizes():
    estimate = estimate_cost("gpt-image-2", "high", "auto", prompt="", partial_images=0, input_images=0)
    assert estimate.low_usd == pytest.approx(5488 * 30 / 1e6)
    assert estimate.high_usd == pytest.approx(7024 * 30 / 1e6)


@pytest.mark.parametrize("quality", ["xhigh", "max", "XHIGH"])
def test_xhigh_and_max_have_a_lower_bound_only(quality):
    estimate = estimate_cost("gpt-image-2.5-sunburst", quality, "1024x1024", prompt="", partial_images=0, input_images=0)
    assert estimate.low_usd == pytest.approx(7024 * 30 / 1e6)
    assert estimate.high_usd is None
    assert "xhigh/max cost more; no formula is published" in estimate.note
    assert "estimate at least $0.2107" in estimate.note


def test_estimate_says_input_images_are_not_included():
    estimate = estimate_cost("gpt-image-2", "low", "1024x1024", prompt="edit this", partial_images=0, input_images=2)
    assert "2 input image(s) add image-input tokens not included" in estimate.note


def test_gpt_image_1_5_estimate_uses_its_published_token_counts():
    estimate = estimate_cost("gpt-image-1.5", "medium", "1536x1024", prompt="", partial_images=0, input_images=0)
    assert estimate.low_usd == pytest.approx(1568 * 32 / 1e6)
    assert "gpt-image-1.5's published counts" in estimate.note


def test_estimate_for_unknown_model_is_unknown():
    estimate = estimate_cost("my-proxy-image-model", "high", "1024x1024", prompt="a fox", partial_images=0, input_images=0)
    assert (estimate.low_usd, estimate.high_usd) == (None, None)
    assert estimate.note == "cost unknown: no price for my-proxy-image-model (set OPENAI_IMAGES_PRICES)"


@pytest.mark.parametrize("quality", QUALITIES + EXTRA_QUALITIES)
def test_estimate_takes_every_quality_image_models_lists(quality):
    estimate = estimate_cost("gpt-image-2.5-sunburst", quality, "1024x1024", prompt="", partial_images=0, input_images=0)
    assert estimate.low_usd is not None and estimate.low_usd > 0
    assert f"quality {quality}" in estimate.note


def test_the_token_formula_has_a_factor_for_every_named_quality():
    assert set(QUALITY_FACTORS) == set(QUALITIES) - {"auto"}


def test_estimate_refuses_an_unknown_quality():
    with pytest.raises(InvalidInput, match="ultra"):
        estimate_cost("gpt-image-2", "ultra", "1024x1024", prompt="", partial_images=0, input_images=0)


@pytest.mark.parametrize(
    "value, text",
    [
        (0.05293, "$0.0529"),
        (0.0, "$0.0000"),
        (0.99994, "$0.9999"),
        (1.0, "$1.00"),
        (12.345, "$12.35"),
        (None, "cost unknown"),
    ],
)
def test_format_usd(value, text):
    assert format_usd(value) == text
