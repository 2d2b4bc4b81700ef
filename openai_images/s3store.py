"""Conversations, usage counts and images in an S3-compatible bucket: the object-store backend of backends.py.

OPENAI_IMAGES_STORAGE=s3://bucket/prefix selects it; OPENAI_IMAGES_S3_ENDPOINT points it at an
S3-compatible service other than AWS (Cloudflare R2, MinIO ...). The region and the credentials come
from boto3's usual chain (AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, a profile, a role).

Keys are `<prefix>/<sub>/<name>`, where the caller chooses `sub` (for example
`users/u_abc/conversations`). Several server replicas may rewrite the same document, so
`update` is a conditional write: it reads the object and its ETag, and puts the new bytes with
`If-Match: <that ETag>` (or `If-None-Match: *` for a new object). When another replica wrote
in between, the store answers 412 PreconditionFailed (409 ConditionalRequestConflict while the
other write is still in flight), and the change is applied again to the fresh bytes, after a
jittered pause, for up to LOCK_TIMEOUT_SECONDS. AWS S3 honours both headers on PutObject (If-Match
since November 2024, https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html),
and so do Cloudflare R2 and current MinIO; a store that ignored them would let replicas lose turns.

Images are written once with `If-None-Match: *`, so a name is never overwritten, and are shown
through presigned GET links that expire. Nothing here logs credentials, links or image bytes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import itertools
import logging
import random
import re
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from openai_images import imagefiles
from openai_images.backends import LOCK_TIMEOUT_SECONDS, Change
from openai_images.errors import ConfigurationError, InvalidInput, StorageError
from openai_images.imagefiles import CheckedImage, SavedImage

log = logging.getLogger("openai_images_mcp.s3store")

DEFAULT_LINK_SECONDS = 3600
MAX_LINK_SECONDS = 7 * 24 * 3600  # the longest a SigV4 presigned URL may live
FRESH_NAMES = 5  # fresh image names tried when the chosen one holds other bytes
WRITE_ID = "openai-images-write"  # metadata (x-amz-meta-openai-images-write): which update wrote a document

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")  # S3's rules; R2 and MinIO use the same
_SEGMENT = re.compile(r"[A-Za-z0-9._=+-]+")  # one folder of a key prefix: characters every S3-compatible store takes as they are
_ENDPOINT = re.compile(r"https?://[^/?#@\s]+/?")
_RACE_LOST = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey"})  # NoSuchKey: If-Match on an object deleted since
_MISSING = {"NoSuchKey", "404", "NotFound"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclasses.dataclass(frozen=True)
class _Place:
    """Where the objects of one document or image folder live: the client, the bucket and the key prefix."""

    client: Any = dataclasses.field(repr=False)
    bucket: str
    base: str  # `<prefix>/<sub>`, without slashes at either end

    @property
    def label(self) -> str:
        return f"s3://{self.bucket}/{self.base}"

    def key(self, name: str) -> str:
        return f"{self.base}/{name}"


def parse_storage_url(url: str) -> tuple[str, str]:
    """(bucket, prefix) of s3://bucket or s3://bucket/prefix (prefix "" when there is none); ConfigurationError otherwise."""
    allowed = (
        f"OPENAI_IMAGES_STORAGE={url[:200]!r} is not an object-store location: give s3://bucket or s3://bucket/prefix "
        "(bucket: 3 to 63 lowercase letters, digits, dots and hyphens; prefix: folders of letters, digits and . _ - = +)."
    )
    if not isinstance(url, str) or not url.startswith("s3://"):
        raise ConfigurationError(allowed)
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    prefix = prefix.strip("/")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise ConfigurationError(allowed)
    if prefix and not all(_SEGMENT.fullmatch(part) and part not in (".", "..") for part in prefix.split("/")):
        raise ConfigurationError(allowed)
    return bucket, prefix


