"""A team server on object storage: conversations and images in an S3-compatible bucket (moto's server, started by the tests), none on local disk.

Two server processes share one bucket, as replicas behind a load balancer do, and both land their
turns when they refine one conversation at once. The presigned links in results download the exact
bytes that were stored.
"""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys

import httpx
import pytest
from conftest import ROOT, call_tool, result_text, stdio_client
from http_helpers import http_client, http_server
from PIL import Image

from openai_images import limits

pytestmark = pytest.mark.slow

ALICE = "alice-token-0123456789abcdef"


@pytest.fixture
def bucket_env(server_env, s3_bucket):
    return {**server_env, **s3_bucket.env, "OPENAI_IMAGES_AUTH_TOKENS": f"alice={ALICE}"}


def _keys(s3_bucket) -> list[str]:
    listed = s3_bucket.client().list_objects_v2(Bucket=s3_bucket.bucket)
    return sorted(entry["Key"] for entry in listed.get("Contents", []))


def _files_under(folder) -> list[str]:
    return sorted(str(path) for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def test_conversations_and_images_land_in_the_bucket_and_nothing_on_local_disk(bucket_env, s3_bucket, home, tmp_path):
    async def scenario(url):
        async with http_client(url, ALICE) as alice:
            made = await call_tool(alice, "openai_generate_image", {"prompt": "A red fox in fresh snow"})
            assert not made.is_error, result_text(made)
            refined = await call_tool(
                alice,
                "openai_conversational_image",
                {"prompt": "Now at night", "conversation_id": made.structured_content["conversation_id"]},
            )
            listing = await call_tool(alice, "openai_list_conversations", {})
            again = await call_tool(alice, "openai_get_image", {"conversation_id": made.structured_content["conversation_id"]})
            resource = await alice.read_resource(f"image://{made.structured_content['image_id']}")
        return made, refined, listing, again, resource

    with http_server(bucket_env, tmp_path / "server.log") as server:
        made, refined, listing, again, resource = asyncio.run(scenario(server.url))
    assert not refined.is_error, result_text(refined)
    user = f"users/{limits.user_key('alice')}"
    conversation_id = made.structured_content["conversation_id"]
    keys = _keys(s3_bucket)
    images = [key for key in keys if key.startswith(f"{user}/images/openai_image_")]
    previews = [key for key in keys if key.startswith(f"{user}/images/previews/")]
    assert f"{user}/conversations/{conversation_id}.json" in keys and len(images) == 2 and len(previews) == 2, keys
    stored = json.loads(
        s3_bucket.client().get_object(Bucket=s3_bucket.bucket, Key=f"{user}/conversations/{conversation_id}.json")["Body"].read()
    )
    assert sorted(image["path"] for image in stored["images"]) == [f"s3://{s3_bucket.bucket}/{key}" for key in images]
    assert made.structured_content["path"].startswith(f"s3://{s3_bucket.bucket}/{user}/images/")
    assert _files_under(home["output"]) == [] and _files_under(home["data"]) == []
    assert [c["id"] for c in listing.structured_content["conversations"]] == [conversation_id]
    assert listing.structured_content["conversations"][0]["image_count"] == 2
    assert not again.is_error and again.structured_content["url"].startswith(s3_bucket.endpoint)
    first = s3_bucket.client().get_object(Bucket=s3_bucket.bucket, Key=made.structured_content["path"].split("/", 3)[3])["Body"].read()
    assert resource[0].blob and len(first) > 1000


def test_presigned_links_download_the_exact_bytes_and_the_preview(bucket_env, s3_bucket, tmp_path):
    async def scenario(url):
        async with http_client(url, ALICE) as alice:
            return await call_tool(alice, "openai_generate_image", {"prompt": "A lighthouse at dusk"})

    with http_server(bucket_env, tmp_path / "server.log") as server:
        made = asyncio.run(scenario(server.url))
    assert not made.is_error, result_text(made)
    result = made.structured_content
    key = result["path"].split("/", 3)[3]
    stored = s3_bucket.client().get_object(Bucket=s3_bucket.bucket, Key=key)["Body"].read()
    full = httpx.get(result["url"])
    preview = httpx.get(result["preview_url"])
    assert full.status_code == 200 and full.content == stored and full.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert "X-Amz-Expires=3600" in result["url"] and "Download (link valid for a limited time)" in result_text(made)
    with Image.open(io.BytesIO(preview.content)) as shown:
        assert shown.format == "JPEG" and max(shown.size) <= 512


def test_two_server_processes_on_one_bucket_both_land_their_turns_on_one_conversation(bucket_env, s3_bucket, tmp_path, fake_openai):
    async def scenario(first_url, second_url):
        async with http_client(first_url, ALICE) as one, http_client(second_url, ALICE) as two:
            made = await call_tool(one, "openai_generate_image", {"prompt": "A paper boat on a pond"})
            assert not made.is_error, result_text(made)
            conversation_id = made.structured_content["conversation_id"]
            refinements = await asyncio.gather(
                call_tool(one, "openai_conversational_image", {"prompt": "Make the boat red", "conversation_id": conversation_id}),
                call_tool(two, "openai_conversational_image", {"prompt": "Add rain", "conversation_id": conversation_id}),
            )
            listing = await call_tool(two, "openai_list_conversations", {})
        return conversation_id, refinements, listing

    with http_server(bucket_env, tmp_path / "one.log") as first, http_server(bucket_env, tmp_path / "two.log") as second:
        conversation_id, refinements, listing = asyncio.run(scenario(first.url, second.url))
    for result in refinements:
        assert not result.is_error and result.structured_content["status"] == "generated", result_text(result)
    user = f"users/{limits.user_key('alice')}"
    stored = json.loads(
        s3_bucket.client().get_object(Bucket=s3_bucket.bucket, Key=f"{user}/conversations/{conversation_id}.json")["Body"].read()
    )
    assert len(stored["images"]) == 3 and len({image["response_id"] for image in stored["images"]}) == 3
    assert {result.structured_content["image_id"] for result in refinements} <= {image["image_id"] for image in stored["images"]}
    prompts = [message["text"] for message in stored["messages"] if message["role"] == "user"]
    assert prompts[0] == "A paper boat on a pond" and sorted(prompts[1:]) == ["Add rain", "Make the boat red"]
    assert stored["pending_render"] is None and listing.structured_content["conversations"][0]["image_count"] == 3
    assert len(fake_openai.response_requests()) == 3


def test_doctor_checks_the_bucket_and_the_sign_in_settings(server_env, s3_bucket):
    def doctor(env):
        return subprocess.run(
            [sys.executable, "-m", "openai_images", "doctor"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )

    good = doctor({**server_env, **s3_bucket.env, "OPENAI_IMAGES_AUTH_TOKENS": f"alice={ALICE}"})
    missing = doctor({**server_env, **s3_bucket.env, "OPENAI_IMAGES_STORAGE": "s3://no-such-bucket-here"})
    assert good.returncode == 0, good.stdout
    assert f"OK   storage: s3://{s3_bucket.bucket} answers" in good.stdout and "OK   sign-in: static tokens for 1 user(s)" in good.stdout
    assert ALICE not in good.stdout
    assert missing.returncode == 1 and "FAIL storage:" in missing.stdout and "no-such-bucket-here" in missing.stdout


def test_on_stdio_the_local_user_keeps_everything_in_the_bucket_too(server_env, s3_bucket, home):
    env = {**server_env, **s3_bucket.env}

    async def scenario():
        async with stdio_client(env) as client:
            return await call_tool(client, "openai_generate_image", {"prompt": "A heron at dawn"})

    made = asyncio.run(scenario())
    assert not made.is_error, result_text(made)
    assert made.structured_content["path"].startswith(f"s3://{s3_bucket.bucket}/users/local/images/openai_image_")
    conversation = f"users/local/conversations/{made.structured_content['conversation_id']}.json"
    assert conversation in _keys(s3_bucket)
    assert _files_under(home["output"]) == [] and _files_under(home["data"]) == []
