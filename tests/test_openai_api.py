"""The OpenAI layer with respx: the request we send, how we read the answer, retries and error messages."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
import respx

from openai_images import openai_api
from openai_images.errors import ConfigurationError, OpenAIError
from openai_images.openai_api import (
    ImageInput,
    OpenAIImages,
    PreviousResponseGone,
    build_request,
)
from openai_images.settings import Settings

BASE = "https://openai.test/v1"
KEY = "sk-test-respx0123456789"
PNG_B64 = base64.b64encode(b"\x89PNG fake").decode()


def _settings(**overrides) -> Settings:
    values = {"api_key": KEY, "base_url": BASE, "max_retries": 2, "timeout": 5.0}
    values.update(overrides)
    return Settings(**values)


def _response(output=None, **extra) -> dict:
    body = {
        "id": "resp_1",
        "object": "response",
        "created_at": 1767225600,
        "status": "completed",
        "model": "gpt-6-astra",
        "parallel_tool_calls": True,
        "tool_choice": {"type": "image_generation"},
        "tools": [{"type": "image_generation", "size": "1024x1024"}],
        "output": output
        if output is not None
        else [
            {"type": "reasoning", "id": "rs_1", "summary": []},
            {
                "id": "ig_1",
                "type": "image_generation_call",
                "status": "completed",
                "result": PNG_B64,
                "revised_prompt": "A fox, revised",
                "size": "1024x1024",
                "output_format": "png",
            },
            {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": "Here it is.", "annotations": []}],
            },
        ],
        "usage": {
            "input_tokens": 20,
            "output_tokens": 30,
            "total_tokens": 50,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        },
        "tool_usage": {
            "image_gen": {
                "input_tokens": 50,
                "output_tokens": 1756,
                "total_tokens": 1806,
                "input_tokens_details": {"image_tokens": 0, "text_tokens": 50},
            }
        },
    }
    body.update(extra)
    return body


def _sse(body: dict, partials: int = 0, end: str | None = "response.completed") -> httpx.Response:
    """The body as OpenAI streams it: lifecycle events, the image stages, partial images, then the end event."""
    shell = {**body, "status": "in_progress", "output": []}
    events = [{"type": "response.created", "response": shell}, {"type": "response.in_progress", "response": shell}]
    events += [
        {"type": "response.image_generation_call.in_progress", "output_index": 1, "item_id": "ig_1"},
        {"type": "response.image_generation_call.generating", "output_index": 1, "item_id": "ig_1"},
    ]
    events += [
        {
            "type": "response.image_generation_call.partial_image",
            "output_index": 1,
            "item_id": "ig_1",
            "partial_image_index": i,
            "partial_image_b64": PNG_B64,
        }
        for i in range(partials)
    ]
    events.append({"type": "response.image_generation_call.completed", "output_index": 1, "item_id": "ig_1"})
    if end:
        events.append({"type": end, "response": body})
    text = "".join(f"event: {e['type']}\ndata: {json.dumps({**e, 'sequence_number': n})}\n\n" for n, e in enumerate(events))
    return httpx.Response(200, content=text.encode(), headers={"content-type": "text/event-stream"})


def _error(status: int, code: str | None, message: str = "nope", param: str | None = None, **headers) -> httpx.Response:
    return httpx.Response(
        status,
        json={"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}},
        headers={"retry-after-ms": "1", **headers},
    )


REQUEST = build_request(prompt="A fox", assistant_model="gpt-6-astra", size="1024x1024", image_model=None)


def test_request_forces_the_image_tool_and_sends_only_chosen_fields():
    assert REQUEST == {
        "model": "gpt-6-astra",
        "input": "A fox",
        "tools": [{"type": "image_generation", "size": "1024x1024"}],
        "tool_choice": {"type": "image_generation"},
    }
    with_model = build_request(prompt="x", assistant_model="m", size="auto", image_model="gpt-image-2", previous_response_id="resp_9")
    assert with_model["tools"] == [{"type": "image_generation", "size": "auto", "model": "gpt-image-2"}]
    assert with_model["previous_response_id"] == "resp_9"


def test_images_go_beside_the_prompt_as_input_image_parts():
    request = build_request(
        prompt="Put the cat in the room",
        assistant_model="m",
        size="1024x1024",
        image_model=None,
        images=[ImageInput(file_id="file-abc"), ImageInput(image_url="data:image/png;base64,AAAA")],
    )
    assert request["input"] == [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Put the cat in the room"},
                {"type": "input_image", "file_id": "file-abc", "detail": "auto"},
                {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "auto"},
            ],
        }
    ]


@respx.mock
async def test_sends_the_request_with_the_key_and_finds_the_image_by_type():
    route = respx.post(f"{BASE}/responses").mock(return_value=_sse(_response()))
    result = await OpenAIImages(_settings()).create(REQUEST)
    sent = route.calls.last.request
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert json.loads(sent.content) == {**REQUEST, "stream": True}
    assert (result.b64, result.response_id, result.image_call_id) == (PNG_B64, "resp_1", "ig_1")
    assert (result.revised_prompt, result.assistant_text, result.size) == ("A fox, revised", "Here it is.", "1024x1024")
    assert result.image_model == "gpt-image-2.6-sunburst"
    assert result.usage["image"]["output_tokens"] == 1756


@respx.mock
async def test_response_without_image_call_is_a_clear_error():
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": "I can't draw that.", "annotations": []}],
    }
    respx.post(f"{BASE}/responses").mock(return_value=_sse(_response(output=[message])))
    with pytest.raises(OpenAIError, match="without an image.*I can't draw that"):
        await OpenAIImages(_settings()).create(REQUEST)


@respx.mock
async def test_moderated_image_call_names_the_categories():
    call = {
        "type": "image_generation_call",
        "id": "ig_1",
        "status": "failed",
        "result": None,
        "error": {
            "code": "moderation_blocked",
            "type": "image_generation_user_error",
            "message": "Rejected.",
            "moderation_details": {"categories": ["violence", "gore"], "moderation_stage": "input"},
        },
    }
    respx.post(f"{BASE}/responses").mock(return_value=_sse(_response(output=[call])))
    with pytest.raises(OpenAIError, match="moderation_blocked; categories: violence, gore"):
        await OpenAIImages(_settings()).create(REQUEST)


@respx.mock
async def test_failed_response_reports_its_code():
    body = _response(output=[], status="failed", error={"code": "image_content_policy_violation", "message": "Not allowed"})
    respx.post(f"{BASE}/responses").mock(return_value=_sse(body, end="response.failed"))
    with pytest.raises(OpenAIError, match="image_content_policy_violation"):
        await OpenAIImages(_settings()).create(REQUEST)


@respx.mock
async def test_rate_limit_is_retried_then_succeeds():
    route = respx.post(f"{BASE}/responses").mock(side_effect=[_error(429, "rate_limit_exceeded"), _error(503, None), _sse(_response())])
    result = await OpenAIImages(_settings()).create(REQUEST)
    assert result.response_id == "resp_1" and route.call_count == 3


@respx.mock
async def test_exhausted_quota_is_not_retried_and_points_to_billing():
    route = respx.post(f"{BASE}/responses").mock(return_value=_error(429, "insufficient_quota", "You exceeded your current quota"))
    with pytest.raises(OpenAIError, match="Billing") as info:
        await OpenAIImages(_settings()).create(REQUEST)
    assert "insufficient_quota" in str(info.value)
    assert route.call_count == 1


@respx.mock
async def test_persistent_server_errors_give_up_after_the_retries():
    route = respx.post(f"{BASE}/responses").mock(return_value=_error(500, "server_error"))
    with pytest.raises(OpenAIError, match=r"server error \(500\).*after 1 retries"):
        await OpenAIImages(_settings(max_retries=1)).create(REQUEST)
    assert route.call_count == 2


@respx.mock
async def test_timeout_is_not_retried_and_names_the_setting():
    route = respx.post(f"{BASE}/responses").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(OpenAIError, match="OPENAI_IMAGES_TIMEOUT"):
        await OpenAIImages(_settings()).create(REQUEST)
    assert route.call_count == 1


@respx.mock
async def test_connection_failure_names_the_endpoint():
    respx.post(f"{BASE}/responses").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(OpenAIError, match="Could not reach OpenAI at https://openai.test/v1.*OPENAI_BASE_URL"):
        await OpenAIImages(_settings(max_retries=0)).create(REQUEST)


@respx.mock
async def test_bad_key_names_the_setting_and_never_echoes_the_key():
    respx.post(f"{BASE}/responses").mock(return_value=_error(401, "invalid_api_key", f"Incorrect API key provided: {KEY}"))
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY") as info:
        await OpenAIImages(_settings()).create(REQUEST)
    assert KEY not in str(info.value)


@respx.mock
async def test_no_model_access_names_the_model_setting():
    respx.post(f"{BASE}/responses").mock(return_value=_error(403, "model_not_found", "You do not have access"))
    with pytest.raises(ConfigurationError, match="OPENAI_IMAGE_MODEL") as info:
        await OpenAIImages(_settings(image_model="gpt-image-2")).create(REQUEST)
    assert "gpt-image-2" in str(info.value)


@respx.mock
async def test_safety_rejection_as_http_400_is_explained():
    respx.post(f"{BASE}/responses").mock(
        return_value=_error(400, "moderation_blocked", "Your request was rejected by the safety system. safety_violations=[violence]")
    )
    with pytest.raises(OpenAIError, match="moderation_blocked; categories: violence"):
        await OpenAIImages(_settings()).create(REQUEST)


@pytest.mark.parametrize(
    "reply",
    [
        _error(404, None, "Previous response with id 'resp_old' not found."),
        _error(400, "previous_response_not_found", "Previous response with id 'resp_old' not found.", param="previous_response_id"),
    ],
)
@respx.mock
async def test_expired_previous_response_is_recognised(reply):
    respx.post(f"{BASE}/responses").mock(return_value=reply)
    request = {**REQUEST, "previous_response_id": "resp_old"}
    with pytest.raises(PreviousResponseGone):
        await OpenAIImages(_settings()).create(request)


async def test_missing_key_says_where_the_key_goes():
    with pytest.raises(ConfigurationError) as info:
        await OpenAIImages(_settings(api_key=None)).create(REQUEST)
    message = str(info.value)
    assert "OPENAI_API_KEY" in message and "claude_desktop_config.json" in message and "claude mcp add" in message


@respx.mock
async def test_progress_is_reported_for_each_stage_and_partial_image_in_order():
    respx.post(f"{BASE}/responses").mock(return_value=_sse(_response(), partials=2))
    heard = []

    async def on_progress(message, partial):
        heard.append((message, partial))

    await OpenAIImages(_settings()).create(REQUEST, on_progress)
    assert heard == [
        ("OpenAI is working on it", None),
        ("image generation started", None),
        ("generating the image", None),
        ("partial image 1 received", 0),
        ("partial image 2 received", 1),
        ("image finished, receiving it", None),
    ]


@respx.mock
async def test_stream_that_ends_without_the_final_event_is_an_error():
    respx.post(f"{BASE}/responses").mock(return_value=_sse(_response(), end=None))
    with pytest.raises(OpenAIError, match="ended before the image arrived"):
        await OpenAIImages(_settings()).create(REQUEST)


@respx.mock
async def test_error_event_in_the_stream_is_an_error():
    text = 'data: {"type": "response.created", "sequence_number": 0, "response": {"id": "resp_1", "object": "response", "created_at": 1, "model": "m", "output": [], "parallel_tool_calls": true, "tool_choice": "auto", "tools": []}}\n\n'
    text += 'data: {"type": "error", "code": "server_error", "message": "boom", "param": null, "sequence_number": 1}\n\n'
    respx.post(f"{BASE}/responses").mock(
        return_value=httpx.Response(200, content=text.encode(), headers={"content-type": "text/event-stream"})
    )
    with pytest.raises(OpenAIError, match=r"\(server_error\): boom"):
        await OpenAIImages(_settings()).create(REQUEST)


@respx.mock
async def test_the_whole_request_is_bounded_by_the_timeout_setting():
    import asyncio

    async def slow(request):
        await asyncio.sleep(5)
        return _sse(_response())

    respx.post(f"{BASE}/responses").mock(side_effect=slow)
    with pytest.raises(OpenAIError, match="within 0.3 s.*OPENAI_IMAGES_TIMEOUT"):
        await OpenAIImages(_settings(timeout=0.3)).create(REQUEST)


@pytest.mark.parametrize(
    "version, url",
    [
        (None, "https://res.openai.azure.com/openai/v1/responses"),
        ("2025-04-01-preview", "https://res.openai.azure.com/openai/responses?api-version=2025-04-01-preview"),
    ],
)
@respx.mock
async def test_azure_openai_is_used_when_its_endpoint_and_key_are_set(version, url):
    route = respx.post(url).mock(return_value=_sse(_response()))
    settings = _settings(
        api_key=None, base_url=None, azure_endpoint="https://res.openai.azure.com/", azure_api_key="azure-key-123", api_version=version
    )
    result = await OpenAIImages(settings).create(REQUEST)
    assert result.response_id == "resp_1"
    assert route.calls.last.request.headers["api-key"] == "azure-key-123"


# --- background responses


BACKGROUND = build_request(prompt="A fox", assistant_model="gpt-6-astra", size="1024x1024", image_model=None, background=True)


def test_background_requests_are_stored_and_discounted_windows_are_polled():
    assert BACKGROUND["background"] is True and BACKGROUND["store"] is True and "background_options" not in BACKGROUND
    assert "background" not in REQUEST and "store" not in REQUEST
    window = build_request(prompt="x", assistant_model="m", size="auto", image_model=None, background=True, completion_window="8h")
    assert window["background_options"] == {"completion_window": "8h"}
    assert openai_api.streams(BACKGROUND) and not openai_api.streams(window)
    assert "background" not in openai_api.foreground(BACKGROUND) and "store" not in openai_api.foreground(BACKGROUND)
    with pytest.raises(OpenAIError, match="completion_window='8h'.*nothing was sent"):
        openai_api.foreground(window)


@respx.mock
async def test_the_response_id_is_heard_once_as_soon_as_openai_names_it():
    route = respx.post(f"{BASE}/responses").mock(return_value=_sse(_response(background=True)))
    heard = []

    async def started(tracking):
        heard.append((tracking.response_id, tracking.last_sequence, tracking.background))

    result = await OpenAIImages(_settings()).create(BACKGROUND, on_started=started)
    assert result.response_id == "resp_1" and heard == [("resp_1", 0, True)]
    sent = json.loads(route.calls.last.request.content)
    assert sent["background"] is True and sent["store"] is True and sent["stream"] is True


@respx.mock
async def test_a_dropped_background_stream_is_picked_up_after_the_last_event_seen():
    respx.post(f"{BASE}/responses").mock(return_value=_sse(_response(), end=None))  # hangs up before the end
    respx.get(f"{BASE}/responses/resp_1", params={"stream": "true"}).mock(return_value=_sse(_response()))
    plain = respx.get(f"{BASE}/responses/resp_1").mock(return_value=httpx.Response(200, json=_response(status="in_progress", output=[])))
    result = await OpenAIImages(_settings()).create(BACKGROUND)
    assert result.response_id == "resp_1" and result.revised_prompt == "A fox, revised"
    resumed = [call.request.url for call in respx.calls if call.request.method == "GET" and call.request.url.params.get("stream")]
    assert [url.params["starting_after"] for url in resumed] == ["4"]  # created, in_progress and three image stages seen
    assert plain.called and respx.calls.call_count == 3, "one create, one look-up, one resumed stream"


@respx.mock
async def test_contact_lost_for_good_is_reported_as_collectable_later():
    respx.post(f"{BASE}/responses").mock(return_value=_sse(_response(), end=None))
    respx.get(f"{BASE}/responses/resp_1").mock(side_effect=httpx.ConnectError("network down"))
    with pytest.raises(openai_api.RenderLost, match="it may still finish.*openai_get_image"):
        await OpenAIImages(_settings()).create(BACKGROUND)
    assert sum(call.request.method == "POST" for call in respx.calls) == 1, "never a second generation"


@respx.mock
async def test_a_response_openai_no_longer_has_ends_the_render():
    respx.post(f"{BASE}/responses").mock(return_value=_sse(_response(), end=None))
    respx.get(f"{BASE}/responses/resp_1").mock(return_value=_error(404, None, "No response with id 'resp_1' found."))
    with pytest.raises(openai_api.RenderEnded, match="no longer has the render resp_1"):
        await OpenAIImages(_settings()).create(BACKGROUND)


@respx.mock
async def test_an_endpoint_that_refuses_background_gets_foreground_for_the_rest_of_the_process():
    route = respx.post(f"{BASE}/responses").mock(
        side_effect=[
            _error(400, "unknown_parameter", "Unknown parameter: 'background'.", param="background"),
            _sse(_response()),
            _sse(_response()),
        ]
    )
    images = OpenAIImages(_settings())
    await images.create(BACKGROUND)
    assert images.background_refused and not images.uses_background
    await images.create(BACKGROUND)
    bodies = [json.loads(call.request.content) for call in route.calls]
    assert "background" in bodies[0] and "background" not in bodies[1] and "background" not in bodies[2]


@respx.mock
async def test_a_stream_answered_with_plain_json_is_the_final_response():
    respx.post(f"{BASE}/responses").mock(return_value=httpx.Response(200, json=_response(background=True)))
    heard = []

    async def started(tracking):
        heard.append(tracking.response_id)

    result = await OpenAIImages(_settings()).create(BACKGROUND, on_started=started)
    assert result.response_id == "resp_1" and heard == ["resp_1"]


@respx.mock
async def test_resume_follows_a_response_by_its_id_without_creating_one():
    respx.get(f"{BASE}/responses/resp_1", params={"stream": "true"}).mock(return_value=_sse(_response()))
    respx.get(f"{BASE}/responses/resp_1").mock(return_value=httpx.Response(200, json=_response(status="queued", output=[])))
    create = respx.post(f"{BASE}/responses")
    result = await OpenAIImages(_settings()).resume(openai_api.Tracking(response_id="resp_1", last_sequence=1, background=True))
    assert result.response_id == "resp_1" and not create.called


@pytest.mark.parametrize(
    "answer, status",
    [
        (httpx.Response(200, json=_response(status="cancelled", output=[])), "cancelled"),
        (_error(404, None, "No response with id 'resp_1' found."), "expired"),
    ],
)
@respx.mock
async def test_cancel_says_what_became_of_the_response(answer, status):
    respx.post(f"{BASE}/responses/resp_1/cancel").mock(return_value=answer)
    assert await OpenAIImages(_settings()).cancel("resp_1") == status


@respx.mock
async def test_cancelling_a_finished_response_reports_it_finished():
    respx.post(f"{BASE}/responses/resp_1/cancel").mock(return_value=_error(400, None, "Cannot cancel a completed response."))
    respx.get(f"{BASE}/responses/resp_1").mock(return_value=httpx.Response(200, json=_response()))
    assert await OpenAIImages(_settings()).cancel("resp_1") == "completed"


@respx.mock
async def test_a_400_on_the_image_tools_own_background_is_an_ordinary_error_and_renders_stay_in_the_background():
    refusal = _error(400, "invalid_value", "Transparent backgrounds are not supported for this model.", param="tools[0].background")
    route = respx.post(f"{BASE}/responses").mock(side_effect=[refusal, _sse(_response())])
    images = OpenAIImages(_settings())
    with pytest.raises(OpenAIError, match="Transparent backgrounds are not supported"):
        await images.create(BACKGROUND)
    assert not images.background_refused and images.uses_background
    await images.create(BACKGROUND)
    bodies = [json.loads(call.request.content) for call in route.calls]
    assert bodies[1]["background"] is True and bodies[1]["store"] is True, "the next render is still a background response"


@pytest.mark.parametrize(
    ("reply", "state"),
    [
        (_error(400, None, "Previous response resp_old is still in progress.", param="previous_response_id"), "busy"),
        (_error(409, "conflict", "The previous response has not finished yet."), "busy"),
        (_error(400, "previous_response_not_completed", "Not done."), "busy"),
        (_error(404, None, "Previous response with id 'resp_old' not found."), "gone"),
        (_error(400, "invalid_value", "Previous response resp_old has expired.", param="previous_response_id"), "gone"),
        (_error(400, "invalid_value", "previous_response_id must start with 'resp'.", param="previous_response_id"), None),
    ],
)
@respx.mock
async def test_previous_response_busy_or_gone_is_read_from_the_whole_answer(reply, state):
    respx.post(f"{BASE}/responses").mock(return_value=reply)
    request = {**REQUEST, "previous_response_id": "resp_old"}
    with pytest.raises(OpenAIError) as raised:
        await OpenAIImages(_settings()).create(request)
    seen = "gone" if isinstance(raised.value, PreviousResponseGone) else "busy" if "still making" in str(raised.value) else None
    assert seen == state, str(raised.value)


@respx.mock
async def test_a_render_looked_up_before_any_event_resumes_from_the_start_without_starting_after():
    respx.post(f"{BASE}/responses").mock(return_value=httpx.Response(200, content=b"", headers={"content-type": "text/event-stream"}))
    respx.get(f"{BASE}/responses/resp_1", params={"stream": "true"}).mock(return_value=_sse(_response()))
    respx.get(f"{BASE}/responses/resp_1").mock(return_value=httpx.Response(200, json=_response(status="in_progress", output=[])))
    tracking = openai_api.Tracking(response_id="resp_1", background=True, streamed=True)
    await OpenAIImages(_settings())._follow(None, tracking, openai_api._ignore_progress)
    resumed = [call.request.url for call in respx.calls if call.request.url.params.get("stream")]
    assert resumed and all("starting_after" not in url.params for url in resumed)
