"""dialogue.py: planning questions, resolving answers, finishing, and surviving a restart."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openai_images import aspects, dialogue, enhancer, sizes
from openai_images.dialogue import (
    MODE_LIMITS,
    DialogueMode,
    DialogueState,
    DialogueStatus,
    answer,
    current_question,
    final_prompt,
    is_finished,
    question_number,
    start,
)
from openai_images.enhancer import ImageType
from openai_images.errors import InvalidInput

COFFEE = "Create a logo for my coffee shop"

# Bare prompts with plenty left to ask, one per type.
BARE_PROMPTS = [
    COFFEE,
    "an app icon",
    "logistics dashboard slide",
    "instagram post for a bakery",
    "instagram story for a bakery",
    "a banner",
    "product shot of a perfume bottle",
    "portrait of a CEO",
    "a mountain landscape",
    "supermarket poster",
    "an illustration of a fox",
    "a photo of a dog",
    "a dragon",
]


def test_bare_prompts_cover_every_type():
    assert {start(p).image_type for p in BARE_PROMPTS} == set(ImageType)


# -------------------------------------------------------------------- modes


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("quick", DialogueMode.QUICK),
        (" Guided ", DialogueMode.GUIDED),
        ("EXPLORER", DialogueMode.EXPLORER),
        ("skip", DialogueMode.SKIP),
        (None, DialogueMode.GUIDED),
        ("", DialogueMode.GUIDED),
    ],
)
def test_parse_mode_accepts_names_in_any_case(text: str | None, mode: DialogueMode):
    assert dialogue.parse_mode(text) == mode


def test_parse_mode_rejects_unknown_names_listing_the_allowed_ones():
    with pytest.raises(InvalidInput) as caught:
        dialogue.parse_mode("fast")
    message = str(caught.value)
    assert "'fast'" in message
    assert all(m.value in message for m in DialogueMode)


@pytest.mark.parametrize("prompt", BARE_PROMPTS)
@pytest.mark.parametrize("mode", [DialogueMode.QUICK, DialogueMode.GUIDED, DialogueMode.EXPLORER])
def test_each_mode_plans_its_documented_number_of_questions(prompt: str, mode: DialogueMode):
    fewest, most = MODE_LIMITS[mode]
    state = start(prompt, mode)
    assert fewest <= len(state.plan) <= most
    assert len(set(state.plan)) == len(state.plan)
    assert question_number(state) == (1, len(state.plan))


def test_explorer_reaches_its_maximum_on_a_bare_prompt():
    assert len(start(COFFEE, "explorer").plan) == 8


def test_skip_mode_asks_nothing_and_is_ready():
    state = start(COFFEE, "skip")
    assert state.plan == [] and state.status == DialogueStatus.READY and current_question(state) is None
    assert final_prompt(state) == COFFEE


def test_quick_asks_about_the_criteria_with_most_to_gain():
    before = enhancer.score(COFFEE)
    state = start(COFFEE, "quick")
    asked = [dialogue.question_for(state.image_type, k).criterion for k in state.plan]
    gains = sorted((before.gap(c.name) for c in enhancer.CRITERIA), reverse=True)
    assert sorted((before.gap(c) for c in asked), reverse=True) == gains[: len(asked)]
    assert set(state.plan) == {"style", "brand_values"}


def test_a_prompt_that_names_colours_is_not_asked_about_colour():
    assert "colour" in start("a fox in a forest", "explorer").plan
    for mode in ("quick", "guided", "explorer"):
        assert "colour" not in start("a fox in a forest in teal and orange", mode).plan
    assert "colour" not in start("a fox on a #ff8800 background", "explorer").plan


def test_a_prompt_that_names_the_platform_is_not_asked_for_it():
    assert "platform" in start("a social media post for a bakery", "guided").plan
    assert "platform" not in start("instagram post for a bakery", "explorer").plan


def test_a_logo_prompt_with_quoted_name_is_not_asked_for_the_text():
    assert "text" in start(COFFEE, "guided").plan
    assert "text" not in start('a logo for my coffee shop "Bean There"', "guided").plan


def test_a_rich_prompt_gets_fewer_questions_but_never_about_what_it_says():
    prompt = "A photorealistic close-up of a golden retriever puppy in a park at sunset, orange palette, for our pet shop website"
    state = start(prompt, "guided")
    assert {"style", "colour", "composition", "setting", "usage"}.isdisjoint(state.plan)
    assert 1 <= len(state.plan) <= 5


def test_type_specific_questions_are_asked():
    assert "logo_kind" in start(COFFEE, "explorer").plan
    assert "audience" in start("logistics dashboard slide", "guided").plan
    assert "platform" in start("a social media post", "guided").plan
    assert "text" in start("supermarket poster", "guided").plan


def test_every_question_has_three_to_five_options_and_a_slot_in_the_prompt():
    for image_type in ImageType:
        for key in dialogue.QUESTION_KEYS:
            try:
                question = dialogue.question_for(image_type, key)
            except KeyError:
                continue
            assert 3 <= len(question.options) <= 5, (image_type, key)
            assert question.free_text_hint
            assert question.criterion in enhancer.CRITERION_NAMES
            if key == dialogue.FILE_KEY:  # the answer picks the file's options, never words of the prompt
                assert key not in enhancer.SLOT_ORDER and key not in dialogue.FINE_LABELS
                continue
            assert (key in enhancer.SLOT_ORDER) != (key in dialogue.FINE_LABELS), key


def test_question_text_lists_numbered_options_and_how_to_stop():
    state = start(COFFEE)
    text = current_question(state).as_text(*question_number(state))
    assert text.startswith("Question 1 of 5: ")
    assert "\n  1. The name given in my request" in text
    assert "generate now" in text and "cancel" in text


# --------------------------------------------------------------- answering


def _state_at(key: str) -> DialogueState:
    state = start(COFFEE, "guided")
    while state.pending != key:
        state = answer(state, "no preference")
    return state


@pytest.mark.parametrize("reply", ["2", "2.", "b", "B)", "(b)", "option 2", " A wordmark of the name in custom lettering "])
def test_an_option_can_be_chosen_by_number_letter_or_words(reply: str):
    state = answer(_state_at("logo_kind"), reply)
    assert state.answers["logo_kind"] == "a wordmark of the name in custom lettering"


def test_several_options_can_be_chosen_at_once():
    state = answer(_state_at("brand_values"), "1 and 3")
    assert state.answers["brand_values"] == "warm and friendly and playful and fun"


def test_free_text_and_out_of_range_numbers_are_kept_as_written():
    state = answer(_state_at("text"), "Bean There")
    assert state.answers["text"] == "Bean There"
    state = answer(_state_at("logo_kind"), "7")
    assert state.answers["logo_kind"] == "7"


@pytest.mark.parametrize("reply", ["skip", "generate now", "Generate now!", "just generate", "go ahead", "please skip"])
def test_finish_words_end_the_dialogue_ready_with_answers_so_far(reply: str):
    state = answer(start(COFFEE, "guided"), "Bean There")
    state = answer(state, reply)
    assert state.status == DialogueStatus.READY and state.ended_early and is_finished(state)
    assert state.answers == {"text": "Bean There"}
    assert '"Bean There"' in final_prompt(state)


@pytest.mark.parametrize("reply", ["cancel", "Stop", "never mind", "nevermind", "cancel."])
def test_cancel_words_end_the_dialogue_without_generating(reply: str):
    state = answer(start(COFFEE, "guided"), reply)
    assert state.status == DialogueStatus.CANCELLED and is_finished(state) and state.pending is None


def test_words_that_merely_contain_stop_are_answers():
    state = answer(start("a street scene", "guided"), "a stop sign")
    assert state.status == DialogueStatus.ASKING
    assert "a stop sign" in state.answers.values()


def test_empty_answer_is_rejected_and_finished_dialogue_takes_no_answers():
    state = start(COFFEE)
    with pytest.raises(InvalidInput):
        answer(state, "   ")
    done = answer(state, "cancel")
    with pytest.raises(InvalidInput):
        answer(done, "2")


def test_blank_prompt_is_rejected():
    with pytest.raises(InvalidInput):
        start("   ")


# ------------------------------------------------------------------ coffee shop


def test_coffee_shop_guided_dialogue_builds_a_better_prompt_from_every_answer():
    state = start(COFFEE, "guided")
    assert state.image_type == ImageType.LOGO
    assert 3 <= len(state.plan) <= 5
    replies = {
        "text": "Bean There",
        "logo_kind": "1",
        "brand_values": "warm and friendly",
        "style": "hand-drawn and vintage",
        "colour": "deep brown and cream",
        "usage": "on cups and the shop sign",
        "subject": "a steaming cup",
        "audience": "students",
        "must_include": "a coffee bean",
    }
    seen: list[str] = []
    while not is_finished(state):
        seen.append(state.pending)
        state = answer(state, replies[state.pending])
    assert seen == state.plan and len(seen) == len(set(seen))
    assert state.status == DialogueStatus.READY and not state.ended_early
    prompt = final_prompt(state)
    assert prompt.startswith(COFFEE)
    for value in state.answers.values():
        assert value.lower() in prompt.lower()
    assert "a symbol with the name beside it" in prompt
    assert dialogue.score_after(state) >= state.score_before + 40
    assert sizes.suggest_size(state.image_type, dialogue.final_prompt(state), None).size == "1024x1024"


# ----------------------------------------------------------------- restart


def test_state_round_trips_through_json_and_continues_after_a_restart():
    state = answer(start(COFFEE, "guided"), "Bean There")
    stored = state.model_dump(mode="json")
    assert stored["schema_version"] == 1 and stored["mode"] == "guided" and stored["image_type"] == "logo"
    restored = DialogueState.model_validate(stored)
    assert restored == state
    assert answer(restored, "2") == answer(state, "2")


def test_inconsistent_stored_state_is_rejected():
    stored = start(COFFEE).model_dump(mode="json")
    with pytest.raises(ValueError):
        DialogueState.model_validate({**stored, "pending": "colour"})
    with pytest.raises(ValueError):
        DialogueState.model_validate({**stored, "plan": ["text"] * 6})
    with pytest.raises(ValueError):
        DialogueState.model_validate({**stored, "status": "ready"})
    with pytest.raises(ValueError):
        DialogueState.model_validate({**stored, "schema_version": 2})


# -------------------------------------------------------------- properties

REPLIES = st.one_of(
    st.integers(min_value=-2, max_value=9).map(str),
    st.tuples(st.sampled_from(list("abcdefABCDE")), st.sampled_from(["", ")", "."])).map("".join),
    st.sampled_from(["b)", "C)", "(a)", "1, 2", "option 3", "warm and friendly", "MINIMALIST AND FLAT"]),
    st.text(min_size=1, max_size=40).filter(lambda s: s.strip()),
    st.sampled_from(["skip", "generate now", "go ahead", "cancel", "stop", "never mind"]),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([*BARE_PROMPTS, "a fox in teal", "🦊 ein Fuchs im Schnee", "x"]),
    st.sampled_from(list(DialogueMode)),
    st.lists(REPLIES, min_size=0, max_size=12),
)
def test_any_replies_end_within_the_mode_maximum_without_repeating(prompt: str, mode: DialogueMode, replies: list[str]):
    state = start(prompt, mode)
    shown: list[str] = []
    for reply in replies:
        if is_finished(state):
            break
        shown.append(state.pending)
        state = answer(state, reply)
        assert DialogueState.model_validate(state.model_dump(mode="json")) == state
    while not is_finished(state):  # whatever was said, plain answers finish it
        shown.append(state.pending)
        state = answer(state, "something else")
    assert len(shown) <= MODE_LIMITS[mode][1]
    assert len(shown) == len(set(shown))
    assert set(state.answers) <= set(shown)
    if state.status == DialogueStatus.READY:
        assert final_prompt(state).startswith(prompt.strip())


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300), st.sampled_from(list(DialogueMode)))
def test_arbitrary_prompts_start_or_fail_cleanly(prompt: str, mode: DialogueMode):
    try:
        state = start(prompt, mode)
    except InvalidInput:
        assert not prompt.strip()
        return
    assert len(state.plan) <= MODE_LIMITS[mode][1]
    assert 0 <= state.score_before <= 100
    question = current_question(state)
    assert (question is None) == is_finished(state)


def test_a_100k_character_prompt_runs_a_whole_dialogue():
    prompt = ("a quiet harbour town with fishing boats " * 2600)[:100_000]
    state = start(prompt, "explorer")
    while not is_finished(state):
        state = answer(state, "1")
    assert final_prompt(state).startswith(prompt.strip())


# ------------------------------------------------- what the prompt says, is not asked

# Phrasings that state each aspect (the issue's own examples first), and the
# questions that ask about it. Written out by hand, so a question that forgets to
# list its aspect in known_if fails here.
STATED = {
    "lighting": ["in neon", "at night", "at golden hour", "in soft studio lighting", "backlit"],
    "composition": ["a wide view", "a close-up", "seen overhead", "a cinematic shot", "centred"],
    "use": ["printed on cups", "for a website header", "on a billboard"],
    "colour": ["in teal and orange", "on a #ff8800 background"],
    "style": ["as a watercolour", "in pixel art"],
    "text": ['saying "Open Late"', "with the words Open Late", "with no text"],
}
ASKS_ABOUT = {
    "lighting": {"lighting", "time_of_day"},
    "composition": {"composition"},
    "use": {"usage"},
    "colour": {"colour"},
    "style": {"style"},
    "text": {"text"},
}
BARE_BY_TYPE = dict(
    zip(
        [
            ImageType.LOGO,
            ImageType.ICON,
            ImageType.PRESENTATION,
            ImageType.SOCIAL_POST,
            ImageType.SOCIAL_STORY,
            ImageType.BANNER,
            ImageType.PRODUCT,
            ImageType.PORTRAIT,
            ImageType.LANDSCAPE,
            ImageType.POSTER,
            ImageType.ILLUSTRATION,
            ImageType.PHOTO,
            ImageType.GENERAL,
        ],
        BARE_PROMPTS,
        strict=True,
    )
)
ASKING_MODES = [DialogueMode.QUICK, DialogueMode.GUIDED, DialogueMode.EXPLORER]


def test_each_aspect_is_asked_about_somewhere_when_the_prompt_is_silent():
    asked = {key for t, p in BARE_BY_TYPE.items() for m in ASKING_MODES for key in start(p, m, t).plan}
    for aspect, keys in ASKS_ABOUT.items():
        assert keys & asked, aspect


@pytest.mark.parametrize("image_type", list(ImageType))
@pytest.mark.parametrize("aspect", sorted(STATED))
def test_no_question_about_an_aspect_the_prompt_states(image_type: ImageType, aspect: str):
    for phrase in STATED[aspect]:
        prompt = f"{BARE_BY_TYPE[image_type]}, {phrase}"
        for mode in ASKING_MODES:
            plan = start(prompt, mode, image_type).plan
            assert not set(plan) & ASKS_ABOUT[aspect], (prompt, mode.value, plan)


def test_a_portrait_at_night_is_not_asked_about_light_but_one_without_is():
    assert "lighting" in start("portrait of a CEO", "guided").plan
    assert "lighting" not in start("portrait of a CEO at night", "guided").plan
    assert "time_of_day" not in start("a mountain landscape at golden hour", "explorer").plan


# ------------------------------------------------------------ explorer's deep dive

# One detailed prompt per type: each states style, colour, mood, framing or use and more.
DETAILED = {
    ImageType.LOGO: (
        'A minimalist flat wordmark logo for "Bean There", a neighbourhood coffee roastery, in warm brown and'
        " cream, friendly and handcrafted, printed on cups and the shop sign, for students"
    ),
    ImageType.ICON: (
        "A flat minimal app icon of a paper plane on a rounded square, teal and white gradient, calm and "
        "friendly, for a travel booking phone app aimed at young adults"
    ),
    ImageType.PRESENTATION: (
        "A clean corporate title slide about quarterly growth for investors, navy and white, confident mood, "
        'centred composition, with the title "Q3 Results" and space for text'
    ),
    ImageType.SOCIAL_POST: (
        "An Instagram post for a bakery launch, bold graphic style, warm pastel colours, cheerful mood, a "
        'croissant centred on a pink backdrop, headline "Fresh at 7", aimed at local families, to announce '
        "the opening"
    ),
    ImageType.SOCIAL_STORY: (
        "An Instagram story for a bakery sale, playful illustrated style, bright saturated colours, cheerful,"
        ' a stack of doughnuts centred, text "50% off today", for local students, to promote the offer'
    ),
    ImageType.BANNER: (
        "A website header banner for a hiking shop, photographic style, green and earthy tones, energetic "
        'mood, a hiker on a ridge with space for text on the left, headline "Go further", aimed at outdoor '
        "fans"
    ),
    ImageType.POSTER: (
        "A retro poster for a jazz night at the Blue Room, deep blue and gold, moody and atmospheric, a "
        'saxophone player centred under a spotlight, text "Jazz Night, Friday 9pm", to announce the event to '
        "local music fans"
    ),
    ImageType.PRODUCT: (
        "A product shot of an amber glass perfume bottle with a gold cap on a marble counter, soft studio "
        "lighting, three-quarter angle, clean editorial photography, warm neutral palette, luxurious mood, "
        "for our online shop"
    ),
    ImageType.PORTRAIT: (
        "A cinematic head-and-shoulders portrait of a confident female CEO in a modern glass office, soft "
        "window light, warm muted tones, calm professional mood, for the company website"
    ),
    ImageType.LANDSCAPE: (
        "A photorealistic wide panorama of snowy mountains and a frozen lake at golden hour, cool blues with "
        "warm pink highlights, serene mood, for a desktop wallpaper"
    ),
    ImageType.ILLUSTRATION: (
        "A whimsical watercolour illustration of a red fox reading under an oak tree in an autumn forest, "
        "warm orange and green palette, cosy mood, close-up, for a children's picture book"
    ),
    ImageType.PHOTO: (
        "A documentary-style photo of an old fisherman mending nets on a wooden pier at dawn, soft golden "
        "light, muted blue and brown tones, close-up, quiet nostalgic mood, for a magazine feature"
    ),
    ImageType.GENERAL: (
        "A photorealistic dragon with emerald scales perched on a ruined castle tower at sunset, dramatic "
        "warm lighting, epic mood, wide cinematic shot, for a fantasy book cover"
    ),
}
# The broad questions each detailed prompt has answered, by hand.
ANSWERED_BY_DETAIL = {"style", "colour", "composition", "lighting", "usage", "mood", "brand_values", "text"}


def test_detailed_prompts_cover_every_type():
    assert set(DETAILED) == set(ImageType)


@pytest.mark.parametrize("image_type", list(ImageType))
def test_explorer_asks_at_least_six_finer_questions_on_a_detailed_prompt(image_type: ImageType):
    prompt = DETAILED[image_type]
    plan = start(prompt, "explorer", image_type).plan
    bare = start(BARE_BY_TYPE[image_type], "explorer", image_type).plan
    assert 6 <= len(plan) <= 8, plan
    deep = [k for k in plan if k in dialogue.FINE_LABELS]
    assert len(deep) >= 4, plan
    assert not set(plan) & ANSWERED_BY_DETAIL, plan
    assert len(set(plan) - set(bare)) >= 4, "a detailed prompt gets other questions, not the bare prompt's again"
    settled = aspects.said(prompt)
    for key in plan:
        assert not set(dialogue._find(image_type, key).known_if) & settled, (key, settled)


@pytest.mark.parametrize("image_type", list(ImageType))
def test_explorer_still_asks_six_when_the_prompt_also_settles_the_deep_bank_s_first_questions(image_type: ImageType):
    prompt = (
        f"{DETAILED[image_type]}, shot on an 85mm lens, brushed metal, surrounded by lemons, with copy space, no people, highly detailed"
    )
    settled = aspects.said(prompt)
    assert {"camera", "materials", "props", "space", "avoid", "detail"} <= settled
    plan = start(prompt, "explorer", image_type).plan
    assert len(plan) >= 6, plan
    for key in plan:
        assert not set(dialogue._find(image_type, key).known_if) & settled, key


@pytest.mark.parametrize("image_type", list(ImageType))
@pytest.mark.parametrize("mode", ASKING_MODES)
def test_every_mode_keeps_its_count_on_a_detailed_prompt(image_type: ImageType, mode: DialogueMode):
    fewest, most = MODE_LIMITS[mode]
    plan = start(DETAILED[image_type], mode, image_type).plan
    assert fewest <= len(plan) <= most, plan


# The issue's list for the deep bank, each kind with the keys that ask it.
FINER_KINDS = {
    "camera angle and lens": {"camera", "viewpoint"},
    "materials and textures": {"materials", "stroke"},
    "props": {"props", "visual_aid"},
    "where text goes and empty space": {"space", "safe_area"},
    "what to avoid": {"avoid"},
    "level of detail": {"detail", "retouch"},
}


@pytest.mark.parametrize("image_type", list(ImageType))
def test_the_deep_bank_asks_the_issue_s_finer_things(image_type: ImageType):
    deep = {a.key for a in dialogue._FINE[image_type]}
    assert len(deep) >= 7
    kinds = [kind for kind, keys in FINER_KINDS.items() if deep & keys]
    # A logo has no camera, props or text space; it gets lettering, meaning, shape and versions instead.
    assert len(kinds) >= (3 if image_type == ImageType.LOGO else 4), kinds
    assert "what to avoid" in kinds


def test_bare_explorer_keeps_two_places_for_the_deep_bank():
    for image_type, prompt in BARE_BY_TYPE.items():
        plan = start(prompt, "explorer", image_type).plan
        assert len(plan) == 8
        assert sum(k in dialogue.FINE_LABELS for k in plan) >= 2, (image_type, plan)


def test_overlapping_questions_are_never_planned_together():
    prompts = [*BARE_PROMPTS, *DETAILED.values()]
    for image_type in ImageType:
        for prompt in prompts:
            for mode in ASKING_MODES:
                plan = set(start(prompt, mode, image_type).plan)
                for key in plan:
                    assert not plan & set(dialogue._find(image_type, key).overlaps), (image_type, prompt, plan)


def test_a_finer_question_names_what_it_asks_in_the_prompt():
    state = start(DETAILED[ImageType.PRODUCT], "explorer", ImageType.PRODUCT)
    replies = {"props": "2", "motion": "a thin curl of steam", "shadow": "you decide", "avoid": "no fingerprints"}
    while not is_finished(state):
        state = answer(state, replies.get(state.pending, "1"))
    prompt = final_prompt(state)
    assert prompt.startswith(DETAILED[ImageType.PRODUCT])
    assert "Props and details: a folded linen cloth." in prompt
    assert "Movement: a thin curl of steam." in prompt
    assert "Shadows and reflections" not in prompt, "no preference adds nothing"
    assert prompt.endswith("Avoid: fingerprints.")
    assert dialogue.score_after(state) >= state.score_before


def test_broad_and_deep_answers_are_all_woven_in():
    state = start(COFFEE, "explorer")
    while not is_finished(state):
        state = answer(state, "Bean There" if state.pending == "text" else "1")
    prompt = final_prompt(state)
    for key, value in state.answers.items():
        assert value.lower() in prompt.lower(), key
    for key in state.answers.keys() & dialogue.FINE_LABELS.keys():
        assert f"{dialogue.FINE_LABELS[key]}: " in prompt


def test_a_deep_answer_the_prompt_already_has_is_not_repeated():
    prompt = f"{DETAILED[ImageType.PHOTO]}, and a few everyday objects"
    state = start(prompt, "explorer", ImageType.PHOTO)
    assert "props" in state.plan
    while not is_finished(state):
        state = answer(state, "1" if state.pending == "props" else "no preference")
    assert state.answers["props"] == "a few everyday objects"
    assert final_prompt(state) == prompt


# ------------------------------------------------------------ saved states

OLD_EXPLORER_STATE = {  # saved by the version before the deep bank: only broad keys, must_include last
    "schema_version": 1,
    "mode": "explorer",
    "image_type": "logo",
    "original_prompt": COFFEE,
    "plan": ["text", "logo_kind", "brand_values", "style", "colour", "subject", "usage", "must_include"],
    "asked": ["text", "logo_kind"],
    "answers": {"text": "Bean There"},
    "pending": "logo_kind",
    "status": "asking",
    "ended_early": False,
    "score_before": 12,
}


def test_a_state_saved_before_the_deep_bank_restores_and_finishes():
    state = dialogue.restore(OLD_EXPLORER_STATE)
    assert state.plan == OLD_EXPLORER_STATE["plan"]
    while not is_finished(state):
        state = answer(state, "a coffee bean" if state.pending == "must_include" else "1")
    assert len(state.answers) == 8
    prompt = final_prompt(state)
    assert '"Bean There"' in prompt and "Include a coffee bean." in prompt


def test_a_state_with_deep_questions_round_trips():
    state = answer(start(DETAILED[ImageType.LOGO], "explorer", ImageType.LOGO), "2")
    assert state.asked[0] in dialogue.FINE_LABELS
    assert dialogue.restore(dialogue.stored(state)) == state


# --------------------------------------------------------------- the file question


def test_a_logo_or_icon_is_offered_a_vector_file_last_and_a_sticker_an_animated_one():
    logo = start(COFFEE, "guided", offer_file=True)
    assert logo.plan[-1] == dialogue.FILE_KEY and len(logo.plan) == len(start(COFFEE, "guided").plan) + 1
    question = dialogue.question_for(logo.image_type, dialogue.FILE_KEY, COFFEE)
    assert question.options[0] == dialogue.VECTOR_FILE and dialogue.ANIMATED_FILE not in question.options
    sticker = "a sticker of a happy cat"
    assert dialogue.ANIMATED_FILE in dialogue.question_for(start(sticker).image_type, dialogue.FILE_KEY, sticker).options
    assert dialogue.FILE_KEY in start("a flat app icon of a paper plane", offer_file=True).plan
    assert dialogue.FILE_KEY not in start("a photo of a harbour at dusk", offer_file=True).plan
    assert dialogue.FILE_KEY not in start(COFFEE, "guided").plan, "not when the call chose output_format"
    assert start(COFFEE, "skip", offer_file=True).plan == []


@pytest.mark.parametrize(
    ("reply", "options"),
    [
        ("1", {"output_format": "svg"}),
        ("an SVG please", {"output_format": "svg"}),
        ("2", {}),
        ("3", {"output_format": "png", "background": "transparent"}),
    ],
)
def test_the_file_answer_picks_the_options_and_stays_out_of_the_prompt(reply, options):
    state = start(COFFEE, "quick", offer_file=True)
    while state.pending != dialogue.FILE_KEY:
        state = dialogue.answer(state, "1")
    done = dialogue.answer(state, reply)
    assert done.status == DialogueStatus.READY
    assert dialogue.chosen_file(done) == options
    assert "SVG" not in dialogue.final_prompt(done) and "PNG" not in dialogue.final_prompt(done)
