"""s3store against a real S3-compatible server (moto's, started by tests/s3_server.py): documents, conditional writes, images and links."""

from __future__ import annotations

import base64
import errno
import io
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from conftest import ROOT
from PIL import Image
from s3_server import SECRET_KEY

from openai_images import imagefiles, s3store
from openai_images.errors import ConfigurationError, InvalidInput, StorageError

pytestmark = pytest.mark.slow

LIMIT = 1024 * 1024
USER = "users/u_test"


def _noise_png(size: tuple[int, int] = (256, 256)) -> bytes:
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def _checked(data: bytes) -> imagefiles.CheckedImage:
    return imagefiles.check_image(base64.b64encode(data).decode())


def _increment(current: bytes | None) -> bytes:
    counter = json.loads(current) if current else {"count": 0}
    return json.dumps({"count": counter["count"] + 1}).encode()


@pytest.fixture
def bucket(s3_bucket):
    return s3store.open_bucket(s3_bucket.env["OPENAI_IMAGES_STORAGE"] + "/team", endpoint=s3_bucket.endpoint)


@pytest.fixture
def documents(bucket):
    return bucket.documents(f"{USER}/conversations")


@pytest.fixture
def images(bucket):
    return bucket.images(f"{USER}/images", link_seconds=600)


# Documents


def test_a_document_written_by_update_reads_back_from_its_key(s3_bucket, documents):
    written = documents.update("c_1.json", lambda current: b'{"turns": []}' if current is None else None, LIMIT)

    assert written == b'{"turns": []}'
    assert documents.read("c_1.json", LIMIT) == b'{"turns": []}'
    stored = s3_bucket.client().get_object(Bucket=s3_bucket.bucket, Key=f"team/{USER}/conversations/c_1.json")
    assert stored["Body"].read() == b'{"turns": []}'
    assert stored["ContentType"] == "application/json"
    assert documents.label == f"s3://{s3_bucket.bucket}/team/{USER}/conversations"


def test_update_passes_the_current_bytes_and_none_leaves_the_document_as_it_is(documents):
    documents.update("c_1.json", _increment, LIMIT)
    seen = []

    assert documents.update("c_1.json", lambda current: seen.append(current), LIMIT) is None
    assert seen == [b'{"count": 1}']
    assert documents.update("c_2.json", lambda current: None, LIMIT) is None
    with pytest.raises(FileNotFoundError):
        documents.read("c_2.json", LIMIT)


# Each replica: wait for "go" on stdin, then increment the counter `count` times; print how often `change` ran.
REPLICA = """
import json, sys
from openai_images import s3store
documents = s3store.open_bucket(sys.argv[1], endpoint=sys.argv[2]).documents(sys.argv[3])
calls = 0
def increment(current):
    global calls
    calls += 1
    counter = json.loads(current) if current else {"count": 0}
    return json.dumps({"count": counter["count"] + 1}).encode()
print("ready", flush=True)
sys.stdin.readline()
for _ in range(int(sys.argv[4])):
    documents.update("counter.json", increment, 10_000)
print(calls, flush=True)
"""


