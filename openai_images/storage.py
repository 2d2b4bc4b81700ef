"""Conversations on disk: one JSON file each, written atomically, locked per id.

A conversation is everything needed to continue after a restart: the messages,
the images (where they are and which OpenAI response made them) and the id of
the last response for `previous_response_id`. Ids are made here and checked on
every use, so a tool argument can never name a path outside the store.
"""

from __future__ import annotations

import builtins
import logging
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, ValidationError, model_validator

from openai_images import backends
from openai_images.backends import Change, Documents, FolderDocuments, refused_lock
from openai_images.errors import InvalidInput, NotFound, StorageError

log = logging.getLogger("openai_images_mcp.storage")

SCHEMA_VERSION = 2  # 2: the prompt's analysis is one record (1 kept three loose fields)
CONVERSATION_ID = re.compile(r"^conv_[0-9a-f]{16}$")
IMAGE_ID = re.compile(r"^img_[0-9a-f]{16}$")
TITLE_LENGTH = 80
LOCK_TIMEOUT_SECONDS = backends.LOCK_TIMEOUT_SECONDS
MAX_FILE_BYTES = 8 * 1024 * 1024  # a conversation file larger than this is refused, read or written
# Text read back from a file is cut to these lengths, whatever the file says (prompts are at most 32,000).
MAX_TEXT_CHARS = 40_000
MAX_TITLE_CHARS = TITLE_LENGTH + 1
MAX_PATH_CHARS = 1_024
MAX_SHORT_CHARS = 1_000


def _cut_to(limit: int) -> Callable[[str], str]:
    def cut(value: str) -> str:
        return value if len(value) <= limit else value[: limit - 1] + "…"

    return cut


# Strings as read back from a conversation file: cut to a sane length, so that a tampered file can
# neither slow the listing down nor blow up a result.
Text = Annotated[str, AfterValidator(_cut_to(MAX_TEXT_CHARS))]
Title = Annotated[str, AfterValidator(_cut_to(MAX_TITLE_CHARS))]
PathText = Annotated[str, AfterValidator(_cut_to(MAX_PATH_CHARS))]
Short = Annotated[str, AfterValidator(_cut_to(MAX_SHORT_CHARS))]


def now_iso() -> str:
    """The current UTC time as ISO 8601 with seconds, e.g. 2026-11-25T04:10:53+00:00."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_conversation_id() -> str:
    return "conv_" + secrets.token_hex(8)


def new_image_id() -> str:
    return "img_" + secrets.token_hex(8)


def check_conversation_id(value: str) -> str:
    """Return `value` if it is a conversation id this server could have made, else raise InvalidInput."""
    if not isinstance(value, str) or not CONVERSATION_ID.fullmatch(value):
        shown = value if isinstance(value, str) and len(value) <= 40 else f"{str(value)[:40]}..."
        raise InvalidInput(
            f"Invalid conversation_id {shown!r}: ids look like conv_0123456789abcdef "
            "('conv_' and 16 lowercase hex digits). Use an id returned by a previous call or by "
            "openai_list_conversations, or omit conversation_id to start a new conversation."
        )
    return value


class Message(BaseModel):
    role: Literal["user", "assistant"]
    text: Text
    time: Short = Field(default_factory=now_iso)


class ImageRecord(BaseModel):
    image_id: Short
    path: PathText
    response_id: Short | None = None
    image_call_id: Short | None = None
    prompt: Text
    revised_prompt: Text | None = None
    size: Short
    model: Short
    format: Short = "png"
    created_at: Short = Field(default_factory=now_iso)
    options: dict[str, Any] = Field(default_factory=dict)  # quality, background, output_format ... as sent
    usage: dict[str, Any] = Field(default_factory=dict)  # {"image": tool_usage.image_gen, "assistant": usage}
    cost_usd: float | None = None  # estimate from usage; None when no price is known
    cost_note: Short | None = None
    parent_id: Short | None = None  # the image this one refined (None: a first image); the conversation's images form a tree
    variation: Short | None = None  # "2/4": one of several variations made at once from one prompt


class PromptAnalysis(BaseModel):
    """What the server worked out about a conversation's first prompt: one record from the tool call to the result."""

    image_type: Short
    score_before: int
    score_after: int | None = None  # the score of the prompt sent, once the first image is made
    final_prompt: Text | None = None  # the prompt a dialogue built
    size_reason: Short | None = None  # why the first image got its size
    type_words: list[str] = Field(default_factory=list)  # the words the type was detected from


