"""Which size an image gets: the caller's, the one that suits the kind of image, or the closest the model takes.

Pure rules, no I/O. `choose_size` is the one entry point for a new image: an
explicit size wins, else `suggest_size` reads the prompt (an aspect ratio, then
a platform's or print format's own frame, then orientation words, then the
type's usual frame). `fit_size` keeps a refinement at its previous size, or the
closest in aspect that the current model accepts when the configured model
changed between turns.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from openai_images import image_models
from openai_images.enhancer import (
    ImageType,
    cover_kind,
    phrase_words,
    platforms,
    read_words,
)
from openai_images.errors import InvalidInput
from openai_images.image_models import (
    STANDARD_SIZES,
    Size,
    effective_model,
    parse_size,
    validate_size,
)

_T = ImageType


def _phrases(*entries: str) -> tuple[tuple[str, ...], ...]:
    return tuple(phrase_words(e) for e in entries)


class SizeSuggestion(BaseModel):
    """A size the model accepts (e.g. "1536x864") and one line saying why it fits.

    The server uses it only when the caller gave no `size`: an explicit size always wins.
    """

    model_config = ConfigDict(frozen=True)

    size: str
    reason: str


@dataclass(frozen=True)
class _Frame:
    name: str
    width: int  # aspect ratio as small integers
    height: int


_SQUARE = _Frame("square 1:1", 1, 1)
_TALL = _Frame("tall 2:3", 2, 3)
_FEED = _Frame("tall 4:5", 4, 5)
_STORY = _Frame("vertical 9:16", 9, 16)
_LANDSCAPE = _Frame("landscape 3:2", 3, 2)
_WIDE = _Frame("widescreen 16:9", 16, 9)
_BANNER = _Frame("banner 3:1", 3, 1)
_MAGAZINE = _Frame("tall 3:4", 3, 4)
_FACEBOOK = _Frame("banner 2.7:1", 27, 10)
_LINKEDIN = _Frame("banner 4:1", 4, 1)

_TYPE_FRAMES: dict[ImageType, tuple[_Frame, str]] = {
    _T.LOGO: (_SQUARE, "a logo is usually square"),
    _T.ICON: (_SQUARE, "an icon is square"),
    _T.PRESENTATION: (_WIDE, "slides are 16:9"),
    _T.SOCIAL_POST: (_SQUARE, "a square post fits every feed"),
    _T.SOCIAL_STORY: (_STORY, "stories fill a phone screen at 9:16"),
    _T.BANNER: (_BANNER, "banners and headers are long and narrow"),
    _T.PRODUCT: (_SQUARE, "product shots are usually square"),
    _T.PORTRAIT: (_TALL, "a portrait is taller than wide"),
    _T.LANDSCAPE: (_LANDSCAPE, "scenery suits a landscape frame"),
    _T.POSTER: (_TALL, "posters and covers are taller than wide"),
    _T.ILLUSTRATION: (_SQUARE, "square is a neutral frame for an illustration"),
    _T.PHOTO: (_LANDSCAPE, "3:2 is the classic photo frame"),
    _T.GENERAL: (_SQUARE, "square is the neutral default"),
}

# Words that name a frame shape; "story" is not here because only the type
# decides whether it means an Instagram story or a bedtime story.
_ORIENTATION_CUES: tuple[tuple[tuple[str, ...], _Frame], ...] = tuple(
    (phrase_words(phrase), frame)
    for phrase, frame in (
        ("square", _SQUARE),
        ("album cover", _SQUARE),
        ("profile picture", _SQUARE),
        ("avatar", _SQUARE),
        ("portrait", _TALL),
        ("vertical", _TALL),
        ("tall", _TALL),
        ("upright", _TALL),
        ("reel", _STORY),
        ("phone wallpaper", _STORY),
        ("mobile wallpaper", _STORY),
        ("lock screen", _STORY),
        ("youtube short", _STORY),
        ("landscape", _LANDSCAPE),
        ("horizontal", _LANDSCAPE),
        ("wide", _WIDE),
        ("widescreen", _WIDE),
        ("desktop wallpaper", _WIDE),
        ("thumbnail", _WIDE),
        ("banner", _BANNER),
        ("panoramic", _BANNER),
        ("panorama", _BANNER),
        ("ultra wide", _BANNER),
    )
)
# Words that describe a shape, as opposed to formats that have one (banner, thumbnail, reel).
_SHAPE_ADJECTIVES = frozenset(
    _phrases(
        "square", "portrait", "vertical", "tall", "upright", "landscape", "horizontal", "wide", "widescreen", "panoramic", "ultra wide"
    )
)
_NOT_ORIENTATION = _phrases("wide angle", "wide-angle", "portrait of", "portrait photo", "portrait painting")
# "tall" and "wide" name the frame only before a format word or at the end of a phrase ("a fox, wide",
# "a tall poster"), not as a thing's size ("a tall ship", "a wide river").
_SIZE_ADJECTIVES = frozenset({"tall", "wide"})
_FORMAT_NOUNS = (
    "format|frame|image|picture|photo|shot|poster|print|banner|header|cover|flyer|card|pin|post|story|thumbnail"
    "|wallpaper|graphic|design|illustration|slide|version|layout|canvas|crop|orientation|aspect|ratio|size"
    "|composition|one"
)
_AS_FRAME_WORD = re.compile(r"(?i:\b(tall|wide)\b)(?=\s*(?:$|[,.;:!?)\]]|(?i:and|or)\b|(?i:(?:[\w-]+\s+)?(?:" + _FORMAT_NOUNS + r")s?\b)))")
_RATIO = re.compile(r"(?<![\d:.])(\d{1,2})\s*:\s*(\d{1,2})(?![\d:])")
_KNOWN_RATIOS = {
    (1, 1),
    (4, 5),
    (5, 4),
    (2, 3),
    (3, 2),
    (3, 4),
    (4, 3),
    (9, 16),
    (16, 9),
    (21, 9),
    (9, 21),
    (3, 1),
    (1, 3),
    (2, 1),
    (1, 2),
    (4, 1),
    (1, 4),
    (5, 7),
    (7, 5),
}
_LONG_SIDE = 1536


def _round16(value: float) -> int:
    return max(image_models.SIZE_STEP, round(value / image_models.SIZE_STEP) * image_models.SIZE_STEP)


def _clamped(frame: _Frame) -> bool:
    """Whether `frame` is beyond the flexible models' 1:3-3:1, so that its size is clamped to the limit."""
    ratio = frame.width / frame.height
    return ratio > image_models.MAX_RATIO or ratio < 1 / image_models.MAX_RATIO


