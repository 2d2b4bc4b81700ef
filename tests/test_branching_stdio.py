"""End to end: refining any earlier image of a conversation (image_id), the tree the images form, and how the listing and openai_get_image show it."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from conftest import call_tool, result_text, same_pixels, stdio_client

pytestmark = pytest.mark.integration


def _stored(home, conversation_id: str) -> dict:
    return json.loads((home["data"] / "conversations" / f"{conversation_id}.json").read_text())


async def _three_images(client) -> tuple[str, list[dict]]:
    made = await call_tool(client, "openai_generate_image", {"prompt": "A red fox in fresh snow"})
    assert not made.is_error, result_text(made)
    conversation_id = made.structured_content["conversation_id"]
    results = [made.structured_content]
    for change in ("Make it night", "Add a full moon"):
        refined = await call_tool(client, "openai_conversational_image", {"prompt": change, "conversation_id": conversation_id})
        assert not refined.is_error, result_text(refined)
        results.append(refined.structured_content)
    return conversation_id, results


async def test_branching_from_the_first_of_three_images_chains_from_its_response(server_env, fake_openai, home):
    async with stdio_client(server_env) as client:
        conversation_id, (first, second, third) = await _three_images(client)
        branch = await call_tool(
            client,
            "openai_conversational_image",
            {"prompt": "Make it summer instead", "conversation_id": conversation_id, "image_id": first["image_id"]},
        )
        assert not branch.is_error, result_text(branch)
        after = await call_tool(client, "openai_conversational_image", {"prompt": "Add a butterfly", "conversation_id": conversation_id})
        listing = await call_tool(client, "openai_list_conversations", {})
        shown = await call_tool(client, "openai_get_image", {"conversation_id": conversation_id, "image_id": second["image_id"]})
    requests = fake_openai.response_requests()
    assert [r.get("previous_response_id") for r in requests] == [
        None,
        first["response_id"],
        second["response_id"],
        first["response_id"],
        branch.structured_content["response_id"],
    ]
    stored = _stored(home, conversation_id)
    parents = {image["image_id"]: image["parent_id"] for image in stored["images"]}
    assert parents == {
        first["image_id"]: None,
        second["image_id"]: first["image_id"],
        third["image_id"]: second["image_id"],
        branch.structured_content["image_id"]: first["image_id"],
        after.structured_content["image_id"]: branch.structured_content["image_id"],
    }
    assert branch.structured_content["parent_id"] == first["image_id"]
    assert branch.structured_content["size"] == first["size"]
    summary = listing.structured_content["conversations"][0]
    assert summary["branches"] == 2 and "2 branches" in result_text(listing)
    text = result_text(shown)
    assert f"- {second['image_id']}: Make it night  <- this one" in text
    tree_text = text[text.index(f"Images of {conversation_id}") :]
    assert tree_text.index(first["image_id"]) < tree_text.index(second["image_id"]) < tree_text.index(third["image_id"])
    assert f"\n    - {second['image_id']}" in tree_text and f"\n  - {first['image_id']}" in tree_text  # indented under its parent
    assert f'image_id="{second["image_id"]}"' in text  # not the latest, so the refine hint names it
    tree = {node["image_id"]: node["parent_id"] for node in shown.structured_content["tree"]}
    assert tree == parents


async def test_a_branch_whose_response_expired_sends_that_image_not_the_last(server_env, fake_openai, home):
    async with stdio_client(server_env) as client:
        conversation_id, (first, _, third) = await _three_images(client)
        fake_openai.expire_responses()
        branch = await call_tool(
            client,
            "openai_conversational_image",
            {"prompt": "Make it autumn", "conversation_id": conversation_id, "image_id": first["image_id"]},
        )
    assert not branch.is_error, result_text(branch)
    retry = fake_openai.response_requests()[-1]
    assert "previous_response_id" not in retry
    sent = [part for part in retry["input"][0]["content"] if part["type"] == "input_image"]
    assert len(sent) == 1
    data = base64.b64decode(sent[0]["image_url"].split(",", 1)[1])
    assert same_pixels(data, Path(first["path"]).read_bytes()) and not same_pixels(data, Path(third["path"]).read_bytes())
    assert first["path"] in result_text(branch)
    assert _stored(home, conversation_id)["images"][-1]["parent_id"] == first["image_id"]


async def test_an_image_id_from_elsewhere_is_refused_before_anything_is_sent(server_env, fake_openai, home):
    async with stdio_client(server_env) as client:
        one = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        other = await call_tool(client, "openai_generate_image", {"prompt": "An owl"})
        sent = len(fake_openai.response_requests())
        wrong = await call_tool(
            client,
            "openai_conversational_image",
            {
                "prompt": "Blue",
                "conversation_id": one.structured_content["conversation_id"],
                "image_id": other.structured_content["image_id"],
            },
        )
        alone = await call_tool(client, "openai_conversational_image", {"prompt": "Blue", "image_id": one.structured_content["image_id"]})
    assert wrong.is_error and "is not an image of conversation" in result_text(wrong)
    assert one.structured_content["image_id"] in result_text(wrong)
    assert alone.is_error and "needs that image's conversation_id" in result_text(alone)
    assert len(fake_openai.response_requests()) == sent
