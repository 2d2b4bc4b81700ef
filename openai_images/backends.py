"""Where conversations, usage counts and images are kept: the small interface every storage backend offers, and the local folders.

Two kinds of things are stored. Documents (a conversation's JSON, a day's usage counts) are
small and rewritten in place by several writers, so their one write operation is an atomic
read-modify-write, `update(name, change)`: the local folders hold a lock file around it, an
object store (`s3store.py`) writes conditionally on the ETag it read and tries again when
another replica got in first. Images are written once and never changed.

Both backends speak the same errors, which `storage.py` and `limits.py` turn into messages:
FileNotFoundError when a name is missing, TimeoutError when a write could not get in, and any
other OSError (with `strerror` saying what happened) for the rest.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from openai_images import imagefiles
from openai_images.imagefiles import CheckedImage, SavedImage
from openai_images.safefiles import atomic_write, held_lock, read_regular_file

LOCK_TIMEOUT_SECONDS = 30

Change = Callable[[bytes | None], bytes | None]
"""Given a document's bytes (None when it does not exist yet), its new bytes, or None to leave it as it is.

It may be called more than once, with fresher bytes each time, so it must not keep state between calls.
"""


class Documents(Protocol):
    """Small documents, each named `<something>.json`, under one folder or key prefix."""

    label: str  # where they are, as the user reads it: a folder, or s3://bucket/prefix

    def read(self, name: str, limit: int) -> bytes:
        """The document's bytes; FileNotFoundError when there is none, OSError when it is unreadable or over `limit` bytes."""
        ...

    def update(self, name: str, change: Change, limit: int) -> bytes | None:
        """Apply `change` to the document atomically against every other writer; the bytes written (None: unchanged)."""
        ...

    def names(self) -> list[tuple[int, str]]:
        """(last modified, in ns since the epoch; name) of every document."""
        ...


class Images(Protocol):
    """Saved images: written once, named like imagefiles.image_file_name, never changed."""

    label: str

    def save(self, image: CheckedImage, *, stem: str | None) -> SavedImage:
        """Store the image's bytes unchanged under `stem` (or a fresh name when that is taken by other bytes); the same bytes already there are the saved image."""
        ...

    def save_preview(self, saved: SavedImage, preview: bytes) -> SavedImage:
        """Keep the preview JPEG beside the image where links are given; the image with its links filled in."""
        ...

    def read(self, location: str, limit: int) -> bytes:
        """The bytes of an image this backend saved at `location` (from a conversation file, so untrusted); OSError or InvalidInput."""
        ...

    def linked(self, saved: SavedImage) -> SavedImage:
        """A saved image shown again, with fresh links where this backend gives them."""
        ...


class FolderImages:
    """Images as files in the output folder (OPENAI_IMAGES_OUTPUT_DIR). No links: a path is what a local client needs."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.label = str(folder)

    def save(self, image: CheckedImage, *, stem: str | None) -> SavedImage:
        return imagefiles.save_image(image, self.folder, stem=stem)

    def save_preview(self, saved: SavedImage, preview: bytes) -> SavedImage:
        return saved

    def read(self, location: str, limit: int) -> bytes:
        return read_regular_file(location, limit, follow_links=True)

    def linked(self, saved: SavedImage) -> SavedImage:
        return saved


class FolderDocuments:
    """Documents as files in `folder`, rewritten atomically under a lock file in `locks` (shared by every process)."""

    def __init__(self, folder: Path, locks: Path):
        self.folder = folder
        self.locks = locks
        self.label = str(folder)

    def read(self, name: str, limit: int) -> bytes:
        return read_regular_file(self.folder / name, limit, follow_links=False)

    def update(self, name: str, change: Change, limit: int) -> bytes | None:
        with held_lock(self.locks / f"{name.removesuffix('.json')}.lock", timeout=LOCK_TIMEOUT_SECONDS):
            try:
                current: bytes | None = self.read(name, limit)
            except FileNotFoundError:
                current = None
            data = change(current)
            if data is not None:
                self.folder.mkdir(parents=True, exist_ok=True)
                atomic_write(self.folder / name, data)
            return data

    def names(self) -> list[tuple[int, str]]:
        """Plain strings: 10,000 Paths cost 60 ms. Links and other odd entries are listed, and refused when read."""
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return []
        found = []
        for entry in entries:
            if entry.name.endswith(".json") and not entry.name.startswith("."):
                try:
                    found.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.name))
                except OSError:
                    continue
        return found


def refused_lock(exc: OSError) -> bool:
    """True when a lock could not be taken because the lock file is not a regular file (a FIFO would hang, a link redirect)."""
    return exc.errno == errno.EINVAL