def _flexible_size(frame: _Frame) -> Size:
    ratio = min(image_models.MAX_RATIO, max(1 / image_models.MAX_RATIO, frame.width / frame.height))
    if abs(ratio - 1) < 1e-9:
        return Size(1024, 1024)
    if ratio > 1:
        return Size(_LONG_SIDE, _round16(_LONG_SIDE / ratio))
    return Size(_round16(_LONG_SIDE * ratio), _LONG_SIDE)


def _fixed_size(frame: _Frame) -> str:
    ratio = frame.width / frame.height
    if ratio > 1.15:
        return "1536x1024"
    if ratio < 0.87:
        return "1024x1536"
    return "1024x1024"


@dataclass(frozen=True)
class _Format:
    """A platform's or print format's own frames (the first is its default), and where they come from."""

    label: str  # "Pinterest pin"
    frames: tuple[_Frame, ...]
    why: str
    ratio: str = field(default="", kw_only=True)  # the default frame's ratio in words, when not its name's


_PLATFORM_LABELS = {
    "instagram": "Instagram",
    "facebook": "Facebook",
    "linkedin": "LinkedIn",
    "x": "X/Twitter",
    "tiktok": "TikTok",
    "pinterest": "Pinterest",
    "snapchat": "Snapchat",
    "youtube": "YouTube",
    "whatsapp": "WhatsApp",
    "threads": "Threads",
}
# The platform frames (README, "Size choice"), by the detected type and the first platform the prompt names.
_PLATFORM_FORMATS: dict[tuple[ImageType, str], _Format] = {
    (_T.SOCIAL_POST, "instagram"): _Format("Instagram post", (_SQUARE, _FEED), "the feed shows 1:1 or 4:5 uncropped"),
    (_T.SOCIAL_POST, "pinterest"): _Format("Pinterest pin", (_TALL,), "the shape Pinterest recommends (1000x1500)"),
    (_T.SOCIAL_POST, "youtube"): _Format("YouTube thumbnail", (_WIDE,), "the shape of the video (1280x720)"),
    (_T.BANNER, "x"): _Format("X/Twitter header", (_BANNER,), "a profile header is 1500x500"),
    (_T.BANNER, "linkedin"): _Format("LinkedIn banner", (_LINKEDIN,), "a profile background is 1584x396"),
    (_T.BANNER, "facebook"): _Format("Facebook cover", (_FACEBOOK,), "851x315 is the usual upload", ratio="about 2.7:1"),
    (_T.BANNER, "youtube"): _Format("YouTube channel banner", (_WIDE,), "channel art is 2560x1440"),
}
_COVER_FORMATS: dict[str, _Format] = {
    "album": _Format("album cover", (_SQUARE,), "album covers are square"),
    "podcast": _Format("podcast cover", (_SQUARE,), "podcast apps show square cover art"),
    "audiobook": _Format("audiobook cover", (_SQUARE,), "audiobook covers are square"),
    "magazine": _Format("magazine cover", (_MAGAZINE,), "close to a letter-size or A4 page"),
    "comic": _Format("comic cover", (_TALL,), "the shape of a comic book"),
    "book": _Format("book cover", (_TALL,), "the shape of a paperback"),
}
_SPREAD = _Format("two-page spread", (_LANDSCAPE,), "two facing pages side by side")
_SPREAD_WORDS = _phrases(
    "two page spread",
    "double page spread",
    "double spread",
    "two page layout",
    "book spread",
    "magazine spread",
    "comic spread",
    "page spread",
    "centerfold",
    "centrefold",
)
_STORY_KINDS = {"reel": "reel", "reels": "reel", "status": "status", "short": "Short", "shorts": "Short"}


