"""Reading the user's images, saving OpenAI's unchanged, and the inline preview."""

from __future__ import annotations

import base64
import io
import os
import re

import pytest
from conftest import image_bytes
from PIL import Image

from openai_images import imagefiles
from openai_images.errors import InvalidInput, OpenAIError, StorageError

NAME = re.compile(r"^openai_image_\d{8}_\d{6}_[0-9a-f]{8}\.(png|jpg|webp)$")


def _save(b64: str, folder):
    """What the server does with OpenAI's answer: check the image, then write it."""
    return imagefiles.save_image(imagefiles.check_image(b64), folder)


def _preview(data: bytes) -> bytes:
    return imagefiles.make_preview(imagefiles.check_image(base64.b64encode(data).decode()).decoded)[0]


def _noisy_png(size) -> bytes:
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt, mime", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")])
def test_reads_png_jpeg_and_webp(tmp_path, fmt, mime):
    path = tmp_path / f"in.{fmt.lower()}"
    path.write_bytes(image_bytes(fmt=fmt))
    image = imagefiles.read_input_image(str(path))
    assert (image.mime_type, image.width, image.height) == (mime, 64, 48)
    with Image.open(io.BytesIO(image.data)) as sent:  # the picture, encoded again in its own format
        assert (sent.format, sent.size) == (fmt, (64, 48))
    assert image.data_url().startswith(f"data:{mime};base64,")
    assert base64.b64decode(image.data_url().split(",", 1)[1]) == image.data
    assert imagefiles.read_input_image(str(path), keep_metadata=True).data == path.read_bytes()


def test_expands_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "cat.png").write_bytes(image_bytes())
    assert imagefiles.read_input_image("~/cat.png").path == tmp_path / "cat.png"


def test_refuses_missing_folder_empty_relative_and_fifo(tmp_path):
    with pytest.raises(InvalidInput, match="no file at"):
        imagefiles.read_input_image(str(tmp_path / "nope.png"))
    with pytest.raises(InvalidInput, match="is a folder"):
        imagefiles.read_input_image(str(tmp_path))
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(InvalidInput, match="empty"):
        imagefiles.read_input_image(str(tmp_path / "empty.png"))
    with pytest.raises(InvalidInput, match="relative path"):
        imagefiles.read_input_image("pictures/cat.png")
    os.mkfifo(tmp_path / "pipe.png")
    with pytest.raises(InvalidInput, match="not a regular file"):
        imagefiles.read_input_image(str(tmp_path / "pipe.png"))


def test_refuses_a_text_file_named_png_and_a_truncated_png(tmp_path):
    fake = tmp_path / "key.png"
    fake.write_text("-----BEGIN PRIVATE KEY-----\nabc\n")
    with pytest.raises(InvalidInput, match="not a readable PNG, JPEG or WebP"):
        imagefiles.read_input_image(str(fake))
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(_noisy_png((64, 64))[:200])
    with pytest.raises(InvalidInput, match="not a readable"):
        imagefiles.read_input_image(str(truncated))


def test_refuses_gif(tmp_path):
    path = tmp_path / "anim.gif"
    path.write_bytes(image_bytes(fmt="GIF", mode="P", color=1))
    with pytest.raises(InvalidInput, match="GIF image"):
        imagefiles.read_input_image(str(path))


def test_refuses_files_over_50_mb_before_reading(tmp_path):
    big = tmp_path / "big.png"
    with open(big, "wb") as handle:
        handle.truncate(imagefiles.MAX_INPUT_BYTES + 1)
    with pytest.raises(InvalidInput, match="50 MB"):
        imagefiles.read_input_image(str(big))


def test_refuses_decompression_bombs(tmp_path, monkeypatch):
    monkeypatch.setattr(imagefiles, "MAX_INPUT_PIXELS", 10_000)
    path = tmp_path / "bomb.png"
    path.write_bytes(image_bytes((200, 200)))
    with pytest.raises(InvalidInput, match="too many pixels"):
        imagefiles.read_input_image(str(path))


