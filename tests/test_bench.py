"""The benchmark script runs end to end with tiny settings and reports every figure as a number.

It is a smoke test, not a timed test: targets may be missed on a busy machine and the script still exits 0.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

FIGURES = {
    "startup_ms",
    "idle_rss_mb",
    "image_1024x1024_ms",
    "image_1536x1024_ms",
    "image_3840x2160_ms",
    "peak_rss_mb",
    "result_bytes_1024x1024",
    "result_bytes_1536x1024",
    "result_bytes_3840x2160",
    "list_newest20_ms",
    "list_search_ms",
    "list_newest20_roundtrip_ms",
    "list_search_roundtrip_ms",
    "concurrency_8_s",
}
MEMORY_FIGURES = {"idle_rss_mb", "peak_rss_mb"}  # read from /proc, so Linux only


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@pytest.mark.integration
def test_quick_benchmark_writes_every_figure_with_floor_and_ratio(tmp_path: Path):
    results = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick", "--json", str(results)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(results.read_text())["figures"]
    assert set(figures) == FIGURES
    measured = FIGURES if Path("/proc/self/status").exists() else FIGURES - MEMORY_FIGURES
    for name in measured:
        for key in ("value", "floor", "ratio"):
            assert _is_number(figures[name][key]), (name, key, figures[name][key])
    assert _is_number(figures["image_3840x2160_ms"]["overhead_ms"])
    assert _is_number(figures["image_1024x1024_ms"]["paired_ratio_median"])
    assert "start-up" in run.stdout
    assert "targets met." in run.stdout or "Misses:" in run.stdout


def test_bench_options_choose_phases_and_run_counts():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    args = bench.parse_args(["--only", "images", "--only", "memory", "--image-runs", "4"])
    assert args.only == ["images", "memory"] and args.image_runs == 4 and args.runs == bench.DEFAULT_RUNS
    quick = bench.parse_args(["--quick"])
    assert (quick.runs, quick.image_runs, quick.only) == (2, 2, None)
    with pytest.raises(SystemExit):
        bench.parse_args(["--only", "everything"])
    with pytest.raises(SystemExit):
        bench.parse_args(["--image-runs", "0"])


@pytest.mark.integration
def test_image_steps_script_times_every_step_for_every_size():
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "image_steps.py"), "--runs", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    rows = {line.split()[0]: line for line in run.stdout.splitlines() if line.strip()[:1].isdigit()}
    assert set(rows) == {"1024x1024", "1536x1024", "3840x2160"}
    assert all(row.count(" ms") == 6 for row in rows.values()), run.stdout
