#!/usr/bin/env python3
"""Manual smoke test against the real OpenAI API: run it by hand, with your key; it is not part of the test suite.

The product description names this file. It talks to the real API (or OPENAI_BASE_URL), so the paid
checks cost real money; the automated tests (`./run_tests.sh`) use the fake OpenAI server instead.
It starts `openai_images_mcp.py` over stdio exactly as Claude Desktop would,
runs the free checks, and asks before each test that costs money (default: no).

    python3 test_local.py          # asks y/N before each paid test
    python3 test_local.py --no     # free checks only
    python3 test_local.py --yes    # everything, without asking (costs a few cents)

Images go where the server puts them (OPENAI_IMAGES_OUTPUT_DIR, default ~/Downloads).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PASSED, FAILED, SKIPPED = "PASS", "FAIL", "SKIP"


def report(status: str, name: str, detail: str = "") -> str:
    print(f"[{status}] {name}{': ' + detail if detail else ''}")
    return status


def ask(question: str, answer: bool | None) -> bool:
    if answer is not None:
        return answer
    try:
        reply = input(f"{question} [y/N] ").strip().lower()
    except EOFError:
        return False
    return reply in ("y", "yes")


def first_text(result) -> str:
    return next((block.text for block in result.content if block.type == "text"), "")


async def run(paid: bool | None) -> int:
    from fastmcp import Client
    from fastmcp.client.transports import StdioTransport

    results: list[str] = []
    key_set = bool(os.environ.get("OPENAI_API_KEY", "").strip())
    base = os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1 (default)"
    # A missing key is not a failed check: the free checks still run, and the paid ones are skipped and say why.
    results.append(
        report(
            PASSED if key_set else SKIPPED,
            "OPENAI_API_KEY is set",
            "" if key_set else "not set: export OPENAI_API_KEY=... for the paid tests",
        )
    )
    print(f"       endpoint: {base}")

    log_file = Path(tempfile.gettempdir()) / "openai-images-mcp-test_local.log"
    transport = StdioTransport(
        sys.executable, [str(HERE / "openai_images_mcp.py")], env=dict(os.environ), cwd=str(HERE), keep_alive=False, log_file=log_file
    )
    async with Client(transport) as client:
        names = {tool.name for tool in await client.list_tools()}
        expected = {"openai_conversational_image", "openai_generate_image", "openai_list_conversations", "openai_get_image"}
        results.append(report(PASSED if names >= expected else FAILED, "server starts and lists its four tools", ", ".join(sorted(names))))

        bad_size = await client.call_tool("openai_generate_image", {"prompt": "test", "size": "1024x1792"}, raise_on_error=False)
        results.append(
            report(
                PASSED if bad_size.is_error else FAILED, "an unsupported size is refused before any API call", first_text(bad_size)[:120]
            )
        )

        bad_id = await client.call_tool(
            "openai_conversational_image", {"prompt": "x", "conversation_id": "../etc/passwd"}, raise_on_error=False
        )
        results.append(report(PASSED if bad_id.is_error else FAILED, "a path-like conversation id is refused", first_text(bad_id)[:120]))

        listing = await client.call_tool("openai_list_conversations", {"limit": 3}, raise_on_error=False)
        results.append(report(FAILED if listing.is_error else PASSED, "conversations can be listed", first_text(listing).splitlines()[0]))

        if not key_set:
            results.append(report(SKIPPED, "paid tests", "no API key"))
        elif ask("Generate one 1024x1024 image (costs about $0.01-0.20)?", paid):
            first = await collected(
                client,
                await client.call_tool(
                    "openai_generate_image", {"prompt": "A small red fox sitting in fresh snow, soft morning light"}, raise_on_error=False
                ),
            )
            ok = not first.is_error and Path(first.structured_content["path"]).is_file()
            results.append(report(PASSED if ok else FAILED, "one-shot generation", first_text(first).splitlines()[0]))
            if ok and ask("Refine it in the same conversation (costs about the same again)?", paid):
                second = await collected(
                    client,
                    await client.call_tool(
                        "openai_conversational_image",
                        {"prompt": "Make it night, with a full moon", "conversation_id": first.structured_content["conversation_id"]},
                        raise_on_error=False,
                    ),
                )
                ok = not second.is_error and Path(second.structured_content["path"]).is_file()
                results.append(report(PASSED if ok else FAILED, "refinement with the conversation id", first_text(second).splitlines()[0]))
        else:
            results.append(report(SKIPPED, "paid tests", "not confirmed"))

    failed = results.count(FAILED)
    print(f"\nServer log: {log_file}")
    print(f"{results.count(PASSED)} passed, {failed} failed, {results.count(SKIPPED)} skipped")
    return 1 if failed else 0


async def collected(client, result):
    """The finished image: a call that answered "still rendering" (after OPENAI_IMAGES_WAIT_SECONDS) is collected with openai_get_image."""
    while not result.is_error and (result.structured_content or {}).get("status") == "rendering":
        print(f"  still rendering ({result.structured_content['elapsed_seconds']:.0f} s so far); collecting it with openai_get_image")
        result = await client.call_tool(
            "openai_get_image", {"conversation_id": result.structured_content["conversation_id"], "wait_seconds": 600}, raise_on_error=False
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--yes", action="store_true", help="run the paid tests without asking")
    choice.add_argument("--no", action="store_true", help="skip the paid tests")
    args = parser.parse_args()
    paid = True if args.yes else False if args.no else None
    sys.exit(asyncio.run(run(paid)))


if __name__ == "__main__":
    main()
