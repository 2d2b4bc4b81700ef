"""Resources stay under every client's cap whatever they hold: a long conversation loses its oldest turns, and says so."""

from __future__ import annotations

import asyncio
import json

from fastmcp import Client

import openai_images_mcp
from openai_images import storage
from openai_images.services import Services


def _long_conversation(svc: Services, turns: int) -> storage.Conversation:
    conversation = storage.new_conversation("A lighthouse, turn after turn")
    for turn in range(turns):
        words = f"turn {turn}: " + "make the waves higher and the light warmer, " * 60
        conversation.messages += [storage.Message(role="user", text=words), storage.Message(role="assistant", text=words)]
        conversation.images.append(
            storage.ImageRecord(
                image_id=f"img_{turn:016x}",
                path=f"/nowhere/openai_image_20260101_120000_{turn:08x}.png",
                prompt=words,
                size="1024x1024",
                model="m",
            )
        )
    svc.store.save(conversation)
    return conversation


def _read(uri: str) -> str:
    async def read() -> str:
        async with Client(openai_images_mcp.mcp) as client:
            [content] = await client.read_resource(uri)
            return content.text

    return asyncio.run(read())


def test_a_300_turn_conversation_reads_back_under_1_mb_with_its_newest_turns_and_says_what_is_left_out(in_process_env):
    svc = openai_images_mcp.services = Services()
    conversation = _long_conversation(svc, 300)
    assert len(conversation.model_dump_json(indent=2)) > 2_000_000, "the whole file is well over every cap"
    text = _read(f"conversation://{conversation.id}")
    assert len(json.dumps(text).encode()) < 1_000_000, "under 1 MB even as an escaped JSON string"
    shown = json.loads(text)
    assert shown["id"] == conversation.id and shown["images"][-1]["image_id"] == conversation.images[-1].image_id
    left_out = shown["left_out"]
    assert left_out["messages"] + len(shown["messages"]) == 600 and left_out["images"] + len(shown["images"]) == 300
    assert left_out["images"] > 0 and "openai_get_image" in left_out["why"]


def test_a_short_conversation_reads_back_whole(in_process_env):
    svc = openai_images_mcp.services = Services()
    conversation = _long_conversation(svc, 3)
    shown = json.loads(_read(f"conversation://{conversation.id}"))
    assert "left_out" not in shown and len(shown["images"]) == 3
