"""SVG files made safe: parsed without entity tricks, stripped of anything that runs or reaches out, and drawn as a raster.

An SVG from OpenAI is text that a browser, a gallery or a file viewer may execute: it is untrusted
like any answer from outside. Before it is saved or shown, `sanitise` parses it with defusedxml (no
entity expansion, no external DTD) and removes script elements, `<foreignObject>`, event-handler
attributes (`on...`), `javascript:` URLs and every reference to anything outside the file (an
`href` may point at `#id` inside it or at a `data:image/...` URL, nothing else), and says what it
removed. `draw` draws the sanitised file with resvg, a real SVG renderer (imagefiles makes the preview of it).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
MAX_SVG_BYTES = 20 * 1024 * 1024
_REMOVED_ELEMENTS = {"script", "foreignobject", "iframe", "object", "embed", "handler", "listener"}
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "from", "to", "values"}
_SAFE_DATA = re.compile(r"^data:image/(png|jpeg|gif|webp);", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(?!#)[^)]*\1\s*\)|@import[^;]*;?", re.IGNORECASE)
_SCRIPT_URL = re.compile(r"^\s*(javascript|vbscript|data:text)", re.IGNORECASE)


class NotSvg(ValueError):
    """The bytes are not a well-formed SVG document."""


@dataclass(frozen=True, kw_only=True)
class Sanitised:
    data: bytes  # the document as saved and shown
    removed: list[str]  # what was taken out, one line each, for the result's notes
    view_box: str | None  # the root's viewBox, as written
    width: int  # the size it is drawn at: its width and height, else its viewBox's, else 1024 square
    height: int


def sanitise(data: bytes) -> Sanitised:
    """`data` with everything that runs or reaches outside the file removed; NotSvg when it is not an SVG document."""
    from defusedxml import ElementTree as SafeTree  # refuses entity expansion and external DTDs

    if len(data) > MAX_SVG_BYTES:
        raise NotSvg(f"the SVG is {len(data) // 1024 // 1024} MB, over the {MAX_SVG_BYTES // 1024 // 1024} MB limit")
    try:
        root = SafeTree.fromstring(data)
    except Exception as exc:  # defusedxml's refusals and ParseError alike
        raise NotSvg(f"it is not well-formed XML ({str(exc)[:120]})") from None
    if _local(root.tag) != "svg":
        raise NotSvg(f"its root element is <{_local(root.tag)[:40]}>, not <svg>")
    removed: list[str] = []
    _clean(root, removed)
    ElementTree.register_namespace("", SVG_NAMESPACE)
    ElementTree.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    cleaned = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    width, height = _drawn_size(root)
    return Sanitised(data=cleaned, removed=removed, view_box=root.get("viewBox"), width=width, height=height)


def looks_like_svg(data: bytes) -> bool:
    """True when `data` begins like an XML document (every raster format OpenAI returns begins otherwise)."""
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"


def draw(svg: Sanitised, *, side: int) -> Any:
    """The sanitised SVG drawn by resvg at most `side` pixels on its longer edge: a Pillow RGBA image."""
    import resvg_py
    from PIL import Image

    scale = side / max(svg.width, svg.height)
    width, height = max(1, round(svg.width * scale)), max(1, round(svg.height * scale))
    png = resvg_py.svg_to_bytes(svg_string=svg.data.decode("utf-8"), width=width, height=height, log_information=False)
    with Image.open(io.BytesIO(bytes(png))) as drawn:
        return drawn.convert("RGBA")


def _local(tag: object) -> str:
    """An element's or attribute's name without its namespace, in lower case."""
    return str(tag).rsplit("}", 1)[-1].lower()


def _clean(element: ElementTree.Element, removed: list[str]) -> None:
    for child in list(element):
        if not isinstance(child.tag, str):  # a comment or processing instruction: dropped silently
            element.remove(child)
            continue
        name = _local(child.tag)
        if name in _REMOVED_ELEMENTS:
            element.remove(child)
            removed.append(f"removed a <{name}> element")
            continue
        _clean(child, removed)
    for attribute, value in list(element.attrib.items()):
        name = _local(attribute)
        if name.startswith("on"):
            del element.attrib[attribute]
            removed.append(f"removed an {name} handler from <{_local(element.tag)}>")
        elif name in _URL_ATTRIBUTES and not _allowed_reference(name, value):
            del element.attrib[attribute]
            removed.append(f"removed {name}={value[:60]!r} from <{_local(element.tag)}>: it points outside the file")
        elif name == "style" and _CSS_URL.search(value):
            element.attrib[attribute] = _CSS_URL.sub("none", value)
            removed.append(f"removed an outside url() from the style of <{_local(element.tag)}>")
    if _local(element.tag) == "style" and element.text and _CSS_URL.search(element.text):
        element.text = _CSS_URL.sub("none", element.text)
        removed.append("removed an outside url() or @import from a <style> element")


def _allowed_reference(name: str, value: str) -> bool:
    text = value.strip()
    if name in ("from", "to", "values"):  # animation values: harmless unless they smuggle a script URL
        return not _SCRIPT_URL.match(text)
    return text.startswith("#") or bool(_SAFE_DATA.match(text))


def _drawn_size(root: ElementTree.Element) -> tuple[int, int]:
    def number(text: str | None) -> float | None:
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(px)?\s*", text or "")
        return float(match.group(1)) if match else None

    width, height = number(root.get("width")), number(root.get("height"))
    if not (width and height):
        parts = re.split(r"[\s,]+", (root.get("viewBox") or "").strip())
        box = [number(part) for part in parts] if len(parts) == 4 else []
        width, height = (box[2], box[3]) if len(box) == 4 and box[2] and box[3] else (1024.0, 1024.0)
    return max(1, round(width)), max(1, round(height))
