"""The gallery's server side (gallery.py) on a FastMCP of its own: the ui:// view, and the app-only tools that list a
conversation's images and hand out their saved bytes in chunks, each user only their own; all of it only for
clients that declared MCP Apps."""

from __future__ import annotations

import base64
import io
import json
import os
import re
from pathlib import Path

import pytest
from conftest import image_bytes
from fastmcp import Client, FastMCP
from fastmcp.apps.config import UI_EXTENSION_ID
from mcp.client import advertise
from PIL import Image

from openai_images import gallery, storage
from openai_images.services import Services
from openai_images.settings import Settings

CLAUDE_DESKTOP_RESULT_CAP = 1_000_000  # bytes of one tool result (rendering.py)


@pytest.fixture
def local(tmp_path) -> Services:
    return Services(
        Settings.from_env({"OPENAI_IMAGES_OUTPUT_DIR": str(tmp_path / "out"), "OPENAI_IMAGES_DATA_DIR": str(tmp_path / "data")})
    )


@pytest.fixture
def caller(local):
    """Whose call it is: `caller.user` is the local user unless a test names another."""

    def current() -> Services:
        return local.for_user(current.user)

    current.user = local.user
    return current


@pytest.fixture
def server(caller) -> FastMCP:
    mcp = FastMCP("gallery-test")

    @mcp.tool(name="make_image", meta=gallery.TOOL_META)
    def make_image(prompt: str) -> str:
        """A stand-in for the generating tools, which name the view the same way."""
        return prompt

    gallery.register(mcp, caller=caller)
    return mcp


def apps_client(server: FastMCP) -> Client:
    """A client that declares MCP Apps, as Claude, ChatGPT and VS Code do in their initialize request."""
    return Client(server, extensions=[advertise(UI_EXTENSION_ID, {"mimeTypes": ["text/html;profile=mcp-app"]})])


def saved_conversation(svc: Services, *images: bytes, title: str = "a red fox in snow") -> storage.Conversation:
    """A conversation of `svc`'s whose images are these files, saved where the server saves them; the second refines the first."""
    folder = svc.settings.output_dir
    folder.mkdir(parents=True, exist_ok=True)
    conversation = storage.new_conversation(title)
    parent = None
    for number, data in enumerate(images):
        path = folder / f"openai_image_20260101_12000{number}_{os.urandom(4).hex()}.png"
        path.write_bytes(data)
        record = storage.ImageRecord(
            image_id=storage.new_image_id(),
            path=str(path),
            prompt=f"{title}, take {number + 1}",
            size="64x48",
            model="gpt-image-2",
            cost_usd=0.01,
            parent_id=parent,
        )
        conversation.images.append(record)
        parent = record.image_id
    svc.store.save(conversation)
    return conversation


async def test_the_view_is_an_mcp_app_resource_that_loads_nothing_from_anywhere(server):
    async with apps_client(server) as client:
        listed = {str(resource.uri): resource for resource in await client.list_resources()}
        content = (await client.read_resource_mcp(gallery.VIEW_URI)).contents[0]
    assert listed[gallery.VIEW_URI].mime_type == content.mime_type == "text/html;profile=mcp-app"
    assert content.meta["ui"] == {"prefersBorder": True}  # no csp: the hosts' restrictive default applies
    html = content.text
    assert html.startswith("<!DOCTYPE html>")
    # Offline: no URL, no external script, stylesheet, font or import.
    assert not re.search(r"https?://|<script[^>]+src|<link|@import|@font-face|url\(", html)


async def test_the_gallery_tools_are_for_the_app_only_and_read_only_but_the_markup(server):
    async with apps_client(server) as client:
        tools = {tool.name: tool for tool in await client.list_tools()}
    assert set(tools) == {"make_image", "openai_gallery", "openai_gallery_image", "openai_gallery_markup"}
    assert tools.pop("make_image").meta["ui"] == {"resourceUri": gallery.VIEW_URI}
    markup = tools.pop("openai_gallery_markup")
    assert markup.meta["ui"] == {"visibility": ["app"]}
    assert (markup.annotations.read_only_hint, markup.annotations.destructive_hint, markup.annotations.open_world_hint) == (
        False,
        False,
        True,
    )
    assert set(markup.input_schema["required"]) == {"conversation_id", "image_id", "prompt", "markup_png"}
    for tool in tools.values():
        assert tool.meta["ui"] == {"visibility": ["app"]}
        assert (tool.annotations.read_only_hint, tool.annotations.destructive_hint) == (True, False)


