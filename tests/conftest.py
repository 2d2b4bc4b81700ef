"""Shared fixtures: a temporary home, the fake OpenAI server, and a stdio client for the real server process."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

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
