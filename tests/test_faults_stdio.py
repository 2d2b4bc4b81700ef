"""Faults, bad input, secrets, concurrency and process hygiene, against the real server process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

import pytest
from conftest import FAKE_KEY, SERVER, call_tool, result_text, stdio_client, write_image

pytestmark = pytest.mark.integration


def _conversation_file(home, conversation_id) -> Path:
    return home["data"] / "conversations" / f"{conversation_id}.json"


FAULTS = [
    # (how to inject, expected words in the error, or None when the call must succeed after retries)
    (lambda fake: fake.fail_next(429, "rate_limit_exceeded"), None),
    (lambda fake: fake.fail_next(500, "server_error"), None),
    (lambda fake: fake.fail_next(503, "service_unavailable_error"), None),
    (lambda fake: fake.fail_next(429, "insufficient_quota"), "quota is used up"),
    (lambda fake: fake.fail_next(500, "server_error", count=3), "server error (500)"),
    (lambda fake: fake.queue_outcome("hang", seconds=4), "did not finish within 2 s"),
    (lambda fake: fake.queue_outcome("stream_cut"), None),  # a background response: the stream is picked up again
    (lambda fake: fake.queue_outcome("no_image"), "without an image"),
    (lambda fake: fake.queue_outcome("moderated", categories=["violence"]), "categories: violence"),
    (lambda fake: fake.queue_outcome("bad_base64"), "not valid base64"),
    (lambda fake: fake.queue_outcome("damaged_image"), "not a readable image"),
    (lambda fake: fake.queue_outcome("failed_response", code="server_error"), "server_error"),
]


@pytest.mark.parametrize(
    "inject, expected",
    FAULTS,
    ids=[
        "429-retried",
        "500-retried",
        "503-retried",
        "quota",
        "500-persistent",
        "hang",
        "stream-cut",
        "no-image",
        "moderated",
        "bad-base64",
        "damaged-image",
        "failed-response",
    ],
)
async def test_faults_give_clear_errors_and_lose_nothing(server_env, fake_openai, home, inject, expected):
    env = {**server_env, "OPENAI_IMAGES_TIMEOUT": "2"}
    async with stdio_client(env) as client:
        first = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        conversation_id = first.structured_content["conversation_id"]
        before = _conversation_file(home, conversation_id).read_bytes()
        files_before = sorted(home["output"].iterdir())
        requests_before = len(fake_openai.response_requests())

        inject(fake_openai)
        generations = fake_openai.generations
        faulty = await call_tool(client, "openai_conversational_image", {"prompt": "Make it blue", "conversation_id": conversation_id})
        assert fake_openai.generations <= generations + 1, "one call, at most one generation"
        if expected is None:
            assert not faulty.is_error, result_text(faulty)
            assert len(json.loads(_conversation_file(home, conversation_id).read_text())["images"]) == 2
        else:
            assert faulty.is_error and expected in result_text(faulty), result_text(faulty)
            _assert_only_the_failure_recorded(before, _conversation_file(home, conversation_id), expected)
            assert sorted(home["output"].iterdir()) == files_before, "no partial or stray file"
            if "quota" in expected:
                assert len(fake_openai.response_requests()) == requests_before + 1, "an exhausted quota is not retried"

        after = await call_tool(client, "openai_conversational_image", {"prompt": "Make it green", "conversation_id": conversation_id})
        assert not after.is_error, result_text(after)
    saved = json.loads(_conversation_file(home, conversation_id).read_text())
    assert saved["images"][-1]["path"] == after.structured_content["path"]


def _assert_only_the_failure_recorded(before: bytes, path: Path, expected: str) -> None:
    """The conversation is as it was, but for the note that a render failed (when OpenAI had started one)."""
    was, now = json.loads(before), json.loads(path.read_text())
    for key in ("images", "messages", "last_response_id", "options", "analysis"):
        assert now[key] == was[key], key
    assert now["pending_render"] is None
    if now["ended_renders"] != was["ended_renders"]:
        [ended] = now["ended_renders"][len(was["ended_renders"]) :]
        assert ended["status"] == "failed" and expected in ended["message"] and ended["after_images"] == len(was["images"])


async def test_expired_previous_response_still_works_and_connection_refused_is_clear(server_env, fake_openai):
    async with stdio_client(server_env) as client:
        first = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        fake_openai.expire_responses()
        second = await call_tool(
            client, "openai_conversational_image", {"prompt": "Blue", "conversation_id": first.structured_content["conversation_id"]}
        )
        assert not second.is_error and second.structured_content["notes"]

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    env = {**server_env, "OPENAI_BASE_URL": f"http://127.0.0.1:{closed_port}/v1", "OPENAI_IMAGES_MAX_RETRIES": "0"}
    async with stdio_client(env) as client:
        refused = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
    assert refused.is_error and f"Could not reach OpenAI at http://127.0.0.1:{closed_port}/v1" in result_text(refused)


async def test_unwritable_output_folder_and_full_disk_lose_nothing(server_env, fake_openai, home, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    async with stdio_client(server_env) as client:
        first = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        conversation_id = first.structured_content["conversation_id"]
        before = _conversation_file(home, conversation_id).read_bytes()
    async with stdio_client({**server_env, "OPENAI_IMAGES_OUTPUT_DIR": str(blocker / "out")}) as client:
        failed = await call_tool(client, "openai_conversational_image", {"prompt": "Blue", "conversation_id": conversation_id})
    assert failed.is_error and "OPENAI_IMAGES_OUTPUT_DIR" in result_text(failed)
    assert "call openai_get_image" in result_text(failed) and "nothing more is charged" in result_text(failed)
    was, now = json.loads(before), json.loads(_conversation_file(home, conversation_id).read_text())
    assert now["images"] == was["images"] and now["last_response_id"] == was["last_response_id"]
    pending = now["pending_render"]
    assert pending is not None, "the paid image is still known, to be collected"

    # The folder is fixed: the image OpenAI made is collected, and nothing is generated again.
    generations = fake_openai.generations
    async with stdio_client(server_env) as client:
        collected = await call_tool(client, "openai_get_image", {"conversation_id": conversation_id})
    assert not collected.is_error, result_text(collected)
    assert fake_openai.generations == generations
    saved = json.loads(_conversation_file(home, conversation_id).read_text())
    assert saved["pending_render"] is None and saved["images"][-1]["response_id"] == pending["response_id"]
    assert Path(collected.structured_content["path"]).name == pending["file_stem"] + ".png"


def test_full_disk_leaves_no_partial_image_and_no_record(in_process_env, home, monkeypatch):
    from fastmcp import Client

    import openai_images_mcp
    from openai_images import imagefiles

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(imagefiles.os, "fsync", full_disk)

    async def run():
        async with Client(openai_images_mcp.mcp) as client:
            return await client.call_tool_mcp("openai_generate_image", {"prompt": "A fox"})

    result = asyncio.run(run())
    assert result.is_error and "No space left on device" in result.content[0].text
    assert list(home["output"].iterdir()) == []
    # The disk is full for the conversation file too: nothing could be written down, and nothing half-written is left.
    assert not (home["data"] / "conversations").exists() or list((home["data"] / "conversations").iterdir()) == []


async def test_two_processes_refining_one_conversation_both_land(server_env, fake_openai, home):
    fake_openai.latency = 0.5
    async with stdio_client(server_env) as client:
        first = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
    conversation_id = first.structured_content["conversation_id"]
    async with stdio_client(server_env) as one, stdio_client(server_env) as two:
        a, b = await asyncio.gather(
            call_tool(one, "openai_conversational_image", {"prompt": "Blue", "conversation_id": conversation_id}),
            call_tool(two, "openai_conversational_image", {"prompt": "Green", "conversation_id": conversation_id}),
        )
    assert not a.is_error and not b.is_error
    saved = json.loads(_conversation_file(home, conversation_id).read_text())
    assert {image["image_id"] for image in saved["images"]} >= {a.structured_content["image_id"], b.structured_content["image_id"]}
    assert len(saved["images"]) == 3


async def test_eight_concurrent_generations_overlap_and_ping_stays_fast(server_env, fake_openai):
    fake_openai.latency = 1.0
    async with stdio_client(server_env, mode="legacy") as client:  # ping is a 2025-11-25 request
        fake_openai.latency = 0.0
        await call_tool(client, "openai_generate_image", {"prompt": "warm-up: loads the SDK once"})
        fake_openai.latency = 1.0
        started = time.monotonic()
        calls = asyncio.gather(*[call_tool(client, "openai_generate_image", {"prompt": f"Fox {n}", "size": "1024x1024"}) for n in range(8)])
        await asyncio.sleep(0.3)
        ping_started = time.monotonic()
        await client.ping()
        await client.list_tools()
        ping_time = time.monotonic() - ping_started
        results = await calls
        elapsed = time.monotonic() - started
    assert all(not r.is_error for r in results)
    assert len({r.structured_content["path"] for r in results}) == 8
    assert len(fake_openai.response_requests()) == 9
    assert elapsed < 5.0, f"8 generations of 1 s each took {elapsed:.1f} s: they did not run concurrently"
    assert ping_time < 1.0, f"ping and tools/list took {ping_time:.2f} s while generations ran"


BAD_IDS = [
    "../x",
    "..\\x",
    "/etc/passwd",
    "conv_0123456789abcdef\x00",
    "conv_０１２３４５６７８９abcdef",
    "conv_" + "a" * 5000,
    "conv_0123456789abcdeg",
]


async def test_bad_input_is_refused_before_any_request_and_touches_no_file(server_env, fake_openai, home, tmp_path):
    key_file = tmp_path / "id_rsa.png"
    key_file.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n")
    truncated = tmp_path / "cut.png"
    write_image(truncated, (300, 300))
    truncated.write_bytes(truncated.read_bytes()[:100])
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    link = tmp_path / "link.png"
    link.symlink_to(key_file)
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    bomb = tmp_path / "bomb.png"
    write_image(bomb, (9000, 9000), mode="1", color=0)  # 81 megapixels in a few KB
    big = tmp_path / "big.png"
    with open(big, "wb") as handle:
        handle.truncate(50 * 1024 * 1024 + 1)
    cases = [({"conversation_id": bad}, "Invalid conversation_id") for bad in BAD_IDS]
    cases += [({"conversation_id": "conv_0123456789abcdef"}, "No conversation")]
    for field in ("input_image_path", "mask_path", "reference_image_paths"):
        for path, expected in [
            (tmp_path / "missing.png", "no file at"),
            (tmp_path, "is a folder"),
            (fifo, "not a regular file"),
            (Path("/dev/zero"), "not a regular file"),
            (link, "not a readable"),
            (key_file, "not a readable"),
            (truncated, "not a readable"),
            (empty, "empty (0 bytes)"),
            (big, "50 MB"),
            (bomb, "too many pixels"),
        ]:
            value = [str(path)] if field == "reference_image_paths" else str(path)
            extra = {"input_image_path": None} if field != "mask_path" else {}
            if field == "mask_path":
                good = tmp_path / "good.png"
                write_image(good, (64, 64))
                extra = {"input_image_path": str(good)}
            cases.append(({field: value, **{k: v for k, v in extra.items() if v}}, expected))
    cases += [
        ({"prompt": ""}, "prompt is empty"),
        ({"prompt": " \n\t "}, "prompt is empty"),
        ({"prompt": "x" * 100_000}, "the limit is 32,000"),
    ]
    cases += [
        ({"size": size}, expected)
        for size, expected in [
            ("0x0", "not available"),
            ("-1x5", "WIDTHxHEIGHT"),
            ("99999x99999", "not available"),
            ("abc", "WIDTHxHEIGHT"),
        ]
    ]
    async with stdio_client(server_env) as client:
        for args, expected in cases:
            result = await call_tool(client, "openai_conversational_image", {"prompt": "A fox", "skip_dialogue": True, **args})
            assert result.is_error, args
            assert expected in result_text(result), (args, result_text(result))
            assert "secret" not in result_text(result)
    assert fake_openai.response_requests() == []
    assert not home["output"].exists()


async def test_allowed_dirs_restrict_which_images_may_be_read(server_env, fake_openai, tmp_path):
    inside, outside = tmp_path / "inside", tmp_path / "outside"
    inside.mkdir(), outside.mkdir()
    write_image(inside / "ok.png", (64, 64))
    write_image(outside / "no.png", (64, 64))
    (inside / "sneaky.png").symlink_to(outside / "no.png")
    env = {**server_env, "OPENAI_IMAGES_ALLOWED_DIRS": str(inside)}
    async with stdio_client(env) as client:
        ok = await call_tool(client, "openai_generate_image", {"prompt": "A fox", "reference_image_paths": [str(inside / "ok.png")]})
        refused = await call_tool(client, "openai_generate_image", {"prompt": "A fox", "reference_image_paths": [str(outside / "no.png")]})
        sneaky = await call_tool(client, "openai_conversational_image", {"prompt": "A fox", "input_image_path": str(inside / "sneaky.png")})
    assert not ok.is_error, result_text(ok)
    assert refused.is_error and "OPENAI_IMAGES_ALLOWED_DIRS" in result_text(refused)
    assert sneaky.is_error and "outside the folders" in result_text(sneaky)
    assert len(fake_openai.response_requests()) == 1


async def test_the_api_key_never_leaks(server_env, fake_openai, home, tmp_path):
    log = tmp_path / "server.log"
    async with stdio_client(server_env, log_file=log) as client:
        first = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        fake_openai.fail_next(401, "invalid_api_key", f"Incorrect API key provided: {FAKE_KEY}.")
        await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        fake_openai.fail_next(400, "invalid_value", f"Bad request with Bearer {FAKE_KEY} and {FAKE_KEY}")
        bad = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        fake_openai.queue_outcome("failed_response", code="server_error", message=f"internal {FAKE_KEY}")
        await call_tool(
            client, "openai_conversational_image", {"prompt": "x", "conversation_id": first.structured_content["conversation_id"]}
        )
        await call_tool(client, "openai_list_conversations", {})
        await call_tool(client, "openai_conversational_image", {"prompt": "x", "conversation_id": "../x"})
    assert "[redacted]" in result_text(bad)
    leaks = [str(p) for p in tmp_path.rglob("*") if p.is_file() and FAKE_KEY.encode() in p.read_bytes()]
    assert leaks == []
    assert FAKE_KEY not in log.read_text()


async def _raw_session(env, messages, wait_for_ids, extra_wait=0.0):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(SERVER), env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    lines: list[dict] = []

    async def read_until(ids):
        while not ids <= {m.get("id") for m in lines}:
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            assert line, "stdout closed early"
            lines.append(json.loads(line))  # anything that is not JSON fails here

    for message in messages:
        if callable(message):
            await message()
            continue
        proc.stdin.write((json.dumps(message) + "\n").encode())
        await proc.stdin.drain()
        if message.get("method") == "initialize":
            await read_until({message["id"]})
    await read_until(wait_for_ids)
    await asyncio.sleep(extra_wait)
    return proc, lines


INIT = [
    {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
    },
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
]


async def test_a_cancelled_call_still_lands_its_image(server_env, fake_openai, home):
    """notifications/cancelled stops the call, not the render: the image OpenAI is making is saved and recorded."""
    fake_openai.render_seconds = 2.0
    call = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": "openai_generate_image", "arguments": {"prompt": "A fox"}},
    }
    cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 7, "reason": "user stopped"}}
    ping = {"jsonrpc": "2.0", "id": 8, "method": "ping"}

    async def until_the_render_runs():
        for _ in range(200):
            if "in_progress" in fake_openai.background_responses().values():
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the render never started at the fake")

    proc, lines = await _raw_session(server_env, [*INIT, call, until_the_render_runs, cancel, ping], {8}, extra_wait=3.5)
    proc.stdin.close()
    rest, stderr = await asyncio.wait_for(proc.communicate(), 30)
    for line in rest.decode().splitlines():
        lines.append(json.loads(line))
    assert proc.returncode == 0
    assert all(message.get("id") != 7 for message in lines), "a cancelled request gets no answer"
    [image] = home["output"].iterdir()
    [file] = (home["data"] / "conversations").iterdir()
    stored = json.loads(file.read_text())
    assert stored["pending_render"] is None and [i["path"] for i in stored["images"]] == [str(image)]
    assert image.name == stored["images"][0]["path"].rsplit("/", 1)[1] and image.stat().st_size > 1000
    assert b"Traceback" not in stderr
    assert len(fake_openai.response_requests()) == 1 and fake_openai.generations == 1, "sent once, made once"


@pytest.mark.parametrize("how", ["eof", "sigterm", "sigint"])
async def test_clean_shutdown_with_pure_json_stdout(server_env, fake_openai, how):
    messages = [
        *INIT,
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "openai_generate_image", "arguments": {"prompt": "A fox"}}},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "openai_generate_image", "arguments": {"prompt": "A fox", "size": "bad"}},
        },
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "no_such_tool", "arguments": {}}},
        {
            "jsonrpc": "2.0",
            "id": 4,
            "method": "tools/call",
            "params": {"name": "openai_list_conversations", "arguments": {"limit": "many"}},
        },
    ]
    proc, lines = await _raw_session(server_env, messages, {1, 2, 3, 4})
    stopped = time.monotonic()
    if how == "eof":
        proc.stdin.close()
    else:
        proc.send_signal(signal.SIGTERM if how == "sigterm" else signal.SIGINT)
        await asyncio.wait_for(proc.wait(), 5)  # stdin still open, as under a terminal: the signal alone ends it
    rest, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert time.monotonic() - stopped < 3, "a signal ends the server within a second or two"
    for line in rest.decode().splitlines():
        assert json.loads(line)["jsonrpc"] == "2.0"
    assert b"Traceback" not in stderr, stderr.decode()[-3000:]
    assert proc.returncode == 0, proc.returncode
    answers = {m["id"]: m for m in lines if "id" in m}
    assert answers[1]["result"]["isError"] is False and answers[2]["result"]["isError"] is True
