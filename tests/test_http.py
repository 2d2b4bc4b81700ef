"""The server over Streamable HTTP, as a team runs it: a real MCP client, sign-in, two users kept apart, the edge's limits and logs."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import FAKE_KEY, ROOT, call_tool, result_text
from http_helpers import http_client, http_server

from openai_images import limits, signin

pytestmark = pytest.mark.slow

ALICE, BOB = "alice-token-0123456789abcdef", "bob-token-0123456789abcdef00"


@pytest.fixture
def team_env(server_env):
    return {**server_env, "OPENAI_IMAGES_AUTH_TOKENS": f"alice={ALICE},bob={BOB}"}


@pytest.fixture
def served(team_env, tmp_path):
    with http_server(team_env, tmp_path / "server.log") as server:
        yield server


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "curl", "version": "1"}},
}
MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


def test_healthz_answers_without_a_token(served):
    answer = httpx.get(f"{served.base}/healthz")
    assert answer.status_code == 200 and answer.json()["status"] == "ok"


@pytest.mark.parametrize("token", [None, "wrong-token-0123456789abcdef", ALICE + "x"])
def test_a_request_without_a_valid_token_gets_401_with_a_challenge(served, token):
    headers = {**MCP_HEADERS, **({"authorization": f"Bearer {token}"} if token else {})}
    answer = httpx.post(served.url, headers=headers, json=INITIALIZE)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_a_signed_in_client_makes_an_image_in_its_own_folder(served, home, fake_openai):
    async def scenario():
        async with http_client(served.url, ALICE) as client:
            tools = {tool.name for tool in await client.list_tools()}
            made = await call_tool(client, "openai_generate_image", {"prompt": "A red fox in snow"})
            return tools, made

    tools, made = asyncio.run(scenario())
    assert {"openai_conversational_image", "openai_generate_image", "openai_list_conversations", "openai_get_image"} <= tools
    assert not made.is_error, result_text(made)
    own = home["output"] / limits.user_key("alice")
    path = made.structured_content["path"]
    assert path.startswith(str(own) + "/") and Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    conversation = (
        home["data"] / "users" / limits.user_key("alice") / "conversations" / f"{made.structured_content['conversation_id']}.json"
    )
    assert json.loads(conversation.read_text())["images"][0]["path"] == path
    assert len(fake_openai.response_requests()) == 1


def test_two_users_never_see_each_others_conversations_or_images(served, fake_openai):
    async def scenario():
        async with http_client(served.url, ALICE) as alice:
            made = await call_tool(alice, "openai_generate_image", {"prompt": "A lighthouse at dusk"})
            assert not made.is_error, result_text(made)
        conversation_id, image_id = made.structured_content["conversation_id"], made.structured_content["image_id"]
        async with http_client(served.url, BOB) as bob:
            listing = await call_tool(bob, "openai_list_conversations", {})
            fetched = await call_tool(bob, "openai_get_image", {"conversation_id": conversation_id})
            refined = await call_tool(bob, "openai_conversational_image", {"prompt": "Make it blue", "conversation_id": conversation_id})
            by_id = await call_tool(
                bob, "openai_conversational_image", {"prompt": "Edit this", "input_image_file_id": image_id, "skip_dialogue": True}
            )
            resources = []
            for uri in (f"image://{image_id}", f"conversation://{conversation_id}"):
                try:
                    await bob.read_resource(uri)
                    resources.append("read")
                except Exception as exc:  # the client raises McpError for a JSON-RPC error
                    resources.append(str(exc))
        async with http_client(served.url, ALICE) as alice:
            still = await call_tool(alice, "openai_list_conversations", {})
            image = await alice.read_resource(f"image://{image_id}")
        return conversation_id, listing, fetched, refined, by_id, resources, still, image

    conversation_id, listing, fetched, refined, by_id, resources, still, image = asyncio.run(scenario())
    assert listing.structured_content["conversations"] == [] and listing.structured_content["total_matching"] == 0
    for refused in (fetched, refined):
        assert refused.is_error and f"No conversation {conversation_id}" in result_text(refused)
    assert by_id.is_error and "no image with that id" in result_text(by_id)
    assert all("No saved image" in text or "No conversation" in text for text in resources), resources
    assert [c["id"] for c in still.structured_content["conversations"]] == [conversation_id]
    assert image[0].blob and len(fake_openai.response_requests()) == 1  # nothing Bob asked for reached OpenAI


def test_a_signed_in_user_cannot_read_files_off_the_server(served, home):
    async def scenario():
        async with http_client(served.url, ALICE) as client:
            return await call_tool(
                client, "openai_conversational_image", {"prompt": "A fox", "input_image_path": "/etc/hostname", "skip_dialogue": True}
            )

    refused = asyncio.run(scenario())
    assert refused.is_error and "cannot read files from your computer" in result_text(refused)
    assert "OPENAI_IMAGES_ALLOWED_DIRS" in result_text(refused)


def test_limits_count_per_signed_in_user(team_env, tmp_path, fake_openai):
    env = {**team_env, "OPENAI_IMAGES_DAILY_IMAGES_PER_USER": "1"}

    async def scenario(url):
        async with http_client(url, ALICE) as alice:
            first = await call_tool(alice, "openai_generate_image", {"prompt": "A fox"})
            second = await call_tool(alice, "openai_generate_image", {"prompt": "A hare"})
        async with http_client(url, BOB) as bob:
            other = await call_tool(bob, "openai_generate_image", {"prompt": "An owl"})
        return first, second, other

    with http_server(env, tmp_path / "server.log") as server:
        first, second, other = asyncio.run(scenario(server.url))
    assert not first.is_error and not other.is_error
    assert (
        second.is_error and "OPENAI_IMAGES_DAILY_IMAGES_PER_USER=1" in result_text(second) and "resets at 00:00 UTC" in result_text(second)
    )
    assert len(fake_openai.response_requests()) == 2


def test_unknown_hosts_and_origins_are_refused(served):
    wrong_host = httpx.post(
        served.url, headers={**MCP_HEADERS, "host": "evil.example", "authorization": f"Bearer {ALICE}"}, json=INITIALIZE
    )
    wrong_origin = httpx.post(
        served.url, headers={**MCP_HEADERS, "origin": "https://evil.example", "authorization": f"Bearer {ALICE}"}, json=INITIALIZE
    )
    assert wrong_host.status_code == 421
    assert wrong_origin.status_code == 403


def test_a_body_over_the_limit_gets_413(team_env, tmp_path):
    env = {**team_env, "OPENAI_IMAGES_MAX_REQUEST_BYTES": "2048"}
    with http_server(env, tmp_path / "server.log") as server:
        big = {**INITIALIZE, "params": {**INITIALIZE["params"], "padding": "x" * 4000}}
        declared = httpx.post(server.url, headers={**MCP_HEADERS, "authorization": f"Bearer {ALICE}"}, json=big)

        def chunks():
            yield json.dumps(big).encode()

        streamed = httpx.post(server.url, headers={**MCP_HEADERS, "authorization": f"Bearer {ALICE}"}, content=chunks())
    assert declared.status_code == 413 and "OPENAI_IMAGES_MAX_REQUEST_BYTES" in declared.text
    assert streamed.status_code == 413


def test_logs_are_json_lines_without_secrets_or_image_bytes(served):
    async def scenario():
        async with http_client(served.url, ALICE) as client:
            return await call_tool(client, "openai_generate_image", {"prompt": "A fox"})

    made = asyncio.run(scenario())
    httpx.post(served.url, headers={**MCP_HEADERS, "authorization": "Bearer not-a-real-token-000000"}, json=INITIALIZE)
    lines = served.log_lines()
    entries = [json.loads(line) for line in lines if line.strip()]
    assert entries and all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
    assert any(entry.get("path") == "/mcp" and entry.get("status") == 200 for entry in entries)
    text = "\n".join(lines)
    assert ALICE not in text and BOB not in text and FAKE_KEY not in text and "not-a-real-token" not in text
    assert made.content[1].data[:40] not in text and "iVBORw0KGgo" not in text  # neither the preview nor a PNG's base64


def test_a_public_address_without_sign_in_refuses_to_start(server_env, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "openai_images", "serve", "--http", "--host", "0.0.0.0", "--port", "1"],
        cwd=ROOT,
        env=server_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "Refusing to serve on 0.0.0.0" in last and "OPENAI_IMAGES_AUTH_TOKENS" in last and "OPENAI_IMAGES_JWT_JWKS_URL" in last


def test_a_bad_tokens_setting_stops_the_server_with_one_line(server_env):
    env = {**server_env, "OPENAI_IMAGES_AUTH_TOKENS": "alice=short"}
    done = subprocess.run(
        [sys.executable, "-m", "openai_images", "serve", "--http", "--port", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "at least 16 characters" in done.stderr.strip().splitlines()[-1]
    assert "short" not in done.stderr


@pytest.fixture
def identity_provider():
    """A JWKS endpoint on 127.0.0.1 holding one RSA key, and a way to mint tokens signed with it."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwks = json.dumps({"keys": [{**public, "kid": "test-key", "use": "sig", "alg": "RS256"}]}).encode()

    class Keys(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(jwks)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Keys)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    issuer = "https://idp.example.test"

    def mint(subject: str, *, audience: str = "openai-images-test", signer=key) -> str:
        import time

        claims = {"sub": subject, "iss": issuer, "aud": audience, "iat": int(time.time()), "exp": int(time.time()) + 600}
        return jwt.encode(claims, signer, algorithm="RS256", headers={"kid": "test-key"})

    yield {"jwks": f"http://127.0.0.1:{server.server_address[1]}/jwks.json", "issuer": issuer, "mint": mint}
    server.shutdown()