def _story_format(prompt: str) -> _Format:
    named = platforms(prompt)
    platform = _PLATFORM_LABELS.get(named[0], "") if named else ""
    tokens = read_words(prompt).tokens
    kind = next((_STORY_KINDS[t] for t in tokens if t in _STORY_KINDS), "video" if platform == "TikTok" else "story")
    label = f"{platform} {kind}" if platform else kind
    return _Format(label, (_STORY,), "a full phone screen")


def _format_for(prompt: str, image_type: ImageType) -> _Format | None:
    """The frame a platform or print format prescribes for this kind of image, if the prompt names one."""
    text = read_words(prompt)
    if any(text.find(term) for term in _SPREAD_WORDS):
        return _SPREAD
    if image_type == _T.SOCIAL_STORY:
        return _story_format(prompt)
    if image_type == _T.POSTER:
        kind = cover_kind(prompt)
        return _COVER_FORMATS.get(kind) if kind else None
    if image_type in (_T.SOCIAL_POST, _T.BANNER):
        named = platforms(prompt)
        return _PLATFORM_FORMATS.get((image_type, named[0])) if named else None
    return None


def _ratio_asked(prompt: str) -> _Frame | None:
    for match in _RATIO.finditer(prompt[:100_000]):
        w, h = int(match.group(1)), int(match.group(2))
        if (w, h) in _KNOWN_RATIOS:
            return _Frame(f"{w}:{h}", w, h)
    return None


def _shape(frame: _Frame) -> int:
    return (frame.width > frame.height) - (frame.width < frame.height)


def _ratio_text(fmt: _Format, frame: _Frame) -> str:
    return fmt.ratio if fmt.ratio and frame == fmt.frames[0] else frame.name.split()[-1]


def _frame_for_format(fmt: _Format, prompt: str, image_type: ImageType) -> tuple[_Frame, str]:
    """The format's frame that the prompt's orientation words pick, else its default; and why."""
    words = _frame_from_words(prompt, image_type)
    frame = fmt.frames[0]
    note = ""
    if words:
        wanted, why_words = words
        fitting = [f for f in fmt.frames if _shape(f) == _shape(wanted)]
        if fitting:
            frame = fitting[0]
            if len(fmt.frames) > 1:
                note = f" ({why_words})"
        else:
            note = f" (kept although {why_words})"
    return frame, f"{fmt.label}: {_ratio_text(fmt, frame)}, {fmt.why}{note}"


def _frame_from_prompt(prompt: str, image_type: ImageType) -> tuple[_Frame, str] | None:
    asked = _ratio_asked(prompt)
    fmt = _format_for(prompt, image_type)
    if asked is not None:
        why = f"the prompt asks for {asked.name}"
        if fmt is not None:
            same = any(f.width * asked.height == f.height * asked.width for f in fmt.frames)
            usual = _ratio_text(fmt, fmt.frames[0])
            why += f", the {fmt.label} frame" if same else f" (the {fmt.label} frame is {usual})"
        return asked, why
    if fmt is not None:
        return _frame_for_format(fmt, prompt, image_type)
    return _frame_from_words(prompt, image_type)


