"""The pre-generation dialogue: which questions to ask, and what an answer does.

A small state machine with no I/O. `start` detects the image type, scores the
prompt and fixes a plan of question keys up front; `answer` takes one reply and
returns a new state. The plan never changes and never repeats a key, so a
dialogue always ends within its mode's maximum: the loops of an earlier design
came from deciding the next question anew from loosely keyed answers.

The state is a versioned pydantic model. The conversation record keeps it as
plain JSON data (storage knows nothing of dialogues); `restore` checks that data
and turns it back into a state after a restart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

import enhancer
from enhancer import ImageType, PromptScore
from errors import InvalidInput, StorageError

SCHEMA_VERSION = 1


class DialogueMode(StrEnum):
    """How many questions to ask: see MODE_LIMITS."""

    QUICK = "quick"
    GUIDED = "guided"
    EXPLORER = "explorer"
    SKIP = "skip"


DEFAULT_MODE = DialogueMode.GUIDED

# (fewest, most) questions per mode.
MODE_LIMITS: dict[DialogueMode, tuple[int, int]] = {
    DialogueMode.QUICK: (1, 2),
    DialogueMode.GUIDED: (3, 5),
    DialogueMode.EXPLORER: (6, 8),
    DialogueMode.SKIP: (0, 0),
}


class DialogueStatus(StrEnum):
    """Where a dialogue stands; only ASKING has a pending question."""

    ASKING = "asking"  # a question is pending
    READY = "ready"  # generate with final_prompt(state)
    CANCELLED = "cancelled"  # the user stopped; do not generate


def parse_mode(text: str | DialogueMode | None) -> DialogueMode:
    """The mode named by `text` (any case; None or blank means guided), else InvalidInput naming the allowed modes."""
    if isinstance(text, DialogueMode):
        return text
    value = (text or "").strip().lower()
    if not value:
        return DEFAULT_MODE
    try:
        return DialogueMode(value)
    except ValueError:
        allowed = ", ".join(m.value for m in DialogueMode)
        raise InvalidInput(f"Unknown dialogue mode {text!r}: use one of {allowed} (default guided).") from None


# ------------------------------------------------------------------ questions


class Question(BaseModel):
    """One question: `key` is stable across restarts, `options` feed a numbered list or an elicitation enum."""

    model_config = ConfigDict(frozen=True)

    key: str
    text: str
    options: list[str]
    free_text_hint: str = "Or answer in your own words."
    criterion: str  # the enhancer.CRITERIA name this answer improves

    def as_text(self, number: int, total: int) -> str:
        """The question as plain text for clients without elicitation."""
        lines = [f"Question {number} of {total}: {self.text}"]
        lines += [f"  {i}. {option[:1].upper()}{option[1:]}" for i, option in enumerate(self.options, 1)]
        lines.append(
            f"{self.free_text_hint} Reply with a number, an option's words, or your own description; "
            'say "generate now" to create the image with what is known, or "cancel" to stop.'
        )
        return "\n".join(lines)


@dataclass(frozen=True)
class _Ask:
    key: str
    criterion: str
    known_if: tuple[str, ...]  # enhancer.known_aspects names that make the question unnecessary
    text: str
    options: tuple[str, ...]


def _ask(key: str, criterion: str, known_if: tuple[str, ...], text: str, *options: str) -> _Ask:
    return _Ask(key, criterion, known_if, text, options)


# Options are written to read naturally inside enhancer.enhance's sentences.
_STYLE_DESIGN = _ask(
    "style", "style", ("style",), "Which visual style fits best?",
    "bold and graphic", "photographic", "illustrated and playful", "minimal and elegant", "retro",
)
_STYLE_PHOTO = _ask(
    "style", "style", ("style",), "What photographic style do you want?",
    "clean studio photography", "natural lifestyle photography", "cinematic", "bright and airy editorial",
    "dark and moody",
)
_STYLE_GENERAL = _ask(
    "style", "style", ("style",), "Which visual style fits best?",
    "photorealistic", "illustrated", "painterly", "3D render", "minimal and graphic",
)
_COLOUR = _ask(
    "colour", "colour", ("colour",), "Which colours should it use?",
    "warm earthy tones", "cool blues and greens", "bright, saturated colours", "black and white", "soft pastels",
)
_MOOD = _ask(
    "mood", "mood", ("mood",), "What mood should it have?",
    "calm and peaceful", "warm and inviting", "bold and energetic", "mysterious", "cheerful and playful",
)
_LIGHTING = _ask(
    "lighting", "mood", ("lighting",), "What kind of light?",
    "soft natural daylight", "golden-hour sun", "dramatic studio light", "bright, even light",
    "neon and night lights",
)
_COMPOSITION = _ask(
    "composition", "composition", ("composition",), "How should it be framed?",
    "a close-up of the subject", "a wide shot with room around it", "a centred, symmetrical view",
    "a view from above", "an off-centre subject with space for text",
)
_COMPOSITION_DESIGN = _ask(
    "composition", "composition", ("composition",), "How should the layout work?",
    "a bold central image", "an image on one side, space for text on the other",
    "a full-bleed photo with the text on top", "a clean layout with lots of empty space",
)
_SETTING = _ask(
    "setting", "setting", ("setting",), "Where does it take place?",
    "in a busy city street", "in quiet nature", "indoors in a cosy room", "against a plain background",
    "in a fantasy world",
)
_SUBJECT = _ask(
    "subject", "subject", ("subject",), "What matters most about the subject: what is it doing, or which detail?",
    "the subject in motion", "the subject facing the viewer", "one striking detail up close",
    "the subject small in a vast scene",
)
_SUBJECT_DESIGN = _ask(
    "subject", "subject", ("subject",), "What should the image show?",
    "the product itself", "people enjoying it", "a bold graphic shape", "the place or venue",
)
_USAGE = _ask(
    "usage", "use", ("usage", "platform"), "Where will the image be used?",
    "on a website", "in print", "on social media", "in a presentation", "as a wallpaper",
)
_AUDIENCE = _ask(
    "audience", "use", ("audience",), "Who is it for?",
    "young adults", "families", "professionals", "local neighbours", "students",
)
_TEXT_DESIGN = _ask(
    "text", "subject", ("text",), "What text should appear, word for word? Type it, or pick one:",
    "a short catchy headline", "the brand name", "a headline, date and place", "no text at all",
)
_GOAL = _ask(
    "goal", "use", ("goal",), "What should it achieve?",
    "grab attention in a busy feed", "announce news or an event", "promote an offer",
    "build brand awareness", "start a conversation",
)
_MUST_INCLUDE = _ask(
    "must_include", "subject", (), "Anything that must be in it, or kept out?",
    "no people", "no text", "plenty of empty space", "nothing more",
)

_BANK: dict[ImageType, tuple[_Ask, ...]] = {
    ImageType.LOGO: (
        _ask(
            "text", "subject", ("text",),
            "What name or words should the logo show, spelled exactly? Type them, or pick one:",
            "the name given in my request", "only the initials", "a fitting made-up name", "no text, just a symbol",
        ),
        _ask(
            "logo_kind", "composition", ("logo_form", "composition"), "What kind of logo?",
            "a symbol with the name beside it", "a wordmark of the name in custom lettering",
            "a monogram of the initials", "a badge or emblem", "a symbol on its own",
        ),
        _ask(
            "brand_values", "mood", ("mood",), "What should the brand feel like?",
            "warm and friendly", "premium and refined", "playful and fun", "bold and modern", "natural and organic",
        ),
        _ask(
            "style", "style", ("style",), "What style should the logo have?",
            "minimalist and flat", "hand-drawn and vintage", "bold and geometric", "elegant line-art",
            "playful and illustrated",
        ),
        _COLOUR,
        _ask(
            "subject", "subject", ("subject",), "What should the symbol show?",
            "an object that stands for the business", "an abstract shape", "a mascot or character",
            "a landmark or local motif",
        ),
        _ask(
            "usage", "use", ("usage",), "Where will the logo mostly be seen?",
            "on signs and the storefront", "on cups, bags and packaging", "on the website and social media",
            "everywhere, so it must work small and in one colour",
        ),
        _ask(
            "audience", "use", ("audience",), "Who are the customers?",
            "local regulars", "students and young professionals", "families", "businesses", "tourists",
        ),
        _MUST_INCLUDE,
    ),
    ImageType.ICON: (
        _ask(
            "subject", "subject", ("subject",), "What should the icon depict?",
            "a simple everyday object", "a letter or initial", "an abstract symbol", "a character or face",
        ),
        _ask(
            "style", "style", ("style",), "Which icon style?",
            "flat and minimal", "outlined", "glossy 3D", "hand-drawn", "isometric",
        ),
        _COLOUR,
        _ask(
            "composition", "composition", ("composition",), "What shape and background?",
            "a rounded-square app tile", "a circle badge", "a bare glyph on a transparent background",
            "a flat shape on a coloured square",
        ),
        _ask(
            "usage", "use", ("usage", "platform"), "Where will the icon be used?",
            "as a phone app icon", "on a website", "in a slide deck", "in a printed guide",
        ),
        _MOOD,
        _AUDIENCE,
        _MUST_INCLUDE,
    ),
    ImageType.PRESENTATION: (
        _ask(
            "audience", "use", ("audience",), "Who is the audience?",
            "executives and investors", "customers", "colleagues", "students", "a general audience",
        ),
        _ask(
            "subject", "subject", ("subject",), "What is the slide about, in a few words?",
            "growth and results", "a new product", "our team", "a process or timeline", "a vision for the future",
        ),
        _ask(
            "composition", "composition", ("composition",), "Where should the space for text be?",
            "a full-bleed image with text space on the left", "a centred visual with space above and below",
            "a quiet background that stays out of the way", "a split layout with the image on one side",
        ),
        _ask(
            "style", "style", ("style",), "Which look suits the deck?",
            "clean corporate", "bold and minimal", "friendly illustrated", "photographic", "dark and techy",
        ),
        _ask(
            "colour", "colour", ("colour",), "Which colours?",
            "navy and white", "warm neutrals", "black with one bright accent", "soft greys with blue",
            "bold brand colours",
        ),
        _ask(
            "text", "subject", ("text",), "Should the image contain text? Type it word for word, or pick one:",
            "a short title", "no text, I will add it on the slide", "a single big number", "a title and subtitle",
        ),
        _ask(
            "mood", "mood", ("mood",), "What tone should it set?",
            "confident and professional", "optimistic", "serious", "friendly", "inspiring",
        ),
        _MUST_INCLUDE,
    ),
    ImageType.SOCIAL_POST: (
        _ask(
            "platform", "use", ("platform",), "Which platform is it for?",
            "Instagram", "LinkedIn", "Facebook", "X", "Pinterest",
        ),
        _GOAL,
        _SUBJECT_DESIGN,
        _STYLE_DESIGN,
        _COLOUR,
        _MOOD,
        _TEXT_DESIGN,
        _AUDIENCE,
        _COMPOSITION_DESIGN,
        _MUST_INCLUDE,
    ),
    ImageType.SOCIAL_STORY: (
        _ask(
            "platform", "use", ("platform",), "Which platform is the story for?",
            "Instagram Stories", "TikTok", "Facebook Stories", "Snapchat", "WhatsApp status",
        ),
        _GOAL,
        _SUBJECT_DESIGN,
        _STYLE_DESIGN,
        _COLOUR,
        _MOOD,
        _TEXT_DESIGN,
        _AUDIENCE,
        _COMPOSITION_DESIGN,
        _MUST_INCLUDE,
    ),
    ImageType.BANNER: (
        _ask(
            "usage", "use", ("usage", "platform"), "Where will the banner go?",
            "as a website header", "as a LinkedIn or X header", "as a YouTube channel banner",
            "as a printed banner at an event",
        ),
        _TEXT_DESIGN,
        _SUBJECT_DESIGN,
        _STYLE_DESIGN,
        _COLOUR,
        _MOOD,
        _COMPOSITION_DESIGN,
        _AUDIENCE,
        _MUST_INCLUDE,
    ),
    ImageType.POSTER: (
        _ask(
            "goal", "use", ("goal",), "What is the poster for?",
            "announce an event", "promote a product or sale", "inform or explain", "decorate a wall",
            "invite people to join",
        ),
        _ask(
            "text", "subject", ("text",), "What text should it carry, word for word? Type it, or pick one:",
            "a headline, date and place", "only a short headline", "the title and the author's name",
            "no text at all",
        ),
        _SUBJECT_DESIGN,
        _STYLE_DESIGN,
        _COLOUR,
        _MOOD,
        _AUDIENCE,
        _COMPOSITION_DESIGN,
        _MUST_INCLUDE,
    ),
    ImageType.PRODUCT: (
        _ask(
            "subject", "subject", ("subject",), "What matters about the product: material, finish, details?",
            "with a matte finish", "with a glossy, reflective surface", "with its packaging",
            "with visible texture and fine details", "with water droplets, freshly chilled",
        ),
        _ask(
            "setting", "setting", ("setting",), "What should it stand on or in?",
            "on a plain white background", "on a marble counter", "in a cosy home scene", "outdoors in nature",
            "on a coloured backdrop",
        ),
        _ask(
            "lighting", "mood", ("lighting",), "What light?",
            "soft, even studio light", "hard light with crisp shadows", "natural window light",
            "dramatic rim light", "bright, high-key light",
        ),
        _ask(
            "composition", "composition", ("composition",), "Which angle?",
            "a straight-on hero shot", "a three-quarter angle", "a top-down flat lay", "a close-up of the details",
            "a group shot with its variants",
        ),
        _STYLE_PHOTO,
        _COLOUR,
        _ask(
            "usage", "use", ("usage", "platform"), "Where will the shot be used?",
            "on an online shop page", "in an advert", "on social media", "in a printed catalogue",
        ),
        _MOOD,
        _MUST_INCLUDE,
    ),
    ImageType.PORTRAIT: (
        _ask(
            "subject", "subject", ("subject",), "Who is it, and with what expression?",
            "a confident, smiling expression", "a thoughtful, serious look", "a relaxed, candid moment",
            "a joyful laugh",
        ),
        _ask(
            "setting", "setting", ("setting",), "Where is the person?",
            "in a studio with a plain backdrop", "in an office", "outdoors in a city street",
            "at home, in a relaxed setting", "in nature",
        ),
        _LIGHTING,
        _ask(
            "style", "style", ("style",), "Which portrait style?",
            "natural and candid", "classic studio", "cinematic", "black-and-white film", "painted",
        ),
        _ask(
            "composition", "composition", ("composition",), "How much of the person should show?",
            "a tight headshot", "a head-and-shoulders shot", "a half-body shot", "a full-length shot",
            "an environmental portrait showing the surroundings",
        ),
        _COLOUR,
        _MOOD,
        _ask(
            "usage", "use", ("usage", "platform"), "Where will the portrait be used?",
            "as a profile picture", "on a company website", "in print", "as a gift or keepsake",
        ),
        _MUST_INCLUDE,
    ),
    ImageType.LANDSCAPE: (
        _ask(
            "time_of_day", "mood", ("time",), "What time of day and weather?",
            "at sunrise", "at golden hour", "under a stormy sky", "at night under the stars",
            "on a bright, clear day",
        ),
        _ask(
            "subject", "subject", ("subject",), "What is the main feature of the view?",
            "mountains and a lake", "a coastline with cliffs", "rolling green hills", "a city skyline",
            "a forest path",
        ),
        _ask(
            "style", "style", ("style",), "Which style?",
            "photorealistic", "painterly", "cinematic", "watercolour", "stylised and graphic",
        ),
        _COLOUR,
        _ask(
            "composition", "composition", ("composition",), "How should the view be framed?",
            "a sweeping wide panorama", "a strong foreground leading into the distance", "a view from high above",
            "a low, ground-level view", "a symmetrical reflection in water",
        ),
        _MOOD,
        _USAGE,
        _MUST_INCLUDE,
    ),
    ImageType.ILLUSTRATION: (
        _ask(
            "style", "style", ("style",), "Which illustration style?",
            "flat vector", "watercolour", "detailed digital painting", "pencil sketch", "cartoon",
        ),
        _SUBJECT,
        _COLOUR,
        _MOOD,
        _SETTING,
        _COMPOSITION,
        _ask(
            "audience", "use", ("audience",), "Who is it for?",
            "children", "teenagers", "adults", "professionals",
        ),
        _USAGE,
        _MUST_INCLUDE,
    ),
    ImageType.PHOTO: (
        _SUBJECT,
        _SETTING,
        _LIGHTING,
        _STYLE_PHOTO,
        _COLOUR,
        _COMPOSITION,
        _MOOD,
        _USAGE,
        _MUST_INCLUDE,
    ),
    ImageType.GENERAL: (
        _SUBJECT,
        _STYLE_GENERAL,
        _SETTING,
        _MOOD,
        _COLOUR,
        _COMPOSITION,
        _LIGHTING,
        _USAGE,
        _MUST_INCLUDE,
    ),
}

# Asked in guided and explorer whatever the score says: the image is poor without them.
_ESSENTIAL: dict[ImageType, str] = {
    ImageType.LOGO: "text",
    ImageType.POSTER: "text",
    ImageType.BANNER: "text",
    ImageType.SOCIAL_POST: "platform",
    ImageType.SOCIAL_STORY: "platform",
    ImageType.PRESENTATION: "audience",
}

QUESTION_KEYS: frozenset[str] = frozenset(a.key for asks in _BANK.values() for a in asks)


def _find(image_type: ImageType, key: str) -> _Ask:
    for ask in _BANK[image_type]:
        if ask.key == key:
            return ask
    raise KeyError(f"{key} is not asked for {image_type.value}")


def question_for(image_type: ImageType | str, key: str) -> Question:
    """The question `key` as worded for `image_type`; KeyError if that type never asks it."""
    ask = _find(ImageType(image_type), key)
    return Question(key=ask.key, text=ask.text, options=list(ask.options), criterion=ask.criterion)


def plan_questions(prompt: str, image_type: ImageType, mode: DialogueMode, *, before: PromptScore) -> list[str]:
    """The keys to ask, in asking order, for `prompt` in `mode`.

    Questions about what the prompt already says are dropped. The rest are chosen
    by how many points their criterion could still earn (a second question on the
    same criterion earns none), plus the type's essential question in guided and
    explorer. Quick and guided add zero-gain questions only to reach their minimum;
    explorer goes on to its maximum. The chosen keys are asked in the type's
    natural order.
    """
    fewest, most = MODE_LIMITS[mode]
    if most == 0:
        return []
    known = enhancer.known_aspects(prompt)
    bank = _BANK[image_type]
    askable = [a for a in bank if not (set(a.known_if) & known)]
    chosen: list[_Ask] = []
    filled: set[str] = set()
    essential = _ESSENTIAL.get(image_type)
    if mode != DialogueMode.QUICK and essential:
        for a in askable:
            if a.key == essential:
                chosen.append(a)
                filled.add(a.criterion)
    while len(chosen) < most:
        remaining = [a for a in askable if a not in chosen]
        if not remaining:
            break
        gains = [0 if a.criterion in filled else before.gap(a.criterion) for a in remaining]
        best = max(range(len(remaining)), key=lambda i: (gains[i], -i))
        if gains[best] == 0 and len(chosen) >= fewest and mode != DialogueMode.EXPLORER:
            break
        chosen.append(remaining[best])
        filled.add(remaining[best].criterion)
    return [a.key for a in bank if a in chosen]


# ---------------------------------------------------------------------- state


class DialogueState(BaseModel):
    """Everything needed to continue a dialogue after a restart; store `model_dump(mode="json")`.

    `asked` lists the keys put to the user so far, the pending one last; `answers`
    maps answered keys to the resolved text; `plan` is fixed at the start.
    """

    model_config = ConfigDict(frozen=True)

    schema_version: Literal[1] = SCHEMA_VERSION
    mode: DialogueMode
    image_type: ImageType
    original_prompt: str
    plan: list[str]
    asked: list[str] = Field(default_factory=list)
    answers: dict[str, str] = Field(default_factory=dict)
    pending: str | None = None
    status: DialogueStatus
    ended_early: bool = False  # "generate now" before the last question
    score_before: int

    @model_validator(mode="after")
    def _consistent(self) -> DialogueState:
        limit = MODE_LIMITS[self.mode][1]
        if len(self.plan) > limit or len(set(self.plan)) != len(self.plan):
            raise ValueError(f"plan {self.plan} is not a list of at most {limit} distinct questions")
        for key in self.plan:
            if key not in {a.key for a in _BANK[self.image_type]}:
                raise ValueError(f"question {key!r} is not asked for {self.image_type.value}")
        if self.asked != self.plan[: len(self.asked)]:
            raise ValueError("asked questions must follow the plan")
        if not set(self.answers) <= set(self.asked):
            raise ValueError("answers must belong to asked questions")
        if (self.status == DialogueStatus.ASKING) != (self.pending is not None):
            raise ValueError("a pending question goes with status 'asking', and only with it")
        if self.pending is not None and (not self.asked or self.asked[-1] != self.pending):
            raise ValueError("the pending question must be the last one asked")
        if self.pending is not None and self.pending in self.answers:
            raise ValueError("the pending question is already answered")
        return self


def start(
    prompt: str,
    mode: DialogueMode | str | None = DEFAULT_MODE,
    image_type: ImageType | str | None = None,
) -> DialogueState:
    """Begin a dialogue for `prompt`: detect the type (unless given), score it, plan the questions.

    Mode skip, or a prompt with nothing left to ask, returns a READY state at once.
    Raises InvalidInput for a blank prompt or an unknown mode.
    """
    if not prompt.strip():
        raise InvalidInput("The prompt is empty: describe the image you want.")
    chosen_mode = parse_mode(mode)
    kind = ImageType(image_type) if image_type else enhancer.detect_type(prompt).image_type
    before = enhancer.score(prompt)
    plan = plan_questions(prompt, kind, chosen_mode, before=before)
    first = plan[0] if plan else None
    return DialogueState(
        mode=chosen_mode,
        image_type=kind,
        original_prompt=prompt,
        plan=plan,
        asked=[first] if first else [],
        pending=first,
        status=DialogueStatus.ASKING if first else DialogueStatus.READY,
        score_before=before.total,
    )


def restore(data: dict | None) -> DialogueState | None:
    """The state stored on a conversation record, checked; StorageError when the stored data is not a valid state."""
    if data is None:
        return None
    try:
        return DialogueState.model_validate(data)
    except ValueError:
        raise StorageError(
            "The saved dialogue of this conversation is damaged (not a valid dialogue state); nothing was changed. "
            "Start a new conversation, or call openai_conversational_image with dialogue_mode skip."
        ) from None


def stored(state: DialogueState) -> dict:
    """`state` as the JSON data a conversation record keeps."""
    return state.model_dump(mode="json")


def current_question(state: DialogueState) -> Question | None:
    """The pending question, or None when the dialogue is finished."""
    if state.pending is None:
        return None
    return question_for(state.image_type, state.pending)


def question_number(state: DialogueState) -> tuple[int, int]:
    """(number of the pending question, questions planned), e.g. (2, 5); (asked, planned) once finished."""
    return len(state.asked), len(state.plan)


def is_finished(state: DialogueState) -> bool:
    """True once the dialogue is READY or CANCELLED."""
    return state.status != DialogueStatus.ASKING


def _normalise(text: str) -> str:
    words = re.sub(r"[^\w\s']", " ", text.casefold().replace("’", "'")).split()
    while words and words[0] in {"please", "ok", "okay", "just", "yes", "now"}:
        words = words[1:]
    while words and words[-1] in {"please", "thanks", "thank", "you", "now", "then"}:
        words = words[:-1]
    return " ".join(words)


_FINISH = frozenset(
    {
        "skip", "skip it", "skip this", "skip all", "skip the rest", "skip rest", "skip questions",
        "skip the questions", "generate", "generate now", "generate it", "generate it now", "generate the image",
        "just generate", "go", "go ahead", "go ahead and generate", "done", "finish", "enough", "that's enough",
        "thats enough", "proceed", "create it", "make it", "do it", "just do it", "no more questions",
        "generate now", "create now", "draw it", "start generating",
    }
)
_CANCEL = frozenset(
    {
        "cancel", "cancel it", "cancel that", "cancel this", "stop", "stop it", "never mind", "nevermind", "nvm",
        "abort", "quit", "forget it", "exit", "don't generate", "dont generate", "stop the dialogue",
    }
)


def wants_to_finish(text: str) -> bool:
    """True when `text` asks to stop questioning and generate now ("skip", "generate now", "go ahead" ...)."""
    return _normalise(text) in _FINISH


def wants_to_cancel(text: str) -> bool:
    """True when `text` asks to stop without generating ("cancel", "stop", "never mind" ...)."""
    return _normalise(text) in _CANCEL


_CHOICE = re.compile(r"^\s*(?:option\s*|#\s*)?\(?([0-9]{1,2}|[a-zA-Z])\)?\s*[.):]?\s*$", re.IGNORECASE)


def _choice_index(part: str, count: int) -> int | None:
    match = _CHOICE.match(part)
    if not match:
        return None
    token = match.group(1)
    index = int(token) - 1 if token.isdigit() else ord(token.lower()) - ord("a")
    return index if 0 <= index < count else None


def resolve_answer(question: Question, text: str) -> str:
    """What a reply means for `question`: the option it picks by number ("2"), letter ("b", "B)") or
    words (any case), several options ("1 and 3"), or else the reply itself as free text."""
    reply = " ".join(text.split())
    count = len(question.options)
    single = _choice_index(reply, count)
    if single is not None:
        return question.options[single]
    parts = [p for p in re.split(r"\s*(?:,|&|\band\b|\+)\s*", reply) if p]
    if len(parts) > 1:
        indexes = [_choice_index(p, count) for p in parts]
        if all(i is not None for i in indexes):
            picked = [question.options[i] for i in dict.fromkeys(indexes) if i is not None]
            return " and ".join(picked)
    wanted = _normalise(reply)
    for option in question.options:
        if _normalise(option) == wanted:
            return option
    return reply


def answer(state: DialogueState, text: str) -> DialogueState:
    """Apply one reply to the pending question and return the next state.

    "generate now" and its variants end the dialogue READY (ended_early), "cancel"
    and its variants end it CANCELLED; anything else answers the pending question
    and moves to the next planned one, or to READY after the last. Raises
    InvalidInput for an empty reply or when no question is pending.
    """
    if state.pending is None:
        raise InvalidInput(f"This dialogue is {state.status.value}: there is no question waiting for an answer.")
    if not text or not text.strip():
        raise InvalidInput(
            'The answer is empty: reply with an option number, its words, your own words, "generate now" or "cancel".'
        )
    if wants_to_cancel(text):
        return cancel(state)
    if wants_to_finish(text):
        return finish_early(state)
    question = question_for(state.image_type, state.pending)
    answers = {**state.answers, state.pending: resolve_answer(question, text)}
    following = state.plan[len(state.asked)] if len(state.asked) < len(state.plan) else None
    if following is None:
        return state.model_copy(update={"answers": answers, "pending": None, "status": DialogueStatus.READY})
    return state.model_copy(
        update={"answers": answers, "asked": [*state.asked, following], "pending": following}
    )


def finish_early(state: DialogueState) -> DialogueState:
    """Stop asking and be READY to generate with the answers so far (also for a declined elicitation form)."""
    if is_finished(state):
        return state
    return state.model_copy(update={"pending": None, "status": DialogueStatus.READY, "ended_early": True})


def cancel(state: DialogueState) -> DialogueState:
    """Stop without generating; the answers so far are kept."""
    if is_finished(state):
        return state
    return state.model_copy(update={"pending": None, "status": DialogueStatus.CANCELLED})


def final_prompt(state: DialogueState) -> str:
    """The prompt to generate with: the original prompt plus the answers, via enhancer.enhance.

    Call it once, when the dialogue is READY; refinements later in the conversation
    send the user's new text as it is, never this prompt again.
    """
    return enhancer.enhance(state.original_prompt, state.answers, state.image_type)


def score_after(state: DialogueState) -> int:
    """The final prompt's score, for "Prompt quality: before -> after"."""
    return enhancer.score(final_prompt(state)).total
