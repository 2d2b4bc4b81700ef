"""End to end: an SVG logo through a real MCP client, sanitised before it is saved or shown and previewed as a raster."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from conftest import call_tool, result_text, stdio_client
from PIL import Image

pytestmark = pytest.mark.integration

UNSAFE = ("<script", "onload", "attacker.example", "javascript:")


def _preview(result) -> Image.Image:
    [block] = [block for block in result.content if block.type == "image"]
    return Image.open(io.BytesIO(base64.b64decode(block.data)))


async def test_an_svg_logo_is_saved_sanitised_and_previewed_as_a_raster(server_env, fake_openai):
    fake_openai.hostile_svg()  # every SVG the fake makes carries a script, an onload, outside hrefs and a javascript: link
    env = {**server_env, "OPENAI_IMAGES_SVG_MODEL": "gpt-6-astra", "OPENAI_IMAGES_SVG_REASONING_EFFORT": "low"}
    async with stdio_client(env) as client:
        made = await call_tool(client, "openai_generate_image", {"prompt": "A coffee-shop logo, flat", "output_format": "svg"})
        assert not made.is_error, result_text(made)
        data = made.structured_content
        [resource] = await client.read_resource(f"image://{data['image_id']}")
        shown = await call_tool(client, "openai_get_image", {"conversation_id": data["conversation_id"]})
    path = Path(data["path"])
    saved = path.read_bytes()
    assert path.suffix == ".svg" and data["format"] == "svg"
    assert ElementTree.fromstring(saved).tag == "{http://www.w3.org/2000/svg}svg", "a well-formed SVG document"
    for unsafe in UNSAFE:
        assert unsafe not in saved.decode("utf-8"), f"{unsafe} was saved"
    assert b"<circle" in saved, "the drawing itself is kept"
    text = result_text(made)
    assert f"SVG: {len(saved):,} bytes, viewBox '0 0 1024 1024'" in text
    assert "Removed from the SVG before it was saved, as unsafe: removed a <script> element" in text
    assert "onload handler" in text and "points outside the file" in text
    with _preview(made) as preview:
        assert preview.format == "JPEG" and max(preview.size) <= 512
        assert len(preview.convert("RGB").getcolors(maxcolors=1 << 16) or ()) > 3, "drawn by a renderer, not a blank tile"
    [request] = fake_openai.response_requests()
    tool = request["tools"][0]
    assert tool["output_format"] == "svg" and tool["svg"] == {"model": "gpt-6-astra", "reasoning": {"effort": "low"}}
    assert request.get("stream") is not True, "an SVG is polled, never streamed"
    assert resource.mime_type == "image/svg+xml" and base64.b64decode(resource.blob) == saved
    assert not shown.is_error and "image/jpeg" in {block.mime_type for block in shown.content if block.type == "image"}
    assert re.search(r"SVG author \$0\.\d{4} \(gpt-6-astra, \d+ tokens\)", text), "the SVG author's tokens are priced"


async def test_an_svg_conversation_refines_and_its_rules_are_checked_before_any_request(server_env, fake_openai):
    async with stdio_client(server_env) as client:
        made = await call_tool(client, "openai_generate_image", {"prompt": "A fox icon", "output_format": "svg"})
        refined = await call_tool(
            client, "openai_conversational_image", {"prompt": "Make it blue", "conversation_id": made.structured_content["conversation_id"]}
        )
        streamed = await call_tool(client, "openai_generate_image", {"prompt": "A fox", "output_format": "svg", "partial_images": 2})
        squeezed = await call_tool(client, "openai_generate_image", {"prompt": "A fox", "output_format": "svg", "output_compression": 50})
    assert not made.is_error and not refined.is_error, result_text(refined)
    assert Path(refined.structured_content["path"]).suffix == ".svg"
    first, second = fake_openai.response_requests()
    assert first["tools"][0]["output_format"] == "svg" and second["tools"][0]["output_format"] == "svg", "a refinement keeps it"
    assert second["previous_response_id"] == made.structured_content["response_id"]
    assert streamed.is_error and "An SVG is not streamed" in result_text(streamed)
    assert squeezed.is_error and "output_compression applies to jpeg and webp only" in result_text(squeezed)