class PendingRender(BaseModel):
    """An image OpenAI is making: enough to collect it from any process, and to save and record it as if the call had waited."""

    response_id: Short
    started_at: Short = Field(default_factory=now_iso)
    background: bool = True  # False: a foreground stream, which cannot be streamed again, only looked up
    streamed: bool = True  # False: a discounted completion window, collected by polling
    completion_window: Short = "soonest"
    last_sequence: int = -1  # the last stream event seen; a resumed stream starts after it
    file_stem: Short  # openai_image_YYYYMMDD_HHMMSS_XXXXXXXX: the saved file's name, fixed when the render began
    prompt: Text  # as sent
    user_message: Text | None = None  # recorded as the user's turn when the image lands
    size: Short
    assistant_model: Short
    options: dict[str, Any] = Field(default_factory=dict)  # the image tool's options, as sent
    analysis: PromptAnalysis | None = None
    notes: list[Short] = Field(default_factory=list)
    parent_id: Short | None = None  # the image this render refines
    variation: Short | None = None  # "2/4" when it is one of several variations


class EndedRender(BaseModel):
    """A render that ended without an image: cancelled, failed, incomplete or expired at OpenAI."""

    response_id: Short
    started_at: Short
    ended_at: Short = Field(default_factory=now_iso)
    status: Literal["cancelled", "failed"]
    message: Text
    after_images: int = 0  # how many images the conversation had when it began: later than those, earlier than the next


MAX_ENDED_RENDERS = 20  # the most recent ones kept in a conversation file


class Conversation(BaseModel):
    schema_version: int = SCHEMA_VERSION
    id: Short
    title: Title
    created_at: Short = Field(default_factory=now_iso)
    updated_at: Short = Field(default_factory=now_iso)
    dialogue_mode: Short = "guided"
    skip_dialogue: bool = False
    assistant_model: Short | None = None
    messages: list[Message] = Field(default_factory=list)
    images: list[ImageRecord] = Field(default_factory=list)
    last_response_id: Short | None = None
    requested_size: Short | None = None  # an explicit size from the first call, kept for the dialogue's end
    requested_window: Short | None = None  # a discounted completion_window from the first call, likewise
    requested_variations: int | None = None  # variations asked for on the first call, made once the dialogue ends
    options: dict[str, Any] = Field(default_factory=dict)  # image options reused by later refinements
    # The pre-generation dialogue's state as plain data: dialogue.restore() checks it, so that storage
    # stays below the domain and a damaged state cannot hide the rest of the conversation.
    dialogue: dict[str, Any] | None = None
    analysis: PromptAnalysis | None = None
    pending_render: PendingRender | None = None  # the image being made right now, if any
    pending_variations: list[PendingRender] = Field(default_factory=list)  # the other variations being made with it
    ended_renders: list[EndedRender] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _from_version_1(cls, data: Any) -> Any:
        """Version 1 kept image_type, score_before and score_after as loose fields: gather them into `analysis`."""
        if not isinstance(data, dict) or "analysis" in data:
            return data
        data = dict(data)
        image_type, before, after = (data.pop(key, None) for key in ("image_type", "score_before", "score_after"))
        if image_type is not None and before is not None:
            data["analysis"] = {"image_type": image_type, "score_before": before, "score_after": after}
        data["schema_version"] = SCHEMA_VERSION
        return data

    @property
    def last_image(self) -> ImageRecord | None:
        return self.images[-1] if self.images else None

    def image(self, image_id: str) -> ImageRecord | None:
        """This conversation's record of `image_id`, or None."""
        return next((image for image in self.images if image.image_id == image_id), None)

    def image_of_response(self, response_id: str) -> ImageRecord | None:
        """The image that response `response_id` made, once it is recorded."""
        return next((image for image in self.images if image.response_id == response_id), None)

    def parent_of(self, image: ImageRecord) -> ImageRecord | None:
        """The image `image` refined, if it is in this conversation."""
        return self.image(image.parent_id) if image.parent_id else None

    @property
    def leaves(self) -> list[ImageRecord]:
        """The images nothing was refined from yet: one per branch of the tree."""
        parents = {image.parent_id for image in self.images if image.parent_id}
        return [image for image in self.images if image.image_id not in parents]

    def pending(self, response_id: str) -> PendingRender | None:
        """The render `response_id` if it is pending here, as the main render or as a variation."""
        return next((p for p in self.all_pending if p.response_id == response_id), None)

    @property
    def all_pending(self) -> list[PendingRender]:
        """Every render pending in this conversation: the main one first, then the variations."""
        return ([self.pending_render] if self.pending_render else []) + list(self.pending_variations)

    def drop_pending(self, response_id: str) -> PendingRender | None:
        """Forget the pending render `response_id` (it landed or ended); the one dropped, if any."""
        found = self.pending(response_id)
        if self.pending_render is not None and self.pending_render.response_id == response_id:
            self.pending_render = None
        self.pending_variations = [p for p in self.pending_variations if p.response_id != response_id]
        return found

    @property
    def last_ended_render(self) -> EndedRender | None:
        """The render that ended without an image after the last image, if the latest thing to happen was one."""
        ended = self.ended_renders[-1] if self.ended_renders else None
        return ended if ended is not None and ended.after_images >= len(self.images) else None

    @property
    def question_pending(self) -> bool:
        """True while the dialogue waits for an answer (its state names a pending question)."""
        return bool(self.dialogue and self.dialogue.get("pending"))


