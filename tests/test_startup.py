"""Start-up stays cheap and the tool schemas stay simple for the calling model."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from conftest import ROOT


def test_importing_the_server_loads_neither_openai_nor_pillow():
    code = "import sys, openai_images_mcp; print(sorted(m for m in ('openai', 'PIL') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_importing_the_server_leaves_the_garbage_collector_on_with_start_up_objects_frozen():
    code = "import gc, openai_images_mcp; print(gc.isenabled(), gc.get_freeze_count() > 50_000)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]


def test_importing_the_server_writes_nothing_to_stdout_and_creates_no_folders(tmp_path):
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", "import openai_images_mcp"], cwd=ROOT, env=env, capture_output=True, check=True)
    assert out.stdout == b""
    assert list(tmp_path.iterdir()) == []


def test_tool_schemas_are_flat_objects_with_described_parameters():
    import openai_images_mcp

    for tool in asyncio.run(openai_images_mcp.mcp.list_tools()):
        schema = tool.parameters
        assert schema["type"] == "object" and "anyOf" not in schema and "$defs" not in schema
        assert tool.description and len(tool.description) < 1200
        for name, prop in schema["properties"].items():
            assert prop.get("description"), (tool.name, name)
