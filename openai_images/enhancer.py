"""What a prompt says, what it leaves out, and how to say more: pure functions, no I/O.

`score` rates a prompt 0-100 over seven weighted criteria, `detect_type` guesses
what kind of image is wanted, and `enhance` weaves dialogue answers into the
prompt as plain sentences. `sizes.py` reads frame words with the same tokenizer.

Everything reads the prompt through one tokenizer that matches whole words only,
with light stemming (plural, -ing, -ed) and a few synonyms. Substring matching is
what made an earlier implementation read "market" as a logo and "tired" as red,
so no rule here ever looks inside a word.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from pydantic import BaseModel, ConfigDict


class ImageType(StrEnum):
    """The kinds of image detect_type tells apart; GENERAL is the fallback."""

    LOGO = "logo"
    ICON = "icon"
    PRESENTATION = "presentation"
    SOCIAL_POST = "social_post"
    SOCIAL_STORY = "social_story"
    BANNER = "banner"
    PRODUCT = "product"
    PORTRAIT = "portrait"
    LANDSCAPE = "landscape"
    POSTER = "poster"
    ILLUSTRATION = "illustration"
    PHOTO = "photo"
    GENERAL = "general"


IMAGE_TYPE_LABELS: dict[ImageType, str] = {
    ImageType.LOGO: "logo",
    ImageType.ICON: "icon",
    ImageType.PRESENTATION: "presentation slide",
    ImageType.SOCIAL_POST: "social media post",
    ImageType.SOCIAL_STORY: "social media story",
    ImageType.BANNER: "banner or header",
    ImageType.PRODUCT: "product shot",
    ImageType.PORTRAIT: "portrait",
    ImageType.LANDSCAPE: "landscape or scenery",
    ImageType.POSTER: "poster, flyer or cover",
    ImageType.ILLUSTRATION: "illustration",
    ImageType.PHOTO: "photo",
    ImageType.GENERAL: "general image",
}


# --------------------------------------------------------------------------- words

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

# Spelling variants and short forms, applied after stemming on both sides.
_SYNONYMS: dict[str, str] = {
    "colour": "color",
    "colourful": "colorful",
    "watercolour": "watercolor",
    "grey": "gray",
    "greyscale": "grayscale",
    "centre": "center",
    "centred": "center",
    "centered": "center",
    "cosy": "cozy",
    "theatre": "theater",
    "harbour": "harbor",
    "neighbourhood": "neighborhood",
    "catalogue": "catalog",
    "photograph": "photo",
    "pic": "photo",
    "flier": "flyer",
    "insta": "instagram",
    "ig": "instagram",
    "fb": "facebook",
    "tweet": "twitter",
    "ppt": "powerpoint",
    "logotype": "logo",
    "stylised": "stylized",
    "closeup": "close-up",
}


def _fold(text: str) -> str:
    """Lower-case and strip accents, so "Café" and "cafe" are the same word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Nouns that only look like an -ing form: "marketing" is not a market.
_NO_STEM = frozenset(
    [
        "marketing",
        "wedding",
        "ceiling",
        "morning",
        "evening",
        "something",
        "nothing",
        "anything",
        "everything",
        "string",
        "spring",
        "during",
        "thing",
        "sibling",
        "pudding",
    ]
)


def _stems(word: str) -> frozenset[str]:
    """The word itself plus the base forms it could be an inflection of."""
    forms = {word}
    n = len(word)
    if word in _NO_STEM:
        return frozenset(forms)
    if n > 3 and word.endswith("s") and not word.endswith("ss"):
        forms.add(word[:-1])
        if n > 4 and word.endswith("es"):
            forms.add(word[:-2])
        if n > 4 and word.endswith("ies"):
            forms.add(word[:-3] + "y")
    for suffix, min_len in (("ing", 6), ("ed", 5)):
        if n >= min_len and word.endswith(suffix):
            base = word[: -len(suffix)]
            forms.update((base, base + "e"))
            if len(base) > 2 and base[-1] == base[-2]:
                forms.add(base[:-1])
            if suffix == "ed" and base.endswith("i"):
                forms.add(base[:-1] + "y")
    return frozenset(_SYNONYMS.get(f, f) for f in forms)


def phrase_words(term: str) -> tuple[str, ...]:
    """A vocabulary entry as the word sequence it matches ("close-up" -> ("close", "up"))."""
    words = [w.replace("'", "").replace("’", "") for w in _WORD.findall(_fold(term))]
    return tuple(_SYNONYMS.get(w, w) for w in words)


@dataclass(frozen=True)
class _Text:
    tokens: tuple[str, ...]
    forms: tuple[frozenset[str], ...]
    index: Mapping[str, tuple[int, ...]]

    def find(self, term: tuple[str, ...]) -> list[int]:
        """Start positions where `term` occurs as whole words."""
        if not term:
            return []
        starts = self.index.get(term[0], ())
        if len(term) == 1:
            return list(starts)
        end = len(self.tokens)
        return [p for p in starts if p + len(term) <= end and all(term[i] in self.forms[p + i] for i in range(1, len(term)))]


@lru_cache(maxsize=64)
def read_words(prompt: str) -> _Text:
    """The prompt as whole words with their stemmed forms, indexed for `find` (cached: one prompt is read many times)."""
    tokens: list[str] = []
    for raw in _WORD.findall(_fold(prompt)):
        word = raw.replace("’", "'")
        if word.endswith("'s"):
            word = word[:-2]
        tokens.append(word.replace("'", ""))
    forms = tuple(_stems(t) for t in tokens)
    index: dict[str, list[int]] = {}
    for position, token_forms in enumerate(forms):
        for form in token_forms:
            index.setdefault(form, []).append(position)
    return _Text(tuple(tokens), forms, {k: tuple(v) for k, v in index.items()})


def _terms(*entries: str) -> tuple[tuple[str, ...], ...]:
    return tuple(phrase_words(e) for e in entries)


# ------------------------------------------------------------------ vocabularies

