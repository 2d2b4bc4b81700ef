"""A fake OpenAI HTTP server for tests: Responses API with the image_generation tool, plus Files and the model list.

Tests start it on 127.0.0.1 (random port) and point the real ``openai`` SDK at ``base_url``.
It renders real images with Pillow, streams the same SSE event sequence as the real API,
stores responses for ``previous_response_id``, and can inject errors and odd outcomes on demand
(``fail_next``, ``queue_outcome``, ``expire_responses``, ``latency``).
Background responses (``"background": true``) run on their own clock in a daemon thread per response,
independent of any HTTP connection: queued, then in progress, then done after ``render_seconds``. They can be
streamed as they happen, retrieved (``GET /v1/responses/{id}``, also as a stream with ``starting_after``) and
cancelled (``POST /v1/responses/{id}/cancel``); ``drop_stream_after``, ``refuse_background`` and
``answer_streams_with_json`` break the connection, the deployment or the framing on purpose, and
``background_responses``, ``generations`` and ``wait_background`` tell a test what ran. A ``previous_response_id``
naming a background response that is still queued or in progress is refused (400): nothing can continue from it yet.
It can also watch for secrets (``watch``, ``leaks``, ``assert_no_leaks``): every request it receives from then
on, answered or refused, is searched for the watched values in its request line, headers and body, and inside
every payload the body carries (JSON strings, base64 data URLs and other base64 strings, multipart parts, gzip or
deflate bodies), so a test can show that a secret never left the machine.
Final images are flat-colour drawings (about 22 KB as PNG at 1024x1024) unless ``photo_like`` is set: then every
final image is a photo-like picture (grain over smooth random shapes, about 1.6 MB as PNG at 1024x1024, in
proportion at other sizes), as heavy to decode, preview and stream as a real one (``render_photo``).

Run ``python tests/fake_openai.py [--port N] [--latency S] [--render-seconds S] [--photo-like]`` to serve it in the foreground.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import dataclasses
import email.parser
import email.policy
import gzip
import hashlib
import io
import itertools
import json
import math
import quopri
import random
import re
import secrets
import socket
import socketserver
import sys
import threading
import time
import traceback
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, unquote_to_bytes, urlsplit

from PIL import Image, ImageDraw, ImageFilter

if __name__ == "__main__":
    # Run as `python tests/fake_openai.py`, only tests/ is on sys.path; the size and option rules live at the root.
    sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import contextlib

from openai_images import image_models
from openai_images.errors import InvalidInput

__all__ = [
    "COMPLETION_WINDOWS",
    "DEFAULT_IMAGE_MODEL",
    "OUTCOME_KINDS",
    "FakeOpenAI",
    "Leak",
    "RecordedRequest",
    "render_image",
    "render_photo",
]

# The tool's size, quality, background, format and moderation rules are image_models' rules, so the
# fake refuses exactly what the server's own checks refuse (and nothing they let through).
DEFAULT_IMAGE_MODEL = image_models.API_DEFAULT_IMAGE_MODEL
OUTCOME_KINDS = frozenset(
    {
        "no_image",
        "moderated",
        "bad_base64",
        "damaged_image",
        "failed_response",
        "incomplete",
        "stream_cut",
        "hang",
        "forgotten",
    }
)
COMPLETION_WINDOWS = image_models.COMPLETION_WINDOWS
_FINISHED = frozenset({"completed", "failed", "cancelled", "incomplete"})

_PARTIAL_MAX_EDGE = 256
_DATA_URL_RE = re.compile(r"^data:([^,]*?)(;base64)?,(.*)$", re.DOTALL)
_BEARER_RE = re.compile(r"^Bearer\s+\S+")
_RESPONSE_PATH_RE = re.compile(r"^/v1/responses/([^/]+)$")
_CANCEL_PATH_RE = re.compile(r"^/v1/responses/([^/]+)/cancel$")
_FILE_PATH_RE = re.compile(r"^/v1/files/([^/]+)(/content)?$")

_DEFAULT_MESSAGES = {
    "insufficient_quota": "You exceeded your current quota, please check your plan and billing details.",
    "rate_limit_exceeded": "Rate limit reached for requests. Please try again shortly.",
    "server_error": "The server had an error while processing your request. Sorry about that!",
    "moderation_blocked": "Your request was rejected by the safety system.",
    "invalid_api_key": "Incorrect API key provided.",
}


@dataclass
class RecordedRequest:
    """One HTTP request as the fake received it."""

    method: str
    path: str  # URL path without the query string
    headers: dict[str, str]  # lower-case keys
    body: bytes
    json: dict[str, Any] | None  # parsed body when it is a JSON object
    query: str = ""


class ApiError(Exception):
    """An error answer: ``{"error": {"message", "type", "param", "code"}}`` with an HTTP status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        type: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.type = type or _default_error_type(status, code)
        self.param = param
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def _default_error_type(status: int, code: str | None) -> str:
    if code == "insufficient_quota":
        return "insufficient_quota"
    if code == "moderation_blocked":
        return "image_generation_user_error"
    if status == 429:
        return "requests"
    if status >= 500:
        return "server_error"
    return "invalid_request_error"


def _invalid(message: str, param: str | None, code: str | None = "invalid_value") -> ApiError:
    return ApiError(400, message, code=code, param=param)


def _choice(tool: dict[str, Any], name: str, default: str, allowed: tuple[str, ...], param: str, *, model: str | None = None) -> str:
    """The tool's `name` setting (or its default) if it is one of `allowed`, else OpenAI's 400 for it."""
    value = tool.get(name, default)
    if value not in allowed:
        where = f" for {model}" if model else ""
        raise _invalid(f"Invalid {name} '{value}'{where}. Supported values: {', '.join(allowed)}.", f"{param}.{name}")
    return value


@dataclass
class _Outcome:
    kind: str
    kw: dict[str, Any]


@dataclass
class _ImageSpec:
    """The image_generation tool's settings, validated and with defaults resolved."""

    width: int
    height: int
    output_format: str
    transparent: bool
    background: str  # as reported back: "transparent" or "opaque"
    quality: str
    compression: int
    partial_images: int
    action: str
    model: str

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"


@dataclass
class _Plan:
    """A validated POST /v1/responses request."""

    body: dict[str, Any]
    model: str
    prompt: str
    input_images: list[Image.Image]
    tools: list[Any]
    spec: _ImageSpec | None
    stream: bool
    store: bool
    previous: dict[str, Any] | None
    background: bool = False
    completion_window: str = "soonest"


class _Job:
    """One background response: every SSE frame it has emitted so far and its current state.

    Fields are read and written only under ``FakeOpenAI._changed``; ``frames[n]`` is the event with
    ``sequence_number`` n, already encoded, so every stream of the job sends the same bytes.
    """

    def __init__(self, response: dict[str, Any], plan: _Plan, outcome: _Outcome | None) -> None:
        self.id: str = response["id"]
        self.created_at: int = response["created_at"]
        self.plan = plan
        self.outcome = outcome
        self.response = response  # the current snapshot, replaced (never mutated) on every change
        self.frames: list[bytes] = []
        self.types: list[str] = []
        self.forgotten = False
        self.forget_at: float | None = None  # time.monotonic() at which a "forgotten" outcome strikes
        self.thread: threading.Thread | None = None

    @property
    def status(self) -> str:
        return str(self.response["status"])

    @property
    def over(self) -> bool:
        """Nothing more will happen to it: finished, or forgotten."""
        return self.forgotten or self.status in _FINISHED


# --------------------------------------------------------------------------- images


def _colour(digest: bytes, offset: int) -> tuple[int, int, int]:
    r, g, b = digest[offset : offset + 3]
    return r, g, b


