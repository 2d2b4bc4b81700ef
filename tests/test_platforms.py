"""The platform branches, run here on Linux with the platform substituted: what Windows and macOS take."""

from __future__ import annotations

import errno
import importlib
import os
import sys

import pytest

from openai_images import safefiles


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
