"""Long renders over stdio: a deadline for every call, renders that outlive it, are resumed, survive SIGKILL and can be cancelled."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import pytest
from conftest import SERVER, call_tool, result_text, stdio_client

pytestmark = pytest.mark.integration


def _conversation(home, conversation_id: str) -> dict:
    return json.loads((home["data"] / "conversations" / f"{conversation_id}.json").read_text())


def _images(home) -> list[Path]:
    return sorted(home["output"].iterdir()) if home["output"].exists() else []


def _retrieves(fake) -> list[tuple[str, str]]:
    """(path, query) of every GET /v1/responses/{id} the server sent."""
    return [(r.path, r.query) for r in fake.requests if r.method == "GET" and r.path.startswith("/v1/responses/")]


@pytest.fixture
def slow_env(server_env, fake_openai):
    """A server whose calls wait 1 s, against renders that take 3 s."""
    fake_openai.render_seconds = 3.0
    return {**server_env, "OPENAI_IMAGES_WAIT_SECONDS": "1"}


async def test_a_slow_render_answers_by_the_deadline_and_is_collected_later(slow_env, fake_openai, home):
    # A 2 s deadline: the first call of a process also imports the SDK, which on a loaded 2-core CI machine
    # took long enough that OpenAI had not named the response within 1 s.
    fake_openai.render_seconds = 5.0
    async with stdio_client({**slow_env, "OPENAI_IMAGES_WAIT_SECONDS": "2"}) as client:
        started = time.monotonic()
        first = await call_tool(client, "openai_generate_image", {"prompt": "A lighthouse in a storm"})
        took = time.monotonic() - started
        assert not first.is_error, result_text(first)
        assert took < 2 + 1.0, f"answered after {took:.1f} s; the deadline is 2 s"
        structured = first.structured_content
        assert structured["status"] == "rendering" and structured["conversation_id"].startswith("conv_")
        assert structured["response_id"].startswith("resp_") and 1.5 <= structured["elapsed_seconds"] <= 3.0
        text = result_text(first)
        assert "still rendering" in text and "Nothing more will be charged" in text
        assert f'call openai_get_image with conversation_id="{structured["conversation_id"]}"' in text
        assert _images(home) == []
        stored = _conversation(home, structured["conversation_id"])
        pending = stored["pending_render"]
        assert pending["response_id"] == structured["response_id"] and pending["prompt"] == "A lighthouse in a storm"
        assert pending["file_stem"].startswith("openai_image_") and pending["last_sequence"] >= 0 and pending["size"]

        collected = await call_tool(client, "openai_get_image", {"conversation_id": structured["conversation_id"], "wait_seconds": 10})
        assert not collected.is_error, result_text(collected)
        got = collected.structured_content
        assert got["status"] == "generated" and got["response_id"] == structured["response_id"]
        assert Path(got["path"]).name == pending["file_stem"] + ".png" and Path(got["path"]).stat().st_size == got["bytes"]
        assert [block.type for block in collected.content] == ["text", "image", "resource_link"]
        assert got["cost_usd"] and got["session_cost_usd"] == pytest.approx(got["cost_usd"]), "the cost is counted once, when it landed"

        again = await call_tool(client, "openai_get_image", {"conversation_id": structured["conversation_id"]})
        assert again.structured_content["path"] == got["path"] and "Image saved earlier" in result_text(again)
        assert again.structured_content["session_cost_usd"] == pytest.approx(got["cost_usd"]), "showing it again costs nothing"
    assert fake_openai.generations == 1 and len(fake_openai.response_requests()) == 1
    stored = _conversation(home, structured["conversation_id"])
    assert stored["pending_render"] is None and [image["path"] for image in stored["images"]] == [got["path"]]
    assert _images(home) == [Path(got["path"])]


async def test_the_render_lands_on_its_own_after_the_call_returned(slow_env, fake_openai, home):
    async with stdio_client(slow_env) as client:
        first = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        assert first.structured_content["status"] == "rendering"
        for _ in range(100):
            if _images(home):
                break
            await asyncio.sleep(0.1)
        [image] = _images(home)
        await asyncio.sleep(0.3)  # the record follows the file
        stored = _conversation(home, first.structured_content["conversation_id"])
        assert stored["pending_render"] is None and stored["images"][0]["path"] == str(image)
        assert stored["messages"][0] == {**stored["messages"][0], "role": "user", "text": "A fox"}


async def _start_and_kill(env) -> dict:
    """Start a render in a server process, then SIGKILL that process mid-render; the call's structured result."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SERVER),
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "openai_generate_image", "arguments": {"prompt": "A castle at dusk"}},
        },
    ]
    try:
        for message in messages:
            proc.stdin.write((json.dumps(message) + "\n").encode())
        await proc.stdin.drain()
        while True:
            answer = json.loads(await asyncio.wait_for(proc.stdout.readline(), 30))
            if answer.get("id") == 1:
                return answer["result"]["structuredContent"]
    finally:
        proc.kill()
        await proc.wait()


