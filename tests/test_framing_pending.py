"""Tests for FrameParser.pending_payload(), the peek used for fail-fast
UTF-8 validation of text frames that arrive in pieces."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from websockets.frame_parser import FrameParser
from websockets.framing import OP_BINARY, OP_TEXT, Frame


def test_no_header() -> None:
    parser = FrameParser(mask=False)
    assert parser.pending_payload(0) is None
    parser.feed(b"\x81")
    assert parser.pending_payload(0) is None


def test_incomplete_extended_length() -> None:
    parser = FrameParser(mask=False)
    parser.feed(b"\x81\x7e\x01")  # 16-bit length, one byte of it
    assert parser.next_frame() is None
    assert parser.pending_payload(0) is None


def test_header_only() -> None:
    parser = FrameParser(mask=True)
    parser.feed(Frame(True, OP_BINARY, b"abcdef").serialize(mask=True)[:6])
    assert parser.next_frame() is None
    assert parser.pending_payload(0) == (0x82, b"")


def test_offset_beyond_available() -> None:
    parser = FrameParser(mask=False)
    parser.feed(Frame(True, OP_TEXT, b"abcdef").serialize(mask=False)[:4])
    assert parser.next_frame() is None
    assert parser.pending_payload(0) == (0x81, b"ab")
    assert parser.pending_payload(2) == (0x81, b"")
    assert parser.pending_payload(5) == (0x81, b"")


def test_max_size_not_applied() -> None:
    # next_frame() enforces max_size; peeking doesn't raise again.
    parser = FrameParser(mask=False, max_size=1)
    parser.feed(b"\x81\x05ab")
    with pytest.raises(Exception):  # noqa: B017 - PayloadTooBig
        parser.next_frame()
    assert parser.pending_payload(0) == (0x81, b"ab")


@pytest.mark.parametrize("mask", [True, False])
@given(
    payload=st.binary(min_size=1, max_size=600),
    sizes=st.lists(st.integers(min_value=1, max_value=97), min_size=1, max_size=30),
)
def test_incremental_peek_matches_payload(
    mask: bool, payload: bytes, sizes: list[int]
) -> None:
    # Feeding a frame in arbitrary pieces and peeking after each piece from
    # the last offset reassembles a prefix of the payload, then the frame.
    wire = Frame(True, OP_BINARY, payload).serialize(mask=mask)
    parser = FrameParser(mask=mask)
    seen = b""
    pos = 0
    index = 0
    while pos < len(wire):
        size = sizes[index % len(sizes)]
        index += 1
        parser.feed(wire[pos : pos + size])
        pos += size
        frame = parser.next_frame()
        if frame is not None:
            assert frame.data == payload
            assert payload.startswith(seen)
            return
        peek = parser.pending_payload(len(seen))
        if peek is not None:
            assert peek[0] == 0x82
            seen += peek[1]
            assert payload.startswith(seen)
    raise AssertionError("frame not parsed")  # pragma: no cover


def test_skip_whole_chunks() -> None:
    # Large chunks are kept separately; peeking past the first one skips it.
    payload = bytes(range(256)) * 64  # 16 KiB
    wire = Frame(True, OP_BINARY, payload).serialize(mask=True)
    parser = FrameParser(mask=True)
    parser.feed(wire[:100])
    assert parser.next_frame() is None
    parser.feed(wire[100:5100])
    assert parser.next_frame() is None
    first = parser.pending_payload(0)
    assert first is not None
    parser.feed(wire[5100:10100])
    assert parser.next_frame() is None
    second = parser.pending_payload(len(first[1]))
    assert second is not None
    assert first[1] + second[1] == payload[: len(first[1]) + len(second[1])]
    assert len(first[1]) + len(second[1]) == 10100 - 8  # 8-byte header
