"""Node packages for tests: a test folder's files and its npm packages, installed once per package.json."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from filelock import FileLock


def missing(what: str, test: str) -> None:
    """Skip `test` for want of `what`; under CI, which installs Node (.ci/run), fail instead."""
    if os.environ.get("CI"):
        pytest.fail(f"{test} needs {what}")
    pytest.skip(f"needs {what}")


def npm_project(source: Path, base: Path, *, test: str) -> Path:
    """A folder under `base` with `source`'s files and its npm packages.

    The packages are installed once per package.json (the folder is named by its hash and kept between runs beside
    pytest's temporary folders), the files copied again each run, under a lock for parallel workers.
    """
    npm = shutil.which("npm")
    if not npm or not shutil.which("node"):
        missing("Node.js 20 or newer with npm", test)
    packages = (source / "package.json").read_bytes()
    folder = base / f"{source.name.replace('_', '-')}-{hashlib.sha256(packages).hexdigest()[:12]}"
    with FileLock(str(folder) + ".lock"):
        folder.mkdir(exist_ok=True)
        for item in source.iterdir():
            shutil.copyfile(item, folder / item.name)
        if not (folder / "node_modules" / ".installed").exists():
            install = [str(npm), "install", "--no-audit", "--no-fund", "--no-save", "--loglevel=error"]
            subprocess.run(install, cwd=folder, check=True, capture_output=True, text=True, timeout=600)
            (folder / "node_modules" / ".installed").touch()
    return folder
