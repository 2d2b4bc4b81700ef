"""What independent MCP clients see: a readable resource link, spec-shaped errors for unknown ids, our version, plain argument errors."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from conftest import call_tool, result_text, stdio_client
from mcp import MCPError

import openai_images_mcp

pytestmark = pytest.mark.integration


async def test_server_info_carries_the_project_version(server_env):
    async with stdio_client(server_env) as client:
        info = client.server_info
    assert info.name == "openai-images"
    assert info.version == openai_images_mcp.__version__


async def test_the_resource_link_in_a_result_reads_back_the_saved_bytes(server_env, fake_openai):
    async with stdio_client(server_env) as client:
        result = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        assert not result.is_error, result_text(result)
        link = next(block for block in result.content if block.type == "resource_link")
        [content] = await client.read_resource(str(link.uri))
    saved = Path(result.structured_content["path"])
    assert str(link.uri) == f"image://{result.structured_content['image_id']}"
    assert base64.b64decode(content.blob) == saved.read_bytes()
    assert result.structured_content["uri"] == saved.as_uri()  # the file:// URI stays for clients that open files


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        ("image://img_0000000000000000", "No saved image"),
        ("conversation://conv_0000000000000000", "No conversation conv_0000000000000000"),
        ("conversation://nope", "ids look like conv_0123456789abcdef"),
    ],
)
async def test_unknown_ids_under_our_templates_are_invalid_params_naming_the_uri(server_env, tmp_path, uri, says):
    log = tmp_path / "server.log"
    async with stdio_client(server_env, log_file=log) as client:
        with pytest.raises(MCPError) as raised:
            await client.read_resource(uri)
    error = raised.value.error
    assert error.code == -32602
    assert error.data == {"uri": uri}
    assert says in error.message
    stderr = log.read_text()
    assert "Traceback" not in stderr and "╭" not in stderr  # one line, no traceback box
    assert sum(uri in line for line in stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            {"prompt": "A fox", "quality": "ultra"},
            "quality='ultra' is not allowed; use one of 'low', 'medium', 'high', 'auto', 'xhigh' or 'max'",
        ),
        ({"prompt": "A fox", "partial_images": 9}, "partial_images=9 is out of range; it must be at most 3"),
        ({"prompt": "A fox", "output_compression": "lots"}, "output_compression='lots' is not a whole number"),
        ({"quality": "low"}, "prompt is required"),
    ],
)
async def test_argument_errors_are_answered_in_our_own_words(server_env, fake_openai, args, says):
    async with stdio_client(server_env) as client:
        result = await call_tool(client, "openai_generate_image", args)
    text = result_text(result)
    assert result.is_error
    assert text.startswith("Invalid arguments for openai_generate_image: ") and says in text, text
    assert "validation error" not in text and "pydantic" not in text
    assert fake_openai.requests == []