# Named groups of words. Criteria are unions of groups; the dialogue asks about a
# group only when the prompt has none of its words (see `known_aspects`).
_GROUPS: dict[str, tuple[tuple[str, ...], ...]] = {
    "style": _terms(
        "style",
        "styled",
        "stylized",
        "aesthetic",
        "look",
        "photorealistic",
        "realistic",
        "hyperrealistic",
        "photographic",
        "photography",
        "cinematic",
        "film",
        "analog",
        "polaroid",
        "documentary",
        "editorial",
        "watercolor",
        "oil painting",
        "acrylic",
        "gouache",
        "painterly",
        "painting",
        "painted",
        "sketch",
        "pencil",
        "charcoal",
        "ink",
        "drawing",
        "drawn",
        "hand drawn",
        "line art",
        "lineart",
        "illustrated",
        "cartoon",
        "comic",
        "anime",
        "manga",
        "pixel art",
        "vector",
        "flat",
        "flat design",
        "minimalist",
        "minimal",
        "minimalism",
        "isometric",
        "3d",
        "render",
        "low poly",
        "clay",
        "claymation",
        "papercut",
        "collage",
        "vintage",
        "retro",
        "art deco",
        "art nouveau",
        "bauhaus",
        "pop art",
        "impressionist",
        "impressionism",
        "surreal",
        "surrealist",
        "abstract",
        "geometric",
        "grunge",
        "steampunk",
        "cyberpunk",
        "futuristic",
        "baroque",
        "gothic",
        "modern",
        "classic",
        "sleek",
        "rustic",
        "bold",
        "lettering",
        "typography",
        "typographic",
        "monoline",
        "outline",
        "outlined",
        "glossy",
        "graphic",
        "corporate",
    ),
    "mood": _terms(
        "mood",
        "moody",
        "atmosphere",
        "atmospheric",
        "vibe",
        "feel",
        "feeling",
        "calm",
        "serene",
        "peaceful",
        "tranquil",
        "cozy",
        "cheerful",
        "happy",
        "joyful",
        "playful",
        "fun",
        "friendly",
        "welcoming",
        "inviting",
        "dramatic",
        "gloomy",
        "mysterious",
        "eerie",
        "spooky",
        "melancholic",
        "melancholy",
        "nostalgic",
        "romantic",
        "whimsical",
        "dreamy",
        "energetic",
        "dynamic",
        "lively",
        "elegant",
        "luxurious",
        "luxury",
        "premium",
        "refined",
        "sophisticated",
        "professional",
        "trustworthy",
        "serious",
        "epic",
        "intense",
        "tense",
        "hopeful",
        "inspiring",
        "uplifting",
        "relaxed",
        "quiet",
        "festive",
        "confident",
        "optimistic",
        "dark",
        "gritty",
        "soothing",
        "exciting",
        "ominous",
        "tender",
        "warmth",
    ),
    "lighting": _terms(
        "lighting",
        "light",
        "lit",
        "sunlight",
        "daylight",
        "sunlit",
        "backlit",
        "backlight",
        "glow",
        "glowing",
        "shadow",
        "soft light",
        "studio lighting",
        "rim light",
        "candlelight",
        "moonlight",
        "spotlight",
        "high key",
        "low key",
        "chiaroscuro",
        "sun",
        "lamp",
    ),
    "time": _terms(
        "sunset",
        "sunrise",
        "dusk",
        "dawn",
        "twilight",
        "golden hour",
        "blue hour",
        "night",
        "midnight",
        "noon",
        "morning",
        "evening",
        "afternoon",
        "overcast",
        "foggy",
        "misty",
        "rainy",
        "stormy",
        "snowy",
    ),
    "colour": _terms(
        "color",
        "colors",
        "colorful",
        "palette",
        "hue",
        "tone",
        "shade",
        "tint",
        "monochrome",
        "monochromatic",
        "grayscale",
        "black and white",
        "pastel",
        "neon",
        "vibrant",
        "saturated",
        "desaturated",
        "muted",
        "earthy",
        "warm",
        "cool",
        "gradient",
        "duotone",
        "red",
        "orange",
        "yellow",
        "green",
        "blue",
        "purple",
        "violet",
        "pink",
        "magenta",
        "cyan",
        "teal",
        "turquoise",
        "brown",
        "beige",
        "cream",
        "ivory",
        "white",
        "black",
        "gray",
        "silver",
        "gold",
        "golden",
        "navy",
        "maroon",
        "burgundy",
        "crimson",
        "scarlet",
        "coral",
        "peach",
        "mint",
        "olive",
        "lavender",
        "lilac",
        "indigo",
        "amber",
        "ochre",
        "sepia",
        "emerald",
        "copper",
        "bronze",
        "khaki",
        "neutral",
        "neutrals",
    ),
    "composition": _terms(
        "composition",
        "compose",
        "composed",
        "framing",
        "framed",
        "frame",
        "center",
        "symmetrical",
        "symmetric",
        "symmetry",
        "asymmetrical",
        "balanced",
        "rule of thirds",
        "close-up",
        "macro",
        "wide shot",
        "wide angle",
        "medium shot",
        "full body",
        "full length",
        "half body",
        "headshot",
        "head and shoulders",
        "top down",
        "top-down",
        "overhead",
        "bird eye view",
        "aerial",
        "flat lay",
        "angle",
        "low angle",
        "high angle",
        "eye level",
        "perspective",
        "side view",
        "front view",
        "three quarter",
        "foreground",
        "negative space",
        "copy space",
        "space for text",
        "layout",
        "grid",
        "cropped",
        "crop",
        "zoomed",
        "depth of field",
        "bokeh",
        "blurred background",
        "fisheye",
        "telephoto",
        "panoramic",
        "panorama",
        "full-bleed",
        "off-center",
        "split",
    ),
    "logo_form": _terms(
        "wordmark",
        "lettermark",
        "monogram",
        "emblem",
        "badge",
        "combination mark",
        "symbol only",
        "mascot",
        "initials",
    ),
    "setting": _terms(
        "setting",
        "set in",
        "scene",
        "background",
        "backdrop",
        "environment",
        "location",
        "landscape",
        "indoors",
        "indoor",
        "outdoors",
        "outdoor",
        "interior",
        "exterior",
        "studio",
        "room",
        "kitchen",
        "office",
        "cafe",
        "restaurant",
        "bar",
        "street",
        "city",
        "town",
        "village",
        "urban",
        "rural",
        "countryside",
        "forest",
        "woods",
        "jungle",
        "desert",
        "beach",
        "ocean",
        "sea",
        "lake",
        "river",
        "mountain",
        "hill",
        "valley",
        "field",
        "meadow",
        "garden",
        "park",
        "sky",
        "outer space",
        "in space",
        "underwater",
        "snow",
        "winter",
        "summer",
        "autumn",
        "table",
        "desk",
        "counter",
        "wall",
        "window",
        "home",
        "house",
        "bedroom",
        "library",
        "classroom",
        "stage",
        "arena",
        "stadium",
        "market",
        "supermarket",
        "harbor",
        "airport",
        "station",
        "road",
        "bridge",
        "rooftop",
        "balcony",
        "castle",
        "temple",
        "church",
        "farm",
        "island",
        "cave",
        "planet",
        "galaxy",
        "alley",
        "neighborhood",
        "downtown",
        "skyline",
        "landmark",
        "surrounded by",
        "in front of",
        "nature",
    ),
    "usage": _terms(
        "website",
        "web",
        "homepage",
        "landing page",
        "blog",
        "app",
        "print",
        "printed",
        "packaging",
        "label",
        "merch",
        "merchandise",
        "shirt",
        "mug",
        "signage",
        "storefront",
        "menu",
        "billboard",
        "business card",
        "letterhead",
        "email",
        "newsletter",
        "ad",
        "advert",
        "advertisement",
        "advertising",
        "campaign",
        "marketing",
        "promotional",
        "promo",
        "social media",
        "thumbnail",
        "wallpaper",
        "desktop",
        "phone",
        "mobile",
        "header",
        "banner",
        "branding",
        "intended",
        "for use",
        "use on",
        "used on",
        "used for",
        "posted",
        "post on",
    ),
    "platform": _terms(
        "instagram",
        "facebook",
        "linkedin",
        "twitter",
        "tiktok",
        "pinterest",
        "youtube",
        "snapchat",
        "whatsapp",
        "threads",
        "reddit",
        "twitch",
    ),
    "audience": _terms(
        "audience",
        "aimed at",
        "aimed",
        "target",
        "customer",
        "client",
        "viewer",
        "reader",
        "user",
        "student",
        "children",
        "kid",
        "teen",
        "teenager",
        "family",
        "parent",
        "investor",
        "executive",
        "employee",
        "colleague",
        "team",
        "stakeholder",
        "fan",
        "visitor",
        "tourist",
        "guest",
        "beginner",
        "expert",
        "developer",
        "professionals",
        "adults",
        "millennials",
        "seniors",
    ),
    "goal": _terms(
        "purpose",
        "goal",
        "promote",
        "promoting",
        "announce",
        "announcement",
        "sell",
        "sale",
        "launch",
        "invite",
        "invitation",
        "recruit",
        "raise awareness",
        "awareness",
        "fundraiser",
        "call to action",
        "sign up",
        "grand opening",
    ),
    "text": _terms(
        "text",
        "headline",
        "caption",
        "title",
        "titled",
        "saying",
        "says",
        "reads",
        "tagline",
        "slogan",
        "wording",
        "lettering",
        "no text",
        "typography",
    ),
}

_QUOTED = re.compile(r"[\"“”«»„].{1,200}?[\"“”«»]|(?<!\w)'[^']{1,200}'(?!\w)")
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b")


@dataclass(frozen=True)
class _Criterion:
    name: str
    label: str
    weight: int
    groups: tuple[str, ...]


CRITERIA: tuple[_Criterion, ...] = (
    _Criterion("subject", "subject specificity", 20, ()),
    _Criterion("style", "style or medium", 16, ("style",)),
    _Criterion("mood", "mood and lighting", 14, ("mood", "lighting", "time")),
    _Criterion("colour", "colour", 12, ("colour",)),
    _Criterion("composition", "composition and framing", 13, ("composition", "logo_form")),
    _Criterion("setting", "setting and context", 12, ("setting",)),
    _Criterion("use", "intended use and audience", 13, ("usage", "platform", "audience", "goal")),
)
CRITERION_NAMES: tuple[str, ...] = tuple(c.name for c in CRITERIA)

