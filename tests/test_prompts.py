"""The MCP prompts: six ready-made jobs, listed with their arguments, each rendered as a message that names the right tool, options and size."""

from __future__ import annotations

import pytest
from conftest import stdio_client

from openai_images import prompt_templates

EXAMPLES = {
    "logo": {"brand": "Fern & Fox", "about": "sells handmade tea", "colours": "deep green and cream"},
    "product_shot": {"product": "a matte black ceramic mug", "use": "an Etsy listing"},
    "slide_background": {"topic": "quarterly sales", "text_space": "the right third"},
    "social_post": {"platform": "Pinterest pin", "message": "five easy autumn soups"},
    "sticker": {"subject": "a happy cactus"},
    "photo_edit": {"image_path": "/Users/me/Pictures/beach.jpg", "change": "replace the grey sky with a sunset"},
}


def test_there_is_one_prompt_for_each_common_job():
    assert [t.name for t in prompt_templates.TEMPLATES] == [
        "logo",
        "product_shot",
        "slide_background",
        "social_post",
        "sticker",
        "photo_edit",
    ]
    assert set(EXAMPLES) == set(prompt_templates.BY_NAME)


@pytest.mark.parametrize(
    "name, tool, musts",
    [
        (
            "logo",
            "openai_conversational_image",
            ['background="transparent"', 'output_format="png"', 'size="1024x1024"', '"Fern & Fox" spelled exactly'],
        ),
        ("product_shot", "openai_generate_image", ['quality="high"', "matte black ceramic mug", "Etsy listing"]),
        ("slide_background", "openai_generate_image", ["16:9", "empty space in the right third", "no text"]),
        ("social_post", "openai_conversational_image", ["Pinterest pin", "2:3", "leave size out"]),
        ("sticker", "openai_generate_image", ['background="transparent"', 'output_format="png"', 'size="1024x1024"']),
        (
            "photo_edit",
            "openai_conversational_image",
            ['input_image_path="/Users/me/Pictures/beach.jpg"', 'input_fidelity="high"', 'size="auto"'],
        ),
    ],
)
def test_each_prompt_leads_to_the_right_tool_options_and_size(name, tool, musts):
    text = prompt_templates.render(name, EXAMPLES[name])
    assert f"Call {tool}" in text
    for must in musts:
        assert must in text, must


@pytest.mark.parametrize("template", prompt_templates.TEMPLATES, ids=lambda t: t.name)
def test_a_missing_required_argument_is_named(template):
    required = [argument.name for argument in template.arguments if argument.required]
    with pytest.raises(ValueError, match=required[0]):
        prompt_templates.render(template.name, {argument: "   " for argument in required})


def test_a_mask_is_passed_on_when_given():
    text = prompt_templates.render("photo_edit", {**EXAMPLES["photo_edit"], "mask_path": "/Users/me/mask.png"})
    assert 'mask_path="/Users/me/mask.png"' in text


@pytest.mark.integration
async def test_the_server_lists_and_renders_the_prompts(server_env):
    async with stdio_client(server_env) as client:
        listed = {prompt.name: prompt for prompt in await client.list_prompts()}
        rendered = {name: await client.get_prompt(name, arguments) for name, arguments in EXAMPLES.items()}
        with pytest.raises(Exception, match="needs subject"):
            await client.get_prompt("sticker", {})
    assert set(listed) == set(EXAMPLES)
    for name, prompt in listed.items():
        assert prompt.description and prompt.title
        template = prompt_templates.BY_NAME[name]
        assert [(a.name, bool(a.required)) for a in prompt.arguments] == [(a.name, a.required) for a in template.arguments]
    for name, result in rendered.items():
        [message] = result.messages
        assert message.role == "user" and message.content.text == prompt_templates.render(name, EXAMPLES[name])
