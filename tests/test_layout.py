"""The layout rules a newcomer relies on: one job per module, layers that point down, keyword arguments past three."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import subprocess
import sys

import pytest
from conftest import ROOT

SERVER_MODULE = "openai_images_mcp"
MODULES = sorted(p.stem for p in ROOT.glob("*.py") if p.stem != "test_local")
HELPERS = [m for m in MODULES if m != SERVER_MODULE]
# Rows of a data table, written positionally on purpose: (key, criterion, known_if, text, *options).
TABLE_ROW_MAKERS = {"dialogue._ask", "dialogue._Ask", "enhancer._Criterion"}


def _imports(module: str) -> set[str]:
    tree = ast.parse((ROOT / f"{module}.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("module", MODULES)
def test_every_module_opens_with_a_one_line_statement_of_its_job(module):
    doc = ast.get_docstring(ast.parse((ROOT / f"{module}.py").read_text()))
    assert doc, f"{module}.py has no module docstring"
    first = doc.splitlines()[0]
    assert first.endswith(".") and len(first) <= 130, first


@pytest.mark.parametrize("module", HELPERS)
def test_helpers_never_import_the_server_module(module):
    assert SERVER_MODULE not in _imports(module)


def test_storage_stays_below_the_domain():
    assert not _imports("storage") & {"dialogue", "enhancer", "image_models", "generation", "inputs", "rendering"}


def test_the_pipeline_has_no_mcp_and_never_renders():
    imported = _imports("generation")
    assert not imported & {"fastmcp", "mcp", "mcp_types", "rendering", "dialogue_mcp"}


def _callables(module):
    for name, value in vars(module).items():
        if getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(value):
            yield f"{module.__name__}.{name}", value
        elif inspect.isclass(value) and not issubclass(value, BaseException):
            if dataclasses.is_dataclass(value):
                yield f"{module.__name__}.{name}", value.__init__
            for attribute, member in vars(value).items():
                if inspect.isfunction(member) and not (attribute.startswith("__") or attribute == "_generate_next_value_"):
                    yield f"{module.__name__}.{name}.{attribute}", member


def test_functions_take_arguments_past_the_third_by_keyword():
    tools = {  # called by name over MCP
        "openai_images_mcp.openai_conversational_image", "openai_images_mcp.openai_generate_image", "openai_images_mcp.openai_get_image",
    }
    offenders = []
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name, function in _callables(module):
            if name in tools or name in TABLE_ROW_MAKERS:
                continue
            positional = [
                p
                for p in inspect.signature(function).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in ("self", "cls")
            ]
            if len(positional) > 3:
                offenders.append(f"{name} ({len(positional)} positional)")
    assert offenders == []


def test_comments_cite_only_what_is_in_the_tree_or_public():
    # A document that only existed on someone's machine is no source.
    dangling = "research " + "\u00a7"
    files = [*ROOT.glob("*.py"), *(ROOT / "tests").glob("*.py"), *(ROOT / "benchmarks").glob("*.py"), ROOT / "README.md"]
    cited = [f"{path.name}:{number}" for path in files for number, line in enumerate(path.read_text().splitlines(), 1) if dangling in line.lower()]
    assert cited == []


def test_a_failed_import_leaves_the_garbage_collector_on():
    # rendering is imported inside the server's start-up block; make that import fail.
    code = (
        "import gc, sys\n"
        "sys.modules['rendering'] = None\n"
        "try:\n    import openai_images_mcp\nexcept ImportError:\n    pass\n"
        "else:\n    raise SystemExit('the import should have failed')\n"
        "print(gc.isenabled())\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "True"