def test_save_writes_the_exact_bytes_under_the_naming_pattern(tmp_path):
    data = image_bytes((1536, 1024))
    saved = _save(base64.b64encode(data).decode(), tmp_path / "out")
    assert NAME.match(saved.path.name)
    assert saved.path.read_bytes() == data
    assert (saved.width, saved.height, saved.format, saved.byte_size) == (1536, 1024, "png", len(data))
    assert [p.name for p in saved.path.parent.iterdir()] == [saved.path.name]


def test_save_uses_the_real_format_for_the_extension(tmp_path):
    saved = _save(base64.b64encode(image_bytes(fmt="JPEG")).decode(), tmp_path)
    assert saved.path.suffix == ".jpg"
    saved = _save(base64.b64encode(image_bytes(fmt="WEBP")).decode(), tmp_path)
    assert saved.path.suffix == ".webp"


def test_save_never_overwrites_an_existing_file(tmp_path, monkeypatch):
    taken = tmp_path / "openai_image_20260101_000000_aaaaaaaa.png"
    taken.write_bytes(b"keep me")
    names = iter([taken.name, "openai_image_20260101_000000_bbbbbbbb.png"])
    monkeypatch.setattr(imagefiles, "image_file_name", lambda ext: next(names))
    saved = _save(base64.b64encode(image_bytes()).decode(), tmp_path)
    assert saved.path.name.endswith("bbbbbbbb.png")
    assert taken.read_bytes() == b"keep me"


def test_invalid_base64_and_non_image_bytes_save_nothing(tmp_path):
    with pytest.raises(OpenAIError, match="not valid base64"):
        _save("!!!not-base64!!!", tmp_path)
    with pytest.raises(OpenAIError, match="not a readable image"):
        _save(base64.b64encode(b"hello").decode(), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(imagefiles.os, "fsync", full_disk)
    with pytest.raises(StorageError, match="No space left on device"):
        _save(base64.b64encode(image_bytes()).decode(), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_folder_gives_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="OPENAI_IMAGES_OUTPUT_DIR"):
        _save(base64.b64encode(image_bytes()).decode(), blocker / "sub")


@pytest.mark.parametrize("size", [(1024, 1024), (3840, 2160), (864, 1536)])
def test_preview_is_small_jpeg_even_for_noisy_large_images(size):
    checked = imagefiles.check_image(base64.b64encode(_noisy_png(size)).decode())
    data, mime = imagefiles.make_preview(checked.decoded)
    preview = Image.open(io.BytesIO(data))
    assert mime == "image/jpeg" and preview.format == "JPEG"
    assert max(preview.size) == 512
    assert len(base64.b64encode(data)) < imagefiles.PREVIEW_MAX_BASE64


def test_preview_of_transparent_image_is_flattened_on_white():
    data = image_bytes((100, 100), mode="RGBA", color=(0, 0, 0, 0))
    pixel = Image.open(io.BytesIO(_preview(data))).getpixel((50, 50))
    assert all(channel > 245 for channel in pixel)


@pytest.mark.parametrize(("size", "expected"), [((1024, 1024), (512, 512)), ((1536, 1024), (512, 341)), ((3840, 2160), (512, 288))])
def test_preview_keeps_the_picture_and_its_aspect(size, expected):
    image = Image.new("RGB", size, (220, 20, 20))
    image.paste((20, 20, 220), (size[0] // 2, 0, size[0], size[1]))  # right half blue
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    preview = Image.open(io.BytesIO(_preview(buffer.getvalue()))).convert("RGB")
    assert preview.size == expected
    left, right = preview.getpixel((expected[0] // 8, expected[1] // 2)), preview.getpixel((expected[0] * 7 // 8, expected[1] // 2))
    assert all(abs(a - b) < 12 for a, b in zip(left, (220, 20, 20))), left
    assert all(abs(a - b) < 12 for a, b in zip(right, (20, 20, 220))), right
