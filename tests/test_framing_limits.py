"""max_size with extensions: the wire limit has slack for payloads that grow
when compressed, and the decoded size is enforced exactly."""

from __future__ import annotations

import os
from typing import Optional

import pytest

from websockets.exceptions import PayloadTooBig
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frame_parser import FrameParser
from websockets.framing import (
    OP_BINARY,
    Frame,
    check_decoded_size,
    wire_limit,
)


class PassThrough:
    """Extension that doesn't change frames."""

    name = "pass-through"

    def decode(self, frame: Frame, *, max_size: Optional[int] = None) -> Frame:
        return frame

    def encode(self, frame: Frame) -> Frame:
        return frame


def test_wire_limit() -> None:
    assert wire_limit(None, [PassThrough()]) is None  # type: ignore[list-item]
    assert wire_limit(1000, None) == 1000
    assert wire_limit(1000, []) == 1000
    assert wire_limit(2**20, [PassThrough()]) == 2**20 + 2**14 + 1024  # type: ignore[list-item]


def test_check_decoded_size() -> None:
    check_decoded_size(Frame(True, OP_BINARY, b"abc"), None)
    check_decoded_size(Frame(True, OP_BINARY, b"abc"), 3)
    with pytest.raises(PayloadTooBig, match=r"\(4 > 3 bytes\)"):
        check_decoded_size(Frame(True, OP_BINARY, b"abcd"), 3)


def compressed_random_frame(size: int) -> tuple[bytes, PerMessageDeflate]:
    """A compressed frame of incompressible data: larger on the wire."""
    sender = PerMessageDeflate(False, False, 15, 15)
    receiver = PerMessageDeflate(False, False, 15, 15)
    frame = sender.encode(Frame(True, OP_BINARY, os.urandom(size)))
    assert len(frame.data) > size
    return _wire(frame), receiver


def _wire(frame: Frame) -> bytes:
    # serialize() checks reserved bits before extensions; build the frame as
    # an extension would have sent it.
    plain = Frame(frame.fin, frame.opcode, frame.data).serialize(mask=True)
    return bytes([plain[0] | 0x40]) + plain[1:]


def test_parser_accepts_incompressible_message_of_max_size() -> None:
    size = 2**16
    wire, receiver = compressed_random_frame(size)
    parser = FrameParser(mask=True, max_size=size, extensions=[receiver])
    parser.feed(wire)
    frame = parser.next_frame()
    assert frame is not None and len(frame.data) == size


async def test_read_accepts_incompressible_message_of_max_size() -> None:
    size = 2**16
    wire, receiver = compressed_random_frame(size)
    stream = bytearray(wire)

    async def reader(n: int) -> bytes:
        data = bytes(stream[:n])
        del stream[:n]
        return data

    frame = await Frame.read(reader, mask=True, max_size=size, extensions=[receiver])
    assert len(frame.data) == size


def test_parser_rejects_uncompressed_frame_over_max_size_with_extensions() -> None:
    # The wire limit has slack; the decoded size doesn't.
    parser = FrameParser(mask=False, max_size=100, extensions=[PassThrough()])  # type: ignore[list-item]
    parser.feed(Frame(True, OP_BINARY, b"x" * 101).serialize(mask=False))
    with pytest.raises(PayloadTooBig):
        parser.next_frame()


async def test_read_rejects_uncompressed_frame_over_max_size_with_extensions() -> None:
    stream = bytearray(Frame(True, OP_BINARY, b"x" * 101).serialize(mask=False))

    async def reader(n: int) -> bytes:
        data = bytes(stream[:n])
        del stream[:n]
        return data

    with pytest.raises(PayloadTooBig):
        await Frame.read(
            reader,
            mask=False,
            max_size=100,
            extensions=[PassThrough()],  # type: ignore[list-item]
        )


def test_parser_rejects_bomb_beyond_slack() -> None:
    # A compressed payload larger than the slack is rejected from its header.
    parser = FrameParser(mask=False, max_size=1000, extensions=[PassThrough()])  # type: ignore[list-item]
    parser.feed(Frame(True, OP_BINARY, b"x" * 3000).serialize(mask=False)[:4])
    with pytest.raises(PayloadTooBig):
        parser.next_frame()