def test_two_processes_updating_one_document_lose_no_turn(s3_bucket, documents):
    arguments = [s3_bucket.env["OPENAI_IMAGES_STORAGE"] + "/team", s3_bucket.endpoint, f"{USER}/conversations", "30"]
    replicas = [
        subprocess.Popen(
            [sys.executable, "-c", REPLICA, *arguments],
            cwd=ROOT,
            env={**os.environ, **s3_bucket.env},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for replica in replicas:
        assert replica.stdout.readline().strip() == "ready", replica.stderr.read()[-3000:]
    for replica in replicas:  # both start together, so their writes overlap
        replica.stdin.write("go\n")
        replica.stdin.flush()
    outputs = [replica.communicate(timeout=120) for replica in replicas]

    assert [replica.returncode for replica in replicas] == [0, 0], [err[-3000:] for _, err in outputs]
    assert json.loads(documents.read("counter.json", LIMIT)) == {"count": 60}
    calls = sum(int(out.strip()) for out, _ in outputs)
    assert calls >= 60  # more than 60 when a replica lost a race and applied its change again


def test_update_gives_up_with_timeout_error_when_other_writers_always_get_in_first(s3_bucket, documents, monkeypatch):
    monkeypatch.setattr(s3store, "LOCK_TIMEOUT_SECONDS", 1)
    client, key = s3_bucket.client(), f"team/{USER}/conversations/busy.json"
    client.put_object(Bucket=s3_bucket.bucket, Key=key, Body=b'{"count": 0}')
    other_writes = []

    def change_while_another_writer_gets_in(current):
        other_writes.append(b'{"count": %d}' % (1000 * (len(other_writes) + 1)))  # new bytes (a new ETag), never ours
        client.put_object(Bucket=s3_bucket.bucket, Key=key, Body=other_writes[-1])
        return _increment(current)

    started = time.monotonic()
    with pytest.raises(TimeoutError):
        documents.update("busy.json", change_while_another_writer_gets_in, LIMIT)
    assert time.monotonic() - started < 10
    assert len(other_writes) > 2  # it tried again before giving up
    assert documents.read("busy.json", LIMIT) == other_writes[-1]


def test_a_document_created_by_another_writer_meanwhile_is_updated_not_replaced(s3_bucket, documents):
    client, key = s3_bucket.client(), f"team/{USER}/conversations/new.json"
    seen = []

    def change(current):
        seen.append(current)
        if current is None:  # another replica creates it between our read and our write
            client.put_object(Bucket=s3_bucket.bucket, Key=key, Body=b'{"count": 5}')
        return _increment(current)

    assert documents.update("new.json", change, LIMIT) == b'{"count": 6}'
    assert seen == [None, b'{"count": 5}']


def test_a_write_whose_answer_was_lost_is_not_applied_twice(bucket, documents):
    from botocore.exceptions import ReadTimeoutError

    documents.update("lost.json", _increment, LIMIT)
    lost = []

    def deliver_but_lose_the_answer(request, **_):
        if not lost:  # the first PUT reaches the store, its answer never comes back; boto3 sends it again
            lost.append(httpx.request(request.method, request.url, headers=dict(request.headers), content=request.body))
            raise ReadTimeoutError(endpoint_url=request.url)
        return None

    bucket.client.meta.events.register("before-send.s3.PutObject", deliver_but_lose_the_answer)
    calls = []
    written = documents.update("lost.json", lambda current: calls.append(current) or _increment(current), LIMIT)

    assert lost[0].status_code == 200
    assert written == b'{"count": 2}'
    assert calls == [b'{"count": 1}']  # not applied again to its own result
    assert documents.read("lost.json", LIMIT) == b'{"count": 2}'


def test_a_missing_document_is_file_not_found(documents):
    with pytest.raises(FileNotFoundError):
        documents.read("c_missing.json", LIMIT)


def test_a_document_over_the_limit_is_refused_with_efbig(documents):
    documents.update("big.json", lambda current: b"[" + b"0," * 1500 + b"0]", LIMIT)

    with pytest.raises(OSError) as raised:
        documents.read("big.json", 1000)
    assert raised.value.errno == errno.EFBIG
    assert "over the 1000 bytes limit" in raised.value.strerror
    with pytest.raises(OSError) as raised:
        documents.update("big.json", _increment, 1000)
    assert raised.value.errno == errno.EFBIG


def test_names_lists_the_json_documents_directly_under_the_prefix(s3_bucket, documents):
    before = time.time_ns()
    documents.update("c_a.json", _increment, LIMIT)
    documents.update("c_b.json", _increment, LIMIT)
    client, prefix = s3_bucket.client(), f"team/{USER}/conversations/"
    for other in ("notes.txt", ".hidden.json", "archive/c_old.json"):
        client.put_object(Bucket=s3_bucket.bucket, Key=prefix + other, Body=b"{}")
    client.put_object(Bucket=s3_bucket.bucket, Key=f"team/{USER}/other/c_c.json", Body=b"{}")

    found = documents.names()

    assert sorted(name for _, name in found) == ["c_a.json", "c_b.json"]
    assert all(before - 2 * 10**9 <= modified <= time.time_ns() + 2 * 10**9 for modified, _ in found)


def test_names_pages_through_more_than_a_thousand_documents(s3_bucket, bucket):
    client, documents = s3_bucket.client(), bucket.documents("many")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: client.put_object(Bucket=s3_bucket.bucket, Key=f"team/many/c_{n:04d}.json", Body=b"{}"), range(1005)))

    assert len(documents.names()) == 1005


def test_names_of_an_empty_prefix_is_empty(bucket):
    assert bucket.documents("users/u_nobody/conversations").names() == []


def test_a_document_name_with_a_slash_is_refused(documents):
    with pytest.raises(OSError) as raised:
        documents.read("../images/c_1.json", LIMIT)
    assert raised.value.errno == errno.EINVAL


# Images


