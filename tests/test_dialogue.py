"""dialogue.py: planning questions, resolving answers, finishing, and surviving a restart."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dialogue
import enhancer
import sizes
from dialogue import (
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
from enhancer import ImageType
from errors import InvalidInput

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
    [("quick", DialogueMode.QUICK), (" Guided ", DialogueMode.GUIDED), ("EXPLORER", DialogueMode.EXPLORER),
     ("skip", DialogueMode.SKIP), (None, DialogueMode.GUIDED), ("", DialogueMode.GUIDED)],
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
    prompt = (
        "A photorealistic close-up of a golden retriever puppy in a park at sunset, orange palette, "
        "for our pet shop website"
    )
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
            assert key in enhancer.SLOT_ORDER


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
    st.sampled_from(BARE_PROMPTS + ["a fox in teal", "🦊 ein Fuchs im Schnee", "x"]),
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
