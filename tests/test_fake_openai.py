"""Checks that tests/fake_openai.py behaves like the real API as seen through the real openai SDK."""

from __future__ import annotations

import base64
import io
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from fake_openai import FakeOpenAI
from openai.types.responses import Response
from PIL import Image

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
    response = create(client, size="1536x864", output_format="webp", quality="high")

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
    assert response.tools[0].model == "gpt-image-2.6-sunburst"  # type: ignore[union-attr]

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
    second = client.responses.create(
        model="gpt-6-astra", input="now blue", previous_response_id=first.id, tools=[tool()]
    )
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
    with client.responses.stream(
        model="gpt-6-astra", input="a fox", tools=[tool(partial_images=1)], tool_choice=FORCE
    ) as stream:
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
        client.models.list()


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