def test_a_saved_image_downloads_byte_for_byte_through_its_link(s3_bucket, images):
    data = _noise_png()
    stem = imagefiles.image_file_stem()

    saved = images.save(_checked(data), stem=stem)

    assert saved.location == f"s3://{s3_bucket.bucket}/team/{USER}/images/{stem}.png"
    assert (saved.format, saved.width, saved.height, saved.byte_size) == ("png", 256, 256, len(data))
    assert saved.in_bucket and saved.name == f"{stem}.png"
    download = httpx.get(saved.url)
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["content-type"] == "image/png"
    assert "X-Amz-Expires=600" in saved.url


def test_saving_the_same_render_again_gives_the_same_location_and_other_bytes_a_fresh_name(images):
    first, other = _noise_png(), _noise_png()
    stem = imagefiles.image_file_stem()
    saved = images.save(_checked(first), stem=stem)

    again = images.save(_checked(first), stem=stem)
    different = images.save(_checked(other), stem=stem)

    assert again.location == saved.location
    assert different.location != saved.location
    assert imagefiles.SAVED_NAME.fullmatch(different.name)
    assert httpx.get(saved.url).content == first  # the first image was not overwritten
    assert httpx.get(different.url).content == other


def test_a_stem_that_is_not_a_saved_name_gets_a_fresh_name_under_the_prefix(s3_bucket, images):
    saved = images.save(_checked(_noise_png((64, 64))), stem="../../escape")

    assert saved.location.startswith(f"s3://{s3_bucket.bucket}/team/{USER}/images/openai_image_")
    assert imagefiles.SAVED_NAME.fullmatch(saved.name)
    assert images.save(_checked(_noise_png((64, 64))), stem=None).name != saved.name


def test_read_gives_back_the_saved_bytes(images):
    data = _noise_png()
    saved = images.save(_checked(data), stem=None)

    assert images.read(saved.location, imagefiles.MAX_INPUT_BYTES) == data
    with pytest.raises(OSError) as raised:
        images.read(saved.location, 1000)
    assert raised.value.errno == errno.EFBIG


def test_read_of_a_saved_name_with_no_object_is_file_not_found(s3_bucket, images):
    with pytest.raises(FileNotFoundError):
        images.read(f"s3://{s3_bucket.bucket}/team/{USER}/images/{imagefiles.image_file_name('png')}", LIMIT)


@pytest.mark.parametrize(
    "where",
    [
        "s3://other-bucket/team/users/u_test/images/{name}",  # another bucket
        "s3://{bucket}/team/users/u_other/images/{name}",  # another user's images
        "s3://{bucket}/users/u_test/images/{name}",  # outside the prefix
        "s3://{bucket}/team/users/u_test/images/previews/{name}",  # a folder below
        "s3://{bucket}/team/users/u_test/images/../conversations/c_1.json",
        "s3://{bucket}/team/users/u_test/images/notes.png",
        "s3://{bucket}/team/users/u_test/images/{name}\x00.png",
        "/home/me/Downloads/{name}",
        "",
    ],
)
def test_read_refuses_a_location_that_is_not_an_image_saved_here(s3_bucket, images, where):
    location = where.format(bucket=s3_bucket.bucket, name=images.save(_checked(_noise_png((32, 32))), stem=None).name)

    with pytest.raises(InvalidInput) as raised:
        images.read(location, LIMIT)
    assert "not an image this server stored" in str(raised.value)
    assert "\n" not in str(raised.value)
    with pytest.raises(InvalidInput):
        images.links(location)


def test_the_preview_is_kept_beside_the_image_and_its_link_gives_it(s3_bucket, images):
    checked = _checked(_noise_png())
    saved = images.save(checked, stem=imagefiles.image_file_stem())
    preview, _ = imagefiles.make_preview(checked.decoded)

    shown = images.save_preview(saved, preview)

    assert shown.location == saved.location
    assert httpx.get(shown.url).content == checked.data
    download = httpx.get(shown.preview_url)
    assert download.content == preview
    assert download.headers["content-type"] == "image/jpeg"
    stem = saved.name.removesuffix(".png")
    s3_bucket.client().head_object(Bucket=s3_bucket.bucket, Key=f"team/{USER}/images/previews/{stem}.jpg")


def test_links_of_a_saved_image_give_it_and_its_preview_again(images):
    checked = _checked(_noise_png())
    saved = images.save(checked, stem=None)
    preview, _ = imagefiles.make_preview(checked.decoded)
    images.save_preview(saved, preview)

    url, preview_url = images.links(saved.location)

    assert httpx.get(url).content == checked.data
    assert httpx.get(preview_url).content == preview
    assert httpx.get(images.link(saved.location)).content == checked.data