# Share of the subject weight earned by 0, 1, 2, ... distinct descriptive words.
_SUBJECT_STEPS = (0.0, 0.35, 0.6, 0.8, 0.9, 1.0)

# Words that say nothing about the subject: grammar, request verbs, and the kind of image.
_NOT_SUBJECT = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "of",
        "for",
        "to",
        "in",
        "on",
        "at",
        "by",
        "with",
        "from",
        "into",
        "onto",
        "over",
        "under",
        "about",
        "as",
        "is",
        "are",
        "be",
        "been",
        "was",
        "were",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "my",
        "our",
        "your",
        "their",
        "his",
        "her",
        "him",
        "them",
        "me",
        "us",
        "we",
        "i",
        "you",
        "they",
        "he",
        "she",
        "some",
        "any",
        "very",
        "really",
        "just",
        "please",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "do",
        "does",
        "did",
        "make",
        "create",
        "generate",
        "draw",
        "design",
        "render",
        "produce",
        "give",
        "want",
        "need",
        "get",
        "like",
        "also",
        "so",
        "too",
        "than",
        "then",
        "there",
        "here",
        "what",
        "which",
        "who",
        "whom",
        "how",
        "when",
        "where",
        "why",
        "all",
        "each",
        "every",
        "no",
        "not",
        "only",
        "own",
        "same",
        "such",
        "one",
        "two",
        "three",
        "new",
        "nice",
        "good",
        "great",
        "beautiful",
        "image",
        "picture",
        "photo",
        "graphic",
        "artwork",
        "art",
        "thing",
        "something",
        "someone",
        "kind",
        "sort",
        "type",
        "version",
        "using",
        "use",
        "used",
        "logo",
        "icon",
        "slide",
        "presentation",
        "deck",
        "poster",
        "flyer",
        "banner",
        "post",
        "story",
        "portrait",
        "landscape",
        "illustration",
        "shot",
        "cover",
        "header",
        "background",
        "visual",
        "close",
        "up",
    ]
)
_EXCLUDED_FROM_SUBJECT = _NOT_SUBJECT | frozenset(
    term[0] for criterion in CRITERIA for group in criterion.groups for term in _GROUPS[group] if len(term) == 1
)
_SUBJECT_WORDS_SHOWN = 12


# ---------------------------------------------------------------------- scoring


class CriterionScore(BaseModel):
    """How one criterion scored: `points` out of `weight`, and the words that earned them."""

    model_config = ConfigDict(frozen=True)

    name: str
    label: str
    weight: int
    points: int
    matched: list[str]


class PromptScore(BaseModel):
    """A prompt's quality: `total` is the sum of the criteria's points, 0-100."""

    model_config = ConfigDict(frozen=True)

    total: int
    criteria: list[CriterionScore]
    missing: list[str]

    def criterion(self, name: str) -> CriterionScore:
        """The breakdown entry called `name` (one of CRITERION_NAMES)."""
        for entry in self.criteria:
            if entry.name == name:
                return entry
        raise KeyError(name)

    def gap(self, name: str) -> int:
        """Points criterion `name` could still earn."""
        entry = self.criterion(name)
        return entry.weight - entry.points


