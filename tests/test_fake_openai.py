"""Checks that tests/fake_openai.py behaves like the real API as seen through the real openai SDK."""

from __future__ import annotations

import ast
import base64
import gzip
import io
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import typing
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import fake_openai
import httpx
import openai
import pytest
from fake_openai import DEFAULT_IMAGE_MODEL, HOSTILE_SVG, IMAGE_MODELS, RETIRED_IMAGE_MODELS, FakeOpenAI
from openai.types import ImageModel
from openai.types.responses import Response
from PIL import Image

from openai_images import image_models
from openai_images.errors import InvalidInput

FORCE: Any = {"type": "image_generation"}  # Any: the SDK's TypedDict unions are not worth spelling out in tests


def tool(**settings: Any) -> Any:
    return {"type": "image_generation", **settings}


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def client(fake: FakeOpenAI) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0) as sdk:
        yield sdk


def create(client: openai.OpenAI, prompt: Any = "a red fox", **settings: Any) -> Response:
    return client.responses.create(model="gpt-6-astra", input=prompt, tools=[tool(**settings)], tool_choice=FORCE)


def image_call(response: Response) -> Any:
    return next(item for item in response.output if item.type == "image_generation_call")


def decode(b64: str) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    image.load()
    return image


def png_data_url(size: tuple[int, int] = (32, 32)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, (0, 128, 255)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_create_returns_real_image_of_requested_size_and_format(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    response = create(client, model="gpt-image-2", size="1536x864", output_format="webp", quality="high")

    Response.model_validate(response.model_dump())  # every field the SDK declares is well-formed
    assert response.id.startswith("resp_") and response.status == "completed"
    assert response.model == "gpt-6-astra"
    assert response.output[0].type == "reasoning"  # the image is deliberately not output[0]
    call = image_call(response)
    assert call.id.startswith("ig_") and call.status == "completed"
    assert (call.size, call.output_format, call.quality, call.background) == ("1536x864", "webp", "high", "opaque")
    assert call.revised_prompt == "Revised: a red fox"
    image = decode(call.result)
    assert (image.format, image.size) == ("WEBP", (1536, 864))
    assert response.output_text == "Here is your image."
    assert response.tool_usage is not None and response.tool_usage.image_gen.output_tokens > 0
    assert response.tools[0].model == "gpt-image-2"  # type: ignore[union-attr]

    [body] = fake.response_requests()
    assert body["tools"][0]["size"] == "1536x864"
    assert fake.requests[0].headers["authorization"] == "Bearer sk-test"


def test_transparent_png_has_alpha_and_auto_size(client: openai.OpenAI) -> None:
    call = image_call(create(client, size="auto", background="transparent"))
    image = decode(call.result)
    assert (image.format, image.size, image.mode) == ("PNG", (1024, 1024), "RGBA")
    assert image.getchannel("A").getextrema()[0] == 0
    assert call.background == "transparent"


def test_jpeg_and_prompt_from_last_user_message(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    messages = [
        {"role": "user", "content": "old request"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": [{"type": "input_text", "text": "a"}, {"type": "input_text", "text": "cat"}]},
    ]
    call = image_call(create(client, messages, size="1024x1536", output_format="jpeg", output_compression=50))
    assert decode(call.result).format == "JPEG" and call.size == "1024x1536"
    assert call.revised_prompt == "Revised: a\ncat"


def test_previous_response_id_and_expiry(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    first = create(client)
    second = client.responses.create(model="gpt-6-astra", input="now blue", previous_response_id=first.id, tools=[tool()])
    assert second.previous_response_id == first.id
    assert client.responses.retrieve(second.id).id == second.id

    fake.expire_responses()
    with pytest.raises(openai.BadRequestError) as excinfo:
        client.responses.create(model="m", input="again", previous_response_id=second.id, tools=[tool()])
    assert excinfo.value.param == "previous_response_id"
    assert excinfo.value.code == "previous_response_not_found"
    assert second.id in excinfo.value.message

    fake.expired_status = 404
    with pytest.raises(openai.NotFoundError) as not_found:
        client.responses.create(model="m", input="again", previous_response_id=second.id, tools=[tool()])
    assert not_found.value.param == "previous_response_id"
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(second.id)

    unstored = client.responses.create(model="m", input="x", tools=[tool()], store=False)
    assert unstored.id not in fake.responses


def test_streaming_event_order_with_partials(client: openai.OpenAI) -> None:
    stream = client.responses.create(
        model="gpt-6-astra",
        input="a fox",
        tools=[tool(partial_images=2, size="1536x1024", output_format="webp")],
        tool_choice=FORCE,
        stream=True,
    )
    events: list[Any] = list(stream)
    types = [event.type for event in events]
    assert types[:2] == ["response.created", "response.in_progress"]
    assert types[-1] == "response.completed"
    assert [event.sequence_number for event in events] == list(range(len(events)))
    assert len({event.response.id for event in events if hasattr(event, "response")}) == 1
    image_types = [t for t in types if t.startswith("response.image_generation_call.")]
    assert image_types == [
        "response.image_generation_call.in_progress",
        "response.image_generation_call.generating",
        "response.image_generation_call.partial_image",
        "response.image_generation_call.partial_image",
        "response.image_generation_call.completed",
    ]
    partials = [e for e in events if e.type == "response.image_generation_call.partial_image"]
    assert [p.partial_image_index for p in partials] == [0, 1]
    assert all(decode(p.partial_image_b64).format == "WEBP" for p in partials)
    done = [e for e in events if e.type == "response.output_item.done" and e.item.type == "image_generation_call"]
    assert decode(done[0].item.result).size == (1536, 1024)
    final = events[-1].response
    assert final.usage is not None and image_call(final).result == done[0].item.result


def test_stream_helper_final_response(client: openai.OpenAI) -> None:
    with client.responses.stream(model="gpt-6-astra", input="a fox", tools=[tool(partial_images=1)], tool_choice=FORCE) as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()
    assert final.status == "completed"
    assert decode(image_call(final).result).size == (1024, 1024)


def test_fail_next(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.fail_next(429, "insufficient_quota")
    with pytest.raises(openai.RateLimitError) as excinfo:
        create(client)
    assert excinfo.value.code == "insufficient_quota" and excinfo.value.type == "insufficient_quota"
    assert excinfo.value.request_id is not None
    assert excinfo.value.response.headers["retry-after-ms"] == "10"

    fake.fail_next(503, "service_unavailable", "overloaded", count=2)
    started = time.perf_counter()
    response = client.with_options(max_retries=2).responses.create(model="m", input="x", tools=[tool()])
    assert response.status == "completed" and time.perf_counter() - started < 1.0
    assert len(fake.response_requests()) == 4  # 1 + 3 attempts

    fake.fail_next(500, headers={"x-should-retry": "false"})
    with pytest.raises(openai.InternalServerError):
        client.with_options(max_retries=2).responses.create(model="m", input="x", tools=[tool()])
    assert len(fake.response_requests()) == 5


def test_outcome_no_image_and_moderated(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.queue_outcome("no_image")
    response = create(client)
    assert [item.type for item in response.output] == ["message"]

    fake.queue_outcome("moderated", categories=["sexual"])
    call = image_call(create(client))
    assert call.status == "failed" and call.result is None
    assert call.error is not None and call.error.code == "moderation_blocked"
    assert call.error.moderation_details is not None and call.error.moderation_details.categories == ["sexual"]

    assert image_call(create(client)).status == "completed"  # outcomes apply to one request only


def test_outcome_bad_base64_and_failed_response(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.queue_outcome("bad_base64")
    assert image_call(create(client)).result == "!!!not-base64!!!"

    fake.queue_outcome("failed_response", code="rate_limit_exceeded")
    failed = create(client)
    assert failed.status == "failed" and failed.error is not None and failed.error.code == "rate_limit_exceeded"
    assert not any(item.type == "image_generation_call" for item in failed.output)

    fake.queue_outcome("failed_response")
    stream = client.responses.create(model="m", input="x", tools=[tool()], stream=True)
    events: list[Any] = list(stream)
    assert [e.type for e in events] == ["response.created", "response.in_progress", "response.failed"]
    assert events[-1].response.error.code == "server_error"


def test_outcome_stream_cut(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.queue_outcome("stream_cut")
    seen: list[str] = []
    stream = client.responses.create(model="m", input="x", tools=[tool(partial_images=2)], stream=True)
    with pytest.raises(openai.APIConnectionError):
        for event in stream:
            seen.append(event.type)
    assert seen[-1] == "response.image_generation_call.partial_image"
    assert "response.completed" not in seen

    fake.queue_outcome("stream_cut")
    with pytest.raises(openai.APIConnectionError):
        create(client)
    assert image_call(create(client)).status == "completed"  # the server is still fine


def test_outcome_hang_and_latency(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.queue_outcome("hang", seconds=2)
    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=0.3).responses.create(model="m", input="x", tools=[tool()])

    fake.latency = 0.3
    started = time.perf_counter()
    create(client)
    assert time.perf_counter() - started >= 0.3


def test_files_and_input_images(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buffer, "PNG")
    uploaded = client.files.create(file=("in.png", buffer.getvalue(), "image/png"), purpose="vision")
    assert uploaded.id.startswith("file-") and uploaded.filename == "in.png" and uploaded.purpose == "vision"
    assert uploaded.bytes == len(buffer.getvalue()) and fake.files[uploaded.id] == buffer.getvalue()
    assert client.files.retrieve(uploaded.id).id == uploaded.id

    content = [
        {"type": "input_text", "text": "edit this"},
        {"type": "input_image", "file_id": uploaded.id, "detail": "auto"},
        {"type": "input_image", "image_url": png_data_url(), "detail": "auto"},
    ]
    call = image_call(create(client, [{"role": "user", "content": content}]))
    assert call.status == "completed" and call.action == "edit"

    missing = [{"role": "user", "content": [{"type": "input_image", "file_id": "file-nope", "detail": "auto"}]}]
    with pytest.raises(openai.BadRequestError) as excinfo:
        create(client, missing)
    assert (excinfo.value.code, excinfo.value.param) == ("invalid_value", "input")

    broken = "data:image/png;base64," + base64.b64encode(b"not an image").decode()
    bad = [{"role": "user", "content": [{"type": "input_image", "image_url": broken, "detail": "auto"}]}]
    with pytest.raises(openai.BadRequestError) as excinfo:
        create(client, bad)
    assert (excinfo.value.code, excinfo.value.param) == ("invalid_image", "input")

    with pytest.raises(openai.NotFoundError):
        client.files.retrieve("file-nope")


def test_validation_errors(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as excinfo:
        create(client, size="1000x1000")
    assert (excinfo.value.code, excinfo.value.param) == ("invalid_value", "tools[0].size")
    with pytest.raises(openai.BadRequestError) as excinfo:
        create(client, size="big")
    assert excinfo.value.param == "tools[0].size"
    with pytest.raises(openai.BadRequestError) as excinfo:
        create(client, background="transparent", output_format="jpeg")
    assert excinfo.value.param == "tools[0].background"
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model="m", input="x", tool_choice=FORCE)
    # Without the tool and without forcing it the model just answers in text.
    text_only = client.responses.create(model="m", input="x")
    assert not any(item.type == "image_generation_call" for item in text_only.output)

    request = urllib.request.Request(fake.base_url + "/responses", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as http_error:
        urllib.request.urlopen(request, timeout=5)
    assert http_error.value.code == 401
    assert json.loads(http_error.value.read())["error"]["code"] == "invalid_api_key"

    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-image-2")  # a route the fake does not serve


def test_concurrent_requests_overlap() -> None:
    with (
        FakeOpenAI(latency=0.5) as fake,
        openai.OpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0) as client,
    ):
        results: list[Response] = []
        errors: list[BaseException] = []

        def worker(n: int) -> None:
            try:
                results.append(create(client, f"picture {n}"))
            except BaseException as exc:  # collected and re-checked in the main thread
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    assert not errors and len(results) == 8
    assert elapsed < 2.0, elapsed


# --- the fake's own rules, written from the SDK


def refusal(client: openai.OpenAI, **settings: Any) -> openai.BadRequestError:
    """The fake's 400 answer to an image tool with `settings`; fails the test if it answers 200."""
    with pytest.raises(openai.BadRequestError) as excinfo:
        create(client, **settings)
    return excinfo.value


def error_of(excinfo: pytest.ExceptionInfo[openai.APIStatusError]) -> tuple[int, str | None, str | None, str | None]:
    error = excinfo.value
    return error.status_code, error.type, error.code, error.param


def test_the_default_image_model_is_the_sdks_default(client: openai.OpenAI) -> None:
    assert DEFAULT_IMAGE_MODEL == "gpt-image-2.6-sunburst"  # ImageGeneration.model: "Default: `gpt-image-2.6-sunburst`."
    response = create(client, size="1024x1024")
    assert response.tools[0].model == DEFAULT_IMAGE_MODEL  # type: ignore[union-attr]


@pytest.mark.parametrize("model", sorted(IMAGE_MODELS))
@pytest.mark.parametrize("size", ["1024x1024", "1536x1024", "1024x1536", "auto"])
def test_standard_sizes_and_auto_are_accepted_on_every_current_model(client: openai.OpenAI, model: str, size: str) -> None:
    call = image_call(create(client, model=model, size=size, quality="low"))
    assert call.status == "completed"
    expected = "1024x1024" if size == "auto" else size
    assert call.size == expected
    assert decode(call.result).size == tuple(int(side) for side in expected.split("x"))


def test_1536x864_is_refused_on_the_fixed_size_default_model_and_accepted_on_gpt_image_2(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    error = refusal(client, size="1536x864")  # no model in the tool: the default model
    assert (error.status_code, error.param) == (400, "tools[0].size")
    message = error.response.json()["error"]["message"]
    assert message == "Invalid size '1536x864'. gpt-image-2.6-sunburst accepts 1024x1024, 1536x1024, 1024x1536 or auto."

    call = image_call(create(client, model="gpt-image-2", size="1536x864"))
    assert call.status == "completed" and decode(call.result).size == (1536, 864)
    assert [body["tools"][0].get("model") for body in fake.response_requests()] == [None, "gpt-image-2"]


# Flexible sizes: divisible by 16, aspect ratio within 3:1, no side over 3840, 655,360 to 8,294,400 pixels.
FLEXIBLE_SIZE_VERDICTS = {
    "1024x1024": True,
    "auto": True,
    "1536x864": True,
    "2048x1152": True,
    "3840x2160": True,
    "2160x3840": True,
    "768x2304": True,
    "1024x640": True,  # exactly 655,360 pixels
    "2400x2400": False,  # 5,760,000 pixels, within the budget, but both sides over 2160: outside 3840x2160
    "2880x2880": False,  # exactly 8,294,400 pixels, but outside 3840x2160 too
    "2160x2160": True,  # the largest square
    "1024x1792": True,
    "768x768": False,  # 589,824 pixels: under the minimum
    "1008x640": False,  # 645,120 pixels
    "16x16": False,
    "2896x2896": False,  # 8,386,816 pixels
    "3840x3840": False,
    "4096x2304": False,  # a side over 3840
    "3072x1008": False,  # aspect ratio over 3:1
    "1000x1000": False,  # not divisible by 16
    "0x0": False,
    "1536X864": False,
    "1536 x 864": False,
    "abc": False,
    "": False,
}


@pytest.mark.parametrize("model", ["gpt-image-2", "gpt-image-2-2026-04-21", "gpt-image-2.5-flare-2026-09-08", "gpt-image-2.6-flare"])
def test_size_verdicts_follow_the_documented_limits(fake: FakeOpenAI, client: openai.OpenAI, model: str) -> None:
    flexible = IMAGE_MODELS[model].flexible_sizes
    assert flexible is (not model.startswith("gpt-image-2.6"))
    for size, allowed in FLEXIBLE_SIZE_VERDICTS.items():
        expected = allowed if flexible else size in ("1024x1024", "auto")
        try:
            accepted = image_call(create(client, model=model, size=size, quality="low")).status == "completed"
        except openai.BadRequestError as error:
            assert (error.code, error.param) == ("invalid_value", "tools[0].size"), (size, error.message)
            accepted = False
        assert accepted is expected, (model, size)
    assert len(fake.response_requests()) == len(FLEXIBLE_SIZE_VERDICTS)


def test_a_size_over_the_pixel_budget_is_refused_with_the_reason(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    error = refusal(client, model="gpt-image-2", size="3840x3840")
    assert (error.status_code, error.type, error.code, error.param) == (400, "invalid_request_error", "invalid_value", "tools[0].size")
    answer = error.response.json()
    assert set(answer) == {"error"} and set(answer["error"]) == {"message", "type", "param", "code"}
    assert answer["error"]["message"].startswith("Invalid size '3840x3840': it has 14,745,600 pixels, more than the 8,294,400 allowed.")
    [body] = fake.response_requests()
    assert body["tools"][0] == {"type": "image_generation", "model": "gpt-image-2", "size": "3840x3840"}
    assert fake.responses == {}  # nothing was generated or stored


@pytest.mark.parametrize("model", sorted(IMAGE_MODELS))
def test_xhigh_and_max_are_accepted_only_on_the_2_5_models(client: openai.OpenAI, model: str) -> None:
    extra = model.startswith("gpt-image-2.5-")
    for quality in ("low", "medium", "high", "auto", "xhigh", "max"):
        if quality in ("low", "medium", "high", "auto") or extra:
            assert image_call(create(client, model=model, quality=quality)).status == "completed", quality
        else:
            error = refusal(client, model=model, quality=quality)
            assert (error.status_code, error.code, error.param) == (400, "invalid_value", "tools[0].quality"), quality


def test_a_transparent_background_needs_png_or_webp(client: openai.OpenAI) -> None:
    for output_format in ("png", "webp"):
        assert image_call(create(client, background="transparent", output_format=output_format)).background == "transparent"
    for output_format in ("jpeg", "gif", "svg"):
        assert refusal(client, background="transparent", output_format=output_format).param == "tools[0].background"


def test_input_fidelity_is_refused_by_every_current_model(client: openai.OpenAI) -> None:
    # "For `gpt-image-2`, omit this parameter"; only the retired gpt-image-1.5 and gpt-image-1-mini took it.
    error = refusal(client, model="gpt-image-2", input_fidelity="high")
    assert (error.code, error.param) == ("unsupported_parameter", "tools[0].input_fidelity")
    assert image_call(create(client, model="gpt-image-2", input_fidelity=None)).status == "completed"  # null means not sent


# --- strict requests: what the SDK's request types do not have, or do not allow, is refused


def test_an_unknown_top_level_field_is_refused_as_unknown_parameter(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as excinfo:
        client.responses.create(model="m", input="x", tools=[tool()], extra_body={"image_quality": "high"})
    assert error_of(excinfo) == (400, "invalid_request_error", "unknown_parameter", "image_quality")
    assert excinfo.value.response.json()["error"]["message"] == "Unknown parameter: 'image_quality'."
    assert fake.response_requests()[-1]["image_quality"] == "high"  # recorded all the same
    assert fake.responses == {} and fake.generations == 0


def test_an_unknown_field_in_the_image_tool_is_refused(client: openai.OpenAI) -> None:
    error = refusal(client, resolution="4k")
    assert (error.status_code, error.type, error.code, error.param) == (
        400,
        "invalid_request_error",
        "unknown_parameter",
        "tools[0].resolution",
    )
    assert error.response.json()["error"]["message"] == "Unknown parameter: 'tools[0].resolution'."
    # Nested objects are just as strict.
    assert refusal(client, input_image_mask={"image_url": png_data_url(), "alpha": 1}).param == "tools[0].input_image_mask.alpha"
    assert refusal(client, output_format="svg", svg={"model": "m", "temperature": 1}).param == "tools[0].svg.temperature"


@pytest.mark.parametrize(
    "field, value",
    [
        ("background", "white"),
        ("quality", "ultra"),
        ("quality", "standard"),  # a DALL·E quality, not in the tool's Literal
        ("moderation", "high"),
        ("output_format", "bmp"),
        ("action", "paint"),
        ("complexity", "extreme"),
    ],
)
def test_a_value_outside_the_sdks_literal_is_refused_naming_the_field(
    fake: FakeOpenAI, client: openai.OpenAI, field: str, value: str
) -> None:
    error = refusal(client, **{field: value})
    assert (error.status_code, error.type, error.code, error.param) == (400, "invalid_request_error", "invalid_value", f"tools[0].{field}")
    assert f"'{value}'" in error.response.json()["error"]["message"]
    assert fake.response_requests()[-1]["tools"][0][field] == value


@pytest.mark.parametrize(
    "settings, code, param",
    [
        ({"partial_images": 4}, "integer_above_max_value", "tools[0].partial_images"),
        ({"output_compression": -1, "output_format": "jpeg"}, "integer_below_min_value", "tools[0].output_compression"),
        ({"output_format": "gif", "frame_count": 17}, "integer_above_max_value", "tools[0].frame_count"),
        ({"output_format": "gif", "frame_count": 1}, "integer_below_min_value", "tools[0].frame_count"),
        ({"size": 1024}, "invalid_type", "tools[0].size"),
        ({"partial_images": True}, "invalid_type", "tools[0].partial_images"),
        ({"partial_images": "2"}, "invalid_type", "tools[0].partial_images"),
        ({"model": None}, "invalid_type", "tools[0].model"),
        ({"output_format": "svg", "svg": {"reasoning": {"effort": "huge"}}}, "invalid_value", "tools[0].svg.reasoning.effort"),
    ],
)
def test_an_out_of_range_or_mistyped_value_is_refused(client: openai.OpenAI, settings: dict[str, Any], code: str, param: str) -> None:
    error = refusal(client, **settings)
    assert (error.status_code, error.code, error.param) == (400, code, param)


def test_top_level_values_are_checked_against_their_types(client: openai.OpenAI) -> None:
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"service_tier": "turbo"}, "invalid_value", "service_tier"),
        ({"truncation": "sometimes"}, "invalid_value", "truncation"),
        ({"temperature": 2.5}, "decimal_above_max_value", "temperature"),
        ({"top_logprobs": 21}, "integer_above_max_value", "top_logprobs"),
        ({"store": "yes"}, "invalid_type", "store"),
        ({"include": ["everything"]}, "invalid_value", "include[0]"),
        ({"background_options": {"completion_window": "1h"}}, "invalid_value", "background_options.completion_window"),
        ({"background_options": {"deadline": "2h"}}, "unknown_parameter", "background_options.deadline"),
        ({"safety_identifier": "u" * 129}, "string_above_max_length", "safety_identifier"),
        ({"metadata": {"k" * 65: "v"}}, "string_above_max_length", "metadata." + "k" * 65),
        ({"stream_options": {"include_obfuscation": False}}, "invalid_value", "stream_options"),  # only with stream: true
    ]
    for fields, code, param in cases:
        with pytest.raises(openai.BadRequestError) as excinfo:
            client.responses.create(model="m", input="x", tools=[tool()], **fields)
        assert (excinfo.value.code, excinfo.value.param) == (code, param), fields
    # "a maximum length of 128 characters"; complexity is the tool's.
    response = client.responses.create(
        model="m", input="x", tools=[tool(complexity="high")], safety_identifier="u" * 128, tool_choice=FORCE
    )
    assert image_call(response).status == "completed"


def test_input_messages_and_their_parts_are_checked_field_by_field(client: openai.OpenAI) -> None:
    unknown_item = [{"role": "user", "content": "a fox", "name": "me"}]
    unknown_part = [{"role": "user", "content": [{"type": "input_text", "text": "a fox", "lang": "en"}]}]
    bad_detail = [{"role": "user", "content": [{"type": "input_image", "image_url": png_data_url(), "detail": "max"}]}]
    bad_role = [{"role": "robot", "content": "a fox"}]
    for items, code, param in [
        (unknown_item, "unknown_parameter", "input[0].name"),
        (unknown_part, "unknown_parameter", "input[0].content[0].lang"),
        (bad_detail, "invalid_value", "input[0].content[0].detail"),
        (bad_role, "invalid_value", "input[0].role"),
    ]:
        with pytest.raises(openai.BadRequestError) as excinfo:
            create(client, items)
        assert (excinfo.value.code, excinfo.value.param) == (code, param)


@pytest.mark.parametrize("model", sorted(RETIRED_IMAGE_MODELS))
def test_a_retired_image_model_answers_404_model_not_found(client: openai.OpenAI, model: str) -> None:
    with pytest.raises(openai.NotFoundError) as excinfo:
        create(client, model=model)
    assert error_of(excinfo) == (404, "invalid_request_error", "model_not_found", "tools[0].model")
    assert f"`{model}`" in excinfo.value.message
    with pytest.raises(openai.NotFoundError) as images_excinfo:
        client.images.generate(model=model, prompt="a fox")
    assert error_of(images_excinfo) == (404, "invalid_request_error", "model_not_found", "model")


def test_a_dated_snapshot_of_a_retired_model_is_retired_too(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as excinfo:
        create(client, model="gpt-image-1.5-2025-12-16")
    assert excinfo.value.code == "model_not_found"


def test_retired_models_include_the_ones_the_sdk_deprecates() -> None:
    assert {"gpt-image-1", "dall-e-2", "dall-e-3"} <= set(RETIRED_IMAGE_MODELS)  # types/image_model.py "Deprecated values"
    assert {"gpt-image-1.5", "gpt-image-1-mini", "chatgpt-image-latest"} <= set(RETIRED_IMAGE_MODELS)  # shut down 2026-12-01
    assert not set(RETIRED_IMAGE_MODELS) & set(IMAGE_MODELS)


def test_an_image_model_the_sdk_does_not_list_is_refused(client: openai.OpenAI) -> None:
    error = refusal(client, model="gpt-image-9")
    assert (error.code, error.param) == ("invalid_value", "tools[0].model")


def test_retrieve_cancel_delete_and_input_items_take_only_their_own_parameters(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    response = create(client, [{"role": "user", "content": "a fox"}, {"role": "assistant", "content": "ok"}])
    include: Any = ["message.input_image.image_url"]
    assert client.responses.retrieve(response.id, include=include, include_obfuscation=False).id == response.id
    with pytest.raises(openai.BadRequestError) as excinfo:
        client.responses.retrieve(response.id, extra_query={"verbose": "1"})
    assert (excinfo.value.code, excinfo.value.param) == ("unknown_parameter", "verbose")
    with pytest.raises(openai.BadRequestError) as excinfo:
        client.responses.retrieve(response.id, extra_query={"starting_after": "soon"})
    assert (excinfo.value.code, excinfo.value.param) == ("invalid_type", "starting_after")
    with pytest.raises(openai.BadRequestError) as excinfo:
        client.responses.cancel(response.id, extra_body={"reason": "bored"})
    assert (excinfo.value.code, excinfo.value.param) == ("unknown_parameter", "reason")

    items = client.responses.input_items.list(response.id, order="asc")
    assert [(item.type, getattr(item, "role", None)) for item in items.data] == [("message", "user"), ("message", "assistant")]
    newest = client.responses.input_items.list(response.id, limit=1)
    assert [item.id for item in newest.data] == [items.data[-1].id] and newest.has_more
    with pytest.raises(openai.BadRequestError) as excinfo:
        client.responses.input_items.list(response.id, limit=101)
    assert (excinfo.value.code, excinfo.value.param) == ("integer_above_max_value", "limit")

    with pytest.raises(openai.BadRequestError) as excinfo:
        client.responses.delete(response.id, extra_query={"force": "true"})
    assert excinfo.value.param == "force"
    client.responses.delete(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.input_items.list(response.id)


def sdk_fields(*typed_dicts: Any) -> set[str]:
    return {key for typed_dict in typed_dicts for key in typed_dict.__required_keys__ | typed_dict.__optional_keys__}


def test_the_fakes_field_lists_are_the_sdks() -> None:
    """The fake's own lists (its rules) name exactly the fields of the installed SDK's request types."""
    from openai.types import image_edit_params, image_generate_params
    from openai.types.responses import input_item_list_params, response_create_params, response_retrieve_params, tool_param

    assert set(fake_openai.RESPONSE_CREATE_FIELDS) == sdk_fields(response_create_params.ResponseCreateParamsStreaming)
    assert set(fake_openai.IMAGE_TOOL_FIELDS) == sdk_fields(tool_param.ImageGeneration)
    assert set(fake_openai.SVG_FIELDS) == sdk_fields(tool_param.ImageGenerationSvg, image_generate_params.Svg, image_edit_params.Svg)
    assert set(fake_openai.IMAGE_GENERATE_FIELDS) == sdk_fields(image_generate_params.ImageGenerateParamsStreaming)
    assert set(fake_openai.IMAGE_EDIT_FIELDS) == sdk_fields(image_edit_params.ImageEditParamsStreaming)
    assert set(fake_openai.RETRIEVE_FIELDS) == sdk_fields(response_retrieve_params.ResponseRetrieveParamsStreaming)
    assert set(fake_openai.INPUT_ITEMS_FIELDS) == sdk_fields(input_item_list_params.InputItemListParams)
    # Every model of types/image_model.py is either current or retired, and the tool's Literal lists the same ones.
    assert set(typing.get_args(ImageModel)) == set(IMAGE_MODELS) | set(RETIRED_IMAGE_MODELS)
    tool_models = typing.get_args(typing.get_args(typing.get_type_hints(tool_param.ImageGeneration)["model"])[1])
    assert set(tool_models) == set(IMAGE_MODELS) | (set(RETIRED_IMAGE_MODELS) - {"dall-e-2", "dall-e-3"})


def test_the_fake_imports_nothing_from_the_project() -> None:
    """Only the standard library and Pillow: a rule taken from the product could never fail a test."""
    tree = ast.parse((Path(__file__).resolve().parent / "fake_openai.py").read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            imported.add((node.module or "").split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("import_module", "__import__"):
            pytest.fail(f"dynamic import at line {node.lineno}")
    assert "openai_images" not in imported and "openai_images_mcp" not in imported
    assert imported - set(sys.stdlib_module_names) == {"PIL"}, imported


def test_runs_as_a_script_from_a_folder_without_the_project(tmp_path: Path) -> None:
    script = tmp_path / "fake_openai.py"
    shutil.copy(Path(__file__).resolve().parent / "fake_openai.py", script)  # nothing of the project beside it
    process = subprocess.Popen([sys.executable, "-I", str(script)], cwd=tmp_path, env={"PATH": ""}, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:"), base_url
        with openai.OpenAI(api_key="sk-test", base_url=base_url, max_retries=0) as sdk:
            assert image_call(create(sdk, model="gpt-image-2", size="1536x864")).status == "completed"
            assert refusal(sdk, model="gpt-image-2", size="3840x3840").param == "tools[0].size"
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- SVG and GIF results, the Images API, markup


def frame_count(image: Image.Image) -> int:
    return int(getattr(image, "n_frames", 1))


def svg_root(b64: str) -> ElementTree.Element:
    document = base64.b64decode(b64)
    assert document.startswith(b"<?xml") and b"</svg>" in document
    return ElementTree.fromstring(document)


def test_an_svg_result_is_a_valid_svg_document_with_its_usage(client: openai.OpenAI) -> None:
    response = create(client, model="gpt-image-2", size="1536x864", output_format="svg")
    Response.model_validate(response.model_dump())
    call = image_call(response)
    root = svg_root(call.result)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == ("1536", "864", "0 0 1536 864")
    assert {child.tag.rsplit("}", 1)[-1] for child in root} >= {"title", "rect", "circle", "polygon"}
    assert call.output_format == "svg" and call.size == "1536x864"
    # "omitting this object uses the outer response model"
    assert call.svg_usage is not None and call.svg_usage.model == "gpt-6-astra"
    assert call.svg_usage.total_tokens == call.svg_usage.input_tokens + call.svg_usage.output_tokens

    chosen = image_call(create(client, output_format="svg", svg={"model": "gpt-6-astra-mini", "reasoning": {"effort": "none"}}))
    assert chosen.svg_usage is not None and (chosen.svg_usage.model, chosen.svg_usage.reasoning_tokens) == ("gpt-6-astra-mini", 0)
    assert "<script" not in base64.b64decode(chosen.result).decode()


def test_svg_refuses_partial_images_and_compression_and_the_svg_object_needs_svg_output(client: openai.OpenAI) -> None:
    assert refusal(client, output_format="svg", partial_images=1).param == "tools[0].partial_images"
    assert refusal(client, output_format="svg", output_compression=50).param == "tools[0].output_compression"
    assert refusal(client, output_format="png", svg={"model": "m"}).param == "tools[0].svg"


def test_hostile_svg_plants_what_a_sanitiser_must_remove_and_stays_well_formed(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.hostile_svg()
    planted = base64.b64decode(image_call(create(client, output_format="svg")).result).decode()
    assert all(part in planted for part in HOSTILE_SVG.values())
    assert "<script>" in planted and 'onload="' in planted and 'href="https://attacker.example/' in planted
    root = svg_root(base64.b64encode(planted.encode()).decode())  # still well-formed
    assert root.get("onload") == "alert(document.domain)"
    images = client.images.generate(model="gpt-image-2", prompt="a fox", output_format="svg")
    assert images.data and all(part in base64.b64decode(images.data[0].b64_json or "").decode() for part in HOSTILE_SVG.values())

    fake.hostile_svg(False)
    clean = base64.b64decode(image_call(create(client, output_format="svg")).result).decode()
    assert not any(part in clean for part in HOSTILE_SVG.values())


def test_a_gif_result_has_frame_count_frames_of_the_asked_duration(client: openai.OpenAI) -> None:
    call = image_call(create(client, output_format="gif", frame_count=5, frame_duration_ms=123))
    gif = decode(call.result)
    assert (gif.format, gif.size, frame_count(gif)) == ("GIF", (1024, 1024), 5)
    assert gif.info["duration"] == 120  # "rounds to the nearest 10 ms"
    assert call.output_format == "gif"
    frames = []
    for index in range(frame_count(gif)):
        gif.seek(index)
        frames.append(gif.convert("RGB").tobytes())
    assert len(set(frames)) == 5  # every frame differs

    default = decode(image_call(create(client, output_format="gif")).result)
    assert (frame_count(default), default.info["duration"]) == (9, 200)  # "Default: 9", "Default: 200"
    # "Responses lifecycle events can still be streamed for GIF output."
    events = list(client.responses.create(model="m", input="x", tools=[tool(output_format="gif", frame_count=2)], stream=True))
    assert events[-1].type == "response.completed"


def test_gif_refuses_partial_images_a_mask_and_custom_compression(client: openai.OpenAI) -> None:
    assert refusal(client, output_format="gif", partial_images=2).param == "tools[0].partial_images"
    assert refusal(client, output_format="gif", output_compression=80).param == "tools[0].output_compression"
    mask = {"image_url": png_data_url()}
    assert refusal(client, output_format="gif", input_image_mask=mask).param == "tools[0].input_image_mask"
    assert refusal(client, frame_count=4).param == "tools[0].frame_count"  # "Requires `output_format` to be `gif`."
    assert refusal(client, frame_duration_ms=100).param == "tools[0].frame_duration_ms"


def png_file(size: tuple[int, int] = (64, 48), *, transparent_corner: bool = False, mode: str = "RGB") -> bytes:
    picture = Image.new(mode, size, (200, 30, 30, 255) if mode == "RGBA" else (200, 30, 30))
    if transparent_corner:
        picture.putpixel((0, 0), (0, 0, 0, 0))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()


def test_images_generate_answers_an_images_response_and_records_its_fields(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    result = client.images.generate(
        model="gpt-image-2", prompt="a fox", n=2, size="1536x864", output_format="webp", complexity="low", safety_identifier="user-1"
    )
    assert result.data is not None and len(result.data) == 2
    assert [decode(image.b64_json or "").size for image in result.data] == [(1536, 864)] * 2
    assert result.data[0].b64_json != result.data[1].b64_json
    assert (result.output_format, result.size, result.background, result.safety_identifier) == ("webp", "1536x864", "opaque", "user-1")
    assert result.usage is not None and result.usage.output_tokens > 0
    assert fake.image_requests("generations") == [
        {
            "model": "gpt-image-2",
            "prompt": "a fox",
            "n": 2,
            "size": "1536x864",
            "output_format": "webp",
            "complexity": "low",
            "safety_identifier": "user-1",
        }
    ]
    assert fake.generations == 2


def test_images_generate_is_as_strict_as_the_responses_tool(client: openai.OpenAI) -> None:
    cases: list[tuple[dict[str, Any], int, str, str]] = [
        ({"extra_body": {"seed": 7}}, 400, "unknown_parameter", "seed"),
        ({"response_format": "b64_json"}, 400, "unsupported_parameter", "response_format"),  # "Unsupported for GPT image models"
        ({"style": "vivid"}, 400, "unsupported_parameter", "style"),
        ({"quality": "hd"}, 400, "invalid_value", "quality"),  # a DALL·E quality
        ({"n": 11}, 400, "integer_above_max_value", "n"),
        ({"size": "768x768"}, 400, "invalid_value", "size"),
        ({"output_format": "svg", "n": 2}, 400, "invalid_value", "n"),  # "SVG generation requires n=1"
        ({"output_format": "svg", "svg": {"reasoning": {"effort": "low"}}}, 400, "missing_required_parameter", "svg.model"),
        ({"prompt": "p" * 32_001}, 400, "string_above_max_length", "prompt"),
    ]
    for fields, status, code, param in cases:
        arguments: dict[str, Any] = {"model": "gpt-image-2", "prompt": "a fox", **fields}
        with pytest.raises(openai.APIStatusError) as excinfo:
            client.images.generate(**arguments)
        assert (excinfo.value.status_code, excinfo.value.code, excinfo.value.param) == (status, code, param), fields
    with pytest.raises(openai.BadRequestError) as missing:
        client.images.generate(prompt="a fox")  # "Specify a model explicitly."
    assert (missing.value.code, missing.value.param) == ("missing_required_parameter", "model")
    for output_format in ("svg", "gif"):
        with pytest.raises(openai.BadRequestError) as streamed:
            client.images.generate(model="gpt-image-2", prompt="a fox", output_format=output_format, stream=True)
        assert streamed.value.param == "stream"


def test_images_generate_svg_and_gif(client: openai.OpenAI) -> None:
    svg = client.images.generate(model="gpt-image-2.6-flare", prompt="a fox", output_format="svg", svg={"model": "gpt-6-astra"})
    assert svg.data and svg_root(svg.data[0].b64_json or "").get("width") == "1024"
    assert svg.svg_usage is not None and svg.svg_usage.model == "gpt-6-astra"
    gif = client.images.generate(model="gpt-image-2", prompt="a fox", output_format="gif", frame_count=3, size="1024x640")
    assert gif.data and frame_count(decode(gif.data[0].b64_json or "")) == 3 and gif.svg_usage is None


def test_images_generate_streams_partial_images_then_the_completed_image(client: openai.OpenAI) -> None:
    events: list[Any] = list(client.images.generate(model="gpt-image-2", prompt="a fox", stream=True, partial_images=2))
    assert [event.type for event in events] == ["image_generation.partial_image"] * 2 + ["image_generation.completed"]
    assert decode(events[-1].b64_json).size == (1024, 1024) and events[-1].usage.output_tokens > 0


def test_markup_is_accepted_on_edits_with_a_2_5_model(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    markup = png_file(transparent_corner=True, mode="RGBA")
    result = client.images.edit(
        model="gpt-image-2.5-sunburst",
        image=("photo.png", png_file(), "image/png"),
        markup=("markup.png", markup, "image/png"),
        prompt="make the circled cup blue",
        complexity="medium",
        safety_identifier="user-7",
    )
    assert result.data and decode(result.data[0].b64_json or "").size == (1024, 1024)
    assert result.safety_identifier == "user-7"
    [sent] = fake.image_requests("edits")
    assert sent["markup"] == fake_openai.FormFile("markup.png", "image/png", markup)
    assert [file.filename for file in sent["image"]] == ["photo.png"]
    assert (sent["prompt"], sent["model"], sent["complexity"]) == ("make the circled cup blue", "gpt-image-2.5-sunburst", "medium")


def test_markup_is_refused_where_the_sdk_says_it_cannot_be_used(client: openai.OpenAI) -> None:
    photo = ("photo.png", png_file(), "image/png")
    good = ("markup.png", png_file(transparent_corner=True, mode="RGBA"), "image/png")
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"model": "gpt-image-2", "markup": good}, "unsupported_parameter", "markup"),  # GPT Image 2.5 and 2.6 only
        ({"markup": good, "mask": good}, "invalid_value", "markup"),  # "Cannot be combined with mask."
        ({"markup": ("markup.png", png_file(mode="RGBA"), "image/png")}, "invalid_value", "markup"),  # no transparent pixel
        ({"markup": ("markup.png", png_file((32, 32), transparent_corner=True, mode="RGBA"), "image/png")}, "invalid_value", "markup"),
        ({"extra_body": {"strength": "0.5"}}, "unknown_parameter", "strength"),
        ({"svg": {"model": "m"}}, "invalid_value", "svg"),
        ({"output_format": "gif", "mask": good}, "invalid_value", "mask"),
        ({"input_fidelity": "high"}, "unsupported_parameter", "input_fidelity"),
        ({"n": "many"}, "invalid_type", "n"),
    ]
    for fields, code, param in cases:
        arguments: dict[str, Any] = {"model": "gpt-image-2.5-flare", "image": photo, "prompt": "edit", **fields}
        with pytest.raises(openai.BadRequestError) as excinfo:
            client.images.edit(**arguments)
        assert (excinfo.value.code, excinfo.value.param) == (code, param), fields


def test_images_edit_takes_several_images_and_streams_edit_events(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    images: Any = [("a.png", png_file(), "image/png"), ("b.png", png_file((32, 32)), "image/png")]
    events: list[Any] = list(client.images.edit(model="gpt-image-2", image=images, prompt="merge", stream=True, partial_images=1))
    assert [event.type for event in events] == ["image_edit.partial_image", "image_edit.completed"]
    assert len(fake.image_requests("edits")[0]["image"]) == 2
    with pytest.raises(openai.BadRequestError) as excinfo:
        client.images.edit(model="gpt-image-2", image=("a.txt", b"not an image", "text/plain"), prompt="x")
    assert (excinfo.value.code, excinfo.value.param) == ("invalid_image", "image")


# --- the product's rules agree with the API's: a failure here is a wrong rule in openai_images/image_models.py


def test_image_models_default_is_the_apis_default() -> None:
    assert image_models.API_DEFAULT_IMAGE_MODEL == DEFAULT_IMAGE_MODEL


@pytest.mark.parametrize("model", [DEFAULT_IMAGE_MODEL, "gpt-image-2", "gpt-image-2.5-flare-2026-09-08"])
def test_image_models_size_verdicts_match_the_api(client: openai.OpenAI, model: str) -> None:
    disagreements = []
    for size in FLEXIBLE_SIZE_VERDICTS:
        try:
            sent: str | None = image_models.validate_size(size, model)  # the canonical size the server would send
        except InvalidInput:
            sent = None
        try:
            accepted = image_call(create(client, model=model, size=sent or size, quality="low")).status == "completed"
        except openai.BadRequestError:
            accepted = False
        if accepted is not (sent is not None):
            verdict = f"image_models {'allows' if sent else 'refuses'} it, the API {'accepts' if accepted else 'refuses'} it"
            disagreements.append(f"{size or '(empty)'}: {verdict}")
    assert not disagreements, f"{model}: " + "; ".join(disagreements)


QUALITIES_TO_TRY = ("low", "medium", "high", "auto", "xhigh", "max")


@pytest.mark.parametrize("model", sorted(IMAGE_MODELS))
def test_image_models_qualities_are_the_apis(client: openai.OpenAI, model: str) -> None:
    accepted = set()
    for quality in QUALITIES_TO_TRY:
        try:
            if image_call(create(client, model=model, quality=quality)).status == "completed":
                accepted.add(quality)
        except openai.BadRequestError:
            pass
    assert set(image_models.qualities_for(model)) == accepted


@pytest.mark.parametrize(
    "field, values",
    [
        ("output_format", image_models.OUTPUT_FORMATS),
        ("background", image_models.BACKGROUNDS),
        ("moderation", image_models.MODERATIONS),
    ],
)
def test_every_value_image_models_offers_is_accepted_by_the_api(client: openai.OpenAI, field: str, values: tuple[str, ...]) -> None:
    for value in values:
        settings = {field: value, **({"output_format": "png"} if field == "background" else {})}
        assert image_call(create(client, **settings)).status == "completed", value


# --- the secret-watch: a watched value is found on every route out of the machine


SECRET = "sk-live-watched-0123456789"


def leaks(fake: FakeOpenAI) -> list[tuple[str, str, str]]:
    return [(leak.method, leak.path, leak.where) for leak in fake.leaks]


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "purple").save(buffer, "PNG")
    return buffer.getvalue()


def exchange(fake: FakeOpenAI, request: bytes) -> bytes:
    """Send raw bytes to the fake and return its whole answer (it closes the connection after a refusal)."""
    with socket.create_connection(("127.0.0.1", fake.port), timeout=5) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_a_watched_string_in_the_prompt_is_caught_in_the_body(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    create(client, f"sent before watching: {SECRET}")  # not searched; it also leaves a kept-alive connection
    fake.watch(SECRET)
    assert image_call(create(client, f"a fox holding a card that reads {SECRET}")).status == "completed"
    assert leaks(fake) == [("POST", "/v1/responses", "body")]
    assert fake.leaks[0].secret == SECRET


def test_watched_bytes_after_the_png_data_of_an_input_image_are_caught_in_the_decoded_data_url(
    fake: FakeOpenAI, client: openai.OpenAI
) -> None:
    secret = b"\x00private-tail!\xff"
    fake.watch(secret)
    image = base64.b64encode(png_bytes() + secret).decode()
    content = [
        {"type": "input_text", "text": "edit this"},
        {"type": "input_image", "image_url": "data:image/png;base64," + image, "detail": "auto"},
    ]
    assert image_call(create(client, [{"role": "user", "content": content}])).action == "edit"
    assert leaks(fake) == [("POST", "/v1/responses", "data URL at input[0].content[1].image_url")]

    # URL-safe base64 without padding is found too, even though the fake refuses that image.
    url_safe = base64.urlsafe_b64encode(png_bytes() + secret).decode().rstrip("=")
    assert {"-", "_"} & set(url_safe) and len(url_safe) % 4
    content[1]["image_url"] = "data:image/png;base64," + url_safe
    with pytest.raises(openai.BadRequestError):
        create(client, [{"role": "user", "content": content}])
    assert len(fake.leaks) == 2 and fake.leaks[1].where == "data URL at input[0].content[1].image_url"


def test_a_long_base64_json_string_is_decoded_and_searched(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.watch(SECRET)
    file_data = base64.b64encode(b"%PDF-1.7 " + SECRET.encode() + b" " * 80).decode()
    content = [{"type": "input_file", "filename": "notes.pdf", "file_data": file_data}]
    client.responses.create(model="m", input=[{"role": "user", "content": content}])  # type: ignore[arg-type, misc]
    assert leaks(fake) == [("POST", "/v1/responses", "base64 at input[0].content[0].file_data")]


def test_a_watched_value_inside_a_files_upload_is_caught_in_its_multipart_part(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.watch(SECRET)
    uploaded = client.files.create(file=("in.png", png_bytes() + SECRET.encode(), "image/png"), purpose="vision")
    assert uploaded.id in fake.files
    assert leaks(fake) == [("POST", "/v1/files", "body"), ("POST", "/v1/files", "multipart part file")]


def test_watched_values_in_a_header_and_in_the_query_string_are_caught(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    in_header, in_query = "header-secret-4242", "query secret & more"
    fake.watch(in_header, in_query)
    client.responses.create(model="m", input="x", extra_headers={"X-Trace": in_header}, extra_query={"tag": in_query})
    assert leaks(fake) == [("POST", "/v1/responses", "query"), ("POST", "/v1/responses", "header x-trace")]
    assert [leak.secret for leak in fake.leaks] == [in_query, in_header]

    # Routes the fake does not serve are searched before they are refused; Basic credentials are decoded.
    answer = httpx.get(fake.base_url + "/batches", params={"q": in_query}, auth=("me", in_header), timeout=5)
    assert answer.status_code == 404
    assert leaks(fake)[2:] == [("GET", "/v1/batches", "query"), ("GET", "/v1/batches", "header authorization (base64)")]


def test_bodies_that_are_gzipped_chunked_or_json_escaped_are_searched_decoded(fake: FakeOpenAI) -> None:
    secret = "clé-secrète-9876"
    fake.watch(secret)
    url, auth = fake.base_url + "/responses", {"Authorization": "Bearer sk-test"}
    body = json.dumps({"model": "m", "input": f"draw {secret}"})  # ensure_ascii: the raw body says cl\u00e9
    assert secret.encode() not in body.encode()

    answer = httpx.post(url, content=body, headers={**auth, "Content-Type": "application/json"}, timeout=5)
    assert answer.status_code == 200
    zipped = gzip.compress(f'{{"input": "{secret}"}}'.encode())
    httpx.post(url, content=zipped, headers={**auth, "Content-Encoding": "gzip"}, timeout=5)
    raw = f'{{"input": "{secret}"}}'.encode()
    halves = iter([raw[:12], raw[12:]])  # the secret straddles two chunks
    httpx.post(url, content=halves, headers={**auth, "Content-Type": "application/json"}, timeout=5)

    assert [where for _, _, where in leaks(fake)] == ["JSON string at input", "body", "body"]


def test_requests_refused_before_routing_are_searched(fake: FakeOpenAI) -> None:
    fake.watch(SECRET)
    body = f"pot={SECRET}".encode()
    unknown_method = b"BREW /v1/pot HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    assert exchange(fake, unknown_method).startswith(b"HTTP/1.1 501")
    long_header = b"GET /v1/files HTTP/1.1\r\nX-Big: " + SECRET.encode() + b"a" * 70_000 + b"\r\n\r\n"
    assert exchange(fake, long_header).startswith(b"HTTP/1.1 431")
    bad_request_line = b"GET /" + SECRET.encode() + b" HTTP/1.1 extra\r\n\r\n"
    assert b"Error code: 400" in exchange(fake, bad_request_line)  # answered HTTP/0.9-style: no status line

    assert leaks(fake) == [
        ("BREW", "/v1/pot", "body"),
        ("GET", "/v1/files", "header x-big"),
        ("GET", f"/<'sk-l'… ({len(SECRET)} characters)>", "path"),  # a secret never shows, even as the path
    ]
    assert fake.requests == []  # refused requests are searched, not recorded


def test_requests_without_a_watched_value_record_nothing(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.watch(SECRET, b"\x89never-sent")
    uploaded = client.files.create(file=("in.png", png_bytes(), "image/png"), purpose="vision")
    content = [
        {"type": "input_text", "text": "a fox"},
        {"type": "input_image", "image_url": png_data_url(), "detail": "auto"},
        {"type": "input_image", "file_id": uploaded.id, "detail": "auto"},
    ]
    response = create(client, [{"role": "user", "content": content}], partial_images=1)
    client.responses.retrieve(response.id)
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-image-2")  # a route the fake does not serve

    assert len(fake.requests) == 4 and fake.leaks == []
    fake.assert_no_leaks()


def test_assert_no_leaks_names_every_leak_without_revealing_the_secret(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.assert_no_leaks()  # nothing watched, nothing found
    fake.watch(SECRET)
    fake.watch(SECRET, b"second-secret-bytes")  # watching again adds; repeats are ignored
    create(client, SECRET)
    httpx.get(fake.base_url + "/files/x", headers={"X-Key": "second-secret-bytes"}, timeout=5)
    encoded = "".join(f"%{byte:02X}" for byte in SECRET.encode())
    httpx.get(fake.base_url + "/files/" + encoded + "/content", timeout=5)

    with pytest.raises(AssertionError) as excinfo:
        fake.assert_no_leaks()
    message = str(excinfo.value)
    masked = f"'sk-l'… ({len(SECRET)} characters)"
    assert message.splitlines() == [
        "3 watched secret(s) reached the fake OpenAI server:",
        f"  {masked} in body of POST /v1/responses",
        "  b'seco'… (19 bytes) in header x-key of GET /v1/files/x",
        f"  {masked} in path of GET /v1/files/<{masked}>/content",  # decoded from %73%6B..., then masked
    ]
    for shown in (message, repr(fake.leaks), str(fake.leaks)):
        assert SECRET not in shown and "second-secret" not in shown and SECRET[:5] not in shown


def test_watch_refuses_empty_and_non_text_values(fake: FakeOpenAI) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        fake.watch("")
    with pytest.raises(TypeError, match="str or bytes"):
        fake.watch(42)  # type: ignore[arg-type]


# --- background responses


def background(client: openai.OpenAI, *, stream: bool = False, partial_images: int = 0, **extra: Any) -> Any:
    return client.responses.create(
        model="gpt-6-astra",
        input="a red fox",
        tools=[tool(partial_images=partial_images)],
        tool_choice=FORCE,
        background=True,
        stream=stream,  # type: ignore[arg-type]  # the overloads want a literal
        **extra,
    )


def test_background_stream_goes_queued_in_progress_completed_with_every_sequence_number(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.render_seconds = 0.3
    started = time.perf_counter()
    events: list[Any] = list(background(client, stream=True, partial_images=2))
    elapsed = time.perf_counter() - started

    types = [event.type for event in events]
    assert types[:3] == ["response.created", "response.queued", "response.in_progress"]
    assert types[-1] == "response.completed"
    assert [event.sequence_number for event in events] == list(range(len(events)))
    created = events[0].response
    assert created.id.startswith("resp_") and created.status == "queued" and created.background is True
    assert {event.response.id for event in events if hasattr(event, "response")} == {created.id}
    assert types.count("response.image_generation_call.partial_image") == 2
    final = events[-1].response
    assert final.status == "completed" and final.background is True
    assert decode(image_call(final).result).size == (1024, 1024)
    assert elapsed >= 0.3  # the image took the render time
    assert fake.background_responses() == {created.id: "completed"}
    assert fake.generations == 1


def test_background_create_without_stream_answers_queued_and_completes_on_its_own_clock(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.render_seconds = 0.4
    response = background(client)
    assert response.status == "queued" and response.background is True and response.output == []
    assert client.responses.retrieve(response.id).status in ("queued", "in_progress")

    assert fake.wait_background() == {response.id: "completed"}
    done = client.responses.retrieve(response.id)
    assert done.status == "completed" and done.id == response.id and done.created_at == response.created_at
    assert decode(image_call(done).result).format == "PNG"
    follow_up = client.responses.create(model="m", input="bluer", previous_response_id=done.id, tools=[tool()])
    assert follow_up.status == "completed"


def test_chaining_from_a_background_response_still_running_is_refused(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.render_seconds = 1.0
    running = background(client)
    with pytest.raises(openai.BadRequestError) as refused:
        client.responses.create(model="m", input="bluer", previous_response_id=running.id, tools=[tool()])
    assert refused.value.code == "previous_response_not_completed" and refused.value.param == "previous_response_id"
    assert "still queued" in refused.value.message or "still in_progress" in refused.value.message
    fake.wait_background()
    assert client.responses.create(model="m", input="bluer", previous_response_id=running.id, tools=[tool()]).status == "completed"


def test_retrieve_stream_with_starting_after_replays_only_later_events_then_follows_live(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.render_seconds = 0.4
    response = background(client, partial_images=1)

    live: list[Any] = list(client.responses.retrieve(response.id, stream=True, starting_after=1))
    assert live[0].sequence_number == 2 and live[0].type == "response.in_progress"
    assert [event.sequence_number for event in live] == list(range(2, 2 + len(live)))
    assert live[-1].type == "response.completed"
    assert fake.requests[-1].query == "starting_after=1&stream=true"  # how the SDK sends them

    replay: list[Any] = list(client.responses.retrieve(response.id, stream=True, starting_after=5))
    assert [event.model_dump() for event in replay] == [event.model_dump() for event in live[4:]]
    everything: list[Any] = list(client.responses.retrieve(response.id, stream=True))
    assert everything[0].type == "response.created" and len(everything) == len(live) + 2
    assert list(client.responses.retrieve(response.id, stream=True, starting_after=10_000)) == []


def test_the_sdk_stream_helper_resumes_by_replaying_from_the_start_and_filtering_itself(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    response = background(client)
    with client.responses.stream(response_id=response.id, starting_after=3) as stream:
        numbers = [event.sequence_number for event in stream]
        final = stream.get_final_response()
    assert final.status == "completed" and numbers[0] == 4
    # responses.stream(response_id=..., starting_after=N) does not send starting_after: its accumulator
    # needs response.created, so it asks for every event and drops the early ones itself.
    assert "starting_after" not in fake.requests[-1].query


def test_a_client_that_hangs_up_mid_stream_finds_the_response_completed_with_one_generation(
    fake: FakeOpenAI, client: openai.OpenAI
) -> None:
    fake.render_seconds = 0.5
    stream = background(client, stream=True, partial_images=2)
    seen: list[Any] = []
    for event in stream:
        seen.append(event)
        if event.type == "response.image_generation_call.partial_image":
            break
    stream.close()
    response_id, last = seen[0].response.id, seen[-1].sequence_number

    rest: list[Any] = list(client.responses.retrieve(response_id, stream=True, starting_after=last))
    assert rest[0].sequence_number == last + 1 and rest[-1].type == "response.completed"
    assert client.responses.retrieve(response_id).status == "completed"
    assert fake.generations == 1 and len(fake.response_requests()) == 1


def test_cancel_stops_a_background_response_before_any_image_and_ends_its_streams(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.queued_seconds = 0.5
    stream = background(client, stream=True)
    types: list[str] = []
    for event in stream:
        types.append(event.type)
        if event.type == "response.queued":
            cancelled = client.responses.cancel(event.response.id)
            assert cancelled.status == "cancelled" and cancelled.output == []
    # The SDK has no response.cancelled event class: it parses the event as some other union member,
    # keeping `type`, with `response` as a plain dict.
    assert types == ["response.created", "response.queued", "response.cancelled"]
    assert event.response["status"] == "cancelled"  # type: ignore[index]

    assert client.responses.retrieve(cancelled.id).status == "cancelled"
    replay = [e.type for e in client.responses.retrieve(cancelled.id, stream=True, starting_after=1)]
    assert replay == ["response.cancelled"]
    assert client.responses.cancel(cancelled.id).status == "cancelled"  # cancelling twice answers it again
    time.sleep(0.6)  # past the queued time: it stays cancelled and never renders
    assert fake.background_responses() == {cancelled.id: "cancelled"}
    assert fake.generations == 0


def test_cancelling_a_finished_foreground_or_unknown_response_is_refused(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    done = background(client)
    fake.wait_background()
    with pytest.raises(openai.BadRequestError) as excinfo:
        client.responses.cancel(done.id)
    assert excinfo.value.body == {  # OpenAI's answer, as quoted in https://github.com/BerriAI/litellm/pull/39617
        "message": "Cannot cancel a completed response.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    assert client.responses.retrieve(done.id).status == "completed"

    foreground = create(client)
    with pytest.raises(openai.BadRequestError) as excinfo:
        client.responses.cancel(foreground.id)
    assert "background" in excinfo.value.message
    with pytest.raises(openai.NotFoundError):
        client.responses.cancel("resp_nope")
    with pytest.raises(openai.BadRequestError) as excinfo:
        client.responses.retrieve(foreground.id, stream=True)
    assert excinfo.value.param == "stream"


def test_drop_stream_after_cuts_the_connection_while_the_response_keeps_running(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.drop_stream_after(3)
    seen: list[Any] = []
    with pytest.raises(openai.APIConnectionError):
        for event in background(client, stream=True):
            seen.append(event)
    assert [event.sequence_number for event in seen] == [0, 1, 2]
    response_id = seen[0].response.id

    fake.drop_stream_after(2)
    again: list[Any] = []
    with pytest.raises(openai.APIConnectionError):
        for event in client.responses.retrieve(response_id, stream=True, starting_after=2):
            again.append(event)
    assert [event.sequence_number for event in again] == [3, 4]

    assert fake.wait_background() == {response_id: "completed"}
    assert fake.generations == 1
    assert list(client.responses.retrieve(response_id, stream=True))[-1].type == "response.completed"  # used up

    fake.drop_stream_after(2)  # foreground streams are cut too, and then lost
    with pytest.raises(openai.APIConnectionError):
        list(client.responses.create(model="m", input="x", tools=[tool()], stream=True))


def test_refuse_background_answers_unknown_parameter_as_an_older_deployment_would(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.refuse_background(True)
    fake.queue_outcome("no_image")
    with pytest.raises(openai.BadRequestError) as excinfo:
        background(client, stream=True)
    assert (excinfo.value.code, excinfo.value.param) == ("unknown_parameter", "background")
    assert "'background'" in excinfo.value.message
    with pytest.raises(openai.BadRequestError):  # the key alone is enough
        client.responses.create(model="m", input="x", tools=[tool()], background=False)
    # The refusal leaves a queued outcome for the request that follows.
    assert [item.type for item in create(client).output] == ["message"]

    fake.refuse_background(False)
    assert background(client).status == "queued"


def test_answer_streams_with_json_sends_the_final_response_object_which_the_sdk_streams_as_nothing(
    fake: FakeOpenAI, client: openai.OpenAI
) -> None:
    fake.answer_streams_with_json(True)
    raw = client.responses.with_raw_response.create(model="m", input="x", tools=[tool()], stream=True)
    assert raw.headers["content-type"] == "application/json"
    body = json.loads(raw.http_response.read())
    assert body["status"] == "completed" and body["output"]
    # The SDK trusts the request's `stream`, finds no SSE events in the JSON, and yields none, without an error.
    assert list(client.responses.create(model="m", input="x", tools=[tool()], stream=True)) == []

    raw = client.responses.with_raw_response.create(model="m", input="x", tools=[tool()], background=True, stream=True)
    late = json.loads(raw.http_response.read())
    assert (late["status"], late["background"]) == ("completed", True)  # answered once it had ended
    assert fake.background_responses() == {late["id"]: "completed"}


def test_a_failed_background_response_ends_with_response_failed_and_no_image(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.queue_outcome("failed_response", code="server_error", message="boom")
    response = background(client, partial_images=2)
    assert fake.wait_background() == {response.id: "failed"}
    failed = client.responses.retrieve(response.id)
    assert failed.status == "failed" and failed.error is not None and failed.error.code == "server_error"
    assert failed.error.message == "boom" and not any(i.type == "image_generation_call" for i in failed.output)
    types = [event.type for event in client.responses.retrieve(response.id, stream=True)]
    assert types == ["response.created", "response.queued", "response.in_progress", "response.failed"]
    assert fake.generations == 0

    fake.queue_outcome("incomplete")
    stopped = background(client)
    fake.wait_background()
    incomplete = client.responses.retrieve(stopped.id)
    assert incomplete.status == "incomplete" and incomplete.incomplete_details is not None
    assert incomplete.incomplete_details.reason == "max_output_tokens"
    assert [e.type for e in client.responses.retrieve(stopped.id, stream=True)][-1] == "response.incomplete"


def test_a_forgotten_background_response_answers_404_and_cuts_its_streams(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.queued_seconds = 1.0
    fake.queue_outcome("forgotten", after=0.3)
    response = background(client)
    assert client.responses.retrieve(response.id).status == "queued"
    with pytest.raises(openai.APIConnectionError):
        list(client.responses.retrieve(response.id, stream=True))  # cut at 0.3 s, while still queued
    with pytest.raises(openai.NotFoundError) as excinfo:
        client.responses.retrieve(response.id)
    assert response.id in excinfo.value.message
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id, stream=True)
    with pytest.raises(openai.NotFoundError):
        client.responses.cancel(response.id)
    assert fake.wait_background() == {response.id: "forgotten"}
    assert fake.generations == 0

    fake.queued_seconds = 0.05
    fake.queue_outcome("forgotten")  # after=0: forgotten as soon as it is created
    gone = background(client)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(gone.id)

    running = background(client)
    fake.expire_responses()  # forgets running background responses too
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(running.id)
    assert fake.background_responses()[running.id] == "forgotten"

    fake.queue_outcome("forgotten")  # a foreground response is answered but never kept
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(create(client).id)


def test_background_with_store_false_is_refused(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as excinfo:
        background(client, store=False)
    assert (excinfo.value.code, excinfo.value.param) == ("invalid_value", "background")
    assert "store" in excinfo.value.message
    assert fake.background_responses() == {}
    unstored = client.responses.create(model="m", input="x", tools=[tool()], store=False, background=False)
    assert unstored.status == "completed" and unstored.background is False


def test_completion_windows_2h_and_8h_refuse_streaming_and_wait_longer_in_the_queue(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    slow: Any = {"completion_window": "2h"}
    with pytest.raises(openai.BadRequestError) as excinfo:
        background(client, stream=True, background_options=slow)
    assert excinfo.value.param == "background_options.completion_window" and "stream" in excinfo.value.message
    with pytest.raises(openai.BadRequestError) as excinfo:
        client.responses.create(model="m", input="x", tools=[tool()], background_options=slow)
    assert "'background'" in excinfo.value.message
    with pytest.raises(openai.BadRequestError):
        background(client, background_options=slow, service_tier="flex")
    with pytest.raises(openai.BadRequestError) as excinfo:
        background(client, background_options={"completion_window": "1h"})
    assert excinfo.value.param == "background_options.completion_window"

    fake.window_seconds["2h"] = 0.4
    started = time.perf_counter()
    response = background(client, background_options=slow)
    time.sleep(0.2)
    assert client.responses.retrieve(response.id).status == "queued"
    fake.wait_background()
    assert time.perf_counter() - started >= 0.4 + fake.render_seconds
    assert client.responses.retrieve(response.id).status == "completed"
    assert fake.response_requests()[-1]["background_options"] == {"completion_window": "2h"}

    events: list[Any] = list(background(client, stream=True, background_options={"completion_window": "soonest"}))
    assert events[-1].type == "response.completed"


def test_stop_ends_running_background_responses_and_their_streams() -> None:
    fake = FakeOpenAI(render_seconds=30).start()
    client = openai.OpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0)
    response = background(client)
    stream = client.responses.retrieve(response.id, stream=True)
    next(iter(stream))
    threads = [thread for thread in threading.enumerate() if thread.name.startswith("fake-openai-resp_")]
    assert threads
    started = time.perf_counter()
    fake.stop()
    assert time.perf_counter() - started < 2
    assert not any(thread.is_alive() for thread in threads)
    with pytest.raises(openai.APIConnectionError):
        list(stream)
    client.close()


def test_stream_cut_loses_only_the_answer_and_delete_stops_a_background_response(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.queue_outcome("stream_cut")
    seen: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        for event in background(client, stream=True):
            seen.append(event.type)
    assert seen[-1] == "response.image_generation_call.generating"

    fake.queue_outcome("stream_cut")
    with pytest.raises(openai.APIConnectionError):
        background(client)  # created all the same: the client never learns its id
    assert list(fake.wait_background().values()) == ["completed", "completed"]
    assert fake.generations == 2

    doomed = background(client)
    client.responses.delete(doomed.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(doomed.id)
    assert fake.wait_background()[doomed.id] == "forgotten"
    assert fake.generations == 2


# --- photo-like images


def test_photo_like_final_image_weighs_what_a_photo_does_and_partials_stay_small(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.photo_like = True
    events: list[Any] = list(background(client, stream=True, partial_images=1))

    data = base64.b64decode(image_call(events[-1].response).result)
    assert 1_400_000 <= len(data) <= 2_200_000
    image = decode(base64.b64encode(data).decode())
    assert (image.format, image.size, image.mode) == ("PNG", (1024, 1024), "RGB")
    assert image.getcolors(maxcolors=100_000) is None  # more than 100,000 distinct colours: grain, not flat fills
    [partial] = [e for e in events if e.type == "response.image_generation_call.partial_image"]
    assert len(base64.b64decode(partial.partial_image_b64)) < 50_000

    started = time.perf_counter()
    again = image_call(create(client, "a different prompt")).result
    assert base64.b64decode(again) == data  # encoded once, then served from the cache
    assert time.perf_counter() - started < 0.25


def test_photo_like_images_scale_with_size_and_keep_format_and_transparency(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.photo_like = True
    wide = base64.b64decode(image_call(create(client, size="1536x1024")).result)
    assert 2_100_000 <= len(wide) <= 3_300_000  # the 1024x1024 bounds times 1.5, as the pixels are
    jpeg = decode(image_call(create(client, size="1536x1024", output_format="jpeg", output_compression=80)).result)
    assert (jpeg.format, jpeg.size) == ("JPEG", (1536, 1024))
    cut_out = decode(image_call(create(client, background="transparent")).result)
    assert (cut_out.format, cut_out.mode) == ("PNG", "RGBA")
    alpha = cut_out.getchannel("A")
    assert (alpha.getpixel((0, 0)), alpha.getpixel((512, 512))) == (0, 255)


def test_the_model_list_is_served_and_needs_a_key(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    assert [model.id for model in client.models.list()] == [DEFAULT_IMAGE_MODEL]
    assert httpx.get(fake.base_url + "/models", timeout=5).status_code == 401
