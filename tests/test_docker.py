"""The Dockerfile: a slim Python base, a non-root user, the package installed, `serve --http` as the entry point.

No Docker daemon runs here, so the image is not built in these tests; what the Dockerfile relies on is
checked instead: the files it copies exist, the command it starts is the package's, and that command
with the image's arguments refuses to start without sign-in, as it would in the container.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib

from conftest import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _instructions(name: str) -> list[str]:
    return [line.split(None, 1)[1] for line in DOCKERFILE.splitlines() if line.startswith(f"{name} ")]


def test_the_image_is_slim_python_and_runs_as_a_user_without_root():
    [base] = _instructions("FROM")
    assert re.fullmatch(r"python:3\.1[1-9]-slim", base)
    assert _instructions("USER") == ["mcp"]
    assert DOCKERFILE.index("USER mcp") < DOCKERFILE.index("ENTRYPOINT")


def test_it_installs_the_package_with_the_object_store_extra_from_files_that_exist():
    assert 'pip install --constraint requirements-lock.txt ".[s3]"' in DOCKERFILE  # the versions CI tested
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert "s3" in extras
    for copied in _instructions("COPY"):
        for source in copied.split()[:-1]:
            assert list(ROOT.glob(source)), f"{source} is copied but not in the repository"
    copied = {source for line in _instructions("COPY") for source in line.split()[:-1]}
    assert {"openai_images_mcp.py", "openai_images", "requirements-lock.txt"} <= copied


def test_the_entry_point_is_the_package_command_serving_http_on_all_addresses():
    [entry] = _instructions("ENTRYPOINT")
    command = json.loads(entry)
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert command[0] in scripts and command[1:3] == ["serve", "--http"]
    assert command[command.index("--host") + 1] == "0.0.0.0" and "8000" in command
    assert "EXPOSE 8000" in DOCKERFILE and "/healthz" in DOCKERFILE


def test_that_command_without_sign_in_refuses_to_start_as_it_would_in_the_container(server_env):
    [entry] = _instructions("ENTRYPOINT")
    arguments = json.loads(entry)[1:]
    done = subprocess.run(
        [sys.executable, "-m", "openai_images", *arguments], cwd=ROOT, env=server_env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0 and "Refusing to serve on 0.0.0.0" in done.stderr.strip().splitlines()[-1]


def test_the_build_context_leaves_out_what_the_image_does_not_need():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "tests", "node_modules"} <= set(ignored)