@pytest.mark.parametrize(
    ("drawing", "says"),
    [
        ("A" * (gallery.MAX_MARKUP_BASE64 + 4), "markup_png is 3,145,732 characters of base64; the gallery sends at most 3,145,728"),
        ("data:image/png;base64,AAAA", "markup_png is not base64"),
        (base64.b64encode(image_bytes(fmt="JPEG")).decode(), "markup_png is not a PNG"),
    ],
)
async def test_a_drawing_too_big_or_not_a_png_is_refused_and_nothing_is_saved(server, local, drawing, says):
    conversation = saved_conversation(local, image_bytes())
    arguments = {"conversation_id": conversation.id, "image_id": conversation.images[0].image_id, "prompt": "a hat", "markup_png": drawing}
    async with apps_client(server) as client:
        refused = await client.call_tool_mcp("openai_gallery_markup", arguments)
    assert refused.is_error and says in refused.content[0].text
    assert not (local.settings.data_dir / gallery.MARKUPS_FOLDER).exists()


async def test_the_gallery_lists_the_conversations_images_with_what_each_refined(server, local):
    conversation = saved_conversation(local, image_bytes(), image_bytes(color=(0, 90, 200)))
    first, second = conversation.images
    async with apps_client(server) as client:
        result = await client.call_tool("openai_gallery", {"conversation_id": conversation.id})
    listed = result.structured_content
    assert (listed["conversation_id"], listed["title"], listed["rendering"], listed["question_pending"]) == (
        conversation.id,
        "a red fox in snow",
        False,
        False,
    )
    assert [(image["image_id"], image["parent_id"], image["mime_type"]) for image in listed["images"]] == [
        (first.image_id, None, "image/png"),
        (second.image_id, first.image_id, "image/png"),
    ]
    assert listed["images"][1]["file_name"] == os.path.basename(second.path)
    assert listed["total_cost_usd"] == pytest.approx(0.02)
    assert listed["chunk_bytes"] == gallery.CHUNK_BYTES


async def test_an_image_comes_in_chunks_under_the_result_cap_that_add_up_to_the_saved_file(server, local):
    buffer = io.BytesIO()  # noise does not compress: about 1.5 MB of PNG, three chunks
    Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3)).save(buffer, "PNG")
    noisy = buffer.getvalue()
    assert len(noisy) > 2 * gallery.CHUNK_BYTES
    conversation = saved_conversation(local, noisy)
    image_id = conversation.images[0].image_id
    parts, offset = [], 0
    async with apps_client(server) as client:
        while offset is not None:
            raw = await client.call_tool_mcp(
                "openai_gallery_image", {"conversation_id": conversation.id, "image_id": image_id, "offset": offset}
            )
            assert len(json.dumps(raw.model_dump(by_alias=True, mode="json"))) < CLAUDE_DESKTOP_RESULT_CAP
            chunk = raw.structured_content
            assert (chunk["offset"], chunk["total_bytes"], chunk["mime_type"]) == (offset, len(noisy), "image/png")
            parts.append(base64.b64decode(chunk["data"]))
            offset = chunk["next_offset"]
    assert len(parts) == 3 and b"".join(parts) == noisy


async def _listed_and_first_chunk(server, local, data: bytes, fmt: str) -> tuple[dict, dict]:
    """A conversation whose saved image is `data`, of format `fmt`, through the gallery: its listing and first chunk."""
    conversation = saved_conversation(local, image_bytes())
    saved = Path(conversation.images[0].path).with_suffix(f".{fmt}")
    saved.write_bytes(data)

    def as_saved(stored: storage.Conversation) -> None:
        stored.images[0].path, stored.images[0].format = str(saved), fmt

    local.store.update(conversation.id, as_saved)
    async with apps_client(server) as client:
        listed = (await client.call_tool("openai_gallery", {"conversation_id": conversation.id})).structured_content
        chunk = (
            await client.call_tool_mcp(
                "openai_gallery_image", {"conversation_id": conversation.id, "image_id": conversation.images[0].image_id}
            )
        ).structured_content
    return listed, chunk