def _group_matches(text: _Text, group: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for term in _GROUPS[group]:
        positions = text.find(term)
        if positions:
            found.append((positions[0], " ".join(text.tokens[positions[0] : positions[0] + len(term)])))
    return found


def _subject_words(text: _Text) -> list[str]:
    seen: dict[str, str] = {}
    for token, forms in zip(text.tokens, text.forms):
        if len(token) < 3 or token.isdigit() or forms & _EXCLUDED_FROM_SUBJECT:
            continue
        key = min(forms, key=lambda f: (len(f), f))
        seen.setdefault(key, token)
    return list(seen.values())


def score(prompt: str) -> PromptScore:
    """Rate `prompt` 0-100 over the seven CRITERIA; weights sum to 100.

    Subject specificity grows with the number of distinct descriptive words (full
    marks at five); every other criterion earns its full weight as soon as one of
    its words appears. Adding words to a prompt therefore never lowers its score.
    """
    text = read_words(prompt)
    entries: list[CriterionScore] = []
    for criterion in CRITERIA:
        if criterion.name == "subject":
            words = _subject_words(text)
            share = _SUBJECT_STEPS[min(len(words), len(_SUBJECT_STEPS) - 1)]
            points = round(criterion.weight * share)
            matched = words[:_SUBJECT_WORDS_SHOWN]
        else:
            found: list[tuple[int, str]] = []
            for group in criterion.groups:
                found.extend(_group_matches(text, group))
            if criterion.name == "colour":
                found.extend((m.start(), m.group(0)) for m in _HEX_COLOUR.finditer(prompt[:100_000]))
            matched = list(dict.fromkeys(word for _, word in sorted(found)))
            points = criterion.weight if matched else 0
        entries.append(CriterionScore(name=criterion.name, label=criterion.label, weight=criterion.weight, points=points, matched=matched))
    return PromptScore(
        total=sum(e.points for e in entries),
        criteria=entries,
        missing=[e.name for e in entries if e.points == 0],
    )


def known_aspects(prompt: str) -> frozenset[str]:
    """Which word groups the prompt already covers, so the dialogue need not ask about them.

    Names: style, mood, lighting, time, colour, composition, logo_form, setting,
    usage, platform, audience, goal, text (also set by quoted words), and subject
    (set when the subject criterion has full marks).
    """
    text = read_words(prompt)
    known = {group for group in _GROUPS if any(text.find(term) for term in _GROUPS[group])}
    if _QUOTED.search(prompt[:100_000]):
        known.add("text")
    if _HEX_COLOUR.search(prompt[:100_000]):
        known.add("colour")
    if score(prompt).gap("subject") == 0:
        known.add("subject")
    return frozenset(known)


# ---------------------------------------------------------------- type detection


class TypeDetection(BaseModel):
    """The kind of image a prompt asks for, how sure we are (0-1), and the words that decided it.

    A GENERAL result with confidence 0.0 means no cue was found.
    """

    model_config = ConfigDict(frozen=True)

    image_type: ImageType
    confidence: float
    words: list[str]


_T = ImageType
_PLATFORM = "platform"  # cue that means "social media", whose sub-kind is decided afterwards
_NOTHING = "nothing"  # cue that only consumes words, e.g. "portrait orientation" is not a portrait
_SCENE = "scene"  # a scenery noun: the subject of a landscape, or only the setting of something else
_WEAK_SCENE = "weak scene"  # city, sky, village: scenery as the subject, nothing when only the setting

# Scenery is the subject ("a quiet valley") or a setting ("a dog on the beach"); a setting counts for little,
# so a photo of a dog on a beach stays a photo. Landscape points are capped so that a format word (poster,
# slide, post) still wins over the scene it shows.
_SCENE_WEIGHT, _SETTING_WEIGHT, _LANDSCAPE_CAP = 3, 1, 4
_PLACE_WORDS = frozenset(
    [
        "in",
        "on",
        "at",
        "by",
        "near",
        "beside",
        "along",
        "across",
        "through",
        "over",
        "under",
        "inside",
        "into",
        "onto",
        "around",
        "behind",
        "among",
        "within",
        "from",
        "above",
        "below",
        "beneath",
    ]
)
# "a volcano-shaped cake", "a forest pattern": a scenery word that only describes a thing.
_DESCRIBING_AFTER = frozenset(["shaped", "themed", "inspired", "print", "pattern", "motif"]) | frozenset(
    term[0]
    for term in _GROUPS["colour"]
    if len(term) == 1  # "forest green", "ocean blue"
)
# Found in the raw prompt, since words alone do not show the colon in "highlands: black sand".
_DESCRIBED = re.compile(r"\b(\w+)(?:[ \t]+|-)(" + "|".join(sorted(_DESCRIBING_AFTER, key=len, reverse=True)) + r")\b", re.I)
# "a river of commuters", "mountains of cheese": a scenery word used as a measure of something else.
_MEASURE_OF = re.compile(r"(?i:\b(sea|ocean|river|mountain|forest)s?\s+of)\s+(?!(?i:the|a|an)\b)(?=[a-z])")

_SCENERY_NOUNS = (
    "beach",
    "coast",
    "coastline",
    "shore",
    "shoreline",
    "cliff",
    "clifftop",
    "cliffside",
    "sea cliff",
    "mountain",
    "hill",
    "valley",
    "forest",
    "woods",
    "woodland",
    "jungle",
    "rainforest",
    "desert",
    "dune",
    "tundra",
    "glacier",
    "iceberg",
    "ice field",
    "lake",
    "river",
    "stream",
    "creek",
    "waterfall",
    "fjord",
    "canyon",
    "gorge",
    "meadow",
    "field",
    "farmland",
    "prairie",
    "savanna",
    "savannah",
    "steppe",
    "plains",
    "highlands",
    "moor",
    "moorland",
    "heath",
    "glen",
    "volcano",
    "island",
    "archipelago",
    "ocean",
    "sea",
    "bay",
    "lagoon",
    "reef",
    "coral reef",
    "delta",
    "marsh",
    "swamp",
    "wetland",
    "vineyard",
    "orchard",
    "rice terrace",
    "rice paddy",
    "countryside",
    "horizon",
    "peak",
    "summit",
    "ridge",
    "oasis",
    "wilderness",
    "alps",
    "dolomites",
    "himalayas",
    "andes",
    "rockies",
    "pyrenees",
    "mediterranean",
    "grove",
    "cove",
    "bluff",
    "butte",
    "mesa",
    "plateau",
    "badlands",
    "loch",
    "hillside",
    "mountainside",
    "riverbank",
    "seashore",
    "seaside",
    "headland",
    "peninsula",
    "bayou",
    "estuary",
    "geyser",
    "hot spring",
    "crater",
    "ravine",
    "foothills",
    "isle",
    "salt flat",
    "landslide",
    "avalanche",
)
_WEAK_SCENERY_NOUNS = ("city", "sky", "village", "rooftops", "clouds")
_SKY_EVENTS = (
    "sunset",
    "sunrise",
    "dawn",
    "dusk",
    "twilight",
    "golden hour",
    "blue hour",
    "moonrise",
    "night",
    "storm",
    "rainbow",
    "lightning",
    "fog",
    "mist",
)

_CUES: tuple[tuple[str, ImageType | str, int], ...] = (
    ("portrait orientation", _NOTHING, 0),
    ("portrait format", _NOTHING, 0),
    ("portrait mode", _NOTHING, 0),
    ("in portrait", _NOTHING, 0),
    ("landscape orientation", _NOTHING, 0),
    ("landscape format", _NOTHING, 0),
    ("landscape mode", _NOTHING, 0),
    ("in landscape", _NOTHING, 0),
    ("deck of", _NOTHING, 0),
    ("on deck", _NOTHING, 0),
    ("sun deck", _NOTHING, 0),
    ("wooden deck", _NOTHING, 0),
    ("deck chair", _NOTHING, 0),
    ("beach party", _NOTHING, 0),
    ("beach towel", _NOTHING, 0),
    ("mountain bike", _NOTHING, 0),
    ("logo", _T.LOGO, 4),
    ("logo design", _T.LOGO, 4),
    ("wordmark", _T.LOGO, 4),
    ("lettermark", _T.LOGO, 4),
    ("monogram", _T.LOGO, 4),
    ("brand mark", _T.LOGO, 4),
    ("brandmark", _T.LOGO, 4),
    ("brand identity", _T.LOGO, 3),
    ("emblem", _T.LOGO, 3),
    ("crest", _T.LOGO, 2),
    ("mascot", _T.LOGO, 2),
    ("badge", _T.LOGO, 2),
    ("icon", _T.ICON, 4),
    ("app icon", _T.ICON, 4),
    ("favicon", _T.ICON, 4),
    ("pictogram", _T.ICON, 4),
    ("icon set", _T.ICON, 4),
    ("iconography", _T.ICON, 3),
    ("emoji", _T.ICON, 3),
    ("glyph", _T.ICON, 2),
    ("presentation", _T.PRESENTATION, 4),
    ("slide", _T.PRESENTATION, 4),
    ("slideshow", _T.PRESENTATION, 4),
    ("powerpoint", _T.PRESENTATION, 4),
    ("slide deck", _T.PRESENTATION, 4),
    ("pitch deck", _T.PRESENTATION, 4),
    ("title slide", _T.PRESENTATION, 4),
    ("deck", _T.PRESENTATION, 2),
    ("keynote", _T.PRESENTATION, 2),
    ("webinar", _T.PRESENTATION, 1),
    ("instagram", _PLATFORM, 3),
    ("facebook", _PLATFORM, 3),
    ("linkedin", _PLATFORM, 3),
    ("twitter", _PLATFORM, 3),
    ("tiktok", _PLATFORM, 3),
    ("pinterest", _PLATFORM, 3),
    ("snapchat", _PLATFORM, 3),
    ("youtube", _PLATFORM, 3),
    ("yt", _PLATFORM, 3),
    ("whatsapp", _PLATFORM, 3),
    ("threads", _PLATFORM, 2),
    # X is a letter too: only these phrases name the platform.
    ("x twitter", _PLATFORM, 3),
    ("twitter x", _PLATFORM, 3),
    ("x header", _PLATFORM, 3),
    ("x banner", _PLATFORM, 3),
    ("x cover", _PLATFORM, 3),
    ("x post", _PLATFORM, 3),
    ("x profile", _PLATFORM, 3),
    ("x account", _PLATFORM, 3),
    ("on x", _PLATFORM, 3),
    ("social media", _T.SOCIAL_POST, 4),
    ("social post", _T.SOCIAL_POST, 4),
    ("social media post", _T.SOCIAL_POST, 4),
    ("feed post", _T.SOCIAL_POST, 3),
    ("carousel", _T.SOCIAL_POST, 2),
    ("meme", _T.SOCIAL_POST, 2),
    ("thumbnail", _T.SOCIAL_POST, 2),
    ("post", _T.SOCIAL_POST, 1),
    ("story format", _T.SOCIAL_STORY, 4),
    ("story size", _T.SOCIAL_STORY, 4),
    ("social story", _T.SOCIAL_STORY, 4),
    ("social media story", _T.SOCIAL_STORY, 5),
    ("youtube short", _T.SOCIAL_STORY, 5),
    ("reel", _T.SOCIAL_STORY, 2),
    ("banner", _T.BANNER, 4),
    ("web banner", _T.BANNER, 4),
    ("cover photo", _T.BANNER, 4),
    ("header image", _T.BANNER, 4),
    ("website header", _T.BANNER, 4),
    ("hero image", _T.BANNER, 3),
    ("cover image", _T.BANNER, 3),
    ("billboard", _T.BANNER, 2),
    ("header", _T.BANNER, 2),
    ("product shot", _T.PRODUCT, 4),
    ("product photo", _T.PRODUCT, 4),
    ("product photography", _T.PRODUCT, 4),
    ("product image", _T.PRODUCT, 4),
    ("product render", _T.PRODUCT, 4),
    ("product mockup", _T.PRODUCT, 4),
    ("packshot", _T.PRODUCT, 4),
    ("e-commerce", _T.PRODUCT, 3),
    ("ecommerce", _T.PRODUCT, 3),
    ("amazon listing", _T.PRODUCT, 4),
    ("mockup of", _T.PRODUCT, 5),
    ("mockup", _T.PRODUCT, 3),
    ("product", _T.PRODUCT, 2),
    ("packaging", _T.PRODUCT, 2),
    ("catalog", _T.PRODUCT, 2),
    *((f"{thing} label", _T.PRODUCT, 4) for thing in ("wine", "beer", "bottle", "jar", "product", "packaging")),
    ("label design", _T.PRODUCT, 4),
    ("portrait", _T.PORTRAIT, 4),
    ("headshot", _T.PORTRAIT, 4),
    ("passport photo", _T.PORTRAIT, 4),
    ("selfie", _T.PORTRAIT, 3),
    ("profile picture", _T.PORTRAIT, 3),
    ("profile photo", _T.PORTRAIT, 3),
    ("head and shoulders", _T.PORTRAIT, 3),
    ("avatar", _T.PORTRAIT, 2),
    ("face", _T.PORTRAIT, 1),
    ("author photo", _T.PORTRAIT, 4),
    ("author portrait", _T.PORTRAIT, 4),
    ("photo of me", _T.PORTRAIT, 4),
    ("picture of me", _T.PORTRAIT, 4),
    ("photo of myself", _T.PORTRAIT, 4),
    ("landscape", _T.LANDSCAPE, 4),
    ("scenery", _T.LANDSCAPE, 4),
    ("seascape", _T.LANDSCAPE, 4),
    ("cityscape", _T.LANDSCAPE, 4),
    ("snowscape", _T.LANDSCAPE, 4),
    ("skyline", _T.LANDSCAPE, 4),
    ("panorama", _T.LANDSCAPE, 4),
    ("panoramic view", _T.LANDSCAPE, 4),
    ("vista", _T.LANDSCAPE, 3),
    ("nature scene", _T.LANDSCAPE, 3),
    ("nature photography", _T.LANDSCAPE, 4),
    ("mountain range", _T.LANDSCAPE, 3),
    ("aerial", _T.LANDSCAPE, 3),
    ("aerial view", _T.LANDSCAPE, 4),
    ("aerial shot", _T.LANDSCAPE, 4),
    ("aerial photo", _T.LANDSCAPE, 4),
    ("drone shot", _T.LANDSCAPE, 4),
    ("drone photo", _T.LANDSCAPE, 4),
    ("drone view", _T.LANDSCAPE, 4),
    ("drone footage", _T.LANDSCAPE, 4),
    ("bird eye view", _T.LANDSCAPE, 4),
    ("birds eye view", _T.LANDSCAPE, 4),
    ("from above", _T.LANDSCAPE, 2),
    ("from the air", _T.LANDSCAPE, 3),
    ("from a helicopter", _T.LANDSCAPE, 3),
    ("from a plane", _T.LANDSCAPE, 3),
    ("night sky", _T.LANDSCAPE, 4),
    ("starry sky", _T.LANDSCAPE, 4),
    ("milky way", _T.LANDSCAPE, 4),
    ("northern lights", _T.LANDSCAPE, 4),
    ("southern lights", _T.LANDSCAPE, 4),
    ("aurora", _T.LANDSCAPE, 4),
    ("city lights", _T.LANDSCAPE, 3),
    ("ocean view", _T.LANDSCAPE, 3),
    ("sea view", _T.LANDSCAPE, 3),
    ("mountain view", _T.LANDSCAPE, 3),
    ("sea of clouds", _T.LANDSCAPE, 3),
    ("above the clouds", _T.LANDSCAPE, 3),
    ("in the distance", _T.LANDSCAPE, 2),
    ("starry night", _T.LANDSCAPE, 3),
    ("overlooking", _T.LANDSCAPE, 2),
    ("view of", _T.LANDSCAPE, 2),
    ("view from", _T.LANDSCAPE, 2),
    ("view over", _T.LANDSCAPE, 2),
    ("views of", _T.LANDSCAPE, 2),
    ("front view", _NOTHING, 0),
    ("side view", _NOTHING, 0),
    ("back view", _NOTHING, 0),
    ("rear view", _NOTHING, 0),
    ("top view", _NOTHING, 0),
    ("point of view", _NOTHING, 0),
    # "sunset over the bay", "golden hour above the dunes": the sky over a place is scenery.
    *((f"{event} {where}", _T.LANDSCAPE, 3) for event in _SKY_EVENTS for where in ("over", "above", "across")),
    *((noun, _SCENE, _SCENE_WEIGHT) for noun in _SCENERY_NOUNS),
    *((noun, _WEAK_SCENE, 2) for noun in _WEAK_SCENERY_NOUNS),
    ("poster", _T.POSTER, 4),
    ("movie poster", _T.POSTER, 4),
    ("flyer", _T.POSTER, 4),
    ("leaflet", _T.POSTER, 4),
    ("placard", _T.POSTER, 3),
    ("brochure", _T.POSTER, 3),
    ("invitation", _T.POSTER, 3),
    ("postcard", _T.POSTER, 3),
    ("greeting card", _T.POSTER, 3),
    ("birthday card", _T.POSTER, 3),
    ("infographic", _T.POSTER, 3),
    ("menu", _T.POSTER, 2),
    ("certificate", _T.POSTER, 2),
    ("illustration", _T.ILLUSTRATION, 4),
    ("concept art", _T.ILLUSTRATION, 4),
    ("coloring page", _T.ILLUSTRATION, 4),
    ("character design", _T.ILLUSTRATION, 4),
    ("oil painting", _T.ILLUSTRATION, 4),
    ("drawing", _T.ILLUSTRATION, 3),
    ("sketch", _T.ILLUSTRATION, 3),
    ("cartoon", _T.ILLUSTRATION, 3),
    ("comic", _T.ILLUSTRATION, 3),
    ("doodle", _T.ILLUSTRATION, 3),
    ("fan art", _T.ILLUSTRATION, 3),
    ("painting", _T.ILLUSTRATION, 3),
    ("digital art", _T.ILLUSTRATION, 3),
    ("line art", _T.ILLUSTRATION, 3),
    ("clipart", _T.ILLUSTRATION, 3),
    ("clip art", _T.ILLUSTRATION, 3),
    ("vector art", _T.ILLUSTRATION, 3),
    ("children book", _T.ILLUSTRATION, 3),
    ("storybook", _T.ILLUSTRATION, 3),
    ("pixel art", _T.ILLUSTRATION, 3),
    ("picture book", _T.ILLUSTRATION, 3),
    ("kids book", _T.ILLUSTRATION, 3),
    ("bedtime story", _T.ILLUSTRATION, 3),
    ("children story", _T.ILLUSTRATION, 3),
    ("kids story", _T.ILLUSTRATION, 3),
    ("fairy tale", _T.ILLUSTRATION, 3),
    ("fairytale", _T.ILLUSTRATION, 3),
    ("story about", _T.ILLUSTRATION, 3),
    ("caricature", _T.ILLUSTRATION, 3),
    ("tattoo", _T.ILLUSTRATION, 3),
    ("seamless pattern", _T.ILLUSTRATION, 3),
    ("illustrated", _T.ILLUSTRATION, 2),
    ("anime", _T.ILLUSTRATION, 2),
    ("manga", _T.ILLUSTRATION, 2),
    ("artwork", _T.ILLUSTRATION, 2),
    ("watercolor", _T.ILLUSTRATION, 2),
    ("mural", _T.ILLUSTRATION, 3),
    ("sticker", _T.ILLUSTRATION, 4),
    ("diagram", _T.ILLUSTRATION, 2),
    ("map", _T.ILLUSTRATION, 3),
    ("hand drawn", _T.ILLUSTRATION, 3),
    ("stock photo", _T.PHOTO, 4),
    ("film photo", _T.PHOTO, 4),
    ("photo", _T.PHOTO, 3),
    ("photography", _T.PHOTO, 3),
    ("snapshot", _T.PHOTO, 2),
    ("photorealistic", _T.PHOTO, 2),
    ("dslr", _T.PHOTO, 2),
    ("polaroid", _T.PHOTO, 2),
    ("camera", _T.PHOTO, 1),
)
_CUE_TERMS = sorted(((phrase_words(p), kind, w) for p, kind, w in _CUES), key=lambda c: -len(c[0]))
_STORY_WORDS = _terms("story", "stories", "status", "reel")
# A story told, not posted: "a bedtime story", "the story of our bakery", "a two-story house".
_TOLD_BEFORE = frozenset(
    [
        "bedtime",
        "children",
        "child",
        "kids",
        "kid",
        "success",
        "love",
        "short",
        "origin",
        "fairy",
        "true",
        "ghost",
        "adventure",
        "brand",
        "life",
        "customer",
        "cautionary",
        "moral",
        "detective",
        "news",
        "one",
        "two",
        "three",
        "four",
        "five",
        "multi",
        "2",
        "3",
        "4",
        "5",
    ]
)
_TOLD_AFTER = frozenset({"of", "behind"})
_BANNER_WORDS = _terms("banner", "header", "cover", "background photo", "background image", "profile background")
_VERTICAL_PLATFORMS = frozenset({"tiktok", "snapchat"})  # full-screen vertical by nature

# The phrases that name each platform, and the one name sizes.py knows it by.
_PLATFORM_NAMES: dict[tuple[str, ...], str] = {
    term: ("youtube" if term == ("yt",) else "x" if term[0] in ("x", "on") or term == ("twitter", "x") else term[0])
    for term, kind, _ in _CUE_TERMS
    if kind == _PLATFORM
}
_PLATFORM_NAMES[phrase_words("twitter")] = "x"

# Covers: what a cover is for decides its frame (an album or podcast is square, a book is not).
_COVER_WORDS = frozenset({"cover", "covers", "sleeve", "sleeves", "jacket"})
_COVER_OBJECTS: dict[str, str] = {
    **dict.fromkeys(["album", "albums", "ep", "lp", "single", "record", "vinyl", "mixtape", "playlist", "cd", "soundtrack"], "album"),
    "podcast": "podcast",
    "podcasts": "podcast",
    "audiobook": "audiobook",
    **dict.fromkeys(["magazine", "magazines", "zine", "zines", "issue", "periodical"], "magazine"),
    **dict.fromkeys(["comic", "comics", "manga"], "comic"),
    **dict.fromkeys(
        [
            "book",
            "books",
            "novel",
            "novels",
            "ebook",
            "paperback",
            "hardback",
            "hardcover",
            "cookbook",
            "notebook",
            "journal",
            "diary",
            "planner",
            "yearbook",
            "textbook",
            "workbook",
            "guidebook",
            "memoir",
            "biography",
            "thriller",
            "poetry",
            "anthology",
            "novella",
            "sketchbook",
            "storybook",
            "report",
            "catalog",
            "dvd",
            "game",
        ],
        "book",
    ),
}
_SQUARE_COVERS = frozenset({"album", "podcast", "audiobook"})
_ARTWORK_WORDS = frozenset({"art", "artwork"})
_COVER_BEFORE, _COVER_AFTER = 3, 6  # how far from "cover" its object may stand
# Covers that are not a publication's: "a cover letter", "a duvet cover", "a cover band".
_NOT_A_COVER_AFTER = frozenset(["letter", "letters", "band", "song", "songs", "version", "crop", "charge", "slide"])
_NOT_A_COVER_BEFORE = frozenset(
    [
        "duvet",
        "cushion",
        "pillow",
        "phone",
        "seat",
        "ground",
        "cloud",
        "snow",
        "bed",
        "table",
        "under",
        "take",
        "reel",
        "channel",
        "group",
        "page",
        "profile",
        "event",
        "highlight",
        "video",
    ]
)
_BARE_COVER_WEIGHT, _COVER_WEIGHT = 2, 5


@dataclass(frozen=True, kw_only=True)
class _Cover:
    kind: str  # a key of the objects' kinds ("album", "book" ...), or "" when the prompt does not say
    start: int
    end: int  # the words the cue claims, end excluded
    weight: int
    words: str  # as the deciding words: "podcast cover", "cover"


def _find_cover(text: _Text) -> _Cover | None:
    """The first publication cover the prompt asks for, with what it covers when that is said nearby."""
    tokens = text.tokens
    platforms = sorted({p for term in _PLATFORM_NAMES for p in text.find(term)})

    def near_platform(i: int) -> bool:
        at = bisect.bisect_left(platforms, i - _COVER_AFTER)
        return at < len(platforms) and platforms[at] <= i + _COVER_AFTER

    def cover(kind: str, i: int, p: int) -> _Cover:
        words = f"{tokens[p]} {tokens[i]}"
        return _Cover(kind=kind, start=min(i, p), end=max(i, p) + 1, weight=_COVER_WEIGHT, words=words)

    for i, token in enumerate(tokens):
        after = range(i + 1, min(len(tokens), i + 1 + _COVER_AFTER))
        if token in _ARTWORK_WORDS:
            # "album art", "artwork for my new single": art is a cover only for what has square cover art.
            for p in (i - 1, *after) if i else after:
                if _COVER_OBJECTS.get(tokens[p]) in _SQUARE_COVERS and not near_platform(i):
                    return cover(_COVER_OBJECTS[tokens[p]], i, p)
            continue
        # Exact words: "covering" and "undercover" are no covers.
        if token not in _COVER_WORDS:
            continue
        if (i + 1 < len(tokens) and tokens[i + 1] in _NOT_A_COVER_AFTER) or (i and tokens[i - 1] in _NOT_A_COVER_BEFORE):
            continue
        if near_platform(i):
            continue  # a Facebook cover, an X cover, an Instagram reel cover: the platform decides
        for p in (*range(i - 1, max(-1, i - 1 - _COVER_BEFORE), -1), *after):
            kind = next((_COVER_OBJECTS[f] for f in text.forms[p] if f in _COVER_OBJECTS), None)
            if kind:
                return cover(kind, i, p)
        if token.startswith("cover"):
            return _Cover(kind="", start=i, end=i + 1, weight=_BARE_COVER_WEIGHT, words=token)
    return None


def cover_kind(prompt: str) -> str | None:
    """What the cover `prompt` asks for is for: album, podcast, audiobook, magazine, comic or book.

    "" for a cover that does not say, None when the prompt asks for no cover (a cover letter,
    a Facebook cover and a duvet cover are no publication's cover).
    """
    cover = _find_cover(read_words(prompt))
    return None if cover is None else cover.kind


def platforms(prompt: str) -> tuple[str, ...]:
    """The social platforms `prompt` names, in order: instagram, facebook, linkedin, x, tiktok, pinterest ..."""
    text = read_words(prompt)
    found = sorted((p, name) for term, name in _PLATFORM_NAMES.items() for p in text.find(term))
    return tuple(dict.fromkeys(name for _, name in found))


def _social_story_words(text: _Text) -> list[tuple[int, str]]:
    """Story, reel and status where they mean a social story, not a story told or a storey."""
    found = []
    for term in _STORY_WORDS:
        for p in text.find(term):
            if p and text.tokens[p - 1] in _TOLD_BEFORE:
                continue
            if p + 1 < len(text.tokens) and text.tokens[p + 1] in _TOLD_AFTER:
                continue
            found.append((p, text.tokens[p]))
    return sorted(found)


def _is_setting(text: _Text, start: int) -> bool:
    """Whether the word at `start` is where something else is ("a dog on the sandy beach")."""
    for p in range(start - 1, max(-1, start - 5), -1):
        if text.tokens[p] in _PLACE_WORDS:
            return True
        if text.tokens[p] in ("of", "and", "with"):
            return False
    return False


# Ties go to the more specific format: "landscape poster" is a poster, a painting of a stormy sea an illustration.
_TYPE_PRIORITY = (
    _T.LOGO,
    _T.ICON,
    _T.PRESENTATION,
    _T.SOCIAL_STORY,
    _T.SOCIAL_POST,
    _T.BANNER,
    _T.POSTER,
    _T.PRODUCT,
    _T.PORTRAIT,
    _T.ILLUSTRATION,
    _T.LANDSCAPE,
    _T.PHOTO,
)


def detect_type(prompt: str) -> TypeDetection:
    """Guess the kind of image `prompt` asks for from whole-word cues.

    A publication's cover claims its words first ("the cover of my debut novel" is a poster or
    cover, not a novel's scene), then longer cues before shorter ones ("product photo" is a product
    shot, not a photo). Scenery words count fully as the subject and little as the setting ("a
    photo of my dog on the beach" is a photo). A social platform becomes a story or banner when the
    prompt also says story/reel or banner/header/cover, and ties go to the more specific format.
    """
    text = read_words(prompt)
    used: set[int] = set()
    points: dict[ImageType, int] = {}
    words: dict[ImageType, list[tuple[int, str]]] = {}
    platform_points = 0
    platform_words: list[tuple[int, str]] = []
    measures = {m.group(1).lower() for m in _MEASURE_OF.finditer(prompt[:100_000])}
    described = {_fold(m.group(1)) for m in _DESCRIBED.finditer(prompt[:100_000])}

    def add(kind: ImageType, weight: int, found: tuple[int, str]) -> None:
        points[kind] = points.get(kind, 0) + weight
        words.setdefault(kind, []).append(found)

    cover = _find_cover(text)
    if cover is not None:
        used.update(range(cover.start, cover.end))
        add(_T.POSTER, cover.weight, (cover.start, cover.words))
    for term, kind, weight in _CUE_TERMS:
        for start in text.find(term):
            span = range(start, start + len(term))
            if any(p in used for p in span):
                continue
            used.update(span)
            found = (start, " ".join(text.tokens[start : start + len(term)]))
            if kind == _NOTHING:
                continue
            if kind == _PLATFORM:
                platform_points += weight
                platform_words.append(found)
                continue
            if kind in (_SCENE, _WEAK_SCENE):
                measure = term[0] in measures and start + 1 < len(text.tokens) and text.tokens[start + 1] == "of"
                end = start + len(term)
                follower = text.tokens[end] if end < len(text.tokens) else ""
                if measure or (follower in _DESCRIBING_AFTER and text.tokens[end - 1] in described):
                    continue
                if _is_setting(text, start):
                    weight = _SETTING_WEIGHT if kind == _SCENE else 0
                if not weight:
                    continue
                kind = _T.LANDSCAPE
            add(ImageType(kind), weight, found)
    if platform_points:
        story = _social_story_words(text)
        if any(w in _VERTICAL_PLATFORMS for _, w in platform_words):
            story = story or platform_words[:1]
        banner = [(p, text.tokens[p]) for term in _BANNER_WORDS for p in text.find(term)]
        kind = _T.SOCIAL_STORY if story else _T.BANNER if banner else _T.SOCIAL_POST
        extra = story or banner
        points[kind] = points.get(kind, 0) + platform_points + (2 if extra else 0)
        words.setdefault(kind, []).extend(platform_words + extra[:1])
    if _T.LANDSCAPE in points:
        points[_T.LANDSCAPE] = min(points[_T.LANDSCAPE], _LANDSCAPE_CAP)
    if not points:
        return TypeDetection(image_type=_T.GENERAL, confidence=0.0, words=[])
    best = max(_TYPE_PRIORITY, key=lambda t: (points.get(t, 0), -_TYPE_PRIORITY.index(t)))
    top = points[best]
    confidence = top / sum(points.values()) * min(1.0, top / 4)
    deciding = list(dict.fromkeys(w for _, w in sorted(words[best])))
    return TypeDetection(image_type=best, confidence=round(confidence, 2), words=deciding)


# --------------------------------------------------------------------- enhancing

# Answers that add nothing to the prompt; the dialogue still counts them as answered.
_NO_PREFERENCE = frozenset(
    {
        "",
        "any",
        "anything",
        "whatever",
        "no preference",
        "none",
        "nothing",
        "nothing more",
        "nothing else",
        "no",
        "nope",
        "n/a",
        "na",
        "you decide",
        "you choose",
        "up to you",
        "dont care",
        "don't care",
        "dont mind",
        "don't mind",
        "not sure",
        "no idea",
        "idk",
        "surprise me",
        "doesnt matter",
        "doesn't matter",
        "no opinion",
        "either",
        "any of them",
        "all good",
        "default",
    }
)
_SENTENCE_STARTERS = frozenset(
    [
        "i",
        "i'm",
        "im",
        "i'd",
        "id",
        "i've",
        "we",
        "we're",
        "were",
        "we'd",
        "it",
        "it's",
        "its",
        "make",
        "use",
        "please",
        "keep",
        "add",
        "include",
        "avoid",
        "don't",
        "dont",
        "do",
        "let",
        "put",
        "should",
        "can",
        "could",
        "would",
        "there",
        "they",
        "he",
        "she",
        "you",
        "show",
        "give",
        "leave",
        "remove",
    ]
)
_PREPOSITIONS = frozenset(
    [
        "in",
        "on",
        "at",
        "under",
        "inside",
        "outside",
        "outdoors",
        "indoors",
        "against",
        "by",
        "near",
        "among",
        "over",
        "above",
        "below",
        "beneath",
        "behind",
        "underwater",
        "within",
        "beside",
        "between",
        "across",
        "along",
        "around",
        "through",
        "from",
        "with",
        "without",
        "as",
        "like",
        "for",
        "during",
        "after",
        "before",
        "everywhere",
        "anywhere",
        "somewhere",
    ]
)
_LIKE_STARTS = frozenset(["like", "similar", "inspired", "reminiscent", "something", "resembling"])
_DETERMINERS = frozenset(
    ["a", "an", "the", "some", "one", "two", "three", "four", "several", "many", "few", "my", "our", "his", "her", "their", "this", "that"]
)
_VERBS = frozenset(
    [
        "grab",
        "announce",
        "promote",
        "build",
        "start",
        "inform",
        "decorate",
        "recruit",
        "invite",
        "sell",
        "show",
        "explain",
        "celebrate",
        "attract",
        "drive",
        "get",
        "make",
        "encourage",
        "raise",
        "tell",
        "teach",
        "inspire",
        "launch",
        "advertise",
        "bring",
        "help",
        "highlight",
        "introduce",
        "share",
        "welcome",
        "remind",
        "thank",
        "educate",
        "entertain",
        "win",
        "boost",
        "increase",
    ]
)
_KEEP_CASE = frozenset(
    ["instagram", "linkedin", "facebook", "tiktok", "pinterest", "youtube", "snapchat", "whatsapp", "twitter", "x", "threads", "reddit"]
)
_LIGHT_NOUNS = ("light", "lights", "lighting", "sun", "glow", "lamp", "lamps", "candles", "neon", "daylight")
_COMMON_WORDS = (
    _NOT_SUBJECT
    | _EXCLUDED_FROM_SUBJECT
    | _PREPOSITIONS
    | _DETERMINERS
    | _LIKE_STARTS
    | _VERBS
    | frozenset(["soft", "bright", "fresh", "natural", "clean", "warm", "cool", "bold", "simple", "elegant", "hand", "only", "just"])
)

_DESIGN_TYPES = {_T.LOGO, _T.ICON, _T.PRESENTATION, _T.SOCIAL_POST, _T.SOCIAL_STORY, _T.BANNER, _T.POSTER}
_PHOTO_TYPES = {_T.PHOTO, _T.PRODUCT, _T.PORTRAIT, _T.LANDSCAPE}

_LEAD_KEYS = ("subject", "logo_kind", "brand_values")  # sentences before the look
_LOOK_KEYS = ("style", "colour", "composition")
_SCENE_KEYS = ("setting", "time_of_day", "lighting", "mood")
# Where each answer goes in the final prompt; unknown keys follow, in answer order.
SLOT_ORDER: tuple[str, ...] = (
    *_LEAD_KEYS,
    *_LOOK_KEYS,
    *_SCENE_KEYS,
    "text",
    "platform",
    "goal",
    "audience",
    "usage",
    "must_include",
)


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _norm_words(text: str) -> str:
    return " " + " ".join(read_words(text).tokens) + " "


def _first_word(phrase: str) -> str:
    tokens = read_words(phrase).tokens
    return tokens[0] if tokens else ""


def _has_word(phrase: str, words: set[str]) -> bool:
    return any(forms & words for forms in read_words(phrase).forms)


def _a(phrase: str) -> str:
    word = phrase.lower()
    if word.startswith(("uni", "use", "usu", "eu", "one", "ur")):
        return "a"
    if word.startswith(("hour", "honest", "honour", "heir")) or word[:1] in "aeiou":
        return "an"
    return "a"


def _inline(answer: str) -> str:
    """An answer placed mid-sentence: drop a capital that only marked the start of the reply."""
    first = answer.split(" ", 1)[0]
    word = _first_word(first)
    if first[:1].isupper() and first[1:] == first[1:].lower() and word in _COMMON_WORDS and word not in _KEEP_CASE:
        return answer[:1].lower() + answer[1:]
    return answer


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def _is_sentence(answer: str) -> bool:
    """Whether the user wrote a whole sentence, which is kept as it is rather than slotted into ours."""
    return _first_word(answer) in _SENTENCE_STARTERS or re.search(r"[.!?;]\s+\S", answer) is not None or len(answer.split()) > 14


def _look_clause(key: str, x: str) -> str:
    first = _first_word(x)
    if key == "style":
        if _has_word(x, {"style", "look", "aesthetic"}):
            return f"in {_a(x)} {x}"
        if first in _LIKE_STARTS:
            return f"with a look {x}"
        return f"in {_a(x)} {x} style"
    if key == "colour":
        if _has_word(x, {"palette"}):
            return f"using {_a(x)} {x}" if first not in _DETERMINERS else f"using {x}"
        if first in _PREPOSITIONS or first in _LIKE_STARTS:
            return f"using colours {x}"
        return f"using a palette of {x}"
    # composition
    if first in _DETERMINERS:
        return f"composed as {x}"
    if first in _PREPOSITIONS:
        return f"composed {x}"
    if _has_word(x, {"composition", "layout", "framing"}):
        return f"with {_a(x)} {x}"
    return f"with {_a(x)} {x} composition"


def _scene_clause(key: str, x: str) -> str:
    first = _first_word(x)
    if key == "setting":
        if first in _PREPOSITIONS:
            return x
        if first in _DETERMINERS or len(x.split()) > 2:
            return f"in {x}"
        return f"in {_a(x)} {x} setting"
    if key == "time_of_day":
        return x if first in _PREPOSITIONS else f"at {x}"
    if key == "lighting":
        if first in _PREPOSITIONS:
            return x
        words = set(read_words(x).tokens)
        return f"under {x}" if words & set(_LIGHT_NOUNS) else f"under {x} light"
    # mood
    if _has_word(x, {"mood", "feel", "feeling", "atmosphere", "vibe"}):
        return f"with {x}" if first in _DETERMINERS else f"with {_a(x)} {x}"
    if first in _PREPOSITIONS or first in _LIKE_STARTS:
        return f"with a mood {x}"
    return f"with {_a(x)} {x} mood"


_NO_TEXT = frozenset({"none", "nothing", "no", "n/a", "na", "no text"})
_TEXT_DESCRIPTIONS = frozenset(
    [
        "only",
        "just",
        "the",
        "a",
        "an",
        "our",
        "my",
        "its",
        "their",
        "some",
        "any",
        "initials",
        "name",
        "names",
        "headline",
        "title",
        "tagline",
        "slogan",
        "date",
        "short",
        "brand",
        "business",
        "company",
        "words",
        "text",
        "price",
        "offer",
        "call",
        "space",
        "room",
    ]
)


def _text_sentence(x: str, quoted: bool) -> str:
    """The text answer as a sentence: literal words are quoted, a description is not."""
    lowered = x.lower()
    if lowered in _NO_TEXT:
        return "It should have no text."
    if lowered.startswith("without "):
        return f"It should be {x}."
    if lowered.startswith("no "):
        return f"It should have {x}."
    if quoted or _first_word(x) not in _TEXT_DESCRIPTIONS:
        return f'The text should read "{x}".'
    return f"The text should be {_inline(x)}."


def _other_sentence(key: str, x: str, image_type: ImageType) -> str:
    first = _first_word(x)
    if key == "subject":
        if image_type == _T.LOGO:
            return f"The symbol shows {x}."
        if image_type == _T.PRESENTATION:
            return f"The slide is about {x}."
        if image_type == _T.PRODUCT and first in _PREPOSITIONS:
            return f"The product is shown {x}."
        return f"It shows {x}."
    if key == "logo_kind":
        return f"Compose it as {x}."
    if key == "brand_values":
        return f"The brand should feel {x}."
    if key == "platform":
        return f"It will be posted on {x}."
    if key == "goal":
        return f"Its purpose is to {x}." if first in _VERBS else f"Its purpose is {x}."
    if key == "audience":
        return f"It is meant {x}." if first in _PREPOSITIONS else f"It is aimed at {x}."
    if key == "usage":
        return f"It is intended for use {x}." if first in _PREPOSITIONS else f"It is intended for {x}."
    if key == "must_include":
        if x.lower().startswith("no "):
            return f"There should be {x}."
        if x.lower().startswith("without "):
            return f"Show it {x}."
        return f"Include {x}."
    return _sentence(x)


def _lead(image_type: ImageType) -> str:
    if image_type in _DESIGN_TYPES:
        return "Design it"
    if image_type in _PHOTO_TYPES:
        return "Capture it"
    if image_type == _T.ILLUSTRATION:
        return "Illustrate it"
    return "Create it"


def _join_look(clauses: list[str], image_type: ImageType) -> str:
    first, rest = clauses[0], clauses[1:]
    if first.startswith("composed as "):
        head = "Compose it as " + first[len("composed as ") :]
    elif first.startswith("composed "):
        head = "Compose it " + first[len("composed ") :]
    else:
        head = f"{_lead(image_type)} {first}"
    return ", ".join([head, *rest]) + "."


def _join_scene(clauses: list[tuple[str, str]]) -> str:
    keys = [k for k, _ in clauses]
    texts = [c for _, c in clauses]
    if keys[0] == "setting":
        head = f"Place it {texts[0]}"
    elif keys == ["mood"] and texts[0].startswith("with "):
        head = "Give it " + texts[0][len("with ") :]
    else:
        head = f"Show it {texts[0]}"
    return ", ".join([head, *texts[1:]]) + "."


def enhance(prompt: str, answers: Mapping[str, str], image_type: ImageType | str = ImageType.GENERAL) -> str:
    """The prompt followed by plain sentences that carry every answer.

    The user's prompt is kept word for word at the start. Answers are placed by key
    (see SLOT_ORDER) into a few natural sentences; an answer written as a whole
    sentence is kept as the user wrote it; "no preference" answers and answers the
    text already contains are left out, so nothing is said twice. Apply it once per
    dialogue, to the original prompt: refinements must not run it again.
    """
    kind = ImageType(image_type)
    base = prompt.strip()
    said = _norm_words(base)
    look: list[str] = []
    scene: list[tuple[str, str]] = []
    before: list[str] = []
    after_look: list[str] = []
    after_scene: list[str] = []
    after: list[str] = []
    ordered = [k for k in SLOT_ORDER if k in answers] + [k for k in answers if k not in SLOT_ORDER]
    for key in ordered:
        raw = _collapse(answers[key] or "")
        x = raw.rstrip(".,;:!").strip()
        stripped_quotes = x.strip("\"'“”‘’«»")
        if key != "text" and (x.lower() in _NO_PREFERENCE or not x):
            continue
        if key == "text" and (not stripped_quotes or (x.lower() in _NO_PREFERENCE and x.lower() not in _NO_TEXT)):
            continue
        probe = _norm_words(stripped_quotes if key == "text" else x)
        if probe.strip() and probe in said:
            continue
        said += probe
        if _is_sentence(x):
            if key in _LOOK_KEYS:
                after_look.append(_sentence(raw))
            elif key in _SCENE_KEYS:
                after_scene.append(_sentence(raw))
            else:
                (before if key in _LEAD_KEYS else after).append(_sentence(raw))
            continue
        if key == "text":
            after.append(_text_sentence(stripped_quotes, quoted=stripped_quotes != x))
            continue
        x = _inline(x)
        if key in _LOOK_KEYS:
            look.append(_look_clause(key, x))
        elif key in _SCENE_KEYS:
            scene.append((key, _scene_clause(key, x)))
        else:
            (before if key in _LEAD_KEYS else after).append(_other_sentence(key, x, kind))
    sentences = list(before)
    if look:
        sentences.append(_join_look(look, kind))
    sentences.extend(after_look)
    if scene:
        sentences.append(_join_scene(scene))
    sentences.extend(after_scene)
    sentences.extend(after)
    if not sentences:
        return base
    if base and not base.endswith((".", "!", "?", "…")):
        base += "."
    return " ".join([base, *sentences]).strip()
