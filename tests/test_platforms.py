"""The platform branches, run here on Linux with the platform substituted: what Windows and macOS take."""

from __future__ import annotations

import ast
import asyncio
import base64
import errno
import importlib
import io
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import filelock  # noqa: F401  # imported as on Linux before a test says win32: it picks its lock then, and needs msvcrt on Windows
import pytest
from conftest import ROOT, image_bytes

from openai_images import backends, cli, imagefiles, safefiles, stdio_wire
from openai_images.errors import StorageError


@pytest.fixture
def windows_safefiles(monkeypatch):
    """safefiles as imported on Windows: sys.platform is win32 and os has no O_NONBLOCK or O_NOFOLLOW (but O_BINARY)."""
    monkeypatch.setattr(sys, "platform", "win32")
    for name in ("O_NONBLOCK", "O_NOFOLLOW", "O_CLOEXEC"):
        monkeypatch.delattr(os, name, raising=False)
    monkeypatch.setattr(os, "O_BINARY", 0, raising=False)
    module = importlib.reload(safefiles)
    yield module
    monkeypatch.undo()
    importlib.reload(safefiles)


def test_windows_reads_a_file_refuses_a_link_and_names_a_folder(windows_safefiles, tmp_path):
    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG" + b"x" * 100)
    link = tmp_path / "link.png"
    link.symlink_to(image)
    assert windows_safefiles.read_regular_file(image, 1024, follow_links=False) == image.read_bytes()
    assert windows_safefiles.read_regular_file(link, 1024, follow_links=True) == image.read_bytes()
    with pytest.raises(OSError) as refused:
        windows_safefiles.read_regular_file(link, 1024, follow_links=False)
    assert refused.value.errno == errno.ELOOP and "symbolic link" in str(refused.value)
    with pytest.raises(IsADirectoryError):
        windows_safefiles.read_regular_file(tmp_path, 1024, follow_links=False)
    with pytest.raises(OSError) as too_big:
        windows_safefiles.read_regular_file(image, 10, follow_links=False)
    assert too_big.value.errno == errno.EFBIG


def test_the_windows_flags_use_only_what_windows_has(windows_safefiles):
    assert windows_safefiles._READ_FLAGS == os.O_RDONLY and windows_safefiles._NO_FOLLOW == 0


def test_posix_opens_without_blocking_and_without_following(tmp_path):
    assert safefiles._READ_FLAGS & os.O_NONBLOCK and safefiles._NO_FOLLOW == os.O_NOFOLLOW
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    with pytest.raises(OSError) as refused:  # a named pipe with no writer would block a plain open forever
        safefiles.read_regular_file(fifo, 1024, follow_links=False)
    assert refused.value.errno == errno.EINVAL


def test_the_windows_write_flags_open_in_binary_mode(monkeypatch):
    """Without O_BINARY, Windows writes each \\n of a PNG as \\r\\n; the real value (0x8000) must be in every creating open."""
    monkeypatch.setattr(sys, "platform", "win32")
    for name in ("O_NONBLOCK", "O_NOFOLLOW", "O_CLOEXEC"):
        monkeypatch.delattr(os, name, raising=False)
    monkeypatch.setattr(os, "O_BINARY", 0x8000, raising=False)
    try:
        windows = importlib.reload(safefiles)
        flags, read_flags = windows.NEW_FILE_FLAGS, windows._READ_FLAGS  # only read: 0x8000 means something else to Linux
    finally:
        monkeypatch.undo()
        importlib.reload(safefiles)
    assert flags == os.O_WRONLY | os.O_CREAT | os.O_EXCL | 0x8000
    assert read_flags == os.O_RDONLY | 0x8000


def test_every_open_flag_comes_from_safefiles():
    """An os.O_* flag written anywhere else would miss the Windows branch (O_BINARY, no O_NOFOLLOW)."""
    offenders = []
    for path in sorted((ROOT / "openai_images").glob("*.py")):
        if path.name == "safefiles.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
                and node.attr.startswith("O_")
            ):
                offenders.append(f"{path.name}:{node.lineno} os.{node.attr}")
    assert offenders == []


# --- replacing a file that another process holds open (Windows) -------------------------------


