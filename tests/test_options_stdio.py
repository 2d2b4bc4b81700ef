"""End to end: image options, masks, references, streaming progress, cost, dry run, resource links and resources."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest
from conftest import call_tool, result_text, same_pixels, stdio_client, write_image
from PIL import Image

pytestmark = pytest.mark.integration

PHOTO = (256, 256)  # the size of the photos to edit; the masked edit below draws a mask of this size


def _data(url: str) -> bytes:
    return base64.b64decode(url.split(",", 1)[1])


async def test_every_option_reaches_the_request_and_the_file_matches(server_env, fake_openai, home):
    options = {"quality": "high", "background": "transparent", "output_format": "webp", "output_compression": 80, "moderation": "low"}
    async with stdio_client(server_env) as client:
        result = await call_tool(client, "openai_generate_image", {"prompt": "A fox mascot", "size": "1024x1024", **options})
        assert not result.is_error, result_text(result)
        refined = await call_tool(
            client,
            "openai_conversational_image",
            {"prompt": "Add a hat", "conversation_id": result.structured_content["conversation_id"], "quality": "low"},
        )
        assert not refined.is_error, result_text(refined)
    first, second = fake_openai.response_requests()
    assert first["stream"] is True
    assert first["tools"][0] == {"type": "image_generation", "size": "1024x1024", **options}
    assert second["tools"][0] == {"type": "image_generation", "size": "1024x1024", **options, "quality": "low"}, (
        "a refinement keeps the options"
    )
    path = Path(result.structured_content["path"])
    assert path.suffix == ".webp" and result.structured_content["format"] == "webp"
    with Image.open(path) as image:
        assert image.format == "WEBP" and "A" in image.getbands()
        assert image.getpixel((0, 0))[3] == 0, "the background is transparent"
    assert "quality high" in result_text(result) and "background transparent" in result_text(result)


@pytest.mark.parametrize("model", ["gpt-image-1.5", "gpt-image-1", "gpt-image-1-mini-2025-10-06", "chatgpt-image-latest", "dall-e-3"])
async def test_a_retired_image_model_is_refused_with_its_day_and_replacement_before_any_request(server_env, fake_openai, model):
    env = {**server_env, "OPENAI_IMAGE_MODEL": model}
    async with stdio_client(env) as client:
        one_shot = await call_tool(client, "openai_generate_image", {"prompt": "A red fox in fresh snow"})
        asked = await call_tool(client, "openai_conversational_image", {"prompt": "A red fox in fresh snow", "skip_dialogue": True})
        dry = await call_tool(client, "openai_generate_image", {"prompt": "A red fox in fresh snow", "dry_run": True})
    for result in (one_shot, asked, dry):
        assert result.is_error and f"OPENAI_IMAGE_MODEL={model}: {model} was shut down by OpenAI on 2026-" in result_text(result)
        assert "gpt-image-2.6-sunburst" in result_text(result) and "gpt-image-2.6-flare" in result_text(result)
    assert [request.path for request in fake_openai.requests] == [], "nothing reached OpenAI"


async def test_invalid_combinations_are_refused_before_any_request(server_env, fake_openai, tmp_path):
    photo = write_image(tmp_path / "a.png", PHOTO)
    refs = [str(write_image(tmp_path / f"r{n}.png", (32, 32))) for n in range(17)]
    cases = [
        ({"background": "transparent", "output_format": "jpeg"}, "needs output_format png or webp"),
        ({"quality": "xhigh"}, "xhigh and max need OPENAI_IMAGE_MODEL"),
        ({"input_fidelity": "high"}, "does not take input_fidelity"),
        ({"output_compression": 50}, "applies to jpeg and webp only"),
        ({"output_compression": 101, "output_format": "jpeg"}, "100"),
        ({"partial_images": 5}, "3"),
        ({"reference_image_paths": refs}, "at most 16"),
        ({"mask_path": str(photo)}, "mask_path needs an image to edit"),
        ({"input_image_path": str(photo), "mask_path": str(photo)}, "no alpha channel"),
        (
            {"input_image_path": str(photo), "mask_path": str(write_image(tmp_path / "m.png", (128, 128), mode="RGBA"))},
            "must be the same size",
        ),
        ({"reference_image_paths": [str(tmp_path / "missing.png")]}, "reference_image_paths[1]: no file at"),
    ]
    async with stdio_client(server_env) as client:
        for args, expected in cases:
            result = await call_tool(client, "openai_conversational_image", {"prompt": "A fox", "skip_dialogue": True, **args})
            assert result.is_error, args
            assert expected in result_text(result), (args, result_text(result))
    assert fake_openai.response_requests() == []


async def test_masked_edit_sends_the_image_first_and_the_mask(server_env, fake_openai, tmp_path):
    photo = write_image(tmp_path / "room.png", PHOTO)
    mask = tmp_path / "mask.png"
    canvas = Image.new("RGBA", (256, 256), (0, 0, 0, 255))
    canvas.paste((0, 0, 0, 0), (64, 64, 192, 192))
    canvas.save(mask, "PNG")
    async with stdio_client(server_env) as client:
        result = await call_tool(
            client, "openai_conversational_image", {"prompt": "Put a sofa here", "input_image_path": str(photo), "mask_path": str(mask)}
        )
        assert not result.is_error, result_text(result)
        request = fake_openai.response_requests()[-1]
        assert _data(request["tools"][0]["input_image_mask"]["image_url"]) == mask.read_bytes()
        parts = request["input"][0]["content"]
        assert _data(parts[1]["image_url"]) == photo.read_bytes()

        # Masking a conversation's last image sends that image explicitly, beside previous_response_id.
        big_mask = tmp_path / "big_mask.png"
        canvas.resize((1024, 1024)).save(big_mask, "PNG")
        again = await call_tool(
            client,
            "openai_conversational_image",
            {"prompt": "Now a lamp", "conversation_id": result.structured_content["conversation_id"], "mask_path": str(big_mask)},
        )
        assert not again.is_error, result_text(again)
    request = fake_openai.response_requests()[-1]
    assert request["previous_response_id"] == result.structured_content["response_id"]
    assert same_pixels(_data(request["input"][0]["content"][1]["image_url"]), Path(result.structured_content["path"]).read_bytes())
    assert "input_image_mask" in request["tools"][0]


async def test_three_reference_images_arrive_as_three_input_images(server_env, fake_openai, tmp_path):
    refs = [write_image(tmp_path / f"ref{n}.png", (64 + n * 16, 64), color=(n * 60, 20, 20)) for n in range(3)]
    async with stdio_client(server_env) as client:
        result = await call_tool(
            client, "openai_generate_image", {"prompt": "A poster in the style of these", "reference_image_paths": [str(r) for r in refs]}
        )
    assert not result.is_error, result_text(result)
    parts = fake_openai.response_requests()[0]["input"][0]["content"]
    assert parts[0] == {"type": "input_text", "text": "A poster in the style of these"}
    assert [_data(p["image_url"]) for p in parts[1:]] == [r.read_bytes() for r in refs]


async def test_progress_arrives_in_order_with_one_message_per_partial_image(server_env, fake_openai):
    heard: list[tuple[float, str]] = []

    async def on_progress(progress, total, message):
        heard.append((progress, message))

    async with stdio_client(server_env, progress_handler=on_progress) as client:
        result = await call_tool(client, "openai_generate_image", {"prompt": "A lighthouse", "partial_images": 2})
    assert not result.is_error, result_text(result)
    messages = [m for _, m in heard]
    assert [p for p, _ in heard] == sorted(p for p, _ in heard), "progress only increases"
    expected = [
        "sending the request to OpenAI",
        "generating the image",
        "partial image 1 of 2 received",
        "partial image 2 of 2 received",
        "saving the image",
        "done",
    ]
    positions = [messages.index(m) for m in expected]
    assert positions == sorted(positions), messages
    assert fake_openai.response_requests()[0]["tools"][0]["partial_images"] == 2


async def test_a_slow_render_gets_a_heartbeat_at_least_every_five_seconds(server_env, fake_openai):
    fake_openai.latency = 5.5
    times: list[str] = []

    async def on_progress(progress, total, message):
        times.append(message)

    async with stdio_client(server_env, progress_handler=on_progress) as client:
        result = await call_tool(client, "openai_generate_image", {"prompt": "A slow one"})
    assert not result.is_error
    assert any(m.startswith("still working") for m in times), times


async def test_cost_is_shown_per_image_in_the_listing_and_as_a_session_total(server_env, fake_openai):
    async with stdio_client(server_env) as client:
        first = await call_tool(client, "openai_generate_image", {"prompt": "A red fox", "size": "1024x1024", "quality": "medium"})
        second = await call_tool(
            client, "openai_conversational_image", {"prompt": "At night", "conversation_id": first.structured_content["conversation_id"]}
        )
        listing = await call_tool(client, "openai_list_conversations", {})
    one, two = first.structured_content, second.structured_content
    usage, assistant = one["usage"]["image"], one["usage"]["assistant"]
    image_usd = (
        usage["input_tokens_details"]["text_tokens"] * 5 + usage["input_tokens_details"]["image_tokens"] * 8 + usage["output_tokens"] * 30
    ) / 1e6
    assistant_usd = (assistant["input_tokens"] * 10 + assistant["output_tokens"] * 50) / 1e6  # gpt-6-astra's price
    assert one["cost_usd"] == pytest.approx(image_usd + assistant_usd)
    assert f"Cost: ${one['cost_usd']:.4f}" in result_text(first)
    assert "not priced" not in one["cost_note"] and "assistant $" in one["cost_note"]
    assert two["session_cost_usd"] == pytest.approx(one["cost_usd"] + two["cost_usd"])
    assert "Session total:" in result_text(second)
    entry = listing.structured_content["conversations"][0]
    assert entry["cost_usd"] == pytest.approx(one["cost_usd"] + two["cost_usd"])
    assert f"cost ${entry['cost_usd']:.4f}" in result_text(listing)


async def test_price_overrides_price_unknown_models(server_env, fake_openai):
    prices = {"gpt-image-2": {"text_in": 5, "image_in": 8, "image_out": 30}, "gpt-5.5": {"text_in": 1, "text_out": 10}}
    env = {
        **server_env,
        "OPENAI_IMAGE_MODEL": "gpt-image-2",
        "OPENAI_ASSISTANT_MODEL": "gpt-5.5",
        "OPENAI_IMAGES_PRICES": json.dumps(prices),
    }
    async with stdio_client(env) as client:
        result = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
    assert not result.is_error, result_text(result)
    assert result.structured_content["cost_usd"] > 0 and "not priced" not in result.structured_content["cost_note"]

    env["OPENAI_IMAGES_PRICES"] = "{not json"
    async with stdio_client(env) as client:
        bad = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
    assert bad.is_error and "OPENAI_IMAGES_PRICES" in result_text(bad)


async def test_dry_run_sends_nothing_and_shows_the_request_and_cost(server_env, fake_openai, home, tmp_path):
    ref = write_image(tmp_path / "ref.png", PHOTO)
    async with stdio_client(server_env) as client:
        dry = await call_tool(
            client,
            "openai_generate_image",
            {"prompt": "A slide about sales", "quality": "high", "reference_image_paths": [str(ref)], "dry_run": True},
        )
        assert not dry.is_error, result_text(dry)
        dialogue_dry = await call_tool(client, "openai_conversational_image", {"prompt": "A logo for my bakery", "dry_run": True})
        made = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        refine_dry = await call_tool(
            client,
            "openai_conversational_image",
            {"prompt": "Bigger", "conversation_id": made.structured_content["conversation_id"], "dry_run": True},
        )
    data = dry.structured_content
    assert data["status"] == "dry_run"
    request = data["request"]
    assert request["tools"][0] == {"type": "image_generation", "size": "1536x1024", "quality": "high"}
    assert request["input"][0]["content"][0]["text"] == "A slide about sales"
    assert "KB of image data" in request["input"][0]["content"][1]["image_url"]
    low, high = data["estimated_cost_usd"]
    assert low is not None and low == high and low > 0.1, "1536x1024 high on gpt-image-2.6-sunburst"
    assert "Dry run: nothing was sent" in result_text(dry) and "Estimated cost:" in result_text(dry)
    assert dialogue_dry.structured_content["status"] == "dry_run"
    assert refine_dry.structured_content["request"]["previous_response_id"] == made.structured_content["response_id"]
    assert len(fake_openai.response_requests()) == 1, "only the real generation was sent"
    assert [p.name for p in home["output"].iterdir()] == [Path(made.structured_content["path"]).name]
    conversations = list((home["data"] / "conversations").iterdir())
    assert len(conversations) == 1, "a dry run creates no conversation"


async def test_resource_link_and_resources_give_back_the_saved_bytes(server_env, fake_openai):
    async with stdio_client(server_env) as client:
        result = await call_tool(client, "openai_generate_image", {"prompt": "A fox", "output_format": "jpeg"})
        assert not result.is_error, result_text(result)
        data = result.structured_content
        link = next(block for block in result.content if block.type == "resource_link")
        image_bytes = Path(data["path"]).read_bytes()
        assert str(link.uri) == f"image://{data['image_id']}" and data["uri"] == Path(data["path"]).as_uri()
        assert link.mime_type == "image/jpeg" and link.size == len(image_bytes)
        [linked] = await client.read_resource(str(link.uri))  # the link in the result is readable as it is
        assert base64.b64decode(linked.blob) == image_bytes

        templates = {t.uri_template for t in await client.list_resource_templates()}
        assert templates == {"conversation://{conversation_id}", "image://{image_id}"}
        [blob] = await client.read_resource(f"image://{data['image_id']}")
        assert blob.mime_type == "image/jpeg" and base64.b64decode(blob.blob) == image_bytes
        [doc] = await client.read_resource(f"conversation://{data['conversation_id']}")
        assert doc.mime_type == "application/json"
        saved = json.loads(doc.text)
        assert saved["id"] == data["conversation_id"] and saved["images"][0]["path"] == data["path"]
        assert saved["images"][0]["usage"]["image"]["output_tokens"] > 0

        for bad in ("conversation://..%2F..%2Fetc%2Fpasswd", "conversation://nope"):
            with pytest.raises(Exception, match="conv_0123456789abcdef|not found"):
                await client.read_resource(bad)
        with pytest.raises(Exception, match="No saved image"):
            await client.read_resource("image://img_0000000000000000")


async def test_result_stays_small_even_for_a_4k_image(server_env, fake_openai):
    env = {**server_env, "OPENAI_IMAGE_MODEL": "gpt-image-2"}
    async with stdio_client(env) as client:
        raw = await client.call_tool_mcp("openai_generate_image", {"prompt": "A panorama", "size": "3840x2160"})
    assert not raw.is_error
    size = len(raw.model_dump_json(by_alias=True).encode())
    assert size < 256 * 1024, size
    preview = next(block for block in raw.content if block.type == "image")
    assert max(Image.open(io.BytesIO(base64.b64decode(preview.data))).size) == 512


async def test_complexity_is_sent_kept_for_a_refinement_shown_in_a_dry_run_and_checked(server_env, fake_openai):
    async with stdio_client(server_env) as client:
        made = await call_tool(client, "openai_generate_image", {"prompt": "A fox mascot", "complexity": "high"})
        assert not made.is_error, result_text(made)
        refined = await call_tool(
            client, "openai_conversational_image", {"prompt": "Add a hat", "conversation_id": made.structured_content["conversation_id"]}
        )
        dry = await call_tool(client, "openai_generate_image", {"prompt": "A fox mascot", "complexity": "low", "dry_run": True})
        wrong = await call_tool(client, "openai_generate_image", {"prompt": "A fox mascot", "complexity": "extreme"})
    assert not refined.is_error, result_text(refined)
    first, second = fake_openai.response_requests()
    assert first["tools"][0]["complexity"] == "high" and second["tools"][0]["complexity"] == "high"
    assert dry.structured_content["request"]["tools"][0]["complexity"] == "low"
    assert wrong.is_error and "complexity" in result_text(wrong) and "'low', 'medium' or 'high'" in result_text(wrong)


async def test_an_animated_gif_is_saved_as_received_with_its_frames_and_previewed_by_its_first(server_env, fake_openai):
    async with stdio_client(server_env) as client:
        made = await call_tool(
            client,
            "openai_generate_image",
            {"prompt": "A waving cat sticker", "output_format": "gif", "frame_count": 5, "frame_duration_ms": 120},
        )
        streamed = await call_tool(client, "openai_generate_image", {"prompt": "A cat", "output_format": "gif", "partial_images": 2})
        masked = await call_tool(
            client,
            "openai_conversational_image",
            {
                "prompt": "Wave",
                "conversation_id": made.structured_content["conversation_id"],
                "output_format": "gif",
                "mask_path": "/tmp/m.png",
            },
        )
        framed = await call_tool(client, "openai_generate_image", {"prompt": "A cat", "frame_count": 5})
    assert not made.is_error, result_text(made)
    path = Path(made.structured_content["path"])
    assert path.suffix == ".gif" and made.structured_content["format"] == "gif"
    with Image.open(path) as saved:
        assert saved.format == "GIF" and saved.n_frames == 5
    tool = fake_openai.response_requests()[0]["tools"][0]
    assert (tool["output_format"], tool["frame_count"], tool["frame_duration_ms"]) == ("gif", 5, 120)
    assert "Animated GIF: 5 frame(s), 120 ms each" in result_text(made)
    [preview] = [block for block in made.content if block.type == "image"]
    with Image.open(io.BytesIO(base64.b64decode(preview.data))) as still:
        assert still.format == "JPEG", "a still of the first frame"
    assert streamed.is_error and "cannot stream partial images" in result_text(streamed)
    assert masked.is_error and "cannot be made with a mask" in result_text(masked)
    assert framed.is_error and "set output_format to gif" in result_text(framed)
    assert len(fake_openai.response_requests()) == 1, "every refusal came before a request"


async def test_a_400_on_the_image_tools_own_background_leaves_the_next_render_a_background_response(server_env, fake_openai):
    fake_openai.fail_next(400, "invalid_value", "Transparent backgrounds are not supported for this model.", param="tools[0].background")
    async with stdio_client(server_env) as client:
        refused = await call_tool(client, "openai_generate_image", {"prompt": "A fox sticker", "background": "transparent"})
        made = await call_tool(client, "openai_generate_image", {"prompt": "A fox sticker"})
    assert refused.is_error and "Transparent backgrounds are not supported" in result_text(refused)
    assert not made.is_error, result_text(made)
    first, second = fake_openai.requests[0].json, fake_openai.response_requests()[-1]
    assert first["tools"][0]["background"] == "transparent"
    assert second["background"] is True and second["store"] is True, "the endpoint was not taken to refuse background mode"
