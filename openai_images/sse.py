"""Server-sent events framed from raw bytes with bytes.find, leaving each payload as bytes for the caller to parse.

An image arrives twice in a Responses stream (the finished output item, then the final
response): about 4 MB of base64 per 1024x1024 photo. The OpenAI SDK frames a stream with a
regular expression over every line on the event loop, so eight images finishing together kept
the loop from answering a ping for about a tenth of a second. Framing here costs a few C-level
searches per chunk, and a caller can skip an event it does not need, or parse a big one in a
thread. Pure logic, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SEQUENCE = re.compile(rb'"sequence_number"\s*:\s*(\d+)')
_LOOK = 256  # bytes at each end of a payload searched for its sequence number


@dataclass(frozen=True)
class Event:
    """One event: its `event:` name ("" when the stream gave none) and its `data:` lines joined by newlines."""

    name: str
    data: bytes


class Framer:
    """Cuts a byte stream into events at blank lines; CR, LF and CRLF line ends are all accepted."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._scan = 0  # where the search for the next blank line resumes
        self._held_cr = False  # the last chunk ended in CR: a LF starting the next one belongs to it

    def feed(self, chunk: bytes) -> list[Event]:
        """The events completed by `chunk`, in order."""
        if self._held_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]  # the LF of a CRLF whose CR ended the last chunk
        self._held_cr = chunk.endswith(b"\r")
        if b"\r" in chunk:
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        self._buffer += chunk
        events: list[Event] = []
        while True:
            end = self._buffer.find(b"\n\n", self._scan)
            if end < 0:
                self._scan = max(0, len(self._buffer) - 1)
                return events
            block = bytes(self._buffer[:end])
            del self._buffer[: end + 2]
            self._scan = 0
            event = _event(block)
            if event is not None:
                events.append(event)


def _event(block: bytes) -> Event | None:
    name, data = "", []
    for line in block.split(b"\n"):
        if not line or line.startswith(b":"):  # a comment, such as a keep-alive
            continue
        field, _, value = line.partition(b":")
        if value.startswith(b" "):
            value = value[1:]
        if field == b"event":
            name = value.decode("utf-8", "replace")
        elif field == b"data":
            data.append(value)
    if not name and not data:
        return None
    return Event(name=name, data=b"\n".join(data))


def sequence_number(data: bytes) -> int | None:
    """The event's sequence_number, read from either end of its payload without parsing it; None if not found."""
    match = _SEQUENCE.search(data, 0, _LOOK) or _SEQUENCE.search(data, max(0, len(data) - _LOOK))
    return int(match.group(1)) if match else None
