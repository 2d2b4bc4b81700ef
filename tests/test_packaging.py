"""The package: pyproject.toml agrees with requirements.txt and the tree, and a fresh `pip install` gives a working command."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, call_tool, result_text, uv_command, uv_environment
from packaging.specifiers import SpecifierSet  # pytest's own dependency

import openai_images
import openai_images_mcp

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
PACKAGE = ROOT / "openai_images"


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


def test_the_distribution_is_the_server_module_and_the_package():
    assert PYPROJECT["tool"]["setuptools"]["py-modules"] == ["openai_images_mcp"]
    assert PYPROJECT["tool"]["setuptools"]["packages"] == ["openai_images"]
    assert sorted(path.stem for path in ROOT.glob("*.py")) == ["openai_images_mcp", "test_local"]  # test_local.py is not shipped
    assert not [path for path in PACKAGE.iterdir() if path.is_dir() and path.name != "__pycache__"]  # no subpackage to forget


def test_the_command_and_version_come_from_the_package():
    assert PROJECT["scripts"] == {"openai-images-mcp": "openai_images.cli:main"}
    assert PROJECT["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "openai_images.__version__"}
    assert PROJECT["requires-python"] == ">=3.11"
    assert openai_images_mcp.__version__ == openai_images.__version__


def _source(tmp_path: Path) -> Path:
    """A copy of what an sdist holds, so that a build's build/ and *.egg-info stay out of the checkout."""
    source = tmp_path / "source"
    (source / "openai_images").mkdir(parents=True)
    for path in [ROOT / "openai_images_mcp.py", ROOT / "pyproject.toml", ROOT / "README.md", ROOT / "LICENSE", ROOT / "requirements.txt"]:
        shutil.copy2(path, source / path.name)
    for path in PACKAGE.glob("*.py"):
        shutil.copy2(path, source / "openai_images" / path.name)
    return source


@pytest.mark.slow
@pytest.mark.integration
def test_the_wheel_adds_exactly_two_top_level_names(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(tmp_path / "dist"), str(_source(tmp_path))],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    [wheel] = (tmp_path / "dist").glob("openai_images_mcp-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        [record] = [name for name in names if name.endswith(".dist-info/RECORD")]
        recorded = [line.split(",")[0] for line in archive.read(record).decode().splitlines() if line]
    top_level = {name.split("/")[0] for name in recorded if ".dist-info/" not in name}
    assert top_level == {"openai_images_mcp.py", "openai_images"}
    assert {f"openai_images/{path.name}" for path in PACKAGE.glob("*.py")} <= set(names)  # every module, none left behind


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
        [str(bin_dir / "python"), "-c", "import openai_images.cli, openai_images_mcp; print(openai_images_mcp.__file__)"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert Path(site.stdout.strip()).parent != ROOT  # the installed copy, not the checkout
    as_module = subprocess.run(
        [str(bin_dir / "python"), "-m", "openai_images", "--version"], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert as_module.stdout.strip() == version.stdout.strip(), as_module.stderr[-3000:]

    await _lists_its_tools(str(command), [], server_env, tmp_path)


def _locked() -> dict[str, str]:
    """requirements-lock.txt's pins: {normalized name: version}."""
    pins = {}
    for line in (ROOT / "requirements-lock.txt").read_text().splitlines():
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;]+)", line)
        if match:
            pins[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return pins


@pytest.mark.parametrize("requirements", ["requirements.txt", "requirements-test.txt", "requirements-dev.txt"])
def test_the_lock_pins_every_requirement_inside_its_range(requirements):
    pins = _locked()
    lines = [line for line in (ROOT / requirements).read_text().splitlines() if not line.strip().startswith("-")]
    for name, clauses in _requirements(lines).items():
        clauses = [re.sub(r"^\[[^\]]*\]", "", clause) for clause in clauses]  # moto[server]>=5.2: the extra is no version
        assert name in pins, (
            f"{name} is not in requirements-lock.txt; run: uv pip compile --universal --python-version 3.11 requirements-dev.txt -o requirements-lock.txt"
        )
        assert pins[name] in SpecifierSet(",".join(clauses)), (
            f"requirements-lock.txt pins {name}=={pins[name]}, outside {requirements}'s {clauses}"
        )


def _clone(tmp_path: Path) -> Path:
    """What a fresh clone holds: every file git tracks (or would, once committed), copied without the checkout's caches."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, timeout=60, check=True
    )
    clone = tmp_path / "clone"
    for name in filter(None, listed.stdout.decode().split("\0")):
        if (ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, clone / name)
    return clone


@pytest.mark.integration
async def test_the_server_module_of_a_fresh_clone_generates_an_image(tmp_path, server_env):
    from fastmcp import Client
    from fastmcp.client.transports import StdioTransport

    clone = _clone(tmp_path)
    assert not (clone / "openai_images" / "__pycache__").exists()
    elsewhere = tmp_path / "elsewhere"  # as a client starts it: `python3 /path/to/openai_images_mcp.py`, from any folder
    elsewhere.mkdir()
    env = {name: value for name, value in server_env.items() if name not in {"PYTHONPATH", "PYTHONDONTWRITEBYTECODE"}}
    transport = StdioTransport(sys.executable, [str(clone / "openai_images_mcp.py")], env=env, cwd=str(elsewhere), keep_alive=False)
    async with Client(transport) as client:
        made = await call_tool(client, "openai_generate_image", {"prompt": "A red fox in fresh snow, photograph"})
    assert not made.is_error, result_text(made)
    assert Path(made.structured_content["path"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (clone / "openai_images" / "__pycache__").is_dir(), "the clone's own package was imported, not an installed copy"