def _refusing_replace(monkeypatch, refusals: int | None) -> list[str]:
    """os.replace as Windows answers while another process has the target open: PermissionError `refusals` times (None: always)."""
    real_replace = os.replace
    calls: list[str] = []

    def replace(source, target):
        calls.append(str(target))
        if refusals is None or len(calls) <= refusals:
            raise PermissionError(errno.EACCES, "The process cannot access the file because it is being used by another process")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    return calls


def test_windows_waits_for_the_file_to_be_let_go_then_replaces_it(windows_safefiles, monkeypatch, tmp_path):
    target = tmp_path / "conv_1.json"
    target.write_bytes(b"old")
    calls = _refusing_replace(monkeypatch, refusals=2)
    windows_safefiles.atomic_write(target, b'{"new": true}')
    assert target.read_bytes() == b'{"new": true}'
    assert calls == [str(target)] * 3
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left


def test_windows_names_the_file_it_could_not_replace_and_leaves_no_temporary_file(windows_safefiles, monkeypatch, tmp_path):
    monkeypatch.setattr(windows_safefiles, "REPLACE_RETRY_DELAYS", (0.001,) * 6)
    target = tmp_path / "claude_desktop_config.json"
    target.write_bytes(b"old")
    calls = _refusing_replace(monkeypatch, refusals=None)
    with pytest.raises(PermissionError) as refused:
        windows_safefiles.atomic_write(target, b"new")
    assert refused.value.filename == str(target) and str(target) in str(refused.value)
    assert "another program keeps it open" in refused.value.strerror and "7 tries" in refused.value.strerror
    assert len(calls) == 7
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


def test_elsewhere_a_refused_replace_is_a_real_error_and_is_not_tried_again(monkeypatch, tmp_path):
    target = tmp_path / "conv_1.json"
    target.write_bytes(b"old")
    calls = _refusing_replace(monkeypatch, refusals=None)
    started = time.monotonic()
    with pytest.raises(PermissionError) as refused:
        safefiles.atomic_write(target, b"new")
    assert len(calls) == 1 and time.monotonic() - started < 0.5
    assert "being used by another process" in str(refused.value)
    assert target.read_bytes() == b"old" and list(tmp_path.iterdir()) == [target]


def test_a_conversation_saved_on_windows_while_a_reader_holds_it_is_saved(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "platform", "win32")  # os keeps its flags here: the lock is filelock's Unix one, as imported
    documents = backends.FolderDocuments(tmp_path / "conversations", tmp_path / "locks")
    documents.update("conv_1.json", lambda current: b'{"turns": 1}', limit=1024)
    _refusing_replace(monkeypatch, refusals=3)
    documents.update("conv_1.json", lambda current: current.replace(b"1", b"2"), limit=1024)
    assert (tmp_path / "conversations" / "conv_1.json").read_bytes() == b'{"turns": 2}'
    assert sorted(p.name for p in (tmp_path / "conversations").iterdir()) == ["conv_1.json"]


def test_config_write_on_windows_says_which_file_another_program_holds(windows_safefiles, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(windows_safefiles, "REPLACE_RETRY_DELAYS", (0.001,) * 6)
    config = tmp_path / "mcp.json"
    config.write_bytes(b'{"mcpServers": {}}\n')
    _refusing_replace(monkeypatch, refusals=None)
    assert cli.main(["config", "cursor", "--write", "--config-file", str(config)]) == cli.EXIT_FAILED
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"openai-images-mcp: error: Could not write {config}: another program keeps it open")
    assert line.endswith("The file was not changed.")
    assert config.read_bytes() == b'{"mcpServers": {}}\n'
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []  # the backup (.bak) stays; no temporary file


# --- saving an image where there are no hard links (a FAT or exFAT stick on Windows) ----------------------


def test_windows_saves_an_image_on_a_drive_without_hard_links(windows_safefiles, monkeypatch, tmp_path):
    def no_hard_links(source, target):
        raise OSError(errno.EINVAL, "Incorrect function")  # CreateHardLinkW on FAT: ERROR_INVALID_FUNCTION

    monkeypatch.setattr(os, "link", no_hard_links)
    data = image_bytes((16, 16))
    saved = imagefiles.save_image(imagefiles.check_image(base64.b64encode(data).decode()), tmp_path)
    assert Path(saved.location).read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == [Path(saved.location).name]