def render_image(
    prompt: str,
    width: int,
    height: int,
    output_format: str = "png",
    *,
    transparent: bool = False,
    compression: int = 100,
    detail: int = 3,
    inset: Image.Image | None = None,
) -> bytes:
    """Encode a simple picture whose colours depend on the prompt.

    ``detail`` is the number of shapes drawn (partial images draw fewer); ``inset`` is pasted
    in a corner so edits visibly contain their input image.
    """
    digest = hashlib.sha256(prompt.encode("utf-8")).digest()
    background = _colour(digest, 0)
    mode = "RGBA" if transparent else "RGB"
    image = Image.new(mode, (width, height), (0, 0, 0, 0) if transparent else background)
    draw = ImageDraw.Draw(image)
    fills = [_colour(digest, 3 + 3 * index) + ((255,) if transparent else ()) for index in range(3)]
    if detail >= 1:
        draw.ellipse((width * 0.2, height * 0.2, width * 0.8, height * 0.8), fill=fills[0])
    if detail >= 2:
        draw.rectangle((width * 0.05, height * 0.05, width * 0.35, height * 0.3), fill=fills[1])
    if detail >= 3:
        draw.polygon([(width * 0.5, height * 0.55), (width * 0.95, height * 0.95), (width * 0.55, height * 0.95)], fill=fills[2])
    if inset is not None:
        thumb = inset.convert(mode)
        thumb.thumbnail((max(1, width // 3), max(1, height // 3)))
        image.paste(thumb, (width - thumb.width, height - thumb.height))
    # compress_level=1 keeps 3840x2160 encodes fast.
    return _encode(image, output_format, compression, png_level=1)


def _encode(image: Image.Image, output_format: str, compression: int, *, png_level: int) -> bytes:
    buffer = io.BytesIO()
    if output_format == "png":
        image.save(buffer, "PNG", compress_level=png_level)
    elif output_format == "webp":
        if compression >= 100:
            # Lossless with minimal effort is both exact and several times faster than lossy q=100.
            image.save(buffer, "WEBP", lossless=True, quality=0, method=0)
        else:
            image.save(buffer, "WEBP", quality=compression, method=0)
    else:
        image.save(buffer, "JPEG", quality=compression)
    return buffer.getvalue()


# Grain share of a photo-like picture: 0.04 of uniform noise gives about 1.6 MB as PNG at 1024x1024, in the
# 1.5-2 MB that OpenAI's own 1024x1024 PNGs weigh.
_PHOTO_GRAIN = 0.04
_photos: dict[tuple[int, int, str, bool, int], bytes] = {}
_photos_lock = threading.Lock()


def render_photo(width: int, height: int, output_format: str = "png", *, transparent: bool = False, compression: int = 100) -> bytes:
    """Encode a photo-like picture: grain over smooth random shapes, the same for every prompt.

    The bytes are cached per size, format, transparency and compression, so only the first request of a kind pays
    for the encoding (about 0.3 s at 1024x1024, 2 s at 3840x2160); later ones cost what a flat image does.
    """
    key = (width, height, output_format, transparent, compression)
    with _photos_lock:  # held while encoding, so renders that start together encode it once
        if key not in _photos:
            # Pillow's default zlib level for PNG, as photo PNGs usually are.
            photo = _photo(width, height, transparent=transparent)
            _photos[key] = _encode(photo, output_format, compression, png_level=6)
        return _photos[key]


def _photo(width: int, height: int, *, transparent: bool) -> Image.Image:
    rng = random.Random(f"photo {width}x{height}")
    # Colour gradients (an 8x8 grid of random colours, upscaled), then blurred shapes, then per-pixel grain:
    # the grain is what makes it weigh what a photo weighs, since PNG and JPEG cannot compress noise away.
    gradient = Image.frombytes("RGB", (8, 8), rng.randbytes(8 * 8 * 3)).resize((width, height), Image.Resampling.BICUBIC)
    shapes = gradient.copy()
    draw = ImageDraw.Draw(shapes)
    for _ in range(24):
        left, top = rng.uniform(-0.2, 1.0) * width, rng.uniform(-0.2, 1.0) * height
        right, bottom = left + rng.uniform(0.05, 0.4) * width, top + rng.uniform(0.05, 0.4) * height
        draw.ellipse((left, top, right, bottom), fill=tuple(rng.randbytes(3)))
    shapes = Image.blend(gradient, shapes.filter(ImageFilter.GaussianBlur(max(width, height) / 100)), 0.6)
    grain = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    photo = Image.blend(shapes, grain, _PHOTO_GRAIN)
    if transparent:
        # A cut-out: opaque inside a soft-edged ellipse, fully transparent in the corners.
        mask = Image.new("L", (width, height), 0)
        ImageDraw.Draw(mask).ellipse((width * 0.1, height * 0.1, width * 0.9, height * 0.9), fill=255)
        photo.putalpha(mask.filter(ImageFilter.GaussianBlur(max(width, height) / 50)))
    return photo


def _decode_image(data: bytes, param: str) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as exc:
        raise _invalid(f"Invalid image: {exc}", param, "invalid_image") from None
    return image


def _image_tokens(quality: str, width: int, height: int) -> int:
    # The community gpt-image-2 formula (as in costs.estimate_output_tokens), kept separate so
    # the fake reports usage the way OpenAI would rather than echoing our estimator; the
    # xhigh/max factors are made up (no formula is published), good enough for a fake.
    factor = {"low": 16, "medium": 48, "high": 96, "xhigh": 128, "max": 160}.get(quality, 48)
    long_edge, short_edge = max(width, height), min(width, height)
    aspect = (2 * factor * short_edge + long_edge) // (2 * long_edge)
    return math.ceil(factor * aspect * (2_000_000 + width * height) / 4_000_000)


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(24)


# --------------------------------------------------------------------------- secret watch

# JSON strings this long that are valid base64 are decoded and searched (image data, file_data, results, ...).
_MIN_BASE64_STRING = 64
# Header words this long that are valid base64 are decoded too (Basic and Proxy credentials, JWT segments).
_MIN_BASE64_HEADER_WORD = 8
# Decoding layers followed inside one request (a data URL in a JSON file in a multipart part is three).
_MAX_NESTING = 4
_BASE64_RE = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
_EMBEDDED_DATA_URL_RE = re.compile(r"data:[^,\s\"']{0,200}?;base64,([A-Za-z0-9+/_-]+=*)", re.IGNORECASE)
_HEADER_WORD_RE = re.compile(rb"[A-Za-z0-9+/_-]{%d,}={0,2}" % _MIN_BASE64_HEADER_WORD)
_BOUNDARY_RE = re.compile(r'boundary=(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)
_IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_JSON_START_RE = re.compile(rb"\s*[\[{]")
_URL_SAFE = str.maketrans("-_", "+/")


def _mask(secret: str | bytes) -> str:
    """A secret as leak reports show it: at most its first 4 characters (never more than half), and its length."""
    shown = secret[: min(4, len(secret) // 2)]
    unit = "characters" if isinstance(secret, str) else "bytes"
    return f"{shown!r}… ({len(secret)} {unit})"


def _redact(text: str, watched: list[tuple[str | bytes, bytes]]) -> str:
    """``text`` (a leak's method, path or place) with every watched value in it replaced by its masked form."""
    # Percent-encoded paths are decoded only when that is what hides a secret.
    for candidate in (text, unquote(text, errors="replace")):
        for secret, needle in watched:
            forms = {needle.decode("latin-1"), needle.decode("utf-8", "replace")}
            if isinstance(secret, str):
                forms |= {secret, json.dumps(secret)[1:-1]}
            for form in forms:
                candidate = candidate.replace(form, f"<{_mask(secret)}>")
        views = [candidate.encode("utf-8", "surrogatepass"), candidate.encode("latin-1", "replace")]
        if not any(needle in view for _, needle in watched for view in [*views, unquote_to_bytes(candidate)]):
            return candidate
    return "<hidden: it holds a watched value>"


@dataclass(frozen=True, kw_only=True, repr=False)
class Leak:
    """A watched secret found in a request the fake received.

    ``where`` names the place: ``"path"``, ``"query"``, ``"request line"``, ``"header <name>"``,
    ``"header <name> (base64)"``, ``"body"``, ``"JSON string at <json path>"`` and ``"JSON key at <json path>"``
    (only when JSON escaping hid it from the raw body), ``"data URL at <json path>"``,
    ``"base64 at <json path>"``, ``"multipart part <name>"``, or ``"raw request"`` (the bytes as read, when no
    place above holds it). Places inside a decoded payload are chained with ``" > "``, e.g.
    ``"multipart part file > data URL at input[0].image_url"``. One request can leak one secret in several places.
    A watched value inside ``method``, ``path`` or ``where`` (a secret sent as the path or a header name) is
    replaced there by its masked form, ``<'sk-l'… (26 characters)>``, so no field but ``secret`` holds one.
    """

    secret: str | bytes  # as given to FakeOpenAI.watch
    method: str
    path: str  # URL path without the query string
    where: str

    def __str__(self) -> str:
        return f"{_mask(self.secret)} in {self.where} of {self.method} {self.path}"

    def __repr__(self) -> str:
        # The default repr would print the secret into test failure output.
        return f"Leak(secret={_mask(self.secret)}, method={self.method!r}, path={self.path!r}, where={self.where!r})"


def _b64decode_loose(text: str) -> bytes | None:
    """Decode standard or URL-safe base64, with or without padding or line breaks; None when it is not base64."""
    compact = "".join(text.split())
    if not _BASE64_RE.fullmatch(compact):
        return None
    compact = compact.rstrip("=").translate(_URL_SAFE)
    if len(compact) % 4 == 1:
        return None
    try:
        return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except binascii.Error:
        return None


def _content_decoded(body: bytes, encoding: str) -> bytes:
    """The body with a gzip or deflate Content-Encoding undone (unchanged when it is neither or does not inflate)."""
    try:
        if encoding in ("gzip", "x-gzip"):
            return gzip.decompress(body)
        if encoding == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:
                return zlib.decompress(body, -zlib.MAX_WBITS)  # raw deflate, as some clients send it
    except (OSError, EOFError, zlib.error):
        pass
    return body


def _multipart_parts(body: bytes, content_type: str) -> Iterator[tuple[str, bytes, bytes]]:
    """(name, raw bytes with its headers, decoded payload) of each part of a multipart body."""
    match = _BOUNDARY_RE.search(content_type)
    if match is None:
        return
    boundary = (match.group(1) or match.group(2)).encode("latin-1", "replace")
    for index, segment in enumerate(body.split(b"--" + boundary)[1:]):
        if segment.startswith(b"--"):
            return  # the close delimiter; what follows is the epilogue
        part = segment.removeprefix(b"\r\n").removeprefix(b"\n").removesuffix(b"\n").removesuffix(b"\r")
        head, separator, payload = part.partition(b"\r\n\r\n")
        if not separator:
            head, separator, payload = part.partition(b"\n\n")
        headers = email.parser.BytesHeaderParser(policy=email.policy.HTTP).parsebytes(head + b"\r\n\r\n")
        name = headers.get_param("name", header="content-disposition")
        transfer = str(headers.get("content-transfer-encoding", "")).strip().lower()
        if transfer == "base64":
            payload = _b64decode_loose(payload.decode("ascii", "replace")) or payload
        elif transfer == "quoted-printable":
            payload = quopri.decodestring(payload)
        yield (name if isinstance(name, str) and name else f"#{index}"), part, payload


def _json_path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if _IDENTIFIER_RE.fullmatch(key):
        return f"{parent}.{key}" if parent else key
    return f"{parent}[{json.dumps(key)}]"


class _Search:
    """One request's search for the watched secrets: which secret turned up where."""

    def __init__(self, watched: list[tuple[str | bytes, bytes]]) -> None:
        self.secrets = watched  # (as given, as bytes)
        self.hits: dict[tuple[int, str], None] = {}  # (secret index, where), in the order found, no repeats

    def look(self, data: bytes, where: str, *, skip: set[int] | frozenset[int] = frozenset()) -> None:
        for index, (_, needle) in enumerate(self.secrets):
            if index not in skip and needle in data:
                self.hits.setdefault((index, where), None)

    def found(self, *wheres: str) -> set[int]:
        """The secrets already found at any of ``wheres``, or anywhere when none are named."""
        return {index for index, where in self.hits if not wheres or where in wheres}

    def leaks(self) -> list[tuple[str | bytes, str]]:
        return [(self.secrets[index][0], where) for index, where in self.hits]

    def payload(self, data: bytes, where: str, depth: int) -> None:
        """Search decoded bytes, then every string of the JSON document they hold, if they hold one."""
        self.look(data, where)
        if depth >= _MAX_NESTING or not _JSON_START_RE.match(data):
            return
        try:
            document = json.loads(data)
        except (ValueError, RecursionError):
            return
        self.json(document, prefix="" if where == "body" else f"{where} > ", depth=depth, skip=self.found(where))

    def json(self, document: Any, *, prefix: str, depth: int, skip: set[int]) -> None:
        # `skip`: secrets the raw bytes already showed; JSON strings only add the ones escaping hid (\u00e9, \/).
        stack: list[tuple[str, Any]] = [("", document)]
        while stack:
            path, value = stack.pop()
            if isinstance(value, dict):
                for key, child in value.items():
                    child_path = _json_path(path, key)
                    self.look(key.encode("utf-8", "surrogatepass"), f"{prefix}JSON key at {child_path}", skip=skip)
                    stack.append((child_path, child))
            elif isinstance(value, list):
                stack.extend((_json_path(path, index), child) for index, child in enumerate(value))
            elif isinstance(value, str):
                self.string(value, f"{path or 'the top level'}", prefix=prefix, depth=depth, skip=skip)

    def string(self, text: str, path: str, *, prefix: str, depth: int, skip: set[int]) -> None:
        plain = f"{prefix}JSON string at {path}"
        self.look(text.encode("utf-8", "surrogatepass"), plain, skip=skip)
        if "%" in text:
            self.look(unquote_to_bytes(text), plain, skip=skip)
        data_url = _DATA_URL_RE.match(text) if text.startswith("data:") else None
        if data_url is not None:
            data = data_url.group(3)
            # Base64 payloads may be line-wrapped or percent-encoded; others are percent-encoded bytes.
            decoded = _b64decode_loose(unquote(data)) if data_url.group(2) else unquote_to_bytes(data)
            if decoded is not None:
                self.payload(decoded, f"{prefix}data URL at {path}", depth + 1)
            return
        for match in _EMBEDDED_DATA_URL_RE.finditer(text):  # data URLs inside longer text (markdown, HTML)
            decoded = _b64decode_loose(match.group(1))
            if decoded is not None:
                self.payload(decoded, f"{prefix}data URL at {path}", depth + 1)
        if len(text) >= _MIN_BASE64_STRING:
            decoded = _b64decode_loose(text)
            if decoded is not None:
                self.payload(decoded, f"{prefix}base64 at {path}", depth + 1)


def _find_leaks(watched: list[tuple[str | bytes, bytes]], raw: bytes, body: bytes | None) -> tuple[str, str, list[tuple[str | bytes, str]]]:
    """Search one request for the watched secrets; return its method, its path and every (secret, where) found.

    ``raw`` is every byte read for the request: request line, headers and the body as framed on the wire.
    ``body`` is the body with chunked framing removed, or None when it was never read (a refused request):
    then whatever follows the headers in ``raw`` stands in for it.
    """
    search = _Search(watched)
    ends = [(end, len(blank)) for blank in (b"\r\n\r\n", b"\n\n") if (end := raw.find(blank)) >= 0]
    end, blank = min(ends) if ends else (len(raw), 0)
    head, rest = raw[:end], raw[end + blank :]
    lines = head.split(b"\n")
    request_line = lines[0].rstrip(b"\r")
    words = request_line.split()
    url = urlsplit(words[1] if len(words) > 1 else b"")
    search.look(url.path, "path")
    search.look(unquote_to_bytes(url.path), "path")
    search.look(url.query, "query")
    search.look(unquote_to_bytes(url.query.replace(b"+", b" ")), "query")
    search.look(request_line, "request line", skip=search.found("path", "query"))

    fields: dict[str, str] = {}
    for line in lines[1:]:
        line = line.rstrip(b"\r")
        name, colon, value = line.partition(b":")
        if not colon or line[:1] in (b" ", b"\t"):
            continue  # folded or broken lines are left to the "raw request" search
        label = name.strip().lower().decode("latin-1")
        search.look(line, f"header {label}")
        for word in _HEADER_WORD_RE.findall(value):
            decoded = _b64decode_loose(word.decode("ascii"))
            if decoded is not None:
                search.look(decoded, f"header {label} (base64)")
        fields[label] = value.strip().decode("latin-1")

    body = rest if body is None else body
    if body:
        content_type = fields.get("content-type", "")
        decoded = _content_decoded(body, fields.get("content-encoding", "").strip().lower())
        if decoded is not body:
            search.look(body, "body")
        if "x-www-form-urlencoded" in content_type.lower():
            search.look(unquote_to_bytes(decoded.replace(b"+", b" ")), "body")
        if content_type.lower().startswith("multipart/"):
            search.look(decoded, "body")
            for name, part, payload in _multipart_parts(decoded, content_type):
                search.look(part, f"multipart part {name}")
                search.payload(payload, f"multipart part {name}", 1)
        else:
            search.payload(decoded, "body", 0)
    search.look(raw, "raw request", skip=search.found())
    method = words[0].decode("latin-1") if words else ""
    return method, url.path.decode("latin-1"), search.leaks()


class _TeeReader:
    """The connection's reader, keeping a copy of every byte the current request has read so far.

    It always records: whether anything is watched is only known once the request has arrived, and
    watch() may be called while a kept-alive connection waits for its next request.
    """

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self.seen = bytearray()

    def read(self, size: int | None = -1) -> bytes:
        data = self._reader.read(size)
        self.seen += data
        return data

    def readline(self, size: int | None = -1) -> bytes:
        data = self._reader.readline(size)
        self.seen += data
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)


# --------------------------------------------------------------------------- server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Tests open many connections at once; the default backlog of 5 can drop SYNs (1 s retry).
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], fake: FakeOpenAI) -> None:
        self.fake = fake
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), which can stall on reverse DNS.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up (timeouts, cancelled streams) are expected in tests, not errors.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)

    def close_open_sockets(self) -> None:
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _CloseConnection(Exception):
    """Drop the connection without (finishing) an answer."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; Nagle + delayed ACK would add ~40 ms each.
    disable_nagle_algorithm = True
    server: _Server
    answered = False  # whether a status line went out for the current request
    watched = False  # whether the current request was searched for watched secrets

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.tee = _TeeReader(self.rfile)
        self.rfile = self.tee  # type: ignore[assignment]

    def handle_one_request(self) -> None:
        self.tee.seen.clear()
        self.watched = False
        super().handle_one_request()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server calls this for requests it refuses before any do_* method runs: a malformed or
        # oversized request line, oversized headers, an unknown method. Our own answers use _send_error.
        if not self.watched:
            body = self._read_refused_body() if code == HTTPStatus.NOT_IMPLEMENTED else None
            self._watch(body)
        super().send_error(code, message, explain)

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_GET

    # ---- plumbing

    @property
    def fake(self) -> FakeOpenAI:
        return self.server.fake

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _read_refused_body(self) -> bytes | None:
        """The body of a request refused for its method (its headers parsed), so that it is searched too."""
        if not self.fake._watching():
            return None
        try:
            if int(self.headers.get("Content-Length") or 0) > 64 * 1024 * 1024:
                return None
            return self._read_body()
        except (ValueError, OSError):
            return None

    def _watch(self, body: bytes | None) -> None:
        """Search the current request for watched secrets, before anything is answered."""
        self.watched = True
        self.fake._watch_request(self.tee.seen, body)

    def _dispatch(self) -> None:
        try:
            try:
                body = self._read_body()
            except (ValueError, OSError):
                self._watch(None)  # what did arrive still counts
                raise
            self._watch(body)
            url = urlsplit(self.path)
            headers: dict[str, str] = {}
            for key, value in self.headers.items():
                key = key.lower()
                headers[key] = f"{headers[key]}, {value}" if key in headers else value
            parsed: dict[str, Any] | None = None
            if "json" in headers.get("content-type", "") and body:
                try:
                    loaded = json.loads(body)
                    parsed = loaded if isinstance(loaded, dict) else None
                except ValueError:
                    parsed = None
            request = RecordedRequest(self.command, url.path, headers, body, parsed, url.query)
            self.fake._record(request)
            self.answered = False
            try:
                self._route(request)
            except ApiError as error:
                self._send_error(error)
            except (OSError, _CloseConnection):
                raise
            except Exception as exc:
                # A bug in the fake: show it in the test output and as a non-retried 500.
                traceback.print_exc()
                if self.answered:
                    raise _CloseConnection from exc
                bug = ApiError(500, f"fake_openai bug: {exc!r}", code="fake_bug", headers={"x-should-retry": "false"})
                self._send_error(bug)
        except _CloseConnection:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError):
            self.close_connection = True

    def _route(self, request: RecordedRequest) -> None:
        method, path = request.method, request.path.rstrip("/") or "/"
        response_match = _RESPONSE_PATH_RE.match(path)
        cancel_match = _CANCEL_PATH_RE.match(path)
        file_match = _FILE_PATH_RE.match(path)
        if path == "/v1/responses" and method == "POST":
            route: Callable[[], None] = partial(self._post_responses, request)
        elif path == "/v1/files" and method == "POST":
            route = partial(self._post_file, request)
        elif path == "/v1/models" and method == "GET":
            route = self._list_models
        elif response_match and method in ("GET", "DELETE"):
            response_id = unquote(response_match.group(1))
            route = partial(self._response_by_id, response_id, delete=method == "DELETE", query=request.query)
        elif cancel_match and method == "POST":
            route = partial(self._cancel, unquote(cancel_match.group(1)))
        elif file_match and method == "GET":
            route = partial(self._file_by_id, unquote(file_match.group(1)), content=bool(file_match.group(2)))
        else:
            raise ApiError(404, f"Invalid URL ({method} {request.path})")
        if not _BEARER_RE.match(request.headers.get("authorization", "")):
            raise ApiError(
                401,
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                code="invalid_api_key",
            )
        route()

    def _list_models(self) -> None:
        # GET /v1/models is free: `openai-images-mcp doctor` uses it to check the endpoint and the key.
        models = [{"id": DEFAULT_IMAGE_MODEL, "object": "model", "created": 0, "owned_by": "openai"}]
        self._send_json(200, {"object": "list", "data": models})

    def _post_file(self, request: RecordedRequest) -> None:
        self._send_json(200, self.fake._upload_file(request))

    def _response_by_id(self, response_id: str, *, delete: bool, query: str = "") -> None:
        # The SDK sends retrieve(stream=True, starting_after=N) as `?stream=true&starting_after=N`
        # (resources/responses/responses.py, Responses.retrieve).
        params = parse_qs(query)
        if not delete and params.get("stream", [""])[-1].lower() == "true":
            after = params.get("starting_after", ["-1"])[-1]
            try:
                starting_after = int(after)
            except ValueError:
                raise _invalid(
                    f"Invalid type for 'starting_after': expected an integer, got '{after}'.",
                    "starting_after",
                    "invalid_type",
                ) from None
            job = self.fake._job(response_id)
            if job is None:
                if self.fake._get_response(response_id) is None:
                    raise _not_found(response_id)
                raise _invalid(
                    "Only responses created with background set to true can be streamed after they were created.",
                    "stream",
                )
            self._follow(job, after=starting_after, drop=self.fake._pop_drop())
            return
        stored = self.fake._get_response(response_id, delete=delete)
        if stored is None:
            raise _not_found(response_id)
        if delete:
            self._send_json(200, {"id": response_id, "object": "response.deleted", "deleted": True})
        else:
            self._send_json(200, stored)

    def _cancel(self, response_id: str) -> None:
        self._send_json(200, self.fake._cancel(response_id))

    def _file_by_id(self, file_id: str, *, content: bool) -> None:
        if not content:
            self._send_json(200, self.fake._file_object(file_id))
            return
        data = self.fake.files.get(file_id)
        if data is None:
            raise ApiError(404, f"No such File object: {file_id}", param="id")
        self._send_bytes(200, data, "application/octet-stream")

    def _send_bytes(self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.answered = True
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", _new_id("req_"))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        self._send_bytes(status, json.dumps(obj).encode("utf-8"), "application/json", headers)

    def _send_error(self, error: ApiError) -> None:
        headers = {}
        if error.status == 429 or error.status >= 500:
            headers["retry-after-ms"] = "10"
        headers.update(error.headers)
        self._send_json(error.status, error.body(), headers)

    # ---- POST /v1/responses

    def _post_responses(self, request: RecordedRequest) -> None:
        fake = self.fake
        fake._sleep(fake.latency)
        failure = fake._pop_failure()
        if failure is not None:
            raise failure
        if request.json is None:
            raise ApiError(400, "We could not parse the JSON body of your request.", code="invalid_json")
        fake._refuse_background(request.json)
        outcome = fake._pop_outcome()
        kind = outcome.kind if outcome else None
        if outcome is not None and kind == "hang":
            fake._sleep(float(outcome.kw["seconds"]))
        stream = request.json.get("stream") is True
        if kind == "stream_cut" and not stream and request.json.get("background") is not True:
            raise _CloseConnection
        plan = fake._plan(request.json)
        if plan.background:
            self._post_background(plan, outcome)
            return
        response = fake._build_response(plan, outcome)
        if outcome is not None and kind == "forgotten":
            after = float(outcome.kw.get("after", 0.0))
            if after > 0:
                fake._forget_later(response["id"], after)
            else:
                plan = dataclasses.replace(plan, store=False)  # answered, never kept
        if not stream or fake._json_streams:
            fake._store(plan, response)
            self._send_json(200, response)
            return
        self._stream(plan, response, cut=kind == "stream_cut", drop=fake._pop_drop())

    def _post_background(self, plan: _Plan, outcome: _Outcome | None) -> None:
        """Start a background response, then answer it queued, or follow it as a stream."""
        fake = self.fake
        job, queued = fake._start_job(plan, outcome)
        cut = outcome is not None and outcome.kind == "stream_cut"
        if not plan.stream:
            if cut:
                raise _CloseConnection  # the response was created; only its answer is lost
            self._send_json(200, queued)
        elif fake._json_streams:
            # What a buffering proxy hands over: nothing until the response has ended, then one JSON object.
            self._send_json(200, fake._wait_job(job))
        else:
            self._follow(job, after=-1, drop=fake._pop_drop(), cut_after=_cut_point(plan) if cut else None)

    def _start_sse(self) -> None:
        self.answered = True
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        # Chunked framing keeps the connection reusable and makes a cut stream a protocol error
        # on the client, like a real dropped connection.
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-request-id", _new_id("req_"))
        self.end_headers()

    def _send_chunk(self, payload: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(payload), payload))

    def _stream(self, plan: _Plan, response: dict[str, Any], *, cut: bool, drop: int | None) -> None:
        self._start_sse()
        cut_after = _cut_point(plan)
        for sequence, event in enumerate(self.fake._events(plan, response)):
            if sequence:
                self.fake._sleep(self.fake.event_delay)
            event["sequence_number"] = sequence
            self._send_chunk(_sse_frame(event))
            if (cut and event["type"] == cut_after) or (drop is not None and sequence + 1 >= drop):
                raise _CloseConnection
        self._send_chunk(b"")
        self.fake._store(plan, response)

    def _follow(self, job: _Job, *, after: int, drop: int | None, cut_after: str | None = None) -> None:
        """Stream a background response's events after sequence number ``after``, then live ones until it ends.

        The response does not depend on this connection: closing it (either side) leaves the response running.
        """
        fake = self.fake
        self._start_sse()
        index, sent = max(0, after + 1), 0
        while True:
            with fake._changed:
                fake._changed.wait_for(lambda start=index: len(job.frames) > start or job.over or fake._stopping.is_set(), timeout=1.0)
                frames, types = job.frames[index:], job.types[index:]
                finished, forgotten = job.status in _FINISHED, job.forgotten
            for frame, event_type in zip(frames, types):
                self._send_chunk(frame)
                index, sent = index + 1, sent + 1
                if event_type == cut_after or (drop is not None and sent >= drop):
                    raise _CloseConnection
            if forgotten or fake._stopping.is_set():
                raise _CloseConnection
            if finished:
                self._send_chunk(b"")
                return


# --------------------------------------------------------------------------- the fake


class FakeOpenAI:
    """A local fake of the OpenAI API (Responses + image_generation tool, Files)."""

    def __init__(self, *, latency: float = 0.0, port: int = 0, render_seconds: float = 0.2, photo_like: bool = False) -> None:
        self.latency = latency  # seconds before answering POST /v1/responses; settable any time
        self.event_delay = 0.0  # seconds between SSE events of a (foreground) streamed create
        self.expired_status = 400  # status for an unknown previous_response_id (400 or 404)
        # Background responses: seconds queued before work starts, extra seconds queued per completion_window,
        # and seconds from the start of the work to the final image (spread over the partial images).
        self.queued_seconds = 0.05
        self.window_seconds: dict[str, float] = {"soonest": 0.0, "2h": 1.0, "8h": 2.0}
        self.render_seconds = render_seconds
        # Every final image a photo-like picture (render_photo: about 1.6 MB as PNG at 1024x1024, the same for
        # every prompt, and without the inset of an edit's input image) instead of a flat-colour drawing;
        # partial images stay flat drawings. Settable any time.
        self.photo_like = photo_like
        self.requests: list[RecordedRequest] = []
        self.files: dict[str, bytes] = {}
        self.responses: dict[str, dict[str, Any]] = {}
        self.leaks: list[Leak] = []  # watched secrets found in requests; see watch()
        self.generations = 0  # image generations started (foreground and background), see queue_outcome
        self._secrets: list[tuple[str | bytes, bytes]] = []  # (as given, as bytes)
        self._port = port
        self._lock = threading.Lock()
        # Background responses and the streams following them wait on this for new events.
        self._changed = threading.Condition(self._lock)
        self._failures: deque[ApiError] = deque()
        self._outcomes: deque[_Outcome] = deque()
        self._drops: deque[int] = deque()
        self._jobs: dict[str, _Job] = {}
        self._timers: list[threading.Timer] = []
        self._refusing_background = False
        self._json_streams = False
        self._file_objects: dict[str, dict[str, Any]] = {}
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle

    def start(self) -> FakeOpenAI:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", self._port), self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()  # background responses and the streams following them end now
            jobs = [job.thread for job in self._jobs.values() if job.thread is not None]
            timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()
        server.shutdown()
        server.server_close()
        server.close_open_sockets()
        if thread is not None:
            thread.join(timeout=5)
        for job_thread in jobs:
            job_thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeOpenAI is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # ---- test controls

    def response_requests(self) -> list[dict[str, Any]]:
        """Parsed JSON bodies of every POST /v1/responses, in order."""
        with self._lock:
            return [r.json for r in self.requests if r.method == "POST" and r.path == "/v1/responses" and r.json is not None]

    def fail_next(
        self,
        status: int,
        code: str | None = None,
        message: str | None = None,
        *,
        type: str | None = None,
        param: str | None = None,
        count: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Make the next ``count`` POST /v1/responses answer this error (after latency, before validation)."""
        text = message or _DEFAULT_MESSAGES.get(code or "", HTTPStatus(status).phrase)
        with self._lock:
            for _ in range(count):
                self._failures.append(ApiError(status, text, code=code, type=type, param=param, headers=headers))

    def queue_outcome(self, kind: str, **kw: Any) -> None:
        """Make the next POST /v1/responses that gets past auth and ``fail_next`` behave specially.

        Outcomes queue up FIFO, one per request; a queued outcome is used up even if the request
        then fails validation. Kinds: ``no_image`` (only an assistant message), ``moderated``
        (``categories=[...]``), ``bad_base64``, ``damaged_image`` (valid base64 of a PNG cut in half),
        ``failed_response`` (``code=``, ``message=``; status "failed", no image),
        ``incomplete`` (``reason=``, default "max_output_tokens"; status "incomplete", no image),
        ``stream_cut`` (streaming: close after the first partial image, or after ``generating``
        when no partials were asked for; otherwise close without an answer, and a background
        response is created all the same), ``hang`` (``seconds=``, then answer normally),
        ``forgotten`` (``after=`` seconds, default 0: the response is answered, then GET, cancel and
        retrieve streams answer 404 from ``after`` seconds after it was created; a background response
        still running then stops, and streams following it are cut).

        A background response runs its outcome on its own clock: ``failed_response`` and ``incomplete``
        end it after ``render_seconds``. ``generations`` counts only the responses that got to render an image.
        """
        if kind not in OUTCOME_KINDS:
            raise ValueError(f"unknown outcome kind {kind!r}; expected one of {sorted(OUTCOME_KINDS)}")
        if kind == "hang":
            float(kw["seconds"])
        if kind == "forgotten":
            float(kw.get("after", 0.0))
        with self._lock:
            self._outcomes.append(_Outcome(kind, kw))

    def expire_responses(self) -> None:
        """Forget every stored response, as if previous_response_id values had expired.

        Background responses are forgotten too, running ones included: they stop, and streams following them are cut.
        """
        with self._changed:
            self.responses.clear()
            for job in self._jobs.values():
                job.forgotten = True
            self._changed.notify_all()

    def drop_stream_after(self, events: int, *, count: int = 1) -> None:
        """Make the next ``count`` SSE streams (streamed creates or retrieves) hang up after ``events`` events.

        A background response keeps running; a foreground one is lost with its stream (it is not stored).
        """
        if events < 1:
            raise ValueError("drop_stream_after needs at least one event before the drop")
        with self._lock:
            self._drops.extend([events] * count)

    def refuse_background(self, refuse: bool = True) -> None:
        """While on, any POST /v1/responses whose body has ``background`` or ``background_options`` answers 400.

        The error is OpenAI's for a parameter it does not know (code ``unknown_parameter``, ``param``
        naming it), as an older deployment or a proxy would answer. It comes after ``fail_next`` and
        before ``queue_outcome``, so a queued outcome is left for the next request.
        """
        with self._lock:
            self._refusing_background = refuse

    def answer_streams_with_json(self, on: bool = True) -> None:
        """While on, a streamed create (``stream: true``) is answered as plain JSON: the final response object.

        Content-Type is application/json. A background one is answered once it has ended, as a buffering proxy would.
        Retrieve streams are not affected.
        """
        with self._lock:
            self._json_streams = on

    def background_responses(self) -> dict[str, str]:
        """Every background response created so far, in order: id -> status ("forgotten" once forgotten or deleted)."""
        with self._lock:
            return {job.id: "forgotten" if job.forgotten else job.status for job in self._jobs.values()}

    def wait_background(self, timeout: float = 5.0) -> dict[str, str]:
        """Wait until no background response is queued or in progress; return ``background_responses()``.

        Raises TimeoutError naming the ones still running after ``timeout`` seconds.
        """
        with self._changed:
            if not self._changed.wait_for(lambda: all(job.over for job in self._jobs.values()), timeout):
                running = [job.id for job in self._jobs.values() if not job.over]
                raise TimeoutError(f"background responses still running after {timeout} s: {running}")
        return self.background_responses()

    def watch(self, *secrets: str | bytes) -> None:
        """Search every request received from now on for these values, adding to those already watched.

        A str is looked for as UTF-8. Each request is searched whole and through every decoding a client
        could hide a value behind (see ``Leak.where``), including requests the fake answers with an error
        or refuses before routing. Hits land in ``leaks``; ``assert_no_leaks`` fails on any.
        """
        for secret in secrets:
            if not isinstance(secret, (str, bytes)):
                raise TypeError(f"watch() takes str or bytes secrets, not {type(secret).__name__}")
            if not secret:
                raise ValueError("watch() needs non-empty secrets: an empty one is in every request")
        with self._lock:
            known = {needle for _, needle in self._secrets}
            for secret in secrets:
                needle = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
                if needle not in known:
                    known.add(needle)
                    self._secrets.append((secret, needle))

    def assert_no_leaks(self) -> None:
        """Raise AssertionError listing every leak found so far; secrets show only their first characters."""
        with self._lock:
            leaks = list(self.leaks)
        if leaks:
            listed = "\n".join(f"  {leak}" for leak in leaks)
            raise AssertionError(f"{len(leaks)} watched secret(s) reached the fake OpenAI server:\n{listed}")

    # ---- internals used by the handler

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _watching(self) -> bool:
        with self._lock:
            return bool(self._secrets)

    def _watch_request(self, raw: bytearray, body: bytes | None) -> None:
        with self._lock:
            watched = list(self._secrets)
        if not watched:
            return
        method, path, found = _find_leaks(watched, bytes(raw), body)
        if found:
            with self._lock:
                self.leaks += [
                    Leak(
                        secret=secret,
                        method=_redact(method, watched),
                        path=_redact(path, watched),
                        where=_redact(where, watched),
                    )
                    for secret, where in found
                ]

    def _pop_failure(self) -> ApiError | None:
        with self._lock:
            return self._failures.popleft() if self._failures else None

    def _pop_outcome(self) -> _Outcome | None:
        with self._lock:
            return self._outcomes.popleft() if self._outcomes else None

    def _pop_drop(self) -> int | None:
        with self._lock:
            return self._drops.popleft() if self._drops else None

    def _forget_later(self, response_id: str, after: float) -> None:
        def forget() -> None:
            with self._lock:
                self.responses.pop(response_id, None)

        timer = threading.Timer(after, forget)
        timer.daemon = True
        with self._lock:
            self._timers.append(timer)
        timer.start()

    # ---- background responses

    def _job(self, response_id: str) -> _Job | None:
        with self._lock:
            job = self._jobs.get(response_id)
            return None if job is None or job.forgotten else job

    def _start_job(self, plan: _Plan, outcome: _Outcome | None) -> tuple[_Job, dict[str, Any]]:
        """Create a background response (events ``response.created`` and ``response.queued``) and start its clock."""
        queued = dict(self._response_head(plan), status="queued", completed_at=None)
        # Partial images are made whether or not this request streams: a retrieve stream may ask for them.
        job = _Job(queued, dataclasses.replace(plan, stream=True), outcome)
        if outcome is not None and outcome.kind == "forgotten":
            job.forget_at = time.monotonic() + float(outcome.kw.get("after", 0.0))
        name = f"fake-openai-{job.id[:13]}"
        job.thread = threading.Thread(target=self._run_job, args=(job,), name=name, daemon=True)
        with self._changed:
            self._jobs[job.id] = job
            self._emit(
                job,
                queued,
                [{"type": "response.created", "response": queued}, {"type": "response.queued", "response": queued}],
            )
        job.thread.start()
        return job, queued

    def _run_job(self, job: _Job) -> None:
        """The background response's own clock: queued, in progress, then its events paced over ``render_seconds``."""
        try:
            if not self._job_sleep(job, self.queued_seconds + self.window_seconds.get(job.plan.completion_window, 0.0)):
                return
            working = dict(job.response, status="in_progress")
            if not self._job_step(job, working, [{"type": "response.in_progress", "response": working}]):
                return
            final = self._build_response(job.plan, job.outcome)
            final.update(id=job.id, created_at=job.created_at)
            body = list(self._body_events(job.plan, final))
            # Time passes before each partial image and before the image is done, or before the end when
            # there is no image; everything after the last pause goes out at once, so a cancel never
            # lands between the final image and the end of the response.
            pauses = [
                index
                for index, event in enumerate(body)
                if event["type"] in ("response.image_generation_call.partial_image", "response.image_generation_call.completed")
            ] or [0]
            bounds = [*sorted({0, *pauses}), len(body)]
            done: list[dict[str, Any]] = []
            for start, end in itertools.pairwise(bounds):
                if start in pauses and not self._job_sleep(job, self.render_seconds / len(pauses)):
                    return
                batch = body[start:end]
                done += [event["item"] for event in batch if event["type"] == "response.output_item.done"]
                if end == len(body) and final["status"] == "completed":
                    final["completed_at"] = int(time.time())
                snapshot = final if end == len(body) else dict(working, output=list(done))
                if not self._job_step(job, snapshot, batch):
                    return
        except Exception as exc:
            traceback.print_exc()
            failed = dict(
                job.response,
                status="failed",
                error={"code": "server_error", "message": f"fake_openai bug: {exc!r}"},
            )
            self._job_step(job, failed, [{"type": "response.failed", "response": failed}])
        finally:
            self._job_linger(job)

    def _job_sleep(self, job: _Job, seconds: float) -> bool:
        """Let ``seconds`` pass on the job's clock; False if it ended meanwhile (cancelled, forgotten, fake stopped)."""
        deadline = time.monotonic() + seconds
        with self._changed:
            while True:
                if job.over or self._stopping.is_set():
                    return False
                now = time.monotonic()
                if job.forget_at is not None and now >= job.forget_at:
                    self._forget(job)
                    return False
                if now >= deadline:
                    return True
                self._changed.wait((deadline if job.forget_at is None else min(deadline, job.forget_at)) - now)

    def _job_linger(self, job: _Job) -> None:
        """After the job ended, wait for its ``forgotten`` moment, if it has one still to come."""
        with self._changed:
            while job.forget_at is not None and not job.forgotten and not self._stopping.is_set():
                remaining = job.forget_at - time.monotonic()
                if remaining <= 0:
                    self._forget(job)
                    return
                self._changed.wait(remaining)

    def _job_step(self, job: _Job, response: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        """Publish ``events`` and the new snapshot at once; False (nothing published) if the job ended meanwhile."""
        with self._changed:
            if job.over or self._stopping.is_set():
                return False
            self._emit(job, response, events)
            return True

    def _emit(self, job: _Job, response: dict[str, Any], events: list[dict[str, Any]]) -> None:
        # Caller holds self._changed.
        for event in events:
            event["sequence_number"] = len(job.frames)
            job.frames.append(_sse_frame(event))
            job.types.append(event["type"])
        job.response = response
        self.responses[job.id] = response
        self._changed.notify_all()

    def _forget(self, job: _Job) -> None:
        # Caller holds self._changed.
        job.forgotten = True
        self.responses.pop(job.id, None)
        self._changed.notify_all()

    def _wait_job(self, job: _Job) -> dict[str, Any]:
        """The job's snapshot once it has ended (or the fake stops)."""
        with self._changed:
            self._changed.wait_for(lambda: job.over or self._stopping.is_set())
            return job.response

    def _cancel(self, response_id: str) -> dict[str, Any]:
        """POST /v1/responses/{id}/cancel.

        A queued or in-progress background response becomes "cancelled" (its streams end with a
        ``response.cancelled`` event); cancelling a cancelled one answers it again (idempotent);
        cancelling a completed, failed or incomplete one answers 400 "Cannot cancel a completed response."
        (OpenAI's answer, as quoted in https://github.com/BerriAI/litellm/pull/39617); a stored foreground
        response answers 400, an unknown or forgotten one 404.
        """
        with self._changed:
            job = self._jobs.get(response_id)
            if job is None or job.forgotten:
                if response_id in self.responses:
                    raise ApiError(400, "Only responses created with the 'background' parameter set to true can be cancelled.")
                raise _not_found(response_id)
            if job.status == "cancelled":
                return job.response
            if job.status in _FINISHED:
                raise ApiError(400, f"Cannot cancel a {job.status} response.")
            cancelled = dict(job.response, status="cancelled", usage=None, tool_usage=None)
            # Not in the SDK's ResponseStreamEvent union (the SDK yields it as another event class, keeping
            # `type` and leaving `response` a dict); gateways treat it as the end of a cancelled response
            # (https://github.com/Wei-Shaw/sub2api/issues/1322).
            self._emit(job, cancelled, [{"type": "response.cancelled", "response": cancelled}])
            return cancelled

    def _get_response(self, response_id: str, *, delete: bool = False) -> dict[str, Any] | None:
        with self._changed:
            stored = self.responses.get(response_id)
            if delete and stored is not None:
                del self.responses[response_id]
                job = self._jobs.get(response_id)
                if job is not None:
                    self._forget(job)  # a deleted background response stops, and is not stored again
            return stored

    def _store(self, plan: _Plan, response: dict[str, Any]) -> None:
        if plan.store:
            with self._lock:
                self.responses[response["id"]] = response

    # ---- files

    def _upload_file(self, request: RecordedRequest) -> dict[str, Any]:
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data"):
            raise _invalid("Expected a multipart/form-data body.", None, None)
        # The email package parses MIME multipart bodies; prepend the header it needs.
        raw = b"Content-Type: " + content_type.encode("latin-1") + b"\r\nMIME-Version: 1.0\r\n\r\n" + request.body
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
        if not message.is_multipart():
            raise _invalid("Could not parse the multipart body.", None, None)
        fields: dict[str, tuple[str | None, bytes]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                fields[name] = (part.get_filename(), payload)
        if "file" not in fields:
            raise _invalid("Missing required parameter: 'file'.", "file", "missing_required_parameter")
        purpose = fields.get("purpose", (None, b""))[1].decode("utf-8", "replace").strip()
        if not purpose:
            raise _invalid("Missing required parameter: 'purpose'.", "purpose", "missing_required_parameter")
        filename, content = fields["file"]
        file_id = "file-" + secrets.token_hex(12)
        obj = {
            "id": file_id,
            "object": "file",
            "bytes": len(content),
            "created_at": int(time.time()),
            "filename": filename or "upload",
            "purpose": purpose,
            "status": "processed",
            "expires_at": None,
            "status_details": None,
        }
        with self._lock:
            self.files[file_id] = content
            self._file_objects[file_id] = obj
        return obj

    def _file_object(self, file_id: str) -> dict[str, Any]:
        with self._lock:
            if file_id not in self.files:
                raise ApiError(404, f"No such File object: {file_id}", param="id")
            obj = self._file_objects.get(file_id)
            if obj is None:
                # Tests may put bytes into `files` directly; describe them as user_data.
                obj = {
                    "id": file_id,
                    "object": "file",
                    "bytes": len(self.files[file_id]),
                    "created_at": int(time.time()),
                    "filename": file_id,
                    "purpose": "user_data",
                    "status": "processed",
                    "expires_at": None,
                    "status_details": None,
                }
            return obj

    # ---- request validation

    def _load_image(self, ref: dict[str, Any], param: str) -> Image.Image | None:
        """Decode an image given as ``image_url`` or ``file_id``; None for remote URLs (never fetched)."""
        file_id = ref.get("file_id")
        if isinstance(file_id, str) and file_id:
            with self._lock:
                data = self.files.get(file_id)
            if data is None:
                raise _invalid(f"File '{file_id}' not found.", param)
            return _decode_image(data, param)
        url = ref.get("image_url")
        if isinstance(url, dict):
            url = url.get("url")
        if not isinstance(url, str) or not url:
            raise _invalid("An input image needs an 'image_url' or a 'file_id'.", param, "missing_required_parameter")
        if url.startswith(("http://", "https://")):
            return None
        match = _DATA_URL_RE.match(url) if url.startswith("data:") else None
        if match is None or not match.group(2):
            raise _invalid("Invalid image URL: expected a base64 data URL or an http(s) URL.", param, "invalid_image")
        try:
            data = base64.b64decode("".join(match.group(3).split()), validate=True)
        except (binascii.Error, ValueError):
            raise _invalid("Invalid base64 in image data URL.", param, "invalid_image") from None
        return _decode_image(data, param)

    def _read_input(self, value: Any) -> tuple[str, list[Image.Image]]:
        """Return the prompt text (last user message) and every decodable input image."""
        if value is None:
            return "", []
        if isinstance(value, str):
            return value, []
        if not isinstance(value, list):
            raise _invalid("Invalid type for 'input': expected a string or an array.", "input", "invalid_type")
        prompt = ""
        images: list[Image.Image] = []
        for item in value:
            if not isinstance(item, dict):
                raise _invalid("Invalid type for 'input' item: expected an object.", "input", "invalid_type")
            if item.get("type", "message") != "message":
                continue
            content = item.get("content")
            texts: list[str] = []
            if isinstance(content, str):
                texts.append(content)
            elif isinstance(content, list):
                for part in content:
                    if not isinstance(part, dict):
                        raise _invalid("Invalid content part: expected an object.", "input", "invalid_type")
                    if part.get("type") == "input_text" and isinstance(part.get("text"), str):
                        texts.append(part["text"])
                    elif part.get("type") == "input_image":
                        image = self._load_image(part, "input")
                        if image is not None:
                            images.append(image)
            if item.get("role") == "user":
                prompt = "\n".join(texts)
        return prompt, images

    def _read_tool(self, tools: list[Any], tool_choice: Any) -> tuple[list[Any], _ImageSpec | None]:
        """Validate the first image_generation tool; return echoed tools (defaults filled) and its spec."""
        index = next((i for i, t in enumerate(tools) if isinstance(t, dict) and t.get("type") == "image_generation"), None)
        if index is None:
            forced = tool_choice == "required" or (
                isinstance(tool_choice, dict)
                and (
                    tool_choice.get("type") == "image_generation"
                    or (
                        tool_choice.get("type") == "allowed_tools"
                        and tool_choice.get("mode") == "required"
                        and any(isinstance(t, dict) and t.get("type") == "image_generation" for t in tool_choice.get("tools", []))
                    )
                )
            )
            if forced:
                raise _invalid("Tool choice 'image_generation' not found in 'tools' parameter.", "tool_choice")
            return tools, None
        if tool_choice == "none":
            return tools, None
        tool = tools[index]
        param = f"tools[{index}]"

        model = tool.get("model", DEFAULT_IMAGE_MODEL)
        if not isinstance(model, str) or not model:
            raise _invalid("Invalid type for 'model': expected a non-empty string.", f"{param}.model", "invalid_type")

        size = tool.get("size", "auto")
        if not isinstance(size, str):
            raise _invalid("Invalid type for 'size': expected a string.", f"{param}.size", "invalid_type")
        try:
            canonical = image_models.validate_size(size, model)
        except InvalidInput:
            accepted = image_models.accepted_sizes_text(model)
            raise _invalid(f"Invalid size '{size}'. {accepted}.", f"{param}.size") from None
        parsed = image_models.parse_size(canonical)
        width, height = (parsed.width, parsed.height) if parsed else (1024, 1024)  # "auto" renders 1024x1024

        output_format = _choice(tool, "output_format", "png", image_models.OUTPUT_FORMATS, param)
        background = _choice(tool, "background", "auto", image_models.BACKGROUNDS, param)
        combination = image_models.ImageOptions(background=background, output_format=output_format)
        try:
            image_models.validate_options(combination, model)  # no transparent JPEG, as image_models judges it
        except InvalidInput:
            raise _invalid(
                f"Transparent background is not supported for output_format '{output_format}'; use png or webp.",
                f"{param}.background",
            ) from None
        quality = _choice(tool, "quality", "auto", image_models.qualities_for(model), param, model=model)
        moderation = _choice(tool, "moderation", "auto", image_models.MODERATIONS, param)
        compression = tool.get("output_compression", 100)
        if not isinstance(compression, int) or isinstance(compression, bool) or not 0 <= compression <= 100:
            raise _invalid("output_compression must be an integer between 0 and 100.", f"{param}.output_compression")
        partial_images = tool.get("partial_images", 0)
        if not isinstance(partial_images, int) or isinstance(partial_images, bool) or not 0 <= partial_images <= 3:
            raise _invalid("partial_images must be an integer between 0 and 3.", f"{param}.partial_images")
        action = tool.get("action", "auto")
        if action not in ("generate", "edit", "auto"):
            raise _invalid(f"Invalid action '{action}'.", f"{param}.action")
        mask = tool.get("input_image_mask")
        if isinstance(mask, dict):
            self._load_image(mask, f"{param}.input_image_mask")

        echoed = dict(tool)
        for key, default in (
            ("model", model),
            ("size", size),
            ("quality", quality),
            ("background", background),
            ("output_format", output_format),
            ("output_compression", compression),
            ("partial_images", partial_images),
            ("action", action),
            ("moderation", moderation),
        ):
            echoed.setdefault(key, default)
        echoed_tools = list(tools)
        echoed_tools[index] = echoed
        spec = _ImageSpec(
            width=width,
            height=height,
            output_format=output_format,
            transparent=background == "transparent",
            background="transparent" if background == "transparent" else "opaque",
            # The real API reports the quality it actually used; "auto" resolves to medium here.
            quality="medium" if quality == "auto" else quality,
            compression=compression,
            partial_images=partial_images,
            action=action,
            model=model,
        )
        return echoed_tools, spec

    def _refuse_background(self, body: dict[str, Any]) -> None:
        """While ``refuse_background`` is on: OpenAI's 400 for an unknown parameter, for either background field."""
        with self._lock:
            refusing = self._refusing_background
        if refusing:
            for name in ("background", "background_options"):
                if name in body:
                    raise _invalid(f"Unknown parameter: '{name}'.", name, "unknown_parameter")

    def _background_settings(self, body: dict[str, Any]) -> tuple[bool, str]:
        """``background`` and ``background_options.completion_window``, checked against each other and the body."""
        background = body.get("background")
        if background not in (None, True, False):
            raise _invalid("Invalid type for 'background': expected a boolean.", "background", "invalid_type")
        options = body.get("background_options")
        if options is None:
            options = {}
        if not isinstance(options, dict):
            raise _invalid("Invalid type for 'background_options': expected an object.", "background_options", "invalid_type")
        window = options.get("completion_window", "soonest")
        param = "background_options.completion_window"
        if window not in COMPLETION_WINDOWS:
            allowed = ", ".join(COMPLETION_WINDOWS)
            raise _invalid(f"Invalid completion_window '{window}'. Supported values: {allowed}.", param)
        if not isinstance(options.get("continuation_id", ""), str):
            raise _invalid(
                "Invalid type for 'continuation_id': expected a string.",
                "background_options.continuation_id",
                "invalid_type",
            )
        if background is True and body.get("store") is False:
            raise _invalid("Background mode requires 'store' to be true: set store to true or leave it out.", "background")
        if window != "soonest":
            # The SDK: "The `2h` and `8h` completion windows require `background: true`, Standard
            # processing, and `stream: false` or omitted." (BackgroundOptions in response_create_params.py)
            if background is not True:
                raise _invalid(f"The '{window}' completion window requires 'background' to be true.", param)
            if body.get("stream") is True:
                raise _invalid(
                    f"The '{window}' completion window cannot be streamed: leave out 'stream' and retrieve the response.",
                    param,
                )
            if body.get("service_tier") in ("flex", "priority"):
                raise _invalid(
                    f"The '{window}' completion window requires Standard processing, not service_tier '{body['service_tier']}'.",
                    param,
                )
        return background is True, window

    def _plan(self, body: dict[str, Any]) -> _Plan:
        background, window = self._background_settings(body)
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise _invalid("Missing required parameter: 'model'.", "model", "missing_required_parameter")
        previous: dict[str, Any] | None = None
        previous_id = body.get("previous_response_id")
        if previous_id is not None:
            with self._lock:
                previous = self.responses.get(previous_id) if isinstance(previous_id, str) else None
            if previous is None:
                raise ApiError(
                    404 if self.expired_status == 404 else 400,
                    f"Previous response with id '{previous_id}' not found.",
                    code="previous_response_not_found",
                    param="previous_response_id",
                )
            if previous.get("status") in ("queued", "in_progress"):
                # A background response still running has no output to continue from yet.
                raise ApiError(
                    400,
                    f"Previous response with id '{previous_id}' is still {previous['status']}; "
                    "wait for it to complete before continuing from it.",
                    code="previous_response_not_completed",
                    param="previous_response_id",
                )
        prompt, images = self._read_input(body.get("input"))
        tools = body.get("tools") or []
        if not isinstance(tools, list):
            raise _invalid("Invalid type for 'tools': expected an array.", "tools", "invalid_type")
        echoed_tools, spec = self._read_tool(tools, body.get("tool_choice", "auto"))
        return _Plan(
            body=body,
            model=model,
            prompt=prompt,
            input_images=images,
            tools=echoed_tools,
            spec=spec,
            stream=body.get("stream") is True,
            store=body.get("store", True) is not False,
            previous=previous,
            background=background,
            completion_window=window,
        )

    # ---- response building

    def _response_head(self, plan: _Plan) -> dict[str, Any]:
        """A new response with nothing done yet, except that its status says "completed"."""
        now = int(time.time())
        return {
            "id": _new_id("resp_"),
            "object": "response",
            "created_at": now,
            "completed_at": now,
            "status": "completed",
            "background": plan.background,
            "model": plan.model,
            "output": [],
            "error": None,
            "incomplete_details": None,
            "instructions": plan.body.get("instructions"),
            "metadata": plan.body.get("metadata") or {},
            "parallel_tool_calls": plan.body.get("parallel_tool_calls", True),
            "previous_response_id": plan.body.get("previous_response_id"),
            "store": plan.store,
            "tool_choice": plan.body.get("tool_choice", "auto"),
            "tools": plan.tools,
            "usage": None,
            "tool_usage": None,
        }

    def _build_response(self, plan: _Plan, outcome: _Outcome | None) -> dict[str, Any]:
        """Build the final Response JSON (rendering its image, which counts as one of ``generations``)."""
        kind = outcome.kind if outcome else None
        kw = outcome.kw if outcome else {}
        spec = plan.spec
        response = self._response_head(plan)
        text_tokens = 10 + len(plan.prompt) // 4
        input_tokens = 20 + text_tokens + 85 * len(plan.input_images)
        if plan.previous is not None and plan.previous.get("usage"):
            input_tokens += plan.previous["usage"]["total_tokens"]
        image_in = (0, 0)  # (text tokens, image tokens) seen by the image model
        image_out = 0

        if kind == "failed_response":
            response["status"] = "failed"
            response["completed_at"] = None
            response["error"] = {
                "code": kw.get("code", "server_error"),
                "message": kw.get("message", "The server had an error while processing your request."),
            }
        elif kind == "incomplete":
            response["status"] = "incomplete"
            response["completed_at"] = None
            response["incomplete_details"] = {"reason": kw.get("reason", "max_output_tokens")}
            response["output"].append({"type": "reasoning", "id": _new_id("rs_"), "summary": []})
        elif kind == "no_image" or spec is None:
            if kind != "no_image":
                response["output"].append({"type": "reasoning", "id": _new_id("rs_"), "summary": []})
            response["output"].append(_message("I can't make that image. Could you describe it differently?"))
        else:
            call: dict[str, Any] = {
                "id": _new_id("ig_"),
                "type": "image_generation_call",
                "status": "completed",
                "result": None,
                "revised_prompt": "Revised: " + plan.prompt,
                "action": spec.action if spec.action != "auto" else ("edit" if plan.input_images else "generate"),
                "background": spec.background,
                "output_format": spec.output_format,
                "quality": spec.quality,
                "size": spec.size,
            }
            image_in = (text_tokens, 1024 * len(plan.input_images))
            if kind == "moderated":
                call.update(
                    status="failed",
                    revised_prompt=None,
                    error={
                        "code": "moderation_blocked",
                        "type": "image_generation_user_error",
                        "param": None,
                        "message": "Your request was rejected by the safety system.",
                        "moderation_details": {
                            "categories": list(kw.get("categories", ["violence"])),
                            "moderation_stage": "input",
                        },
                    },
                )
                text = "I couldn't create that image because the request was blocked by the safety system."
            else:
                with self._lock:
                    self.generations += 1
                if self.photo_like:
                    image = render_photo(
                        spec.width,
                        spec.height,
                        spec.output_format,
                        transparent=spec.transparent,
                        compression=spec.compression,
                    )
                else:
                    image = render_image(
                        plan.prompt,
                        spec.width,
                        spec.height,
                        spec.output_format,
                        transparent=spec.transparent,
                        compression=spec.compression,
                        inset=plan.input_images[0] if plan.input_images else None,
                    )
                if kind == "damaged_image":
                    image = image[: len(image) // 2]
                call["result"] = "!!!not-base64!!!" if kind == "bad_base64" else base64.b64encode(image).decode()
                partials = spec.partial_images if plan.stream else 0
                # Each streamed partial image adds 100 output tokens (OpenAI's image generation guide, via apidog).
                image_out = _image_tokens(spec.quality, spec.width, spec.height) + 100 * partials
                text = "Here is your image."
            response["output"] += [{"type": "reasoning", "id": _new_id("rs_"), "summary": []}, call, _message(text)]

        output_tokens = 30 if response["output"] else 0
        response["usage"] = {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 12 if output_tokens else 0},
            "total_tokens": input_tokens + output_tokens,
        }
        response["tool_usage"] = {
            "image_gen": {
                "input_tokens": sum(image_in),
                "input_tokens_details": {"image_tokens": image_in[1], "text_tokens": image_in[0]},
                "output_tokens": image_out,
                "output_tokens_details": {"image_tokens": image_out, "text_tokens": 0},
                "total_tokens": sum(image_in) + image_out,
            },
            "web_search": {"num_requests": 0},
        }
        return response

    def _events(self, plan: _Plan, response: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The SSE events (without sequence numbers) that stream ``response``."""
        snapshot = dict(response, status="in_progress", output=[], usage=None, tool_usage=None, completed_at=None, error=None)
        yield {"type": "response.created", "response": snapshot}
        yield {"type": "response.in_progress", "response": snapshot}
        yield from self._body_events(plan, response)

    def _body_events(self, plan: _Plan, response: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The events after ``response.in_progress``, through the one that ends the response."""
        if response["status"] == "failed":
            yield {"type": "response.failed", "response": response}
            return
        for index, item in enumerate(response["output"]):
            if item["type"] == "image_generation_call":
                yield from self._image_events(plan, index, item)
            elif item["type"] == "message":
                yield from _message_events(index, item)
            else:
                yield {"type": "response.output_item.added", "output_index": index, "item": item}
                yield {"type": "response.output_item.done", "output_index": index, "item": item}
        ending = "response.incomplete" if response["status"] == "incomplete" else "response.completed"
        yield {"type": ending, "response": response}

    def _image_events(self, plan: _Plan, index: int, item: dict[str, Any]) -> Iterator[dict[str, Any]]:
        spec = plan.spec
        assert spec is not None
        ids = {"output_index": index, "item_id": item["id"]}
        started = {"id": item["id"], "type": "image_generation_call", "status": "in_progress", "result": None}
        yield {"type": "response.output_item.added", "output_index": index, "item": started}
        yield {"type": "response.image_generation_call.in_progress", **ids}
        if item["status"] != "failed":
            yield {"type": "response.image_generation_call.generating", **ids}
            scale = min(1.0, _PARTIAL_MAX_EDGE / max(spec.width, spec.height))
            for n in range(spec.partial_images):
                partial = render_image(
                    plan.prompt,
                    max(1, round(spec.width * scale)),
                    max(1, round(spec.height * scale)),
                    spec.output_format,
                    transparent=spec.transparent,
                    compression=spec.compression,
                    detail=n + 1,
                )
                yield {
                    "type": "response.image_generation_call.partial_image",
                    **ids,
                    "partial_image_index": n,
                    "partial_image_b64": base64.b64encode(partial).decode(),
                    "size": spec.size,
                    "quality": spec.quality,
                    "background": spec.background,
                    "output_format": spec.output_format,
                }
            yield {"type": "response.image_generation_call.completed", **ids}
        yield {"type": "response.output_item.done", "output_index": index, "item": item}


def _not_found(response_id: str) -> ApiError:
    return ApiError(404, f"Response with id '{response_id}' not found.", param="response_id")


def _cut_point(plan: _Plan) -> str:
    """The event after which a ``stream_cut`` outcome closes the stream."""
    if plan.spec is None:
        return "response.in_progress"
    if plan.spec.partial_images > 0:
        return "response.image_generation_call.partial_image"
    return "response.image_generation_call.generating"


def _sse_frame(event: dict[str, Any]) -> bytes:
    return f"event: {event['type']}\ndata: {json.dumps(event, separators=(',', ':'))}\n\n".encode()


def _message(text: str) -> dict[str, Any]:
    return {
        "id": _new_id("msg_"),
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
    }


def _message_events(index: int, item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    part = item["content"][0]
    ids = {"item_id": item["id"], "output_index": index, "content_index": 0}
    yield {
        "type": "response.output_item.added",
        "output_index": index,
        "item": dict(item, status="in_progress", content=[]),
    }
    yield {"type": "response.content_part.added", **ids, "part": dict(part, text="")}
    yield {"type": "response.output_text.delta", **ids, "delta": part["text"], "logprobs": []}
    yield {"type": "response.output_text.done", **ids, "text": part["text"], "logprobs": []}
    yield {"type": "response.content_part.done", **ids, "part": part}
    yield {"type": "response.output_item.done", "output_index": index, "item": item}


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the fake OpenAI server in the foreground.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: random)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before answering POST /v1/responses")
    parser.add_argument("--render-seconds", type=float, default=0.2, help="seconds a background response takes to render its image")
    parser.add_argument("--photo-like", action="store_true", help="final images photo-like (about 1.6 MB PNG at 1024x1024)")
    args = parser.parse_args()
    fake = FakeOpenAI(latency=args.latency, port=args.port, render_seconds=args.render_seconds, photo_like=args.photo_like).start()
    print(fake.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
