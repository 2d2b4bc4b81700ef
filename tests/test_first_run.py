"""What a newcomer meets on a fresh clone: the Python it needs, the commands the README and docs show, the scripts' exit codes."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from conftest import ROOT

README = (ROOT / "README.md").read_text()
PAGES = {"README.md": README, **{f"docs/{path.name}": path.read_text() for path in sorted((ROOT / "docs").glob("*.md"))}}


def test_an_older_python_gets_one_clear_line_not_a_traceback():
    code = (
        "import sys, runpy; sys.version_info = (3, 10, 14, 'final', 0); sys.argv = ['openai_images_mcp.py']; "
        f"runpy.run_path({str(ROOT / 'openai_images_mcp.py')!r}, run_name='__main__')"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.startswith("openai-images-mcp needs Python 3.11 or newer; this is Python") and "Traceback" not in run.stderr
    assert run.stderr.count("\n") == 1


def test_every_command_the_readme_and_docs_show_names_the_python_with_the_packages():
    # A bare `python3 test_local.py` or `python -m benchmarks` fails with ModuleNotFoundError on a fresh machine.
    assert "docs/clients.md" in PAGES
    bare_command = r"(?<![\w/\\.-])python3? (?:test_local\.py|-m benchmarks\b|benchmarks/\S+|openai_images_mcp\.py|tests/\S+)"
    bare = {name: re.findall(bare_command, text) for name, text in PAGES.items()}
    assert {name: found for name, found in bare.items() if found} == {}
    assert "Python 3.11 or newer" in README
    assert [name for name, text in PAGES.items() if "3.10 or newer" in text] == []


def test_run_tests_passes_extra_arguments_to_pytest_and_takes_a_worker_count():
    env = {**os.environ, "PYTHON": sys.executable, "TEST_WORKERS": "0"}
    run = subprocess.run(
        ["./run_tests.sh", "quick", "--collect-only", "-q", "-k", "read_from_either_end"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    collected = [line for line in run.stdout.splitlines() if "::" in line]
    assert collected == ["tests/test_sse.py::test_the_sequence_number_is_read_from_either_end_without_parsing"]
    wrong = subprocess.run(["./run_tests.sh", "everything"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 2 and wrong.stderr.startswith("usage: ")


@pytest.mark.integration
def test_test_local_without_a_key_runs_the_free_checks_and_exits_by_them(tmp_path):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "FASTMCP_CHECK_FOR_UPDATES": "off"}
    run = subprocess.run([sys.executable, "test_local.py", "--no"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "[SKIP] OPENAI_API_KEY is set: not set" in run.stdout and "0 failed" in run.stdout
