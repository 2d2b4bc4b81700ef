"""Type detection and platform frames against the labelled set tests/detection_eval.jsonl (scripts/eval_detection.py)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time

import pytest
from conftest import ROOT

from openai_images import image_models
from openai_images.enhancer import ImageType, cover_kind, detect_type, platforms
from openai_images.sizes import choose_size

FLEXIBLE_MODEL = "gpt-image-2"
FIXED_MODEL = "gpt-image-2.6-sunburst"


def _load_script():
    spec = importlib.util.spec_from_file_location("eval_detection", ROOT / "scripts" / "eval_detection.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_detection"] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


eval_detection = _load_script()
CASES = eval_detection.load_cases()


def test_the_set_is_large_and_covers_every_type_orientation_and_platform_row():
    assert len(CASES) >= 150
    assert len({c.prompt for c in CASES}) == len(CASES)
    assert {c.type for c in CASES} == set(ImageType)
    assert {c.orientation for c in CASES} == set(eval_detection.ORIENTATIONS)
    assert {c.platform for c in CASES if c.platform} == set(eval_detection.PLATFORMS)


def test_detection_reaches_95_percent_on_type_and_on_orientation_for_both_kinds_of_model():
    report = eval_detection.evaluate(CASES)
    misses = "\n".join(report.misses)
    assert report.type_accuracy >= 0.95, misses
    assert report.orientation_accuracy_flexible >= 0.95, misses
    assert report.orientation_accuracy_fixed >= 0.95, misses
    assert report.frame_accuracy >= 0.95, misses


def test_the_script_prints_precision_and_recall_per_type_and_exits_0():
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "eval_detection.py")], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "precision" in run.stdout and "recall" in run.stdout
    for image_type in ImageType:
        assert f"\n{image_type.value} " in run.stdout
    assert "type accuracy:" in run.stdout
    assert f"orientation accuracy, {FLEXIBLE_MODEL}" in run.stdout
    assert f"orientation accuracy, {FIXED_MODEL}" in run.stdout


# ----------------------------------------------------------- platform frames


@pytest.mark.parametrize(
    ("prompt", "flexible", "named"),
    [
        ("an instagram post for our new vegan burger", "1024x1024", "Instagram post: 1:1"),
        ("a portrait instagram post for a yoga retreat", "1232x1536", "Instagram post: 4:5"),
        ("instagram story announcing our flash sale", "864x1536", "Instagram story: 9:16"),
        ("a reel cover for my cooking channel", "864x1536", "reel: 9:16"),
        ("a pinterest pin for a healthy breakfast recipe", "1024x1536", "Pinterest pin: 2:3"),
        ("a youtube thumbnail for my video about budget travel", "1536x864", "YouTube thumbnail: 16:9"),
        ("an X header for my photography account", "1536x512", "X/Twitter header: 3:1"),
        ("facebook cover for a local bakery", "1536x576", "Facebook cover: about 2.7:1"),
        ("cover art for my true crime podcast", "1024x1024", "podcast cover: 1:1"),
        ("album cover for a lo-fi record", "1024x1024", "album cover: 1:1"),
        ("a book cover for a fantasy novel", "1024x1536", "book cover: 2:3"),
        ("a two-page spread for a children's picture book", "1536x1024", "two-page spread: 3:2"),
    ],
)
def test_a_platform_gets_its_own_frame_and_the_reason_names_it(prompt: str, flexible: str, named: str):
    kind = detect_type(prompt).image_type
    size, reason = choose_size(None, kind, prompt, model=FLEXIBLE_MODEL)
    assert (size, named in reason) == (flexible, True), reason
    fixed, fixed_reason = choose_size(None, kind, prompt, model=FIXED_MODEL)
    assert fixed in image_models.STANDARD_SIZES and named in fixed_reason


def test_a_linkedin_banner_is_clamped_to_what_the_model_makes_and_the_reason_says_so():
    prompt = "a LinkedIn banner for a freelance UX designer"
    kind = detect_type(prompt).image_type
    assert kind == ImageType.BANNER
    size, reason = choose_size(None, kind, prompt, model=FLEXIBLE_MODEL)
    assert size == "1536x512"
    assert image_models.validate_size(size, FLEXIBLE_MODEL) == size
    assert "LinkedIn banner: 4:1" in reason and "clamped to 3:1" in reason
    fixed, fixed_reason = choose_size(None, kind, prompt, model=FIXED_MODEL)
    assert fixed == "1536x1024" and "closest size" in fixed_reason


def test_an_orientation_word_chooses_among_a_platforms_frames_but_cannot_leave_them():
    post = "an instagram post with a panoramic shot of the Alps"
    size, reason = choose_size(None, detect_type(post).image_type, post, model=FLEXIBLE_MODEL)
    assert size == "1024x1024" and "kept although 'panoramic'" in reason
    vertical = "a vertical roll-up banner for a conference booth"
    assert choose_size(None, detect_type(vertical).image_type, vertical, model=FLEXIBLE_MODEL)[0] == "1024x1536"
    wide = "a wide banner for the top of our blog"
    assert choose_size(None, detect_type(wide).image_type, wide, model=FLEXIBLE_MODEL)[0] == "1536x512"


@pytest.mark.parametrize(
    ("prompt", "size"),
    [
        ("an oil painting of a stormy sea with a tall ship", "1024x1024"),  # a tall ship is no tall frame
        ("a wide river bend seen from a cliff top", "1536x1024"),  # nor a wide river a wide one
        ("a tall instagram post for a vintage clothing drop", "1232x1536"),
        ("a futuristic sports car, wide", "1536x864"),
    ],
)
def test_tall_and_wide_name_a_frame_only_before_a_format_word_or_at_a_phrase_end(prompt: str, size: str):
    assert choose_size(None, detect_type(prompt).image_type, prompt, model=FLEXIBLE_MODEL)[0] == size


# ------------------------------------------------------------- the helpers


@pytest.mark.parametrize(
    ("prompt", "kind"),
    [
        ("cover art for my true crime podcast", "podcast"),
        ("the cover of my debut thriller", "book"),
        ("a cover for my mixtape", "album"),
        ("artwork for my new single", "album"),
        ("cover for the spring issue of our travel magazine", "magazine"),
        ("front cover for a comic book", "comic"),
        ("a cover with a lighthouse", ""),
        ("a small drawing to go with my cover letter", None),
        ("facebook cover for a bakery", None),
        ("a blanket of snow covering a village", None),
        ("an undercover detective", None),
        ("a cover band poster", None),
    ],
)
def test_cover_kind_says_what_a_cover_is_for(prompt: str, kind: str | None):
    assert cover_kind(prompt) == kind


def test_platforms_are_named_once_each_in_order_and_x_only_as_a_phrase():
    assert platforms("X/Twitter header with our logo") == ("x",)
    assert platforms("a tweet, then an insta story and a YT thumbnail") == ("x", "instagram", "youtube")
    assert platforms("a 4x6 print of an x-ray") == ()


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("a story about a dragon who is afraid of the dark", ImageType.ILLUSTRATION),
        ("an instagram post telling the story of our family bakery", ImageType.SOCIAL_POST),
        ("a two-story farmhouse with a red front door", ImageType.GENERAL),
        ("a photo of my dog running on the beach", ImageType.PHOTO),
        ("a photo of a lavender field in Provence at sunset", ImageType.LANDSCAPE),
        ("a river of commuters flowing through Grand Central", ImageType.GENERAL),
        ("a forest green velvet sofa in a modern living room", ImageType.GENERAL),
        ("the Icelandic highlands: black sand, green moss", ImageType.LANDSCAPE),
    ],
)
def test_scenery_and_story_words_count_only_where_they_mean_scenery_and_a_social_story(prompt: str, expected: ImageType):
    assert detect_type(prompt).image_type == expected


@pytest.mark.parametrize(
    "chunk",
    ["a", "instagram cover ", "artwork album ", "tall ", "forest green ", "sea of x ", "on the beach ", "two story instagram "],
)
def test_hostile_100k_character_prompts_are_read_in_linear_time(chunk: str):
    # One 100k-letter word once took minutes in a backtracking pattern; a cover next to a platform, quadratic time.
    prompt = (chunk * (100_000 // len(chunk) + 1))[:100_000]
    started = time.perf_counter()
    kind = detect_type(prompt).image_type
    choose_size(None, kind, prompt, model=FLEXIBLE_MODEL)
    assert time.perf_counter() - started < 3.0
