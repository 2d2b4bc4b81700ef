"""Which size an image gets: the caller's, the one that suits the kind of image, or the closest the model takes.

Pure rules, no I/O. `choose_size` is the one entry point for a new image: an
explicit size wins, else `suggest_size` reads the prompt (an aspect ratio, then
orientation words, then the type's usual frame). `fit_size` keeps a refinement
at its previous size, or the closest in aspect that the current model accepts
when the configured model changed between turns.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

import image_models
from enhancer import ImageType, phrase_words, read_words
from errors import InvalidInput
from image_models import STANDARD_SIZES, Size, effective_model, parse_size, validate_size

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
        ("square", _SQUARE), ("album cover", _SQUARE), ("profile picture", _SQUARE), ("avatar", _SQUARE),
        ("portrait", _TALL), ("vertical", _TALL), ("tall", _TALL), ("upright", _TALL),
        ("reel", _STORY), ("phone wallpaper", _STORY), ("mobile wallpaper", _STORY), ("lock screen", _STORY),
        ("youtube short", _STORY),
        ("landscape", _LANDSCAPE), ("horizontal", _LANDSCAPE),
        ("wide", _WIDE), ("widescreen", _WIDE), ("desktop wallpaper", _WIDE), ("thumbnail", _WIDE),
        ("banner", _BANNER), ("panoramic", _BANNER), ("panorama", _BANNER), ("ultra wide", _BANNER),
    )
)
_NOT_ORIENTATION = _phrases("wide angle", "wide-angle", "portrait of", "portrait photo", "portrait painting")
_RATIO = re.compile(r"(?<![\d:.])(\d{1,2})\s*:\s*(\d{1,2})(?![\d:])")
_KNOWN_RATIOS = {
    (1, 1), (4, 5), (5, 4), (2, 3), (3, 2), (3, 4), (4, 3), (9, 16), (16, 9), (21, 9), (9, 21), (3, 1),
    (1, 3), (2, 1), (1, 2), (4, 1), (1, 4), (5, 7), (7, 5),
}
_LONG_SIDE = 1536


def _round16(value: float) -> int:
    return max(image_models.SIZE_STEP, round(value / image_models.SIZE_STEP) * image_models.SIZE_STEP)


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


def _frame_from_prompt(prompt: str, image_type: ImageType) -> tuple[_Frame, str] | None:
    for match in _RATIO.finditer(prompt[:100_000]):
        w, h = int(match.group(1)), int(match.group(2))
        if (w, h) in _KNOWN_RATIOS:
            return _Frame(f"{w}:{h}", w, h), f"the prompt asks for {w}:{h}"
    text = read_words(prompt)
    blocked = {p for term in _NOT_ORIENTATION for p in text.find(term)}
    votes: dict[_Frame, list[str]] = {}
    for term, frame in _ORIENTATION_CUES:
        for start in text.find(term):
            if start not in blocked:
                votes.setdefault(frame, []).append(" ".join(text.tokens[start : start + len(term)]))
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

    An explicit aspect ratio in the prompt ("16:9") wins, then orientation words
    (portrait, vertical, wide, banner, square ...), then the type's usual frame.
    Fixed-size models get the closest of image_models.STANDARD_SIZES; flexible ones
    get the exact ratio with sides divisible by 16 that passes flexible_size_problems.
    An explicit `size` from the caller must bypass this function altogether.
    """
    kind = ImageType(image_type)
    resolved = image_models.effective_model(model)
    frame, why = _frame_from_prompt(prompt, kind) or _TYPE_FRAMES[kind]
    if image_models.has_flexible_sizes(resolved):
        size = _flexible_size(frame)
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
