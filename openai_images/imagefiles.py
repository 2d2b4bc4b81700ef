"""Image bytes on this machine: reading the user's images, saving OpenAI's, making previews.

Everything here is blocking (Pillow, disk) and is called through
`asyncio.to_thread` by the server. Pillow is imported on first use so the
server starts without paying for it.
"""

from __future__ import annotations

import base64
import binascii
import errno
import io
import itertools
import os
import re
import secrets
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from openai_images import safefiles, svgfiles
from openai_images.errors import InvalidInput, OpenAIError, StorageError
from openai_images.safefiles import read_regular_file

MAX_INPUT_BYTES = 50 * 1024 * 1024  # OpenAI's limit for one input image
MAX_INPUT_PIXELS = 64_000_000  # far above any real photo; stops decompression bombs early
INPUT_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
SHOWN_FORMATS = {**INPUT_FORMATS, "GIF": "image/gif"}  # a saved image read back to show it, not to send it
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif", "SVG": "svg"}
SVG_MIME = "image/svg+xml"
SVG_SENT_EDGE = 1536  # an SVG sent back to OpenAI as an input goes as a PNG drawing this big on its longer edge

SAVED_NAME = re.compile(r"openai_image_\d{8}_\d{6}_[0-9a-f]{8}\.[a-z0-9]{2,5}")  # how save_image names files
_EXIF_ORIENTATION = 0x0112

PREVIEW_EDGE = 512  # longest edge of the inline preview
PREVIEW_MAX_BASE64 = 200 * 1024  # Claude Desktop rejects tool results over 1 MB; stay far below


@dataclass(frozen=True, kw_only=True)
class InputImage:
    """A local image that decoded cleanly and may be sent to OpenAI."""

    path: Path | str  # a local file, or the object-store location decode_image was told
    data: bytes
    mime_type: str
    width: int
    height: int

    def data_url(self) -> str:
        return f"data:{self.mime_type};base64,{base64.b64encode(self.data).decode('ascii')}"


@dataclass(frozen=True, kw_only=True)
class CheckedImage:
    """OpenAI's image, decoded and found readable; not on disk yet."""

    data: bytes = field(repr=False)
    format: str  # png, jpeg, webp, gif or svg
    width: int
    height: int
    decoded: Any = field(repr=False, compare=False)  # the decoded Pillow image, for make_preview; an SVG's Sanitised

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.format.upper(), self.format)

    @property
    def vector(self) -> svgfiles.Sanitised | None:
        """The sanitised document of an SVG (what was removed, its viewBox); None for a raster image."""
        return self.decoded if isinstance(self.decoded, svgfiles.Sanitised) else None


@dataclass(frozen=True, kw_only=True)
class SavedImage:
    """A stored image: `location` is a file path, or s3://bucket/key in an object store."""

    location: str
    format: str
    width: int
    height: int
    byte_size: int
    url: str | None = None  # a time-limited HTTPS link to the image, where the backend gives one
    preview_url: str | None = None

    @property
    def path(self) -> Path:
        return Path(self.location)

    @property
    def in_bucket(self) -> bool:
        return self.location.startswith("s3://")

    @property
    def name(self) -> str:
        return self.location.rsplit("/", 1)[-1] if self.in_bucket else self.path.name

    @property
    def uri(self) -> str:
        return self.location if self.in_bucket else self.path.as_uri()


def _pil():
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_INPUT_PIXELS
    return Image


def read_input_image(
    raw_path: str, what: str = "input_image_path", allowed_dirs: Sequence[Path] = (), *, keep_metadata: bool = False
) -> InputImage:
    """Read and decode a PNG/JPEG/WebP the user named; InvalidInput says exactly what is wrong.

    With `allowed_dirs`, the file (after following symlinks) must lie inside one of them. What is
    sent is the decoded picture encoded again, without EXIF, GPS or anything appended after the
    image, unless `keep_metadata` asks for the file's own bytes.
    """
    if not isinstance(raw_path, str) or not raw_path.strip():
        raise InvalidInput(f"{what} is empty: give the full path of a PNG, JPEG or WebP file.")
    if "\x00" in raw_path:
        raise InvalidInput(f"{what} contains a NUL character; give a plain file path.")
    path = Path(raw_path.strip()).expanduser()
    if not path.is_absolute():
        raise InvalidInput(
            f"{what} {raw_path[:200]!r} is a relative path; the server cannot know your working folder. "
            "Give the absolute path (for example /Users/me/Pictures/cat.png or ~/Pictures/cat.png)."
        )
    _check_allowed(path.resolve(), shown=path, what=what, allowed_dirs=allowed_dirs)
    return _read_image(path, what, keep_metadata=keep_metadata)


