"""A path read from a conversation file is not trusted: only our own images in the output folder are read back or sent."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from conftest import FAKE_KEY, call_tool, result_text, stdio_client, write_image
from mcp import MCPError

pytestmark = pytest.mark.integration
CANARY = "canary-7f3a9b2c1d5e"  # put in the server's environment: it reaches OpenAI only if /proc/self/environ does
REFUSALS = ("not read", "nothing was read", "not a readable", "not a regular file")


def _file(home, conversation_id: str) -> Path:
    return home["data"] / "conversations" / f"{conversation_id}.json"


def _point_last_image_at(home, conversation_id: str, path: str) -> None:
    """Do what a model steered by a prompt injection could do with a filesystem server: edit the saved path."""
    data = json.loads(_file(home, conversation_id).read_text())
    data["images"][-1]["path"] = path
    _file(home, conversation_id).write_text(json.dumps(data))


def _tampered_targets(home, tmp_path) -> dict[str, str]:
    """Paths a tampered record may name, each of which must be refused."""
    outside = write_image(tmp_path / "private.png", (64, 64))
    text_named_like_ours = home["output"] / "openai_image_20260101_000000_deadbeef.png"
    text_named_like_ours.write_text(f"OPENAI_API_KEY={FAKE_KEY}\n")
    link = home["output"] / "openai_image_20260101_000001_deadbeef.png"
    os.symlink("/proc/self/environ", link)
    renamed = write_image(home["output"] / "holiday.png", (64, 64))
    return {
        "the server's own environment": "/proc/self/environ",
        "a picture outside the output folder": str(outside),
        "a text file named like our images": str(text_named_like_ours),
        "a link from the output folder to the environment": str(link),
        "a picture in the output folder not named like ours": str(renamed),
        "a relative path": "Downloads/x.png",
    }


async def test_the_image_resource_reads_only_our_own_images(server_env, fake_openai, home, tmp_path):
    async with stdio_client({**server_env, "LEAK_CANARY": CANARY}) as client:
        made = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        image_id, conversation_id = made.structured_content["image_id"], made.structured_content["conversation_id"]
        [good] = await client.read_resource(f"image://{image_id}")
        assert base64.b64decode(good.blob) == Path(made.structured_content["path"]).read_bytes()
        for what, target in _tampered_targets(home, tmp_path).items():
            _point_last_image_at(home, conversation_id, target)
            with pytest.raises(MCPError) as refused:
                await client.read_resource(f"image://{image_id}")
            message = refused.value.error.message
            assert refused.value.error.code == -32602, what
            assert FAKE_KEY not in message and CANARY not in message
            assert any(words in message for words in REFUSALS), (what, message)


@pytest.mark.parametrize("route", ["image id", "mask on the last image", "expired previous response"])
async def test_no_route_sends_a_file_a_tampered_record_names(server_env, fake_openai, home, tmp_path, route):
    async with stdio_client({**server_env, "LEAK_CANARY": CANARY}) as client:
        made = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        data = made.structured_content
        targets = _tampered_targets(home, tmp_path)
        fake_openai.watch(CANARY)
        mask = tmp_path / "mask.png"
        from PIL import Image

        Image.new("RGBA", (1024, 1024), (0, 0, 0, 0)).save(mask)
        for what, target in targets.items():
            _point_last_image_at(home, data["conversation_id"], target)
            sent_before = len(fake_openai.response_requests())
            if route == "image id":
                args = {"prompt": "Same at dusk", "input_image_file_id": data["image_id"]}
            elif route == "mask on the last image":
                args = {"prompt": "A lamp here", "conversation_id": data["conversation_id"], "mask_path": str(mask)}
            else:
                fake_openai.expire_responses()
                args = {"prompt": "Add a storm", "conversation_id": data["conversation_id"]}
            result = await call_tool(client, "openai_conversational_image", args)
            assert result.is_error, (what, result_text(result))
            assert "Unexpected error" not in result_text(result)
            assert any(words in result_text(result) for words in REFUSALS), (what, result_text(result))
            sent = fake_openai.response_requests()[sent_before:]
            if route == "expired previous response":  # the refused request, and no retry with the file
                assert len(sent) == 1 and "previous_response_id" in sent[0]
            else:
                assert sent == [], what
    fake_openai.assert_no_leaks()


async def test_allowed_dirs_hold_for_saved_paths_too(server_env, fake_openai, home, tmp_path):
    async with stdio_client(server_env) as client:
        made = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
    elsewhere = tmp_path / "allowed"
    elsewhere.mkdir()
    async with stdio_client({**server_env, "OPENAI_IMAGES_ALLOWED_DIRS": str(elsewhere)}) as client:
        with pytest.raises(MCPError, match="OPENAI_IMAGES_ALLOWED_DIRS"):
            await client.read_resource(f"image://{made.structured_content['image_id']}")
        again = await call_tool(
            client, "openai_conversational_image", {"prompt": "Again", "input_image_file_id": made.structured_content["image_id"]}
        )
    assert again.is_error and "OPENAI_IMAGES_ALLOWED_DIRS" in result_text(again)
    assert len(fake_openai.response_requests()) == 1


async def test_an_image_id_resolves_only_inside_its_own_conversation(server_env, fake_openai, home, tmp_path):
    async with stdio_client(server_env) as client:
        made = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        data = made.structured_content
        own = json.loads(_file(home, data["conversation_id"]).read_text())
        # A planted file that lists the same image id, pointing at another picture in the output folder.
        decoy = write_image(home["output"] / "openai_image_20260101_000002_cafebabe.png", (64, 64), color=(0, 255, 0))
        planted = {**own, "id": "conv_00000000000000aa"}
        planted["images"] = [{**own["images"][0], "path": str(decoy)}]
        _file(home, "conv_00000000000000aa").write_text(json.dumps(planted))
        # And one whose name and content disagree: it belongs to no one.
        _file(home, "conv_00000000000000bb").write_text(json.dumps({**planted, "id": "conv_00000000000000cc"}))

        with pytest.raises(MCPError, match="listed by 2 conversation files"):
            await client.read_resource(f"image://{data['image_id']}")
        ambiguous = await call_tool(client, "openai_conversational_image", {"prompt": "Again", "input_image_file_id": data["image_id"]})
        assert ambiguous.is_error and "conv_00000000000000aa" in result_text(ambiguous)
        # Inside its own conversation the id still means its own image.
        refined = await call_tool(
            client,
            "openai_conversational_image",
            {"prompt": "Again", "conversation_id": data["conversation_id"], "input_image_file_id": data["image_id"]},
        )
        assert not refined.is_error, result_text(refined)
    assert len(fake_openai.response_requests()) == 2
