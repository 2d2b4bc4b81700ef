"""aspects.py: which aspects of an image a prompt's own words already settle."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openai_images import aspects, enhancer
from openai_images.aspects import said

# The issue's own examples, and a few more of each kind.
STATED = {
    "lighting": [
        "a fox in neon",
        "a street at night",
        "a city at golden hour",
        "soft studio lighting",
        "a backlit tree",
        "lit by candlelight",
        "under harsh midday sun",
        "a silhouette against the sky",
        "a moonlit lake",
    ],
    "composition": [
        "a wide view of the hills",
        "a close-up of a bee",
        "an overhead view of a table",
        "a cinematic shot of a car",
        "a centred vase",
        "a centered vase",
        "shot from below",
        "rule of thirds",
        "an extreme close-up",
    ],
    "usage": [
        "a logo printed on cups",
        "for a website header",
        "an advert on a billboard",
        "for our paper cups",
        "as a phone wallpaper",
        "for the shop page of our online shop",
        "for a children's picture book",
        "a sticker for my laptop",
        "on t-shirts and tote bags",
    ],
    "colour": ["in teal and orange", "a #ff8800 background", "black and white", "pastel tones", "rgb(10, 20, 30)"],
    "style": ["a watercolour fox", "pixel art", "in the style of ukiyo-e", "a risograph print", "photorealistic"],
    "text": [
        'saying "Open Late"',
        "with the words Open Late",
        "that says hello",
        "with no text",
        "a title at the top",
        "'Bean There'",
    ],
    "camera": ["shot on an 85mm lens", "at f/1.8", "from a low angle", "with shallow depth of field", "a drone view"],
    "materials": ["on brushed metal", "a matte ceramic mug", "rough linen", "visible brush strokes", "oak and glass"],
    "props": ["surrounded by lemons", "holding a cup", "with props", "garnished with mint", "a hiker for scale"],
    "space": ["with copy space", "leave room for text", "negative space on the right", "empty space at the top"],
    "avoid": ["no people", "without text", "avoid clutter", "don't show faces", "free of logos"],
    "detail": ["highly detailed", "very simple", "intricate patterns", "a minimalist mark", "crisp and clean"],
    "typeface": ["a serif font", "hand-lettered script", "all caps sans-serif"],
    "season": ["in autumn", "a snowy winter", "cherry blossom in spring"],
    "motion": ["a splash of water", "steam rising", "floating in mid-air"],
    "light_direction": ["lit from the left", "with a rim light", "backlit by a low sun"],
    "accent": ["with a pop of red", "one yellow accent"],
    "era": ["a 1970s kitchen", "in the 80s", "a medieval town", "retro"],
    "hierarchy": ["a huge headline and small print"],
    "scale": ["a vast desert", "a tiny house under towering trees"],
    "priority": ["above all, the name must be legible"],
    "setting": ["on a wooden pier", "in a greenhouse"],
}
UNSTATED = {
    "usage": ["a cup of coffee on a table", "a dog in a cup", "a man holding a book"],
    "lighting": ["a fox in a forest", "a logo for my bakery"],
    "composition": ["a dragon", "a product shot of a mug"],
    "text": ["a fox reading under a tree", "a dragon"],
    "avoid": ["a dragon over a city", "a logo for my coffee shop"],
}


@pytest.mark.parametrize(("aspect", "prompt"), [(a, p) for a, prompts in STATED.items() for p in prompts])
def test_a_prompt_that_states_an_aspect_settles_it(aspect: str, prompt: str):
    assert aspect in said(prompt)


@pytest.mark.parametrize(("aspect", "prompt"), [(a, p) for a, prompts in UNSTATED.items() for p in prompts])
def test_words_that_only_look_like_an_aspect_do_not_settle_it(aspect: str, prompt: str):
    assert aspect not in said(prompt)


def test_words_inside_other_words_settle_nothing():
    assert said("a neonate nightingale in a widening tidepool") == said("a baby bird in a tidepool")


def test_every_name_is_documented():
    assert all(text for text in aspects.ASPECTS.values())
    assert said("") <= aspects.ASPECTS.keys()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_said_covers_what_enhancer_knows_and_adding_words_never_unsettles(prompt: str):
    found = said(prompt)
    assert found <= aspects.ASPECTS.keys()
    assert enhancer.known_aspects(prompt) <= found
    assert found <= said(f"{prompt} at night, printed on mugs")
    assert {"lighting", "usage"} <= said(f"{prompt} at night, printed on mugs")


def test_a_100k_character_prompt_is_read_quickly():
    prompt = ("a quiet harbour town with fishing boats on a cup at dusk " * 2000)[:100_000]
    started = time.perf_counter()
    found = said(prompt)
    assert {"lighting", "setting", "usage"} <= found
    assert time.perf_counter() - started < 2.0
