"""End to end: variations, n renders of one prompt at once, one request each; n files, n records, one contact sheet, the cost per image and in all."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import sys
from pathlib import Path

import pytest
from conftest import SERVER, call_tool, result_text, stdio_client
from PIL import Image

pytestmark = pytest.mark.integration


def _stored(home, conversation_id: str) -> dict:
    return json.loads((home["data"] / "conversations" / f"{conversation_id}.json").read_text())


def _result_bytes(result) -> int:
    """About what the result weighs on the wire: every content block and the structured content as JSON."""
    blocks = sum(len(block.model_dump_json(exclude_none=True)) for block in result.content)
    return blocks + len(json.dumps(result.structured_content))


async def test_four_variations_make_four_files_four_records_and_one_contact_sheet(server_env, fake_openai, home):
    async with stdio_client(server_env) as client:
        made = await call_tool(client, "openai_generate_image", {"prompt": "A lighthouse on a cliff at dusk", "variations": 4})
    assert not made.is_error, result_text(made)
    requests = fake_openai.response_requests()
    assert len(requests) == 4 and all(r["input"] == requests[0]["input"] for r in requests)
    assert all("previous_response_id" not in r for r in requests)
    infos = made.structured_content["variations"]
    assert [info["number"] for info in infos] == [1, 2, 3, 4] and all(info["status"] == "generated" for info in infos)
    files = sorted(home["output"].iterdir())
    assert len(files) == 4 and sorted(info["path"] for info in infos) == [str(f) for f in files]
    assert len({f.name for f in files}) == 4 and all(f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for f in files)
    stored = _stored(home, made.structured_content["conversation_id"])
    assert sorted(image["image_id"] for image in stored["images"]) == sorted(info["image_id"] for info in infos)
    assert sorted(image["variation"] for image in stored["images"]) == ["1/4", "2/4", "3/4", "4/4"]
    assert len({image["response_id"] for image in stored["images"]}) == 4
    assert [m["text"] for m in stored["messages"] if m["role"] == "user"] == ["A lighthouse on a cliff at dusk"]
    assert stored["pending_render"] is None and stored["pending_variations"] == []
    [sheet] = [block for block in made.content if block.type == "image"]
    with Image.open(io.BytesIO(base64.b64decode(sheet.data))) as picture:
        assert picture.format == "JPEG" and picture.width > picture.height * 0.9  # two columns, two rows
    assert len(sheet.data) < 200 * 1024 and _result_bytes(made) < 256 * 1024
    assert [block.uri for block in made.content if block.type == "resource_link"] == [f"image://{info['image_id']}" for info in infos]
    text = result_text(made)
    for info in infos:
        assert f"{info['number']}. {info['image_id']}" in text
    costs = [info["cost_usd"] for info in infos]
    assert made.structured_content["cost_usd"] == pytest.approx(sum(costs))
    assert "4 of 4 variations made" in text


async def test_variations_of_a_refinement_all_refine_the_same_image(server_env, fake_openai, home):
    async with stdio_client(server_env) as client:
        first = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        conversation_id = first.structured_content["conversation_id"]
        varied = await call_tool(
            client, "openai_conversational_image", {"prompt": "Make it winter", "conversation_id": conversation_id, "variations": 2}
        )
        picked = varied.structured_content["variations"][1]["image_id"]
        refined = await call_tool(
            client, "openai_conversational_image", {"prompt": "Add a moon", "conversation_id": conversation_id, "image_id": picked}
        )
    assert not varied.is_error and not refined.is_error, result_text(varied) + result_text(refined)
    requests = fake_openai.response_requests()
    assert [r.get("previous_response_id") for r in requests[1:3]] == [first.structured_content["response_id"]] * 2
    assert requests[3]["previous_response_id"] == varied.structured_content["variations"][1]["response_id"]
    stored = _stored(home, conversation_id)
    parents = {image["image_id"]: image["parent_id"] for image in stored["images"]}
    assert [parents[info["image_id"]] for info in varied.structured_content["variations"]] == [first.structured_content["image_id"]] * 2
    assert parents[refined.structured_content["image_id"]] == picked
    assert [m["text"] for m in stored["messages"] if m["role"] == "user"] == ["A fox", "Make it winter", "Add a moon"]


async def test_the_dialogue_asks_once_then_makes_the_variations(server_env, fake_openai, home):
    async with stdio_client(server_env) as client:
        asked = await call_tool(
            client, "openai_conversational_image", {"prompt": "A poster for a jazz night", "dialogue_mode": "quick", "variations": 3}
        )
        conversation_id = asked.structured_content["conversation_id"]
        questions = 0
        result = asked
        while result.structured_content["status"] == "question":
            questions += 1
            result = await call_tool(client, "openai_conversational_image", {"prompt": "you choose", "conversation_id": conversation_id})
    assert questions >= 1 and result.structured_content["status"] == "generated", result_text(result)
    assert len(result.structured_content["variations"]) == 3 and len(fake_openai.response_requests()) == 3
    assert len(_stored(home, conversation_id)["images"]) == 3


async def test_a_dry_run_shows_the_cost_of_all_variations_and_sends_nothing(server_env, fake_openai):
    async with stdio_client(server_env) as client:
        one = await call_tool(client, "openai_generate_image", {"prompt": "A fox", "dry_run": True})
        three = await call_tool(client, "openai_generate_image", {"prompt": "A fox", "dry_run": True, "variations": 3})
        too_many = await call_tool(client, "openai_generate_image", {"prompt": "A fox", "variations": 5})
    low, high = one.structured_content["estimated_cost_usd"]
    assert three.structured_content["estimated_cost_usd"] == [pytest.approx(low * 3), pytest.approx(high * 3)]
    assert "Variations: 3, so 3 requests" in result_text(three)
    assert too_many.is_error and "variations" in result_text(too_many)
    assert fake_openai.response_requests() == []


async def test_the_limits_count_every_variation_before_any_is_sent(server_env, fake_openai, home):
    env = {**server_env, "OPENAI_IMAGES_DAILY_IMAGES_PER_USER": "3"}
    async with stdio_client(env) as client:
        refused = await call_tool(client, "openai_generate_image", {"prompt": "A fox", "variations": 4})
        folder = home["data"] / "conversations"
        assert not folder.exists() or list(folder.iterdir()) == [], "a refused call writes no conversation"
        allowed = await call_tool(client, "openai_generate_image", {"prompt": "A fox", "variations": 3})
    assert refused.is_error and "OPENAI_IMAGES_DAILY_IMAGES_PER_USER=3" in result_text(refused)
    assert not allowed.is_error and len(fake_openai.response_requests()) == 3
    day = next((home["data"] / "usage").glob("*.json"))
    assert json.loads(day.read_text())["users"]["local"]["images"] == 3
    assert len(list(Path(home["output"]).iterdir())) == 3


async def test_variations_survive_sigkill_and_a_new_process_collects_them_all(server_env, fake_openai, home):
    # A 2 s deadline, so that OpenAI has named all three (and they are written down) before the kill, even on a loaded machine.
    fake_openai.render_seconds = 5.0
    env = {**server_env, "OPENAI_IMAGES_WAIT_SECONDS": "2"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SERVER),
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    call = {"name": "openai_generate_image", "arguments": {"prompt": "A castle at dusk", "variations": 3}}
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": call},
    ]
    try:
        for message in messages:
            proc.stdin.write((json.dumps(message) + "\n").encode())
        await proc.stdin.drain()
        while (answer := json.loads(await asyncio.wait_for(proc.stdout.readline(), 30))).get("id") != 1:
            pass
    finally:
        proc.kill()
        await proc.wait()
    first = answer["result"]["structuredContent"]
    assert first["status"] == "rendering" and [v["status"] for v in first["variations"]] == ["rendering"] * 3
    conversation_id = first["conversation_id"]
    stored = _stored(home, conversation_id)
    assert stored["pending_render"]["variation"] == "1/3" and sorted(p["variation"] for p in stored["pending_variations"]) == ["2/3", "3/3"]
    async with stdio_client(env) as client:
        listing = await call_tool(client, "openai_list_conversations", {})
        collected = await call_tool(client, "openai_get_image", {"conversation_id": conversation_id, "wait_seconds": 20})
    assert listing.structured_content["conversations"][0]["rendering_since"]
    assert not collected.is_error, result_text(collected)
    assert [v["status"] for v in collected.structured_content["variations"]] == ["generated"] * 3
    assert fake_openai.generations == 3 and len(fake_openai.response_requests()) == 3, "never a second generation"
    stored = _stored(home, conversation_id)
    assert len(stored["images"]) == 3 and stored["pending_render"] is None and stored["pending_variations"] == []
    assert len(list(home["output"].iterdir())) == 3


async def test_cancel_stops_every_variation_and_no_file_appears(server_env, fake_openai, home):
    fake_openai.render_seconds = 6.0
    env = {**server_env, "OPENAI_IMAGES_WAIT_SECONDS": "2"}  # all three named and written down before the cancel
    async with stdio_client(env) as client:
        started = await call_tool(client, "openai_generate_image", {"prompt": "A castle at dusk", "variations": 3})
        conversation_id = started.structured_content["conversation_id"]
        cancelled = await call_tool(client, "openai_get_image", {"conversation_id": conversation_id, "cancel": True})
    assert not cancelled.is_error, result_text(cancelled)
    assert cancelled.structured_content["status"] == "cancelled"
    assert result_text(cancelled).count("was cancelled too") == 2
    cancels = [r.path for r in fake_openai.requests if r.method == "POST" and r.path.endswith("/cancel")]
    assert len(cancels) == 3
    stored = _stored(home, conversation_id)
    assert stored["pending_render"] is None and stored["pending_variations"] == [] and len(stored["ended_renders"]) == 3
    await asyncio.sleep(5.0)
    assert not home["output"].exists() or list(home["output"].iterdir()) == []