async def test_a_render_survives_sigkill_and_a_new_process_collects_it_without_a_second_generation(slow_env, fake_openai, home):
    fake_openai.render_seconds = 4.0
    rendering = await _start_and_kill(slow_env)
    assert rendering["status"] == "rendering"
    conversation_id, response_id = rendering["conversation_id"], rendering["response_id"]
    assert fake_openai.background_responses()[response_id] in ("queued", "in_progress"), "it goes on at OpenAI"
    assert _images(home) == []

    async with stdio_client(slow_env) as client:
        listing = await call_tool(client, "openai_list_conversations", {})
        [summary] = listing.structured_content["conversations"]
        assert summary["rendering_since"] and summary["pending_response_id"] == response_id
        assert f"rendering since {summary['rendering_since']}" in result_text(listing)
        collected = await call_tool(client, "openai_get_image", {"conversation_id": conversation_id, "wait_seconds": 15})
        assert not collected.is_error, result_text(collected)
        assert collected.structured_content["status"] == "generated" and collected.structured_content["response_id"] == response_id
    assert fake_openai.generations == 1 and len(fake_openai.response_requests()) == 1, "never a second generation"
    resumed = [query for path, query in _retrieves(fake_openai) if path == f"/v1/responses/{response_id}" and "stream=true" in query]
    assert resumed and all("starting_after=" in query for query in resumed), "resumed as a stream after the last event seen"
    [image] = _images(home)
    stored = _conversation(home, conversation_id)
    assert stored["pending_render"] is None and stored["images"][0]["path"] == str(image)
    assert image.name.startswith(stored["images"][0]["path"].rsplit("/", 1)[1][:13])


async def test_a_dropped_stream_is_resumed_and_the_image_saved_once(server_env, fake_openai, home):
    fake_openai.drop_stream_after(3, count=2)  # the create stream and the first resumed stream both hang up
    async with stdio_client(server_env) as client:
        made = await call_tool(client, "openai_generate_image", {"prompt": "A fox", "partial_images": 2})
    assert not made.is_error, result_text(made)
    assert made.structured_content["status"] == "generated"
    response_id = made.structured_content["response_id"]
    streams = [query for path, query in _retrieves(fake_openai) if path == f"/v1/responses/{response_id}" and "stream=true" in query]
    assert len(streams) >= 2 and "starting_after=2" in streams[0], streams
    assert fake_openai.generations == 1 and len(fake_openai.response_requests()) == 1
    assert _images(home) == [Path(made.structured_content["path"])]


async def test_a_refinement_waits_for_the_pending_render_then_chains_from_it(server_env, fake_openai, home):
    # The first call gives up at 3 s, before its 3.5 s render is done; the refinement's own 3 s deadline leaves
    # 2.5 s of headroom for a loaded machine.
    fake_openai.render_seconds = 3.5
    env = {**server_env, "OPENAI_IMAGES_WAIT_SECONDS": "3"}
    async with stdio_client(env) as client:
        first = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        assert first.structured_content["status"] == "rendering"
        conversation_id, first_response = first.structured_content["conversation_id"], first.structured_content["response_id"]
        refined = await call_tool(client, "openai_conversational_image", {"prompt": "Make it blue", "conversation_id": conversation_id})
        assert not refined.is_error, result_text(refined)
        collected = await call_tool(client, "openai_get_image", {"conversation_id": conversation_id, "wait_seconds": 10})
        assert collected.structured_content["status"] == "generated", result_text(collected)
    [_, second] = fake_openai.response_requests()
    assert second["previous_response_id"] == first_response, "chained from the render it waited for"
    stored = _conversation(home, conversation_id)
    assert [image["response_id"] for image in stored["images"]] == [first_response, collected.structured_content["response_id"]]
    assert stored["pending_render"] is None