def read_saved_image(
    raw_path: str,
    what: str,
    *,
    output_dir: Path,
    allowed_dirs: Sequence[Path] = (),
    keep_metadata: bool = False,
    formats: Mapping[str, str] = INPUT_FORMATS,
) -> InputImage:
    """Read back an image this server saved, from a path in a conversation file; InvalidInput if it is not one.

    A conversation file is not proof of anything (another program may have edited it), so the
    path must lead, after following symlinks, to a regular file in the output folder named the
    way this server names images, inside OPENAI_IMAGES_ALLOWED_DIRS when that is set, and the
    file must decode as an image. Nothing else is ever read through a saved path.
    """
    if not isinstance(raw_path, str) or not raw_path or "\x00" in raw_path or not Path(raw_path).is_absolute():
        raise InvalidInput(f"{what}: the saved path {str(raw_path)[:200]!r} is not an absolute file path; nothing was read.")
    path = Path(raw_path)
    real = path.resolve()
    folder = output_dir.resolve()
    if not real.is_relative_to(folder):
        raise InvalidInput(
            f"{what}: the saved path {str(path)[:300]} is outside the output folder {folder} (OPENAI_IMAGES_OUTPUT_DIR), "
            "so it is not read: only images this server saved there are read back. Pass the file as input_image_path instead."
        )
    if not SAVED_NAME.fullmatch(real.name):
        raise InvalidInput(
            f"{what}: {real.name[:120]} is not named like an image this server saved (openai_image_YYYYMMDD_HHMMSS_XXXXXXXX.png), "
            "so it is not read. Pass the file as input_image_path instead."
        )
    _check_allowed(real, shown=path, what=what, allowed_dirs=allowed_dirs)
    return _read_image(real, what, keep_metadata=keep_metadata, formats=formats, vector=True)


def read_mask(
    raw_path: str, *, width: int, height: int, edited: str, allowed_dirs: Sequence[Path] = (), keep_metadata: bool = False
) -> InputImage:
    """Read an inpainting mask: a PNG with an alpha channel, the size of the image being edited.

    Transparent pixels mark the area to change; InvalidInput says what is wrong.
    """
    mask = read_input_image(raw_path, "mask_path", allowed_dirs, keep_metadata=keep_metadata)
    if mask.mime_type != "image/png":
        raise InvalidInput(f"mask_path: {mask.path} must be a PNG with an alpha channel (transparent = the area to change).")
    Image = _pil()
    with Image.open(io.BytesIO(mask.data)) as image:
        has_alpha = "A" in image.getbands() or "transparency" in image.info
    if not has_alpha:
        raise InvalidInput(
            f"mask_path: {mask.path} has no alpha channel. Make the area to change transparent (alpha 0) "
            "and save it as a PNG with transparency."
        )
    if (mask.width, mask.height) != (width, height):
        raise InvalidInput(
            f"mask_path: the mask is {mask.width}x{mask.height} but {edited} is {width}x{height}; they must be the same size."
        )
    return mask


def read_markup(raw_path: str, *, width: int, height: int, edited: str, allowed_dirs: Sequence[Path] = ()) -> InputImage:
    """Read a markup for images.edit: a PNG with transparent pixels, `width` x `height` (the edited image, upright).

    Always encoded again (no metadata, an EXIF orientation applied), so the size checked is the size sent.
    """
    return check_markup(read_input_image(raw_path, "markup_path", allowed_dirs), width=width, height=height, edited=edited)


