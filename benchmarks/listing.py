"""Listing at scale: the newest 20 of 10,000 conversations and a search in them, beside reading every file's bytes.

Server side, ConversationStore.list is timed in this process against reading the bytes of every conversation
file once; over stdio, openai_list_conversations is timed against that server-side time.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import IMAGE_MODEL, BenchError, Workspace, log, median, ours_argv
from benchmarks.processes import spawned
from benchmarks.report import Figure

CONVERSATIONS = 10_000
QUICK_CONVERSATIONS = 200
LISTING_RUNS = 5
SEARCH_WORD = "lighthouse"

_SUBJECTS = (
    "a red fox in fresh snow",
    "a lighthouse on a rocky coast",
    "a logo for a coffee shop called Roastery Row",
    "a slide about quarterly revenue growth",
    "a portrait of an old fisherman",
    "a bowl of ramen on a wooden table",
    "a city skyline at night",
    "a cat sleeping on a windowsill",
    "an astronaut riding a horse",
    "a cozy reading nook",
    "a mountain lake at sunrise",
    "a vintage bicycle leaning on a wall",
    "a dragon over a medieval castle",
    "a product shot of wireless earbuds",
    "a watercolor map of Lisbon",
    "a robot watering plants",
    "an Instagram post for a bakery opening",
    "a children's book illustration of a bear",
    "a neon sign reading OPEN",
    "a hot air balloon festival",
    "a minimalist poster of a whale",
    "a forest path in autumn",
    "a sushi platter",
    "a futuristic train station",
    "a garden with sunflowers",
    "a jazz band in a smoky club",
    "a desert caravan",
    "a snowy cabin with warm windows",
    "a tiger in tall grass",
    "a sailboat in a storm",
)
_STYLES = ("oil painting", "flat vector art", "photorealistic", "watercolor", "3D render", "pencil sketch", "pixel art", "")
_MOODS = ("warm golden light", "moody blue tones", "soft pastel colours", "high contrast", "dramatic shadows", "")
_REFINEMENTS = (
    "make it night",
    "add a full moon",
    "use brighter colours",
    "make the background simpler",
    "add some rain",
    "zoom out a little",
    "make it look older",
    "remove the text",
)


def synthetic_conversation(rng: random.Random, index: int, now: datetime) -> Any:
    """A valid storage.Conversation with a varied prompt, 0-3 images and an updated_at within two years."""
    from openai_images import dialogue, enhancer, image_models, storage

    prompt = ", ".join(part for part in (rng.choice(_SUBJECTS), rng.choice(_STYLES), rng.choice(_MOODS)) if part)
    updated = now - timedelta(seconds=rng.randrange(730 * 86400))
    created = updated - timedelta(seconds=rng.randrange(30 * 86400))
    stamp = updated.isoformat(timespec="seconds")
    messages = [storage.Message(role="user", text=prompt, time=created.isoformat(timespec="seconds"))]
    images = []
    for number in range(rng.randrange(4)):
        turn_prompt = prompt if number == 0 else rng.choice(_REFINEMENTS)
        if number:
            messages.append(storage.Message(role="user", text=turn_prompt, time=stamp))
        messages.append(storage.Message(role="assistant", text="Here is your image.", time=stamp))
        size = rng.choice(("1024x1024", "1536x1024", "1024x1536"))
        images.append(
            storage.ImageRecord(
                image_id=f"img_{rng.getrandbits(64):016x}",
                path=f"/home/user/Downloads/openai_image_{index:08d}_{number}.png",
                response_id=f"resp_{rng.getrandbits(96):024x}",
                image_call_id=f"ig_{rng.getrandbits(96):024x}",
                prompt=turn_prompt,
                revised_prompt=f"Revised: {turn_prompt}",
                size=size,
                model=IMAGE_MODEL,
                created_at=stamp,
                options={"quality": rng.choice(image_models.QUALITIES)},
                usage={"image": {"input_tokens": 40, "output_tokens": 1372}, "assistant": {"total_tokens": 120}},
                cost_usd=round(rng.uniform(0.01, 0.2), 4) if rng.random() < 0.9 else None,
            )
        )
    return storage.Conversation(
        id=f"conv_{rng.getrandbits(32):08x}{index:08x}",
        title=storage.make_title(prompt),
        created_at=created.isoformat(timespec="seconds"),
        updated_at=stamp,
        dialogue_mode=rng.choice([mode.value for mode in dialogue.DialogueMode]),
        skip_dialogue=rng.random() < 0.3,
        messages=messages,
        images=images,
        last_response_id=images[-1].response_id if images else None,
        analysis=storage.PromptAnalysis(
            image_type=rng.choice([kind.value for kind in enhancer.ImageType]),
            score_before=rng.randrange(5, 60),
            score_after=rng.randrange(40, 95),
        ),
    )


def write_conversations(folder: Path, count: int) -> None:
    """`count` conversation files in the format ConversationStore.save writes (seeded, so every run is alike)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(6)
    now = datetime.now(UTC)
    for index in range(count):
        conversation = synthetic_conversation(rng, index, now)
        path = folder / f"{conversation.id}.json"
        path.write_bytes(conversation.model_dump_json(indent=2).encode())
        # The server rewrites a file on every save, so its modification time is its updated_at.
        stamp = datetime.fromisoformat(conversation.updated_at).timestamp()
        os.utime(path, (stamp, stamp))