async def test_a_refinement_while_the_render_is_still_pending_at_the_deadline_says_to_try_again(slow_env, fake_openai, home):
    fake_openai.render_seconds = 5.0
    async with stdio_client(slow_env) as client:
        first = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        conversation_id = first.structured_content["conversation_id"]
        refined = await call_tool(client, "openai_conversational_image", {"prompt": "Make it blue", "conversation_id": conversation_id})
        assert not refined.is_error, result_text(refined)
        assert refined.structured_content["status"] == "rendering"
        assert refined.structured_content["response_id"] == first.structured_content["response_id"], "the earlier image's render"
        assert "Try the refinement again" in result_text(refined)
        assert len(fake_openai.response_requests()) == 1, "no request chains from an unfinished response"


async def test_an_explicit_cancel_stops_the_render_and_no_file_appears(slow_env, fake_openai, home):
    async with stdio_client(slow_env) as client:
        first = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        conversation_id, response_id = first.structured_content["conversation_id"], first.structured_content["response_id"]
        cancelled = await call_tool(client, "openai_get_image", {"conversation_id": conversation_id, "cancel": True})
        assert not cancelled.is_error, result_text(cancelled)
        assert cancelled.structured_content["status"] == "cancelled" and cancelled.structured_content["response_id"] == response_id
        assert "no image will be saved" in result_text(cancelled)
        assert fake_openai.background_responses()[response_id] == "cancelled"
        await asyncio.sleep(3.5)  # longer than the render would have taken
        assert _images(home) == []
        after = await call_tool(client, "openai_get_image", {"conversation_id": conversation_id})
        assert after.is_error and "cancelled" in result_text(after)
        nothing = await call_tool(client, "openai_get_image", {"conversation_id": conversation_id, "cancel": True})
        assert nothing.is_error and "nothing to cancel" in result_text(nothing)
    stored = _conversation(home, conversation_id)
    assert stored["pending_render"] is None and stored["images"] == []
    assert stored["ended_renders"][-1]["status"] == "cancelled" and stored["ended_renders"][-1]["response_id"] == response_id
    assert fake_openai.generations == 1


async def test_an_endpoint_that_refuses_background_gets_foreground_streams_with_the_same_deadline(server_env, fake_openai, home):
    fake_openai.refuse_background()
    fake_openai.event_delay = 0.3  # a foreground stream of about 3 s
    env = {**server_env, "OPENAI_IMAGES_WAIT_SECONDS": "1"}
    async with stdio_client(env) as client:
        first = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        assert not first.is_error, result_text(first)
        assert first.structured_content["status"] == "rendering"
        collected = await call_tool(
            client, "openai_get_image", {"conversation_id": first.structured_content["conversation_id"], "wait_seconds": 10}
        )
        assert collected.structured_content["status"] == "generated", result_text(collected)
        fake_openai.event_delay = 0.0
        second = await call_tool(client, "openai_generate_image", {"prompt": "An owl"})
        assert second.structured_content["status"] == "generated"
    refused, foreground, later = fake_openai.response_requests()
    assert refused["background"] is True and "background" not in foreground and "background" not in later
    assert fake_openai.generations == 2 and len(_images(home)) == 2


async def test_a_stream_answered_with_plain_json_is_taken_as_the_final_response(server_env, fake_openai, home):
    fake_openai.answer_streams_with_json()
    async with stdio_client(server_env) as client:
        background = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
    async with stdio_client({**server_env, "OPENAI_IMAGES_BACKGROUND": "false"}) as client:
        foreground = await call_tool(client, "openai_generate_image", {"prompt": "An owl"})
    for made in (background, foreground):
        assert not made.is_error and made.structured_content["status"] == "generated", result_text(made)
        assert Path(made.structured_content["path"]).is_file()
    first, second = fake_openai.response_requests()
    assert first["background"] is True and "background" not in second and "store" not in second


