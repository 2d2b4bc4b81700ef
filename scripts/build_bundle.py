#!/usr/bin/env python3
"""Build the Claude Desktop bundle, dist/openai-images-mcp-<version>.mcpb, with `mcpb pack`.

The bundle is an MCPB of server type "uv" (manifest 0.4): it carries the server module and the openai_images package, a pyproject.toml
made from requirements.txt, manifest.json and icon.png, and no dependencies. Claude Desktop installs
Python and the dependencies with its own uv on first start, so one bundle works on macOS, Windows and
Linux although Pillow and pydantic-core are compiled (spec: MANIFEST.md, "UV Runtime", in
https://github.com/modelcontextprotocol/mcpb).

    python3 scripts/build_bundle.py                       # stage, pack, print the path and its SHA-256
    python3 scripts/build_bundle.py --update-server-json  # also write that URL and SHA-256 into server.json
    .venv/bin/python scripts/build_bundle.py --sync       # copy the version and tool list from the server
    .venv/bin/python scripts/build_bundle.py --icon       # draw icon.png again (needs Pillow)

Packing needs Node's npx; MCPB_CLI names another mcpb package (default: the pinned one below).
Only the standard library is needed to pack; --sync imports the server, so it needs its packages.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER_SCRIPT = "openai_images_mcp.py"
PACKAGE = "openai_images"
MCPB_CLI = os.environ.get("MCPB_CLI", "@anthropic-ai/mcpb@2.1.2")
BUNDLED_FILES = ("manifest.json", "icon.png", "LICENSE", "requirements.txt")


def server_version() -> str:
    """The package's `__version__`, read from its source (packing must not need its dependencies)."""
    match = re.search(r'^__version__ = "([^"]+)"', (ROOT / PACKAGE / "__init__.py").read_text(encoding="utf-8"), re.MULTILINE)
    if not match:
        sys.exit(f"build_bundle: no __version__ line in {PACKAGE}/__init__.py")
    return match.group(1)


def bundle_name(version: str) -> str:
    return f"openai-images-mcp-{version}.mcpb"


def release_url(server: dict, version: str) -> str:
    """Where the release workflow uploads the bundle: the GitHub release of tag v<version>."""
    return f"{server['repository']['url']}/releases/download/v{version}/{bundle_name(version)}"


