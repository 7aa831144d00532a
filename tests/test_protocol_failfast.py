"""Fail-fast UTF-8 validation of text frames that arrive in pieces (the
Autobahn Testsuite's cases 6.4.3 and 6.4.4)."""

from __future__ import annotations

from typing import Optional

import pytest

from websockets.exceptions import ConnectionClosedError
from websockets.framing import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_TEXT,
    Frame,
    serialize_close,
)

from .protocol_helpers import close_frames, open_protocol, peer_frame


@pytest.mark.parametrize("is_client", [False, True])
async def test_invalid_utf8_in_incomplete_frame(is_client: bool) -> None:
    protocol, transport = open_protocol(is_client)
    wire = peer_frame(protocol, OP_TEXT, "κόσμε".encode() + b"\xff" + b"x" * 100)
    # First part: valid UTF-8; nothing happens.
    protocol.data_received(wire[:12])
    assert transport.writes == []
    # Second part: the invalid byte; the connection fails before the frame is
    # complete.
    protocol.data_received(wire[12:20])
    assert close_frames(protocol, transport) == [
        (1007, "invalid start byte at position 10")
    ]
    # The rest of the frame and the peer's close frame complete the closing
    # handshake; the message is never delivered.
    protocol.data_received(wire[20:])
    protocol.data_received(peer_frame(protocol, OP_CLOSE, serialize_close(1007, "")))
    with pytest.raises(ConnectionClosedError) as raised:
        await protocol.recv()
    assert raised.value.code == 1007
    assert len(close_frames(protocol, transport)) == 1


async def test_multibyte_character_split_across_parts_of_a_frame() -> None:
    protocol, transport = open_protocol()
    text = "🍵" * 50
    wire = peer_frame(protocol, OP_TEXT, text.encode())
    for i in range(0, len(wire), 3):
        protocol.data_received(wire[i : i + 3])
    assert transport.writes == []
    assert await protocol.recv() == text


async def test_invalid_utf8_in_incomplete_continuation_frame() -> None:
    protocol, transport = open_protocol()
    # The first fragment ends in the middle of a character; the continuation
    # frame starts with a byte that can't continue it.
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"caf\xc3", fin=False))
    wire = peer_frame(protocol, OP_CONT, b"(" + b"x" * 100)
    protocol.data_received(wire[:10])
    assert close_frames(protocol, transport)[0][0] == 1007


async def test_valid_continuation_frame_in_parts() -> None:
    protocol, transport = open_protocol()
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"caf\xc3", fin=False))
    wire = peer_frame(protocol, OP_CONT, b"\xa9" + b"!" * 100)
    protocol.data_received(wire[:10])
    protocol.data_received(wire[10:])
    assert transport.writes == []
    assert await protocol.recv() == "café" + "!" * 100


async def test_binary_frames_in_parts_arent_decoded() -> None:
    protocol, transport = open_protocol()
    wire = peer_frame(protocol, OP_BINARY, b"\xff" * 100)
    protocol.data_received(wire[:20])
    protocol.data_received(wire[20:])
    assert await protocol.recv() == b"\xff" * 100
    # Nor continuation frames of binary messages.
    protocol.data_received(peer_frame(protocol, OP_BINARY, b"\xff", fin=False))
    wire = peer_frame(protocol, OP_CONT, b"\xff" * 100)
    protocol.data_received(wire[:20])
    protocol.data_received(wire[20:])
    assert await protocol.recv() == b"\xff" * 101
    assert transport.writes == []


async def test_compressed_frames_in_parts_arent_decoded() -> None:
    # RSV1 marks compressed data, validated once inflated. Without an
    # extension, the complete frame is then rejected for its reserved bit.
    protocol, transport = open_protocol()
    plain = peer_frame(protocol, OP_TEXT, b"\xff" * 100)
    wire = bytes([plain[0] | 0x40]) + plain[1:]
    protocol.data_received(wire[:20])
    assert transport.writes == []
    protocol.data_received(wire[20:])
    assert close_frames(protocol, transport)[0][0] == 1002


async def test_header_only_and_incomplete_header() -> None:
    protocol, transport = open_protocol()
    wire = peer_frame(protocol, OP_TEXT, b"\xff" * 300)
    protocol.data_received(wire[:1])  # incomplete header
    protocol.data_received(wire[1:4])  # incomplete extended length
    protocol.data_received(wire[4:8])  # header complete, no payload
    assert transport.writes == []
    protocol.data_received(wire[8:9])
    assert close_frames(protocol, transport)[0][0] == 1007


async def test_no_validation_after_failing() -> None:
    protocol, transport = open_protocol()
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"\xff"))
    assert len(close_frames(protocol, transport)) == 1
    wire = peer_frame(protocol, OP_TEXT, b"\xff" * 100)
    protocol.data_received(wire[:20])
    assert len(close_frames(protocol, transport)) == 1


async def test_continuation_frames_with_extensions_arent_decoded() -> None:
    # RFC 7692 6.1: only the first frame of a compressed message has RSV1;
    # continuation frames carry compressed data without it.
    class Inflate:
        name = "fake-inflate"

        def decode(self, frame: Frame, *, max_size: Optional[int] = None) -> Frame:
            return frame._replace(rsv1=False, data=frame.data.replace(b"\xff", b"!"))

        def encode(self, frame: Frame) -> Frame:  # pragma: no cover
            return frame

    protocol, transport = open_protocol()
    protocol.extensions = [Inflate()]  # type: ignore[list-item]
    assert protocol._parser is not None
    protocol._parser.extensions = protocol.extensions
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"abc", fin=False))
    wire = peer_frame(protocol, OP_CONT, b"\xff" * 100)
    protocol.data_received(wire[:20])
    protocol.data_received(wire[20:])
    assert transport.writes == []
    assert await protocol.recv() == "abc" + "!" * 100
