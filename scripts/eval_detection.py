#!/usr/bin/env python3
"""Measure type detection and size choice against the labelled prompts in tests/detection_eval.jsonl.

Each line of the set is {"prompt", "type", "orientation", "batch"} and, for prompts aimed at one of the
platform frames (docs/tools.md, "Size choice"), "platform". Batch 1 was written before detection was changed for
it; batches 2 and 3 were written later and first scored unseen (docs/testing.md gives those first figures).

The type is `enhancer.detect_type`'s; the orientation is that of the size the server would choose with no
`size` given (`sizes.choose_size`), once on a flexible-size model and once on a fixed-size one. A platform prompt must also get its platform's frame on the flexible model (within
the model's 1:3-3:1 limit) and a size reason that names the platform.

    .venv/bin/python scripts/eval_detection.py          # precision and recall per type, accuracies, misses
    .venv/bin/python scripts/eval_detection.py --json   # the same figures as JSON

It always exits 0: the thresholds live in tests/test_detection_eval.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from openai_images import image_models, sizes  # noqa: E402  # after the path line: run as a script from a clone
from openai_images.enhancer import ImageType, detect_type  # noqa: E402

EVAL_SET = ROOT / "tests" / "detection_eval.jsonl"
FLEXIBLE_MODEL = "gpt-image-2"
FIXED_MODEL = image_models.API_DEFAULT_IMAGE_MODEL
ORIENTATIONS = ("landscape", "portrait", "square")

# Issue 15's platform table: the frames each platform accepts, and words of which the reason must name one.
PLATFORMS: dict[str, tuple[tuple[float, ...], tuple[str, ...]]] = {
    "Instagram post": ((1.0, 4 / 5), ("instagram",)),
    "story or reel": ((9 / 16,), ("story", "reel", "stories", "status", "short", "tiktok", "snapchat")),
    "Pinterest pin": ((2 / 3,), ("pinterest",)),
    "YouTube thumbnail": ((16 / 9,), ("youtube",)),
    "X/Twitter header": ((3.0,), ("twitter", "x header")),
    "LinkedIn banner": ((4.0,), ("linkedin",)),
    "Facebook cover": ((2.7,), ("facebook",)),
    "podcast or album cover": ((1.0,), ("podcast", "album", "cover")),
}
_RATIO_TOLERANCE = 0.04  # sides are rounded to multiples of 16


@dataclass(frozen=True, kw_only=True)
class Case:
    prompt: str
    type: ImageType
    orientation: str
    platform: str | None = None


@dataclass(kw_only=True)
class Outcome:
    case: Case
    detected: ImageType
    flexible_size: str
    fixed_size: str
    flexible_reason: str
    frame_ok: bool | None  # None: not a platform prompt

    @property
    def type_ok(self) -> bool:
        return self.detected == self.case.type

    @property
    def flexible_ok(self) -> bool:
        return orientation(self.flexible_size) == self.case.orientation

    @property
    def fixed_ok(self) -> bool:
        return orientation(self.fixed_size) == self.case.orientation


@dataclass
class TypeFigures:
    support: int
    predicted: int
    correct: int

    @property
    def precision(self) -> float | None:
        return self.correct / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.support if self.support else None


@dataclass(kw_only=True)
class Report:
    cases: int
    type_accuracy: float
    orientation_accuracy_flexible: float
    orientation_accuracy_fixed: float
    frame_accuracy: float
    platform_cases: int
    per_type: dict[str, TypeFigures] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)


def load_cases(path: Path = EVAL_SET) -> list[Case]:
    """The labelled prompts, checked for shape: a known type, a known orientation, a known platform row."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row["orientation"] not in ORIENTATIONS:
            raise ValueError(f"{path.name}:{number}: orientation {row['orientation']!r} is not one of {ORIENTATIONS}")
        platform = row.get("platform")
        if platform is not None and platform not in PLATFORMS:
            raise ValueError(f"{path.name}:{number}: platform {platform!r} is not one of {sorted(PLATFORMS)}")
        cases.append(Case(prompt=row["prompt"], type=ImageType(row["type"]), orientation=row["orientation"], platform=platform))
    return cases


def orientation(size: str) -> str:
    """landscape, portrait or square, from a WIDTHxHEIGHT size."""
    parsed = image_models.parse_size(size)
    if parsed is None:
        raise ValueError(f"not a WIDTHxHEIGHT size: {size!r}")
    if parsed.width == parsed.height:
        return "square"
    return "landscape" if parsed.width > parsed.height else "portrait"


