"""Files on disk are input: odd files answer at once, big ones are refused or cut, and results stay within the client caps."""

from __future__ import annotations

import asyncio
import json
import os
import time

from fastmcp import Client
from PIL import Image

import openai_images_mcp
from openai_images import backends, inputs, storage
from openai_images.services import Services

CLAUDE_CODE_CAP = 100_000  # about 25,000 tokens
CLAUDE_DESKTOP_CAP = 1_000_000


def _call(tool: str, args: dict, timeout: float = 20):
    openai_images_mcp.services = Services()  # each call runs in its own event loop

    async def run():
        async with Client(openai_images_mcp.mcp) as client:
            return await asyncio.wait_for(client.call_tool_mcp(tool, args), timeout)

    return asyncio.run(run())


def _size(result) -> int:
    return len(result.model_dump_json(by_alias=True).encode())


def _folder(home):
    folder = home["data"] / "conversations"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_fifo_named_like_a_conversation_never_hangs_a_call(in_process_env, home):
    os.mkfifo(_folder(home) / "conv_0123456789abcdef.json")
    started = time.monotonic()
    listing = _call("openai_list_conversations", {})
    assert not listing.is_error and listing.structured_content["unreadable"] == 1
    refine = _call("openai_conversational_image", {"prompt": "blue", "conversation_id": "conv_0123456789abcdef"})
    assert refine.is_error and "not a regular file" in refine.content[0].text
    lookup = _call("openai_conversational_image", {"prompt": "blue", "input_image_file_id": "img_0123456789abcdef"})
    assert lookup.is_error and "no image with that id" in lookup.content[0].text
    assert time.monotonic() - started < 15


def test_a_fifo_lock_file_is_refused_clearly(in_process_env, home, fake_openai):
    made = _call("openai_generate_image", {"prompt": "A fox"})
    conversation_id = made.structured_content["conversation_id"]
    lock = home["data"] / "locks" / f"{conversation_id}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.unlink(missing_ok=True)
    os.mkfifo(lock)
    result = _call("openai_conversational_image", {"prompt": "blue", "conversation_id": conversation_id})
    text = result.content[0].text
    assert result.is_error and "not a regular file" in text and "Unexpected" not in text
    assert made.structured_content["path"] in text or "saved to" in text  # the paid image is named


def test_a_symlinked_conversation_file_is_not_followed(in_process_env, home, tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"id": "conv_0123456789abcdef", "title": "private"}))
    os.symlink(secret, _folder(home) / "conv_0123456789abcdef.json")
    result = _call("openai_conversational_image", {"prompt": "blue", "conversation_id": "conv_0123456789abcdef"})
    assert result.is_error and "symbolic link" in result.content[0].text
    assert _call("openai_list_conversations", {}).structured_content["unreadable"] == 1


def test_an_oversized_conversation_file_is_refused_and_skipped(in_process_env, home):
    path = _folder(home) / "conv_0123456789abcdef.json"
    with open(path, "wb") as handle:
        handle.truncate(storage.MAX_FILE_BYTES + 1)
    result = _call("openai_conversational_image", {"prompt": "blue", "conversation_id": "conv_0123456789abcdef"})
    assert result.is_error and "8 MB" in result.content[0].text
    assert _call("openai_list_conversations", {}).structured_content["unreadable"] == 1


def test_a_huge_title_is_cut_and_the_listing_stays_fast_and_small(in_process_env, home):
    conversation = storage.new_conversation("A fox")
    data = json.loads(conversation.model_dump_json())
    data["title"] = "fox " * 750_000  # 3 MB, and 3 MB more in a message: under the file cap
    data["messages"] = [{"role": "user", "text": "x" * 3_000_000}]
    (_folder(home) / f"{conversation.id}.json").write_text(json.dumps(data))
    started = time.monotonic()
    for args in ({}, {"query": "fox"}):
        listing = _call("openai_list_conversations", args)
        [entry] = listing.structured_content["conversations"]
        assert len(entry["title"]) <= storage.MAX_TITLE_CHARS
        assert _size(listing) < 10_000
    assert time.monotonic() - started < 10
    loaded = storage.ConversationStore(_folder(home)).load(conversation.id)
    assert len(loaded.messages[0].text) == storage.MAX_TEXT_CHARS


def test_the_largest_listing_stays_within_the_client_caps(in_process_env, home):
    folder = _folder(home)
    for _n in range(500):
        conversation = storage.new_conversation("word " * 40)
        record = storage.ImageRecord(
            image_id=storage.new_image_id(),
            path="/" + "long-folder-name/" * 60 + "openai_image.png",
            prompt="p",
            size="1024x1024",
            model="m",
        )
        storage.record_turn(conversation, prompt="p", image=record, assistant_text=None)
        (folder / f"{conversation.id}.json").write_text(conversation.model_dump_json())
    listing = _call("openai_list_conversations", {"limit": 500})
    assert not listing.is_error
    assert _size(listing) < CLAUDE_CODE_CAP
    shown = len(listing.structured_content["conversations"])
    assert 0 < shown < 500 and f"{500 - shown} more left out" in listing.content[0].text


