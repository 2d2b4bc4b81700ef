"""Nothing private leaves unasked: image metadata stays home, and credentials never show in results, logs or errors."""

from __future__ import annotations

import base64
import io
import os

import pytest
from conftest import call_tool, result_text, stdio_client
from PIL import Image

pytestmark = pytest.mark.integration

GPS_PLACE = "Baker Street 221b"
TRAILER = b"TRAILING-SECRET-0xC0FFEE"


def _photo_with_metadata(path, fmt="JPEG"):
    """A phone-like photo: EXIF with a place and a rotation, and private bytes appended after the image."""
    picture = Image.frombytes("RGB", (240, 160), os.urandom(240 * 160 * 3))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: the camera was held upright
    exif[0x010E] = GPS_PLACE  # ImageDescription, as a stand-in for the GPS block
    buffer = io.BytesIO()
    picture.save(buffer, fmt, exif=exif)
    path.write_bytes(buffer.getvalue() + TRAILER)
    return path


def _sent_images(fake) -> list[bytes]:
    parts = fake.response_requests()[-1]["input"][0]["content"][1:]
    return [base64.b64decode(part["image_url"].split(",", 1)[1]) for part in parts]


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
async def test_input_images_leave_without_metadata_or_trailing_bytes(server_env, fake_openai, tmp_path, fmt):
    photo = _photo_with_metadata(tmp_path / f"photo.{fmt.lower()}", fmt)
    reference = _photo_with_metadata(tmp_path / f"ref.{fmt.lower()}", fmt)
    fake_openai.watch(TRAILER, GPS_PLACE)
    async with stdio_client(server_env) as client:
        result = await call_tool(
            client,
            "openai_conversational_image",
            {
                "prompt": "Make it a watercolour",
                "input_image_path": str(photo),
                "reference_image_paths": [str(reference)],
            },
        )
    assert not result.is_error, result_text(result)
    fake_openai.assert_no_leaks()
    for sent in _sent_images(fake_openai):
        with Image.open(io.BytesIO(sent)) as image:
            assert image.format == fmt and not image.getexif()
            assert image.size == (160, 240)  # the rotation was applied to the pixels before the tag was dropped


async def test_keep_metadata_sends_the_original_bytes(server_env, fake_openai, tmp_path):
    photo = _photo_with_metadata(tmp_path / "photo.jpg")
    fake_openai.watch(TRAILER)
    async with stdio_client({**server_env, "OPENAI_IMAGES_KEEP_METADATA": "true"}) as client:
        result = await call_tool(client, "openai_conversational_image", {"prompt": "Watercolour", "input_image_path": str(photo)})
    assert not result.is_error, result_text(result)
    assert _sent_images(fake_openai) == [photo.read_bytes()]
    assert fake_openai.leaks  # the watch sees what it is asked to see


async def test_a_multi_picture_jpeg_is_accepted_as_its_first_picture(server_env, fake_openai, tmp_path):
    left, right = Image.new("RGB", (96, 64), (250, 0, 0)), Image.new("RGB", (96, 64), (0, 0, 250))
    mpo = tmp_path / "stereo.jpg"
    left.save(mpo, "MPO", save_all=True, append_images=[right])
    async with stdio_client(server_env) as client:
        result = await call_tool(client, "openai_conversational_image", {"prompt": "Watercolour", "input_image_path": str(mpo)})
    assert not result.is_error, result_text(result)
    [sent] = _sent_images(fake_openai)
    with Image.open(io.BytesIO(sent)) as image:
        assert image.format == "JPEG" and getattr(image, "n_frames", 1) == 1
        red, _green, blue = image.convert("RGB").getpixel((10, 10))
        assert red > 200 and blue < 50


async def test_proxy_credentials_never_show_in_results_logs_or_errors(server_env, fake_openai, tmp_path):
    password = "hunter2-proxy-pass"
    base = fake_openai.base_url.replace("http://", f"http://proxyuser:{password}@")
    log = tmp_path / "server.log"
    async with stdio_client({**server_env, "OPENAI_BASE_URL": base}, log_file=log) as client:
        dry = await call_tool(client, "openai_generate_image", {"prompt": "A fox", "dry_run": True})
        sent = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})  # httpx logs the URL it posts to
    unreachable = {**server_env, "OPENAI_BASE_URL": f"http://proxyuser:{password}@127.0.0.1:9/v1", "OPENAI_IMAGES_MAX_RETRIES": "0"}
    async with stdio_client(unreachable, log_file=log) as client:
        failed = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
    shown = result_text(dry) + result_text(sent) + result_text(failed) + str(dry.structured_content) + log.read_text()
    assert "[redacted]" in result_text(dry) and "HTTP Request: POST http://[redacted]@127.0.0.1" in log.read_text()
    assert failed.is_error and "http://[redacted]@127.0.0.1:9/v1" in result_text(failed), result_text(failed)
    assert password not in shown


async def test_a_mask_leaves_without_its_trailing_bytes(server_env, fake_openai, tmp_path):
    photo = tmp_path / "room.png"
    Image.frombytes("RGB", (128, 96), os.urandom(128 * 96 * 3)).save(photo)
    mask = tmp_path / "mask.png"
    canvas = Image.new("RGBA", (128, 96), (0, 0, 0, 255))
    canvas.paste((0, 0, 0, 0), (32, 32, 96, 64))
    canvas.save(mask)
    with open(mask, "ab") as handle:
        handle.write(TRAILER)
    fake_openai.watch(TRAILER)
    async with stdio_client(server_env) as client:
        result = await call_tool(
            client, "openai_conversational_image", {"prompt": "A sofa here", "input_image_path": str(photo), "mask_path": str(mask)}
        )
    assert not result.is_error, result_text(result)
    fake_openai.assert_no_leaks()
    sent_mask = fake_openai.response_requests()[-1]["tools"][0]["input_image_mask"]["image_url"]
    with Image.open(io.BytesIO(base64.b64decode(sent_mask.split(",", 1)[1]))) as image:
        assert image.mode == "RGBA" and image.getpixel((40, 40))[3] == 0 and image.getpixel((5, 5))[3] == 255