def check_markup(markup: InputImage, *, width: int, height: int, edited: str, what: str = "markup_path") -> InputImage:
    """`markup` if it is a PNG the size of the edited image with some fully transparent pixel, else InvalidInput saying what to fix."""
    if markup.mime_type != "image/png":
        raise InvalidInput(
            f"{what}: {markup.path} is {markup.mime_type.removeprefix('image/').upper()}; a markup must be a PNG with transparency "
            "(transparent where the image should show through, opaque where you drew)."
        )
    if (markup.width, markup.height) != (width, height):
        raise InvalidInput(
            f"{what}: the markup is {markup.width}x{markup.height} but {edited} is {width}x{height} (as shown, after its EXIF "
            f"orientation); they must be the same size. Draw the markup on a transparent {width}x{height} canvas."
        )
    Image = _pil()
    with Image.open(io.BytesIO(markup.data)) as image:
        lowest = image.convert("RGBA").getchannel("A").getextrema()[0]
    if lowest > 0:  # "contain transparent pixels": see-through ones, not merely faint
        raise InvalidInput(
            f"{what}: {markup.path} has no fully transparent pixels, so it would cover the whole image. A markup is a PNG that "
            "is transparent (alpha 0) except for what you drew on it; save it with transparency."
        )
    return markup


def upright_size(data: bytes) -> tuple[int, int]:
    """An encoded image's (width, height) as shown: swapped when its EXIF orientation turns it (what ImageOps.exif_transpose does)."""
    Image = _pil()
    with Image.open(io.BytesIO(data)) as image:
        turned = image.getexif().get(_EXIF_ORIENTATION, 1) in (5, 6, 7, 8)  # the transposes and quarter turns
        return (image.height, image.width) if turned else (image.width, image.height)


def _check_allowed(real: Path, *, shown: Path, what: str, allowed_dirs: Sequence[Path]) -> None:
    if allowed_dirs and not any(real.is_relative_to(folder) for folder in allowed_dirs):
        raise InvalidInput(
            f"{what}: {shown} is outside the folders this server may read "
            f"(OPENAI_IMAGES_ALLOWED_DIRS: {os.pathsep.join(str(f) for f in allowed_dirs)}). "
            "Move the file into one of them, or add its folder to that setting."
        )


def _read_image(
    path: Path, what: str, *, keep_metadata: bool, formats: Mapping[str, str] = INPUT_FORMATS, vector: bool = False
) -> InputImage:
    """Read without blocking (a FIFO never hangs the call) a regular file of a sane size, and decode it."""
    try:
        data = read_regular_file(path, MAX_INPUT_BYTES, follow_links=True)
    except FileNotFoundError:
        raise InvalidInput(f"{what}: no file at {path}.") from None
    except IsADirectoryError:
        raise InvalidInput(f"{what}: {path} is a folder; name an image file inside it.") from None
    except OSError as exc:
        if exc.errno == errno.EINVAL:
            raise InvalidInput(f"{what}: {path} is not a regular file (PNG, JPEG or WebP expected).") from None
        if exc.errno == errno.EFBIG:
            raise InvalidInput(
                f"{what}: {path}: {exc.strerror}; OpenAI accepts images up to 50 MB. Resize or re-export it smaller."
            ) from None
        raise InvalidInput(f"{what}: cannot read {path} ({exc.strerror or exc}).") from None
    if not data:
        raise InvalidInput(f"{what}: {path} is empty (0 bytes).")
    return _decode(data, path, what, keep_metadata=keep_metadata, formats=formats, vector=vector)


def decode_image(
    data: bytes, shown: str, what: str, *, keep_metadata: bool, formats: Mapping[str, str] = INPUT_FORMATS, vector: bool = False
) -> InputImage:
    """An image's bytes read from elsewhere (an object store), decoded with the same checks as a file; `shown` names it in messages."""
    if not data:
        raise InvalidInput(f"{what}: {shown} is empty (0 bytes).")
    return _decode(data, shown, what, keep_metadata=keep_metadata, formats=formats, vector=vector)


