"""Checks that tests/fake_openai.py behaves like the real API as seen through the real openai SDK."""

from __future__ import annotations

import base64
import gzip
import io
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from fake_openai import DEFAULT_IMAGE_MODEL, FakeOpenAI
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


# --- the fake's rules are image_models' rules


def refusal(client: openai.OpenAI, **settings: Any) -> openai.BadRequestError:
    """The fake's 400 answer to an image tool with `settings`; fails the test if it answers 200."""
    with pytest.raises(openai.BadRequestError) as excinfo:
        create(client, **settings)
    return excinfo.value


def test_default_image_model_is_image_models_api_default(client: openai.OpenAI) -> None:
    assert DEFAULT_IMAGE_MODEL == image_models.API_DEFAULT_IMAGE_MODEL
    response = create(client, size="1024x1024")
    assert response.tools[0].model == image_models.API_DEFAULT_IMAGE_MODEL  # type: ignore[union-attr]


def test_2400x2400_is_refused_on_gpt_image_2_as_openai_refuses_a_size(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    error = refusal(client, model="gpt-image-2", size="2400x2400")
    assert (error.status_code, error.type, error.code, error.param) == (400, "invalid_request_error", "invalid_value", "tools[0].size")
    answer = error.response.json()
    assert set(answer) == {"error"} and set(answer["error"]) == {"message", "type", "param", "code"}
    assert answer["error"]["message"].startswith("Invalid size '2400x2400'.")
    assert "at most 3840x2160" in answer["error"]["message"]
    [body] = fake.response_requests()
    assert body["tools"][0] == {"type": "image_generation", "model": "gpt-image-2", "size": "2400x2400"}
    assert fake.responses == {}  # nothing was generated or stored


@pytest.mark.parametrize("model", [DEFAULT_IMAGE_MODEL, "gpt-image-2", "gpt-image-1.5"])
@pytest.mark.parametrize("size", [*image_models.STANDARD_SIZES, "auto"])
def test_standard_sizes_and_auto_are_accepted_on_every_model(client: openai.OpenAI, model: str, size: str) -> None:
    call = image_call(create(client, model=model, size=size, quality="low"))
    assert call.status == "completed"
    expected = "1024x1024" if size == "auto" else size
    assert call.size == expected
    assert decode(call.result).size == tuple(int(side) for side in expected.split("x"))


def test_1536x864_is_refused_on_the_fixed_size_default_model_and_accepted_on_gpt_image_2(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    assert not image_models.has_flexible_sizes(DEFAULT_IMAGE_MODEL)
    error = refusal(client, size="1536x864")  # no model in the tool: the default model
    assert (error.status_code, error.param) == (400, "tools[0].size")
    message = error.response.json()["error"]["message"]
    assert message == "Invalid size '1536x864'. gpt-image-2.6-sunburst accepts 1024x1024, 1536x1024, 1024x1536 or auto."

    call = image_call(create(client, model="gpt-image-2", size="1536x864"))
    assert call.status == "completed" and decode(call.result).size == (1536, 864)
    assert [body["tools"][0].get("model") for body in fake.response_requests()] == [None, "gpt-image-2"]


SIZE_CASES = [
    "1024x1024",
    "auto",
    "1536x864",
    "2048x1152",
    "3840x2160",
    "2160x3840",
    "768x2304",
    "16x16",
    "2400x2400",
    "3840x3840",
    "4096x2304",
    "3072x1008",
    "1000x1000",
    "1024x1792",
    "0x0",
    "abc",
    "",
]


VERDICT_MODELS = [DEFAULT_IMAGE_MODEL, "gpt-image-2", "gpt-image-2.5-flare-2026-09-08", "gpt-image-1-mini"]


@pytest.mark.parametrize("model", VERDICT_MODELS)
def test_fake_size_verdict_equals_image_models_verdict(fake: FakeOpenAI, client: openai.OpenAI, model: str) -> None:
    for size in SIZE_CASES:
        try:
            image_models.validate_size(size, model)
            allowed = True
        except InvalidInput:
            allowed = False
        try:
            answered = image_call(create(client, model=model, size=size, quality="low"))
            accepted = answered.status == "completed"
        except openai.BadRequestError as error:
            assert error.param == "tools[0].size", (size, error.message)
            accepted = False
        assert accepted is allowed, (model, size)
    assert len(fake.response_requests()) == len(SIZE_CASES)


@pytest.mark.parametrize("output_format", image_models.OUTPUT_FORMATS)
def test_every_image_models_output_format_is_accepted(client: openai.OpenAI, output_format: str) -> None:
    call = image_call(create(client, output_format=output_format))
    assert call.output_format == output_format
    assert decode(call.result).format == {"png": "PNG", "webp": "WEBP", "jpeg": "JPEG"}[output_format]


@pytest.mark.parametrize("background", image_models.BACKGROUNDS)
def test_every_image_models_background_is_accepted(client: openai.OpenAI, background: str) -> None:
    call = image_call(create(client, background=background, output_format="png"))
    assert call.background == ("transparent" if background == "transparent" else "opaque")


@pytest.mark.parametrize("moderation", image_models.MODERATIONS)
def test_every_image_models_moderation_is_accepted_and_echoed(client: openai.OpenAI, moderation: str) -> None:
    response = create(client, moderation=moderation)
    assert image_call(response).status == "completed"
    assert response.tools[0].moderation == moderation  # type: ignore[union-attr]


@pytest.mark.parametrize("model", [DEFAULT_IMAGE_MODEL, "gpt-image-2", "gpt-image-2.5-sunburst"])
def test_exactly_the_qualities_image_models_lists_for_the_model_are_accepted(client: openai.OpenAI, model: str) -> None:
    allowed = image_models.qualities_for(model)
    for quality in image_models.QUALITIES + image_models.EXTRA_QUALITIES:
        if quality in allowed:
            assert image_call(create(client, model=model, quality=quality)).status == "completed", quality
        else:
            error = refusal(client, model=model, quality=quality)
            assert (error.status_code, error.param) == (400, "tools[0].quality"), quality


@pytest.mark.parametrize(
    "field, value",
    [
        ("output_format", "gif"),
        ("background", "white"),
        ("quality", "ultra"),
        ("moderation", "high"),
        ("moderation", "strict"),
    ],
)
def test_a_value_image_models_does_not_list_is_refused(fake: FakeOpenAI, client: openai.OpenAI, field: str, value: str) -> None:
    lists = {
        "output_format": image_models.OUTPUT_FORMATS,
        "background": image_models.BACKGROUNDS,
        "quality": image_models.QUALITIES + image_models.EXTRA_QUALITIES,
        "moderation": image_models.MODERATIONS,
    }
    assert value not in lists[field]
    error = refusal(client, **{field: value})
    assert (error.status_code, error.type, error.code, error.param) == (400, "invalid_request_error", "invalid_value", f"tools[0].{field}")
    assert f"'{value}'" in error.response.json()["error"]["message"]
    assert fake.response_requests()[-1]["tools"][0][field] == value


def test_runs_as_a_script_outside_the_repo_with_image_models_rules(tmp_path: Path) -> None:
    script = Path(__file__).resolve().parent / "fake_openai.py"
    process = subprocess.Popen([sys.executable, str(script)], cwd=tmp_path, env={"PATH": ""}, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:"), base_url
        with openai.OpenAI(api_key="sk-test", base_url=base_url, max_retries=0) as sdk:
            assert image_call(create(sdk, model="gpt-image-2", size="1536x864")).status == "completed"
            assert refusal(sdk, model="gpt-image-2", size="2400x2400").param == "tools[0].size"
    finally:
        process.terminate()
        process.wait(timeout=10)


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