def new_conversation(prompt: str, **fields: Any) -> Conversation:
    """A new conversation (not saved yet) with a fresh id and a title from its first prompt."""
    return Conversation(id=new_conversation_id(), title=make_title(prompt), **fields)


def make_title(prompt: str) -> str:
    """A one-line title from the first prompt, cut at a word near TITLE_LENGTH characters."""
    line = " ".join(prompt.split())
    if len(line) <= TITLE_LENGTH:
        return line
    cut = line[:TITLE_LENGTH].rsplit(" ", 1)[0] or line[:TITLE_LENGTH]
    return cut + "…"


class ConversationSummary(BaseModel):
    id: str
    title: str
    created_at: str
    updated_at: str
    dialogue_mode: str
    question_pending: bool
    score_before: int | None
    score_after: int | None
    image_count: int
    last_image_path: str | None
    cost_usd: float | None = Field(description="Estimated cost of its images; None when none has a known price")
    unpriced_images: int
    rendering_since: str | None = Field(default=None, description="When the image being made now was started; None when none is")
    pending_response_id: str | None = None
    branches: int = Field(
        default=0,
        description="How many lines of refinement the images form (1: one line; more after refining an earlier image or making variations)",
    )


class Listing(BaseModel):
    conversations: list[ConversationSummary]
    total_matching: int
    unreadable: int
    folder: str


