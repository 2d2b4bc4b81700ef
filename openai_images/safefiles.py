"""Files handled with care: a read that may meet a hostile file, a write that appears whole or not at all, and a lock.

The server reads paths it did not choose (the user's images) and files anyone may have edited
(its own conversations), so a FIFO, a device, a folder or a huge file must answer at once with
an OSError rather than hang a worker thread or fill the memory. It rewrites files people rely on
(conversations, a client's config), so a write goes to a temporary file beside the target, is
fsynced, and then replaces the target in one rename.

The differences between Linux, macOS and Windows in these calls live here, each under
`sys.platform == "win32"` (what mypy --platform narrows on): the open flags, the rename that
Windows refuses while another process has the target open, and the std streams' encoding.
tests/test_platforms.py runs every one of these branches on Linux.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
import logging
import os
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if sys.platform == "win32":
    # No O_NONBLOCK: a named pipe (\\.\pipe\...) opens at once or fails, and fstat then refuses it like a device.
    # No O_NOFOLLOW: read_regular_file asks os.path.islink first.
    # Without O_BINARY, Windows opens a file in text mode and writes every \n as \r\n: a PNG would be corrupt.
    _READ_FLAGS = os.O_RDONLY | os.O_BINARY
    _NO_FOLLOW = 0
    NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_BINARY
    # A hard link on FAT or exFAT (a USB stick) fails with ERROR_INVALID_FUNCTION, which Python maps to EINVAL.
    NO_HARD_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK, errno.EINVAL})
else:
    _READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
    _NO_FOLLOW = os.O_NOFOLLOW
    NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    NO_HARD_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK})
"""NEW_FILE_FLAGS: os.open flags for a file that must not exist yet, written as bytes: every os.open that creates a file uses these.
NO_HARD_LINKS: the errno of os.link on a file system without hard links (FAT, some network shares)."""

# Windows refuses to rename over a file another process has open (a reader of the same conversation, an
# antivirus or search indexer scanning the new config) with PermissionError, for as long as it is held.
REPLACE_RETRY_DELAYS = (0.02, 0.05, 0.1, 0.2, 0.4, 0.8)

log = logging.getLogger("openai_images_mcp.safefiles")


def read_regular_file(path: Path | str, limit: int, *, follow_links: bool) -> bytes:
    """The bytes of `path` if it is a regular file of at most `limit` bytes; OSError saying why not.

    The errno tells the caller what was wrong: ENOENT, ELOOP (a link, with follow_links false),
    EISDIR, EINVAL (not a regular file) or EFBIG (over `limit`, or grown past it while read).
    """
    flags = _READ_FLAGS if follow_links else _READ_FLAGS | _NO_FOLLOW
    try:
        if sys.platform == "win32" and not follow_links and os.path.islink(path):
            raise OSError(errno.ELOOP, "it is a symbolic link")  # no O_NOFOLLOW on Windows: ask first
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_links:
            raise OSError(errno.ELOOP, "it is a symbolic link, not a file this server wrote") from None
        if sys.platform == "win32" and exc.errno == errno.EACCES and os.path.isdir(path):  # Windows will not open a folder
            raise IsADirectoryError(errno.EISDIR, "it is a folder") from None
        raise
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "it is a folder")
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "it is not a regular file")
        if info.st_size > limit:
            raise OSError(errno.EFBIG, f"it is {info.st_size / 1024 / 1024:.1f} MB, over the {limit // 1024 // 1024} MB limit")
        chunks, size = [], 0
        while size <= limit:  # plain reads of what fstat says is there: a larger read size costs a buffer that size
            chunk = os.read(fd, max(info.st_size - size, 0) + 1)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:
        raise OSError(errno.EFBIG, f"it grew past the {limit // 1024 // 1024} MB limit while it was read")
    return b"".join(chunks)


def atomic_write(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace `path` with `data` whole or not at all (a temporary file in the same folder, fsync, rename); `mode` sets its permissions."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        replace_file(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def replace_file(source: Path | str, target: Path | str) -> None:
    """Rename `source` over `target` in one step (os.replace); on Windows, wait out another process holding `target` open.

    Windows answers PermissionError while the target is open elsewhere; the rename is tried again after each of
    REPLACE_RETRY_DELAYS (1.6 s in all). If it still fails, PermissionError names `target`, says why, and leaves
    `source` for the caller to remove. Elsewhere a PermissionError is a real one and is raised at once.
    """
    delays: tuple[float, ...] = REPLACE_RETRY_DELAYS if sys.platform == "win32" else ()
    for delay in delays:
        try:
            os.replace(source, target)
            return
        except PermissionError as exc:
            log.debug("Replacing %s was refused (%s); trying again in %.2f s", target, exc, delay)
            time.sleep(delay)
    try:
        os.replace(source, target)
    except PermissionError as exc:
        if not delays:
            raise
        raise PermissionError(
            errno.EACCES,
            f"another program keeps it open, so Windows refused to replace it ({len(delays) + 1} tries in "
            f"{sum(delays):.1f} s): close that program, or wait for it, and try again",
            str(target),
        ) from exc


def utf8_std_streams(*streams: Any) -> None:
    """Make each text stream (sys.stderr, sys.stdout) write any text instead of raising UnicodeEncodeError.

    On Windows a pipe or a redirected file gets the ANSI code page (cp1252 cannot write 狐 or →), so the
    stream is switched to UTF-8 there, as Python's own UTF-8 mode does; everywhere, a character the
    encoding cannot hold is written as a \\u escape rather than ending the program. Never call it on the
    stdio server's stdout: that is the JSON-RPC wire, which the MCP SDK writes as UTF-8 itself.
    """
    for stream in streams:
        if not isinstance(stream, io.TextIOWrapper):  # None under pythonw, or a test's StringIO: nothing to change
            continue
        if sys.platform == "win32" and not codecs.lookup(stream.encoding).name.startswith("utf"):
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")
        else:
            stream.reconfigure(errors="backslashreplace")


@contextlib.contextmanager
def held_lock(path: Path, *, timeout: float) -> Iterator[None]:
    """Hold the lock file `path` (shared by every process), waiting up to `timeout` seconds.

    A lock file that is not a regular file (a FIFO would hang the wait, a link redirect it) is
    refused with OSError EINVAL; waiting too long raises TimeoutError (filelock's Timeout).
    """
    from filelock import FileLock

    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        if not stat.S_ISREG(os.lstat(path).st_mode):
            raise OSError(errno.EINVAL, "the lock file is not a regular file", str(path))
    lock = FileLock(str(path), timeout=timeout)
    lock.acquire()
    try:
        yield
    finally:
        lock.release()