def _decode(
    data: bytes, path: Path | str, what: str, *, keep_metadata: bool, formats: Mapping[str, str] = INPUT_FORMATS, vector: bool = False
) -> InputImage:
    """Decode fully (a damaged file or a decompression bomb is refused) and, unless asked not to, encode the picture again.

    `formats` are the ones allowed: INPUT_FORMATS for an image to send; SHOWN_FORMATS (with GIF, kept as it is) to show one
    again. With `vector` (an image this server saved), an SVG is accepted too: parsed and sanitised again, never trusted as
    it lies.
    """
    if vector and svgfiles.looks_like_svg(data):
        try:
            svg = svgfiles.sanitise(data)
        except svgfiles.NotSvg as exc:
            raise InvalidInput(f"{what}: {path} is not a usable SVG file ({exc}).") from None
        return InputImage(path=path, data=svg.data, mime_type=SVG_MIME, width=svg.width, height=svg.height)
    Image = _pil()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                fmt = "JPEG" if image.format == "MPO" else image.format or "unknown"  # MPO: a JPEG with more pictures after it
                if fmt not in formats:
                    raise InvalidInput(f"{what}: {path} is a {fmt} image; OpenAI accepts PNG, JPEG or WebP. Convert it first.")
                image.load()  # the first picture of a multi-picture file
                if keep_metadata or fmt not in INPUT_FORMATS:  # an animation is shown as it was saved, every frame
                    return InputImage(path=path, data=data, mime_type=formats[fmt], width=image.width, height=image.height)
                clean, width, height = _encode_clean(image, fmt)
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(f"{what}: {path} has too many pixels (limit {MAX_INPUT_PIXELS:,}); resize it first.") from None
    except Exception:  # Pillow raises many types for bad data; all mean "not an image"
        raise InvalidInput(f"{what}: {path} is not a readable PNG, JPEG or WebP image (it may be damaged).") from None
    return InputImage(path=path, data=clean, mime_type=INPUT_FORMATS[fmt], width=width, height=height)


def _encode_clean(image, fmt: str) -> tuple[bytes, int, int]:
    """The decoded picture in its own format, with its colour profile but no EXIF, GPS, text chunks or trailing data.

    A JPEG keeps its quantisation tables (quality "keep"), so encoding again loses next to nothing;
    an EXIF orientation is applied to the pixels first, since the tag that carried it is dropped.
    """
    from PIL import ImageOps

    icc = image.info.get("icc_profile")
    orientation = image.getexif().get(_EXIF_ORIENTATION, 1)
    upright = ImageOps.exif_transpose(image) if orientation not in (0, 1) else image
    buffer = io.BytesIO()
    extra = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        quality = "keep" if upright is image else 95
        try:
            upright.save(buffer, "JPEG", quality=quality, **extra)
        except ValueError:  # "keep" needs the original JPEG's tables
            buffer = io.BytesIO()
            upright.save(buffer, "JPEG", quality=95, **extra)
    elif fmt == "WEBP":
        upright.save(buffer, "WEBP", quality=95, method=4, **extra)
    else:
        upright.save(buffer, "PNG", **extra)
    return buffer.getvalue(), upright.width, upright.height


B64_SLICE = 256 * 1024  # characters decoded at a time (a multiple of 4)


def decode_result(b64: str) -> bytes:
    """The image bytes from OpenAI's base64 `result`; OpenAIError when it is not base64.

    Decoded a slice at a time: one call over 2 MB holds the interpreter lock for about 5 ms, and
    eight images finishing together would keep the event loop from answering for tens of ms.
    """
    try:
        if b64.find("=", 0, max(len(b64) - 2, 0)) != -1:  # padding anywhere but at the very end
            raise ValueError("padding inside the data")
        return b"".join(base64.b64decode(b64[i : i + B64_SLICE], validate=True) for i in range(0, len(b64), B64_SLICE))
    except (binascii.Error, ValueError):
        raise OpenAIError("OpenAI returned image data that is not valid base64; nothing was saved. Try again.") from None


def image_file_name(extension: str, when: datetime | None = None) -> str:
    """openai_image_YYYYMMDD_HHMMSS_XXXXXXXX.<ext>, with 8 random hex digits."""
    return f"{image_file_stem(when)}.{extension}"


def image_file_stem(when: datetime | None = None) -> str:
    """openai_image_YYYYMMDD_HHMMSS_XXXXXXXX: a saved image's name without its extension."""
    stamp = (when or datetime.now()).strftime("%Y%m%d_%H%M%S")
    return f"openai_image_{stamp}_{secrets.token_hex(4)}"


