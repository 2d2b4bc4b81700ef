"""Where the per-image overhead goes: each step this server adds after OpenAI's answer, timed in one process.

`python -m benchmarks` (images.py) compares a whole tool call over stdio with the bare floor (SDK call, base64
decode, plain write). This script splits our side of the difference into its steps, on the very
images the fake OpenAI server sends, so a change to one step can be judged on its own:

- check: base64 decode and a full decode with Pillow (a damaged image must be refused before it is saved);
- save: the image under a new name (hidden temporary file, fsync, link into place);
- record: the conversation file (atomic, fsynced);
- preview: the 512 px JPEG returned inline;
- floor write: what the floor does instead (base64 decode and a plain write), for scale.

Run (from the checkout): python -m benchmarks.image_steps [--runs N]
"""

from __future__ import annotations

import argparse
import base64
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import load_fake_openai

SIZES = ((1024, 1024), (1536, 1024), (3840, 2160))


def median_ms(work: Callable[..., object], runs: int, setup: Callable[[], object] | None = None) -> float:
    """Median wall time of `work()` (or `work(setup())`, the setup not timed) over `runs` runs."""
    times = []
    for _ in range(runs):
        arguments = (setup(),) if setup else ()
        started = time.perf_counter()
        work(*arguments)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.image_steps", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="runs per step and size (default 30)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, not {args.runs}")

    from openai_images import imagefiles, storage

    render_image = load_fake_openai().render_image

    header = ("size", "PNG", "check", "save", "record", "preview", "all four", "floor write")
    print("  ".join(f"{h:>10}" for h in header))
    with tempfile.TemporaryDirectory(prefix="openai-images-steps-") as tmp:
        folder = Path(tmp)
        store = storage.ConversationStore(folder / "conversations")
        conversation = storage.Conversation(id=storage.new_conversation_id(), title="A lighthouse at dusk")
        for width, height in SIZES:
            b64 = base64.b64encode(render_image("A lighthouse on a rocky coast at dusk", width, height)).decode()
            checked = imagefiles.check_image(b64)
            check = median_ms(lambda b64=b64: imagefiles.check_image(b64), args.runs)
            save = median_ms(lambda checked=checked: imagefiles.save_image(checked, folder / "ours"), args.runs)
            record = median_ms(lambda: store.save(conversation), args.runs)
            # make_preview shrinks the image it is given, so each run previews a fresh copy (not timed).
            preview = median_ms(imagefiles.make_preview, args.runs, setup=checked.decoded.copy)
            (folder / "floor").mkdir(exist_ok=True)
            floor = median_ms(lambda b64=b64: (folder / "floor" / "image.png").write_bytes(base64.b64decode(b64)), args.runs)
            cells = [f"{width}x{height}", f"{len(checked.data) / 1024:.0f} KB"]
            cells += [f"{ms:.1f} ms" for ms in (check, save, record, preview, check + save + record + preview, floor)]
            print("  ".join(f"{cell:>10}" for cell in cells))
    print("The server runs the four steps one after another in one worker thread. Medians of in-process runs.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
