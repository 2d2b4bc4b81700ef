"""The README stays true to the code: every setting and every tool parameter is documented."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from openai_images import settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_setting_is_in_the_readme_table():
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", README, flags=re.MULTILINE))
    assert documented == set(settings.env_names())


def test_every_tool_parameter_is_in_the_readme():
    import openai_images_mcp

    tools = asyncio.run(openai_images_mcp.mcp.list_tools())
    for tool in tools:
        assert f"### `{tool.name}`" in README
        for parameter in tool.parameters["properties"]:
            assert f"`{parameter}`" in README, (tool.name, parameter)


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


def test_settings_repr_never_shows_the_key():
    assert "sk-secret" not in repr(settings.Settings.from_env({"OPENAI_API_KEY": "sk-secretvalue123"}))
