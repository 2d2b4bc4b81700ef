"""enhancer.py: scoring, type detection, size suggestion and prompt enhancement, as plain functions."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openai_images import enhancer, image_models
from openai_images.enhancer import CRITERIA, ImageType, detect_type, enhance, score
from openai_images.sizes import suggest_size

FIXED_MODEL = "gpt-image-2.6-sunburst"
FLEXIBLE_MODEL = "gpt-image-2"

T = ImageType

# (prompt, expected type). Several are word-boundary traps: the cue word sits inside another word.
TYPE_CASES: list[tuple[str, ImageType]] = [
    # logo
    ("a logo", T.LOGO),
    ("Create a logo for my coffee shop", T.LOGO),
    ("minimalist logo for a tech startup called Nimbus", T.LOGO),
    ("wordmark for a law firm", T.LOGO),
    ("monogram with the letters A and K", T.LOGO),
    ("an emblem for a rowing club", T.LOGO),
    ("instagram logo for my bakery", T.LOGO),
    ("a logo for a farmers market", T.LOGO),
    ("abstract logo for a consulting firm", T.LOGO),
    # icon
    ("an app icon for a weather app", T.ICON),
    ("favicon for my blog", T.ICON),
    ("a set of flat icons for a dashboard", T.ICON),
    ("a pictogram of a bicycle", T.ICON),
    ("an emoji of a smiling taco", T.ICON),
    # presentation
    ("logistics dashboard slide", T.PRESENTATION),
    ("title slide for a quarterly review", T.PRESENTATION),
    ("background image for a powerpoint about climate", T.PRESENTATION),
    ("pitch deck cover image for a fintech startup", T.PRESENTATION),
    ("slides for a keynote on AI ethics", T.PRESENTATION),
    ("an image for my presentation on ocean plastic", T.PRESENTATION),
    # social post
    ("instagram post for a bakery", T.SOCIAL_POST),
    ("a linkedin post announcing our new hire", T.SOCIAL_POST),
    ("social media post for a yoga studio", T.SOCIAL_POST),
    ("a facebook post for a charity bake sale", T.SOCIAL_POST),
    ("a tweet about our product launch", T.SOCIAL_POST),
    ("a meme about mondays", T.SOCIAL_POST),
    # social story
    ("instagram story for a bakery", T.SOCIAL_STORY),
    ("an instagram reel cover for a gym", T.SOCIAL_STORY),
    ("facebook stories for a shoe sale", T.SOCIAL_STORY),
    ("a tiktok background for a dance challenge", T.SOCIAL_STORY),
    # banner
    ("a banner for my website", T.BANNER),
    ("twitter header for a game studio", T.BANNER),
    ("linkedin banner for a data scientist", T.BANNER),
    ("facebook cover photo for a florist", T.BANNER),
    ("hero image for a SaaS landing page", T.BANNER),
    ("a web banner advertising a summer sale", T.BANNER),
    # product
    ("product shot of a perfume bottle", T.PRODUCT),
    ("product photo of running shoes on white", T.PRODUCT),
    ("packshot of a cereal box", T.PRODUCT),
    ("e-commerce image of a leather wallet", T.PRODUCT),
    ("a mockup of our new water bottle", T.PRODUCT),
    # portrait
    ("portrait of a CEO", T.PORTRAIT),
    ("a headshot for my LinkedIn profile", T.PORTRAIT),
    ("selfie of an astronaut on the moon", T.PORTRAIT),
    ("a self-portrait in the style of van Gogh", T.PORTRAIT),
    ("an oil portrait of my grandmother", T.PORTRAIT),
    ("profile picture of a friendly robot", T.PORTRAIT),
    # landscape
    ("a mountain landscape at sunset", T.LANDSCAPE),
    ("scenery of rolling hills in Tuscany", T.LANDSCAPE),
    ("a seascape with crashing waves", T.LANDSCAPE),
    ("a cityscape of Tokyo at night", T.LANDSCAPE),
    ("a misty forest and a waterfall", T.LANDSCAPE),
    ("a landslide in the mountains", T.LANDSCAPE),
    # poster, flyer, cover
    ("supermarket poster", T.POSTER),
    ("a history book cover", T.POSTER),
    ("movie poster for a sci-fi thriller", T.POSTER),
    ("flyer for a jazz night", T.POSTER),
    ("a leaflet for a dental clinic", T.POSTER),
    ("an invitation for a wedding", T.POSTER),
    ("album cover for an indie band", T.POSTER),
    ("concert poster in landscape orientation", T.POSTER),
    # illustration
    ("an illustration of a fox reading a book", T.ILLUSTRATION),
    ("a children's book illustration of a dragon", T.ILLUSTRATION),
    ("a pencil sketch of an old house", T.ILLUSTRATION),
    ("cartoon of a cat chasing a laser", T.ILLUSTRATION),
    ("concept art for a desert city", T.ILLUSTRATION),
    ("a watercolor painting of lavender fields", T.ILLUSTRATION),
    ("a bedtime story drawing of a sleepy bear", T.ILLUSTRATION),
    # photo
    ("a photo of a dog in the park", T.PHOTO),
    ("street photography in Paris", T.PHOTO),
    ("a photorealistic image of a vintage car", T.PHOTO),
    ("a polaroid snapshot of friends at a beach party", T.PHOTO),
    ("stock photo of people in a meeting", T.PHOTO),
    # general fallback
    ("tired red fox", T.GENERAL),
    ("a dragon flying over a castle", T.GENERAL),
    ("a bowl of ramen", T.GENERAL),
    ("an astronaut riding a horse", T.GENERAL),
    ("the history of Rome", T.GENERAL),
    ("a market stall selling spices", T.GENERAL),
    ("an iconic bridge at dawn", T.GENERAL),
    ("a personal journal on a desk", T.GENERAL),
    ("the surface of Mars", T.GENERAL),
    ("a postman delivering letters", T.GENERAL),
    ("worldwide delivery trucks", T.GENERAL),
]


def test_type_table_is_large_and_covers_every_type():
    assert len(TYPE_CASES) >= 60
    assert {expected for _, expected in TYPE_CASES} == set(ImageType)


@pytest.mark.parametrize(("prompt", "expected"), TYPE_CASES)
def test_detect_type_labels_prompt(prompt: str, expected: ImageType):
    assert detect_type(prompt).image_type == expected


def test_detect_type_reports_deciding_words_and_confidence():
    result = detect_type("logistics dashboard slide")
    assert result.words == ["slide"]
    assert result.confidence == 1.0
    story = detect_type("instagram story for a bakery")
    assert story.words == ["instagram", "story"]
    mixed = detect_type("instagram logo for my bakery")
    assert mixed.image_type == T.LOGO and 0 < mixed.confidence < 1


def test_detect_type_without_cues_is_general_with_zero_confidence():
    result = detect_type("tired red fox")
    assert (result.image_type, result.confidence, result.words) == (T.GENERAL, 0.0, [])


# ------------------------------------------------------------------ scoring


def test_criteria_are_at_least_seven_and_weights_sum_to_100():
    assert len(CRITERIA) >= 7
    assert sum(c.weight for c in CRITERIA) == 100
    assert len({c.name for c in CRITERIA}) == len(CRITERIA)


def test_bare_logo_scores_low_and_misses_every_criterion():
    result = score("a logo")
    assert result.total <= 10
    assert set(result.missing) == {c.name for c in CRITERIA}


RICH_PROMPT = (
    "A photorealistic close-up of a golden retriever puppy playing in autumn leaves in a park at sunset, "
    "soft warm light, orange and brown palette, for the homepage of our pet shop website"
)


def test_rich_prompt_scores_high_with_nothing_missing():
    result = score(RICH_PROMPT)
    assert result.total >= 90
    assert result.missing == []


def test_breakdown_sums_to_total_and_names_matched_words():
    result = score(RICH_PROMPT)
    assert sum(c.points for c in result.criteria) == result.total
    assert "photorealistic" in result.criterion("style").matched
    assert "close up" in result.criterion("composition").matched
    assert {"orange", "brown", "palette"} <= set(result.criterion("colour").matched)
    assert "website" in result.criterion("use").matched


def test_missing_lists_only_criteria_without_points():
    result = score("a watercolor of a lighthouse")
    assert "style" not in result.missing
    assert {"mood", "colour", "composition", "use"} <= set(result.missing)
    for entry in result.criteria:
        assert (entry.name in result.missing) == (entry.points == 0)


@pytest.mark.parametrize(
    ("prompt", "criterion"),
    [
        ("a tired fox", "colour"),  # "tired" holds "red"
        ("a hundred birds", "colour"),
        ("a bored cat", "colour"),
        ("a redwood", "colour"),
        ("a blueprint of an engine", "colour"),
        ("a greenhouse", "colour"),
        ("a marketing plan", "setting"),  # "marketing" is not a market
        ("a scenery painting", "setting"),  # "scenery" holds "scene"
        ("a flighty bird", "mood"),  # "flighty" holds "light"
        ("a framework diagram", "composition"),  # "framework" holds "frame"
    ],
)
def test_words_inside_other_words_do_not_match(prompt: str, criterion: str):
    assert score(prompt).criterion(criterion).matched == []


def test_stemming_matches_plural_ing_and_ed_forms():
    assert score("two reds").criterion("colour").points > 0
    assert score("dramatically lit by candles").criterion("mood").points > 0
    assert score("a softly lighting scene").criterion("mood").matched[0] == "lighting"
    assert score("tightly framed").criterion("composition").points > 0
    assert score("pastels").criterion("colour").points > 0
    assert score("bakeries on snowy streets").criterion("setting").points > 0


def test_synonyms_and_spelling_variants_match():
    assert score("grey tones").criterion("colour").points > 0
    assert score("centred subject").criterion("composition").points > 0
    assert score("centered subject").criterion("composition").points > 0
    assert score("a cosy café").criterion("setting").matched == ["cafe"]
    assert score("colourful").criterion("colour").points > 0


def test_hex_colour_counts_as_colour():
    assert score("a badge in #1a2b3c").criterion("colour").matched == ["#1a2b3c"]


def test_subject_specificity_grows_with_descriptive_words():
    points = [score(p).criterion("subject").points for p in ("a logo", "a fox", "a sleepy fox", "a sleepy arctic fox")]
    assert points == sorted(points) and points[0] == 0 and points[-1] > points[1]


# ---------------------------------------------------------------- sizes


def test_fixed_model_gets_a_standard_size_for_every_type():
    for image_type in ImageType:
        suggestion = suggest_size(image_type, "something", FIXED_MODEL)
        assert suggestion.size in image_models.STANDARD_SIZES
        assert suggestion.reason and "\n" not in suggestion.reason


@pytest.mark.parametrize(
    ("image_type", "prompt", "size"),
    [
        (T.PRESENTATION, "logistics dashboard slide", "1536x864"),
        (T.SOCIAL_STORY, "instagram story for a bakery", "864x1536"),
        (T.BANNER, "a banner for my website", "1536x512"),
        (T.LOGO, "a logo", "1024x1024"),
        (T.PORTRAIT, "portrait of a CEO", "1024x1536"),
        (T.LANDSCAPE, "a mountain landscape", "1536x1024"),
        (T.POSTER, "supermarket poster", "1024x1536"),
        (T.SOCIAL_POST, "instagram post for a bakery", "1024x1024"),
        (T.GENERAL, "a fox, widescreen", "1536x864"),
        (T.GENERAL, "a tall vertical fox", "1024x1536"),
        (T.GENERAL, "a panoramic view of a fox", "1536x512"),
        (T.POSTER, "a landscape poster", "1536x1024"),
        (T.LOGO, "a logo, square", "1024x1024"),
        (T.GENERAL, "a fox in 21:9", "1536x656"),
        (T.SOCIAL_POST, "a vertical instagram post", "1232x1536"),
    ],
)
def test_flexible_model_gets_fitting_aspect_ratio(image_type: ImageType, prompt: str, size: str):
    assert suggest_size(image_type, prompt, FLEXIBLE_MODEL).size == size


@pytest.mark.parametrize(
    ("prompt", "size", "frame", "exact"),
    [
        ("logistics dashboard slide", "1536x1024", "widescreen 16:9", False),
        ("instagram story for a bakery", "1024x1536", "vertical 9:16", False),
        ("a banner for my website", "1536x1024", "banner 3:1", False),
        ("a tall vertical fox", "1024x1536", "tall 2:3", True),
    ],
)
def test_fixed_model_gets_the_closest_standard_size(prompt: str, size: str, frame: str, exact: bool):
    detected = detect_type(prompt).image_type
    suggestion = suggest_size(detected, prompt, FIXED_MODEL)
    assert suggestion.size == size
    if exact:
        assert suggestion.reason.startswith(f"{frame} ({size}): "), suggestion.reason
        assert "closest" not in suggestion.reason
    else:
        assert suggestion.reason.startswith(f"{frame} would fit"), suggestion.reason
        assert f"{size} is the closest size {FIXED_MODEL} offers" in suggestion.reason


def test_unset_model_uses_the_api_default_which_has_fixed_sizes():
    assert suggest_size(T.PRESENTATION, "a slide", None).size == "1536x1024"


@pytest.mark.parametrize(
    "prompt",
    [
        "the history of Rome",  # "history" holds "story"
        "worldwide shipping",  # "worldwide" holds "wide"
        "a wide-angle shot of a kitchen",  # a lens, not a frame
    ],
)
def test_orientation_words_inside_other_words_are_ignored(prompt: str):
    assert suggest_size(T.GENERAL, prompt, FLEXIBLE_MODEL).size == "1024x1024"


ORIENTATION_WORDS = [
    "",
    "portrait",
    "vertical",
    "tall",
    "landscape",
    "wide",
    "widescreen",
    "banner",
    "panoramic",
    "square",
    "horizontal",
    "reel",
    "16:9",
    "9:16",
    "4:5",
    "3:1",
    "1:3",
    "21:9",
    "4:1",
]


@pytest.mark.parametrize("image_type", list(ImageType))
def test_every_flexible_suggestion_is_valid_for_the_model(image_type: ImageType):
    for word in ORIENTATION_WORDS:
        suggestion = suggest_size(image_type, f"a lighthouse {word}", FLEXIBLE_MODEL)
        parsed = image_models.parse_size(suggestion.size)
        assert parsed is not None
        assert image_models.flexible_size_problems(parsed) == [], (word, suggestion)
        assert image_models.validate_size(suggestion.size, FLEXIBLE_MODEL) == suggestion.size


# -------------------------------------------------------------- enhancing

COFFEE_ANSWERS = {
    "text": "Bean There",
    "logo_kind": "a wordmark of the name in custom lettering",
    "brand_values": "warm and friendly",
    "style": "minimalist and flat",
    "usage": "on cups, bags and packaging",
}


def test_enhance_keeps_the_prompt_verbatim_and_weaves_in_every_answer():
    prompt = "Create a logo for my coffee shop"
    result = enhance(prompt, COFFEE_ANSWERS, T.LOGO)
    assert result.startswith(prompt)
    for value in COFFEE_ANSWERS.values():
        assert value.lower() in result.lower()
    assert score(result).total >= score(prompt).total + 40


def test_enhance_writes_sentences_not_keyword_lists():
    result = enhance(
        "a lighthouse",
        {"style": "watercolour", "colour": "soft pastels", "mood": "calm", "lighting": "golden-hour sun"},
        T.ILLUSTRATION,
    )
    assert not re.search(r"\b(Style|Colors?|Colours?|Mood|Lighting)\s*:", result)
    assert "soft pastels" in result and "watercolour" in result and "calm" in result
    assert result.count(",,") == 0
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", result) if s.strip()]
    assert len(sentences) == len(set(sentences))
    assert all(s[0].isupper() or s[0] == '"' or s.startswith("a lighthouse") for s in sentences)


def test_enhance_without_answers_returns_the_prompt_unchanged():
    assert enhance("  a red fox in snow  ", {}, T.GENERAL) == "a red fox in snow"


def test_enhance_leaves_out_no_preference_answers_and_repeats():
    result = enhance("a fox in warm tones", {"colour": "warm tones", "mood": "no preference", "style": "whatever"})
    assert result == "a fox in warm tones"


def test_enhance_does_not_say_the_same_answer_twice():
    result = enhance("a fox", {"mood": "calm and peaceful", "brand_values": "calm and peaceful"}, T.LOGO)
    assert result.lower().count("calm and peaceful") == 1


def test_enhance_keeps_a_free_text_sentence_as_written():
    answer = "I want it to look like an old postage stamp."
    result = enhance("a fox", {"style": answer}, T.ILLUSTRATION)
    assert answer in result


def test_enhance_quotes_literal_text_and_handles_no_text():
    assert 'read "Grand Opening"' in enhance("a poster", {"text": "Grand Opening"}, T.POSTER)
    assert 'read "Bean There"' in enhance("a logo", {"text": '"Bean There"'}, T.LOGO)
    assert "no text" in enhance("a poster", {"text": "none"}, T.POSTER)
    assert enhance("a poster", {"text": "no preference"}, T.POSTER) == "a poster"
    assert "should be only the initials" in enhance("a logo", {"text": "only the initials"}, T.LOGO)


def test_enhance_places_unknown_keys_as_sentences():
    result = enhance("a fox", {"season": "late autumn"})
    assert result == "a fox. Late autumn."


# ------------------------------------------------------------ properties

CRITERION_WORDS = {
    "style": ["watercolor", "minimalist", "cinematic", "pixel art"],
    "mood": ["serene", "dramatic", "golden hour", "candlelight"],
    "colour": ["teal", "pastel", "black and white", "#ff8800"],
    "composition": ["close-up", "rule of thirds", "symmetrical", "top-down"],
    "setting": ["forest", "studio", "on a beach", "in space"],
    "use": ["website", "instagram", "for students", "billboard"],
}
ALL_CRITERION_WORDS = [w for words in CRITERION_WORDS.values() for w in words]
# The names enhancer.known_aspects documents, which dialogue questions list in `known_if`.
ASPECTS = frozenset(
    {
        "style",
        "mood",
        "lighting",
        "time",
        "colour",
        "composition",
        "logo_form",
        "setting",
        "usage",
        "platform",
        "audience",
        "goal",
        "text",
        "subject",
    }
)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_score_is_always_between_0_and_100(prompt: str):
    result = score(prompt)
    assert 0 <= result.total <= 100
    assert result.total == sum(c.points for c in result.criteria)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200), st.sampled_from(sorted(CRITERION_WORDS)), st.data())
def test_adding_a_criterion_word_never_lowers_the_score(prompt: str, criterion: str, data: st.DataObject):
    word = data.draw(st.sampled_from(CRITERION_WORDS[criterion]))
    before = score(prompt)
    after = score(f"{prompt} {word}")
    assert after.total >= before.total
    assert after.criterion(criterion).points == after.criterion(criterion).weight
    prefixed = score(f"{word} {prompt}")
    assert prefixed.total >= before.total


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200), st.sampled_from(list(ImageType)), st.sampled_from([FIXED_MODEL, FLEXIBLE_MODEL, None]))
def test_arbitrary_unicode_never_crashes(prompt: str, image_type: ImageType, model: str | None):
    detected = detect_type(prompt)
    assert 0.0 <= detected.confidence <= 1.0
    suggestion = suggest_size(image_type, prompt, model)
    assert image_models.validate_size(suggestion.size, image_models.effective_model(model)) == suggestion.size
    assert enhance(prompt, {"style": prompt[:50], "mood": "calm"}, image_type).startswith(prompt.strip())
    assert enhance(prompt, {}, image_type) == prompt.strip()
    known = enhancer.known_aspects(prompt)
    with_style = enhancer.known_aspects(f"{prompt} watercolor")
    assert known <= with_style <= ASPECTS
    assert "style" in with_style


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=50), st.sampled_from(ALL_CRITERION_WORDS))
def test_100k_character_prompts_finish_quickly(chunk: str, word: str):
    prompt = (chunk + " " + word + " ") * (100_000 // (len(chunk) + len(word) + 2) + 1)
    prompt = prompt[:100_000]
    started = time.perf_counter()
    result = score(prompt)
    detect_type(prompt)
    suggest_size(T.GENERAL, prompt, FLEXIBLE_MODEL)
    enhance(prompt, {"colour": "teal"}, T.GENERAL)
    assert 0 <= result.total <= 100
    assert time.perf_counter() - started < 3.0
