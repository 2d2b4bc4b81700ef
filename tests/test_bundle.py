"""The Claude Desktop bundle (manifest.json) and the registry entry (server.json): they agree with the server,
pass their validators, and the bundle scripts/build_bundle.py makes starts the way Claude Desktop starts it."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import jsonschema
import pytest
from conftest import FAKE_KEY, ROOT, result_text, uv_command, uv_environment

import openai_images_mcp
from openai_images import settings

MANIFEST = json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))
SERVER_JSON = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
REGISTRY_SCHEMA = json.loads((ROOT / "schemas" / "server.schema.json").read_text(encoding="utf-8"))
# The user_config keys, each with the setting it becomes.
USER_SETTINGS = {"openai_api_key": "OPENAI_API_KEY", "output_dir": "OPENAI_IMAGES_OUTPUT_DIR", "image_model": "OPENAI_IMAGE_MODEL"}
SYNC_HINT = "run .venv/bin/python scripts/build_bundle.py --sync"


def _load_build_script():
    spec = importlib.util.spec_from_file_location("build_bundle", ROOT / "scripts" / "build_bundle.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_bundle = _load_build_script()


def resolve_mcp_config(manifest: dict, *, dirname: Path, user_config: dict[str, str], home: Path) -> dict:
    """The command Claude Desktop runs: mcp_config with ${__dirname}, the system folders and ${user_config.KEY}
    replaced in one pass, the manifest's defaults standing in for what the user left out. A placeholder without
    a value stays as it is, and a default is not substituted again (getMcpConfigForManifest in
    src/shared/config.ts of https://github.com/modelcontextprotocol/mcpb does the same)."""
    variables = {"__dirname": str(dirname), "HOME": str(home), "DOWNLOADS": str(home / "Downloads"), "/": os.sep, "pathSeparator": os.sep}
    merged = {key: option["default"] for key, option in manifest.get("user_config", {}).items() if "default" in option}
    merged.update(user_config)
    variables.update({f"user_config.{key}": str(value) for key, value in merged.items()})

    def substitute(text: str) -> str:
        return re.sub(r"\$\{([^}]+)\}", lambda match: variables.get(match.group(1), match.group(0)), text)

    config = manifest["server"]["mcp_config"]
    return {
        "command": substitute(config["command"]),
        "args": [substitute(arg) for arg in config.get("args", [])],
        "env": {name: substitute(value) for name, value in config.get("env", {}).items()},
    }


def test_manifest_and_server_json_carry_the_servers_version():
    version = openai_images_mcp.__version__
    assert MANIFEST["version"] == version, SYNC_HINT
    assert SERVER_JSON["version"] == version, SYNC_HINT
    pypi = next(package for package in SERVER_JSON["packages"] if package["registryType"] == "pypi")
    assert pypi["version"] == version, SYNC_HINT


async def test_manifest_lists_exactly_the_servers_tools():
    tools = await openai_images_mcp.mcp.list_tools()
    listed = [{"name": tool.name, "description": build_bundle.summary(tool.description)} for tool in tools]
    assert MANIFEST["tools"] == listed, SYNC_HINT
    assert MANIFEST.get("tools_generated", False) is False


def test_every_user_setting_becomes_a_server_setting():
    user_config, env = MANIFEST["user_config"], MANIFEST["server"]["mcp_config"]["env"]
    assert set(user_config) == set(USER_SETTINGS)
    assert env == {name: f"${{user_config.{key}}}" for key, name in USER_SETTINGS.items()}
    assert set(env) <= set(settings.env_names())
    key = user_config["openai_api_key"]
    assert (key["type"], key["sensitive"], key["required"]) == ("string", True, True)
    assert user_config["output_dir"]["type"] == "directory" and not user_config["output_dir"]["required"]
    assert user_config["image_model"]["type"] == "string" and not user_config["image_model"]["required"]


def test_only_the_key_given_the_server_gets_its_defaults(tmp_path, monkeypatch):
    """Claude Desktop leaves a placeholder without a value as it is: every optional setting needs a default
    that the server reads as its own default."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    config = resolve_mcp_config(MANIFEST, dirname=tmp_path / "bundle", user_config={"openai_api_key": FAKE_KEY}, home=home)
    assert not [value for value in config["env"].values() if "${" in value], config["env"]
    read = settings.Settings.from_env(config["env"])
    assert read.api_key == FAKE_KEY
    assert read.output_dir == home / "Downloads"
    assert read.image_model is None


def test_what_the_user_chose_reaches_the_server(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    chosen = {"openai_api_key": FAKE_KEY, "output_dir": str(tmp_path / "Pictures"), "image_model": "gpt-image-1.5"}
    config = resolve_mcp_config(MANIFEST, dirname=tmp_path / "bundle", user_config=chosen, home=tmp_path)
    assert config["args"][:3] == ["run", "--directory", str(tmp_path / "bundle")]
    read = settings.Settings.from_env(config["env"])
    assert (read.api_key, read.output_dir, read.image_model) == (FAKE_KEY, tmp_path / "Pictures", "gpt-image-1.5")


def test_server_json_validates_against_the_registry_schema():
    assert SERVER_JSON["$schema"] == REGISTRY_SCHEMA["$id"], "schemas/server.schema.json is the schema server.json names"
    validator = jsonschema.Draft7Validator(REGISTRY_SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(SERVER_JSON)]
    assert not errors, errors


def test_server_json_names_the_same_project_as_the_manifest():
    repository = SERVER_JSON["repository"]["url"]
    owner, name = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+)", repository).groups()
    assert SERVER_JSON["name"] == f"io.github.{owner}/{name}", "the registry ties io.github.<owner> to that GitHub account"
    assert MANIFEST["repository"]["url"] == repository
    packages = {package["registryType"]: package for package in SERVER_JSON["packages"]}
    assert set(packages) == {"pypi", "mcpb"}
    assert packages["pypi"]["identifier"] == MANIFEST["name"] == "openai-images-mcp"
    assert [variable["name"] for variable in packages["pypi"]["environmentVariables"]] == list(MANIFEST["server"]["mcp_config"]["env"])
    assert packages["mcpb"]["identifier"] == build_bundle.release_url(SERVER_JSON, openai_images_mcp.__version__), SYNC_HINT
    assert re.fullmatch(r"[0-9a-f]{64}", packages["mcpb"]["fileSha256"])


def test_the_bundle_gets_a_pyproject_made_from_requirements_txt():
    project = tomllib.loads(build_bundle.bundle_pyproject("1.2.3"))["project"]
    assert project["dependencies"] == build_bundle.requirements()
    assert "pillow>=11.0,<13" in project["dependencies"] and project["requires-python"] == ">=3.11"


def _npx() -> str:
    npx = shutil.which("npx")
    if not npx:
        pytest.skip("needs Node's npx (https://nodejs.org) for the mcpb CLI")
    return npx


@pytest.mark.slow
def test_the_manifest_passes_mcpb_validate():
    done = subprocess.run(
        [_npx(), "-y", build_bundle.MCPB_CLI, "validate", str(ROOT / "manifest.json")],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 and "validation passes" in done.stdout, done.stdout + done.stderr


@pytest.fixture
def installed_bundle(tmp_path) -> Path:
    """The bundle scripts/build_bundle.py makes, unpacked the way Claude Desktop installs it."""
    _npx()
    built = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_bundle.py"), "--output", str(tmp_path / "dist")],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    bundle = Path(re.search(r"^bundle: (.+)$", built.stdout, re.MULTILINE).group(1))
    assert bundle.name == f"openai-images-mcp-{openai_images_mcp.__version__}.mcpb"
    installed = tmp_path / "Claude Extensions" / "openai-images-mcp"  # a space, as in Claude Desktop's own folder
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        archive.extractall(installed)
    assert {"manifest.json", "icon.png", "pyproject.toml", "requirements.txt", "LICENSE", "openai_images_mcp.py"} <= names
    assert {f"openai_images/{module.name}" for module in (ROOT / "openai_images").glob("*.py")} <= names  # the whole package
    assert not {name for name in names if name.startswith(("tests/", ".venv/", "scripts/")) or name == "test_local.py"}
    return installed


@pytest.mark.slow
@pytest.mark.integration
async def test_the_built_bundle_starts_from_its_manifest_and_makes_an_image(installed_bundle, tmp_path, server_env, home, fake_openai):
    uv = uv_command()
    installed = installed_bundle
    manifest = json.loads((installed / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == MANIFEST

    pictures = tmp_path / "Pictures"
    config = resolve_mcp_config(
        manifest, dirname=installed, user_config={"openai_api_key": FAKE_KEY, "output_dir": str(pictures)}, home=home["home"]
    )
    assert config["command"] == "uv"  # Claude Desktop runs these arguments with the uv it brings
    env = {name: value for name, value in server_env.items() if name not in config["env"]}
    env.update(config["env"])
    env.update(uv_environment(uv))

    from fastmcp import Client
    from fastmcp.client.transports import StdioTransport

    log = tmp_path / "server.log"
    transport = StdioTransport(uv, config["args"], env=env, cwd=str(tmp_path), keep_alive=False, log_file=log)
    async with Client(transport, init_timeout=300, timeout=120) as client:  # the first start installs the packages
        tools = await client.list_tools()
        assert [tool.name for tool in tools] == [tool["name"] for tool in MANIFEST["tools"]]
        made = await client.call_tool("openai_generate_image", {"prompt": "A lighthouse at dawn, watercolour"}, raise_on_error=False)
        assert not made.is_error, result_text(made) + log.read_text()
    path = Path(made.structured_content["path"])
    assert path.parent == pictures and path.is_file()
    assert "model" not in fake_openai.response_requests()[-1]["tools"][0], "an empty image model leaves OpenAI's default"
    assert (installed / ".venv").is_dir(), "uv made the bundle's environment in the bundle's own folder"