def open_bucket(url: str, *, endpoint: str | None) -> Bucket:
    """The bucket OPENAI_IMAGES_STORAGE names, through `endpoint` (OPENAI_IMAGES_S3_ENDPOINT) when given.

    Nothing is sent yet: a wrong bucket or missing credentials show on the first read or write (or
    in `Bucket.check`). ConfigurationError for a malformed URL or endpoint, or when boto3 is missing.
    """
    bucket, prefix = parse_storage_url(url)
    if endpoint is not None and not _ENDPOINT.fullmatch(endpoint):
        raise ConfigurationError(
            f"OPENAI_IMAGES_S3_ENDPOINT={endpoint[:200]!r} is not an endpoint URL: give https://host[:port] "
            "(for example https://<account>.r2.cloudflarestorage.com or http://localhost:9000), without a path or credentials."
        )
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise ConfigurationError(
            "OPENAI_IMAGES_STORAGE names an S3 bucket, but boto3 is not installed: "
            "pip install 'openai-images-mcp[s3]' (or pip install boto3)."
        ) from None
    config = Config(
        signature_version="s3v4",  # R2 and newer AWS regions accept nothing else, also for presigned links
        # Custom endpoints (MinIO, moto) usually have no per-bucket host names; virtual-host style is AWS's default.
        s3={"addressing_style": "path"} if endpoint else {},
        retries={"mode": "standard", "max_attempts": 4},
        connect_timeout=5,
        read_timeout=30,
        max_pool_connections=20,
    )
    if endpoint:
        # boto3 1.36 began adding CRC checksums to every upload, which several S3-compatible stores refuse.
        config = config.merge(Config(request_checksum_calculation="when_required", response_checksum_validation="when_required"))
    session = boto3.session.Session()
    if endpoint is None and session.region_name is None:
        log.warning("AWS_REGION is not set: boto3 assumes us-east-1, and links to a bucket in another region will not open")
    opened = Bucket(session.client("s3", endpoint_url=endpoint, config=config), bucket, prefix)
    log.info("Using the bucket %s%s", opened.label, f" at {endpoint}" if endpoint else "")
    return opened


class Bucket:
    """One bucket and key prefix; hands out the document and image folders under it."""

    def __init__(self, client: Any, bucket: str, prefix: str):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.label = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"

    def documents(self, sub: str) -> BucketDocuments:
        """The documents under `<prefix>/<sub>/`; ValueError when `sub` is not a relative key prefix (a bug in the caller)."""
        return BucketDocuments(self._place(sub))

    def images(self, sub: str, *, link_seconds: int = DEFAULT_LINK_SECONDS) -> BucketImages:
        """The images under `<prefix>/<sub>/`, their previews under `<prefix>/<sub>/previews/`; links live `link_seconds`."""
        if not 1 <= link_seconds <= MAX_LINK_SECONDS:
            raise ValueError(f"link_seconds must be from 1 to {MAX_LINK_SECONDS} (7 days), not {link_seconds}")
        return BucketImages(self._place(sub), link_seconds=link_seconds)

    def check(self) -> None:
        """Ask the store for one key under the prefix: OSError saying what is wrong (no bucket, no access, no answer)."""
        with _translated(where=f"cannot list {self.label}"):
            self.client.list_objects_v2(Bucket=self.bucket, Prefix=f"{self.prefix}/" if self.prefix else "", MaxKeys=1)

    def _place(self, sub: str) -> _Place:
        parts = sub.split("/") if isinstance(sub, str) else [""]
        if not all(_SEGMENT.fullmatch(part) and part not in (".", "..") for part in parts):
            raise ValueError(f"not a relative key prefix of plain segments: {str(sub)[:200]!r}")
        return _Place(self.client, self.bucket, "/".join([self.prefix, *parts] if self.prefix else parts))


