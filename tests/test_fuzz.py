"""Fuzzing every tool's arguments through the in-memory client: a result or a clear tool error, never a crash."""

from __future__ import annotations

import asyncio
import base64
import io
import os

import pytest
from conftest import FAKE_KEY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import MCPError
from PIL import Image

text = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "../../etc/passwd",
            "conv_0123456789abcdef",
            "img_0123456789abcdef",
            "file-abc",
            "~/x.png",
            "/dev/zero",
            "A red fox",
        ]
    ),
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


# --- stored data: every field of a conversation file, tampered with ----------------------------

_json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**40), 2**40),
        st.floats(allow_nan=False),
        st.text(max_size=40),
        st.sampled_from(["/proc/self/environ", "/dev/zero", "../../etc/passwd", "img_0123456789abcdef", "x" * 200_000]),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)),
    max_leaves=6,
)
TAMPER_EXAMPLES = int(os.environ.get("TAMPER_EXAMPLES", "150"))  # about 10 s; raise it to search harder
_SURROGATE_ESCAPE = '"\\ud800 tampered"'  # valid JSON text, but not Unicode: pydantic refuses it


def _paths(value, prefix=()):
    """Every (path to a field) in a parsed JSON document, containers included."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _set(document, path, value):
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


@pytest.fixture
def made_conversation(in_process_env, fake_openai):
    """A real conversation with a dialogue and two images, made through the tools; its file and image id."""
    from pathlib import Path

    from fastmcp import Client

    import openai_images_mcp

    async def run():
        async with Client(openai_images_mcp.mcp) as client:
            first = await client.call_tool_mcp("openai_conversational_image", {"prompt": "A logo for a bakery", "dialogue_mode": "quick"})
            conversation_id = first.structured_content["conversation_id"]
            made = await client.call_tool_mcp("openai_conversational_image", {"prompt": "generate now", "conversation_id": conversation_id})
            await client.call_tool_mcp("openai_conversational_image", {"prompt": "Make it blue", "conversation_id": conversation_id})
            return conversation_id, made.structured_content["image_id"]

    openai_images_mcp.services = openai_images_mcp.Services()
    conversation_id, image_id = asyncio.run(run())
    path = Path(in_process_env["OPENAI_IMAGES_DATA_DIR"]) / "conversations" / f"{conversation_id}.json"
    return path, path.read_text(), conversation_id, image_id


@settings(max_examples=TAMPER_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_tampered_conversation_files_get_clear_answers(made_conversation, data):
    import json

    from fastmcp import Client

    import openai_images_mcp

    path, original, conversation_id, image_id = made_conversation
    document = json.loads(original)
    field = data.draw(st.sampled_from([p for p in _paths(document) if p]), label="field")
    if data.draw(st.booleans(), label="surrogate"):
        _set(document, field, "SURROGATE")
        text = json.dumps(document).replace('"SURROGATE"', _SURROGATE_ESCAPE)
    else:
        _set(document, field, data.draw(_json_values, label="value"))
        text = json.dumps(document)
    path.write_text(text)
    openai_images_mcp.services = openai_images_mcp.Services()

    async def calls():
        async with Client(openai_images_mcp.mcp) as client:
            answers = [
                await client.call_tool_mcp("openai_list_conversations", {"query": "bakery"}),
                await client.call_tool_mcp("openai_list_conversations", {}),
                await client.call_tool_mcp(
                    "openai_conversational_image", {"prompt": "Now green", "conversation_id": conversation_id, "dry_run": True}
                ),
                await client.call_tool_mcp(
                    "openai_conversational_image", {"prompt": "Again", "input_image_file_id": image_id, "dry_run": True}
                ),
            ]
            for uri in (f"image://{image_id}", f"conversation://{conversation_id}"):
                try:
                    [content] = await client.read_resource(uri)
                except MCPError as exc:  # a refusal is fine; it must be one of ours, not a crash
                    assert exc.error.code in (-32602, -32603) and exc.error.data == {"uri": uri}, exc
                    assert "Error reading resource" not in exc.error.message and "Traceback" not in exc.error.message, exc
                    continue
                if uri.startswith("image://"):  # whatever the file says, only a real image comes back
                    Image.open(io.BytesIO(base64.b64decode(content.blob))).load()
            return answers

    try:
        for result in asyncio.run(asyncio.wait_for(calls(), 30)):
            texts = [block.text for block in result.content if block.type == "text"]
            assert texts and "Unexpected error" not in texts[0] and "Traceback" not in texts[0], (field, texts)
            assert FAKE_KEY not in result.model_dump_json()
            assert len(result.model_dump_json().encode()) < 100_000
    finally:
        path.write_text(original)
