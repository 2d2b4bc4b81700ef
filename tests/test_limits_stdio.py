"""Limits on stdio, for the one local user: renders at once, images per day and estimated spend per day; nothing is sent past one."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from conftest import call_tool, result_text, stdio_client

from openai_images import limits

pytestmark = pytest.mark.integration


def _today(home) -> dict:
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    return json.loads((home["data"] / "usage" / f"{day}.json").read_text())["users"]["local"]


async def test_images_per_day_stop_at_the_limit_and_say_when_it_resets(server_env, fake_openai, home):
    async with stdio_client({**server_env, "OPENAI_IMAGES_DAILY_IMAGES_PER_USER": "2"}) as client:
        for prompt in ("A fox", "An owl"):
            assert not (await call_tool(client, "openai_generate_image", {"prompt": prompt})).is_error
        third = await call_tool(client, "openai_generate_image", {"prompt": "A hare"})
        dry = await call_tool(client, "openai_generate_image", {"prompt": "A hare", "dry_run": True})
    text = result_text(third)
    assert third.is_error and "OPENAI_IMAGES_DAILY_IMAGES_PER_USER=2" in text and "resets at 00:00 UTC, in" in text
    assert "nothing was sent" in text and len(fake_openai.response_requests()) == 2
    assert not dry.is_error, "a dry run is not counted"
    used = _today(home)
    assert used["images"] == 2 and used["usd"] > 0


async def test_a_daily_budget_refuses_an_image_that_would_pass_it(server_env, fake_openai, home):
    async with stdio_client({**server_env, "OPENAI_IMAGES_DAILY_BUDGET_USD": "0.01"}) as client:
        refused = await call_tool(client, "openai_generate_image", {"prompt": "A fox", "quality": "high"})
    assert refused.is_error and "OPENAI_IMAGES_DAILY_BUDGET_USD=$0.01" in result_text(refused)
    assert "a lower quality or a smaller size costs less" in result_text(refused)
    assert fake_openai.response_requests() == []


async def test_renders_at_once_are_capped_and_a_failed_render_gives_its_place_back(server_env, fake_openai, home):
    fake_openai.render_seconds = 3.0
    env = {
        **server_env,
        "OPENAI_IMAGES_WAIT_SECONDS": "1",
        "OPENAI_IMAGES_MAX_CONCURRENT_PER_USER": "1",
        "OPENAI_IMAGES_DAILY_IMAGES_PER_USER": "2",
    }
    async with stdio_client(env) as client:
        first = await call_tool(client, "openai_generate_image", {"prompt": "A fox"})
        assert first.structured_content["status"] == "rendering"
        busy = await call_tool(client, "openai_generate_image", {"prompt": "An owl"})
        assert busy.is_error and "OPENAI_IMAGES_MAX_CONCURRENT_PER_USER=1" in result_text(busy)
        await call_tool(client, "openai_get_image", {"conversation_id": first.structured_content["conversation_id"], "wait_seconds": 10})
        fake_openai.render_seconds = 0.2
        fake_openai.queue_outcome("failed_response", code="server_error")
        failed = await call_tool(client, "openai_generate_image", {"prompt": "A hare"})
        assert failed.is_error
        after = await call_tool(client, "openai_generate_image", {"prompt": "A deer"})
        assert not after.is_error, result_text(after)  # the failed one was given back: 2 images, the limit
    assert len(fake_openai.response_requests()) == 3 and _today(home)["images"] == 2


def test_bad_limit_settings_name_the_variable():
    from openai_images.errors import ConfigurationError
    from openai_images.settings import Settings

    for name, value in (
        ("OPENAI_IMAGES_MAX_CONCURRENT_PER_USER", "0"),
        ("OPENAI_IMAGES_DAILY_IMAGES_PER_USER", "many"),
        ("OPENAI_IMAGES_DAILY_BUDGET_USD", "-1"),
    ):
        with pytest.raises(ConfigurationError, match=name):
            Settings.from_env({name: value})
    assert limits.Limits().any is False
