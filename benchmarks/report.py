"""Each figure beside its floor: the Figure record, and the table, verdict and JSON file made of a run's figures."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.common import KB


@dataclass
class Figure:
    """One measured figure beside its floor; `target` bounds either the value or the ratio."""

    name: str
    label: str
    unit: str  # "ms", "s", "MB" (MiB), "bytes" or "/s" (a rate: higher is better, so it carries no target)
    value: float | None
    floor: float | None
    floor_label: str
    target: float | None = None
    target_on: str = "value"  # "value" or "ratio"
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.floor:
            return None
        return self.value / self.floor

    @property
    def judged(self) -> float | None:
        return self.ratio if self.target_on == "ratio" else self.value

    @property
    def passed(self) -> bool | None:
        if self.target is None or self.judged is None:
            return None
        return self.judged <= self.target

    def target_text(self) -> str:
        if self.target is None:
            return "(report)"
        if self.target_on == "ratio":
            return f"ratio <= {self.target:.2f}"
        return f"<= {show(self.target, self.unit)}"

    def miss_text(self) -> str:
        judged, target = self.judged or 0.0, self.target or 0.0
        what = f"ratio {judged:.2f}" if self.target_on == "ratio" else show(judged, self.unit)
        limit = f"{target:.2f}" if self.target_on == "ratio" else show(target, self.unit)
        return f"{self.label}: {what} > {limit} ({100 * (judged / target - 1):+.0f}% over the target)"

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "unit": self.unit,
            "value": _round(self.value),
            "floor": _round(self.floor),
            "floor_is": self.floor_label,
            "ratio": _round(self.ratio),
            "target": self.target,
            "target_on": self.target_on if self.target is not None else None,
            "pass": self.passed,
            **{key: _round(value) for key, value in self.extra.items()},
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def show(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "bytes":
        return f"{value / KB:.1f} KB"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.1f} MB"
    if unit == "/s":
        return f"{value:.1f}/s"
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


# What every run's report says; each phase module adds the notes on its own figures (benchmarks/run.py).
NOTES = (
    "Floors are measured in the same run; ratio = ours / floor. Times are medians.",
    "'paired' is the median of the per-run ratios, each of our runs beside a floor run: steadier when the "
    "machine's speed drifts during the run.",
    "The fake OpenAI server sends photo-like images (about 1.6 MB as PNG at 1024x1024), each size encoded once and "
    "cached; per request it base64-encodes and streams the image, and its clock takes 0.25 s per background response "
    "(1 s latency in concurrency, 2 s in renders). Ours and the floor pay that equally: it cancels in the overhead "
    "but not in the ratio.",
)


def floor_keys(figures: list[Figure]) -> dict[str, str]:
    """A letter per distinct floor, in order of appearance, for the table's legend."""
    keys: dict[str, str] = {}
    for f in figures:
        keys.setdefault(f.floor_label, "abcdefghijklmnopqrstuvwxyz"[len(keys)])
    return keys


def table(figures: list[Figure]) -> str:
    keys = floor_keys(figures)
    header = ("figure", "ours", "floor", "ratio", "target", "result")
    rows = [header]
    for f in figures:
        ratio = "n/a" if f.ratio is None else f"{f.ratio:.2f}"
        verdict = {True: "PASS", False: "MISS", None: ""}[f.passed]
        asides = []
        if "paired_ratio_median" in f.extra:
            asides.append(f"paired {f.extra['paired_ratio_median']:.2f}")
        if "overhead_ms" in f.extra:
            asides.append(f"overhead {f.extra['overhead_ms']:+.0f} ms")
        if asides:
            verdict = f"{verdict} ({', '.join(asides)})".strip()
        floor = f"{show(f.floor, f.unit)} [{keys[f.floor_label]}]"
        rows.append((f.label, show(f.value, f.unit), floor, ratio, f.target_text(), verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for number, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [cell.rjust(widths[i]) for i, cell in enumerate(row[1:5], 1)] + [row[5]]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    legend = [f"[{key}] {label}" for label, key in keys.items()]
    return "\n".join([*lines, "", "Floors:", *legend])


def summary(figures: list[Figure]) -> str:
    judged = [f for f in figures if f.passed is not None]
    misses = [f for f in judged if f.passed is False]
    unmeasured = [f for f in figures if f.target is not None and f.passed is None]
    text = (
        f"All {len(judged)} targets met."
        if not misses
        else (f"Misses: {len(misses)} of {len(judged)} targets: " + "; ".join(f.miss_text() for f in misses))
    )
    if unmeasured:
        text += " Not measured: " + ", ".join(f.label for f in unmeasured) + "."
    return text


def write_json(path: Path, figures: list[Figure], *, settings: dict[str, Any], seconds: float, notes: tuple[str, ...]) -> None:
    """The run as JSON: where and with what it ran, every figure, the misses and the notes."""
    document = {
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "fastmcp": _version("fastmcp"),
            "openai": _version("openai"),
            "seconds": round(seconds, 1),
            **settings,
        },
        "figures": {f.name: f.as_json() for f in figures},
        "misses": [f.miss_text() for f in figures if f.passed is False],
        "notes": list(notes),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
