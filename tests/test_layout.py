"""The layout rules a newcomer relies on: one job per module, layers that point down, keyword arguments past three."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

SERVER_MODULE = "openai_images_mcp"
PACKAGE = ROOT / "openai_images"
HELPERS = sorted(p.stem for p in PACKAGE.glob("*.py"))  # the package's modules, by their short names
MODULES = [SERVER_MODULE, *HELPERS]
# Rows of a data table, written positionally on purpose: (key, criterion, known_if, text, *options).
TABLE_ROW_MAKERS = {"dialogue._ask", "dialogue._Ask", "enhancer._Criterion"}

# The layers of docs/architecture.md, top to bottom; a module imports only its own layer's and lower ones.
LAYERS = {
    "tools": (
        6,
        {
            SERVER_MODULE,
            "__main__",
            "cli",
            "dialogue_mcp",
            "gallery",
            "inline_previews",
            "mcp_prompts",
            "tool_errors",
            "tool_params",
            "tool_schemas",
            "tool_steps",
        },
    ),
    "serving": (6, {"http_server", "signin", "stdio_wire"}),
    "results": (5, {"rendering"}),
    "pipeline": (4, {"generation", "inputs", "renders", "services"}),
    "storage": (3, {"storage", "s3store", "backends", "limits"}),
    "api": (3, {"openai_api", "sse", "image_models", "sizes", "costs"}),
    "prompt": (3, {"dialogue", "enhancer", "aspects", "prompt_templates"}),
    "base": (1, {"__init__", "settings", "errors", "imagefiles", "safefiles", "startup", "svgfiles"}),
}
LAYER_OF = {module: layer for layer, (_, modules) in LAYERS.items() for module in modules}


def _path(module: str) -> Path:
    return ROOT / f"{module}.py" if module == SERVER_MODULE else PACKAGE / f"{module}.py"


def _imports(module: str) -> set[str]:
    """Top-level names imported, with the package's own modules by their short names (`from openai_images import x` is x)."""
    tree = ast.parse(_path(module).read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] == "openai_images" and len(parts) > 1:
                names.add(parts[1])
            elif node.module == "openai_images":
                names |= {alias.name for alias in node.names if alias.name in HELPERS} or {"__init__"}
            else:
                names.add(parts[0])
    return names


def _own_imports(module: str) -> set[str]:
    return {name for name in _imports(module) if name in HELPERS or name == SERVER_MODULE} - {module}


def test_every_module_has_a_layer():
    assert set(MODULES) == set(LAYER_OF)


@pytest.mark.parametrize("module", MODULES)
def test_imports_point_down_the_layers(module):
    rank = LAYERS[LAYER_OF[module]][0]
    upward = sorted(name for name in _own_imports(module) if LAYERS[LAYER_OF[name]][0] > rank)
    assert upward == [], f"{module} ({LAYER_OF[module]}) imports from above: {upward}"


@pytest.mark.parametrize(("layer", "never"), [("prompt", {"storage", "api"}), ("storage", {"prompt"})])
def test_pure_prompt_logic_and_storage_keep_apart(layer, never):
    for module in LAYERS[layer][1]:
        crossing = sorted(name for name in _own_imports(module) if LAYER_OF[name] in never)
        assert crossing == [], f"{module} ({layer}) imports {crossing}"


def test_the_package_finds_its_modules_by_package_imports():
    tricks = [path.name for path in PACKAGE.glob("*.py") if "sys.path" in path.read_text()]
    assert tricks == []


@pytest.mark.parametrize("module", MODULES)
def test_every_module_opens_with_a_one_line_statement_of_its_job(module):
    doc = ast.get_docstring(ast.parse(_path(module).read_text()))
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
        short = module.__name__.removeprefix("openai_images.")
        if inspect.isfunction(value):
            yield f"{short}.{name}", value
        elif inspect.isclass(value) and not issubclass(value, BaseException):
            if dataclasses.is_dataclass(value):
                yield f"{short}.{name}", value.__init__
            for attribute, member in vars(value).items():
                if inspect.isfunction(member) and not (attribute.startswith("__") or attribute == "_generate_next_value_"):
                    yield f"{short}.{name}.{attribute}", member


def test_functions_take_arguments_past_the_third_by_keyword():
    tools = {  # called by name over MCP
        "openai_images_mcp.openai_conversational_image",
        "openai_images_mcp.openai_generate_image",
        "openai_images_mcp.openai_get_image",
    }
    offenders = []
    for module_name in MODULES:
        module = importlib.import_module(module_name if module_name == SERVER_MODULE else f"openai_images.{module_name}")
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
    files = [
        *ROOT.glob("*.py"),
        *PACKAGE.glob("*.py"),
        *(ROOT / "tests").glob("*.py"),
        *(ROOT / "benchmarks").glob("*.py"),
        ROOT / "README.md",
        *(ROOT / "docs").glob("*.md"),
    ]
    cited = [
        f"{path.name}:{number}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if dangling in line.lower()
    ]
    assert cited == []


def test_a_failed_import_leaves_the_garbage_collector_on():
    # rendering is imported inside the server's start-up block; make that import fail.
    code = (
        "import gc, sys\n"
        "sys.modules['openai_images.rendering'] = None\n"
        "try:\n    import openai_images_mcp\nexcept ImportError:\n    pass\n"
        "else:\n    raise SystemExit('the import should have failed')\n"
        "print(gc.isenabled())\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "True"
