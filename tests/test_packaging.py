"""The package: pyproject.toml agrees with requirements.txt and the tree, and a fresh `pip install` gives a working command."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT, uv_command, uv_environment

import openai_images_mcp

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]


def _requirements(lines: list[str]) -> dict[str, list[str]]:
    """Each requirement's normalized name (PEP 503) and its version clauses, e.g. {"mcp-types": ["<3", ">=2.3"]}."""
    found = {}
    for line in lines:
        text = line.split("#")[0].strip()
        if not text:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)", text)
        assert match, f"not a plain requirement: {text!r}"
        found[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = sorted(c.replace(" ", "") for c in match.group(2).split(",") if c.strip())
    return found


def test_dependencies_equal_requirements_txt():
    assert _requirements(PROJECT["dependencies"]) == _requirements((ROOT / "requirements.txt").read_text().splitlines())


def test_every_module_imported_directly_is_declared():
    declared = set(_requirements(PROJECT["dependencies"]))
    assert {"mcp-types", "fastmcp", "openai", "pillow", "filelock"} <= declared


def test_the_modules_are_every_root_module_but_the_manual_smoke_test():
    modules = sorted(path.stem for path in ROOT.glob("*.py") if path.stem != "test_local")
    assert sorted(PYPROJECT["tool"]["setuptools"]["py-modules"]) == modules


def test_the_command_and_version_come_from_the_modules():
    assert PROJECT["scripts"] == {"openai-images-mcp": "cli:main"}
    assert PROJECT["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "openai_images_mcp.__version__"}
    assert PROJECT["requires-python"] == ">=3.11"


def _source(tmp_path: Path) -> Path:
    """A copy of what an sdist holds, so that a build's build/ and *.egg-info stay out of the checkout."""
    source = tmp_path / "source"
    source.mkdir()
    for path in [*ROOT.glob("*.py"), ROOT / "pyproject.toml", ROOT / "README.md", ROOT / "LICENSE", ROOT / "requirements.txt"]:
        shutil.copy2(path, source / path.name)
    return source


async def _lists_its_tools(command: str, args: list[str], env: dict[str, str], cwd: Path) -> None:
    from fastmcp import Client
    from fastmcp.client.transports import StdioTransport

    async with Client(StdioTransport(command, args, env=env, cwd=str(cwd), keep_alive=False)) as client:
        tools = {tool.name for tool in await client.list_tools()}
        assert client.server_info.version == openai_images_mcp.__version__
    assert {"openai_generate_image", "openai_conversational_image", "openai_list_conversations", "openai_get_image"} <= tools


@pytest.mark.slow
@pytest.mark.integration
async def test_uvx_from_the_source_gives_the_command(tmp_path, server_env):
    uv = uv_command()
    env = {**server_env, **uv_environment(uv)}
    run = [uv, "tool", "run", "--from", str(_source(tmp_path)), "openai-images-mcp"]  # what `uvx --from . openai-images-mcp` runs
    version = subprocess.run([*run, "--version"], capture_output=True, text=True, timeout=900, env=env, cwd=tmp_path)
    assert version.stdout.strip() == f"openai-images-mcp {openai_images_mcp.__version__}", version.stderr[-3000:]
    await _lists_its_tools(run[0], run[1:], env, tmp_path)


@pytest.mark.slow
@pytest.mark.integration
async def test_pip_install_in_a_fresh_venv_gives_a_command_that_answers_tools_list(tmp_path, server_env):
    source = _source(tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    install = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(source)], capture_output=True, text=True, timeout=900
    )
    assert install.returncode == 0, install.stderr[-3000:]
    command = bin_dir / ("openai-images-mcp.exe" if os.name == "nt" else "openai-images-mcp")
    version = subprocess.run([str(command), "--version"], capture_output=True, text=True, timeout=60)
    assert version.stdout.strip() == f"openai-images-mcp {openai_images_mcp.__version__}"
    site = subprocess.run(
        [str(bin_dir / "python"), "-c", "import cli, openai_images_mcp; print(cli.__file__)"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert Path(site.stdout.strip()).parent != ROOT  # the installed copy, not the checkout

    await _lists_its_tools(str(command), [], server_env, tmp_path)