def test_nothing_logged_holds_a_link_or_the_secret_key(images, caplog):
    caplog.set_level("DEBUG", logger="openai_images_mcp.s3store")
    checked = _checked(_noise_png())
    saved = images.save(checked, stem=None)
    images.save_preview(saved, imagefiles.make_preview(checked.decoded)[0])

    assert saved.location in caplog.text
    assert "X-Amz-Signature" not in caplog.text and "Signature=" not in caplog.text
    assert SECRET_KEY not in caplog.text


def test_link_seconds_past_seven_days_are_refused(bucket):
    with pytest.raises(ValueError):
        bucket.images("users/u_test/images", link_seconds=s3store.MAX_LINK_SECONDS + 1)


# The bucket, the settings and failures


@pytest.mark.parametrize(
    "url",
    [
        "bucket/prefix",
        "s3:/bucket",
        "https://bucket/prefix",
        "s3://",
        "s3://ab",
        "s3://Upper-Case",
        "s3://user:secret@bucket",
        "s3://bucket/../other",
        "s3://bucket/a//b",
        "s3://bucket/pre fix",
        "s3://bucket?x=1",
    ],
)
def test_a_storage_url_that_is_not_s3_bucket_prefix_is_a_configuration_error(url):
    with pytest.raises(ConfigurationError) as raised:
        s3store.open_bucket(url, endpoint=None)
    assert "OPENAI_IMAGES_STORAGE" in str(raised.value)
    assert "s3://bucket/prefix" in str(raised.value)


def test_storage_urls_give_the_bucket_and_the_prefix():
    assert s3store.parse_storage_url("s3://my-bucket") == ("my-bucket", "")
    assert s3store.parse_storage_url("s3://my-bucket/") == ("my-bucket", "")
    assert s3store.parse_storage_url("s3://my.bucket-1/team/images-mcp/") == ("my.bucket-1", "team/images-mcp")


def test_the_label_is_the_storage_url(s3_bucket):
    assert s3store.open_bucket(f"s3://{s3_bucket.bucket}/a/b/", endpoint=s3_bucket.endpoint).label == f"s3://{s3_bucket.bucket}/a/b"
    assert s3store.open_bucket(f"s3://{s3_bucket.bucket}", endpoint=s3_bucket.endpoint).label == f"s3://{s3_bucket.bucket}"


@pytest.mark.parametrize("endpoint", ["localhost:9000", "ftp://host", "https://key:secret@host", "https://host/path"])
def test_a_malformed_endpoint_is_a_configuration_error(endpoint):
    with pytest.raises(ConfigurationError) as raised:
        s3store.open_bucket("s3://my-bucket", endpoint=endpoint)
    assert "OPENAI_IMAGES_S3_ENDPOINT" in str(raised.value)
    assert "secret" not in str(raised.value) or "key:secret" in endpoint


def test_without_boto3_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)

    with pytest.raises(ConfigurationError) as raised:
        s3store.open_bucket("s3://my-bucket", endpoint=None)
    assert "pip install 'openai-images-mcp[s3]'" in str(raised.value)


def test_a_sub_prefix_that_climbs_out_is_refused(bucket):
    for sub in ("../other", "users//x", "/users/x", "users/u_a/"):
        with pytest.raises(ValueError):
            bucket.documents(sub)


def test_check_passes_for_the_bucket_and_says_when_there_is_none(s3_bucket, bucket):
    bucket.check()
    with pytest.raises(OSError) as raised:
        s3store.open_bucket("s3://no-such-bucket-here", endpoint=s3_bucket.endpoint).check()
    assert raised.value.errno == errno.EIO
    assert "the bucket does not exist" in raised.value.strerror


def test_a_store_that_does_not_answer_is_an_eio_without_secrets(s3_bucket):
    from http_helpers import free_port as _free_port

    documents = s3store.open_bucket("s3://my-bucket", endpoint=f"http://127.0.0.1:{_free_port()}").documents("d")

    with pytest.raises(OSError) as raised:
        documents.read("c_1.json", LIMIT)
    assert raised.value.errno == errno.EIO
    assert "did not answer" in raised.value.strerror
    assert SECRET_KEY not in str(raised.value)


def test_an_image_that_cannot_be_stored_is_a_storage_error(s3_bucket):
    from http_helpers import free_port as _free_port

    images = s3store.open_bucket("s3://my-bucket", endpoint=f"http://127.0.0.1:{_free_port()}").images("i")

    with pytest.raises(StorageError) as raised:
        images.save(_checked(_noise_png((32, 32))), stem=None)
    assert "nothing was saved" in str(raised.value)
