"""What every phase shares: the checkout's paths, the common settings, temporary folders and the fake OpenAI server."""

from __future__ import annotations

import importlib.util
import os
import statistics
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "openai_images_mcp.py"
FAKE_OPENAI = ROOT / "tests" / "fake_openai.py"

BENCH_KEY = "sk-bench-0123456789abcdef0123456789abcdef"
IMAGE_MODEL = "gpt-image-2"  # a flexible-size model, so 3840x2160 is a valid size
SIZES = ("1024x1024", "1536x1024", "3840x2160")
PROMPT = "A lighthouse on a rocky coast at dusk, waves breaking, oil painting with warm light"
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 120.0
CLOSE_TIMEOUT = 5.0
KB = 1024


class BenchError(Exception):
    """A figure could not be measured (a process died, a call failed, an answer was malformed)."""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values)


def load_fake_openai() -> ModuleType:
    """tests/fake_openai.py as the module `fake_openai`, loaded from its file: tests/ is not a package."""
    if "fake_openai" in sys.modules:  # the test run has it already
        return sys.modules["fake_openai"]
    spec = importlib.util.spec_from_file_location("fake_openai", FAKE_OPENAI)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fake_openai"] = module  # its dataclasses look their module up by name while it loads
    spec.loader.exec_module(module)
    return module


class Workspace:
    """Temporary HOME, output and data folders per phase, and the environments of the spawned processes."""

    def __init__(self, root: Path):
        self.root = root

    def folder(self, phase: str) -> Path:
        path = self.root / phase
        (path / "home").mkdir(parents=True, exist_ok=True)
        return path

    def env(self, phase: str, base_url: str, data_dir: Path | None = None) -> dict[str, str]:
        path = self.folder(phase)
        return {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(path / "home"),
            "OPENAI_API_KEY": BENCH_KEY,
            "OPENAI_BASE_URL": base_url,
            "OPENAI_IMAGE_MODEL": IMAGE_MODEL,
            "OPENAI_IMAGES_OUTPUT_DIR": str(path / "output"),
            "OPENAI_IMAGES_DATA_DIR": str(data_dir or path / "data"),
            "OPENAI_IMAGES_TIMEOUT": str(int(REQUEST_TIMEOUT)),
            "FASTMCP_CHECK_FOR_UPDATES": "off",
        }

    def log(self, phase: str) -> Path:
        return self.folder(phase) / "stderr.log"


def ours_argv() -> list[str]:
    return [sys.executable, str(SERVER)]


def sent_request(fake: Any) -> dict[str, Any]:
    """The last Responses request our server sent, minus `stream`: the floor sends exactly this."""
    request = dict(fake.response_requests()[-1])
    request.pop("stream", None)
    if not isinstance(request.get("input"), str):
        raise BenchError("expected a plain-text Responses input from openai_generate_image")
    return request
