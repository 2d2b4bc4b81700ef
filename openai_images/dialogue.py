"""The pre-generation dialogue: which questions to ask, and what an answer does.

A small state machine with no I/O. `start` detects the image type, scores the
prompt and fixes a plan of question keys up front; `answer` takes one reply and
returns a new state. The plan never changes and never repeats a key, so a
dialogue always ends within its mode's maximum: the loops of an earlier design
came from deciding the next question anew from loosely keyed answers.

Each type has two banks: broad questions (style, colour, light, framing, use ...)
and a deep bank of finer ones (camera and lens, materials, props, where text
goes, what to avoid, level of detail ...). Nothing the prompt already settles
(`aspects.said`) is asked; explorer always draws on the deep bank, so a detailed
prompt gets finer questions rather than none.

The state is a versioned pydantic model. The conversation record keeps it as
plain JSON data (storage knows nothing of dialogues); `restore` checks that data
and turns it back into a state after a restart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from openai_images import aspects, enhancer
from openai_images.enhancer import ImageType, PromptScore
from openai_images.errors import InvalidInput, StorageError

SCHEMA_VERSION: Final = 1


class DialogueMode(StrEnum):
    """How many questions to ask: see MODE_LIMITS."""

    QUICK = "quick"
    GUIDED = "guided"
    EXPLORER = "explorer"
    SKIP = "skip"


# DialogueMode's values as a type, for the tool parameter: a type checker cannot derive a Literal from an enum.
ModeName = Literal["quick", "guided", "explorer", "skip"]
if get_args(ModeName) != tuple(DialogueMode):
    raise RuntimeError("dialogue.ModeName must list DialogueMode's values, in the same order")


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
    known_if: tuple[str, ...]  # aspects.said names that make the question unnecessary
    text: str
    options: tuple[str, ...]
    overlaps: tuple[str, ...] = ()  # keys asking much the same: a plan never holds both


def _ask(key: str, criterion: str, known_if: tuple[str, ...], text: str, *options: str, overlaps: tuple[str, ...] = ()) -> _Ask:
    return _Ask(key, criterion, known_if, text, options, overlaps)


# Options are written to read naturally inside enhancer.enhance's sentences.
_STYLE_DESIGN = _ask(
    "style",
    "style",
    ("style",),
    "Which visual style fits best?",
    "bold and graphic",
    "photographic",
    "illustrated and playful",
    "minimal and elegant",
    "retro",
)
_STYLE_PHOTO = _ask(
    "style",
    "style",
    ("style",),
    "What photographic style do you want?",
    "clean studio photography",
    "natural lifestyle photography",
    "cinematic",
    "bright and airy editorial",
    "dark and moody",
)
_STYLE_GENERAL = _ask(
    "style",
    "style",
    ("style",),
    "Which visual style fits best?",
    "photorealistic",
    "illustrated",
    "painterly",
    "3D render",
    "minimal and graphic",
)
_COLOUR = _ask(
    "colour",
    "colour",
    ("colour",),
    "Which colours should it use?",
    "warm earthy tones",
    "cool blues and greens",
    "bright, saturated colours",
    "black and white",
    "soft pastels",
)
_MOOD = _ask(
    "mood",
    "mood",
    ("mood",),
    "What mood should it have?",
    "calm and peaceful",
    "warm and inviting",
    "bold and energetic",
    "mysterious",
    "cheerful and playful",
)
_LIGHTING = _ask(
    "lighting",
    "mood",
    ("lighting",),
    "What kind of light?",
    "soft natural daylight",
    "golden-hour sun",
    "dramatic studio light",
    "bright, even light",
    "neon and night lights",
)
_COMPOSITION = _ask(
    "composition",
    "composition",
    ("composition",),
    "How should it be framed?",
    "a close-up of the subject",
    "a wide shot with room around it",
    "a centred, symmetrical view",
    "a view from above",
    "an off-centre subject with space for text",
)
_COMPOSITION_DESIGN = _ask(
    "composition",
    "composition",
    ("composition",),
    "How should the layout work?",
    "a bold central image",
    "an image on one side, space for text on the other",
    "a full-bleed photo with the text on top",
    "a clean layout with lots of empty space",
)
_SETTING = _ask(
    "setting",
    "setting",
    ("setting",),
    "Where does it take place?",
    "in a busy city street",
    "in quiet nature",
    "indoors in a cosy room",
    "against a plain background",
    "in a fantasy world",
)
_SUBJECT = _ask(
    "subject",
    "subject",
    ("subject",),
    "What matters most about the subject: what is it doing, or which detail?",
    "the subject in motion",
    "the subject facing the viewer",
    "one striking detail up close",
    "the subject small in a vast scene",
)
_SUBJECT_DESIGN = _ask(
    "subject",
    "subject",
    ("subject",),
    "What should the image show?",
    "the product itself",
    "people enjoying it",
    "a bold graphic shape",
    "the place or venue",
)
_USAGE = _ask(
    "usage",
    "use",
    ("usage", "platform"),
    "Where will the image be used?",
    "on a website",
    "in print",
    "on social media",
    "in a presentation",
    "as a wallpaper",
)
_AUDIENCE = _ask(
    "audience",
    "use",
    ("audience",),
    "Who is it for?",
    "young adults",
    "families",
    "professionals",
    "local neighbours",
    "students",
)
_TEXT_DESIGN = _ask(
    "text",
    "subject",
    ("text",),
    "What text should appear, word for word? Type it, or pick one:",
    "a short catchy headline",
    "the brand name",
    "a headline, date and place",
    "no text at all",
)
_GOAL = _ask(
    "goal",
    "use",
    ("goal",),
    "What should it achieve?",
    "grab attention in a busy feed",
    "announce news or an event",
    "promote an offer",
    "build brand awareness",
    "start a conversation",
)
_MUST_INCLUDE = _ask(
    "must_include",
    "subject",
    (),
    "Anything that must be in it, or kept out?",
    "no people",
    "no text",
    "plenty of empty space",
    "nothing more",
)

_BANK: dict[ImageType, tuple[_Ask, ...]] = {
    ImageType.LOGO: (
        _ask(
            "text",
            "subject",
            ("text",),
            "What name or words should the logo show, spelled exactly? Type them, or pick one:",
            "the name given in my request",
            "only the initials",
            "a fitting made-up name",
            "no text, just a symbol",
        ),
        _ask(
            "logo_kind",
            "composition",
            ("logo_form", "composition"),
            "What kind of logo?",
            "a symbol with the name beside it",
            "a wordmark of the name in custom lettering",
            "a monogram of the initials",
            "a badge or emblem",
            "a symbol on its own",
        ),
        _ask(
            "brand_values",
            "mood",
            ("mood",),
            "What should the brand feel like?",
            "warm and friendly",
            "premium and refined",
            "playful and fun",
            "bold and modern",
            "natural and organic",
        ),
        _ask(
            "style",
            "style",
            ("style",),
            "What style should the logo have?",
            "minimalist and flat",
            "hand-drawn and vintage",
            "bold and geometric",
            "elegant line-art",
            "playful and illustrated",
        ),
        _COLOUR,
        _ask(
            "subject",
            "subject",
            ("subject",),
            "What should the symbol show?",
            "an object that stands for the business",
            "an abstract shape",
            "a mascot or character",
            "a landmark or local motif",
        ),
        _ask(
            "usage",
            "use",
            ("usage",),
            "Where will the logo mostly be seen?",
            "on signs and the storefront",
            "on cups, bags and packaging",
            "on the website and social media",
            "everywhere, so it must work small and in one colour",
        ),
        _ask(
            "audience",
            "use",
            ("audience",),
            "Who are the customers?",
            "local regulars",
            "students and young professionals",
            "families",
            "businesses",
            "tourists",
        ),
        _MUST_INCLUDE,
    ),
    ImageType.ICON: (
        _ask(
            "subject",
            "subject",
            ("subject",),
            "What should the icon depict?",
            "a simple everyday object",
            "a letter or initial",
            "an abstract symbol",
            "a character or face",
        ),
        _ask(
            "style",
            "style",
            ("style",),
            "Which icon style?",
            "flat and minimal",
            "outlined",
            "glossy 3D",
            "hand-drawn",
            "isometric",
        ),
        _COLOUR,
        _ask(
            "composition",
            "composition",
            ("composition", "shape"),
            "What shape and background?",
            "a rounded-square app tile",
            "a circle badge",
            "a bare glyph on a transparent background",
            "a flat shape on a coloured square",
        ),
        _ask(
            "usage",
            "use",
            ("usage", "platform"),
            "Where will the icon be used?",
            "as a phone app icon",
            "on a website",
            "in a slide deck",
            "in a printed guide",
        ),
        _MOOD,
        _AUDIENCE,
        _MUST_INCLUDE,
    ),
    ImageType.PRESENTATION: (
        _ask(
            "audience",
            "use",
            ("audience",),
            "Who is the audience?",
            "executives and investors",
            "customers",
            "colleagues",
            "students",
            "a general audience",
        ),
        _ask(
            "subject",
            "subject",
            ("subject",),
            "What is the slide about, in a few words?",
            "growth and results",
            "a new product",
            "our team",
            "a process or timeline",
            "a vision for the future",
        ),
        _ask(
            "composition",
            "composition",
            ("composition",),
            "Where should the space for text be?",
            "a full-bleed image with text space on the left",
            "a centred visual with space above and below",
            "a quiet background that stays out of the way",
            "a split layout with the image on one side",
        ),
        _ask(
            "style",
            "style",
            ("style",),
            "Which look suits the deck?",
            "clean corporate",
            "bold and minimal",
            "friendly illustrated",
            "photographic",
            "dark and techy",
        ),
        _ask(
            "colour",
            "colour",
            ("colour",),
            "Which colours?",
            "navy and white",
            "warm neutrals",
            "black with one bright accent",
            "soft greys with blue",
            "bold brand colours",
        ),
        _ask(
            "text",
            "subject",
            ("text",),
            "Should the image contain text? Type it word for word, or pick one:",
            "a short title",
            "no text, I will add it on the slide",
            "a single big number",
            "a title and subtitle",
        ),
        _ask(
            "mood",
            "mood",
            ("mood",),
            "What tone should it set?",
            "confident and professional",
            "optimistic",
            "serious",
            "friendly",
            "inspiring",
        ),
        _MUST_INCLUDE,
    ),
    ImageType.SOCIAL_POST: (
        _ask(
            "platform",
            "use",
            ("platform",),
            "Which platform is it for?",
            "Instagram",
            "LinkedIn",
            "Facebook",
            "X",
            "Pinterest",
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
            "platform",
            "use",
            ("platform",),
            "Which platform is the story for?",
            "Instagram Stories",
            "TikTok",
            "Facebook Stories",
            "Snapchat",
            "WhatsApp status",
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
            "usage",
            "use",
            ("usage", "platform"),
            "Where will the banner go?",
            "as a website header",
            "as a LinkedIn or X header",
            "as a YouTube channel banner",
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
            "goal",
            "use",
            ("goal",),
            "What is the poster for?",
            "announce an event",
            "promote a product or sale",
            "inform or explain",
            "decorate a wall",
            "invite people to join",
        ),
        _ask(
            "text",
            "subject",
            ("text",),
            "What text should it carry, word for word? Type it, or pick one:",
            "a headline, date and place",
            "only a short headline",
            "the title and the author's name",
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
            "subject",
            "subject",
            ("subject",),
            "What matters about the product: material, finish, details?",
            "with a matte finish",
            "with a glossy, reflective surface",
            "with its packaging",
            "with visible texture and fine details",
            "with water droplets, freshly chilled",
        ),
        _ask(
            "setting",
            "setting",
            ("setting",),
            "What should it stand on or in?",
            "on a plain white background",
            "on a marble counter",
            "in a cosy home scene",
            "outdoors in nature",
            "on a coloured backdrop",
        ),
        _ask(
            "lighting",
            "mood",
            ("lighting",),
            "What light?",
            "soft, even studio light",
            "hard light with crisp shadows",
            "natural window light",
            "dramatic rim light",
            "bright, high-key light",
        ),
        _ask(
            "composition",
            "composition",
            ("composition",),
            "Which angle?",
            "a straight-on hero shot",
            "a three-quarter angle",
            "a top-down flat lay",
            "a close-up of the details",
            "a group shot with its variants",
        ),
        _STYLE_PHOTO,
        _COLOUR,
        _ask(
            "usage",
            "use",
            ("usage", "platform"),
            "Where will the shot be used?",
            "on an online shop page",
            "in an advert",
            "on social media",
            "in a printed catalogue",
        ),
        _MOOD,
        _MUST_INCLUDE,
    ),
    ImageType.PORTRAIT: (
        _ask(
            "subject",
            "subject",
            ("subject",),
            "Who is it, and with what expression?",
            "a confident, smiling expression",
            "a thoughtful, serious look",
            "a relaxed, candid moment",
            "a joyful laugh",
        ),
        _ask(
            "setting",
            "setting",
            ("setting",),
            "Where is the person?",
            "in a studio with a plain backdrop",
            "in an office",
            "outdoors in a city street",
            "at home, in a relaxed setting",
            "in nature",
        ),
        _LIGHTING,
        _ask(
            "style",
            "style",
            ("style",),
            "Which portrait style?",
            "natural and candid",
            "classic studio",
            "cinematic",
            "black-and-white film",
            "painted",
        ),
        _ask(
            "composition",
            "composition",
            ("composition",),
            "How much of the person should show?",
            "a tight headshot",
            "a head-and-shoulders shot",
            "a half-body shot",
            "a full-length shot",
            "an environmental portrait showing the surroundings",
        ),
        _COLOUR,
        _MOOD,
        _ask(
            "usage",
            "use",
            ("usage", "platform"),
            "Where will the portrait be used?",
            "as a profile picture",
            "on a company website",
            "in print",
            "as a gift or keepsake",
        ),
        _MUST_INCLUDE,
    ),
    ImageType.LANDSCAPE: (
        _ask(
            "time_of_day",
            "mood",
            ("time", "lighting"),
            "What time of day and weather?",
            "at sunrise",
            "at golden hour",
            "under a stormy sky",
            "at night under the stars",
            "on a bright, clear day",
        ),
        _ask(
            "subject",
            "subject",
            ("subject",),
            "What is the main feature of the view?",
            "mountains and a lake",
            "a coastline with cliffs",
            "rolling green hills",
            "a city skyline",
            "a forest path",
        ),
        _ask(
            "style",
            "style",
            ("style",),
            "Which style?",
            "photorealistic",
            "painterly",
            "cinematic",
            "watercolour",
            "stylised and graphic",
        ),
        _COLOUR,
        _ask(
            "composition",
            "composition",
            ("composition",),
            "How should the view be framed?",
            "a sweeping wide panorama",
            "a strong foreground leading into the distance",
            "a view from high above",
            "a low, ground-level view",
            "a symmetrical reflection in water",
        ),
        _MOOD,
        _USAGE,
        _MUST_INCLUDE,
    ),
    ImageType.ILLUSTRATION: (
        _ask(
            "style",
            "style",
            ("style",),
            "Which illustration style?",
            "flat vector",
            "watercolour",
            "detailed digital painting",
            "pencil sketch",
            "cartoon",
        ),
        _SUBJECT,
        _COLOUR,
        _MOOD,
        _SETTING,
        _COMPOSITION,
        _ask(
            "audience",
            "use",
            ("audience",),
            "Who is it for?",
            "children",
            "teenagers",
            "adults",
            "professionals",
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

# ------------------------------------------------------------- the deep bank

# Finer questions, for explorer's deep dive and for detailed prompts: once the
# prompt has settled the broad aspects, these ask about what is still open
# (camera and lens, materials, props, where text goes, what to avoid, level of
# detail ...). Their answers are woven in by final_prompt, under FINE_LABELS.
_VIEWPOINT = _ask(
    "viewpoint",
    "composition",
    ("camera",),
    "From which viewpoint?",
    "straight on, at eye level",
    "from a low angle, looking up",
    "from above, looking down",
    "a three-quarter view",
    "a flat, front-on view",
)
_SPACE_DESIGN = _ask(
    "space",
    "composition",
    ("space",),
    "Where should text go, and how much empty space should be left?",
    "a clear band across the top for a headline",
    "the left third kept empty for text",
    "a calm strip along the bottom",
    "generous empty space all around the subject",
    "no empty space: fill the frame",
    overlaps=("composition",),
)
_SPACE_PICTURE = _ask(
    "space",
    "composition",
    ("space",),
    "Should part of it stay empty, for text or a title?",
    "room at the top for a title",
    "a quiet side for text",
    "no, use the whole picture",
)
_TYPEFACE_DESIGN = _ask(
    "typeface",
    "style",
    ("typeface",),
    "Which lettering?",
    "a bold, condensed sans-serif",
    "an elegant serif",
    "hand-lettered script",
    "chunky rounded letters",
    "a clean, modern sans-serif",
)
_PROPS_DESIGN = _ask(
    "props",
    "setting",
    ("props",),
    "Which supporting elements?",
    "a few simple icons",
    "abstract shapes and lines",
    "confetti or sparkles",
    "photos of the place or people",
    "none, just the main image",
)
_MATERIALS_DESIGN = _ask(
    "materials",
    "style",
    ("materials",),
    "Which textures or finish?",
    "clean flat colour",
    "a printed paper texture",
    "glossy, shiny surfaces",
    "soft gradients and glow",
    "gritty, worn grain",
)
_FOCUS_DESIGN = _ask(
    "focus",
    "composition",
    ("focus",),
    "What should catch the eye first?",
    "the headline",
    "the product",
    "a person's face",
    "one bright accent colour",
    "the date and place",
)
_DETAIL_DESIGN = _ask(
    "detail",
    "style",
    ("detail",),
    "How much detail?",
    "bold and simple, readable at a glance",
    "a few well-chosen details",
    "richly detailed, rewarding a closer look",
)
_DETAIL_PICTURE = _ask(
    "detail",
    "style",
    ("detail",),
    "How much detail?",
    "simple and bold",
    "moderately detailed",
    "highly detailed and intricate",
)
_BRAND = _ask(
    "brand",
    "use",
    ("brand",),
    "Should it carry the brand?",
    "the logo small in a corner",
    "the brand colours only",
    "the logo large and central",
    "no branding",
)
_AVOID_DESIGN = _ask(
    "avoid",
    "subject",
    ("avoid",),
    "Anything to avoid?",
    "stock-photo clichés",
    "small text that is hard to read",
    "a cluttered background",
    "more than three colours",
    "faces or people",
    overlaps=("must_include",),
)
_SEASON = _ask(
    "season",
    "mood",
    ("season", "weather"),
    "Which season and weather?",
    "a bright summer day",
    "a crisp autumn afternoon",
    "a snowy winter",
    "just after the rain",
    "fresh spring",
)
_MATERIALS_PHOTO = _ask(
    "materials",
    "style",
    ("materials",),
    "Which materials and textures should come through?",
    "natural wood and linen",
    "glass and brushed metal",
    "stone and concrete",
    "soft fabrics and knitwear",
    "wet surfaces with reflections",
)
_HIERARCHY = _ask(
    "hierarchy",
    "composition",
    ("hierarchy",),
    "How should the words be ranked?",
    "one huge headline, the rest small",
    "the title and the date equally bold",
    "a quiet title: the image does the talking",
)
_SCALE = _ask(
    "scale",
    "composition",
    ("scale",),
    "How big should it feel?",
    "vast and endless",
    "monumental, towering over the viewer",
    "intimate, a small corner of the world",
)

# Last in every deep bank: asked when the rest is settled or already planned.
_LIGHT_DIRECTION = _ask(
    "light_direction",
    "mood",
    ("light_direction",),
    "Where should the light come from?",
    "from one side, with soft shadows",
    "from behind, with a glowing rim",
    "from above",
    "from the front, even and flat",
)
_ACCENT = _ask(
    "accent",
    "colour",
    ("accent",),
    "Should one colour stand out as an accent?",
    "one warm accent in a cool scene",
    "a single bright red detail",
    "the brand colour as the only accent",
    "no accent, an even palette",
)
_ERA = _ask(
    "era",
    "style",
    ("era",),
    "Which era should it feel like?",
    "timeless",
    "today, contemporary",
    "the 1970s",
    "the 1920s, art deco",
    "the near future",
)
_PRIORITY_DESIGN = _ask(
    "priority",
    "subject",
    ("priority",),
    "If only one thing can be perfect, which should it be?",
    "the text, spelled exactly",
    "the subject, exactly as described",
    "the colours",
    "the mood",
    "the layout",
)
_PRIORITY_PICTURE = _ask(
    "priority",
    "subject",
    ("priority",),
    "If only one thing can be perfect, which should it be?",
    "the subject, exactly as described",
    "the light",
    "the colours",
    "the mood",
    "the composition",
)
_LAST_DESIGN = (_ACCENT, _ERA, _PRIORITY_DESIGN)
_LAST_PICTURE = (_LIGHT_DIRECTION, _ACCENT, _ERA, _PRIORITY_PICTURE)

_FINE: dict[ImageType, tuple[_Ask, ...]] = {
    ImageType.LOGO: (
        _ask(
            "typeface",
            "style",
            ("typeface",),
            "What lettering should the name use?",
            "a clean geometric sans-serif",
            "a classic serif",
            "a flowing hand-written script",
            "a bold, heavy slab",
            "custom hand-drawn letters",
        ),
        _ask(
            "meaning",
            "subject",
            ("meaning",),
            "What idea should the logo suggest?",
            "hospitality, a welcoming place",
            "craft, made by hand",
            "speed and precision",
            "growth",
            "the neighbourhood it belongs to",
        ),
        _ask(
            "shape",
            "composition",
            ("shape",),
            "What outline should the whole logo fit?",
            "a circle",
            "a rounded square",
            "a wide horizontal strip",
            "a tall stacked block",
            "no fixed outline",
        ),
        _ask(
            "background",
            "setting",
            ("background",),
            "What background should it sit on?",
            "a transparent background",
            "plain white",
            "a solid brand colour",
            "a dark background",
        ),
        _ask(
            "materials",
            "style",
            ("materials",),
            "Which finish?",
            "flat printed colour",
            "embossed or debossed",
            "gold foil",
            "a glowing neon sign",
            "carved wood or stamped metal",
        ),
        _ask(
            "detail",
            "style",
            ("detail",),
            "How much detail?",
            "very simple, readable at the size of a stamp",
            "a few clean details",
            "rich, detailed illustration",
        ),
        _ask(
            "versions",
            "use",
            ("versions",),
            "Which versions must it work in?",
            "one colour as well as full colour",
            "on light and on dark backgrounds",
            "tiny, as a favicon or app icon",
            "embroidered on clothing",
        ),
        _ask(
            "avoid",
            "subject",
            ("avoid",),
            "Anything the logo should avoid?",
            "clip-art clichés",
            "gradients and fine detail",
            "more than two colours",
            "thin lines that vanish when small",
            overlaps=("must_include",),
        ),
        *_LAST_DESIGN,
    ),
    ImageType.ICON: (
        _ask(
            "viewpoint",
            "composition",
            ("camera", "dimension"),
            "Flat, or with depth?",
            "perfectly flat, seen straight on",
            "isometric",
            "a three-quarter 3D view",
            "slightly tilted, with a little perspective",
        ),
        _ask(
            "stroke",
            "style",
            ("stroke",),
            "What line weight?",
            "no outlines, solid shapes",
            "a thin, even outline",
            "a bold, thick outline",
            "a mix of fill and outline",
        ),
        _ask(
            "materials",
            "style",
            ("materials",),
            "What surface?",
            "flat colour",
            "soft gradients",
            "glossy glass",
            "matte clay",
            "brushed metal",
        ),
        _ask(
            "shadow",
            "mood",
            ("shadow",),
            "Shadows and depth?",
            "no shadows at all",
            "a soft drop shadow",
            "a long diagonal shadow",
            "subtle highlights and inner shadows",
        ),
        _ask(
            "detail",
            "style",
            ("detail",),
            "How much detail at small sizes?",
            "one simple shape, readable at 16 pixels",
            "a few details, for 64 pixels and up",
            "rich detail for large displays",
        ),
        _ask(
            "versions",
            "use",
            ("versions",),
            "Which versions must it work in?",
            "light and dark mode",
            "one colour, for a toolbar",
            "tiny, in a browser tab",
            "large, on a store page",
        ),
        _ask(
            "meaning",
            "subject",
            ("meaning",),
            "What idea should the icon suggest at a glance?",
            "speed",
            "safety and trust",
            "simplicity",
            "fun",
            "growth",
        ),
        _ask(
            "background",
            "setting",
            ("background",),
            "What sits behind the symbol?",
            "nothing: a transparent background",
            "a solid colour tile",
            "a soft gradient tile",
            "a subtle pattern",
            overlaps=("composition",),
        ),
        _ask(
            "set",
            "style",
            ("set",),
            "Does it belong to a set?",
            "a single, standalone icon",
            "one of a matching set with the same grid, stroke and corners",
            "matching iOS app icons",
            "matching Material Design icons",
        ),
        _ask(
            "avoid",
            "subject",
            ("avoid",),
            "Anything to avoid?",
            "text or letters",
            "fine lines that blur when small",
            "more than three colours",
            "a busy background",
            overlaps=("must_include",),
        ),
        *_LAST_DESIGN,
    ),
    ImageType.PRESENTATION: (
        _ask(
            "visual_aid",
            "subject",
            ("visual_aid",),
            "What should the visual itself show?",
            "a simple chart rising to the right",
            "a diagram of connected steps",
            "an abstract shape that suggests movement",
            "people at work",
            "only a quiet texture",
        ),
        _ask(
            "space",
            "composition",
            ("space",),
            "How much empty space does the slide's text need?",
            "the left half kept empty",
            "a clear band across the top for the title",
            "a calm lower third for captions",
            "generous empty space all around",
            overlaps=("composition",),
        ),
        _ask(
            "typeface",
            "style",
            ("typeface",),
            "If the image carries text, which lettering?",
            "a clean, modern sans-serif",
            "an elegant serif",
            "bold condensed capitals",
            "a friendly rounded face",
        ),
        _ask(
            "materials",
            "style",
            ("materials",),
            "Which textures?",
            "smooth, soft gradients",
            "a subtle paper grain",
            "glassy, translucent shapes",
            "flat colour, no texture",
            "photographic surfaces like wood or concrete",
        ),
        _ask(
            "focus",
            "composition",
            ("focus",),
            "What should the eye land on first?",
            "one big number",
            "a single bright shape",
            "a person's face",
            "the product",
        ),
        _ask(
            "detail",
            "style",
            ("detail",),
            "How busy may the image be?",
            "very sparse, since it sits behind text",
            "a few clear elements",
            "rich and detailed, a full-screen visual",
        ),
        _ask(
            "brand",
            "use",
            ("brand",),
            "Should it carry the brand?",
            "the logo in a corner",
            "the brand colours only",
            "no branding at all",
        ),
        _ask(
            "avoid",
            "subject",
            ("avoid",),
            "Anything to avoid?",
            "clichés like handshakes and puzzle pieces",
            "stock-photo smiles",
            "busy detail behind the text",
            "any text in the image",
            overlaps=("must_include",),
        ),
        _HIERARCHY,
        *_LAST_DESIGN,
    ),
    ImageType.SOCIAL_POST: (
        _SPACE_DESIGN,
        _TYPEFACE_DESIGN,
        _PROPS_DESIGN,
        _FOCUS_DESIGN,
        _VIEWPOINT,
        _MATERIALS_DESIGN,
        _DETAIL_DESIGN,
        _BRAND,
        _AVOID_DESIGN,
        _HIERARCHY,
        *_LAST_DESIGN,
    ),
    ImageType.SOCIAL_STORY: (
        _ask(
            "safe_area",
            "composition",
            ("safe_area",),
            "Should the top and bottom stay clear for the app's buttons and captions?",
            "yes, keep the top and bottom fifth clear",
            "keep everything important in the middle",
            "no need, use the whole frame",
        ),
        _SPACE_DESIGN,
        _TYPEFACE_DESIGN,
        _PROPS_DESIGN,
        _FOCUS_DESIGN,
        _VIEWPOINT,
        _MATERIALS_DESIGN,
        _DETAIL_DESIGN,
        _AVOID_DESIGN,
        _HIERARCHY,
        *_LAST_DESIGN,
    ),
    ImageType.BANNER: (
        _ask(
            "safe_area",
            "composition",
            ("safe_area",),
            "Banners get cropped on phones: where must the key part stay?",
            "in the middle, safe from cropping",
            "on the right, away from a profile photo at the left",
            "anywhere, it is always shown whole",
        ),
        _SPACE_DESIGN,
        _TYPEFACE_DESIGN,
        _PROPS_DESIGN,
        _FOCUS_DESIGN,
        _MATERIALS_DESIGN,
        _DETAIL_DESIGN,
        _BRAND,
        _AVOID_DESIGN,
        _HIERARCHY,
        *_LAST_DESIGN,
    ),
    ImageType.POSTER: (
        _SPACE_DESIGN,
        _TYPEFACE_DESIGN,
        _PROPS_DESIGN,
        _FOCUS_DESIGN,
        _VIEWPOINT,
        _MATERIALS_DESIGN,
        _DETAIL_DESIGN,
        _AVOID_DESIGN,
        _HIERARCHY,
        *_LAST_DESIGN,
    ),
    ImageType.PRODUCT: (
        _ask(
            "camera",
            "composition",
            ("camera",),
            "Which camera angle and lens?",
            "straight on at the product's height, with a 100 mm lens",
            "a slightly high three-quarter angle, 50 mm lens",
            "a low hero angle that makes it look grand",
            "a macro lens on one detail",
        ),
        _ask(
            "materials",
            "style",
            ("materials",),
            "What is it made of, and what finish should show?",
            "matte ceramic",
            "brushed aluminium",
            "clear glass",
            "soft leather",
            "recycled paper and card",
            overlaps=("subject",),
        ),
        _ask(
            "props",
            "setting",
            ("props",),
            "What props should sit around it?",
            "a few fresh ingredients",
            "a folded linen cloth",
            "green leaves and a little water",
            "none, the product alone",
        ),
        _ask(
            "motion",
            "mood",
            ("motion",),
            "Should anything be happening?",
            "a splash of liquid",
            "steam rising",
            "ingredients falling around it",
            "perfectly still",
        ),
        _ask(
            "shadow",
            "mood",
            ("shadow",),
            "What shadows and reflections?",
            "a soft contact shadow",
            "a mirror reflection below it",
            "no shadow, cleanly cut out",
            "long, dramatic shadows",
        ),
        _ask(
            "focus",
            "composition",
            ("focus",),
            "Which feature should draw the eye?",
            "the label and logo",
            "the texture of the material",
            "the shape and silhouette",
            "the opening, cap or mechanism",
        ),
        _ask(
            "space",
            "composition",
            ("space",),
            "Should there be empty space for advert copy?",
            "space on the left for text",
            "space above the product",
            "none, the product fills the frame",
        ),
        _ask(
            "detail",
            "style",
            ("detail", "retouch"),
            "How polished?",
            "crisp, every detail sharp",
            "lightly retouched, true to life",
            "glossy advertising perfection",
        ),
        _ask(
            "avoid",
            "subject",
            ("avoid",),
            "Anything to avoid?",
            "other brands' names",
            "fingerprints and dust",
            "a cluttered background",
            "unrealistic reflections",
            overlaps=("must_include",),
        ),
        *_LAST_PICTURE,
    ),
    ImageType.PORTRAIT: (
        _ask(
            "camera",
            "composition",
            ("camera",),
            "Which camera angle and lens?",
            "eye level, with a flattering 85 mm lens",
            "slightly from below, for a confident look",
            "slightly from above, for a softer look",
            "a wide 35 mm lens that shows the surroundings",
        ),
        _ask(
            "pose",
            "subject",
            ("pose",),
            "What pose?",
            "standing, arms relaxed",
            "seated, leaning slightly forward",
            "arms crossed, confident",
            "looking away, in profile",
            "mid-movement, walking or laughing",
        ),
        _ask(
            "wardrobe",
            "subject",
            ("wardrobe",),
            "What are they wearing?",
            "a dark tailored suit",
            "smart casual, an open-collar shirt",
            "a cosy knit sweater",
            "the work clothes of their trade",
            "something colourful and bold",
        ),
        _ask(
            "props",
            "setting",
            ("props",),
            "Anything with them?",
            "a laptop or notebook",
            "a cup of coffee",
            "the tools of their trade",
            "a pet",
            "nothing, just the person",
        ),
        _ask(
            "focus",
            "composition",
            ("focus",),
            "What should the picture bring out?",
            "their eyes",
            "their hands at work",
            "their smile",
            "the place they belong to",
        ),
        _ask(
            "retouch",
            "style",
            ("retouch",),
            "How much retouching?",
            "none: natural skin and texture",
            "light and natural",
            "polished, magazine-style",
        ),
        _ask(
            "space",
            "composition",
            ("space",),
            "Should there be empty space beside them?",
            "space on one side for text",
            "a little room above the head",
            "none, fill the frame",
        ),
        _ask(
            "avoid",
            "subject",
            ("avoid",),
            "Anything to avoid?",
            "a forced, posed smile",
            "heavy make-up",
            "a distracting background",
            "glare on glasses",
            overlaps=("must_include",),
        ),
        *_LAST_PICTURE,
    ),
    ImageType.LANDSCAPE: (
        _ask(
            "camera",
            "composition",
            ("camera",),
            "Where is the camera, and which lens?",
            "a wide-angle lens close to the ground",
            "a drone high above",
            "a telephoto lens stacking distant layers",
            "a high lookout over the whole view",
        ),
        _ask(
            "season",
            "mood",
            ("season",),
            "Which season?",
            "spring, with fresh green and blossom",
            "high summer",
            "autumn colours",
            "deep winter with snow",
        ),
        _ask(
            "props",
            "setting",
            ("props",),
            "Anything in the scene for scale or story?",
            "a lone hiker",
            "a small cabin with a lit window",
            "a winding road",
            "a flock of birds",
            "nothing man-made",
        ),
        _ask(
            "materials",
            "style",
            ("materials",),
            "Which textures should come through?",
            "mist over still water",
            "wet rocks and moss",
            "rippled sand",
            "snow and ice",
            "wildflowers in the grass",
        ),
        _ask(
            "focus",
            "composition",
            ("focus",),
            "What should the eye go to?",
            "a single peak",
            "the light on the horizon",
            "a lone tree",
            "a path leading away",
        ),
        _ask(
            "space",
            "composition",
            ("space",),
            "Should part of it stay empty?",
            "open sky at the top for text",
            "a calm centre for desktop icons",
            "no, fill the frame with detail",
        ),
        _ask(
            "detail",
            "style",
            ("detail",),
            "How much detail?",
            "crisp detail to the far horizon",
            "soft and hazy in the distance",
            "simplified, graphic shapes",
        ),
        _ask(
            "avoid",
            "subject",
            ("avoid",),
            "Anything to avoid?",
            "people",
            "buildings and roads",
            "power lines and cars",
            "an oversaturated, fake look",
            overlaps=("must_include",),
        ),
        _SCALE,
        *_LAST_PICTURE,
    ),
    ImageType.ILLUSTRATION: (
        _VIEWPOINT,
        _ask(
            "stroke",
            "style",
            ("stroke",),
            "What kind of line work?",
            "no outlines, shapes of colour",
            "thin, clean outlines",
            "bold ink outlines",
            "loose, sketchy lines",
        ),
        _ask(
            "materials",
            "style",
            ("materials",),
            "What texture should the medium show?",
            "visible brush strokes",
            "paper grain",
            "clean vector edges",
            "pencil hatching",
            "risograph-style grain",
        ),
        _ask(
            "props",
            "setting",
            ("props",),
            "What small details should fill the scene?",
            "animals and plants",
            "everyday objects",
            "hidden little jokes",
            "very few, keep it clean",
        ),
        _ask(
            "focus",
            "composition",
            ("focus",),
            "What should the eye land on first?",
            "the main character's face",
            "a bright spot of colour",
            "the centre of the action",
            "a small surprising detail",
        ),
        _SPACE_PICTURE,
        _DETAIL_PICTURE,
        _ask(
            "avoid",
            "subject",
            ("avoid",),
            "Anything to avoid?",
            "anything scary for children",
            "text in the picture",
            "a cluttered background",
            "a generic, glossy AI look",
            overlaps=("must_include",),
        ),
        *_LAST_PICTURE,
    ),
    ImageType.PHOTO: (
        _ask(
            "camera",
            "composition",
            ("camera",),
            "Which camera angle and lens?",
            "eye level, with a natural 50 mm lens",
            "a low angle with a wide 24 mm lens, looking up",
            "from above, looking straight down",
            "an 85 mm lens with a softly blurred background",
            "a macro lens, very close",
        ),
        _MATERIALS_PHOTO,
        _ask(
            "props",
            "setting",
            ("props",),
            "What props or details around the subject?",
            "a few everyday objects",
            "plants and flowers",
            "food and drink",
            "nothing, keep it clean",
        ),
        _ask(
            "motion",
            "mood",
            ("motion",),
            "Should anything be moving?",
            "frozen mid-motion",
            "a gentle motion blur",
            "completely still",
        ),
        _ask(
            "focus",
            "composition",
            ("focus",),
            "What should be in sharpest focus?",
            "the subject's eyes",
            "the subject, with a blurred background",
            "everything, front to back",
            "one small detail",
        ),
        _SEASON,
        _ask(
            "space",
            "composition",
            ("space",),
            "Should it leave empty space for text?",
            "space on one side for text",
            "sky at the top for a headline",
            "no, fill the frame",
        ),
        _ask(
            "detail",
            "style",
            ("detail",),
            "What finish?",
            "crisp and sharp",
            "soft film grain",
            "a slightly hazy, dreamy look",
        ),
        _ask(
            "avoid",
            "subject",
            ("avoid",),
            "Anything to avoid?",
            "people in the background",
            "visible brand names",
            "harsh flash",
            "an over-processed look",
            overlaps=("must_include",),
        ),
        *_LAST_PICTURE,
    ),
    ImageType.GENERAL: (
        _VIEWPOINT,
        _ask(
            "materials",
            "style",
            ("materials",),
            "Which materials and textures?",
            "smooth and polished",
            "rough and weathered",
            "soft and furry",
            "shiny metal",
            "glowing and translucent",
        ),
        _ask(
            "props",
            "setting",
            ("props",),
            "Anything else in the scene?",
            "a few small companions",
            "scattered everyday objects",
            "plants and flowers",
            "nothing, just the subject",
        ),
        _ask(
            "focus",
            "composition",
            ("focus",),
            "What should the eye land on first?",
            "the subject's eyes",
            "a bright glow",
            "the centre of the action",
            "one unusual detail",
        ),
        _SEASON,
        _SPACE_PICTURE,
        _DETAIL_PICTURE,
        _ask(
            "avoid",
            "subject",
            ("avoid",),
            "Anything to avoid?",
            "text in the image",
            "anything scary",
            "a cluttered background",
            "a generic, glossy AI look",
            overlaps=("must_include",),
        ),
        _SCALE,
        *_LAST_PICTURE,
    ),
}

# How each deep answer is said in the final prompt: "<label>: <answer>." A label
# reads right whatever the user typed, which a sentence frame would not.
FINE_LABELS: dict[str, str] = {
    "camera": "Camera angle and lens",
    "viewpoint": "Viewpoint",
    "safe_area": "Keep clear for cropping and overlays",
    "visual_aid": "Main visual",
    "meaning": "The idea it should suggest",
    "pose": "Pose",
    "wardrobe": "Clothing",
    "shape": "Overall shape",
    "background": "Background",
    "stroke": "Line work",
    "materials": "Materials and textures",
    "props": "Props and details",
    "motion": "Movement",
    "shadow": "Shadows and reflections",
    "season": "Season and weather",
    "focus": "Focal point",
    "space": "Text placement and empty space",
    "typeface": "Lettering",
    "retouch": "Retouching",
    "set": "Matching",
    "versions": "Versions it must work in",
    "brand": "Branding",
    "detail": "Level of detail",
    "light_direction": "Light direction",
    "accent": "Accent colour",
    "era": "Era",
    "hierarchy": "Ranking of the words",
    "scale": "Sense of scale",
    "priority": "Most important",
    "avoid": "Avoid",
}


# A logo, an icon or a sticker is wanted as a file that scales: the dialogue offers an SVG (and a sticker an
# animated GIF), asked last and outside the mode's count, unless the call already chose output_format.
FILE_KEY = "file"
VECTOR_FILE, PICTURE_FILE, CUTOUT_FILE, ANIMATED_FILE = (
    "a vector file (SVG): sharp at any size, and editable",
    "a picture (PNG)",
    "a picture with a transparent background (PNG)",
    "an animated sticker (GIF)",
)
_FILES = (VECTOR_FILE, PICTURE_FILE, CUTOUT_FILE)
_FILE = _ask(FILE_KEY, "use", (), "Which kind of file do you need?", *_FILES)
_STICKER_FILE = _ask(FILE_KEY, "use", (), "Which kind of file do you need?", *_FILES, ANIMATED_FILE)
_VECTOR_TYPES = frozenset({ImageType.LOGO, ImageType.ICON})
_FILE_OPTIONS: dict[str, dict[str, str]] = {
    VECTOR_FILE: {"output_format": "svg"},
    PICTURE_FILE: {},  # OpenAI's default, png
    CUTOUT_FILE: {"output_format": "png", "background": "transparent"},
    ANIMATED_FILE: {"output_format": "gif"},
}

QUESTION_KEYS: frozenset[str] = frozenset(a.key for asks in (*_BANK.values(), *_FINE.values()) for a in asks) | {FILE_KEY}


def _asks(image_type: ImageType) -> tuple[_Ask, ...]:
    """Every question `image_type` may ask, broad bank first: the natural asking order (the file question is apart)."""
    return _BANK[image_type] + _FINE[image_type]


def offers_file(prompt: str, image_type: ImageType) -> bool:
    """True when the dialogue should ask which file to make: a logo, an icon, or anything called a sticker."""
    return image_type in _VECTOR_TYPES or _is_sticker(prompt)


def _is_sticker(prompt: str) -> bool:
    return "sticker" in prompt.lower()


def chosen_file(state: DialogueState) -> dict[str, str]:
    """The image options the file question's answer asks for (output_format, background); empty for a plain picture or no answer."""
    answer = state.answers.get(FILE_KEY, "")
    if answer in _FILE_OPTIONS:
        return dict(_FILE_OPTIONS[answer])
    words = answer.lower()
    if "svg" in words or "vector" in words:
        return {"output_format": "svg"}
    if "gif" in words or "animat" in words:
        return {"output_format": "gif"}
    if "transparent" in words:
        return dict(_FILE_OPTIONS[CUTOUT_FILE])
    return {}