def _frame_ok(platform: str, size: str, reason: str) -> bool:
    ratios, names = PLATFORMS[platform]
    parsed = image_models.parse_size(size)
    assert parsed is not None
    actual = parsed.width / parsed.height
    limit = image_models.MAX_RATIO
    fits = any(abs(actual / min(limit, max(1 / limit, r)) - 1) <= _RATIO_TOLERANCE for r in ratios)
    return fits and any(name in reason.lower() for name in names)


def run_case(case: Case) -> Outcome:
    """What the server would make of one prompt given no size: its type and its size on both kinds of model."""
    detected = detect_type(case.prompt).image_type
    flexible, reason = sizes.choose_size(None, detected, case.prompt, model=FLEXIBLE_MODEL)
    fixed, _ = sizes.choose_size(None, detected, case.prompt, model=FIXED_MODEL)
    frame_ok = _frame_ok(case.platform, flexible, reason) if case.platform else None
    return Outcome(case=case, detected=detected, flexible_size=flexible, fixed_size=fixed, flexible_reason=reason, frame_ok=frame_ok)


def evaluate(cases: list[Case] | None = None) -> Report:
    """Run every case and sum up: accuracies, precision and recall per type, and one line per miss."""
    cases = load_cases() if cases is None else cases
    outcomes = [run_case(c) for c in cases]
    per_type = {t.value: TypeFigures(0, 0, 0) for t in ImageType}
    misses = []
    for o in outcomes:
        per_type[o.case.type.value].support += 1
        per_type[o.detected.value].predicted += 1
        if o.type_ok:
            per_type[o.detected.value].correct += 1
        wrong = []
        if not o.type_ok:
            wrong.append(f"type {o.detected.value}, expected {o.case.type.value}")
        if not o.flexible_ok:
            wrong.append(f"{orientation(o.flexible_size)} {o.flexible_size} on {FLEXIBLE_MODEL}, expected {o.case.orientation}")
        if not o.fixed_ok:
            wrong.append(f"{orientation(o.fixed_size)} {o.fixed_size} on {FIXED_MODEL}, expected {o.case.orientation}")
        if o.frame_ok is False:
            wrong.append(f"not the {o.case.platform} frame: {o.flexible_size}, {o.flexible_reason!r}")
        if wrong:
            misses.append(f"{o.case.prompt!r}: {'; '.join(wrong)}")
    platform = [o for o in outcomes if o.frame_ok is not None]
    n = len(outcomes)
    return Report(
        cases=n,
        type_accuracy=sum(o.type_ok for o in outcomes) / n,
        orientation_accuracy_flexible=sum(o.flexible_ok for o in outcomes) / n,
        orientation_accuracy_fixed=sum(o.fixed_ok for o in outcomes) / n,
        frame_accuracy=sum(bool(o.frame_ok) for o in platform) / len(platform) if platform else 1.0,
        platform_cases=len(platform),
        per_type=per_type,
        misses=misses,
    )


def _pct(value: float | None) -> str:
    return "   -  " if value is None else f"{value:6.1%}"


def format_report(report: Report, source: str = str(EVAL_SET.relative_to(ROOT))) -> str:
    """The report as a table for a terminal."""
    lines = [
        f"Detection evaluation: {report.cases} prompts from {source}",
        "",
        f"{'type':<14} {'support':>7} {'precision':>9} {'recall':>7}",
    ]
    for name, figures in report.per_type.items():
        lines.append(f"{name:<14} {figures.support:>7} {_pct(figures.precision):>9} {_pct(figures.recall):>7}")
    lines += [
        "",
        f"type accuracy:                      {report.type_accuracy:.1%}",
        f"orientation accuracy, {FLEXIBLE_MODEL + ' (flexible)':<22} {report.orientation_accuracy_flexible:.1%}",
        f"orientation accuracy, {FIXED_MODEL + ' (fixed)':<22} {report.orientation_accuracy_fixed:.1%}",
        f"platform frames ({report.platform_cases} prompts):       {report.frame_accuracy:.1%}",
        "",
        f"misses ({len(report.misses)}):" if report.misses else "misses: none",
        *(f"  {m}" for m in report.misses),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    report = evaluate()
    if args.json:
        data = asdict(report)
        for name, figures in report.per_type.items():
            data["per_type"][name].update(precision=figures.precision, recall=figures.recall)
        print(json.dumps(data, indent=2))
    else:
        print(format_report(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
