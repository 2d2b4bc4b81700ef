"""The gallery (gallery.py) in a real browser (slow): headless Chromium shows the MCP App view in a test host page that
plays the host side of MCP Apps with the ext-apps SDK's AppBridge, wired to the real server over stdio.

tests/gallery_host/ holds the host page, its script (bundled by esbuild when the test runs) and the playwright-core
script that clicks through the view; its package.json pins the npm packages, installed into the test run's own
folder. Chromium is Debian's (`apt-get install chromium`). Set GALLERY_SCREENSHOT=docs/gallery.png to keep the
screenshot the README shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import uvicorn
from conftest import ROOT, stdio_client
from fastmcp.apps.config import UI_EXTENSION_ID
from filelock import FileLock
from http_helpers import free_port
from mcp.client import advertise
from npm_helpers import missing, npm_project
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from openai_images import gallery, storage

pytestmark = [pytest.mark.slow, pytest.mark.integration]

HOST_FILES = Path(__file__).resolve().parent / "gallery_host"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
TEST = "the gallery's browser test"
VARIATION_PROMPT = "Make a variation of this image: keep its subject, style and composition, and vary the details."
MAX_SCREENSHOT_BYTES = 300_000


@pytest.fixture(scope="session")
def host_files(tmp_path_factory) -> Path:
    """A folder with tests/gallery_host's files, its npm packages and host.mjs bundled into host.js.

    The files are copied and bundled again each run (npm_helpers.npm_project), under a lock for parallel workers.
    """
    if not Path(CHROMIUM).exists():
        missing(f"Chromium at {CHROMIUM} (apt-get install chromium)", TEST)
    folder = npm_project(HOST_FILES, tmp_path_factory.getbasetemp().parent, test=TEST)
    with FileLock(str(folder) + ".lock"):
        bundle = [
            str(folder / "node_modules" / ".bin" / "esbuild"),
            "host.mjs",
            "--bundle",
            "--format=esm",
            "--platform=browser",
            "--outfile=host.js",
        ]
        subprocess.run(bundle, cwd=folder, check=True, capture_output=True, text=True, timeout=120)
    return folder


@contextlib.asynccontextmanager
async def serving(app: Starlette):
    """`app` on a free port of 127.0.0.1, in this event loop; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def host_app(folder: Path, boot: dict, client, calls: list[dict]) -> Starlette:
    """The host page, its script, what the page boots from, and the bridge that sends the view's requests to the server."""

    async def rpc(request: Request) -> Response:
        message = await request.json()
        calls.append(message)
        if message["method"] != "tools/call":
            return JSONResponse({"error": f"the test host forwards only tools/call, not {message['method']}"})
        params = message["params"]
        result = await client.call_tool_mcp(params["name"], params.get("arguments") or {})
        return JSONResponse({"result": wire(result)})

    return Starlette(
        routes=[
            Route("/", lambda request: FileResponse(folder / "host.html")),
            Route("/host.js", lambda request: FileResponse(folder / "host.js", media_type="text/javascript")),
            Route("/boot.json", lambda request: JSONResponse(boot)),
            Route("/rpc", rpc, methods=["POST"]),
        ]
    )


def wire(model) -> dict:
    """An MCP result or definition as JSON-RPC carries it."""
    return model.model_dump(by_alias=True, exclude_none=True, mode="json")


async def drive(folder: Path, config: dict) -> dict:
    """Run drive.mjs with `config`; its one line of JSON says what it saw in the browser."""
    process = await asyncio.create_subprocess_exec(
        "node",
        str(folder / "drive.mjs"),
        json.dumps(config),
        cwd=folder,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=300)
    assert process.returncode == 0, err.decode(errors="replace")[-3000:]
    seen = json.loads(out.decode().strip().splitlines()[-1])
    assert "error" not in seen, f"{seen['error']}\nhost log: {seen.get('host_log')}\nconsole: {seen.get('console')}"
    return seen


