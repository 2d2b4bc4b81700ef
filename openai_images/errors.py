"""The server's error family.

Every failure a user can act on is one of these, with a message written for
them (what went wrong, what is allowed, which setting to change). The tool
layer turns them into MCP tool errors; anything else is a bug and is reported
as one, with secrets redacted.
"""

from __future__ import annotations

import logging
import re
import sys

from openai_images.safefiles import utf8_std_streams


class ImageServerError(Exception):
    """Base class: `str(error)` is the user-facing message."""


class InvalidInput(ImageServerError):
    """A tool argument is wrong; nothing was sent to OpenAI and no file was touched."""


class NotFound(InvalidInput):
    """An id names no conversation or image that this server has."""


class ConfigurationError(ImageServerError):
    """A setting is missing or wrong (for example no OPENAI_API_KEY)."""


class OpenAIError(ImageServerError):
    """OpenAI answered with an error, or with no usable image."""


class StorageError(ImageServerError):
    """A conversation or image file could not be read or written."""


# sk-..., sk-proj-..., and similar key shapes; also "Bearer <token>" and "api-key: <token>".
_SECRET = re.compile(r"\b(sk-[A-Za-z0-9_\-]{6,}|Bearer\s+[A-Za-z0-9_\-\.]{8,})|(?<=api-key: )\S+", re.IGNORECASE)
# Credentials inside URLs: the user-info of scheme://user:password@host, and key-like query parameters.
_URL_USERINFO = re.compile(r"(?<=://)[^\s/?#@\"'<>]+@")
_URL_KEY_PARAM = re.compile(
    r"([?&;](?:api[-_]?key|key|token|access[-_]?token|auth|authorization|sig|signature|secret|password|passwd|pwd)=)[^&#;\s\"'<>]+",
    re.IGNORECASE,
)
_known_secrets: set[str] = set()


def remember_secret(value: str | None) -> None:
    """Also redact this exact value wherever it appears (keys that are not sk-shaped, such as Azure's)."""
    if value and len(value) >= 8:
        _known_secrets.add(value)


def redact(text: str) -> str:
    """Hide anything shaped like an API key, a bearer token or a URL credential, and every remembered secret."""
    for secret in _known_secrets:
        text = text.replace(secret, "[redacted]")
    text = _URL_USERINFO.sub("[redacted]@", text)
    text = _URL_KEY_PARAM.sub(r"\1[redacted]", text)
    return _SECRET.sub("[redacted]", text)


class RedactingFormatter(logging.Formatter):
    """A log format that never writes a key or token that `remember_secret` has been told about."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def log_to_stderr(level: int) -> None:
    """Send every log line to stderr (stdout is the MCP wire), redacted, FastMCP's own lines included.

    stderr is made to write any text first: a prompt or path in 狐 must not fail a log line on a Windows pipe.
    """
    utf8_std_streams(sys.stderr)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    fastmcp_log = logging.getLogger("fastmcp")  # FastMCP gave itself a rich handler on import: one format on stderr instead
    fastmcp_log.handlers.clear()
    fastmcp_log.propagate = True
