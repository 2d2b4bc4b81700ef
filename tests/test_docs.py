"""The README and the docs site stay true to the code: every setting, tool, tool parameter and module is documented."""

from __future__ import annotations

import ast
import asyncio
import re
from pathlib import Path

from openai_images import settings

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = (ROOT / "README.md").read_text()
README_MAX_LINES = 300  # the front door: what it is, how to start, the tools; the rest lives in docs/


def _tools():
    import openai_images_mcp

    return asyncio.run(openai_images_mcp.mcp.list_tools())


def test_every_setting_is_in_the_settings_table():
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", (DOCS / "settings.md").read_text(), flags=re.MULTILINE))
    assert documented == set(settings.env_names())


def test_every_tool_parameter_is_on_the_tools_page():
    page = (DOCS / "tools.md").read_text()
    for tool in _tools():
        assert f"### `{tool.name}`" in page
        for parameter in tool.parameters["properties"]:
            assert f"`{parameter}`" in page, (tool.name, parameter)


def test_the_readme_has_every_tool_in_its_table_and_each_has_a_section_in_the_docs():
    rows = re.findall(r"^\| `(openai_[a-z_]+)` \|", README, flags=re.MULTILINE)
    assert {tool.name for tool in _tools()} <= set(rows)
    page = (DOCS / "tools.md").read_text()
    assert [name for name in rows if f"### `{name}`" not in page] == []


def test_the_readme_is_short():
    assert len(README.splitlines()) <= README_MAX_LINES


def test_every_relative_link_in_the_readme_points_at_a_file_that_exists():
    targets = re.findall(r"\]\(([^)\s]+)\)", README)
    relative = [target for target in targets if not re.match(r"[a-z][a-z0-9+.-]*:|#", target)]
    assert relative, "the README links into docs/"
    missing = [target for target in relative if not (ROOT / target.split("#")[0]).is_file()]
    assert missing == []


def test_the_architecture_page_lists_every_module_in_its_layer_with_its_job():
    from test_layout import LAYERS, SERVER_MODULE

    page = (DOCS / "architecture.md").read_text()
    rows = re.findall(r"^\| ([A-Z][a-z]+) \| `([\w/]+)\.py` \| (.+) \|$", page, flags=re.MULTILINE)
    listed = {Path(path).stem: (layer.lower(), job.replace("\\|", "|")) for layer, path, job in rows}
    expected = {}
    for layer, (_, modules) in LAYERS.items():
        for module in modules:
            path = ROOT / f"{module}.py" if module == SERVER_MODULE else ROOT / "openai_images" / f"{module}.py"
            expected[module] = (layer, ast.get_docstring(ast.parse(path.read_text())).splitlines()[0])
    assert listed == expected


def test_settings_defaults_and_validation():
    defaults = settings.Settings.from_env({})
    assert defaults.output_dir == Path("~/Downloads").expanduser().resolve()
    assert defaults.conversations_dir == Path("~/.openai-images-mcp/conversations").expanduser().resolve()
    assert (defaults.timeout, defaults.max_retries, defaults.image_model) == (300.0, 2, None)
    custom = settings.Settings.from_env({"OPENAI_IMAGES_TIMEOUT": "12.5", "OPENAI_IMAGE_MODEL": " gpt-image-2 ", "OPENAI_API_KEY": "  "})
    assert (custom.timeout, custom.image_model, custom.api_key) == (12.5, "gpt-image-2", None)
    assert (defaults.wait_seconds, defaults.background) == (50.0, True)
    chosen = settings.Settings.from_env({"OPENAI_IMAGES_WAIT_SECONDS": "3600", "OPENAI_IMAGES_BACKGROUND": "off"})
    assert (chosen.wait_seconds, chosen.background) == (3600.0, False)


def test_bad_setting_values_name_the_variable():
    import pytest

    from openai_images.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="OPENAI_IMAGES_TIMEOUT"):
        settings.Settings.from_env({"OPENAI_IMAGES_TIMEOUT": "soon"})
    with pytest.raises(ConfigurationError, match="OPENAI_IMAGES_MAX_RETRIES"):
        settings.Settings.from_env({"OPENAI_IMAGES_MAX_RETRIES": "-1"})
    with pytest.raises(ConfigurationError, match="OPENAI_IMAGES_WAIT_SECONDS='0.5' must be a number of seconds from 1 to 3600"):
        settings.Settings.from_env({"OPENAI_IMAGES_WAIT_SECONDS": "0.5"})
    with pytest.raises(ConfigurationError, match="OPENAI_IMAGES_BACKGROUND='maybe' must be true or false"):
        settings.Settings.from_env({"OPENAI_IMAGES_BACKGROUND": "maybe"})
    with pytest.raises(ConfigurationError, match="OPENAI_IMAGES_SAFETY_IDENTIFIER is 129 characters; OpenAI takes at most 128"):
        settings.Settings.from_env({"OPENAI_IMAGES_SAFETY_IDENTIFIER": "x" * 129})
    with pytest.raises(ConfigurationError, match="OPENAI_IMAGES_SAFETY_SECRET must be at least 16 characters"):
        settings.Settings.from_env({"OPENAI_IMAGES_SAFETY_SECRET": "short"})


def test_settings_repr_never_shows_the_key():
    assert "sk-secret" not in repr(settings.Settings.from_env({"OPENAI_API_KEY": "sk-secretvalue123"}))
    assert "hmac-key" not in repr(settings.Settings.from_env({"OPENAI_IMAGES_SAFETY_SECRET": "hmac-key-0123456789"}))