async def test_the_gallery_renders_the_images_and_its_buttons_call_the_tools(host_files, server_env, home, fake_openai, tmp_path):
    calls: list[dict] = []
    # The test's client is the host's: it declares MCP Apps, as Claude, ChatGPT and VS Code do.
    apps = advertise(UI_EXTENSION_ID, {"mimeTypes": ["text/html;profile=mcp-app"]})
    async with stdio_client(server_env, log_file=tmp_path / "server.log", extensions=[apps]) as client:
        fake_openai.photo_like = True  # the first image weighs what a real one does: its bytes come in several chunks
        first = await client.call_tool_mcp(
            "openai_generate_image", {"prompt": "A lighthouse on a cliff at dusk, watercolour", "size": "1536x1024"}
        )
        fake_openai.photo_like = False
        conversation_id = first.structured_content["conversation_id"]
        arguments = {"conversation_id": conversation_id, "prompt": "add a sailing boat"}
        second = await client.call_tool_mcp("openai_conversational_image", arguments)
        assert not second.is_error, second.content
        tools = {tool.name: tool for tool in (await client.list_tools_mcp()).tools}
        uri = tools["openai_conversational_image"].meta["ui"]["resourceUri"]
        view = (await client.read_resource_mcp(uri)).contents[0]
        assert (uri, view.mime_type) == (gallery.VIEW_URI, "text/html;profile=mcp-app")
        has_variations = "variations" in tools["openai_conversational_image"].input_schema["properties"]
        boot = {
            "html": view.text,
            "tools": [wire(tool) for tool in tools.values()],
            "toolName": "openai_conversational_image",
            "toolArguments": arguments,
            "toolResult": wire(second),
        }
        store = storage.ConversationStore(home["data"] / "conversations")
        oldest, newest = (image.image_id for image in store.load(conversation_id).images)
        async with serving(host_app(host_files, boot, client, calls)) as base:
            seen = await drive(
                host_files,
                {
                    "url": f"{base}/",
                    "chromium": CHROMIUM,
                    "images": 2,
                    "screenshot": str(tmp_path / "gallery.png"),
                    "refine": {"image_id": oldest, "prompt": "make it night"},
                    "variations": {"image_id": newest, "count": 2, "expect_images": has_variations},
                    "download": oldest,
                },
            )

    # The images render, newest first, from their full-size bytes (1536x1024, shown scaled to the view).
    assert [(image["image_id"], image["width"], image["height"]) for image in seen["steps"]["loaded"]] == [
        (newest, 1536, 1024),
        (oldest, 1536, 1024),
    ]
    # The view asked for the list, then each image's bytes, through app-only tools only.
    log = seen["host_log"]
    tool_calls = [entry["params"] for entry in log if entry["method"] == "tools/call"]
    assert tool_calls[0] == {"name": "openai_gallery", "arguments": {"conversation_id": conversation_id}}
    assert tool_calls[1:3] == [
        {"name": "openai_gallery_image", "arguments": {"conversation_id": conversation_id, "image_id": image_id, "offset": 0}}
        for image_id in (newest, oldest)
    ]  # then the rest of the oldest, chunk by chunk (below)
    for call in tool_calls:
        visibility = (tools[call["name"]].meta or {}).get("ui", {}).get("visibility", ["model", "app"])
        assert "app" in visibility, call["name"]
    assert {tools[name].meta["ui"]["visibility"] == ["app"] for name in ("openai_gallery", "openai_gallery_image")} == {True}

    # Refine on the older image: the host received exactly this call, and the server made a new image from it.
    assert seen["steps"]["refine_call"]["params"] == {
        "name": "openai_conversational_image",
        "arguments": {"conversation_id": conversation_id, "image_id": oldest, "prompt": "make it night"},
    }
    after = store.load(conversation_id)
    refined = after.images[2]
    assert (refined.parent_id, refined.prompt) == (oldest, "make it night")
    assert len(seen["steps"]["refined"]) == 3 and seen["steps"]["refined"][0]["image_id"] == refined.image_id

    # Variations of the newer image: asked for by count, one render each.
    assert seen["steps"]["variations_call"]["params"] == {
        "name": "openai_conversational_image",
        "arguments": {"conversation_id": conversation_id, "image_id": newest, "prompt": VARIATION_PROMPT, "variations": 2},
    }
    if has_variations:
        varied = after.images[3:]
        assert sorted((image.parent_id, image.variation) for image in varied) == [(newest, "1/2"), (newest, "2/2")]
        assert len(seen["steps"]["varied"]) == 5

    # Download hands the host the saved file's exact bytes, put together from its chunks; the model is told what
    # the user made.
    download = seen["steps"]["download"]
    saved = Path(after.image(oldest).path).read_bytes()
    assert len(saved) > 2 * gallery.CHUNK_BYTES
    assert (download["sha256"], download["mime_type"]) == (hashlib.sha256(saved).hexdigest(), "image/png")
    assert download["uri"].endswith(Path(after.image(oldest).path).name)
    chunks = [
        call["arguments"]["offset"]
        for call in tool_calls
        if call["name"] == "openai_gallery_image" and call["arguments"]["image_id"] == oldest
    ]
    assert chunks == list(range(0, len(saved), gallery.CHUNK_BYTES))
    assert any(entry["method"] == "ui/update-model-context" and refined.image_id in json.dumps(entry["params"]) for entry in log)

    # Offline: the page loaded only the test host's own files (the view's images are data: URLs), and nothing
    # broke (a CSP violation would be a console error).
    assert {url.split("?")[0] for url in seen["requests"] if not url.startswith("data:")} == {
        f"{base}/",
        f"{base}/host.js",
        f"{base}/boot.json",
        f"{base}/rpc",
    }
    assert [line for line in seen["console"] if line["type"] in ("error", "pageerror")] == []

    screenshot = tmp_path / "gallery.png"
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size < MAX_SCREENSHOT_BYTES
    if os.environ.get("GALLERY_SCREENSHOT"):
        shutil.copyfile(screenshot, ROOT / os.environ["GALLERY_SCREENSHOT"])