def check_image(b64: str) -> CheckedImage:
    """Decode OpenAI's base64 image fully, so a damaged one is refused before anything is written.

    An SVG is parsed and sanitised instead: what is saved and shown is the sanitised document.
    """
    data = decode_result(b64)
    if svgfiles.looks_like_svg(data):
        try:
            svg = svgfiles.sanitise(data)
        except svgfiles.NotSvg as exc:
            raise OpenAIError(f"OpenAI returned an SVG that cannot be used: {exc}; nothing was saved. Try again.") from None
        return CheckedImage(data=svg.data, format="svg", width=svg.width, height=svg.height, decoded=svg)
    Image = _pil()
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception:
        raise OpenAIError("OpenAI returned bytes that are not a readable image; nothing was saved. Try again.") from None
    width, height = image.size
    return CheckedImage(data=data, format=(image.format or "PNG").lower(), width=width, height=height, decoded=image)


def save_image(image: CheckedImage, folder: Path, *, stem: str | None = None) -> SavedImage:
    """Write the checked image's bytes unchanged under a new name in `folder`.

    The file appears whole or not at all: it is written to a temporary name in
    the same folder and linked into place, which also refuses to overwrite.
    `stem` (openai_image_YYYYMMDD_HHMMSS_XXXXXXXX, fixed when a render began) names
    the file; when a file of that name already holds these very bytes (another
    process collected the same render), that file is the saved image.
    """
    if stem is not None and SAVED_NAME.fullmatch(f"{stem}.{image.extension}"):
        existing = folder / f"{stem}.{image.extension}"
        if _holds(existing, image.data):
            return SavedImage(
                location=str(existing), format=image.format, width=image.width, height=image.height, byte_size=len(image.data)
            )
    else:
        stem = None
    path = _write_new_file(folder, image.extension, image.data, stem=stem)
    if path.stat().st_size != len(image.data):
        path.unlink(missing_ok=True)
        raise StorageError(f"The image written to {path} came out the wrong size; it was removed. Check free disk space.")
    return SavedImage(location=str(path), format=image.format, width=image.width, height=image.height, byte_size=len(image.data))


def _holds(path: Path, data: bytes) -> bool:
    """True when `path` is a regular file (not a link) whose bytes are `data`."""
    try:
        return read_regular_file(path, len(data) + 1, follow_links=False) == data
    except OSError:
        return False