async def test_an_animated_gif_is_handed_out_whole_as_image_gif(server, local):
    frames = [Image.new("RGB", (64, 48), color) for color in ((250, 40, 40), (40, 250, 40), (40, 40, 250))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    animation = buffer.getvalue()
    listed, chunk = await _listed_and_first_chunk(server, local, animation, "gif")
    assert listed["images"][0]["mime_type"] == chunk["mime_type"] == "image/gif"
    assert base64.b64decode(chunk["data"]) == animation and chunk["next_offset"] is None


async def test_an_svg_is_handed_out_sanitised_again_as_image_svg(server, local):
    planted = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48" viewBox="0 0 64 48" onload="alert(1)">'
        b'<rect width="64" height="48" fill="#c33"/><script>alert(2)</script></svg>'
    )  # as if another program had written into the saved file since
    listed, chunk = await _listed_and_first_chunk(server, local, planted, "svg")
    assert listed["images"][0]["mime_type"] == chunk["mime_type"] == "image/svg+xml"
    shown = base64.b64decode(chunk["data"])
    assert b"<rect" in shown and b"<script" not in shown and b"onload" not in shown


async def test_an_image_is_found_only_in_its_own_conversation_and_only_within_the_file(server, local):
    one = saved_conversation(local, image_bytes())
    other = saved_conversation(local, image_bytes(), title="a blue whale")
    async with apps_client(server) as client:
        elsewhere = await client.call_tool_mcp("openai_gallery_image", {"conversation_id": other.id, "image_id": one.images[0].image_id})
        past = await client.call_tool_mcp(
            "openai_gallery_image", {"conversation_id": one.id, "image_id": one.images[0].image_id, "offset": 10**9}
        )
    assert elsewhere.is_error and f"Conversation {other.id} has no image {one.images[0].image_id!r}" in elsewhere.content[0].text
    assert past.is_error and "is past the end" in past.content[0].text


async def test_each_user_sees_only_their_own_conversations(server, local, caller):
    caller.user = "alice"
    alices = saved_conversation(local.for_user("alice"), image_bytes())
    async with apps_client(server) as client:
        assert not (await client.call_tool_mcp("openai_gallery", {"conversation_id": alices.id})).is_error
        caller.user = "bob"
        seen = await client.call_tool_mcp("openai_gallery", {"conversation_id": alices.id})
        image = await client.call_tool_mcp("openai_gallery_image", {"conversation_id": alices.id, "image_id": alices.images[0].image_id})
    assert seen.is_error and image.is_error
    assert alices.id in seen.content[0].text and "image/png" not in json.dumps(image.model_dump(mode="json"))


async def test_a_file_that_is_not_one_the_server_saved_is_not_read(server, local, tmp_path):
    conversation = saved_conversation(local, image_bytes())
    outside = tmp_path / "secret.png"
    outside.write_bytes(image_bytes())
    local.store.update(conversation.id, lambda stored: setattr(stored.images[0], "path", str(outside)))
    async with apps_client(server) as client:
        refused = await client.call_tool_mcp(
            "openai_gallery_image", {"conversation_id": conversation.id, "image_id": conversation.images[0].image_id}
        )
    assert refused.is_error and "outside the output folder" in refused.content[0].text


@pytest.mark.parametrize(
    "declared", [None, {}, {"mimeTypes": []}, {"mimeTypes": ["text/html"]}, {"mimeTypes": "text/html;profile=mcp-app"}]
)
async def test_a_client_without_apps_sees_the_server_as_it_was_before_the_gallery(server, local, declared):
    conversation = saved_conversation(local, image_bytes())
    extensions = [] if declared is None else [advertise(UI_EXTENSION_ID, declared)]  # the extension without the view's MIME type
    async with Client(server, extensions=extensions) as client:
        tools = await client.list_tools()
        resources = await client.list_resources()
        refused = await client.call_tool_mcp(
            "openai_gallery_image", {"conversation_id": conversation.id, "image_id": conversation.images[0].image_id}
        )
        drawing = base64.b64encode(image_bytes(mode="RGBA", color=(0, 0, 0, 0))).decode()
        arguments = {"conversation_id": conversation.id, "image_id": conversation.images[0].image_id, "prompt": "x", "markup_png": drawing}
        no_markup = await client.call_tool_mcp("openai_gallery_markup", arguments)
    assert [(tool.name, "ui" in (tool.meta or {})) for tool in tools] == [("make_image", False)]
    assert resources == []
    assert refused.is_error and "clients with MCP Apps" in refused.content[0].text
    assert refused.structured_content is None
    assert no_markup.is_error and "clients with MCP Apps" in no_markup.content[0].text
    assert not (local.settings.data_dir / gallery.MARKUPS_FOLDER).exists()
