"""Fuzzing every tool's arguments through the in-memory client: a result or a clear tool error, never a crash."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

text = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["", " ", "\x00", "../../etc/passwd", "conv_0123456789abcdef", "img_0123456789abcdef", "file-abc", "~/x.png", "/dev/zero", "A red fox"]),
)
maybe_text = st.one_of(st.none(), text)
anything = st.one_of(st.none(), st.booleans(), st.integers(-5, 5000), st.floats(allow_nan=True), text, st.lists(text, max_size=3))
sizes = st.one_of(st.none(), st.sampled_from(["1024x1024", "auto", "0x0", "-1x5", "99999x99999", "abc", "1024x1792", "16x16"]), text)

conversational_args = st.fixed_dictionaries(
    {"prompt": text},
    optional={
        "conversation_id": maybe_text,
        "dialogue_mode": st.one_of(st.sampled_from(["quick", "guided", "explorer", "skip"]), text),
        "skip_dialogue": st.one_of(st.booleans(), anything),
        "input_image_file_id": maybe_text,
        "input_image_path": maybe_text,
        "mask_path": maybe_text,
        "reference_image_paths": st.one_of(st.none(), st.lists(text, max_size=3), anything),
        "size": sizes,
        "quality": st.one_of(st.sampled_from(["low", "high", "xhigh", "max", "auto"]), anything),
        "background": st.one_of(st.sampled_from(["transparent", "opaque"]), anything),
        "output_format": st.one_of(st.sampled_from(["png", "webp", "jpeg", "gif"]), anything),
        "output_compression": anything,
        "partial_images": anything,
        "dry_run": st.booleans(),
        "unexpected": anything,
    },
)
generate_args = st.fixed_dictionaries(
    {"prompt": text},
    optional={"size": sizes, "quality": anything, "output_format": anything, "dry_run": st.booleans(), "partial_images": anything},
)
list_args = st.fixed_dictionaries({}, optional={"limit": anything, "query": anything})

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _check(tool: str, args: dict) -> None:
    from fastmcp import Client

    import openai_images_mcp

    # Each example runs in its own event loop, so it needs its own OpenAI client (the fixture restores the original).
    openai_images_mcp.services = openai_images_mcp.Services()

    async def call():
        async with Client(openai_images_mcp.mcp) as client:
            return await client.call_tool_mcp(tool, args)

    result = asyncio.run(call())  # an exception here (a crash, a dropped connection) fails the test
    texts = [block.text for block in result.content if block.type == "text"]
    assert texts and all(t.strip() for t in texts), result
    if result.is_error:
        assert "Unexpected error" not in texts[0], texts[0]
        assert "Traceback" not in texts[0]


@FUZZ
@given(args=conversational_args)
def test_fuzz_conversational_image(in_process_env, args):
    _check("openai_conversational_image", args)


@FUZZ
@given(args=generate_args)
def test_fuzz_generate_image(in_process_env, args):
    _check("openai_generate_image", args)


@FUZZ
@given(args=list_args)
def test_fuzz_list_conversations(in_process_env, args):
    _check("openai_list_conversations", args)


@pytest.mark.parametrize("prompt", ["x" * 100_000, "🦊" * 5000 + "\U0010fffd\U0001f600\u200b", "\x00\x01 a fox \x7f", " \n\t "])
def test_extreme_prompts_are_answered_clearly(in_process_env, prompt):
    _check("openai_generate_image", {"prompt": prompt, "dry_run": True})
