"""S3 storage: one image over stdio with OPENAI_IMAGES_STORAGE=s3://... against moto's S3 server, beside local folders.

The floor is the same server with local folders, one image each in turn. It needs openai_images/s3store.py, boto3
and moto[server] (requirements-test.txt); without them the run stops before measuring anything (s3_missing).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from benchmarks.common import PROMPT, ROOT, SIZES, BenchError, Workspace, log, median, ours_argv
from benchmarks.mcp_client import generate
from benchmarks.processes import free_port, spawned, stop, wait_until_up
from benchmarks.report import Figure

S3_BUCKET = "bench-bucket"

NOTES = (
    "S3: the same stdio server with OPENAI_IMAGES_STORAGE=s3://... against moto's S3 server on 127.0.0.1, and with "
    "local folders, one image each in turn; 'overhead' is the ms S3 adds per image. moto answers on the same machine, "
    "so this is our code's, boto3's and moto's cost without network round trips: a real bucket adds about one round "
    "trip per S3 request (s3_requests_per_image in the JSON).",
)


# One line of moto's (werkzeug's) request log; werkzeug colours the request of a 4xx or 5xx answer.
MOTO_REQUEST = re.compile(rb'"(?:\x1b\[[0-9;]*m)?(?:GET|PUT|POST|HEAD|DELETE) [^"]*" \d{3}')


def s3_missing() -> str | None:
    """Why the s3 phase cannot run here, or None: it needs the backend (openai_images/s3store.py), boto3 and moto's server."""
    if not (ROOT / "openai_images" / "s3store.py").is_file():
        return "s3store missing (no openai_images/s3store.py in the checkout)"
    absent = [name for name in ("boto3", "moto", "flask") if importlib.util.find_spec(name) is None]
    if absent:
        return f"{', '.join(absent)} not installed (pip install 'moto[server]' boto3, as requirements-test.txt says)"
    return None


@asynccontextmanager
async def moto_server(log_path: Path) -> AsyncIterator[str]:
    """moto's standalone S3 server on a free port of 127.0.0.1, its request log in `log_path`; yields its endpoint."""
    port = free_port()
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(log_path.parent), "PYTHONUNBUFFERED": "1"}
    with open(log_path, "ab") as sink:
        process = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL, stdout=sink, stderr=sink, env=env)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        await wait_until_up(process, f"{endpoint}/moto-api/data.json", "moto's S3 server", log_path)
        yield endpoint
    finally:
        await stop(process)


def moto_requests(log_path: Path) -> int:
    return len(MOTO_REQUEST.findall(log_path.read_bytes()))


async def measure_s3(ws: Workspace, fake: Any, runs: int) -> list[Figure]:
    import boto3

    size, log_path, moto_log = SIZES[0], ws.log("s3"), ws.folder("s3") / "moto.log"
    credentials = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1"}
    async with moto_server(moto_log) as endpoint:
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=credentials["AWS_REGION"],
            aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        ).create_bucket(Bucket=S3_BUCKET)
        s3_env = {
            **ws.env("s3-bucket", fake.base_url),
            **credentials,
            "AWS_EC2_METADATA_DISABLED": "true",
            "OPENAI_IMAGES_STORAGE": f"s3://{S3_BUCKET}/bench",
            "OPENAI_IMAGES_S3_ENDPOINT": endpoint,
        }
        async with (
            spawned(ours_argv(), ws.env("s3-local", fake.base_url), log_path, "server (local folders)") as local,
            spawned(ours_argv(), s3_env, log_path, "server (S3)") as bucket,
        ):
            await asyncio.gather(local.handshake(), bucket.handshake())
            # The first image's imports and connections (and boto3's client), discarded.
            _, warm = await asyncio.gather(
                generate(local, f"{PROMPT} (warm-up, local)", size), generate(bucket, f"{PROMPT} (warm-up, S3)", size)
            )
            stored = warm.result["structuredContent"]["path"]
            if not str(stored).startswith(f"s3://{S3_BUCKET}/"):
                raise BenchError(f"the S3 server saved its image at {stored}, not in s3://{S3_BUCKET}/")
            times: dict[str, list[float]] = {"local": [], "s3": []}
            before = moto_requests(moto_log)
            for run in range(runs):
                order = (("local", local), ("s3", bucket)) if run % 2 == 0 else (("s3", bucket), ("local", local))
                for who, server in order:
                    times[who].append((await generate(server, f"{PROMPT} (run {run}, {who})", size)).seconds * 1000)
            requests = (moto_requests(moto_log) - before) / runs
    s3, folders = times["s3"], times["local"]
    log(f"S3: {median(s3):.0f} ms, local folders {median(folders):.0f} ms, {requests:.1f} S3 requests per image")
    return [
        Figure(
            f"s3_image_{size}_ms",
            f"one image {size} over stdio, S3 storage (moto)",
            "ms",
            median(s3),
            median(folders),
            "the same server with local folders",
            extra={
                "overhead_ms": median(s3) - median(folders),
                "paired_ratio_median": median([s / f for s, f in zip(s3, folders)]),
                "paired_added_ms_median": median([s - f for s, f in zip(s3, folders)]),
                "s3_requests_per_image": requests,
            },
        )
    ]
