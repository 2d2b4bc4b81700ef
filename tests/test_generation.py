"""The generation pipeline through the tools, in process, against the fake OpenAI server: built prompts and kept sizes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fastmcp import Client

import openai_images_mcp
from openai_images import inputs, rendering, sizes
from openai_images.services import Services


def _long_answer(number: int) -> str:
    """About 30,000 characters of sentences, different for each answer (the prompt builder drops repeats)."""
    return f"Answer {number} is long and very particular about one aspect of the picture. " * 380


def _call(tool: str, args: dict):
    # Each call runs in its own event loop, so it needs its own OpenAI client (the settings come from the environment).
    openai_images_mcp.services = Services()

    async def run():
        async with Client(openai_images_mcp.mcp) as client:
            return await client.call_tool_mcp(tool, args)

    return asyncio.run(run())


def _use_image_model(monkeypatch, model: str) -> None:
    """Restart the in-process server with OPENAI_IMAGE_MODEL set to `model`."""
    monkeypatch.setenv("OPENAI_IMAGE_MODEL", model)


def test_eight_long_answers_still_send_a_prompt_within_the_limit(in_process_env, fake_openai):
    result = _call("openai_conversational_image", {"prompt": "A fox", "dialogue_mode": "explorer"})
    conversation_id = result.structured_content["conversation_id"]
    answers = 0
    while result.structured_content["status"] == "question":
        answers += 1
        assert len(_long_answer(answers)) <= inputs.MAX_PROMPT_CHARS
        result = _call("openai_conversational_image", {"prompt": _long_answer(answers), "conversation_id": conversation_id})
    assert answers == 8
    assert not result.is_error, result.content[0].text
    [sent] = fake_openai.response_requests()
    assert sent["input"].startswith("A fox")
    assert len(sent["input"]) <= inputs.MAX_PROMPT_CHARS
    assert sent["input"].endswith(".")  # cut at a sentence end, not mid-word
    shown = result.structured_content["final_prompt"]  # a result shows the start; the request carries it all
    assert shown.startswith(sent["input"][: rendering.SHOWN_CHARS]) and "more characters" in shown
    assert any("cut at a sentence end" in note for note in result.structured_content["notes"])


def test_a_refinement_after_the_image_model_changed_takes_the_closest_size_it_accepts(in_process_env, fake_openai, monkeypatch):
    _use_image_model(monkeypatch, "gpt-image-2")
    first = _call("openai_generate_image", {"prompt": "A wide mountain lake", "size": "1536x864"})
    assert not first.is_error, first.content[0].text
    assert first.structured_content["size"] == "1536x864"

    _use_image_model(monkeypatch, "gpt-image-2.6-sunburst")
    second = _call(
        "openai_conversational_image", {"prompt": "Add a rowing boat", "conversation_id": first.structured_content["conversation_id"]}
    )
    assert not second.is_error, second.content[0].text
    sent = fake_openai.response_requests()[-1]
    assert sent["tools"][0]["size"] == "1536x1024" and sent["tools"][0]["model"] == "gpt-image-2.6-sunburst"
    assert second.structured_content["size"] == "1536x1024"
    [note] = [n for n in second.structured_content["notes"] if "closest in aspect" in n]
    assert "1536x864" in note and "gpt-image-2.6-sunburst" in note
    assert "closest in aspect" in second.content[0].text


def test_a_refinement_keeps_its_size_when_the_model_still_accepts_it(in_process_env, fake_openai, monkeypatch):
    _use_image_model(monkeypatch, "gpt-image-2")
    first = _call("openai_generate_image", {"prompt": "A wide mountain lake", "size": "1536x864"})
    second = _call("openai_conversational_image", {"prompt": "Add a boat", "conversation_id": first.structured_content["conversation_id"]})
    assert fake_openai.response_requests()[-1]["tools"][0]["size"] == "1536x864"
    assert second.structured_content["notes"] == []


@pytest.mark.parametrize(
    ("previous", "model", "fitted"),
    [
        ("1536x864", "gpt-image-2.6-sunburst", "1536x1024"),
        ("864x1536", "gpt-image-2.6-flare", "1024x1536"),
        ("2048x2048", "gpt-image-2.6-flare", "1024x1024"),
        ("3840x2160", "gpt-image-2.6-sunburst", "1536x1024"),
        ("1024x1536", "gpt-image-2.6-sunburst", "1024x1536"),
        ("3840x2160", "gpt-image-2", "3840x2160"),
    ],
)
def test_fit_size_keeps_the_aspect_as_closely_as_the_model_allows(previous, model, fitted):
    size, note = sizes.fit_size(previous, model)
    assert size == fitted
    assert (note is None) == (previous == fitted)


def test_fit_prompt_leaves_short_prompts_alone_and_cuts_long_ones_at_a_sentence():
    assert inputs.fit_prompt("A fox. In snow.") == ("A fox. In snow.", None)
    text = "First sentence here. " * 3000
    cut, note = inputs.fit_prompt(text)
    assert len(cut) <= inputs.MAX_PROMPT_CHARS and cut.endswith("here.") and text.startswith(cut)
    assert f"{len(text.strip()) + 1:,}"[:2] in note and "32,000" in note


def test_the_pipeline_runs_without_mcp_and_reports_progress_through_a_plain_callback(in_process_env, fake_openai, home):
    from openai_images import generation
    from openai_images.image_models import ImageOptions

    services = Services()
    heard: list[tuple[int, str]] = []

    async def hear(step: int, message: str) -> None:
        heard.append((step, message))

    async def run():
        job = generation.plan_new(
            text="A lighthouse at dusk",
            explicit_size=None,
            assistant_model="gpt-6-astra",
            dialogue_mode="skip",
            skip_dialogue=True,
            images=[],
            options=ImageOptions(),
            mask_url=None,
            services=services,
        )
        return await generation.generate(job, services, hear)

    generated = asyncio.run(run())
    assert generated.saved.path.parent == home["output"] and generated.saved.path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert services.store.load(generated.conversation.id).images[0].path == str(generated.saved.path)
    messages = [message for _, message in heard]
    assert messages[0] == "sending the request to OpenAI" and messages[-2:] == ["saving the image", "done"]
    assert [step for step, _ in heard] == list(range(1, len(heard) + 1))
    assert services.session_cost.images == 1


def test_a_dialogue_keeps_the_size_asked_for_fitted_to_a_changed_model(in_process_env, fake_openai, monkeypatch):
    _use_image_model(monkeypatch, "gpt-image-2")
    asked = _call("openai_conversational_image", {"prompt": "A fox", "dialogue_mode": "quick", "size": "1536x864"})
    assert asked.structured_content["status"] == "question"
    _use_image_model(monkeypatch, "gpt-image-2.6-sunburst")
    made = _call("openai_conversational_image", {"prompt": "generate now", "conversation_id": asked.structured_content["conversation_id"]})
    assert not made.is_error, made.content[0].text
    assert fake_openai.response_requests()[-1]["tools"][0]["size"] == "1536x1024"
    assert "closest in aspect" in made.structured_content["size_reason"]


def test_a_usage_ledger_that_fails_after_the_image_is_paid_for_still_gives_the_saved_file(in_process_env, fake_openai, monkeypatch):
    from openai_images import limits

    monkeypatch.setenv("OPENAI_IMAGES_DAILY_IMAGES_PER_USER", "5")

    def broken_settle(self, reservation, *, usd, landed):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(limits.Ledger, "settle", broken_settle)
    made = _call("openai_generate_image", {"prompt": "A red fox in fresh snow"})
    assert not made.is_error, made.content[0].text
    path = Path(made.structured_content["path"])
    assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert any("today's usage count could not be updated (OSError" in note for note in made.structured_content["notes"])


def test_a_result_that_cannot_be_put_together_still_names_the_saved_image(in_process_env, fake_openai, monkeypatch, home):
    def broken(*args, **kwargs):
        raise MemoryError("out of memory while writing the result")

    with monkeypatch.context() as patched:
        patched.setattr(rendering, "_analysis_fields", broken)
        made = _call("openai_generate_image", {"prompt": "A red fox in fresh snow"})
    assert made.is_error
    text = made.content[0].text
    [saved] = list(home["output"].glob("openai_image_*.png"))
    assert f"The image is saved ({saved})" in text and "MemoryError" in text
    conversation_id = text.split('conversation_id="')[1].split('"')[0]
    shown = _call("openai_get_image", {"conversation_id": conversation_id})
    assert not shown.is_error and shown.structured_content["path"] == str(saved), "nothing was lost"