def test_elsewhere_einval_from_a_hard_link_is_an_error_and_nothing_is_left(monkeypatch, tmp_path):
    def refused(source, target):
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(os, "link", refused)
    with pytest.raises(StorageError, match="Could not write the image"):
        imagefiles.save_image(imagefiles.check_image(base64.b64encode(image_bytes((16, 16))).decode()), tmp_path)
    assert list(tmp_path.iterdir()) == []


# --- the std streams: any text on a Windows pipe -------------------------------------------------------


def _pipe(encoding: str) -> io.TextIOWrapper:
    """A std stream as Python makes it for a pipe: a text layer of `encoding` over bytes."""
    return io.TextIOWrapper(io.BytesIO(), encoding=encoding, write_through=True)


def test_windows_std_streams_write_utf8_instead_of_failing_on_the_ansi_code_page(monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    stream = _pipe("cp1252")
    with pytest.raises(UnicodeEncodeError):
        stream.write("a fox 狐")
    safefiles.utf8_std_streams(stream)
    stream.write("a fox 狐 → café")
    assert stream.buffer.getvalue().decode("utf-8").endswith("a fox 狐 → café")


def test_elsewhere_the_terminals_encoding_is_kept_and_what_it_cannot_hold_is_escaped(monkeypatch):
    stream = _pipe("ascii")
    safefiles.utf8_std_streams(stream, None, io.StringIO())  # None (pythonw) and a StringIO are left alone
    stream.write("a fox 狐")
    assert stream.buffer.getvalue() == b"a fox \\u72d0"


def test_the_command_on_a_windows_pipe_prints_a_path_in_any_script(monkeypatch, tmp_path):
    appdata = tmp_path / "Zoë 狐" / "AppData" / "Roaming"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("APPDATA", str(appdata))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Zoë 狐" / "AppData" / "Local"))
    out, err = _pipe("cp1252"), _pipe("cp1252")
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    assert cli.main(["config", "claude-desktop", "--write"]) == 0
    config = appdata / "Claude" / "claude_desktop_config.json"
    assert out.buffer.getvalue().decode("utf-8").startswith(f"Added the openai-images entry in {config}")
    assert json.loads(config.read_text("utf-8"))["mcpServers"]["openai-images"]["command"] == os.path.abspath(sys.executable)
    assert b"\\u" not in out.buffer.getvalue()  # written as UTF-8, not escaped


# --- config --write: the right file and the right command on each platform ---------------------------


@pytest.fixture
def desktops(monkeypatch, tmp_path) -> dict[str, Path]:
    """A home, %APPDATA% and %LOCALAPPDATA% in the temporary folder, with no XDG_CONFIG_HOME."""
    places = {
        "home": tmp_path / "home",
        "appdata": tmp_path / "Zoë 狐" / "AppData" / "Roaming",
        "local": tmp_path / "Zoë 狐" / "AppData" / "Local",
    }
    places["home"].mkdir()
    monkeypatch.setenv("HOME", str(places["home"]))
    monkeypatch.setenv("APPDATA", str(places["appdata"]))
    monkeypatch.setenv("LOCALAPPDATA", str(places["local"]))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return places


@pytest.mark.parametrize(
    ("platform", "where"),
    [
        ("win32", ("appdata", "Claude")),
        ("darwin", ("home", "Library", "Application Support", "Claude")),
        ("linux", ("home", ".config", "Claude")),
    ],
)
def test_config_write_puts_a_working_entry_in_claude_desktops_file_on_each_platform(platform, where, desktops, monkeypatch, capsys):
    monkeypatch.setattr(sys, "platform", platform)
    assert cli.main(["config", "claude-desktop", "--write"]) == 0
    config = desktops[where[0]].joinpath(*where[1:], "claude_desktop_config.json")
    entry = json.loads(config.read_bytes())["mcpServers"]["openai-images"]
    assert entry == {"command": os.path.abspath(sys.executable), "args": [str(ROOT / "openai_images_mcp.py")]}
    assert capsys.readouterr().out.startswith(f"Added the openai-images entry in {config}")


def test_config_write_on_windows_finds_the_claude_desktop_installed_from_claude_ai(desktops, monkeypatch):
    """The MSIX package reads its own copy of %APPDATA%: an entry written to the real one would never load."""
    roaming = desktops["local"] / "Packages" / "Claude_pzs8sxrjxfjjc" / "LocalCache" / "Roaming"
    (roaming / "Claude").mkdir(parents=True)
    monkeypatch.setattr(sys, "platform", "win32")
    assert cli.main(["config", "claude-desktop", "--write"]) == 0
    assert "openai-images" in json.loads((roaming / "Claude" / "claude_desktop_config.json").read_bytes())["mcpServers"]
    assert not desktops["appdata"].exists()


def test_a_path_with_backslashes_is_written_json_escaped_and_reads_back_exactly(desktops, monkeypatch, tmp_path):
    # os.path here is posixpath, so C:\ cannot be made absolute on Linux; the backslashes are what JSON must escape.
    python = tmp_path / "Zoë 狐" / ".venv\\Scripts\\python.exe"
    monkeypatch.setattr(sys, "executable", str(python))
    monkeypatch.setattr(sys, "platform", "win32")
    assert cli.main(["config", "claude-desktop", "--write"]) == 0
    config = desktops["appdata"] / "Claude" / "claude_desktop_config.json"
    assert '.venv\\\\Scripts\\\\python.exe"' in config.read_text("utf-8")
    assert json.loads(config.read_bytes())["mcpServers"]["openai-images"]["command"] == str(python)


def _claude_code_line(err: str) -> str:
    [line] = [line for line in err.splitlines() if "claude mcp add" in line]
    return line[line.index("claude mcp add") :]


def test_the_claude_code_line_is_quoted_for_cmd_on_windows(desktops, monkeypatch, tmp_path, capsys):
    python = tmp_path / "Zoë 狐" / "Scripts" / "python.exe"
    monkeypatch.setattr(sys, "executable", str(python))
    monkeypatch.setattr(sys, "platform", "win32")
    assert cli.main(["config", "claude-code"]) == 0
    err = capsys.readouterr().err
    script = ROOT / "openai_images_mcp.py"
    assert _claude_code_line(err) == (
        f'claude mcp add --scope user openai-images -e OPENAI_API_KEY=%OPENAI_API_KEY% -- "{python}" {subprocess.list2cmdline([str(script)])}'
    )
    assert "PowerShell" in err


def test_the_claude_code_line_is_quoted_for_sh_elsewhere(desktops, monkeypatch, tmp_path, capsys):
    python = tmp_path / "Zoë's 狐" / "bin" / "python"
    monkeypatch.setattr(sys, "executable", str(python))
    assert cli.main(["config", "claude-code"]) == 0
    line = _claude_code_line(capsys.readouterr().err)
    assert line.startswith('claude mcp add --scope user openai-images -e OPENAI_API_KEY="$OPENAI_API_KEY" -- ')
    assert shlex.split(line.split(" -- ", 1)[1]) == [str(python), str(ROOT / "openai_images_mcp.py")]


# --- signals: Windows' event loop has no add_signal_handler ---------------------------------------------


class _WindowsLikeLoop(asyncio.SelectorEventLoop):
    """An event loop that, like Windows' ProactorEventLoop, cannot take signal handlers."""

    def add_signal_handler(self, sig, callback, *args):
        raise NotImplementedError


@pytest.fixture
def signal_handlers():
    """Whatever a test does to SIGINT and SIGTERM is undone."""
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


@pytest.mark.parametrize("loop_class", [_WindowsLikeLoop, asyncio.SelectorEventLoop], ids=["windows", "posix"])
def test_sigterm_stops_the_server_whether_or_not_the_loop_takes_signal_handlers(loop_class, signal_handlers):
    loop = loop_class()
    stopped: list[str] = []

    async def serve() -> None:
        stop_event = asyncio.Event()

        def stop(name: str) -> None:
            stopped.append(name)
            stop_event.set()

        stdio_wire.stop_on_signals(asyncio.get_running_loop(), stop)
        signal.raise_signal(signal.SIGTERM)
        await asyncio.wait_for(stop_event.wait(), timeout=5)

    try:
        loop.run_until_complete(serve())
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    finally:
        loop.close()
    assert stopped == ["SIGTERM"]