@pytest.mark.parametrize(
    "outcome, words",
    [
        (("failed_response", {"code": "server_error", "message": "The render broke"}), "The render broke"),
        (("forgotten", {"after": 0.3}), "no longer has the render"),
    ],
)
async def test_a_failed_or_expired_background_response_is_a_clear_error_and_the_conversation_stays_consistent(
    server_env, fake_openai, home, outcome, words
):
    fake_openai.render_seconds = 1.0
    async with stdio_client(server_env) as client:
        first = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        conversation_id = first.structured_content["conversation_id"]
        fake_openai.queue_outcome(outcome[0], **outcome[1])
        failed = await call_tool(client, "openai_conversational_image", {"prompt": "Make it blue", "conversation_id": conversation_id})
        assert failed.is_error and words in result_text(failed), result_text(failed)
        shown = await call_tool(client, "openai_get_image", {"conversation_id": conversation_id})
        assert shown.is_error and words in result_text(shown) and first.structured_content["image_id"] in result_text(shown)
        earlier = await call_tool(
            client, "openai_get_image", {"conversation_id": conversation_id, "image_id": first.structured_content["image_id"]}
        )
        assert earlier.structured_content["path"] == first.structured_content["path"]
        again = await call_tool(client, "openai_conversational_image", {"prompt": "Make it green", "conversation_id": conversation_id})
        assert again.structured_content["status"] == "generated", result_text(again)
    stored = _conversation(home, conversation_id)
    assert stored["pending_render"] is None and len(stored["images"]) == 2
    assert stored["ended_renders"][0]["status"] == "failed" and words in stored["ended_renders"][0]["message"]
    assert fake_openai.response_requests()[2]["previous_response_id"] == first.structured_content["response_id"]
    assert len(_images(home)) == 2


async def test_a_render_that_fails_after_the_call_returned_is_reported_when_collected(slow_env, fake_openai, home):
    fake_openai.queue_outcome("failed_response", code="server_error", message="Late failure")
    async with stdio_client(slow_env) as client:
        first = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        assert first.structured_content["status"] == "rendering"
        conversation_id = first.structured_content["conversation_id"]
        late = await call_tool(client, "openai_get_image", {"conversation_id": conversation_id, "wait_seconds": 10})
        assert late.is_error and "Late failure" in result_text(late), result_text(late)
        later = await call_tool(client, "openai_get_image", {"conversation_id": conversation_id})
        assert later.is_error and "Late failure" in result_text(later)
        listing = await call_tool(client, "openai_list_conversations", {})
        assert listing.structured_content["conversations"][0]["rendering_since"] is None
    assert _images(home) == []


async def test_a_discounted_window_answers_at_once_and_is_collected_by_polling(server_env, fake_openai, home):
    fake_openai.window_seconds["2h"] = 1.0
    async with stdio_client(server_env) as client:
        dry = await call_tool(client, "openai_generate_image", {"prompt": "A fox", "completion_window": "2h", "dry_run": True})
        assert dry.structured_content["completion_window"] == "2h" and "completion window 2h" in result_text(dry)
        assert dry.structured_content["request"]["background_options"] == {"completion_window": "2h"}
        assert dry.structured_content["request"]["stream"] is False
        started = time.monotonic()
        queued = await call_tool(client, "openai_generate_image", {"prompt": "A fox", "completion_window": "2h"})
        assert time.monotonic() - started < 1.0, "answers once OpenAI has named the response"
        assert queued.structured_content["status"] == "rendering" and queued.structured_content["completion_window"] == "2h"
        assert "discounted 2h completion window" in result_text(queued)
        collected = await call_tool(
            client, "openai_get_image", {"conversation_id": queued.structured_content["conversation_id"], "wait_seconds": 15}
        )
        assert collected.structured_content["status"] == "generated", result_text(collected)
        streamed = await call_tool(client, "openai_generate_image", {"prompt": "A fox", "completion_window": "8h", "partial_images": 1})
        assert streamed.is_error and "partial_images cannot be used with completion_window='8h'" in result_text(streamed)
    [request] = fake_openai.response_requests()
    assert (request["background_options"] == {"completion_window": "2h"} and "stream" not in request) or request["stream"] is False
    assert not any("stream=true" in query for _, query in _retrieves(fake_openai)), "a discounted render is polled"

    async with stdio_client({**server_env, "OPENAI_IMAGES_BACKGROUND": "false"}) as client:
        refused = await call_tool(client, "openai_generate_image", {"prompt": "A fox", "completion_window": "2h"})
    assert refused.is_error and "OPENAI_IMAGES_BACKGROUND" in result_text(refused)
    assert len(fake_openai.response_requests()) == 1