class BucketDocuments:
    """backends.Documents in a bucket: `<name>.json` objects under one key prefix, rewritten by conditional writes."""

    def __init__(self, place: _Place):
        self._place = place
        self.label = place.label

    def read(self, name: str, limit: int) -> bytes:
        """The document's bytes; FileNotFoundError when there is none, OSError when it is over `limit` bytes or unreadable."""
        return _get(self._place, _document_key(self._place, name), limit).data

    def update(self, name: str, change: Change, limit: int) -> bytes | None:
        """Apply `change` atomically against every other writer (If-Match on the ETag read); the bytes written (None: unchanged).

        TimeoutError when other writers kept getting in first for LOCK_TIMEOUT_SECONDS.

        Each write carries a random id in its metadata: when boto3 retries a write whose answer was
        lost, the retry fails its condition, and finding that id on the object shows the write is done
        (equal bytes would not: another writer may have made the same change to the same bytes).
        """
        key = _document_key(self._place, name)
        deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
        attempt, written, write = 0, None, None
        while True:
            try:
                current: _Object | None = _get(self._place, key, limit)
            except FileNotFoundError:
                current = None
            if write is not None and current is not None and current.write == write:
                return written
            written = change(current.data if current else None)
            if written is None:
                return None
            write = secrets.token_hex(8)
            condition = {"IfMatch": current.etag} if current else {"IfNoneMatch": "*"}
            if _put(self._place, key, written, content_type="application/json", condition=condition, write=write) is None:
                return written
            log.debug("%s changed while it was updated; trying again (attempt %d)", key, attempt + 2)
            if not _pause(attempt, deadline):
                log.warning("Gave up updating %s/%s: other writers kept getting in first", self.label, name)
                raise TimeoutError(errno.ETIMEDOUT, f"other writers kept changing it for {LOCK_TIMEOUT_SECONDS} s")
            attempt += 1

    def names(self) -> list[tuple[int, str]]:
        """(last modified, in ns since the epoch; name) of every `*.json` object directly under the prefix."""
        start = f"{self._place.base}/"
        found = []
        with _translated():
            pages = self._place.client.get_paginator("list_objects_v2").paginate(Bucket=self._place.bucket, Prefix=start, Delimiter="/")
            for page in pages:
                for item in page.get("Contents", ()):
                    name = item["Key"][len(start) :]
                    if name.endswith(".json") and not name.startswith("."):
                        found.append((_nanoseconds(item["LastModified"]), name))
        return found


