"""The command `openai-images-mcp` (cli.py), run as a process: its exit codes, what it prints and the bytes it leaves on disk."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FAKE_KEY, ROOT
from PIL import Image

from openai_images import cli

CLI = ["-m", "openai_images"]  # the command, run from the clone: `python -m openai_images` is `openai-images-mcp`


def run_cli(*args: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m openai_images ARGS` with `env` (and the clone importable from any folder), as a person types `openai-images-mcp ARGS`."""
    env = {**env, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *CLI, *args], env=env, cwd=str(cwd or ROOT), capture_output=True, text=True, timeout=timeout)


def one_error_line(run: subprocess.CompletedProcess[str]) -> str:
    """The failure's stderr, checked to be one line and no traceback."""
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    return lines[0]


def stdio_client_for(command: str, args: list[str], env: dict[str, str]):
    from fastmcp import Client
    from fastmcp.client.transports import StdioTransport

    return Client(StdioTransport(command, args, env=env, cwd=str(ROOT), keep_alive=False))


# --- the server and --version ----------------------------------------------------------


@pytest.mark.integration
async def test_without_arguments_it_is_the_stdio_server_and_version_equals_server_info(server_env):
    printed = run_cli("--version", env=server_env)
    assert printed.returncode == 0, printed.stderr
    async with stdio_client_for(sys.executable, CLI, server_env) as client:
        info = client.server_info
        tools = {tool.name for tool in await client.list_tools()}
    assert printed.stdout.strip() == f"openai-images-mcp {info.version}"
    assert "openai_generate_image" in tools


def test_version_is_read_without_importing_fastmcp(server_env):
    code = "import sys; from openai_images import cli; print(cli.version()); print('fastmcp' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], env=server_env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    import openai_images_mcp

    assert run.stdout.split() == [openai_images_mcp.__version__, "False"]


@pytest.mark.parametrize("command", [[], ["config"], ["doctor"], ["generate"], ["list"]])
def test_every_subcommand_has_help(command, server_env):
    run = run_cli(*command, "--help", env=server_env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"usage: openai-images-mcp {' '.join(command)}".rstrip())


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["paint"], "invalid choice: 'paint'"),
        (["config", "notepad"], "invalid choice: 'notepad'"),
        (["generate", "a fox", "--quality", "ultra"], "invalid choice: 'ultra'"),
        (["list", "--limit", "many"], "invalid int value: 'many'"),
    ],
)
def test_a_bad_argument_is_one_line_and_exit_2(args, says, server_env):
    run = run_cli(*args, env=server_env)
    assert run.returncode == 2
    assert says in one_error_line(run)


# --- config ---------------------------------------------------------------------------


@pytest.fixture
def config_folder(tmp_path) -> Path:
    """An empty folder for a client's config file, beside the temporary home."""
    folder = tmp_path / "config"
    folder.mkdir()
    return folder


@pytest.mark.integration
@pytest.mark.parametrize(("client", "key"), [("claude-desktop", "mcpServers"), ("vscode", "servers")])
async def test_the_printed_entry_starts_a_server_that_lists_its_tools(client, key, server_env):
    printed = run_cli("config", client, env=server_env)
    assert printed.returncode == 0, printed.stderr
    entry = json.loads(printed.stdout)[key]["openai-images"]
    assert Path(entry["command"]).is_absolute() and Path(entry["command"]).exists()
    assert all(Path(arg).is_absolute() and Path(arg).exists() for arg in entry["args"])
    assert "env" not in entry  # the key only with --api-key-from-env
    async with stdio_client_for(entry["command"], entry["args"], server_env) as mcp_client:
        tools = {tool.name for tool in await mcp_client.list_tools()}
    assert {"openai_generate_image", "openai_conversational_image", "openai_list_conversations"} <= tools