def read_every_file(folder: Path) -> int:
    """The listing floor: read the bytes of every conversation file once."""
    total = 0
    for entry in os.scandir(folder):
        if entry.name.endswith(".json"):
            with open(entry.path, "rb") as handle:
                total += len(handle.read())
    return total


def timed_ms(work: Callable[[], Any]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


async def measure_listing(ws: Workspace, base_url: str, count: int) -> list[Figure]:
    from openai_images import storage

    data = ws.folder("listing") / "data"
    started = time.perf_counter()
    write_conversations(data / "conversations", count)
    log(f"wrote {count} conversations in {time.perf_counter() - started:.1f} s")

    store = storage.ConversationStore(data / "conversations")  # what services.store is in the server
    first = timed_ms(lambda: store.list(20))
    newest, search, floor = [], [], []
    for _ in range(LISTING_RUNS):
        floor.append(timed_ms(lambda: read_every_file(store.folder)))
        newest.append(timed_ms(lambda: store.list(20)))
        search.append(timed_ms(lambda: store.list(20, SEARCH_WORD)))
    listing, found = store.list(20), store.list(20, SEARCH_WORD)
    if listing.total_matching != count or not found.total_matching:
        raise BenchError(f"listing saw {listing.total_matching} of {count} conversations, search found {found.total_matching}")
    log(f"server side: newest {median(newest):.0f} ms, search {median(search):.0f} ms, read-all {median(floor):.0f} ms")

    env = ws.env("listing", base_url, data_dir=data)
    async with spawned(ours_argv(), env, ws.log("listing"), "server") as server:
        await server.handshake()
        first_trip = (await server.call_tool("openai_list_conversations", {"limit": 20})).seconds * 1000
        trip_newest, trip_search = [], []
        for _ in range(LISTING_RUNS):
            trip_newest.append((await server.call_tool("openai_list_conversations", {"limit": 20})).seconds * 1000)
            trip_search.append((await server.call_tool("openai_list_conversations", {"limit": 20, "query": SEARCH_WORD})).seconds * 1000)
    log(f"round trip: newest {median(trip_newest):.0f} ms, search {median(trip_search):.0f} ms")
    floor_label = f"read the bytes of all {count} files"
    return [
        Figure(
            "list_newest20_ms",
            f"list newest 20 of {count} (server side)",
            "ms",
            median(newest),
            median(floor),
            floor_label,
            100.0,
            "value",
            extra={"first_call_ms": first},
        ),
        Figure(
            "list_search_ms",
            f"search '{SEARCH_WORD}' in {count} (server side)",
            "ms",
            median(search),
            median(floor),
            floor_label,
            1000.0,
            "value",
            extra={"matches": found.total_matching},
        ),
        Figure(
            "list_newest20_roundtrip_ms",
            "list newest 20, stdio round trip",
            "ms",
            median(trip_newest),
            median(newest),
            "server-side time",
            extra={"first_call_ms": first_trip},
        ),
        Figure(
            "list_search_roundtrip_ms",
            "search, stdio round trip",
            "ms",
            median(trip_search),
            median(search),
            "server-side time",
        ),
    ]
