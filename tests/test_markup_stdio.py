"""Markup edits: a transparent PNG drawn over an image goes to POST /v1/images/edits with that image and the note,
and the edited image lands as a turn of the conversation like any other; a bad markup is refused before anything is sent."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
from pathlib import Path

import pytest
from conftest import call_tool, result_text, stdio_client
from fastmcp import Client
from PIL import Image, ImageDraw

pytestmark = pytest.mark.integration

MARKUP_MODEL = "gpt-image-2.5-sunburst"  # images.edit `markup`: "Supports GPT Image 2.5."
SAVED = r"openai_image_\d{8}_\d{6}_[0-9a-f]{8}\.png"


@pytest.fixture
def markup_env(server_env) -> dict[str, str]:
    return {**server_env, "OPENAI_IMAGE_MODEL": MARKUP_MODEL}


def markup_png(path: Path, size: tuple[int, int], *, opaque: bool = False, alpha: int = 0) -> Path:
    """A transparent canvas of `size` with one red stroke across it (`opaque`: a white canvas instead; `alpha`: its see-through)."""
    canvas = Image.new("RGBA", size, (255, 255, 255, 255) if opaque else (0, 0, 0, alpha))
    ImageDraw.Draw(canvas).line((10, 10, size[0] - 10, size[1] - 10), fill=(230, 20, 20, 255), width=12)
    canvas.save(path, "PNG")
    return path


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def stored(home, conversation_id: str) -> dict:
    return json.loads((home["data"] / "conversations" / f"{conversation_id}.json").read_text())


async def test_a_markup_edit_sends_image_markup_and_note_to_images_edits_and_records_the_turn(markup_env, fake_openai, home, tmp_path):
    markup = markup_png(tmp_path / "marks.png", (1024, 1024))
    async with stdio_client(markup_env) as client:
        first = await call_tool(client, "openai_generate_image", {"prompt": "A lighthouse on a cliff", "size": "1024x1024"})
        conversation_id = first.structured_content["conversation_id"]
        edited = await call_tool(
            client,
            "openai_conversational_image",
            {"conversation_id": conversation_id, "prompt": "put a red boat where I drew", "markup_path": str(markup)},
        )
    assert not edited.is_error, result_text(edited)

    [sent] = fake_openai.image_requests("edits")
    assert (sent["prompt"], sent["model"], sent["size"]) == ("put a red boat where I drew", MARKUP_MODEL, "1024x1024")
    [image] = sent["image"]
    saved_first = Path(first.structured_content["path"]).read_bytes()
    assert decoded(image.data).tobytes() == decoded(saved_first).tobytes()  # the conversation's image, as saved
    assert decoded(sent["markup"].data).convert("RGBA").tobytes() == decoded(markup.read_bytes()).convert("RGBA").tobytes()
    assert sent["markup"].content_type == "image/png" and "mask" not in sent
    assert len(fake_openai.response_requests()) == 1  # only the first image went through the Responses API

    result = edited.structured_content
    path = Path(result["path"])
    assert path.parent == home["output"] and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert re.fullmatch(SAVED, path.name)
    assert decoded(path.read_bytes()).size == (1024, 1024)
    assert result["cost_usd"] is not None and any(block.type == "image" for block in edited.content)
    saved = stored(home, conversation_id)
    record = saved["images"][-1]
    assert (record["image_id"], record["path"], record["parent_id"]) == (
        result["image_id"],
        str(path),
        first.structured_content["image_id"],
    )
    assert record["response_id"] is None and record["model"] == MARKUP_MODEL and record["cost_usd"] == result["cost_usd"]
    assert [m["text"] for m in saved["messages"] if m["role"] == "user"][-1] == "put a red boat where I drew"
    assert saved["pending_render"] is None


async def test_a_refinement_after_a_markup_edit_sends_the_edited_image_instead_of_chaining(markup_env, fake_openai, home, tmp_path):
    markup = markup_png(tmp_path / "marks.png", (1024, 1024))
    async with stdio_client(markup_env) as client:
        first = await call_tool(client, "openai_generate_image", {"prompt": "A lighthouse", "size": "1024x1024"})
        conversation_id = first.structured_content["conversation_id"]
        edited = await call_tool(
            client, "openai_conversational_image", {"conversation_id": conversation_id, "prompt": "a boat here", "markup_path": str(markup)}
        )
        refined = await call_tool(client, "openai_conversational_image", {"conversation_id": conversation_id, "prompt": "make it night"})
        branch = await call_tool(
            client,
            "openai_conversational_image",
            {"conversation_id": conversation_id, "prompt": "make it foggy", "image_id": edited.structured_content["image_id"]},
        )
    assert not refined.is_error and not branch.is_error, result_text(refined) + result_text(branch)
    later = fake_openai.response_requests()[1:]
    assert len(later) == 2
    edited_pixels = decoded(Path(edited.structured_content["path"]).read_bytes()).tobytes()
    for request in later:
        assert "previous_response_id" not in request  # the edit left no response to chain from
        parts = request["input"][0]["content"]
        assert parts[0] == {"type": "input_text", "text": parts[0]["text"]}
        [picture] = [part for part in parts if part["type"] == "input_image"]
        data = base64.b64decode(picture["image_url"].split(",", 1)[1])
        assert decoded(data).tobytes() == edited_pixels
    assert "came from a markup edit" in result_text(refined)
    images = stored(home, conversation_id)["images"]
    assert [image["parent_id"] for image in images[2:]] == [edited.structured_content["image_id"]] * 2
    # And a turn after those chains again, from the Responses turn it refines.
    assert images[-1]["response_id"] and stored(home, conversation_id)["last_response_id"] == images[-1]["response_id"]


async def _in_memory(arguments: list[dict]) -> list:
    import openai_images_mcp

    async with Client(openai_images_mcp.mcp) as client:
        return [await client.call_tool_mcp(name, args) for name, args in arguments]


@pytest.fixture
def in_process_markup(in_process_env, monkeypatch):
    import openai_images_mcp

    monkeypatch.setenv("OPENAI_IMAGE_MODEL", MARKUP_MODEL)
    monkeypatch.setattr(openai_images_mcp, "services", openai_images_mcp.Services())
    return in_process_env


@pytest.fixture
def conversation(in_process_markup, fake_openai) -> dict:
    """A conversation with one 1024x1024 image, made in process; the structured result."""
    [made] = asyncio.run(_in_memory([("openai_generate_image", {"prompt": "A lighthouse", "size": "1024x1024"})]))
    assert not made.is_error, made.content
    return made.structured_content


def _refused(arguments: dict, fake_openai) -> str:
    before = len(fake_openai.requests)
    [result] = asyncio.run(_in_memory([("openai_conversational_image", arguments)]))
    assert result.is_error, result.content
    assert len(fake_openai.requests) == before, "nothing may be sent"
    return result.content[0].text


def test_markup_with_a_mask_is_refused_before_any_request(conversation, fake_openai, tmp_path):
    markup = markup_png(tmp_path / "marks.png", (1024, 1024))
    mask = markup_png(tmp_path / "mask.png", (1024, 1024))
    args = {"conversation_id": conversation["conversation_id"], "prompt": "a boat", "markup_path": str(markup), "mask_path": str(mask)}
    text = _refused(args, fake_openai)
    assert "markup_path cannot be combined with mask_path" in text and "leave mask_path out" in text


def test_a_markup_of_the_wrong_size_is_refused_with_both_sizes(conversation, fake_openai, tmp_path):
    markup = markup_png(tmp_path / "marks.png", (1024, 768))
    text = _refused({"conversation_id": conversation["conversation_id"], "prompt": "a boat", "markup_path": str(markup)}, fake_openai)
    assert "the markup is 1024x768" in text and "1024x1024" in text and conversation["image_id"] in text
    assert "transparent 1024x1024 canvas" in text


def test_a_fully_opaque_markup_is_refused(conversation, fake_openai, tmp_path):
    markup = markup_png(tmp_path / "marks.png", (1024, 1024), opaque=True)
    text = _refused({"conversation_id": conversation["conversation_id"], "prompt": "a boat", "markup_path": str(markup)}, fake_openai)
    assert "has no fully transparent pixels" in text and "alpha 0" in text


def test_a_markup_only_faint_everywhere_is_refused_as_openai_would(conversation, fake_openai, tmp_path):
    markup = markup_png(tmp_path / "marks.png", (1024, 1024), alpha=40)
    text = _refused({"conversation_id": conversation["conversation_id"], "prompt": "a boat", "markup_path": str(markup)}, fake_openai)
    assert "has no fully transparent pixels" in text


def test_a_markup_that_is_not_a_png_is_refused(conversation, fake_openai, tmp_path):
    markup = tmp_path / "marks.jpg"
    Image.new("RGB", (1024, 1024), "white").save(markup, "JPEG")
    text = _refused({"conversation_id": conversation["conversation_id"], "prompt": "a boat", "markup_path": str(markup)}, fake_openai)
    assert "must be a PNG with transparency" in text


def test_markup_needs_a_gpt_image_2_5_or_2_6_model(in_process_env, fake_openai, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_IMAGE_MODEL", "gpt-image-2")
    photo = tmp_path / "photo.png"
    Image.new("RGB", (1024, 1024), "navy").save(photo)
    markup = markup_png(tmp_path / "marks.png", (1024, 1024))
    text = _refused({"prompt": "a boat", "input_image_path": str(photo), "markup_path": str(markup)}, fake_openai)
    assert "needs a GPT Image 2.5 or 2.6 model" in text and "OPENAI_IMAGE_MODEL" in text and "gpt-image-2.6-sunburst" in text


async def test_a_markup_edit_works_on_the_default_image_model(server_env, fake_openai, tmp_path):
    photo = tmp_path / "photo.png"
    Image.new("RGB", (1024, 1024), "navy").save(photo)
    markup = markup_png(tmp_path / "marks.png", (1024, 1024))
    async with stdio_client(server_env) as client:  # OPENAI_IMAGE_MODEL unset: gpt-image-2.6-sunburst
        edited = await call_tool(
            client, "openai_conversational_image", {"prompt": "a red boat here", "input_image_path": str(photo), "markup_path": str(markup)}
        )
    assert not edited.is_error, result_text(edited)
    [sent] = fake_openai.image_requests("edits")
    assert "markup" in sent and sent.get("model", "gpt-image-2.6-sunburst") == "gpt-image-2.6-sunburst"


def test_a_markup_dry_run_shows_the_images_edit_request(conversation, fake_openai, tmp_path):
    markup = markup_png(tmp_path / "marks.png", (1024, 1024))
    before = len(fake_openai.requests)
    args = {"conversation_id": conversation["conversation_id"], "prompt": "a boat", "markup_path": str(markup), "dry_run": True}
    [result] = asyncio.run(_in_memory([("openai_conversational_image", args)]))
    assert not result.is_error and len(fake_openai.requests) == before
    request = result.structured_content["request"]
    assert "POST /images/edits" in result.content[0].text
    assert request["markup"].startswith("<markup.png, image/png,") and request["image"].startswith("<image_1.png, image/png,")
    assert (request["model"], request["prompt"]) == (MARKUP_MODEL, "a boat")


@pytest.mark.parametrize("keep_metadata", ["false", "true"])
def test_a_markup_over_an_exif_rotated_photo_matches_the_photo_as_shown(
    in_process_markup, fake_openai, tmp_path, monkeypatch, keep_metadata
):
    import openai_images_mcp

    monkeypatch.setenv("OPENAI_IMAGES_KEEP_METADATA", keep_metadata)
    monkeypatch.setattr(openai_images_mcp, "services", openai_images_mcp.Services())
    photo = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 1536x1024 on its side: shown 1024x1536
    Image.new("RGB", (1536, 1024), (40, 120, 200)).save(photo, "JPEG", exif=exif.tobytes())
    stored_way = markup_png(tmp_path / "stored.png", (1536, 1024))
    shown_way = markup_png(tmp_path / "shown.png", (1024, 1536))

    text = _refused({"prompt": "a hat on him", "input_image_path": str(photo), "markup_path": str(stored_way)}, fake_openai)
    assert "the markup is 1536x1024" in text and "is 1024x1536" in text and "EXIF orientation" in text

    args = {"prompt": "a hat on him", "input_image_path": str(photo), "markup_path": str(shown_way), "size": "1024x1536"}
    [made] = asyncio.run(_in_memory([("openai_conversational_image", args)]))
    assert not made.is_error, made.content
    [sent] = fake_openai.image_requests("edits")
    assert decoded(sent["markup"].data).size == (1024, 1536)
    with decoded(sent["image"][0].data) as image:
        assert image.format == "JPEG"
        assert (image.size, image.getexif().get(0x0112)) == (((1536, 1024), 6) if keep_metadata == "true" else ((1024, 1536), None))
    assert Path(made.structured_content["path"]).exists() and made.structured_content["conversation_id"]


def test_the_gallerys_markup_tool_saves_the_drawing_in_the_data_folder_and_makes_the_edit(conversation, fake_openai, home):
    from fastmcp.apps.config import UI_EXTENSION_ID
    from mcp.client import advertise

    import openai_images_mcp

    buffer = io.BytesIO()
    canvas = Image.new("RGBA", (1024, 1024), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).ellipse((400, 400, 600, 600), outline=(255, 0, 0, 255), width=8)
    canvas.save(buffer, "PNG")
    arguments = {
        "conversation_id": conversation["conversation_id"],
        "image_id": conversation["image_id"],
        "prompt": "a red balloon in the circle",
        "markup_png": base64.b64encode(buffer.getvalue()).decode(),
    }

    async def run():
        apps = advertise(UI_EXTENSION_ID, {"mimeTypes": ["text/html;profile=mcp-app"]})
        async with Client(openai_images_mcp.mcp, extensions=[apps]) as client:
            return await client.call_tool_mcp("openai_gallery_markup", arguments)

    made = asyncio.run(run())
    assert not made.is_error, made.content
    [drawing] = (home["data"] / "markups").iterdir()
    assert re.fullmatch(r"markup_\d{8}_\d{6}_[0-9a-f]{8}\.png", drawing.name) and drawing.read_bytes() == buffer.getvalue()
    assert not any(path.name.startswith("markup_") for path in home["output"].iterdir())  # drawings are not images
    [sent] = fake_openai.image_requests("edits")
    assert sent["prompt"] == "a red balloon in the circle"
    assert decoded(sent["markup"].data).convert("RGBA").tobytes() == canvas.tobytes()
    result = made.structured_content
    assert result["conversation_id"] == conversation["conversation_id"] and Path(result["path"]).is_file()
    images = stored(home, conversation["conversation_id"])["images"]
    assert [image["image_id"] for image in images] == [conversation["image_id"], result["image_id"]]
    assert images[1]["parent_id"] == conversation["image_id"]