def test_write_merges_into_the_file_keeps_the_rest_and_backs_it_up(config_folder, server_env):
    config = config_folder / "claude_desktop_config.json"
    before = b'{\n  "mcpServers": {"weather": {"command": "uvx", "args": ["weather-mcp"]}},\n  "globalShortcut": "Alt+Space"\n}\n'
    config.write_bytes(before)
    run = run_cli("config", "claude-desktop", "--write", "--config-file", str(config), env=server_env)
    assert run.returncode == 0, run.stderr
    written = json.loads(config.read_text())
    assert written["globalShortcut"] == "Alt+Space"
    assert written["mcpServers"]["weather"] == {"command": "uvx", "args": ["weather-mcp"]}
    assert written["mcpServers"]["openai-images"] == {"command": sys.executable, "args": [str(ROOT / "openai_images_mcp.py")]}
    [backup] = config_folder.glob("claude_desktop_config.json.*.bak")
    assert backup.read_bytes() == before
    assert str(backup) in run.stdout
    assert FAKE_KEY not in config.read_text()  # in the environment, yet not copied without --api-key-from-env
    assert sorted(p.name for p in config_folder.iterdir()) == sorted([config.name, backup.name])  # no temporary file left


def test_write_again_keeps_the_key_already_in_the_entry_and_changes_nothing(config_folder, server_env):
    config = config_folder / "mcp.json"
    first = run_cli("config", "cursor", "--write", "--api-key-from-env", "--config-file", str(config), env=server_env)
    assert first.returncode == 0, first.stderr
    assert json.loads(config.read_text())["mcpServers"]["openai-images"]["env"] == {"OPENAI_API_KEY": FAKE_KEY}
    assert config.stat().st_mode & 0o077 == 0  # a file holding the key is its owner's only
    before = config.read_bytes()
    again = run_cli("config", "cursor", "--write", "--config-file", str(config), env={**server_env, "OPENAI_API_KEY": ""})
    assert again.returncode == 0, again.stderr
    assert "nothing was changed" in again.stdout
    assert config.read_bytes() == before
    assert list(config_folder.glob("*.bak")) == []


def test_write_uses_the_clients_usual_file(home, server_env):
    project = home["home"] / "project"
    project.mkdir()
    cursor = run_cli("config", "cursor", "--write", env=server_env, cwd=project)
    vscode = run_cli("config", "vscode", "--write", env=server_env, cwd=project)
    code = run_cli("config", "claude-code", "--write", env=server_env, cwd=project)
    assert (cursor.returncode, vscode.returncode, code.returncode) == (0, 0, 0), cursor.stderr + vscode.stderr + code.stderr
    assert "openai-images" in json.loads((home["home"] / ".cursor" / "mcp.json").read_text())["mcpServers"]
    assert json.loads((project / ".vscode" / "mcp.json").read_text())["servers"]["openai-images"]["type"] == "stdio"
    assert json.loads((project / ".mcp.json").read_text())["mcpServers"]["openai-images"]["type"] == "stdio"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'{"mcpServers": {"weather": {"command": "uvx",}}}', "is not valid JSON (line 1"),
        (b'// my servers\n{"mcpServers": {}}', "is not valid JSON"),
        (b'["not", "an", "object"]', "holds a JSON array, not an object"),
        (b'{"mcpServers": ["weather"]}', '"mcpServers" is a JSON array'),
        (b"\xff\xfe{}", "is not UTF-8"),
    ],
)
def test_write_leaves_a_file_that_is_not_a_json_config_byte_for_byte(content, says, config_folder, server_env):
    config = config_folder / "claude_desktop_config.json"
    config.write_bytes(content)
    run = run_cli("config", "claude-desktop", "--write", "--config-file", str(config), env=server_env)
    assert run.returncode == 1
    line = one_error_line(run)
    assert says in line and "left unchanged" in line
    assert config.read_bytes() == content
    assert list(config_folder.iterdir()) == [config]  # no backup, no temporary file


def test_api_key_from_env_without_a_key_says_so(config_folder, server_env):
    run = run_cli(
        "config",
        "cursor",
        "--write",
        "--api-key-from-env",
        "--config-file",
        str(config_folder / "m.json"),
        env={**server_env, "OPENAI_API_KEY": ""},
    )
    assert "OPENAI_API_KEY is not set" in one_error_line(run)
    assert list(config_folder.iterdir()) == []


# --- doctor ---------------------------------------------------------------------------


