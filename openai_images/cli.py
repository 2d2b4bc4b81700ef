"""The command `openai-images-mcp`: the stdio server without arguments; config, doctor, generate and list as subcommands.

With no arguments it runs the server exactly as `python openai_images_mcp.py` does, because
that is what MCP clients spawn. The subcommands are for a person at a terminal: `config`
prints or writes a client's entry for this installation, `doctor` checks the setup with
free requests only, `generate` runs the tools' pipeline without the dialogue, and `list`
shows the saved conversations. Failures end with one line on stderr and a non-zero exit.
Heavy modules (FastMCP, the OpenAI SDK, Pillow) are imported by the subcommands that
need them, so `--version`, `--help` and `doctor`'s package check work on a broken install.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime
import importlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openai_images import __version__, safefiles
from openai_images.errors import (
    ConfigurationError,
    ImageServerError,
    InvalidInput,
    OpenAIError,
    log_to_stderr,
    redact,
)

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

PROG = "openai-images-mcp"
SERVER_MODULE = "openai_images_mcp"
ENTRY_NAME = "openai-images"  # the server's name in every client config (the server calls itself this too)
MIN_PYTHON = (3, 11)
EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
MODELS_TIMEOUT_SECONDS = 20.0
LIST_LIMIT = 500

# Import name of each runtime requirement, for doctor; tests/test_cli.py checks it against requirements.txt.
PACKAGES = {
    "fastmcp": "fastmcp",
    "mcp": "mcp",
    "mcp-types": "mcp_types",
    "openai": "openai",
    "pydantic": "pydantic",
    "httpx": "httpx",
    "pillow": "PIL",
    "filelock": "filelock",
    "rich": "rich",
    "defusedxml": "defusedxml",
    "resvg-py": "resvg_py",
}

log = logging.getLogger("openai_images_mcp.cli")


# --- the server and its version ---------------------------------------------------------


def server_script() -> Path:
    """The absolute path of the server module this command runs (found, not imported)."""
    spec = importlib.util.find_spec(SERVER_MODULE)
    if spec is None or not spec.origin:
        raise ConfigurationError(f"{SERVER_MODULE}.py is not installed beside {PROG}; reinstall it (pip install openai-images-mcp).")
    return Path(os.path.abspath(spec.origin))


def version() -> str:
    """The package's `__version__` (the package's __init__ imports nothing, so FastMCP is not loaded for `--version`)."""
    return __version__


def serve(arguments: Sequence[str] = ()) -> int:
    """Run the server, as `python -m openai_images_mcp` does (the module runs as __main__, as a client starts it): stdio, or HTTP."""
    import runpy

    sys.argv = [str(server_script()), *arguments]
    runpy.run_module(SERVER_MODULE, run_name="__main__", alter_sys=True)
    return 0


def run_serve(args: argparse.Namespace) -> int:
    from openai_images import http_server

    problem = http_server.serve_arguments_problem(args)
    if problem:
        raise InvalidInput(problem)
    if not args.http:
        return serve()
    return serve(["--http", "--host", args.host, "--port", str(args.port), "--path", args.path])


# --- config ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Client:
    """One MCP client: where its config file is, and how it names and shapes server entries."""

    name: str
    label: str
    servers_key: str  # the object that holds the entries by name
    typed: bool  # entries carry "type": "stdio"
    default_file: Callable[[], Path]
    where: str  # the default location, as the README and --help say it
    after: str  # what to do once the file is written


def _claude_desktop_file() -> Path:
    if sys.platform == "darwin":
        folder = Path.home() / "Library" / "Application Support"
    elif sys.platform == "win32":
        folder = _windows_store_roaming() or Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    else:
        folder = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return folder / "Claude" / "claude_desktop_config.json"


def _windows_store_roaming() -> Path | None:
    """The roaming folder Claude Desktop sees when it is installed as an MSIX package (the installer on claude.ai).

    A packaged app's writes to %APPDATA% go to its own LocalCache instead, and it reads its config from
    there first: an entry written to %APPDATA%\\Claude would never be read once that copy exists
    (https://learn.microsoft.com/en-us/windows/msix/desktop/desktop-to-uwp-behind-the-scenes).
    """
    packages = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "Packages"
    try:
        found = sorted(packages.glob("Claude_*"))
    except OSError:
        return None
    for package in found:
        roaming = package / "LocalCache" / "Roaming"
        if (roaming / "Claude").is_dir():
            return roaming
    return None


CLIENTS = {
    client.name: client
    for client in (
        Client(
            name="claude-desktop",
            label="Claude Desktop",
            servers_key="mcpServers",
            typed=False,
            default_file=_claude_desktop_file,
            where="macOS ~/Library/Application Support/Claude/, Windows %APPDATA%\\Claude\\ (installed from claude.ai: "
            "%LOCALAPPDATA%\\Packages\\Claude_*\\LocalCache\\Roaming\\Claude\\), Linux ~/.config/Claude/ (claude_desktop_config.json)",
            after="Quit Claude Desktop completely and open it again.",
        ),
        # Project scope: .mcp.json in the project folder, the file Claude Code documents for entries written by hand
        # (https://code.claude.com/docs/en/mcp). ~/.claude.json is Claude Code's own state: `claude mcp add` writes that one.
        Client(
            name="claude-code",
            label="Claude Code",
            servers_key="mcpServers",
            typed=True,
            default_file=lambda: Path.cwd() / ".mcp.json",
            where=".mcp.json in the current folder (project scope)",
            after="Start Claude Code in this folder and approve the server; `claude mcp list` shows it.",
        ),
        Client(
            name="cursor",
            label="Cursor",
            servers_key="mcpServers",
            typed=False,
            default_file=lambda: Path.home() / ".cursor" / "mcp.json",
            where="~/.cursor/mcp.json",
            after="Reload Cursor (or its MCP settings) to load it.",
        ),
        Client(
            name="vscode",
            label="VS Code",
            servers_key="servers",
            typed=True,
            default_file=lambda: Path.cwd() / ".vscode" / "mcp.json",
            where=".vscode/mcp.json in the current folder (the workspace)",
            after="VS Code offers to start it from the file, or run 'MCP: List Servers'.",
        ),
    )
}


def server_entry(client: Client, *, api_key: str | None) -> dict[str, Any]:
    """The entry that starts this installation's server: this Python and the server's absolute path."""
    entry: dict[str, Any] = {"type": "stdio"} if client.typed else {}
    entry["command"] = os.path.abspath(sys.executable)
    entry["args"] = [str(server_script())]
    if api_key:
        entry["env"] = {"OPENAI_API_KEY": api_key}
    return entry


def _command_line(words: list[str]) -> str:
    """`words` as one line to paste into this platform's shell: cmd's quoting on Windows, POSIX sh's elsewhere."""
    return subprocess.list2cmdline(words) if sys.platform == "win32" else shlex.join(words)


def claude_code_line(entry: dict[str, Any]) -> str:
    """The `claude mcp add --scope user` line that adds `entry` for every project, with the key taken from the shell."""
    key = "OPENAI_API_KEY=%OPENAI_API_KEY%" if sys.platform == "win32" else 'OPENAI_API_KEY="$OPENAI_API_KEY"'
    return f"claude mcp add --scope user {ENTRY_NAME} -e {key} -- {_command_line([entry['command'], *entry['args']])}"


def run_config(args: argparse.Namespace) -> int:
    client = CLIENTS[args.client]
    if args.config_file and not args.write:
        raise InvalidInput("--config-file names the file --write changes; add --write, or leave --config-file out to print the entry.")
    api_key = None
    if args.api_key_from_env:
        api_key = (os.environ.get("OPENAI_API_KEY") or "").strip()
        if not api_key:
            raise ConfigurationError("--api-key-from-env: OPENAI_API_KEY is not set in this shell, so there is nothing to copy.")
    entry = server_entry(client, api_key=api_key)
    if "archive-v" in sys.prefix and f"{os.sep}uv{os.sep}" in sys.prefix:
        _note(
            f"this runs from uv's cache ({sys.prefix}), which `uv cache clean` removes; for an entry that lasts, "
            f"install it (`uv tool install openai-images-mcp` or `pip install openai-images-mcp`) and run config again."
        )
    if not args.write:
        print(json.dumps({client.servers_key: {ENTRY_NAME: entry}}, indent=2, ensure_ascii=False))
        if client.name == "claude-code":
            shell = " (in cmd; PowerShell writes the key as $env:OPENAI_API_KEY)" if sys.platform == "win32" else ""
            _note(f"for every project instead{shell}: {claude_code_line(entry)}")
        _note(f"add this to {client.label}'s config, {client.default_file()}, or run `{PROG} config {client.name} --write`.")
        if not api_key:
            _note('the entry has no OPENAI_API_KEY: add "env": {"OPENAI_API_KEY": "sk-..."} to it, or run again with --api-key-from-env.')
        return 0
    path = Path(args.config_file).expanduser() if args.config_file else client.default_file()
    written = merge_entry(path, client=client, entry=entry)
    print(written.message)
    if written.changed:
        print(client.after)
    if api_key and client.name in ("claude-code", "vscode"):
        _note(f"{written.path} now holds your API key; project files like it are often committed: keep it out of version control.")
    if not api_key and "OPENAI_API_KEY" not in written.env_names:
        _note("the entry has no OPENAI_API_KEY yet: run again with --api-key-from-env, or add it to the entry's env by hand.")
    return 0


@dataclass(frozen=True, kw_only=True)
class Written:
    """What --write did: the file, whether it changed, the line to print, and the env names the entry has."""

    path: Path
    changed: bool
    message: str
    env_names: frozenset[str]


def merge_entry(path: Path, *, client: Client, entry: dict[str, Any]) -> Written:
    """Put `entry` into the config file at `path`, keeping everything else; back the old file up first.

    A file that is not a JSON object is left byte for byte as it is (ConfigurationError). The new
    file is written atomically (a temporary file beside it, then a rename), with the old file's mode
    (its owner's only once it holds the key).
    Fields of an existing entry that this one does not set (its env, a "disabled" flag) are kept.
    """
    target = path.resolve()  # a symlinked config (dotfiles) is updated where it lives, not replaced by a file
    try:
        original: bytes | None = target.read_bytes()
    except FileNotFoundError:
        original = None
    except OSError as exc:
        raise ConfigurationError(f"Could not read {target}: {exc.strerror or exc}. Nothing was changed.") from None
    config = _parsed_config(target, original)
    servers = config.setdefault(client.servers_key, {})
    if not isinstance(servers, dict):
        raise ConfigurationError(
            f'{target}: "{client.servers_key}" is a JSON {_json_type(servers)}, not an object of servers; it was left unchanged.'
        )
    previous = servers.get(ENTRY_NAME)
    merged = {**previous, **entry} if isinstance(previous, dict) else dict(entry)
    if isinstance(previous, dict) and isinstance(previous.get("env"), dict):
        merged["env"] = {**previous["env"], **entry.get("env", {})}
    env_names = frozenset(merged.get("env") or {}) if isinstance(merged.get("env"), dict) else frozenset()
    if previous == merged:
        return Written(
            path=target, changed=False, message=f"{target} already has this {ENTRY_NAME} entry; nothing was changed.", env_names=env_names
        )
    servers[ENTRY_NAME] = merged
    data = (json.dumps(config, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        mode = target.stat().st_mode & 0o777 if original is not None else 0o600
        if entry.get("env"):
            mode &= 0o700  # the file now holds the API key: readable by its owner only
        backup = _backup(target, original, mode=mode) if original is not None else None
        target.parent.mkdir(parents=True, exist_ok=True)
        safefiles.atomic_write(target, data, mode=mode)
    except OSError as exc:
        raise ConfigurationError(f"Could not write {target}: {exc.strerror or exc}. The file was not changed.") from None
    what = "Updated" if previous is not None else "Added"
    saved = f" (the old file is saved as {backup})" if backup else ""
    return Written(path=target, changed=True, message=f"{what} the {ENTRY_NAME} entry in {target}{saved}.", env_names=env_names)


def _parsed_config(target: Path, original: bytes | None) -> dict[str, Any]:
    if original is None or not original.strip():
        return {}
    try:
        config = json.loads(original.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigurationError(f"{target} is not UTF-8 text; it was left unchanged. Fix it, or add the entry by hand.") from None
    except json.JSONDecodeError as exc:
        raise ConfigurationError(
            f"{target} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); it was left unchanged. "
            "Fix it (comments are not JSON), or add the entry by hand."
        ) from None
    if not isinstance(config, dict):
        raise ConfigurationError(f"{target} holds a JSON {_json_type(config)}, not an object; it was left unchanged.")
    return config


def _json_type(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", int: "number", float: "number", type(None): "null"}.get(type(value), "value")


def _backup(target: Path, original: bytes, *, mode: int) -> Path:
    """The old bytes, exactly, in `<name>.<timestamp>.bak` beside it (never overwriting an earlier backup)."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    for attempt in range(100):
        backup = target.with_name(f"{target.name}.{stamp}{f'-{attempt}' if attempt else ''}.bak")
        try:
            fd = os.open(backup, safefiles.NEW_FILE_FLAGS, mode)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as file:
            file.write(original)
            file.flush()
            os.fsync(file.fileno())
        return backup
    raise OSError(f"too many backups named {target.name}.{stamp}*.bak")


# --- doctor ---------------------------------------------------------------------------


class Doctor:
    """Prints one line per check, OK or FAIL with what to change; remembers whether any failed."""

    def __init__(self) -> None:
        self.failed = 0

    def report(self, ok: bool, what: str, detail: str) -> bool:
        print(redact(f"{'OK  ' if ok else 'FAIL'} {what}: {detail}"), flush=True)
        self.failed += not ok
        return ok


def run_doctor(args: argparse.Namespace) -> int:
    doctor = Doctor()
    python = ".".join(map(str, sys.version_info[:3]))
    doctor.report(
        sys.version_info >= MIN_PYTHON,
        "Python",
        f"{python} at {sys.executable}"
        if sys.version_info >= MIN_PYTHON
        else f"{python} at {sys.executable} is too old: install Python 3.11 or newer and reinstall {PROG} with it",
    )
    if not _check_packages(doctor):
        return EXIT_FAILED
    from openai_images.settings import Settings

    try:
        settings = Settings.from_env()
    except ImageServerError as exc:
        doctor.report(False, "settings", f"{exc} The other checks need valid settings.")
        return EXIT_FAILED
    doctor.report(True, "settings", "read from the environment")
    if settings.uses_azure:
        has_key = doctor.report(True, "API key", "AZURE_OPENAI_API_KEY is set (not shown); Azure OpenAI at AZURE_OPENAI_ENDPOINT is used")
    elif settings.api_key:
        has_key = doctor.report(True, "API key", "OPENAI_API_KEY is set (not shown)")
    else:
        has_key = doctor.report(
            False,
            "API key",
            f"OPENAI_API_KEY is not set: put your key in the server's environment (the client entry's \"env\"; "
            f"`{PROG} config CLIENT --write --api-key-from-env` copies it from this shell)",
        )
    if settings.storage:
        doctor.report(*_bucket_state(settings))
    else:
        doctor.report(*_folder_state(settings.output_dir, "OPENAI_IMAGES_OUTPUT_DIR"))
        doctor.report(*_folder_state(settings.conversations_dir, "OPENAI_IMAGES_DATA_DIR"))
    if settings.auth_tokens or settings.jwt_jwks_url or settings.jwt_issuer or settings.jwt_audience:
        doctor.report(*_sign_in_state(settings))
    doctor.report(*_models_state(settings))
    if settings.prices:
        doctor.report(*_prices_state(settings))
    if has_key:
        doctor.report(*asyncio.run(_openai_state(settings)))
    else:
        doctor.report(False, "OpenAI", "not checked without an API key")
    return EXIT_FAILED if doctor.failed else 0


def _bucket_state(settings) -> tuple[bool, str, str]:
    """Can the bucket of OPENAI_IMAGES_STORAGE be listed with these credentials (one free LIST request)?"""
    from openai_images import s3store

    try:
        bucket = s3store.open_bucket(settings.storage, endpoint=settings.s3_endpoint)
        bucket.check()
    except ImageServerError as exc:
        return False, "storage", str(exc)
    except OSError as exc:
        return (
            False,
            "storage",
            f"{settings.storage}: {exc.strerror or exc}. Check the bucket, OPENAI_IMAGES_S3_ENDPOINT and the AWS credentials",
        )
    return True, "storage", f"{bucket.label} answers (conversations and images go there, not to local folders)"


def _sign_in_state(settings) -> tuple[bool, str, str]:
    """Do the HTTP sign-in settings make a provider (no request to the identity provider)?"""
    from openai_images import signin

    try:
        signin.provider(settings, base_url=settings.public_url or "http://127.0.0.1:8000")
    except ImageServerError as exc:
        return False, "sign-in", str(exc)
    if settings.auth_tokens:
        return True, "sign-in", f"static tokens for {len(signin.parse_tokens(settings.auth_tokens))} user(s) (development)"
    return True, "sign-in", f"JWTs from {settings.jwt_issuer} for audience {settings.jwt_audience}"


def _check_packages(doctor: Doctor) -> bool:
    found, missing = [], []
    for distribution, module in PACKAGES.items():
        try:
            importlib.import_module(module)
        except Exception as exc:  # an ImportError, or a package that fails while importing
            missing.append(f"{distribution} ({type(exc).__name__}: {exc})")
            continue
        try:
            found.append(f"{distribution} {importlib.metadata.version(distribution)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(distribution)
    if missing:
        return doctor.report(
            False,
            "packages",
            f"cannot import {'; '.join(missing)}: run {sys.executable} -m pip install openai-images-mcp "
            "(or, in a clone, -r requirements.txt)",
        )
    return doctor.report(True, "packages", ", ".join(found))


def _folder_state(folder: Path, setting: str) -> tuple[bool, str, str]:
    what = f"folder {folder}"
    if folder.exists():
        if not folder.is_dir():
            return False, what, f"is not a folder: point {setting} at a folder"
        try:
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as exc:
            return False, what, f"is not writable ({exc.strerror or exc}): fix its permissions or point {setting} elsewhere"
        return True, what, "exists and is writable"
    parent = folder.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        return False, what, f"does not exist and cannot be created ({parent} is not a writable folder): point {setting} elsewhere"
    return True, what, f"does not exist yet; it will be created (in {parent}, which is writable)"


def _models_state(settings: Any) -> tuple[bool, str, str]:
    from openai_images import enhancer, inputs, sizes
    from openai_images.image_models import accepted_sizes_text, effective_model, retirement, validate_size

    model = effective_model(settings.image_model)
    source = "OPENAI_IMAGE_MODEL" if settings.image_model else "the API's default"
    try:
        inputs.check_model_name(model)
    except InvalidInput:
        return False, "models", f"OPENAI_IMAGE_MODEL={model[:60]!r} is not a model name: use one such as gpt-image-2"
    problem = retirement(model)
    if problem:
        return False, "models", f"{source}: {problem}"
    try:
        inputs.check_model_name(settings.assistant_model)
    except InvalidInput:
        return False, "models", f"OPENAI_ASSISTANT_MODEL={settings.assistant_model[:60]!r} is not a model name: use one such as gpt-5.5"
    try:
        for kind in enhancer.ImageType:
            validate_size(sizes.suggest_size(kind, "", model).size, model)
    except InvalidInput as exc:
        return False, "models", f"a size the server would choose does not fit {model}: {exc}"
    return True, "models", f"image model {model} ({source}) via {settings.assistant_model}; {accepted_sizes_text(model)}"


def _prices_state(settings: Any) -> tuple[bool, str, str]:
    from openai_images import costs

    try:
        costs.parse_price_overrides(settings.prices)
    except ImageServerError as exc:
        return False, "prices", str(exc)
    return True, "prices", "OPENAI_IMAGES_PRICES parses"


async def _openai_state(settings: Any) -> tuple[bool, str, str]:
    """GET /models, which costs nothing: the endpoint answers and takes the key."""
    import openai

    from openai_images.openai_api import make_client, translate_error

    where = redact(settings.azure_endpoint if settings.uses_azure else settings.base_url or "https://api.openai.com/v1")
    try:
        client = make_client(settings)
    except ImageServerError as exc:
        return False, "OpenAI", str(exc)
    try:
        page = await client.with_options(timeout=MODELS_TIMEOUT_SECONDS, max_retries=1).models.list()
    except openai.APIStatusError as exc:
        if exc.status_code == 401:
            return False, "OpenAI", str(translate_error(exc, settings))
        detail = redact(str(getattr(exc, "message", "") or exc))
        return (
            False,
            "OpenAI",
            f"{where} answered {exc.status_code} to GET /models: {detail} Check OPENAI_BASE_URL (or the Azure settings).",
        )
    except openai.APIError as exc:
        return False, "OpenAI", str(translate_error(exc, settings))
    finally:
        await client.close()
    return True, "OpenAI", f"{where} answered and took the key (GET /models, which costs nothing; {len(page.data)} model(s) listed)"


# --- generate ---------------------------------------------------------------------------


class ProgressBar:
    """The render's progress on stderr: a rich progress bar on a terminal, else one line per stage."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __enter__(self) -> ProgressBar:
        if self.console.is_terminal:
            from rich.progress import (
                BarColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self.bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("sending the request", total=None)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    async def __call__(self, step: int, message: str) -> None:
        if self.bar is not None and self.task is not None:  # both set together, on a terminal
            self.bar.update(self.task, description=message)
        else:
            print(f"{PROG}: {message}", file=sys.stderr, flush=True)


def run_generate(args: argparse.Namespace) -> int:
    from openai_images import rendering
    from openai_images.services import Services
    from openai_images.settings import Settings

    settings = Settings.from_env()
    overrides: dict[str, Any] = {}
    if args.output_dir:
        overrides["output_dir"] = Path(args.output_dir).expanduser().resolve()
    if args.model:
        overrides["image_model"] = _image_model(args.model)
    services = Services(dataclasses.replace(settings, **overrides))
    started: list[str] = []  # the conversation id, once known, for the message after Ctrl-C
    try:
        with ProgressBar() as progress:
            generated = asyncio.run(_generate(args, services, progress=progress, started=started))
    except KeyboardInterrupt:
        where = f" (conversation {started[0]})" if started else ""
        print(
            f"{PROG}: interrupted{where}. If OpenAI had begun the image, it goes on rendering and is charged: "
            f"collect it with openai_get_image from your MCP client; `{PROG} list` shows it.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    if args.json:
        print(json.dumps(rendering.generated_result(generated, services.session_cost).structured_content, indent=2, ensure_ascii=False))
    else:
        from openai_images import costs

        record = generated.record
        print(
            f"{PROG}: {record.size} {generated.saved.format.upper()} ({generated.saved.byte_size / 1024:.0f} KB), "
            f"{costs.format_usd(record.cost_usd)}, conversation {generated.conversation.id}",
            file=sys.stderr,
        )
        for note in generated.notes:
            print(f"{PROG}: note: {note}", file=sys.stderr)
        print(record.path)
    return 0


def _image_model(name: str) -> str:
    from openai_images import inputs
    from openai_images.image_models import check_not_retired

    try:
        model = inputs.check_model_name(name)
    except InvalidInput:
        raise InvalidInput(f"--model {name[:60]!r} is not a model name (e.g. gpt-image-2.6-sunburst).") from None
    return check_not_retired(model, setting="--model")


async def _generate(args: argparse.Namespace, services: Any, *, progress: ProgressBar, started: list[str]) -> Any:
    """The tools' pipeline without the dialogue: check, plan, generate, then wait until the image is saved."""
    from openai_images import dialogue, generation, inputs, storage

    settings = services.settings
    text = inputs.check_prompt(args.prompt)
    explicit_size = inputs.check_size(args.size, services) if inputs.given(args.size) else None
    call = inputs.check_call_options(
        quality=args.quality,
        background=args.background,
        output_format=args.format,
        output_compression=None,
        moderation=None,
        input_fidelity=None,
        complexity=args.complexity,
        frame_count=args.frame_count,
        frame_duration_ms=args.frame_duration_ms,
        partial_images=0,
        reference_paths=None,
        mask_path=None,
        dry_run=False,
        services=services,
        markup_path=args.markup,
    )
    if call.markup_path and not args.conversation:
        raise InvalidInput("--markup marks up a conversation's last image: give --conversation conv_... as well.")
    services.openai.client()  # a missing key is told now, before anything is planned or sent
    if args.conversation:
        conversation = await asyncio.to_thread(services.store.load, storage.check_conversation_id(args.conversation))
        started.append(conversation.id)
        conversation = await _settled(conversation, services, progress=progress)
        if conversation.question_pending:
            raise InvalidInput(
                f"Conversation {conversation.id} is waiting for the answer to a question; answer it in your MCP client, "
                "or leave --conversation out to start a new image."
            )
        model = inputs.check_model_name(conversation.assistant_model or settings.assistant_model)
        if call.markup_path:
            files = await inputs.prepare_markup(conversation=conversation, file_id=None, path=None, call=call, services=services)
            job = generation.plan_markup(
                conversation=conversation,
                text=text,
                explicit_size=explicit_size,
                assistant_model=model,
                call=call,
                files=files,
                services=services,
            )
        else:
            images, mask_url = await inputs.prepare_images(conversation=conversation, file_id=None, path=None, call=call, services=services)
            job = generation.plan_refinement(
                conversation=conversation,
                text=text,
                explicit_size=explicit_size,
                assistant_model=model,
                call=call,
                images=images,
                mask_url=mask_url,
                services=services,
            )
    else:
        job = generation.plan_new(
            text=text,
            explicit_size=explicit_size,
            assistant_model=inputs.check_model_name(settings.assistant_model),
            dialogue_mode=dialogue.DialogueMode.SKIP.value,
            skip_dialogue=True,
            images=[],
            options=call.options,
            mask_url=None,
            services=services,
        )
        started.append(job.conversation.id)
    outcome = await generation.generate(job, services, progress)
    return await _until_saved(outcome, services, progress=progress)


async def _until_saved(outcome: Any, services: Any, *, progress: ProgressBar) -> Any:
    """Follow a render past each deadline until its image is saved (or it fails, which raises)."""
    from openai_images import generation

    while isinstance(outcome, generation.Rendering):
        render = services.renders.live(outcome.conversation_id)
        if render is None:
            raise OpenAIError(
                f"Lost track of the render of {outcome.conversation_id}; collect it with openai_get_image from your MCP client."
            )
        outcome = await generation.collect(render, services, progress)
    return outcome


async def _settled(conversation: Any, services: Any, *, progress: ProgressBar) -> Any:
    """The conversation once an image still rendering in it has landed: a refinement goes on from a finished image."""
    from openai_images import generation

    render = generation.follow(conversation, services)
    if render is None:
        return conversation
    await progress(0, "waiting for the image still rendering in this conversation")
    try:
        await _until_saved(await generation.collect(render, services, progress), services, progress=progress)
    except ImageServerError as exc:
        settled = await asyncio.to_thread(services.store.load, conversation.id)
        if settled.pending_render is not None:
            raise type(exc)(f"The refinement was not started: the image before it is not collected yet. {exc}") from None
        return settled
    return await asyncio.to_thread(services.store.load, conversation.id)


# --- list -------------------------------------------------------------------------------


def run_list(args: argparse.Namespace) -> int:
    from mcp_types import TextContent

    from openai_images import inputs, rendering
    from openai_images.services import Services

    if not 1 <= args.limit <= LIST_LIMIT:
        raise InvalidInput(f"--limit {args.limit} is out of range: use 1 to {LIST_LIMIT}.")
    if args.query is not None and len(args.query) > inputs.MAX_QUERY_CHARS:
        raise InvalidInput(f"--query is {len(args.query)} characters; the limit is {inputs.MAX_QUERY_CHARS}.")
    services = Services()
    listing = services.store.list(args.limit, args.query)
    result = rendering.listing_result(listing, args.query, services.session_cost)
    if args.json:
        print(json.dumps(result.structured_content, indent=2, ensure_ascii=False))
    else:
        print("\n".join(block.text for block in result.content if isinstance(block, TextContent)))  # the listing is one text block
    return 0


# --- the command line -------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, with a bad argument told in one line (and where to read more)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """Every subcommand and option, with the help text `--help` shows."""
    from openai_images.image_models import (
        BACKGROUNDS,
        COMPLEXITIES,
        EXTRA_QUALITIES,
        OUTPUT_FORMATS,
        QUALITIES,
    )

    parser = _Parser(
        prog=PROG,
        description="An MCP server for OpenAI's GPT image models. Without a subcommand it serves MCP over stdin/stdout "
        "(what clients such as Claude Desktop start).",
        epilog=f"Examples: {PROG} doctor · {PROG} config claude-desktop --write --api-key-from-env · "
        f'{PROG} generate "a red fox in snow" --size 1536x1024 · {PROG} list --query fox',
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {version()}")
    commands = parser.add_subparsers(title="subcommands", metavar="{serve,config,doctor,generate,list}")

    serving = commands.add_parser(
        "serve",
        help="run the server: stdio (what no subcommand does), or Streamable HTTP with --http",
        description="Run the MCP server. Without --http it serves stdin/stdout, as clients start it. With --http it serves "
        "Streamable HTTP at http://HOST:PORT/PATH, answers GET /healthz without sign-in, and needs sign-in "
        "(OPENAI_IMAGES_AUTH_TOKENS or the OPENAI_IMAGES_JWT_* settings) on any address but loopback.",
        epilog=f"Example: OPENAI_IMAGES_AUTH_TOKENS=alice=<token> {PROG} serve --http --host 0.0.0.0 --port 8000",
    )
    from openai_images import http_server  # light: no FastMCP until it serves

    http_server.add_serve_arguments(serving)
    serving.set_defaults(run=run_serve)

    config = commands.add_parser(
        "config",
        help="print or write the entry that starts this server in an MCP client",
        description="Print the config entry for CLIENT, with the absolute paths of this installation, or merge it into "
        "the client's config file with --write (other servers and settings are kept, the old file is backed up first, "
        "and a file that is not valid JSON is left unchanged). The API key is never written unless --api-key-from-env.",
        epilog="Default files: " + "; ".join(f"{c.name}: {c.where}" for c in CLIENTS.values()),
    )
    config.add_argument("client", choices=list(CLIENTS), help="the MCP client")
    config.add_argument("--write", action="store_true", help="merge the entry into the client's config file instead of printing it")
    config.add_argument("--config-file", metavar="PATH", help="the config file to write (default: the client's usual file)")
    config.add_argument("--api-key-from-env", action="store_true", help="copy OPENAI_API_KEY from this shell into the entry's env")
    config.set_defaults(run=run_config)

    doctor = commands.add_parser(
        "doctor",
        help="check the installation, settings and OpenAI access (free requests only)",
        description="Check Python, the packages, the API key (never shown), the output and data folders, the configured "
        "models and sizes, and that OpenAI answers and takes the key (GET /models, which costs nothing). One line per "
        "check, OK or FAIL with what to change; the exit code is 1 if any check fails.",
    )
    doctor.set_defaults(run=run_doctor)

    generate = commands.add_parser(
        "generate",
        help="make one image from a prompt, without questions (costs money)",
        description="Make an image the way the openai_generate_image tool does: the prompt as given, a size picked for "
        "the kind of image unless --size, progress on stderr, and the saved file's path on stdout. It waits until the "
        "image is saved, however long the render takes. With --conversation it refines that conversation's last image.",
        epilog=f'Example: {PROG} generate "a flat vector logo of a fox" --background transparent --format png',
    )
    generate.add_argument("prompt", help="what to draw (or, with --conversation, what to change)")
    generate.add_argument("--size", help="WIDTHxHEIGHT such as 1024x1024 or 1536x1024, or auto (default: picked for the kind of image)")
    generate.add_argument("--quality", choices=QUALITIES + EXTRA_QUALITIES, help="higher costs more (default: OpenAI's, auto)")
    generate.add_argument("--format", choices=OUTPUT_FORMATS, help="file format (default png)")
    generate.add_argument("--background", choices=BACKGROUNDS, help="transparent needs png or webp")
    generate.add_argument("--frame-count", type=int, metavar="N", help="with --format gif: frames of the animation, 2-16 (default 9)")
    generate.add_argument("--frame-duration-ms", type=int, metavar="MS", help="with --format gif: each frame's time (default 200)")
    generate.add_argument("--complexity", choices=COMPLEXITIES, help="planning effort, apart from quality (default: the model's)")
    generate.add_argument("--output-dir", metavar="DIR", help="folder for the image (default OPENAI_IMAGES_OUTPUT_DIR, else ~/Downloads)")
    generate.add_argument("--model", help="image model (default OPENAI_IMAGE_MODEL, else the API's default)")
    generate.add_argument("--conversation", metavar="ID", help="refine the last image of this conversation (conv_...)")
    generate.add_argument(
        "--markup",
        metavar="PNG",
        help="with --conversation: a transparent PNG drawn over its last image to guide the change (GPT Image 2.5 or 2.6)",
    )
    generate.add_argument("--json", action="store_true", help="print the structured result (as the tools return it) instead of the path")
    generate.set_defaults(run=run_generate)

    listing = commands.add_parser(
        "list",
        help="show the saved conversations, newest first",
        description="The saved conversations, newest first, as openai_list_conversations shows them.",
    )
    listing.add_argument("--query", help="only conversations whose title or prompts contain this text (case-insensitive)")
    listing.add_argument("--limit", type=int, default=20, help=f"how many to show (1-{LIST_LIMIT}, default 20)")
    listing.add_argument("--json", action="store_true", help="print the listing as JSON")
    listing.set_defaults(run=run_list)
    return parser


def _note(text: str) -> None:
    print(f"{PROG}: {text}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command: the stdio server without arguments, else the subcommand; returns the exit code."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    safefiles.utf8_std_streams(sys.stderr)  # an error naming a path in 狐 is one line on a Windows pipe, not a traceback
    if sys.version_info < MIN_PYTHON:
        found = ".".join(map(str, sys.version_info[:3]))
        print(f"{PROG} needs Python 3.11 or newer; {sys.executable} is {found}. Install a newer Python and reinstall.", file=sys.stderr)
        return EXIT_FAILED
    if not arguments:
        return serve()
    try:
        parser = build_parser()
        args = parser.parse_args(arguments)
        if not hasattr(args, "run"):
            parser.error("name a subcommand (serve, config, doctor, generate or list), or give no arguments to run the server")
        if args.run is not run_serve:  # the stdio server's stdout is the JSON-RPC wire, which the MCP SDK writes as UTF-8
            safefiles.utf8_std_streams(sys.stdout)
        log_to_stderr(logging.WARNING)
        return args.run(args)
    except ImageServerError as exc:
        print(f"{PROG}: error: {redact(str(exc))}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