def test_jwt_sign_in_checks_signature_issuer_and_audience_and_publishes_resource_metadata(
    server_env, tmp_path, identity_provider, fake_openai
):
    from cryptography.hazmat.primitives.asymmetric import rsa

    env = {
        **server_env,
        "OPENAI_IMAGES_JWT_JWKS_URL": identity_provider["jwks"],
        "OPENAI_IMAGES_JWT_ISSUER": identity_provider["issuer"],
        "OPENAI_IMAGES_JWT_AUDIENCE": "openai-images-test",
    }
    mint = identity_provider["mint"]
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    async def scenario(url):
        async with http_client(url, mint("auth0|carol")) as carol:
            made = await call_tool(carol, "openai_generate_image", {"prompt": "A fox"})
        async with http_client(url, mint("auth0|dave")) as dave:
            theirs = await call_tool(dave, "openai_list_conversations", {})
        return made, theirs

    with http_server(env, tmp_path / "server.log") as server:
        made, theirs = asyncio.run(scenario(server.url))
        refused = {
            reason: httpx.post(server.url, headers={**MCP_HEADERS, "authorization": f"Bearer {token}"}, json=INITIALIZE)
            for reason, token in {
                "audience": mint("auth0|carol", audience="someone-else"),
                "signature": mint("auth0|carol", signer=stranger),
                "garbage": "not.a.jwt",
            }.items()
        }
        metadata = httpx.get(f"{server.base}/.well-known/oauth-protected-resource/mcp")
        challenge = httpx.post(server.url, headers=MCP_HEADERS, json=INITIALIZE).headers["www-authenticate"]
    assert not made.is_error, result_text(made)
    assert made.structured_content["path"].startswith(str(Path(server_env["OPENAI_IMAGES_OUTPUT_DIR"]) / limits.user_key("auth0|carol")))
    assert theirs.structured_content["conversations"] == []
    assert {reason: answer.status_code for reason, answer in refused.items()} == {"audience": 401, "signature": 401, "garbage": 401}
    assert metadata.status_code == 200
    assert [server.rstrip("/") for server in metadata.json()["authorization_servers"]] == [identity_provider["issuer"]]
    assert metadata.json()["resource"].rstrip("/").endswith("/mcp")
    assert "resource_metadata=" in challenge and "oauth-protected-resource" in challenge