class BucketImages:
    """backends.Images in a bucket: written once under names like imagefiles.image_file_name, shown through presigned links."""

    def __init__(self, place: _Place, *, link_seconds: int):
        self._place = place
        self.link_seconds = link_seconds
        self.label = place.label

    def save(self, image: CheckedImage, *, stem: str | None) -> SavedImage:
        """Store the bytes unchanged at `<stem>.<ext>` (a fresh name when that holds other bytes); the saved image with its link.

        The same bytes already at that name (another replica collected the same render) are the
        saved image. StorageError when nothing could be stored.
        """
        extension = image.extension
        chosen = f"{stem}.{extension}" if stem is not None and imagefiles.SAVED_NAME.fullmatch(f"{stem}.{extension}") else None
        fresh = (imagefiles.image_file_name(extension) for _ in range(FRESH_NAMES))
        content_type = imagefiles.INPUT_FORMATS.get(image.format.upper(), f"image/{image.format.lower()}")
        try:
            for name in itertools.chain([chosen] if chosen else [], fresh):
                key = self._place.key(name)
                if self._put_new(key, image.data, content_type=content_type):
                    log.info("Saved %s (%d bytes)", self._location(key), len(image.data))
                    return self._saved(key, image)
                if self._holds(key, image.data):  # another replica collected the same render, or boto3 retried our write
                    log.info("%s already holds this image", self._location(key))
                    return self._saved(key, image)
        except OSError as exc:
            raise StorageError(
                f"Could not store the image in {self.label} ({exc.strerror or exc}); nothing was saved, though OpenAI made it. "
                "Check the bucket's permissions (s3:PutObject) and OPENAI_IMAGES_S3_ENDPOINT."
            ) from None
        raise StorageError(f"Could not find a free image name in {self.label}; nothing was saved.")

    def save_preview(self, saved: SavedImage, preview: bytes) -> SavedImage:
        """Store the preview JPEG at `previews/<stem>.jpg`; `saved` with its image and preview links.

        The image is stored already, so a preview that cannot be stored is logged and the result
        has no preview_url rather than failing the whole call.
        """
        key = self._key_of(saved.location)
        preview_key = self._preview_key(key)
        try:
            _put(self._place, preview_key, preview, content_type="image/jpeg", condition={})
        except OSError as exc:
            log.warning("Could not store the preview of %s: %s", saved.location, exc.strerror or exc)
            return dataclasses.replace(saved, url=self._link(key), preview_url=None)
        return dataclasses.replace(saved, url=self._link(key), preview_url=self._link(preview_key))

    def read(self, location: str, limit: int) -> bytes:
        """The bytes of an image saved here; InvalidInput for any other location, FileNotFoundError or OSError when unreadable."""
        return _get(self._place, self._key_of(location), limit).data

    def link(self, location: str) -> str:
        """A fresh presigned GET link to the image at `location` (checked as `read` does); InvalidInput for any other location."""
        return self._link(self._key_of(location))

    def links(self, location: str) -> tuple[str, str]:
        """Fresh presigned links (image, preview) for an image saved here; the preview's link is not checked for an object."""
        key = self._key_of(location)
        return self._link(key), self._link(self._preview_key(key))

    def linked(self, saved: SavedImage) -> SavedImage:
        """A saved image shown again: `saved` with fresh links to it and to its preview."""
        url, preview_url = self.links(saved.location)
        return dataclasses.replace(saved, url=url, preview_url=preview_url)

    def _key_of(self, location: str) -> str:
        """The key of a location read from a conversation file: only s3://<bucket>/<this prefix>/<a saved image's name>."""
        start = f"s3://{self._place.bucket}/{self._place.base}/"
        name = location[len(start) :] if isinstance(location, str) and location.startswith(start) else ""
        if not imagefiles.SAVED_NAME.fullmatch(name):
            raise InvalidInput(
                f"The saved image location {str(location)[:200]!r} is not an image this server stored in {self.label} "
                "(openai_image_YYYYMMDD_HHMMSS_XXXXXXXX.png), so it is not read."
            )
        return self._place.key(name)

    def _preview_key(self, key: str) -> str:
        return self._place.key(f"previews/{key.rsplit('/', 1)[-1].rsplit('.', 1)[0]}.jpg")

    def _location(self, key: str) -> str:
        return f"s3://{self._place.bucket}/{key}"

    def _saved(self, key: str, image: CheckedImage) -> SavedImage:
        return SavedImage(
            location=self._location(key),
            format=image.format,
            width=image.width,
            height=image.height,
            byte_size=len(image.data),
            url=self._link(key),
        )

    def _put_new(self, key: str, data: bytes, *, content_type: str) -> bool:
        """Put `data` at `key` unless an object is there; False when one is (409: another write in flight, so wait and ask again)."""
        deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
        attempt = 0
        while (lost := _put(self._place, key, data, content_type=content_type, condition={"IfNoneMatch": "*"})) is not None:
            if lost != "ConditionalRequestConflict" or not _pause(attempt, deadline):
                return False
            attempt += 1
        return True

    def _holds(self, key: str, data: bytes) -> bool:
        try:
            return _get(self._place, key, len(data)).data == data
        except OSError:
            return False

    def _link(self, key: str) -> str:
        with _translated(where="cannot make a link"):
            return self._place.client.generate_presigned_url(
                "get_object", Params={"Bucket": self._place.bucket, "Key": key}, ExpiresIn=self.link_seconds
            )


def _document_key(place: _Place, name: str) -> str:
    if not isinstance(name, str) or "/" in name or name.startswith(".") or not name.endswith(".json"):
        raise OSError(errno.EINVAL, "not a document name", str(name)[:200])
    return place.key(name)


class _Object(NamedTuple):
    data: bytes
    etag: str
    write: str | None  # the id of the update that wrote it (its metadata WRITE_ID)