def test_a_long_query_is_refused_in_plain_words(in_process_env):
    result = _call("openai_list_conversations", {"query": "q" * 201})
    assert result.is_error
    assert result.content[0].text.startswith("Invalid arguments for openai_list_conversations: query is 201 characters; the limit is 200")


def test_the_worst_dry_run_stays_within_the_client_caps(in_process_env):
    result = _call("openai_generate_image", {"prompt": "A fox. " * (inputs.MAX_PROMPT_CHARS // 7), "dry_run": True})
    assert not result.is_error, result.content[0].text
    assert _size(result) < CLAUDE_CODE_CAP


def test_one_calls_images_have_a_total_budget(in_process_env, fake_openai, tmp_path, monkeypatch):
    monkeypatch.setattr(inputs, "MAX_CALL_INPUT_BYTES", 300_000)
    references = []
    for n in range(4):  # noise does not compress: about 270 KB each
        Image.frombytes("RGB", (300, 300), os.urandom(300 * 300 * 3)).save(tmp_path / f"ref{n}.png")
        references.append(str(tmp_path / f"ref{n}.png"))
    result = _call("openai_generate_image", {"prompt": "A fox", "reference_image_paths": references})
    assert result.is_error and "add up to" in result.content[0].text and "Nothing was sent" in result.content[0].text
    assert fake_openai.response_requests() == []


def test_a_failure_after_the_image_arrived_names_the_saved_file(in_process_env, fake_openai, home, monkeypatch):
    made = _call("openai_generate_image", {"prompt": "A fox"})

    def broken_lock(self, name, change, limit):
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(backends.FolderDocuments, "update", broken_lock)
    result = _call("openai_conversational_image", {"prompt": "Blue", "conversation_id": made.structured_content["conversation_id"]})
    text = result.content[0].text
    assert result.is_error and "Unexpected error" not in text
    [saved] = [p for p in home["output"].iterdir() if str(p) != made.structured_content["path"]]
    assert f"The image was saved to {saved}" in text and "Permission denied" in text


def test_fields_are_cut_to_their_caps_when_read():
    record = storage.ImageRecord.model_validate(
        {"image_id": "i" * 5000, "path": "/" + "p" * 5000, "prompt": "x" * 100_000, "size": "s", "model": "m"}
    )
    assert len(record.path) == storage.MAX_PATH_CHARS and len(record.prompt) == storage.MAX_TEXT_CHARS
    assert len(record.image_id) == storage.MAX_SHORT_CHARS and record.path.endswith("…")


def test_saved_options_that_are_not_valid_are_left_out(in_process_env, fake_openai, home):
    made = _call("openai_generate_image", {"prompt": "A fox", "output_format": "webp"})
    path = _folder(home) / f"{made.structured_content['conversation_id']}.json"
    data = json.loads(path.read_text())
    data["options"] = {"": 1, "quality": ["x"], "output_compression": "lots", "background": "opaque", "output_format": "webp"}
    path.write_text(json.dumps(data))
    result = _call(
        "openai_conversational_image", {"prompt": "Blue", "conversation_id": made.structured_content["conversation_id"], "dry_run": True}
    )
    assert not result.is_error, result.content[0].text
    tool = result.structured_content["request"]["tools"][0]
    assert (tool.get("background"), tool.get("output_format")) == ("opaque", "webp")  # the valid ones are kept
    assert "quality" not in tool and "output_compression" not in tool


def test_a_planted_pending_render_with_an_odd_id_is_never_looked_up(in_process_env, fake_openai, home):
    made = _call("openai_generate_image", {"prompt": "A fox"})
    path = home["data"] / "conversations" / f"{made.structured_content['conversation_id']}.json"
    stored = json.loads(path.read_text())
    stored["pending_render"] = {
        "response_id": "resp_1/../../files/file-abc/content",
        "file_stem": "../../etc/x",
        "prompt": "p",
        "size": "1024x1024",
        "assistant_model": "gpt-6-astra",
    }
    path.write_text(json.dumps(stored))
    before = len(fake_openai.requests)
    shown = _call("openai_get_image", {"conversation_id": stored["id"]})
    listed = _call("openai_list_conversations", {})
    assert not shown.is_error and shown.structured_content["path"] == made.structured_content["path"]
    assert not listed.is_error and len(fake_openai.requests) == before, "nothing was asked of OpenAI"