async def _booted(client, tool: str, arguments: dict, result) -> tuple[dict, dict]:
    """What the host page boots from, for `result` of calling `tool` with `arguments`; and the tools by name."""
    tools = {tool.name: tool for tool in (await client.list_tools_mcp()).tools}
    view = (await client.read_resource_mcp(gallery.VIEW_URI)).contents[0]
    boot = {
        "html": view.text,
        "tools": [wire(tool) for tool in tools.values()],
        "toolName": tool,
        "toolArguments": arguments,
        "toolResult": wire(result),
    }
    return boot, tools


def _pixel(image, x: float, y: float) -> tuple[int, int, int, int]:
    return image.getpixel((int(x * image.width), int(y * image.height)))


async def test_marking_up_an_image_draws_strokes_sends_the_drawing_and_shows_the_edit(host_files, server_env, home, fake_openai, tmp_path):
    import base64
    import io

    from PIL import Image

    env = {**server_env, "OPENAI_IMAGE_MODEL": "gpt-image-2.5-sunburst"}  # images.edit `markup`: "Supports GPT Image 2.5."
    calls: list[dict] = []
    apps = advertise(UI_EXTENSION_ID, {"mimeTypes": ["text/html;profile=mcp-app"]})
    async with stdio_client(env, log_file=tmp_path / "server.log", extensions=[apps]) as client:
        arguments = {"prompt": "A lighthouse on a cliff at dusk", "size": "1536x1024"}
        first = await client.call_tool_mcp("openai_generate_image", arguments)
        assert not first.is_error, first.content
        conversation_id, image_id = first.structured_content["conversation_id"], first.structured_content["image_id"]
        boot, tools = await _booted(client, "openai_generate_image", arguments, first)
        async with serving(host_app(host_files, boot, client, calls)) as base:
            seen = await drive(
                host_files,
                {
                    "url": f"{base}/",
                    "chromium": CHROMIUM,
                    "images": 1,
                    "markup": {
                        "image_id": image_id,
                        # red along the top quarter; then blue: the middle (undone) and the bottom quarter
                        "strokes": [[0.2, 0.25, 0.8, 0.25], [0.2, 0.5, 0.8, 0.5], [0.2, 0.75, 0.8, 0.75]],
                        "colour_after": "#2040ff",
                        "undo_after": 2,
                        "note": "a red kite above, a blue boat below",
                    },
                },
            )

    assert tools["openai_gallery_markup"].meta["ui"]["visibility"] == ["app"]
    assert seen["steps"]["canvas"] == {"width": 1536, "height": 1024}  # the image's natural size, not the size shown
    call = seen["steps"]["markup_call"]["params"]
    assert call["name"] == "openai_gallery_markup"
    assert {key: value for key, value in call["arguments"].items() if key != "markup_png"} == {
        "conversation_id": conversation_id,
        "image_id": image_id,
        "prompt": "a red kite above, a blue boat below",
    }
    sent = base64.b64decode(call["arguments"]["markup_png"])
    [kept] = (home["data"] / "markups").iterdir()
    assert kept.read_bytes() == sent  # saved as drawn, in the data folder
    with Image.open(io.BytesIO(sent)) as drawing:
        assert (drawing.format, drawing.size) == ("PNG", (1536, 1024))
        drawing = drawing.convert("RGBA")
    assert drawing.getchannel("A").getextrema() == (0, 255)  # transparent but for the strokes
    assert _pixel(drawing, 0.5, 0.25) == (255, 32, 32, 255)  # the first stroke, in the first colour
    assert _pixel(drawing, 0.5, 0.5)[3] == 0  # the undone stroke is gone
    assert _pixel(drawing, 0.5, 0.75) == (32, 64, 255, 255)  # the last one, in the colour picked
    assert _pixel(drawing, 0.05, 0.05)[3] == 0 and _pixel(drawing, 0.5, 0.4)[3] == 0

    [edit] = fake_openai.image_requests("edits")
    with Image.open(io.BytesIO(edit["markup"].data)) as forwarded:  # encoded again, without metadata: the same pixels
        assert forwarded.convert("RGBA").tobytes() == drawing.tobytes()
    assert edit["prompt"] == "a red kite above, a blue boat below"
    store = storage.ConversationStore(home["data"] / "conversations")
    made = store.load(conversation_id).images
    assert len(made) == 2 and made[1].parent_id == image_id
    assert [image["image_id"] for image in seen["steps"]["marked_up"]] == [made[1].image_id, image_id]  # the new one shows, newest first
    assert any(entry["method"] == "ui/update-model-context" and "markup edit" in json.dumps(entry["params"]) for entry in seen["host_log"])
    assert [line for line in seen["console"] if line["type"] in ("error", "pageerror")] == []