class ConversationStore:
    """Conversations as documents named `<id>.json`: files in `folder` by default, or any `backends.Documents`."""

    def __init__(self, folder: Path | None = None, *, documents: Documents | None = None):
        if documents is None:
            if folder is None:
                raise ValueError("ConversationStore needs a folder or documents")
            documents = FolderDocuments(folder, folder.parent / "locks")
        self.documents = documents
        self.folder = folder  # None when the conversations are not files
        self.label = documents.label

    def path_for(self, conversation_id: str) -> Path:
        if self.folder is None:
            raise ValueError("this store keeps no files")
        return self.folder / f"{check_conversation_id(conversation_id)}.json"

    def _where(self, conversation_id: str) -> str:
        return f"{self.label}/{conversation_id}.json" if self.folder is None else str(self.path_for(conversation_id))

    def load(self, conversation_id: str) -> Conversation:
        """Read one conversation; StorageError when it is missing or unreadable (the file is left as it is)."""
        name = f"{check_conversation_id(conversation_id)}.json"
        try:
            raw = self.documents.read(name, MAX_FILE_BYTES)
        except FileNotFoundError:
            raise NotFound(
                f"No conversation {conversation_id} in {self.label}. "
                "Call openai_list_conversations to see the saved ones, or omit conversation_id to start a new one."
            ) from None
        except OSError as exc:
            raise StorageError(
                f"Could not read conversation file {self._where(conversation_id)}: {exc.strerror or exc}. It was left untouched."
            ) from None
        return self._checked(conversation_id, raw)

    def _checked(self, conversation_id: str, raw: bytes) -> Conversation:
        try:
            conversation = Conversation.model_validate_json(raw)
        except ValidationError:
            raise StorageError(
                f"Conversation file {self._where(conversation_id)} is damaged (not valid conversation JSON). It was left untouched; "
                "move it aside or fix it by hand, or start a new conversation."
            ) from None
        if conversation.id != conversation_id:
            raise StorageError(f"Conversation file {self._where(conversation_id)} holds id {conversation.id!r}, not {conversation_id!r}.")
        return conversation

    def _encoded(self, conversation: Conversation) -> bytes:
        data = conversation.model_dump_json(indent=2).encode()
        if len(data) > MAX_FILE_BYTES:
            raise StorageError(
                f"Conversation {conversation.id} would grow past {MAX_FILE_BYTES // 1024 // 1024} MB, the most one "
                "conversation file holds; it was not changed. Start a new conversation to go on."
            )
        return data

    def save(self, conversation: Conversation) -> None:
        """Write the whole conversation, whole or not at all (a file: a temporary file, fsync, rename over the old one)."""
        data = self._encoded(conversation)
        self._write(conversation.id, lambda current: data)

    def _write(self, conversation_id: str, change: Change) -> None:
        """One atomic read-modify-write of the conversation's document, with the backend's failures told as StorageError."""
        name = f"{check_conversation_id(conversation_id)}.json"
        try:
            self.documents.update(name, change, MAX_FILE_BYTES)
        except TimeoutError:
            raise StorageError(
                f"Conversation {conversation_id} stayed locked by another call for {LOCK_TIMEOUT_SECONDS} s; try again."
            ) from None
        except OSError as exc:
            if refused_lock(exc):
                raise StorageError(
                    f"The lock file {exc.filename or 'of this conversation'} is not a regular file, so conversation {conversation_id} "
                    "was not changed. Remove it; the server makes a new one."
                ) from None
            hint = (
                "Check that OPENAI_IMAGES_DATA_DIR points to a writable folder." if self.folder else "Check the bucket and its credentials."
            )
            raise StorageError(f"Could not save conversation {conversation_id} in {self.label}: {exc.strerror or exc}. {hint}") from None

    def update(self, conversation_id: str, change: Callable[[Conversation], None]) -> Conversation:
        """Load, apply `change`, stamp updated_at and save, atomically against every other writer.

        `change` may run more than once (an object store retries when another replica wrote first), each time on a fresh copy.
        """
        done: list[Conversation] = []

        def apply(current: bytes | None) -> bytes:
            # No document: load raises NotFound with the usual words (or reads one that appeared since).
            conversation = self.load(conversation_id) if current is None else self._checked(conversation_id, current)
            change(conversation)
            conversation.updated_at = now_iso()
            done[:] = [conversation]
            return self._encoded(conversation)

        self._write(conversation_id, apply)
        return done[0]

    def add_turn(
        self, conversation_id: str, *, prompt: str | None, image: ImageRecord, assistant_text: str | None, **fields: Any
    ) -> Conversation:
        """Record one generated image, the messages around it and any changed `fields`, under the lock."""

        def change(conversation: Conversation) -> None:
            record_turn(conversation, prompt=prompt, image=image, assistant_text=assistant_text)
            for name, value in fields.items():
                setattr(conversation, name, value)

        return self.update(conversation_id, change)

    def begin_render(self, conversation: Conversation, pending: PendingRender, *, is_new: bool) -> Conversation:
        """Write down a render OpenAI has started, before anything else happens: a new conversation's first save."""
        if is_new:
            started = conversation.model_copy(update={"pending_render": pending, "updated_at": now_iso()})
            self.save(started)
            return started

        def change(stored: Conversation) -> None:
            if pending.variation is not None and not pending.variation.startswith("1/"):
                stored.pending_variations = [p for p in stored.pending_variations if p.response_id != pending.response_id] + [pending]
                return
            if stored.pending_render is not None and stored.pending_render.response_id != pending.response_id:
                log.warning(
                    "Conversation %s: render %s replaces %s as the pending one",
                    stored.id,
                    pending.response_id,
                    stored.pending_render.response_id,
                )
            stored.pending_render = pending

        return self.update(conversation.id, change)

    def finish_render(
        self, conversation_id: str, response_id: str, *, prompt: str | None, image: ImageRecord, assistant_text: str | None, **fields: Any
    ) -> tuple[Conversation, ImageRecord, bool]:
        """Record the image of render `response_id` once: (conversation, its record, whether this call recorded it).

        A second process that collected the same render finds the image already recorded and gets that record.
        """
        recorded: list[ImageRecord] = []

        def change(conversation: Conversation) -> None:
            recorded.clear()  # a retried write starts again from the stored conversation
            if conversation.image_of_response(response_id) is None:
                record_turn(conversation, prompt=prompt, image=image, assistant_text=assistant_text)
                for name, value in fields.items():
                    setattr(conversation, name, value)
                recorded.append(image)
            conversation.drop_pending(response_id)

        conversation = self.update(conversation_id, change)
        return conversation, conversation.image_of_response(response_id) or image, bool(recorded)

    def end_render(self, conversation_id: str, response_id: str, *, status: Literal["cancelled", "failed"], message: str) -> Conversation:
        """The render ended without an image: no longer pending, and the reason kept (unless its image landed after all)."""

        def change(conversation: Conversation) -> None:
            pending = conversation.pending(response_id)
            if pending is None or conversation.image_of_response(response_id):
                return
            conversation.drop_pending(response_id)
            ended = EndedRender(
                response_id=response_id,
                started_at=pending.started_at,
                status=status,
                message=message,
                after_images=len(conversation.images),
            )
            conversation.ended_renders = [*conversation.ended_renders, ended][-MAX_ENDED_RENDERS:]

        return self.update(conversation_id, change)

    def note_sequence(self, conversation_id: str, response_id: str, last_sequence: int) -> None:
        """Remember the last stream event seen of a pending render, so that another process resumes after it."""

        def change(conversation: Conversation) -> None:
            pending = conversation.pending(response_id)
            if pending is not None and last_sequence > pending.last_sequence:
                pending.last_sequence = last_sequence

        self.update(conversation_id, change)

    def find_image(self, image_id: str) -> tuple[Conversation, ImageRecord] | None:
        """The conversation that lists `image_id` as its own, and its record; None when no conversation does.

        Each image belongs to one conversation. A second file that lists the same id (a copied or
        planted file) makes the id ambiguous, and it is refused rather than resolved to either.
        """
        if not IMAGE_ID.fullmatch(image_id):
            return None
        found: list[tuple[Conversation, ImageRecord]] = []
        for _, path in self._files():
            raw = self._read_bytes(path)
            if raw is None or image_id.encode() not in raw:
                continue  # cheap byte test first: parsing every file is what makes big stores slow
            conversation = self._parse(path, raw)
            if conversation is None or f"{conversation.id}.json" != path:
                continue  # a file whose name and content disagree belongs to no one
            record = conversation.image(image_id)
            if record is not None:
                found.append((conversation, record))
        if len(found) > 1:
            owners = ", ".join(conversation.id for conversation, _ in found[:5])
            raise StorageError(
                f"Image {image_id} is listed by {len(found)} conversation files ({owners}); a file may have been copied "
                f"or planted in {self.label}, so the id is not used. Refine the image through its conversation_id instead."
            )
        return found[0] if found else None

    def list(self, limit: int = 20, query: str | None = None) -> Listing:
        """Newest first (by updated_at); `query` matches prompts and titles, case-insensitively.

        Without a query only the newest files are read: every save rewrites its file, so file
        modification times give the order, and only `limit` files (plus ties) are parsed.
        """
        limit = max(limit, 0)
        files = self._files()
        needle = (query or "").strip().casefold()
        found: list[Conversation] = []
        unreadable = 0
        if needle:
            # A conversation can only match if the needle is somewhere in its file's text.
            prefilter = not any(ch in needle for ch in '"\\') and needle.isprintable()
            for _, path in files:
                raw = self._read_bytes(path)
                if raw is None:
                    unreadable += 1
                    continue
                if prefilter and needle not in raw.decode("utf-8", "replace").casefold():
                    continue
                conversation = self._parse(path, raw)
                if conversation is None:
                    unreadable += 1
                elif _matches(conversation, needle):
                    found.append(conversation)
            total = len(found)
        else:
            files.sort(key=lambda entry: entry[0], reverse=True)
            last_mtime = None
            for mtime, path in files:
                if len(found) >= limit and mtime != last_mtime:
                    break
                raw = self._read_bytes(path)
                conversation = self._parse(path, raw) if raw is not None else None
                if conversation is None:
                    unreadable += 1
                    continue
                found.append(conversation)
                last_mtime = mtime
            total = len(files) - unreadable
        found.sort(key=lambda c: (c.updated_at, c.created_at), reverse=True)
        return Listing(
            conversations=[_summary(c) for c in found[:limit]],
            total_matching=total,
            unreadable=unreadable,
            folder=self.label,
        )

    def _files(self) -> builtins.list[tuple[int, str]]:  # plain `list` here is the method above
        """(modification time in ns, name) of every conversation document."""
        return [(mtime, name) for mtime, name in self.documents.names() if name.startswith("conv_")]

    def _read_bytes(self, name: str) -> bytes | None:
        try:
            return self.documents.read(name, MAX_FILE_BYTES)
        except OSError as exc:
            log.warning("Skipping unreadable conversation file %s/%s: %s", self.label, name, exc.strerror or exc)
            return None

    def _parse(self, name: str, raw: bytes) -> Conversation | None:
        try:
            return Conversation.model_validate_json(raw)
        except (ValidationError, ValueError) as exc:
            log.warning("Skipping damaged conversation file %s/%s: %s", self.label, name, type(exc).__name__)
            return None


