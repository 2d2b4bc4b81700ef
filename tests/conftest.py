"""Shared fixtures and helpers: a temporary home, the fake OpenAI server, a stdio client for the real server
process, the text of a tool result, and small solid-colour test images."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "openai_images_mcp.py"
FAKE_KEY = "sk-test-FAKEKEY0123456789abcdef"

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_openai import FakeOpenAI  # noqa: E402


@pytest.fixture
def fake_openai():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def home(tmp_path: Path) -> dict[str, Path]:
    """A temporary HOME with the server's output and data folders inside it."""
    paths = {"home": tmp_path / "home", "output": tmp_path / "home" / "Downloads", "data": tmp_path / "home" / ".openai-images-mcp"}
    paths["home"].mkdir()
    return paths


@pytest.fixture
def server_env(home, fake_openai) -> dict[str, str]:
    """Environment for a server process that talks only to the fake OpenAI and writes only under `home`."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home["home"]),
        "OPENAI_API_KEY": FAKE_KEY,
        "OPENAI_BASE_URL": fake_openai.base_url,
        "OPENAI_IMAGES_OUTPUT_DIR": str(home["output"]),
        "OPENAI_IMAGES_DATA_DIR": str(home["data"]),
        "OPENAI_IMAGES_TIMEOUT": "30",
        "FASTMCP_CHECK_FOR_UPDATES": "off",
        # ./run_tests.sh coverage measures the server processes too: coverage finds its settings in these.
        **{name: value for name, value in os.environ.items() if name.startswith("COVERAGE_")},
    }


@pytest.fixture
def in_process_env(server_env, monkeypatch):
    """Point the in-process server module at the fake, with fresh settings for this test."""
    import openai_images_mcp

    for name, value in server_env.items():
        if name != "PATH":
            monkeypatch.setenv(name, value)
    monkeypatch.setattr(openai_images_mcp, "services", openai_images_mcp.Services())
    return server_env


def stdio_client(env: dict[str, str], log_file: Path | None = None, **kwargs):
    """A fastmcp Client that spawns `python openai_images_mcp.py` with exactly `env`."""
    from fastmcp import Client
    from fastmcp.client.transports import StdioTransport

    transport = StdioTransport(sys.executable, [str(SERVER)], env=env, cwd=str(ROOT), keep_alive=False, log_file=log_file)
    return Client(transport, **kwargs)


async def call_tool(client, tool: str, args: dict):
    """Call `tool` and return its result even when it is a tool error, so the test can read the message."""
    return await client.call_tool(tool, args, raise_on_error=False)


def result_text(result) -> str:
    """The text blocks of a tool result, one per line (images and resource links left out)."""
    return "\n".join(block.text for block in result.content if block.type == "text")


def image_bytes(size: tuple[int, int] = (64, 48), *, fmt: str = "PNG", mode: str = "RGB", color=(200, 30, 30)) -> bytes:
    """A solid `color` image of `size` (width, height) in Pillow `mode`, encoded as `fmt` (PNG, JPEG, WEBP, GIF ...)."""
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, fmt)
    return buffer.getvalue()


def write_image(path: Path, size: tuple[int, int] = (64, 48), *, fmt: str = "PNG", mode: str = "RGB", color=(200, 30, 30)) -> Path:
    """`image_bytes(size, ...)` written to `path`; returns `path`."""
    path.write_bytes(image_bytes(size, fmt=fmt, mode=mode, color=color))
    return path


def same_pixels(sent: bytes, original: bytes) -> bool:
    """True when `sent` is `original`'s picture in the same format (input images are encoded again, without metadata)."""
    with Image.open(io.BytesIO(sent)) as a, Image.open(io.BytesIO(original)) as b:
        if (a.format, a.size) != (b.format, b.size):
            return False
        if a.format == "JPEG":  # encoded again with the same tables: within a step or two of every pixel
            return max(abs(x - y) for x, y in zip(a.convert("RGB").tobytes(), b.convert("RGB").tobytes())) <= 8
        return a.convert("RGBA").tobytes() == b.convert("RGBA").tobytes()


def uv_command() -> str:
    """The uv beside this Python, or on PATH; the test is skipped without one."""
    beside = Path(sys.executable).with_name("uv.exe" if os.name == "nt" else "uv")
    uv = str(beside) if beside.exists() else shutil.which("uv")
    if not uv:
        pytest.skip("needs uv (pip install uv), which Claude Desktop brings for bundles of server type uv")
    return uv


def uv_environment(uv: str) -> dict[str, str]:
    """uv reads no pip settings: give it the package sources pip uses here (a mirror, a folder of wheels), this
    test's Python so it downloads none, and the user's uv cache so each run does not fetch every package again."""
    env = {"UV_PYTHON": sys.executable, "UV_INDEX_STRATEGY": "unsafe-best-match"}
    cache = subprocess.run([uv, "cache", "dir"], capture_output=True, text=True, check=True).stdout.strip()
    env["UV_CACHE_DIR"] = cache
    listed = subprocess.run([sys.executable, "-m", "pip", "config", "list"], check=False, capture_output=True, text=True).stdout
    pip = {}
    for line in listed.splitlines():  # e.g. global.extra-index-url='file:///opt/pypi/simple'
        key, _, value = line.partition("=")
        pip[key.rsplit(".", 1)[-1]] = value.strip().strip("'\"")
    for option, uv_name in {
        "index-url": "UV_DEFAULT_INDEX",
        "extra-index-url": "UV_INDEX",
        "find-links": "UV_FIND_LINKS",
        "cert": "SSL_CERT_FILE",
    }.items():
        value = os.environ.get(f"PIP_{option.replace('-', '_').upper()}") or pip.get(option)
        if value:
            env[uv_name] = value
    return env


from s3_server import s3_bucket, s3_server  # noqa: E402,F401  (the S3 test server fixtures)
