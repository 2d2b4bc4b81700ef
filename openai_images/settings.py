"""Settings, read from the environment in one place.

Each field's docstring is the documentation: tests check that the README's
settings table names every variable declared here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from openai_images.errors import ConfigurationError, remember_secret

DEFAULT_ASSISTANT_MODEL = "gpt-6-astra"
DEFAULT_TIMEOUT_SECONDS = 300.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_WAIT_SECONDS = 50.0  # under the 60 s after which Claude Desktop on macOS and the TypeScript SDK give up
MAX_SAFETY_IDENTIFIER = 128  # safety_identifier in types/responses/response_create_params.py
MAX_WAIT_SECONDS = 3600.0
DEFAULT_LINK_SECONDS = 3600
MAX_LINK_SECONDS = 7 * 24 * 3600  # what S3 allows a presigned link
DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024  # tool arguments are text: prompts are at most 32,000 characters
# The SVG author's reasoning effort: ImageGenerationSvgReasoning.effort in types/responses/tool_param.py.
SVG_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
INLINE_PREVIEWS = ("auto", "always", "never")


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _path(value: Path) -> Path:
    return value.expanduser().resolve()


@dataclass(frozen=True, kw_only=True)
class Settings:
    api_key: str | None = field(default=None, repr=False, metadata={"env": "OPENAI_API_KEY"})
    """Your OpenAI API key. Required for every call that generates an image."""

    base_url: str | None = field(default=None, metadata={"env": "OPENAI_BASE_URL"})
    """Another OpenAI-compatible endpoint, e.g. a proxy (default: OpenAI's)."""

    organization: str | None = field(default=None, metadata={"env": "OPENAI_ORG_ID"})
    """OpenAI organization id to bill, when your key belongs to several."""

    project: str | None = field(default=None, metadata={"env": "OPENAI_PROJECT_ID"})
    """OpenAI project id to bill."""

    image_model: str | None = field(default=None, metadata={"env": "OPENAI_IMAGE_MODEL"})
    """Image model for the image_generation tool; unset uses the API's default (gpt-image-2.6-sunburst)."""

    assistant_model: str = field(default=DEFAULT_ASSISTANT_MODEL, metadata={"env": "OPENAI_ASSISTANT_MODEL"})
    """Mainline Responses model that calls the image tool (default gpt-6-astra)."""

    output_dir: Path = field(default=Path("~/Downloads"), metadata={"env": "OPENAI_IMAGES_OUTPUT_DIR"})
    """Folder for saved images (default ~/Downloads); created when missing."""

    data_dir: Path = field(default=Path("~/.openai-images-mcp"), metadata={"env": "OPENAI_IMAGES_DATA_DIR"})
    """Folder for conversations (default ~/.openai-images-mcp; files go in its conversations/)."""

    timeout: float = field(default=DEFAULT_TIMEOUT_SECONDS, metadata={"env": "OPENAI_IMAGES_TIMEOUT"})
    """Seconds a foreground request may take, and a background stream may stay silent before it is picked up again (default 300)."""

    wait_seconds: float = field(default=DEFAULT_WAIT_SECONDS, metadata={"env": "OPENAI_IMAGES_WAIT_SECONDS"})
    """Longest a generating call waits for its image (1-3600, default 50); later it answers "rendering" and the image is collected with openai_get_image."""

    background: bool = field(default=True, metadata={"env": "OPENAI_IMAGES_BACKGROUND"})
    """false: send foreground requests instead of OpenAI background responses (which survive dropped connections and restarts)."""

    max_concurrent_per_user: int | None = field(default=None, metadata={"env": "OPENAI_IMAGES_MAX_CONCURRENT_PER_USER"})
    """The most renders one user may have in progress at once (unset: no limit)."""

    daily_images_per_user: int | None = field(default=None, metadata={"env": "OPENAI_IMAGES_DAILY_IMAGES_PER_USER"})
    """The most images one user may start per UTC day (unset: no limit)."""

    daily_budget_usd: float | None = field(default=None, metadata={"env": "OPENAI_IMAGES_DAILY_BUDGET_USD"})
    """The most estimated spend (USD) one user may start per UTC day (unset: no limit)."""

    max_retries: int = field(default=DEFAULT_MAX_RETRIES, metadata={"env": "OPENAI_IMAGES_MAX_RETRIES"})
    """Retries after a rate limit (not an exhausted quota), a 5xx or a dropped connection (default 2; timeouts are never retried)."""

    prices: str | None = field(default=None, metadata={"env": "OPENAI_IMAGES_PRICES"})
    """JSON prices (USD per 1M tokens) to add or correct models in the cost table, e.g. {"gpt-5.5": {"text_in": 5, "text_out": 30}}."""

    svg_model: str | None = field(default=None, metadata={"env": "OPENAI_IMAGES_SVG_MODEL"})
    """The model that writes an SVG (output_format svg), sent as svg.model; unset leaves the choice to OpenAI."""

    svg_reasoning_effort: str | None = field(default=None, metadata={"env": "OPENAI_IMAGES_SVG_REASONING_EFFORT"})
    """How hard the SVG author reasons: none, minimal, low, medium, high, xhigh or max; unset uses its default."""

    inline_preview: str = field(default="auto", metadata={"env": "OPENAI_IMAGES_INLINE_PREVIEW"})
    """auto (default): the small preview goes inline except to clients known to turn it into text (ChatGPT); always; never."""

    azure_endpoint: str | None = field(default=None, metadata={"env": "AZURE_OPENAI_ENDPOINT"})
    """Azure OpenAI resource URL; with AZURE_OPENAI_API_KEY it switches the server to Azure."""

    azure_api_key: str | None = field(default=None, repr=False, metadata={"env": "AZURE_OPENAI_API_KEY"})
    """Azure OpenAI key (used instead of OPENAI_API_KEY when AZURE_OPENAI_ENDPOINT is set)."""

    api_version: str | None = field(default=None, metadata={"env": "OPENAI_API_VERSION"})
    """Azure only: a dated API version (e.g. 2025-04-01-preview); unset uses Azure's v1 endpoint (<endpoint>/openai/v1/)."""

    allowed_dirs: tuple[Path, ...] = field(default=(), metadata={"env": "OPENAI_IMAGES_ALLOWED_DIRS"})
    """Folders (separated by ':' or ';' on Windows) that input, mask and reference images may come from; unset allows any."""

    keep_metadata: bool = field(default=False, metadata={"env": "OPENAI_IMAGES_KEEP_METADATA"})
    """true: send input images as their original bytes, EXIF and GPS included; default false sends the decoded picture only."""

    storage: str | None = field(default=None, metadata={"env": "OPENAI_IMAGES_STORAGE"})
    """s3://bucket/prefix to keep conversations and images in an S3-compatible bucket (AWS S3, R2, MinIO ...); unset keeps the local folders."""

    s3_endpoint: str | None = field(default=None, metadata={"env": "OPENAI_IMAGES_S3_ENDPOINT"})
    """The object store's URL for anything but AWS S3, e.g. https://<account>.r2.cloudflarestorage.com or http://minio:9000."""

    link_seconds: int = field(default=DEFAULT_LINK_SECONDS, metadata={"env": "OPENAI_IMAGES_LINK_SECONDS"})
    """How long the presigned links in results stay valid, in seconds (60-604800, default 3600); object storage only."""

    auth_tokens: str | None = field(default=None, repr=False, metadata={"env": "OPENAI_IMAGES_AUTH_TOKENS"})
    """HTTP sign-in for development: user=token pairs separated by commas, or @/path/to/file with one pair per line."""

    safety_identifier: str | None = field(default=None, metadata={"env": "OPENAI_IMAGES_SAFETY_IDENTIFIER"})
    """The stable end-user id sent to OpenAI as safety_identifier on stdio (up to 128 characters; unset sends none)."""

    safety_secret: str | None = field(default=None, repr=False, metadata={"env": "OPENAI_IMAGES_SAFETY_SECRET"})
    """The key of the HMAC that makes each signed-in user's safety_identifier; unset, one is made once and kept with the data."""

    jwt_jwks_url: str | None = field(default=None, metadata={"env": "OPENAI_IMAGES_JWT_JWKS_URL"})
    """HTTP sign-in with your identity provider: the URL of its JSON Web Key Set."""

    jwt_issuer: str | None = field(default=None, metadata={"env": "OPENAI_IMAGES_JWT_ISSUER"})
    """The issuer (iss) every JWT must carry; also published as the authorization server clients sign in with."""

    jwt_audience: str | None = field(default=None, metadata={"env": "OPENAI_IMAGES_JWT_AUDIENCE"})
    """The audience (aud) every JWT must carry, usually this server's public URL."""

    public_url: str | None = field(default=None, metadata={"env": "OPENAI_IMAGES_PUBLIC_URL"})
    """The URL clients reach the HTTP server at (behind a proxy: https://images.example.com); default http://HOST:PORT."""

    allowed_hosts: tuple[str, ...] = field(default=(), metadata={"env": "OPENAI_IMAGES_ALLOWED_HOSTS"})
    """More Host header values the HTTP server answers, separated by commas (DNS-rebinding protection; the public URL's host is allowed)."""

    allowed_origins: tuple[str, ...] = field(default=(), metadata={"env": "OPENAI_IMAGES_ALLOWED_ORIGINS"})
    """Browser origins allowed to call the HTTP server, separated by commas (others get 403)."""

    max_request_bytes: int = field(default=DEFAULT_MAX_REQUEST_BYTES, metadata={"env": "OPENAI_IMAGES_MAX_REQUEST_BYTES"})
    """The largest HTTP request body accepted, in bytes (default 4194304, 4 MB); larger ones get 413."""

    @property
    def uses_azure(self) -> bool:
        return bool(self.azure_endpoint and self.azure_api_key)

    def svg_author(self) -> dict[str, Any] | None:
        """The image tool's `svg` object from the SVG settings, or None when neither is set."""
        author: dict[str, Any] = {}
        if self.svg_model:
            author["model"] = self.svg_model
        if self.svg_reasoning_effort:
            author["reasoning"] = {"effort": self.svg_reasoning_effort}
        return author or None

    @property
    def usage_dir(self) -> Path:
        """Where the per-day usage counts for the limits are kept."""
        return self.data_dir / "usage"

    @property
    def conversations_dir(self) -> Path:
        return self.data_dir / "conversations"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read every setting from `environ` (default: os.environ); blank values count as unset."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}  # each value is of its field's type, as _convert makes it
        for f in fields(cls):
            raw = (env.get(f.metadata["env"]) or "").strip()
            if not raw:
                continue
            values[f.name] = _convert(f.name, f.metadata["env"], raw)
        settings = cls(**values)
        remember_secret(settings.api_key)
        remember_secret(settings.azure_api_key)
        remember_secret(settings.safety_secret)
        for pair in (settings.auth_tokens or "").split(","):
            remember_secret(pair.partition("=")[2].strip() or None)
        for url in (settings.base_url, settings.azure_endpoint):
            parts = urlsplit(url or "")
            remember_secret(parts.password)
            remember_secret(unquote(parts.password or "") or None)
        # Expand "~" for the defaults too, so every path shown to the user is absolute.
        return replace(settings, output_dir=_path(settings.output_dir), data_dir=_path(settings.data_dir))


def env_names() -> list[str]:
    """Every environment variable the server reads, in declaration order."""
    return [f.metadata["env"] for f in fields(Settings)]


def _convert(name: str, env_name: str, raw: str) -> object:
    if name == "timeout":
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if value <= 0:
            raise ConfigurationError(f"{env_name}={raw!r} is not a positive number of seconds (e.g. 300).")
        return value
    if name == "wait_seconds":
        try:
            value = float(raw)
        except ValueError:
            value = 0.0
        if not 1 <= value <= MAX_WAIT_SECONDS:
            raise ConfigurationError(f"{env_name}={raw!r} must be a number of seconds from 1 to 3600 (default 50).")
        return value
    if name in ("max_concurrent_per_user", "daily_images_per_user"):
        if not raw.isdigit() or int(raw) < 1:
            raise ConfigurationError(f"{env_name}={raw!r} must be a whole number of at least 1 (or unset for no limit).")
        return int(raw)
    if name == "daily_budget_usd":
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not value >= 0:
            raise ConfigurationError(f"{env_name}={raw!r} must be an amount of US dollars, e.g. 5 or 0.50 (or unset for no limit).")
        return value
    if name == "link_seconds":
        if not raw.isdigit() or not 60 <= int(raw) <= MAX_LINK_SECONDS:
            raise ConfigurationError(f"{env_name}={raw!r} must be a whole number of seconds from 60 to {MAX_LINK_SECONDS} (7 days).")
        return int(raw)
    if name == "max_request_bytes":
        if not raw.isdigit() or not 1024 <= int(raw) <= 1024**3:
            raise ConfigurationError(f"{env_name}={raw!r} must be a whole number of bytes from 1024 to 1073741824.")
        return int(raw)
    if name == "storage":
        parts = urlsplit(raw)
        if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
            raise ConfigurationError(f"{env_name}={raw!r} must be s3://bucket or s3://bucket/prefix (or unset for the local folders).")
        return raw.rstrip("/")
    if name in ("s3_endpoint", "jwt_jwks_url", "jwt_issuer", "public_url"):
        parts = urlsplit(raw)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(f"{env_name}={raw!r} must be an http:// or https:// URL.")
        return raw.rstrip("/") if name == "public_url" else raw
    if name in ("allowed_hosts", "allowed_origins"):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if name == "max_retries":
        if not raw.isdigit() or int(raw) > 10:
            raise ConfigurationError(f"{env_name}={raw!r} must be a whole number from 0 to 10.")
        return int(raw)
    if name in ("keep_metadata", "background"):
        word = raw.lower()
        if word not in _TRUE | _FALSE:
            raise ConfigurationError(f"{env_name}={raw!r} must be true or false.")
        return word in _TRUE
    if name in ("svg_reasoning_effort", "inline_preview"):
        allowed = SVG_EFFORTS if name == "svg_reasoning_effort" else INLINE_PREVIEWS
        if raw.lower() not in allowed:
            raise ConfigurationError(f"{env_name}={raw!r} must be one of {', '.join(allowed)}.")
        return raw.lower()
    if name == "safety_identifier":
        if len(raw) > MAX_SAFETY_IDENTIFIER:
            raise ConfigurationError(f"{env_name} is {len(raw)} characters; OpenAI takes at most {MAX_SAFETY_IDENTIFIER}.")
        return raw
    if name == "safety_secret":
        if len(raw) < 16:
            raise ConfigurationError(f"{env_name} must be at least 16 characters (a random string), or unset to have one made.")
        return raw
    if name in ("output_dir", "data_dir"):
        return Path(raw)
    if name == "allowed_dirs":
        folders = tuple(_path(Path(part.strip())) for part in raw.split(os.pathsep) if part.strip())
        missing = [str(folder) for folder in folders if not folder.is_dir()]
        if missing:
            raise ConfigurationError(f"{env_name} names folders that do not exist: {', '.join(missing)}.")
        return folders
    return raw
