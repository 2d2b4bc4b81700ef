"""End to end: the real server process over stdio, talking to the fake OpenAI server."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import sys
from pathlib import Path

import pytest
from conftest import (
    FAKE_KEY,
    SERVER,
    call_tool,
    image_bytes,
    result_text,
    same_pixels,
    stdio_client,
    write_image,
)
from PIL import Image

pytestmark = pytest.mark.integration

NAME = re.compile(r"^openai_image_\d{8}_\d{6}_[0-9a-f]{8}\.png$")


async def test_generate_refine_restart_and_list(server_env, fake_openai, home, tmp_path):
    log = tmp_path / "server.log"
    async with stdio_client(server_env, log_file=log) as client:
        tools = {tool.name: tool for tool in await client.list_tools()}
        assert set(tools) == {"openai_conversational_image", "openai_generate_image", "openai_list_conversations", "openai_get_image"}
        assert tools["openai_list_conversations"].annotations.read_only_hint is True
        assert tools["openai_generate_image"].annotations.open_world_hint is True

        first = await call_tool(
            client, "openai_conversational_image", {"prompt": "A red fox in fresh snow", "size": "1536x1024", "dialogue_mode": "skip"}
        )
        assert not first.is_error, result_text(first)
        data = first.structured_content
        path = Path(data["path"])
        assert path.parent == home["output"] and NAME.match(path.name)
        with Image.open(path) as image:
            assert image.size == (1536, 1024) and image.format == "PNG"
        assert data["size"] == "1536x1024" and data["conversation_id"].startswith("conv_")
        assert str(path) in result_text(first) and data["conversation_id"] in result_text(first)
        assert "Revised: A red fox in fresh snow" in result_text(first)
        assert f'conversation_id="{data["conversation_id"]}"' in result_text(first)

        preview = next(block for block in first.content if block.type == "image")
        assert preview.mime_type == "image/jpeg" and len(preview.data) < 200 * 1024
        with Image.open(io.BytesIO(base64.b64decode(preview.data))) as small:
            assert max(small.size) <= 512

        first_request = fake_openai.response_requests()[-1]
        assert first_request["tool_choice"] == {"type": "image_generation"}
        assert first_request["tools"] == [{"type": "image_generation", "size": "1536x1024"}]
        assert "previous_response_id" not in first_request

        second = await call_tool(
            client, "openai_conversational_image", {"prompt": "Make it night with a full moon", "conversation_id": data["conversation_id"]}
        )
        assert not second.is_error, result_text(second)
        refine_request = fake_openai.response_requests()[-1]
        assert refine_request["previous_response_id"] == data["response_id"]
        assert refine_request["input"] == "Make it night with a full moon"
        assert refine_request["tools"][0]["size"] == "1536x1024", "a refinement keeps the conversation's size"
        assert second.structured_content["conversation_id"] == data["conversation_id"]
        assert Path(second.structured_content["path"]) != path

    # A new process: the conversation is still there.
    async with stdio_client(server_env, log_file=log) as client:
        listing = await call_tool(client, "openai_list_conversations", {})
        assert not listing.is_error
        entries = listing.structured_content["conversations"]
        assert [e["id"] for e in entries] == [data["conversation_id"]]
        assert entries[0]["image_count"] == 2
        assert entries[0]["title"] == "A red fox in fresh snow"
        assert entries[0]["last_image_path"] == second.structured_content["path"]
        assert str(home["data"] / "conversations") in result_text(listing)
        assert data["conversation_id"] in result_text(listing)

        found = await call_tool(client, "openai_list_conversations", {"query": "FULL MOON"})
        assert [e["id"] for e in found.structured_content["conversations"]] == [data["conversation_id"]]
        none = await call_tool(client, "openai_list_conversations", {"query": "giraffe"})
        assert none.structured_content["conversations"] == []

    saved = json.loads((home["data"] / "conversations" / f"{data['conversation_id']}.json").read_text())
    assert saved["dialogue_mode"] == "skip" and len(saved["images"]) == 2
    assert saved["last_response_id"] == second.structured_content["response_id"]
    assert FAKE_KEY not in log.read_text()


@pytest.mark.parametrize("expired_status", [400, 404])
async def test_expired_previous_response_falls_back_to_the_last_image(server_env, fake_openai, expired_status):
    fake_openai.expired_status = expired_status
    async with stdio_client(server_env) as client:
        first = await call_tool(client, "openai_generate_image", {"prompt": "A lighthouse"})
        assert not first.is_error, result_text(first)
        fake_openai.expire_responses()
        second = await call_tool(
            client, "openai_conversational_image", {"prompt": "Add a storm", "conversation_id": first.structured_content["conversation_id"]}
        )
        assert not second.is_error, result_text(second)

    failed, retry = fake_openai.response_requests()[-2:]
    assert failed["previous_response_id"] == first.structured_content["response_id"]
    assert "previous_response_id" not in retry
    parts = retry["input"][0]["content"]
    assert parts[0] == {"type": "input_text", "text": "Add a storm"}
    sent = base64.b64decode(parts[1]["image_url"].split(",", 1)[1])
    assert same_pixels(sent, Path(first.structured_content["path"]).read_bytes())  # the picture, without its metadata
    assert "no longer had this conversation's earlier turns" in result_text(second)
    assert second.structured_content["notes"]


async def test_input_image_path_and_earlier_image_id_are_sent_as_input_images(server_env, fake_openai, tmp_path):
    photo = tmp_path / "photo.jpg"
    write_image(photo, (320, 200), fmt="JPEG", color=(10, 120, 200))
    async with stdio_client(server_env) as client:
        result = await call_tool(
            client,
            "openai_conversational_image",
            {"prompt": "Make it a watercolour", "input_image_path": str(photo), "skip_dialogue": True},
        )
        assert not result.is_error, result_text(result)
        part = fake_openai.response_requests()[-1]["input"][0]["content"][1]
        assert part["image_url"].startswith("data:image/jpeg;base64,")
        assert same_pixels(base64.b64decode(part["image_url"].split(",", 1)[1]), photo.read_bytes())

        image_id = result.structured_content["image_id"]
        again = await call_tool(client, "openai_conversational_image", {"prompt": "Same scene at dusk", "input_image_file_id": image_id})
        assert not again.is_error, result_text(again)
        part = fake_openai.response_requests()[-1]["input"][0]["content"][1]
        assert same_pixels(base64.b64decode(part["image_url"].split(",", 1)[1]), Path(result.structured_content["path"]).read_bytes())

        upload = _upload(fake_openai, image_bytes((64, 64)))
        by_file = await call_tool(client, "openai_conversational_image", {"prompt": "Use this", "input_image_file_id": upload})
        assert not by_file.is_error, result_text(by_file)
        part = fake_openai.response_requests()[-1]["input"][0]["content"][1]
        assert part == {"type": "input_image", "file_id": upload, "detail": "auto"}


def _upload(fake, data: bytes) -> str:
    import openai

    uploaded = openai.OpenAI(api_key=FAKE_KEY, base_url=fake.base_url).files.create(file=("ref.png", data, "image/png"), purpose="vision")
    return uploaded.id


async def test_bad_arguments_are_tool_errors_and_send_nothing(server_env, fake_openai, home, tmp_path):
    not_image = tmp_path / "secret.png"
    not_image.write_text("-----BEGIN PRIVATE KEY-----")
    cases = [
        ("openai_generate_image", {"prompt": "A fox", "size": "1024x1792"}, "1024x1024, 1536x1024, 1024x1536 or auto"),
        ("openai_generate_image", {"prompt": "   "}, "prompt is empty"),
        ("openai_conversational_image", {"prompt": "x", "conversation_id": "../../etc/passwd"}, "Invalid conversation_id"),
        (
            "openai_conversational_image",
            {"prompt": "x", "conversation_id": "conv_0123456789abcdef"},
            "No conversation conv_0123456789abcdef",
        ),
        ("openai_conversational_image", {"prompt": "x", "input_image_path": str(tmp_path / "missing.png")}, "no file at"),
        ("openai_conversational_image", {"prompt": "x", "input_image_path": str(not_image)}, "not a readable PNG, JPEG or WebP"),
        ("openai_conversational_image", {"prompt": "x", "input_image_file_id": "../x"}, "neither an OpenAI file id"),
        ("openai_conversational_image", {"prompt": "x", "input_image_file_id": "img_0123456789abcdef"}, "no image with that id"),
    ]
    async with stdio_client(server_env) as client:
        for tool, args, expected in cases:
            result = await call_tool(client, tool, args)
            assert result.is_error, (tool, args)
            assert expected in result_text(result), result_text(result)
    assert fake_openai.response_requests() == []
    assert not home["output"].exists()
    assert not (home["data"] / "conversations").exists()


async def test_missing_key_explains_where_to_put_it(server_env, fake_openai):
    env = {k: v for k, v in server_env.items() if k != "OPENAI_API_KEY"}
    async with stdio_client(env) as client:
        result = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
    assert result.is_error
    assert "OPENAI_API_KEY is not set" in result_text(result) and "claude_desktop_config.json" in result_text(result)
    assert f"-- {sys.executable} {SERVER}" in result_text(result), "the Claude Code line runs this very server module"
    assert fake_openai.response_requests() == []


@pytest.mark.parametrize(
    "status, code, expected",
    [
        (401, "invalid_api_key", "rejected the API key"),
        (403, "model_not_found", "OPENAI_IMAGE_MODEL"),
        (429, "insufficient_quota", "quota is used up"),
    ],
)
async def test_openai_errors_reach_the_user_as_actionable_tool_errors(server_env, fake_openai, home, status, code, expected):
    fake_openai.fail_next(status, code, "Incorrect API key provided: " + FAKE_KEY)
    async with stdio_client(server_env) as client:
        result = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
    assert result.is_error and expected in result_text(result)
    assert FAKE_KEY not in result_text(result)
    assert not home["output"].exists()


async def test_moderated_and_imageless_answers_are_errors_not_crashes(server_env, fake_openai, home):
    async with stdio_client(server_env) as client:
        fake_openai.queue_outcome("moderated", categories=["violence"])
        blocked = await call_tool(client, "openai_generate_image", {"prompt": "Something violent"})
        fake_openai.queue_outcome("no_image")
        empty = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        fine = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
    assert blocked.is_error and "categories: violence" in result_text(blocked)
    assert empty.is_error and "without an image" in result_text(empty)
    assert not fine.is_error
    assert [p.name for p in home["output"].iterdir()] == [Path(fine.structured_content["path"]).name]


async def test_stdout_carries_only_json_rpc(server_env, fake_openai, tmp_path):
    """Drive the process by hand and parse every byte it writes to stdout."""
    (tmp_path / "broken").mkdir()
    env = {**server_env}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(SERVER), env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    conversations = Path(env["OPENAI_IMAGES_DATA_DIR"]) / "conversations"
    conversations.mkdir(parents=True)
    (conversations / "conv_00000000000000aa.json").write_text("{ corrupt")  # logged while listing
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "openai_generate_image", "arguments": {"prompt": "A fox"}}},
        {
            "jsonrpc": "2.0",
            "id": 4,
            "method": "tools/call",
            "params": {"name": "openai_generate_image", "arguments": {"prompt": "A fox", "size": "7x7"}},
        },
        {"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "openai_list_conversations", "arguments": {}}},
    ]
    answers = {}
    for message in messages:
        proc.stdin.write((json.dumps(message) + "\n").encode())
        await proc.stdin.drain()
        if "id" not in message:
            continue
        while message["id"] not in answers:
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            assert line, "server closed stdout early"
            parsed = json.loads(line)  # any non-JSON byte on stdout fails here
            assert parsed["jsonrpc"] == "2.0"
            if "id" in parsed:
                answers[parsed["id"]] = parsed
    proc.stdin.close()
    rest, stderr = await asyncio.wait_for(proc.communicate(), 30)
    for line in rest.decode().splitlines():
        assert json.loads(line)["jsonrpc"] == "2.0"
    assert proc.returncode == 0, stderr.decode()[-2000:]
    assert b"Traceback" not in stderr
    assert answers[3]["result"]["isError"] is False
    assert answers[4]["result"]["isError"] is True
    assert "1 conversation file(s) could not be read" in answers[5]["result"]["content"][0]["text"]
    assert FAKE_KEY.encode() not in stderr


async def test_every_tool_states_its_title_and_all_four_hints(server_env):
    async with stdio_client(server_env) as client:
        tools = {tool.name: tool.annotations for tool in await client.list_tools()}
    hints = {name: (a.read_only_hint, a.destructive_hint, a.idempotent_hint, a.open_world_hint) for name, a in tools.items()}
    assert all(a.title for a in tools.values())
    assert hints == {
        "openai_conversational_image": (False, False, False, True),
        "openai_generate_image": (False, False, False, True),
        "openai_list_conversations": (True, False, True, False),
        "openai_get_image": (False, False, True, True),
    }


async def test_without_a_key_the_first_call_says_so_and_writes_nothing(server_env, home, tmp_path):
    env = {k: v for k, v in server_env.items() if k != "OPENAI_API_KEY"}
    log = tmp_path / "server.log"
    async with stdio_client(env, log_file=log) as client:
        asked = await call_tool(client, "openai_conversational_image", {"prompt": "A logo for a bakery"})
        one_shot = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        dry = await call_tool(client, "openai_generate_image", {"prompt": "A fox", "dry_run": True})
    for result in (asked, one_shot):
        assert result.is_error and "OPENAI_API_KEY is not set" in result_text(result)
    assert not dry.is_error, "a dry run needs no key"
    assert not (home["data"] / "conversations").exists() or list((home["data"] / "conversations").iterdir()) == []
    lines = log.read_text().splitlines()
    one_format = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR) [\w.]+: ")
    assert lines and all(one_format.match(line) for line in lines), "every log line in one format"
    started = [line for line in lines if "WARNING" in line and "OPENAI_API_KEY is not set" in line and "Tool error" not in line]
    assert len(started) == 1 and lines.index(started[0]) < 3, "one warning line, at start-up"


async def test_on_stdio_the_safety_identifier_is_the_setting_or_none(server_env, fake_openai):
    async with stdio_client(server_env) as client:
        plain = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
    async with stdio_client({**server_env, "OPENAI_IMAGES_SAFETY_IDENTIFIER": "hashed-user-42"}) as client:
        named = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
    assert not plain.is_error and not named.is_error, result_text(plain) + result_text(named)
    first, second = fake_openai.response_requests()
    assert "safety_identifier" not in first and second["safety_identifier"] == "hashed-user-42"
