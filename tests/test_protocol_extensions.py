"""The connection applies extensions to the frames it writes and reads."""

from __future__ import annotations

from typing import Optional

from websockets.frame_parser import FrameParser
from websockets.framing import OP_TEXT, Frame

from .protocol_helpers import open_protocol


class Reverse:
    """Extension that reverses payloads and claims RSV1."""

    name = "x-reverse"

    def decode(self, frame: Frame, *, max_size: Optional[int] = None) -> Frame:
        if not frame.rsv1:
            return frame
        return frame._replace(rsv1=False, data=frame.data[::-1])

    def encode(self, frame: Frame) -> Frame:
        return frame._replace(rsv1=True, data=bytes(frame.data)[::-1])


async def test_extensions_encode_written_frames() -> None:
    protocol, transport = open_protocol(is_client=True)
    protocol.extensions = [Reverse()]  # type: ignore[list-item]
    await protocol.send("abc")
    [raw] = transport.writes
    assert raw[0] & 0x40  # RSV1
    parser = FrameParser(mask=True, extensions=[Reverse()])  # type: ignore[list-item]
    parser.feed(raw)
    decoded = parser.next_frame()
    assert decoded == Frame(True, OP_TEXT, b"abc")
