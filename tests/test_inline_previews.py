"""Inline previews only where they help: ChatGPT (clientInfo openai-mcp) and OPENAI_IMAGES_INLINE_PREVIEW=never get none."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import call_tool, result_text, stdio_client
from mcp_types import Implementation

from openai_images import inline_previews


@pytest.mark.parametrize(
    ("setting", "client", "left_out"),
    [
        ("auto", "openai-mcp", True),
        ("auto", "OpenAI-MCP ", True),
        ("auto", "claude-ai", False),
        ("auto", None, False),
        ("always", "openai-mcp", False),
        ("never", "claude-ai", True),
        ("never", None, True),
    ],
)
def test_the_setting_and_the_client_decide(setting, client, left_out):
    assert (inline_previews.left_out_because(setting, client) is not None) == left_out


def _images(result) -> list:
    return [block for block in result.content if block.type == "image"]


@pytest.mark.integration
@pytest.mark.parametrize("mode", ["legacy", "auto"])  # clientInfo from the handshake, and from the 2026-07-28 envelope
async def test_chatgpt_gets_no_inline_image_but_the_text_and_structured_content_name_the_file(server_env, fake_openai, mode):
    chatgpt = Implementation(name="openai-mcp", version="1.0.0")
    async with stdio_client(server_env, client_info=chatgpt, mode=mode) as client:
        made = await call_tool(client, "openai_generate_image", {"prompt": "A red fox in fresh snow"})
    assert not made.is_error, result_text(made)
    assert _images(made) == []
    path = made.structured_content["path"]
    assert Path(path).is_file() and f"Image saved: {path}" in result_text(made)
    assert "No inline preview in this result (ChatGPT gives image content to its model as text" in result_text(made)


@pytest.mark.integration
async def test_never_leaves_the_preview_out_for_every_client_and_always_keeps_it_for_chatgpt(server_env, fake_openai):
    async with stdio_client({**server_env, "OPENAI_IMAGES_INLINE_PREVIEW": "never"}) as client:
        never = await call_tool(client, "openai_generate_image", {"prompt": "A red fox in fresh snow"})
    chatgpt = Implementation(name="openai-mcp", version="1.0.0")
    async with stdio_client({**server_env, "OPENAI_IMAGES_INLINE_PREVIEW": "always"}, client_info=chatgpt) as client:
        always = await call_tool(client, "openai_generate_image", {"prompt": "A red fox in fresh snow"})
    async with stdio_client(server_env) as client:
        default = await call_tool(client, "openai_generate_image", {"prompt": "A red fox in fresh snow"})
    assert _images(never) == [] and Path(never.structured_content["path"]).is_file()
    assert "OPENAI_IMAGES_INLINE_PREVIEW is never" in result_text(never)
    assert len(_images(always)) == 1 and len(_images(default)) == 1