def test_doctor_passes_against_the_fake_with_free_requests_only(server_env, fake_openai):
    run = run_cli("doctor", env=server_env)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines and all(line.startswith("OK ") for line in lines), run.stdout
    assert any("OpenAI" in line and "GET /models" in line for line in lines)
    assert [(r.method, r.path) for r in fake_openai.requests] == [("GET", "/v1/models")]  # nothing paid for
    assert FAKE_KEY not in run.stdout + run.stderr and FAKE_KEY[-8:] not in run.stdout


def test_doctor_without_a_key_fails_and_names_openai_api_key(server_env, fake_openai):
    run = run_cli("doctor", env={**server_env, "OPENAI_API_KEY": ""})
    assert run.returncode == 1
    failed = [line for line in run.stdout.splitlines() if line.startswith("FAIL")]
    assert any("OPENAI_API_KEY is not set" in line for line in failed), run.stdout
    assert fake_openai.requests == []


def test_doctor_names_what_to_change_when_openai_cannot_be_reached_or_a_folder_is_a_file(home, server_env):
    home["output"].write_bytes(b"not a folder")
    run = run_cli("doctor", env={**server_env, "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    assert run.returncode == 1
    failed = [line for line in run.stdout.splitlines() if line.startswith("FAIL")]
    assert any("Could not reach OpenAI" in line and "OPENAI_BASE_URL" in line for line in failed), run.stdout
    assert any(str(home["output"]) in line and "OPENAI_IMAGES_OUTPUT_DIR" in line for line in failed), run.stdout


def test_doctor_reports_a_bad_setting_in_one_line(server_env):
    run = run_cli("doctor", env={**server_env, "OPENAI_IMAGES_TIMEOUT": "soon"})
    assert run.returncode == 1
    assert [line for line in run.stdout.splitlines() if line.startswith("FAIL")] == [
        "FAIL settings: OPENAI_IMAGES_TIMEOUT='soon' is not a positive number of seconds (e.g. 300). The other checks need valid settings."
    ]


def test_doctors_package_list_is_requirements_txt():
    names = {
        line.split("#")[0].split(">")[0].split("=")[0].split("<")[0].strip().lower()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
    }
    assert set(cli.PACKAGES) == names - {""}


# --- generate ---------------------------------------------------------------------------


def test_generate_saves_the_image_and_prints_its_path(server_env, fake_openai, home):
    run = run_cli("generate", "a red fox in the snow", "--size", "1536x1024", env=server_env)
    assert run.returncode == 0, run.stderr
    [line] = run.stdout.splitlines()
    saved = Path(line)
    assert saved.parent == home["output"]
    with Image.open(io.BytesIO(saved.read_bytes())) as image:
        assert (image.format, image.size) == ("PNG", (1536, 1024))
    [sent] = fake_openai.response_requests()
    assert sent["input"] == "a red fox in the snow"  # as given: no dialogue, no rewriting
    assert sent["tools"][0]["size"] == "1536x1024"
    [conversation] = (home["data"] / "conversations").glob("conv_*.json")
    assert json.loads(conversation.read_text())["images"][0]["path"] == str(saved)
    assert "saving the image" in run.stderr  # progress, on stderr


def test_generate_json_and_a_refinement_with_the_options(server_env, fake_openai, tmp_path):
    first = run_cli("generate", "a lighthouse", "--json", "--format", "webp", "--background", "opaque", env=server_env)
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    assert result["status"] == "generated" and Path(result["path"]).is_file() and result["format"] == "webp"
    elsewhere = tmp_path / "renders"
    second = run_cli(
        "generate", "make it night", "--conversation", result["conversation_id"], "--output-dir", str(elsewhere), env=server_env
    )
    assert second.returncode == 0, second.stderr
    [line] = second.stdout.splitlines()
    assert Path(line).parent == elsewhere and Path(line).suffix == ".webp"  # the conversation's format is kept
    refinement = fake_openai.response_requests()[-1]
    assert refinement["previous_response_id"] == result["response_id"]
    assert refinement["tools"][0]["output_format"] == "webp"


def _markup(path: Path, size: tuple[int, int], *, opaque: bool = False) -> Path:
    canvas = Image.new("RGBA", size, (255, 255, 255, 255) if opaque else (0, 0, 0, 0))
    canvas.paste((20, 20, 230, 255), (100, 100, 300, 200))
    canvas.save(path, "PNG")
    return path


def test_generate_markup_edits_the_conversations_last_image(server_env, fake_openai, home, tmp_path):
    env = {**server_env, "OPENAI_IMAGE_MODEL": "gpt-image-2.5-flare"}
    first = run_cli("generate", "a lighthouse", "--size", "1024x1024", "--json", env=env)
    assert first.returncode == 0, first.stderr
    conversation_id = json.loads(first.stdout)["conversation_id"]
    marks = _markup(tmp_path / "marks.png", (1024, 1024))
    run = run_cli("generate", "a blue boat in the box I drew", "--conversation", conversation_id, "--markup", str(marks), env=env)
    assert run.returncode == 0, run.stderr
    [line] = run.stdout.splitlines()
    saved = Path(line)
    assert saved.parent == home["output"] and saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    [sent] = fake_openai.image_requests("edits")
    assert (sent["prompt"], sent["model"]) == ("a blue boat in the box I drew", "gpt-image-2.5-flare")
    assert sent["markup"].data[:8] == b"\x89PNG\r\n\x1a\n" and len(sent["image"]) == 1
    conversation = json.loads((home["data"] / "conversations" / f"{conversation_id}.json").read_text())
    assert conversation["images"][-1]["path"] == str(saved) and conversation["images"][-1]["response_id"] is None


@pytest.mark.parametrize(
    ("size", "opaque", "says"),
    [((512, 512), False, "the markup is 512x512"), ((1024, 1024), True, "has no fully transparent pixels")],
)
def test_generate_refuses_a_bad_markup_in_one_line_before_sending_it(size, opaque, says, server_env, fake_openai, tmp_path):
    env = {**server_env, "OPENAI_IMAGE_MODEL": "gpt-image-2.5-sunburst"}
    first = run_cli("generate", "a lighthouse", "--size", "1024x1024", "--json", env=env)
    conversation_id = json.loads(first.stdout)["conversation_id"]
    sent = len(fake_openai.requests)
    marks = _markup(tmp_path / "marks.png", size, opaque=opaque)
    run = run_cli("generate", "a boat", "--conversation", conversation_id, "--markup", str(marks), env=env)
    assert run.returncode == 1 and says in one_error_line(run)
    assert len(fake_openai.requests) == sent and fake_openai.image_requests("edits") == []


def test_generate_markup_without_a_conversation_is_one_line(server_env, fake_openai, tmp_path):
    env = {**server_env, "OPENAI_IMAGE_MODEL": "gpt-image-2.5-sunburst"}
    run = run_cli("generate", "a boat", "--markup", str(_markup(tmp_path / "marks.png", (64, 64))), env=env)
    assert "--markup marks up a conversation's last image" in one_error_line(run)
    assert fake_openai.requests == []


def test_generate_waits_past_the_deadline_until_the_image_is_saved(server_env, fake_openai):
    fake_openai.render_seconds = 2.5
    run = run_cli("generate", "a slow fox", env={**server_env, "OPENAI_IMAGES_WAIT_SECONDS": "1"})
    assert run.returncode == 0, run.stderr
    assert Path(run.stdout.strip()).is_file()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["generate", "a fox", "--size", "100x100"], "Size 100x100 is not available"),
        (["generate", "a fox", "--format", "jpeg", "--background", "transparent"], "background=transparent needs"),
        (["generate", "a fox", "--model", "gpt image 2"], "--model 'gpt image 2' is not a model name"),
        (["generate", "a fox", "--conversation", "conv_0000000000000000"], "No conversation conv_0000000000000000"),
        (["generate", "   "], "prompt is empty"),
    ],
)
def test_generate_refuses_bad_input_in_one_line_before_sending_anything(args, says, server_env, fake_openai):
    run = run_cli(*args, env=server_env)
    assert run.returncode == 1
    assert says in one_error_line(run)
    assert fake_openai.requests == []


