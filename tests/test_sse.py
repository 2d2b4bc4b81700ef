"""Framing server-sent events from raw bytes: every way a stream may cut, end its lines or comment."""

from __future__ import annotations

import json

from openai_images import sse

STREAM = (
    b": keep-alive comment\n\n"
    b'event: response.created\ndata: {"type": "response.created", "sequence_number": 0}\n\n'
    b"data: first line\ndata: second line\n\n"
    b"event: response.completed\ndata: "
    + json.dumps({"type": "response.completed", "response": {"x": "A" * 300_000}, "sequence_number": 9}).encode()
    + b"\n\n"
)


def _all(chunks) -> list[sse.Event]:
    framer = sse.Framer()
    return [event for chunk in chunks for event in framer.feed(chunk)]


def test_events_are_the_same_however_the_bytes_are_cut():
    whole = _all([STREAM])
    assert [event.name for event in whole] == ["response.created", "", "response.completed"]
    assert whole[1].data == b"first line\nsecond line"
    assert json.loads(whole[2].data)["response"]["x"] == "A" * 300_000
    assert _all([STREAM[i : i + 1] for i in range(0, 2000)] + [STREAM[2000:]]) == whole
    assert _all([STREAM[i : i + 4096] for i in range(0, len(STREAM), 4096)]) == whole


def test_crlf_and_cr_line_ends_frame_alike_even_when_a_crlf_is_split():
    crlf = STREAM.replace(b"\n", b"\r\n")
    assert _all([crlf]) == _all([STREAM])
    cut = crlf.index(b"\r\n\r\n") + 1  # between the CR and the LF
    assert _all([crlf[:cut], crlf[cut:]]) == _all([STREAM])
    assert _all([STREAM.replace(b"\n", b"\r")]) == _all([STREAM])


def test_an_unfinished_event_waits_for_its_blank_line():
    framer = sse.Framer()
    assert framer.feed(b"event: a\ndata: 1\n") == []
    assert framer.feed(b"\n") == [sse.Event(name="a", data=b"1")]


def test_the_sequence_number_is_read_from_either_end_without_parsing():
    assert sse.sequence_number(b'{"type": "x", "sequence_number": 12, "item": "' + b"B" * 100_000 + b'"}') == 12
    assert sse.sequence_number(b'{"item": "' + b"B" * 100_000 + b'", "sequence_number":7}') == 7
    assert sse.sequence_number(b'{"item": "' + b"B" * 100_000 + b'"}') is None
    assert sse.sequence_number(b'{"text": "say \\"sequence_number\\": 5", "sequence_number": 3}') == 3