def test_tokens_can_come_from_a_file_and_never_reach_the_log(server_env, tmp_path):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text(f"# the team\nalice={ALICE}\n\nbob={BOB}\n")
    env = {**server_env, "OPENAI_IMAGES_AUTH_TOKENS": f"@{tokens}"}

    async def scenario(url):
        async with http_client(url, BOB) as bob:
            return await call_tool(bob, "openai_list_conversations", {})

    with http_server(env, tmp_path / "server.log") as server:
        listing = asyncio.run(scenario(server.url))
        wrong = httpx.post(server.url, headers={**MCP_HEADERS, "authorization": f"Bearer {ALICE}-not"}, json=INITIALIZE)
    assert not listing.is_error and wrong.status_code == 401
    assert ALICE not in server.log.read_text() and BOB not in server.log.read_text()


def test_a_user_named_like_the_local_one_is_still_someone_else(server_env, home, tmp_path):

    assert signin.signed_in("local") != "local" and signin.signed_in("\x00local") != signin.signed_in("local")
    assert signin.signed_in("alice") == "alice"
    env = {**server_env, "OPENAI_IMAGES_AUTH_TOKENS": "local=local-token-0123456789abcdef"}
    done = subprocess.run(
        [sys.executable, "-m", "openai_images", "serve", "--http", "--port", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "kept for the server's own local user" in done.stderr.strip().splitlines()[-1]


def test_allowed_dirs_never_open_the_servers_own_folders_to_a_signed_in_user(team_env, home, tmp_path, fake_openai):
    from conftest import write_image

    shared = tmp_path / "shared"
    shared.mkdir()
    write_image(shared / "logo.png")
    home["output"].mkdir(parents=True)
    other = write_image(home["output"] / "openai_image_20261201_000000_0123abcd.png")
    env = {**team_env, "OPENAI_IMAGES_ALLOWED_DIRS": f"{shared}{os.pathsep}{home['home']}"}

    async def scenario(url):
        async with http_client(url, ALICE) as alice:
            allowed = await call_tool(
                alice,
                "openai_conversational_image",
                {"prompt": "Edit", "input_image_path": str(shared / "logo.png"), "skip_dialogue": True},
            )
            refused = await call_tool(
                alice, "openai_conversational_image", {"prompt": "Edit", "input_image_path": str(other), "skip_dialogue": True}
            )
        return allowed, refused

    with http_server(env, tmp_path / "server.log") as server:
        allowed, refused = asyncio.run(scenario(server.url))
    assert not allowed.is_error, result_text(allowed)
    assert refused.is_error and "the server's own image or data folder" in result_text(refused)
    assert len(fake_openai.response_requests()) == 1


def test_each_signed_in_user_sends_a_stable_safety_identifier_that_is_not_their_id(served, home, fake_openai):
    async def make(token: str):
        async with http_client(served.url, token) as client:
            return await call_tool(client, "openai_generate_image", {"prompt": "A red fox in snow"})

    for token in (ALICE, BOB, ALICE):
        made = asyncio.run(make(token))
        assert not made.is_error, result_text(made)
    alice, bob, alice_again = (request["safety_identifier"] for request in fake_openai.response_requests())
    assert alice == alice_again and alice != bob, "one stable identifier per user"
    assert {alice, bob}.isdisjoint({"alice", "bob", limits.user_key("alice"), limits.user_key("bob")})
    assert all("alice" not in sent and "bob" not in sent and len(sent) <= 128 for sent in (alice, bob))
    kept = home["data"] / "secrets" / "safety.json"
    assert len(json.loads(kept.read_bytes())["key"]) == 64 and kept.stat().st_mode & 0o077 == 0, "made once, owner-only"