def test_generate_without_a_key_says_what_to_set(server_env, fake_openai):
    run = run_cli("generate", "a fox", env={**server_env, "OPENAI_API_KEY": ""})
    assert "OPENAI_API_KEY is not set" in one_error_line(run)
    assert fake_openai.requests == []


# --- list -------------------------------------------------------------------------------


def test_list_shows_the_conversations_and_searches_them(server_env, fake_openai):
    for prompt in ("a red fox", "a blue whale"):
        assert run_cli("generate", prompt, env=server_env).returncode == 0
    every = run_cli("list", env=server_env)
    assert every.returncode == 0, every.stderr
    assert every.stdout.startswith("2 conversation(s); showing 2, newest first.")
    assert every.stdout.index("a blue whale") < every.stdout.index("a red fox")
    found = run_cli("list", "--query", "FOX", "--json", env=server_env)
    assert [c["title"] for c in json.loads(found.stdout)["conversations"]] == ["a red fox"]
    assert "--limit 0 is out of range" in one_error_line(run_cli("list", "--limit", "0", env=server_env))


def test_list_with_no_conversations_yet(server_env):
    run = run_cli("list", env=server_env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("0 conversation(s)")


def test_doctor_and_generate_refuse_a_retired_image_model_with_no_paid_request(server_env, fake_openai):
    checked = run_cli("doctor", env={**server_env, "OPENAI_IMAGE_MODEL": "gpt-image-1.5"})
    assert checked.returncode == 1
    [failed] = [line for line in checked.stdout.splitlines() if line.startswith("FAIL models")]
    assert "gpt-image-1.5 was shut down by OpenAI on 2026-12-01" in failed and "gpt-image-2.6-sunburst" in failed
    made = run_cli("generate", "--model", "gpt-image-1", "A red fox in fresh snow", env=server_env)
    assert made.returncode != 0
    assert one_error_line(made) == (
        "openai-images-mcp: error: --model=gpt-image-1: gpt-image-1 was shut down by OpenAI on 2026-10-23, so no request is sent. "
        "Use gpt-image-2.6-sunburst (OpenAI's default: leave OPENAI_IMAGE_MODEL unset) or gpt-image-2.6-flare."
    )
    assert [(r.method, r.path) for r in fake_openai.requests if r.method == "POST"] == []


def test_generate_sends_the_complexity_asked_for(server_env, fake_openai):
    made = run_cli("generate", "--complexity", "medium", "A red fox in fresh snow", env=server_env)
    assert made.returncode == 0, made.stderr
    assert fake_openai.response_requests()[-1]["tools"][0]["complexity"] == "medium"
    refused = run_cli("generate", "--complexity", "extreme", "A red fox", env=server_env)
    assert refused.returncode == 2 and "--complexity" in refused.stderr


def test_generate_makes_an_animated_gif_with_the_frames_asked_for(server_env, fake_openai, home):
    made = run_cli("generate", "--format", "gif", "--frame-count", "3", "A spinning coin", env=server_env)
    assert made.returncode == 0, made.stderr
    with Image.open(made.stdout.strip()) as saved:
        assert saved.format == "GIF" and saved.n_frames == 3
    wrong = run_cli("generate", "--frame-count", "3", "A spinning coin", env=server_env)
    assert wrong.returncode != 0 and "set output_format to gif" in one_error_line(wrong)


def test_generate_makes_a_sanitised_svg_and_refuses_its_impossible_options(server_env, fake_openai, home):
    fake_openai.hostile_svg()
    made = run_cli("generate", "--format", "svg", "A fox logo", env=server_env)
    assert made.returncode == 0, made.stderr
    saved = Path(made.stdout.strip())
    assert saved.suffix == ".svg" and b"<svg" in saved.read_bytes()
    assert b"<script" not in saved.read_bytes() and b"attacker.example" not in saved.read_bytes()
    assert "Removed from the SVG before it was saved" in made.stderr
    assert fake_openai.response_requests()[-1].get("stream") is not True
    wrong = run_cli("generate", "--format", "svg", "--background", "transparent", "A fox logo", env=server_env)
    assert wrong.returncode != 0 and "an SVG's background is whatever it draws" in one_error_line(wrong)