async def test_background_is_the_default_and_can_be_switched_off(server_env, fake_openai):
    async with stdio_client(server_env) as client:
        await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
    async with stdio_client({**server_env, "OPENAI_IMAGES_BACKGROUND": "false"}) as client:
        await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
    background, foreground = fake_openai.response_requests()
    assert background["background"] is True and background["store"] is True and background["stream"] is True
    assert "background" not in foreground and foreground["stream"] is True


async def test_bad_wait_settings_are_refused_with_the_allowed_range(server_env):
    for value in ("0", "3601", "soon"):
        async with stdio_client({**server_env, "OPENAI_IMAGES_WAIT_SECONDS": value}) as client:
            result = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        assert result.is_error and "OPENAI_IMAGES_WAIT_SECONDS" in result_text(result) and "from 1 to 3600" in result_text(result)


async def test_a_dialogue_image_still_rendering_is_waited_for_not_made_twice(server_env, fake_openai, home):
    # The refinement's own 3 s deadline leaves 2.5 s of headroom past the render: a loaded CI machine once
    # took 1.3 s longer than the fake's clock, and a refinement past its deadline (rightly) answers "rendering".
    fake_openai.render_seconds = 3.5
    env = {**server_env, "OPENAI_IMAGES_WAIT_SECONDS": "3"}
    async with stdio_client(env) as client:
        asked = await call_tool(client, "openai_conversational_image", {"prompt": "A logo for a bakery", "dialogue_mode": "quick"})
        assert asked.structured_content["status"] == "question", result_text(asked)
        conversation_id = asked.structured_content["conversation_id"]
        made = await call_tool(client, "openai_conversational_image", {"prompt": "generate now", "conversation_id": conversation_id})
        assert made.structured_content["status"] == "rendering", result_text(made)
        refined = await call_tool(client, "openai_conversational_image", {"prompt": "Make it blue", "conversation_id": conversation_id})
        assert not refined.is_error, result_text(refined)
        await call_tool(client, "openai_get_image", {"conversation_id": conversation_id, "wait_seconds": 10})
    _first, second = fake_openai.response_requests()
    assert second["input"] == "Make it blue" and second["previous_response_id"] == made.structured_content["response_id"]
    assert fake_openai.generations == 2 and len(_conversation(home, conversation_id)["images"]) == 2


async def test_two_refinements_at_once_in_one_process_start_one_render_and_explain_the_other(server_env, fake_openai, home):
    async with stdio_client(server_env) as client:
        first = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        conversation_id = first.structured_content["conversation_id"]
        fake_openai.render_seconds = 1.0
        a, b = await asyncio.gather(
            call_tool(client, "openai_conversational_image", {"prompt": "Blue", "conversation_id": conversation_id}),
            call_tool(client, "openai_conversational_image", {"prompt": "Green", "conversation_id": conversation_id}),
        )
    outcomes = sorted([a, b], key=lambda result: result.is_error)
    assert not outcomes[0].is_error and outcomes[0].structured_content["status"] == "generated"
    if outcomes[1].is_error:
        assert "already making an image" in result_text(outcomes[1]) and "openai_get_image" in result_text(outcomes[1])
    assert fake_openai.generations == len(_conversation(home, conversation_id)["images"])


async def test_after_a_drop_the_file_remembers_how_far_the_stream_got(server_env, fake_openai, home):
    fake_openai.render_seconds = 2.0
    fake_openai.drop_stream_after(4)
    env = {**server_env, "OPENAI_IMAGES_WAIT_SECONDS": "1"}
    async with stdio_client(env) as client:
        first = await call_tool(client, "openai_generate_image", {"prompt": "A fox", "partial_images": 2})
        assert first.structured_content["status"] == "rendering"
        pending = _conversation(home, first.structured_content["conversation_id"])["pending_render"]
        assert pending["last_sequence"] >= 3, "another process would resume after the events already seen"
        await call_tool(client, "openai_get_image", {"conversation_id": first.structured_content["conversation_id"], "wait_seconds": 10})