async def test_an_animated_gif_plays_in_the_gallery(host_files, server_env, home, fake_openai, tmp_path):
    import base64

    calls: list[dict] = []
    apps = advertise(UI_EXTENSION_ID, {"mimeTypes": ["text/html;profile=mcp-app"]})
    async with stdio_client(server_env, log_file=tmp_path / "server.log", extensions=[apps]) as client:
        arguments = {"prompt": "A ball bouncing", "output_format": "gif", "frame_count": 4, "frame_duration_ms": 200, "size": "1024x1024"}
        made = await client.call_tool_mcp("openai_generate_image", arguments)
        assert not made.is_error, made.content
        boot, _ = await _booted(client, "openai_generate_image", arguments, made)
        image_id = made.structured_content["image_id"]
        async with serving(host_app(host_files, boot, client, calls)) as base:
            seen = await drive(
                host_files,
                {"url": f"{base}/", "chromium": CHROMIUM, "images": 1, "gif": {"image_id": image_id, "frame_ms": 200}},
            )
    saved = Path(made.structured_content["path"]).read_bytes()
    shown = seen["steps"]["gif"]
    assert shown["tag"] == "IMG" and (shown["width"], shown["height"]) == (1024, 1024)
    assert shown["src"] == "data:image/gif;base64," + base64.b64encode(saved).decode()  # the animation itself, not a still preview
    assert shown["distinct"] > 1  # on screen, the picture changes from frame to frame
