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
import image_models
import openai
import pytest
from errors import InvalidInput
from fake_openai import DEFAULT_IMAGE_MODEL, FakeOpenAI
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
    assert (error.status_code, error.type, error.code, error.param) == (
        400, "invalid_request_error", "invalid_value", "tools[0].size"
    )
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


def test_1536x864_is_refused_on_the_fixed_size_default_model_and_accepted_on_gpt_image_2(
    fake: FakeOpenAI, client: openai.OpenAI
) -> None:
    assert not image_models.has_flexible_sizes(DEFAULT_IMAGE_MODEL)
    error = refusal(client, size="1536x864")  # no model in the tool: the default model
    assert (error.status_code, error.param) == (400, "tools[0].size")
    message = error.response.json()["error"]["message"]
    assert message == "Invalid size '1536x864'. gpt-image-2.6-sunburst accepts 1024x1024, 1536x1024, 1024x1536 or auto."

    call = image_call(create(client, model="gpt-image-2", size="1536x864"))
    assert call.status == "completed" and decode(call.result).size == (1536, 864)
    assert [body["tools"][0].get("model") for body in fake.response_requests()] == [None, "gpt-image-2"]


SIZE_CASES = [
    "1024x1024", "auto", "1536x864", "2048x1152", "3840x2160", "2160x3840", "768x2304", "16x16",
    "2400x2400", "3840x3840", "4096x2304", "3072x1008", "1000x1000", "1024x1792", "0x0", "abc", "",
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
def test_a_value_image_models_does_not_list_is_refused(
    fake: FakeOpenAI, client: openai.OpenAI, field: str, value: str
) -> None:
    lists = {
        "output_format": image_models.OUTPUT_FORMATS,
        "background": image_models.BACKGROUNDS,
        "quality": image_models.QUALITIES + image_models.EXTRA_QUALITIES,
        "moderation": image_models.MODERATIONS,
    }
    assert value not in lists[field]
    error = refusal(client, **{field: value})
    assert (error.status_code, error.type, error.code, error.param) == (
        400, "invalid_request_error", "invalid_value", f"tools[0].{field}"
    )
    assert f"'{value}'" in error.response.json()["error"]["message"]
    assert fake.response_requests()[-1]["tools"][0][field] == value


def test_runs_as_a_script_outside_the_repo_with_image_models_rules(tmp_path: Path) -> None:
    script = Path(__file__).resolve().parent / "fake_openai.py"
    process = subprocess.Popen(
        [sys.executable, str(script)], cwd=tmp_path, env={"PATH": ""}, stdout=subprocess.PIPE, text=True
    )
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


def test_a_watched_value_inside_a_files_upload_is_caught_in_its_multipart_part(
    fake: FakeOpenAI, client: openai.OpenAI
) -> None:
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
    answer = httpx.get(fake.base_url + "/models", params={"q": in_query}, auth=("me", in_header), timeout=5)
    assert answer.status_code == 404
    assert leaks(fake)[2:] == [("GET", "/v1/models", "query"), ("GET", "/v1/models", "header authorization (base64)")]


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
        client.models.list()

    assert len(fake.requests) == 4 and fake.leaks == []
    fake.assert_no_leaks()


def test_assert_no_leaks_names_every_leak_without_revealing_the_secret(
    fake: FakeOpenAI, client: openai.OpenAI
) -> None:
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