def requirements() -> list[str]:
    """The runtime requirements, one per line of requirements.txt, comments and options left out."""
    lines = (line.split("#", 1)[0].strip() for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def bundle_pyproject(version: str) -> str:
    """The pyproject.toml uv reads in the bundle: requirements.txt's dependencies, no build step (package = false)."""
    dependencies = "".join(f"    {json.dumps(requirement)},\n" for requirement in requirements())
    return (
        "# Made by scripts/build_bundle.py from requirements.txt; uv installs these on the bundle's first start.\n"
        "[project]\n"
        'name = "openai-images-mcp"\n'
        f'version = "{version}"\n'
        'requires-python = ">=3.11"\n'
        f"dependencies = [\n{dependencies}]\n\n"
        "[tool.uv]\n"
        "package = false\n"
    )


def read_json(name: str) -> dict:
    return json.loads((ROOT / name).read_text(encoding="utf-8"))


def write_json(name: str, document: dict) -> None:
    (ROOT / name).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def stage(folder: Path, version: str) -> None:
    """Copy what the bundle needs into `folder`: the server module and the package, the manifest, the icon, the licence, pyproject.toml."""
    shutil.copy2(ROOT / SERVER_SCRIPT, folder / SERVER_SCRIPT)
    (folder / PACKAGE).mkdir()
    for module in sorted((ROOT / PACKAGE).glob("*.py")):
        shutil.copy2(module, folder / PACKAGE / module.name)
    for name in BUNDLED_FILES:
        shutil.copy2(ROOT / name, folder / name)
    (folder / "pyproject.toml").write_text(bundle_pyproject(version), encoding="utf-8")


def pack(output_dir: Path) -> Path:
    """Stage the bundle in a temporary folder and pack it with `mcpb pack` into `output_dir`; returns the file."""
    version = server_version()
    manifest_version = read_json("manifest.json")["version"]
    if manifest_version != version:
        sys.exit(f"build_bundle: manifest.json has version {manifest_version}, {PACKAGE} {version}; run with --sync first")
    npx = shutil.which("npx")
    if not npx:
        sys.exit("build_bundle: npx not found; install Node.js (https://nodejs.org), which brings npx")
    output_dir.mkdir(parents=True, exist_ok=True)
    if output_dir == ROOT / "dist" and not (output_dir / ".gitignore").exists():
        (output_dir / ".gitignore").write_text("*\n", encoding="utf-8")  # build output never goes into git
    target = output_dir / bundle_name(version)
    with tempfile.TemporaryDirectory(prefix="openai-images-mcpb-") as folder:
        stage(Path(folder), version)
        subprocess.run([npx, "-y", MCPB_CLI, "pack", folder, str(target)], check=True)
    return target


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def update_server_json(bundle: Path) -> None:
    """Point server.json's mcpb package at this version's release URL and this file's SHA-256."""
    server = read_json("server.json")
    version = server_version()
    for package in server["packages"]:
        if package["registryType"] == "mcpb":
            package["identifier"] = release_url(server, version)
            package["fileSha256"] = sha256(bundle)
    write_json("server.json", server)


def sync() -> None:
    """Copy the server's version and its tools (name and the first paragraph of the description) into
    manifest.json, and the version into server.json."""
    import asyncio

    sys.path.insert(0, str(ROOT))
    import openai_images_mcp

    version = openai_images_mcp.__version__
    tools = asyncio.run(openai_images_mcp.mcp.list_tools())
    manifest = read_json("manifest.json")
    manifest["version"] = version
    manifest["tools"] = [{"name": tool.name, "description": summary(tool.description)} for tool in tools]
    write_json("manifest.json", manifest)
    server = read_json("server.json")
    server["version"] = version
    for package in server["packages"]:
        if package["registryType"] == "pypi":
            package["version"] = version
        elif package["registryType"] == "mcpb":
            package["identifier"] = release_url(server, version)
    write_json("server.json", server)


def summary(description: str) -> str:
    """The first paragraph of a tool description, on one line: what the bundle's tool list shows."""
    return " ".join(description.strip().split("\n\n", 1)[0].split())


def draw_icon(path: Path) -> None:
    """A 512x512 icon: a picture (sun over two hills) on a rounded indigo tile, with a spark for "generated"."""
    from PIL import Image, ImageDraw

    scale = 2  # drawn at twice the size, then shrunk, for smooth edges
    size = 512 * scale
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)

    def s(*values: int) -> list[int]:
        return [v * scale for v in values]

    draw.rounded_rectangle(s(16, 16, 496, 496), radius=96 * scale, fill=(49, 46, 129))
    draw.rounded_rectangle(s(96, 136, 416, 400), radius=28 * scale, fill=(255, 255, 255))
    picture = Image.new("RGBA", (size, size), (186, 230, 253))  # the sky, cut to the frame's window below
    paint = ImageDraw.Draw(picture)
    paint.ellipse(s(300, 180, 356, 236), fill=(251, 191, 36))
    paint.polygon(s(116, 380, 210, 250, 304, 380), fill=(13, 148, 136))
    paint.polygon(s(220, 380, 310, 280, 396, 380), fill=(15, 118, 110))
    window = Image.new("L", (size, size), 0)
    ImageDraw.Draw(window).rounded_rectangle(s(116, 156, 396, 380), radius=16 * scale, fill=255)
    image.paste(picture, (0, 0), window)
    cx, cy, arm, waist = 392, 120, 56, 14  # a four-pointed spark over the picture's top-right corner
    draw.polygon(
        s(
            cx,
            cy - arm,
            cx + waist,
            cy - waist,
            cx + arm,
            cy,
            cx + waist,
            cy + waist,
            cx,
            cy + arm,
            cx - waist,
            cy + waist,
            cx - arm,
            cy,
            cx - waist,
            cy - waist,
        ),
        fill=(250, 204, 21),
    )
    small = image.resize((512, 512), Image.LANCZOS)
    small.quantize(colors=64, method=Image.FASTOCTREE).save(path, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "dist", help="folder for the .mcpb (default dist/)")
    parser.add_argument("--update-server-json", action="store_true", help="write the bundle's release URL and SHA-256 into server.json")
    parser.add_argument(
        "--sync", action="store_true", help="copy the server's version and tool list into manifest.json and server.json, then stop"
    )
    parser.add_argument("--icon", action="store_true", help="draw icon.png again, then stop")
    args = parser.parse_args()
    if args.icon:
        draw_icon(ROOT / "icon.png")
        return
    if args.sync:
        sync()
        return
    bundle = pack(args.output.resolve())
    print(f"bundle: {bundle}")
    print(f"size: {bundle.stat().st_size} bytes")
    print(f"sha256: {sha256(bundle)}")
    if args.update_server_json:
        update_server_json(bundle)
        print("server.json: mcpb identifier and fileSha256 updated")


if __name__ == "__main__":
    main()