def _write_new_file(folder: Path, extension: str, data: bytes, *, stem: str | None = None) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"Cannot create the output folder {folder} ({exc.strerror or exc}). Set OPENAI_IMAGES_OUTPUT_DIR to a writable folder."
        ) from None
    tmp = folder / f".openai_image_{secrets.token_hex(8)}.tmp"
    try:
        fd = os.open(tmp, safefiles.NEW_FILE_FLAGS, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        names = itertools.chain([f"{stem}.{extension}"] if stem else [], (image_file_name(extension) for _ in range(5)))
        for name in names:
            path = folder / name
            if _place(tmp, path):
                return path
        raise StorageError(f"Could not find a free file name in {folder}.")
    except OSError as exc:
        raise StorageError(
            f"Could not write the image to {folder} ({exc.strerror or exc}); nothing was saved, though OpenAI made it. "
            "Check free disk space and permissions, or set OPENAI_IMAGES_OUTPUT_DIR to another folder."
        ) from None
    finally:
        tmp.unlink(missing_ok=True)


def _place(tmp: Path, path: Path) -> bool:
    """Move tmp to path unless path exists; False when the name is taken."""
    try:
        os.link(tmp, path)  # atomic and never overwrites
        return True
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in safefiles.NO_HARD_LINKS:
            raise
    # File systems without hard links (FAT, some network shares): check, then rename.
    if path.exists():
        return False
    safefiles.replace_file(tmp, path)
    return True


def preview_of(data: bytes) -> tuple[bytes, str]:
    """The preview of an encoded image (a saved file shown again); an SVG is sanitised again and drawn."""
    if svgfiles.looks_like_svg(data):
        return _drawing_preview(svgfiles.sanitise(data))
    Image = _pil()
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return make_preview(image)


CONTACT_CELL = 384  # each variation's tile on the contact sheet: two columns stay within PREVIEW_EDGE * 1.5


def contact_sheet(previews: list[tuple[int, bytes]]) -> tuple[bytes, str]:
    """One JPEG of several previews side by side, each labelled with its number, under PREVIEW_MAX_BASE64 as a preview is.

    `previews` are (number, preview JPEG bytes); two columns, as many rows as needed.
    """
    Image = _pil()
    from PIL import ImageDraw, ImageFont

    columns = 1 if len(previews) == 1 else 2
    rows = (len(previews) + columns - 1) // columns
    gap = 8
    sheet = Image.new("RGB", (columns * CONTACT_CELL + (columns + 1) * gap, rows * CONTACT_CELL + (rows + 1) * gap), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=40)
    for index, (number, data) in enumerate(previews):
        with Image.open(io.BytesIO(data)) as tile:
            tile = tile.convert("RGB")
            tile.thumbnail((CONTACT_CELL, CONTACT_CELL), reducing_gap=1.0)
            left = gap + (index % columns) * (CONTACT_CELL + gap) + (CONTACT_CELL - tile.width) // 2
            top = gap + (index // columns) * (CONTACT_CELL + gap) + (CONTACT_CELL - tile.height) // 2
            sheet.paste(tile, (left, top))
        badge = (left + 8, top + 8, left + 64, top + 64)
        draw.ellipse(badge, fill="black", outline="white", width=3)
        draw.text(((badge[0] + badge[2]) / 2, (badge[1] + badge[3]) / 2), str(number), fill="white", font=font, anchor="mm")
    return _jpeg_under_cap(sheet)


def preview_of_checked(image: CheckedImage) -> tuple[bytes, str]:
    """The preview of an image that just arrived: an SVG drawn by a real renderer, a raster shrunk."""
    return _drawing_preview(image.vector) if image.vector is not None else make_preview(image.decoded)


def _drawing_preview(svg: svgfiles.Sanitised) -> tuple[bytes, str]:
    return make_preview(svgfiles.draw(svg, side=PREVIEW_EDGE))


def rasterised(image: InputImage) -> InputImage:
    """`image` as OpenAI takes an input: an SVG becomes a PNG drawing of it (inputs cannot be SVG); others are unchanged."""
    if image.mime_type != SVG_MIME:
        return image
    svg = svgfiles.sanitise(image.data)
    drawn = svgfiles.draw(svg, side=min(SVG_SENT_EDGE, max(svg.width, svg.height)))
    buffer = io.BytesIO()
    drawn.save(buffer, "PNG")
    return InputImage(path=image.path, data=buffer.getvalue(), mime_type="image/png", width=drawn.width, height=drawn.height)


def make_preview(image) -> tuple[bytes, str]:
    """A JPEG of at most PREVIEW_EDGE px whose base64 stays under PREVIEW_MAX_BASE64.

    Shrinks `image` in place: a copy of a 3840x2160 image would cost 33 MB for nothing.
    """
    Image = _pil()
    preview = image
    # reducing_gap=1.0 box-averages by the whole factor before the bicubic step: at 1024 -> 512 that
    # is 1 ms instead of 10 (the default does the full bicubic), and a 512 px preview looks the same.
    preview.thumbnail((PREVIEW_EDGE, PREVIEW_EDGE), reducing_gap=1.0)
    if preview.mode in ("RGBA", "LA", "P"):
        rgba = preview.convert("RGBA")
        preview = Image.new("RGB", rgba.size, "white")
        preview.paste(rgba, mask=rgba.getchannel("A"))
    elif preview.mode != "RGB":
        preview = preview.convert("RGB")
    return _jpeg_under_cap(preview)


def _jpeg_under_cap(picture) -> tuple[bytes, str]:
    """An RGB picture as JPEG at the best quality whose base64 stays under PREVIEW_MAX_BASE64."""
    for quality in (85, 70, 55, 40, 25):
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=quality, optimize=True)
        if len(buffer.getvalue()) * 4 / 3 < PREVIEW_MAX_BASE64:
            break
    return buffer.getvalue(), "image/jpeg"