def record_turn(conversation: Conversation, *, prompt: str | None, image: ImageRecord, assistant_text: str | None) -> None:
    """Append the user's prompt (when it is new text), the assistant's reply and the image."""
    if prompt:
        conversation.messages.append(Message(role="user", text=prompt))
    if assistant_text:
        conversation.messages.append(Message(role="assistant", text=assistant_text))
    conversation.images.append(image)
    conversation.last_response_id = image.response_id


def _matches(conversation: Conversation, needle: str) -> bool:
    if needle in conversation.title.casefold():
        return True
    return any(m.role == "user" and needle in m.text.casefold() for m in conversation.messages)


def _summary(conversation: Conversation) -> ConversationSummary:
    last, analysis = conversation.last_image, conversation.analysis
    priced = [image.cost_usd for image in conversation.images if image.cost_usd is not None]
    return ConversationSummary(
        id=conversation.id,
        title=conversation.title,
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
        dialogue_mode=conversation.dialogue_mode,
        question_pending=conversation.question_pending,
        score_before=analysis.score_before if analysis else None,
        score_after=analysis.score_after if analysis else None,
        image_count=len(conversation.images),
        last_image_path=last.path if last else None,
        cost_usd=round(sum(priced), 6) if priced else None,
        unpriced_images=len(conversation.images) - len(priced),
        rendering_since=min((p.started_at for p in conversation.all_pending), default=None),
        pending_response_id=conversation.all_pending[0].response_id if conversation.all_pending else None,
        branches=len(conversation.leaves),
    )