def _find(image_type: ImageType, key: str, prompt: str = "") -> _Ask:
    if key == FILE_KEY:
        if not offers_file(prompt, image_type):
            raise KeyError(f"{key} is not asked for {image_type.value}")
        return _STICKER_FILE if _is_sticker(prompt) else _FILE
    for ask in _asks(image_type):
        if ask.key == key:
            return ask
    raise KeyError(f"{key} is not asked for {image_type.value}")


def question_for(image_type: ImageType | str, key: str, prompt: str = "") -> Question:
    """The question `key` as worded for `image_type` (and `prompt`, for the file question); KeyError if that type never asks it."""
    ask = _find(ImageType(image_type), key, prompt)
    return Question(key=ask.key, text=ask.text, options=list(ask.options), criterion=ask.criterion)


# Explorer keeps this many of its places for the deep bank, even on a bare prompt.
_FINE_SHARE = 2


def plan_questions(prompt: str, image_type: ImageType, mode: DialogueMode, *, before: PromptScore) -> list[str]:
    """The keys to ask, in asking order, for `prompt` in `mode`.

    Questions about an aspect the prompt already settles (aspects.said) are
    dropped, from both banks. The broad questions left are chosen by how many
    points their criterion could still earn (a second question on the same
    criterion earns none), after the type's essential question in guided and
    explorer. Quick and guided then fill up to their minimum, with zero-gain broad
    questions first and deep ones after. Explorer keeps _FINE_SHARE places for the
    deep bank and fills up to its maximum with deep questions, so a detailed
    prompt gets finer questions instead of none. Two questions that overlap are
    never both planned. The chosen keys are asked in the type's natural order.
    """
    fewest, most = MODE_LIMITS[mode]
    if most == 0:
        return []
    known = aspects.said(prompt)
    broad = [a for a in _BANK[image_type] if not set(a.known_if) & known]
    fine = [a for a in _FINE[image_type] if not set(a.known_if) & known]
    chosen: list[_Ask] = []
    filled: set[str] = set()

    def fits(ask: _Ask) -> bool:
        return ask not in chosen and not any(ask.key in other.overlaps or other.key in ask.overlaps for other in chosen)

    def take(ask: _Ask) -> None:
        chosen.append(ask)
        filled.add(ask.criterion)

    essential = _ESSENTIAL.get(image_type)
    if mode != DialogueMode.QUICK and essential:
        for a in broad:
            if a.key == essential:
                take(a)
    explorer = mode == DialogueMode.EXPLORER
    room = most - (min(_FINE_SHARE, len(fine)) if explorer else 0)
    while len(chosen) < room:
        candidates = [a for a in broad if fits(a)]
        gains = [0 if a.criterion in filled else before.gap(a.criterion) for a in candidates]
        if not candidates or max(gains) == 0:
            break
        take(candidates[gains.index(max(gains))])
    fillers = [*fine, *broad] if explorer else [*broad, *fine]
    for a in fillers:
        if len(chosen) >= (most if explorer else fewest):
            break
        if fits(a):
            take(a)
    return [a.key for a in _asks(image_type) if a in chosen]


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
        limit = MODE_LIMITS[self.mode][1] + (FILE_KEY in self.plan)
        if len(self.plan) > limit or len(set(self.plan)) != len(self.plan):
            raise ValueError(f"plan {self.plan} is not a list of at most {limit} distinct questions")
        if FILE_KEY in self.plan[:-1] or (FILE_KEY in self.plan and not offers_file(self.original_prompt, self.image_type)):
            raise ValueError("the file question is asked last, and only of a logo, an icon or a sticker")
        for key in self.plan:
            if key != FILE_KEY and key not in {a.key for a in _asks(self.image_type)}:
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
    *,
    offer_file: bool = False,
) -> DialogueState:
    """Begin a dialogue for `prompt`: detect the type (unless given), score it, plan the questions.

    With `offer_file` (the call chose no output_format), a logo, an icon or a sticker is also asked,
    last, which file to make (see chosen_format). Mode skip, or a prompt with nothing left to ask,
    returns a READY state at once. Raises InvalidInput for a blank prompt or an unknown mode.
    """
    if not prompt.strip():
        raise InvalidInput("The prompt is empty: describe the image you want.")
    chosen_mode = parse_mode(mode)
    kind = ImageType(image_type) if image_type else enhancer.detect_type(prompt).image_type
    before = enhancer.score(prompt)
    plan = plan_questions(prompt, kind, chosen_mode, before=before)
    if offer_file and chosen_mode != DialogueMode.SKIP and offers_file(prompt, kind):
        plan.append(FILE_KEY)
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
    return question_for(state.image_type, state.pending, state.original_prompt)


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
        "skip",
        "skip it",
        "skip this",
        "skip all",
        "skip the rest",
        "skip rest",
        "skip questions",
        "skip the questions",
        "generate",
        "generate now",
        "generate it",
        "generate it now",
        "generate the image",
        "just generate",
        "go",
        "go ahead",
        "go ahead and generate",
        "done",
        "finish",
        "enough",
        "that's enough",
        "thats enough",
        "proceed",
        "create it",
        "make it",
        "do it",
        "just do it",
        "no more questions",
        "create now",
        "draw it",
        "start generating",
    }
)
_CANCEL = frozenset(
    {
        "cancel",
        "cancel it",
        "cancel that",
        "cancel this",
        "stop",
        "stop it",
        "never mind",
        "nevermind",
        "nvm",
        "abort",
        "quit",
        "forget it",
        "exit",
        "don't generate",
        "dont generate",
        "stop the dialogue",
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
        raise InvalidInput('The answer is empty: reply with an option number, its words, your own words, "generate now" or "cancel".')
    if wants_to_cancel(text):
        return cancel(state)
    if wants_to_finish(text):
        return finish_early(state)
    question = question_for(state.image_type, state.pending, state.original_prompt)
    answers = {**state.answers, state.pending: resolve_answer(question, text)}
    following = state.plan[len(state.asked)] if len(state.asked) < len(state.plan) else None
    if following is None:
        return state.model_copy(update={"answers": answers, "pending": None, "status": DialogueStatus.READY})
    return state.model_copy(update={"answers": answers, "asked": [*state.asked, following], "pending": following})


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


def _adds_something(answer: str) -> bool:
    # enhancer owns the words that mean "no preference" ("any", "you decide" ...):
    # an answer it would drop on its own adds nothing here either.
    return bool(enhancer.enhance("", {"note": answer}))


def _already_says(text: str, answer: str) -> bool:
    words = " ".join(enhancer.read_words(answer).tokens)
    return bool(words) and f" {words} " in f" {' '.join(enhancer.read_words(text).tokens)} "


_NEGATIONS = ("no ", "not ", "avoid ", "without ", "don't ", "dont ", "never ")


def _fine_sentence(key: str, answer: str) -> str:
    """A deep answer as one sentence: "Camera angle and lens: eye level, with a natural 50 mm lens."."""
    x = " ".join(answer.split()).rstrip(".,;:!").strip()
    if key == "avoid":
        while x.lower().startswith(_NEGATIONS):
            x = x.split(" ", 1)[1].strip()
    return f"{FINE_LABELS[key]}: {x}."


def final_prompt(state: DialogueState) -> str:
    """The prompt to generate with: the original prompt plus every answer.

    Broad answers are woven in by enhancer.enhance; deep answers (FINE_LABELS)
    follow as one labelled sentence each, in FINE_LABELS order, "Avoid" last.
    An answer that means "no preference", or whose words the prompt already has,
    adds nothing. Call it once, when the dialogue is READY; refinements later in
    the conversation send the user's new text as it is, never this prompt again.
    """
    broad = {k: v for k, v in state.answers.items() if k not in FINE_LABELS and k != FILE_KEY}
    prompt = enhancer.enhance(state.original_prompt, broad, state.image_type)
    extra: list[str] = []
    for key in FINE_LABELS:
        answer = state.answers.get(key, "")
        if not _adds_something(answer) or any(_already_says(said, answer) for said in [prompt, *extra]):
            continue
        extra.append(_fine_sentence(key, answer))
    if not extra:
        return prompt
    if prompt and not prompt.endswith((".", "!", "?", "…")):
        prompt += "."
    return " ".join([prompt, *extra]).strip()


def score_after(state: DialogueState) -> int:
    """The final prompt's score, for "Prompt quality: before -> after"."""
    return enhancer.score(final_prompt(state)).total