def _get(place: _Place, key: str, limit: int) -> _Object:
    """The object at `key`; FileNotFoundError when there is none, OSError EFBIG over `limit` bytes, else EIO."""
    with _translated(missing=key):
        answer = place.client.get_object(Bucket=place.bucket, Key=key)
        body = answer["Body"]
        try:
            if answer.get("ContentLength", 0) > limit:
                raise _too_big(answer["ContentLength"], limit)
            data = body.read(limit + 1)
        finally:
            body.close()
    if len(data) > limit:
        raise _too_big(len(data), limit)
    return _Object(data, answer["ETag"], answer.get("Metadata", {}).get(WRITE_ID))


def _put(place: _Place, key: str, data: bytes, *, content_type: str, condition: dict[str, str], write: str | None = None) -> str | None:
    """Put `data` at `key` if `condition` (IfMatch / IfNoneMatch) holds: None when written, else the store's error code.

    An error code means another writer got in first; OSError for any other failure. `write` is kept as metadata.
    """
    metadata = {"Metadata": {WRITE_ID: write}} if write else {}
    try:
        with _translated(passing=_RACE_LOST):
            place.client.put_object(Bucket=place.bucket, Key=key, Body=data, ContentType=content_type, **condition, **metadata)
    except _Lost as lost:
        return lost.code
    return None


def _pause(attempt: int, deadline: float) -> bool:
    """Sleep a jittered, growing pause before try `attempt + 2`; False (no sleep) when the deadline has passed."""
    left = deadline - time.monotonic()
    if left <= 0:
        return False
    time.sleep(min(left, random.uniform(0, min(1.0, 0.02 * 2**attempt))))
    return True


class _Lost(Exception):
    """A conditional write lost its race: another writer got in first."""

    def __init__(self, code: str):
        self.code = code


@contextlib.contextmanager
def _translated(*, where: str = "", missing: str | None = None, passing: frozenset[str] = frozenset()) -> Iterator[None]:
    """Turn boto3's failures into the OSErrors backends.py promises, with short messages that hold no link or credential.

    `where` opens the message; `missing` (a key) makes NoSuchKey a FileNotFoundError; codes in `passing` raise _Lost.
    """
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        HTTPClientError,
        NoCredentialsError,
        PartialCredentialsError,
    )
    from botocore.exceptions import ConnectionError as NoConnection

    opening = f"{where}: " if where else ""
    try:
        yield
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in passing:
            raise _Lost(code) from None
        if missing is not None and code in _MISSING:
            raise FileNotFoundError(errno.ENOENT, "no such object", missing) from None
        reason = {
            "NoSuchBucket": "the bucket does not exist",
            "AccessDenied": "access denied: check the credentials and the bucket's permissions",
            "InvalidAccessKeyId": "the store does not know this AWS_ACCESS_KEY_ID",
            "SignatureDoesNotMatch": "the store refused the signature: check AWS_SECRET_ACCESS_KEY and AWS_REGION",
        }.get(code, f"the store answered {code or 'an error'}" + (f" (HTTP {status})" if status else ""))
        raise OSError(errno.EIO, opening + reason) from None
    except (NoCredentialsError, PartialCredentialsError):
        raise OSError(
            errno.EIO, opening + "no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use a profile or role)"
        ) from None
    except (NoConnection, HTTPClientError) as exc:  # no connection, a timeout, a connection closed halfway
        raise OSError(errno.EIO, opening + f"the store did not answer ({type(exc).__name__})") from None
    except BotoCoreError as exc:
        raise OSError(errno.EIO, opening + f"boto3 failed ({type(exc).__name__})") from None


def _too_big(size: int, limit: int) -> OSError:
    return OSError(errno.EFBIG, f"it is {_amount(size)}, over the {_amount(limit)} limit")


def _amount(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB" if size >= 1024 else f"{size} bytes"


def _nanoseconds(when: datetime) -> int:
    """Exact, where a float timestamp would lose the microseconds."""
    return (when - _EPOCH) // timedelta(microseconds=1) * 1000
