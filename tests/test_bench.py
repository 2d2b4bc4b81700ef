"""The benchmarks (`python -m benchmarks`) run end to end with tiny settings and report every figure as a number.

It is a smoke test, not a timed test: targets may be missed on a busy machine and the run still exits 0.
What it pins is that the printed table and verdict say what the JSON records, whichever targets were met.
"""

from __future__ import annotations

import ast
import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from benchmarks import report, run, s3
from benchmarks.common import BenchError

FIGURES = {
    "startup_ms",
    "idle_rss_mb",
    "image_1024x1024_ms",
    "image_1536x1024_ms",
    "image_3840x2160_ms",
    "peak_rss_mb",
    "peak_rss_worst_inputs_mb",
    "result_bytes_1024x1024",
    "result_bytes_1536x1024",
    "result_bytes_3840x2160",
    "list_newest20_ms",
    "list_search_ms",
    "list_newest20_roundtrip_ms",
    "list_search_roundtrip_ms",
    "concurrency_8_s",
    "ping_p99_during_renders_ms",
    "renders_8_vs_1_ratio",
    "cpu_per_image_ms",
    "http_list_1_per_s",
    "http_list_16_per_s",
    "http_images_1_per_s",
    "http_images_16_per_s",
    "s3_image_1024x1024_ms",
}
# Read from /proc, so Linux only.
PROC_FIGURES = {"idle_rss_mb", "peak_rss_mb", "peak_rss_worst_inputs_mb", "cpu_per_image_ms"}


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _printed(value: float | None, show) -> set[str]:
    """What the table may print for a JSON number: the JSON keeps 4 decimals, the table formats the unrounded value."""
    if value is None:
        return {"n/a"}
    return {show(value + nudge) for nudge in (-5e-5, 0.0, 5e-5)}


def _check_table_row(stdout: str, figure: dict) -> None:
    """The figure's own table row shows the JSON's value, floor, ratio, target and verdict; its floor is in the legend."""
    label, unit = figure["label"], figure["unit"]
    rows = [line for line in stdout.splitlines() if line.startswith(label + "  ")]
    assert len(rows) == 1, (label, stdout)
    ours, floor, ratio, target, *verdict = re.split(r"\s{2,}", rows[0][len(label) :].strip())
    assert ours in _printed(figure["value"], lambda v: report.show(v, unit)), (label, ours, figure["value"])
    floor_shown, key = re.fullmatch(r"(.+) \[([a-z])\]", floor).groups()
    assert floor_shown in _printed(figure["floor"], lambda v: report.show(v, unit)), (label, floor, figure["floor"])
    assert f"[{key}] {figure['floor_is']}" in stdout.splitlines(), (label, key)
    assert ratio in _printed(figure["ratio"], lambda v: f"{v:.2f}"), (label, ratio, figure["ratio"])
    if figure["target"] is None:
        assert target == "(report)", (label, target)
    elif figure["target_on"] == "ratio":
        assert target == f"ratio <= {figure['target']:.2f}", (label, target)
    else:
        assert target == f"<= {report.show(figure['target'], unit)}", (label, target)
    verdict_word = verdict[0][:4] if verdict and verdict[0][:4] in ("PASS", "MISS") else ""
    assert verdict_word == {True: "PASS", False: "MISS", None: ""}[figure["pass"]], (label, verdict, figure["pass"])


def _expected_summary(document: dict) -> str:
    """The closing verdict the JSON implies: every target met, or exactly the JSON's misses, then any target not measured."""
    figures = list(document["figures"].values())
    judged = [f for f in figures if f["pass"] is not None]
    failed = [f for f in figures if f["pass"] is False]
    misses = document["misses"]
    assert len(misses) == len(failed) and all(m.startswith(f["label"] + ": ") for m, f in zip(misses, failed)), misses
    text = f"All {len(judged)} targets met." if not misses else (f"Misses: {len(misses)} of {len(judged)} targets: " + "; ".join(misses))
    unmeasured = [f["label"] for f in figures if f["target"] is not None and f["pass"] is None]
    if unmeasured:
        text += " Not measured: " + ", ".join(unmeasured) + "."
    return text


@pytest.mark.integration
def test_quick_benchmark_writes_every_figure_with_floor_and_ratio(tmp_path: Path):
    results = tmp_path / "results.json"
    finished = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(results)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    document = json.loads(results.read_text())
    figures = document["figures"]
    assert set(figures) == FIGURES
    measured = FIGURES if Path("/proc/self/status").exists() else FIGURES - PROC_FIGURES
    for name in measured:
        for key in ("value", "floor", "ratio"):
            assert _is_number(figures[name][key]), (name, key, figures[name][key])
    assert _is_number(figures["image_3840x2160_ms"]["overhead_ms"])
    assert _is_number(figures["image_1024x1024_ms"]["paired_ratio_median"])
    assert figures["ping_p99_during_renders_ms"]["pings"] > 0
    assert figures["renders_8_vs_1_ratio"]["target_on"] == "ratio"
    assert figures["http_list_1_per_s"]["unit"] == "/s" and _is_number(figures["http_list_1_per_s"]["ours_ms_each"])
    assert figures["s3_image_1024x1024_ms"]["s3_requests_per_image"] > 0
    for figure in figures.values():
        _check_table_row(finished.stdout, figure)
    verdicts = [line for line in finished.stdout.splitlines() if line.startswith(("All ", "Misses: "))]
    assert verdicts == [_expected_summary(document)], finished.stdout


def test_bench_options_choose_phases_and_run_counts():
    args = run.parse_args(["--only", "images", "--only", "memory", "--image-runs", "4"])
    assert args.only == ["images", "memory"] and args.image_runs == 4 and args.runs == run.DEFAULT_RUNS
    quick = run.parse_args(["--quick"])
    assert (quick.runs, quick.image_runs, quick.only) == (2, 2, None)
    assert run.parse_args(["--only", "renders"]).only == ["renders"]
    assert run.parse_args(["--only", "http", "--only", "s3"]).only == ["http", "s3"]
    with pytest.raises(SystemExit):
        run.parse_args(["--only", "everything"])
    with pytest.raises(SystemExit):
        run.parse_args(["--image-runs", "0"])


def test_the_s3_phase_without_its_backend_stops_before_measuring_and_says_why(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(s3, "ROOT", tmp_path)  # a checkout without openai_images/s3store.py
    assert s3.s3_missing().startswith("s3store missing")
    with pytest.raises(BenchError, match="^s3: not measured: s3store missing"):
        asyncio.run(run.run_all(1, 1, 1, only=("s3",)))


@pytest.mark.integration
def test_image_steps_script_times_every_step_for_every_size():
    finished = subprocess.run(
        [sys.executable, "-m", "benchmarks.image_steps", "--runs", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    rows = {line.split()[0]: line for line in finished.stdout.splitlines() if line.strip()[:1].isdigit()}
    assert set(rows) == {"1024x1024", "1536x1024", "3840x2160"}
    assert all(row.count(" ms") == 6 for row in rows.values()), finished.stdout


def test_every_benchmark_module_opens_with_its_job_and_changes_no_import_path():
    for path in sorted((ROOT / "benchmarks").glob("*.py")):
        source = path.read_text()
        doc = ast.get_docstring(ast.parse(source))
        assert doc, f"{path.name} has no module docstring"
        first = doc.splitlines()[0]
        assert first.endswith(".") and len(first) <= 130, (path.name, first)
        assert "sys.path" not in source, path.name
