"""A real S3-compatible server for tests: moto's standalone server in a subprocess, fresh buckets, and the environment to reach it.

Fixtures (registered in conftest.py, so every test file can ask for them):

- `s3_server` (session): the running server, as S3Server(endpoint, bucket, env) with one bucket made.
- `s3_bucket` (per test): a new empty bucket on that server, and this process's environment pointed at
  it (AWS_* test credentials and region, OPENAI_IMAGES_S3_ENDPOINT, OPENAI_IMAGES_STORAGE=s3://<bucket>).
  Its `env` holds the same variables, to start a server process with.

moto checks If-Match / If-None-Match on PutObject and then stores the object without holding a
lock (moto/s3/responses.py, put_object), so two racing writes can both pass the check, which real
S3 never allows. The server is therefore moto's own WSGI app served as `moto.server` serves it,
except that it handles one request at a time (a lock around the app, not a single thread, so an
idle keep-alive connection never blocks the others). Run this file to get that server by hand:
`python tests/s3_server.py -p 5000`.
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pytest
from http_helpers import free_port, stop

ACCESS_KEY = "AKIATESTTESTTESTTEST"
SECRET_KEY = "test-secret-key-not-a-real-one-0123456789"
REGION = "eu-central-1"
START_SECONDS = 60


class S3Server(NamedTuple):
    """Where the test server listens, one bucket on it, and the environment variables that reach it."""

    endpoint: str
    bucket: str
    env: dict[str, str]

    def client(self):
        """A boto3 S3 client for this server, to look at what the code under test stored."""
        return _client(self.endpoint)

    def with_bucket(self, bucket: str) -> S3Server:
        """The same server with `bucket` (made here) as its bucket."""
        self.client().create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        return S3Server(self.endpoint, bucket, environment(self.endpoint, bucket))


@functools.cache
def _client(endpoint: str):
    """One client per server: making one takes about half a second."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )


def environment(endpoint: str, bucket: str) -> dict[str, str]:
    """The variables that point boto3 and the server at `bucket` on `endpoint`, and away from the user's AWS files."""
    missing = str(Path(tempfile.gettempdir()) / "no-aws-config-for-tests")
    return {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": missing,
        "AWS_SHARED_CREDENTIALS_FILE": missing,
        "AWS_EC2_METADATA_DISABLED": "true",
        "OPENAI_IMAGES_S3_ENDPOINT": endpoint,
        "OPENAI_IMAGES_STORAGE": f"s3://{bucket}",
    }


@contextmanager
def running_s3_server(bucket: str = "openai-images-tests") -> Iterator[S3Server]:
    """Start the server on a free port, wait until it answers, make `bucket`; stop the server afterwards."""
    with tempfile.TemporaryFile() as log:
        for _ in range(3):  # the free port may be taken between finding and binding it
            port = free_port()
            process = subprocess.Popen(
                [sys.executable, __file__, "-H", "127.0.0.1", "-p", str(port)],
                stdout=log,
                stderr=log,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            if _answers(port, process):
                break
            stop(process)
        else:
            log.seek(0)
            raise RuntimeError(f"the moto S3 server did not start:\n{log.read().decode(errors='replace')[-3000:]}")
        try:
            endpoint = f"http://127.0.0.1:{port}"
            yield S3Server(endpoint, "", {}).with_bucket(bucket)
        finally:
            stop(process)


def _answers(port: int, process: subprocess.Popen) -> bool:
    import httpx

    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(f"http://127.0.0.1:{port}/moto-api/data.json", timeout=2)
            return True
        except httpx.HTTPError:
            time.sleep(0.1)
    return False


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server, started once for the whole run, with the bucket openai-images-tests."""
    with running_s3_server() as server:
        yield server


@pytest.fixture
def s3_bucket(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """A new empty bucket for this test, with this process's environment pointed at it."""
    server = s3_server.with_bucket(f"t-{uuid.uuid4().hex[:20]}")
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    for name, value in server.env.items():
        monkeypatch.setenv(name, value)
    return server


def _serve(host: str, port: int) -> None:
    """moto.server's app and request handler (moto/server.py), one request at a time."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import run_simple

    os.environ.setdefault("MOTO_PORT", str(port))

    app = DomainDispatcherApplication(create_backend_app)
    one_at_a_time = threading.Lock()

    def serialized(environ, start_response):
        with one_at_a_time:
            return list(app(environ, start_response))

    run_simple(host, port, serialized, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("-H", "--host", default="127.0.0.1")
    arguments.add_argument("-p", "--port", type=int, default=5000)
    options = arguments.parse_args()
    _serve(options.host, options.port)
