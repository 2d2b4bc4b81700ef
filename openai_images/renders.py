"""Renders that outlive the call that started them: one task per conversation, waited on with a deadline.

A tool call starts a render here and waits for it up to its deadline; the render
is a task of its own, so neither the deadline nor a client's cancellation stops it,
and any later call (or several at once) can wait on it again. Whoever is waiting
hears its progress. No MCP and no OpenAI here: only the tasks and who listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from datetime import UTC, datetime
from typing import Any

from openai_images.errors import InvalidInput
from openai_images.storage import now_iso

log = logging.getLogger("openai_images_mcp.renders")

Listener = Callable[[str, "int | None"], Awaitable[None]]
"""Hears (message, partial image index or None) for each stage of the render."""


class Render:
    """One render this process is following: its task, when it began, and who is waiting on it."""

    def __init__(
        self,
        key: str,
        *,
        started_at: str | None = None,
        response_id: str | None = None,
        completion_window: str = "soonest",
        conversation_id: str | None = None,
    ):
        self.key = key  # the conversation id, or "<conversation id>~<n>/<of>" for one of several variations
        self.conversation_id = conversation_id or key
        self.started_at = started_at or now_iso()
        # monotonic time of the start: a render resumed from a file began before this process did
        self.started = time.monotonic() - _seconds_since(self.started_at)
        self.response_id = response_id
        self.named = asyncio.Event()  # set once OpenAI has named the response (or the render ended first)
        if response_id:
            self.named.set()
        self.completion_window = completion_window
        self.saving = False  # the image is in hand and being saved: from here on nothing can stop it
        self._task: asyncio.Task[Any] | None = None
        self._listeners: list[Listener] = []

    @property
    def task(self) -> asyncio.Task[Any]:
        """The render's task, which Renders.launch sets before anyone else sees the render."""
        if self._task is None:
            raise RuntimeError(f"The render of {self.key} was never launched.")
        return self._task

    @task.setter
    def task(self, task: asyncio.Task[Any]) -> None:
        self._task = task

    def elapsed(self) -> float:
        """Seconds since the render began (for one found in a file: since the process that started it began it)."""
        return time.monotonic() - self.started

    @property
    def done(self) -> bool:
        return self._task is not None and self._task.done()

    async def tell(self, message: str, partial_index: int | None = None) -> None:
        """Pass a stage on to everyone waiting; a listener that fails is only logged."""
        for listener in list(self._listeners):
            try:
                await listener(message, partial_index)
            except Exception as exc:  # progress is a courtesy: never fail the render because of it
                log.debug("Progress listener failed: %s", exc)

    @contextlib.contextmanager
    def listening(self, listener: Listener | None) -> Iterator[None]:
        """Hear this render's stages while inside the block (and only then: a caller that left hears nothing)."""
        if listener is None:
            yield
            return
        self._listeners.append(listener)
        try:
            yield
        finally:
            self._listeners.remove(listener)

    async def wait(self, seconds: float) -> bool:
        """Wait up to `seconds` for the render to end; True if it has. Leaving early never stops it."""
        done, _ = await asyncio.wait({self.task}, timeout=max(seconds, 0.0))
        return bool(done)

    async def wait_named(self, seconds: float) -> bool:
        """Wait up to `seconds` until OpenAI has named the response (or the render ended); True if it ended."""
        named = asyncio.ensure_future(self.named.wait())
        try:
            await asyncio.wait({self.task, named}, timeout=max(seconds, 0.0), return_when=asyncio.FIRST_COMPLETED)
        finally:
            named.cancel()
        return self.task.done()


def _seconds_since(iso_time: str) -> float:
    """Seconds from an ISO 8601 time (as storage writes it) to now; 0 for a time that cannot be read or lies ahead."""
    try:
        return max(0.0, min(datetime.now(UTC).timestamp() - datetime.fromisoformat(iso_time).timestamp(), 10 * 86400.0))
    except (ValueError, TypeError, OverflowError):
        return 0.0


class Renders:
    """The renders of this process, by conversation id; each is dropped from here when it ends."""

    def __init__(self) -> None:
        self._live: dict[str, Render] = {}

    def live(self, key: str) -> Render | None:
        """The render this process is following for `key`, if one is still running."""
        render = self._live.get(key)
        return render if render is not None and not render.done else None

    def launch(self, render: Render, work: Callable[[Render], Coroutine[Any, Any, Any]]) -> Render:
        """Start `work(render)` as a task of its own; InvalidInput if `render.key` already has a live one."""
        running = self.live(render.key)
        if running is not None:
            raise InvalidInput(
                f"Conversation {render.key} is already making an image (render {running.response_id or 'just started'}, "
                f"{running.elapsed():.0f} s so far); nothing new was sent. Collect it with openai_get_image, then refine it."
            )
        render.task = asyncio.create_task(work(render), name=f"render-{render.key}")
        self._live[render.key] = render
        render.task.add_done_callback(lambda task: self._ended(render, task))
        return render

    def _ended(self, render: Render, task: asyncio.Task[Any]) -> None:
        if self._live.get(render.key) is render:
            del self._live[render.key]
        if task.cancelled():
            log.info("Render of %s stopped (%s) after %.1f s", render.key, render.response_id, render.elapsed())
        elif task.exception() is not None:  # retrieved here, so asyncio does not warn; the waiters get it too
            log.info("Render of %s ended without an image: %s", render.key, task.exception())

    def following(self, response_id: str) -> Render | None:
        """The live render of OpenAI response `response_id`, whatever its key."""
        return next((render for render in self.all() if render.response_id == response_id), None)

    def all(self) -> list[Render]:
        return [render for render in self._live.values() if not render.done]