def _frame_from_words(prompt: str, image_type: ImageType) -> tuple[_Frame, str] | None:
    text = read_words(prompt)
    blocked = {p for term in _NOT_ORIENTATION for p in text.find(term)}
    if not _AS_FRAME_WORD.search(prompt[:100_000]):
        blocked |= {p for p, token in enumerate(text.tokens) if token in _SIZE_ADJECTIVES}
    votes: dict[_Frame, list[str]] = {}
    adjectives: set[_Frame] = set()
    for term, frame in _ORIENTATION_CUES:
        for start in text.find(term):
            if start not in blocked:
                votes.setdefault(frame, []).append(" ".join(text.tokens[start : start + len(term)]))
                if term in _SHAPE_ADJECTIVES:
                    adjectives.add(frame)
    nouns = set(votes) - adjectives
    if adjectives and nouns:
        # "a vertical banner" is vertical; "a wide banner" is still a banner, the more specific of two wide frames.
        agreeing = {f for f in nouns if _shape(f) in {_shape(a) for a in adjectives}}
        votes = {f: v for f, v in votes.items() if f in (agreeing or adjectives)}
    if not votes:
        return None
    most = max(len(v) for v in votes.values())
    leaders = [f for f, v in votes.items() if len(v) == most]
    default = _TYPE_FRAMES[image_type][0]
    if len(leaders) > 1:
        if default in leaders:
            return default, f"the prompt names several shapes; {_TYPE_FRAMES[image_type][1]}"
        leaders.sort(key=lambda f: f.name)
    frame = leaders[0]
    if frame == _TALL and image_type == _T.SOCIAL_POST:
        frame = _FEED  # the tallest frame a feed shows uncropped
    return frame, f"'{votes[leaders[0]][0]}' in the prompt asks for a {frame.name.split()[0]} frame"


def suggest_size(image_type: ImageType | str, prompt: str, model: str | None) -> SizeSuggestion:
    """Pick a size for `prompt` that `model` (None: the API default) accepts, with a one-line reason.

    An explicit aspect ratio in the prompt ("16:9") wins, then the frame of a platform or print
    format the prompt names (a Pinterest pin is 2:3, a LinkedIn banner 4:1, an album cover 1:1,
    a two-page spread 3:2; orientation words only choose among a format's own frames), then
    orientation words (portrait, vertical, wide, banner, square ...), then the type's usual frame.
    A frame beyond the model's 1:3-3:1 is clamped to the limit, and the reason says so.
    Fixed-size models get the closest of image_models.STANDARD_SIZES; flexible ones
    get the exact ratio with sides divisible by 16 that passes flexible_size_problems.
    An explicit `size` from the caller must bypass this function altogether.
    """
    kind = ImageType(image_type)
    resolved = image_models.effective_model(model)
    frame, why = _frame_from_prompt(prompt, kind) or _TYPE_FRAMES[kind]
    if image_models.has_flexible_sizes(resolved):
        size = _flexible_size(frame)
        if _clamped(frame):
            most = f"{image_models.MAX_RATIO:g}"
            limit = f"{most}:1" if frame.width > frame.height else f"1:{most}"
            why += f"; {resolved} makes at most {limit}, so it is clamped to {limit} (crop it to fit)"
        return SizeSuggestion(size=str(size), reason=f"{frame.name} ({size}): {why}.")
    size_text = _fixed_size(frame)
    exact = {"1024x1024": (1, 1), "1536x1024": (3, 2), "1024x1536": (2, 3)}[size_text]
    if exact[0] * frame.height == exact[1] * frame.width:
        return SizeSuggestion(size=size_text, reason=f"{frame.name} ({size_text}): {why}.")
    return SizeSuggestion(
        size=size_text,
        reason=f"{frame.name} would fit ({why}); {size_text} is the closest size {resolved} offers.",
    )


def choose_size(explicit: str | None, image_type: ImageType | str, prompt: str, *, model: str | None) -> tuple[str, str]:
    """(size, reason to show): the caller's size if given, else the suggested one.

    A size asked for earlier (a dialogue keeps it until its last answer) is fitted to `model`
    if the configured model changed since, and the reason says so.
    """
    if explicit:
        size, note = fit_size(explicit, model)
        return size, note or "the size you asked for"
    suggestion = suggest_size(image_type, prompt, model)
    return suggestion.size, suggestion.reason


def fit_size(previous: str, model: str | None) -> tuple[str, str | None]:
    """A refinement's size: `previous` if `model` accepts it, else the accepted size closest in aspect.

    The second value is None when the size is kept, else a note for the user saying what changed and why.
    """
    resolved = effective_model(model)
    try:
        return validate_size(previous, resolved), None
    except InvalidInput:
        parsed = parse_size(previous)
        if parsed is None or parsed.width <= 0 or parsed.height <= 0:
            raise
    ratio = parsed.width / parsed.height
    if image_models.has_flexible_sizes(resolved):
        fitted = str(_flexible_size(_Frame(f"{parsed}", parsed.width, parsed.height)))
    else:
        fitted = min(STANDARD_SIZES, key=lambda s: abs(math.log(_ratio(s) / ratio)))
    return fitted, (
        f"The previous image is {parsed}, which {resolved} does not make; this one is {fitted}, "
        "the closest in aspect it accepts. Pass size to choose another."
    )


def _ratio(size: str) -> float:
    parsed = parse_size(size)
    assert parsed is not None
    return parsed.width / parsed.height
