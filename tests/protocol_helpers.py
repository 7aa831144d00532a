"""A fake transport to drive WebSocketCommonProtocol without sockets."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, List, Optional, Tuple

from websockets.frame_parser import FrameParser
from websockets.framing import OP_CLOSE, Frame, parse_close
from websockets.protocol import WebSocketCommonProtocol


class FakeTransport(asyncio.Transport):
    """Record what the protocol does to its transport.

    ``close()`` and ``abort()`` schedule ``connection_lost(None)`` with
    ``call_soon``, like asyncio's transports do.
    """

    def __init__(self, protocol: asyncio.Protocol) -> None:
        super().__init__()
        self.protocol = protocol
        self.loop = asyncio.get_running_loop()
        self.writes: List[bytes] = []
        self.closing = False
        self.close_called = 0
        self.abort_called = 0
        self.lost_scheduled = False
        self.pause_reading_calls = 0
        self.resume_reading_calls = 0
        self.reading = True
        self.write_limits: Optional[Tuple[Any, Any]] = None
        self.eof_written = False
        # What get_write_buffer_size() returns.
        self.buffer_size = 0
        self.extra = {"sockname": ("127.0.0.1", 1234), "peername": ("127.0.0.1", 80)}
        self._written = asyncio.Event()

    # asyncio.Transport API

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))
        self._written.set()

    def get_write_buffer_size(self) -> int:
        return self.buffer_size

    def write_eof(self) -> None:
        self.eof_written = True

    def can_write_eof(self) -> bool:
        return True

    def is_closing(self) -> bool:
        return self.closing

    def _lose(self) -> None:
        self.closing = True
        if not self.lost_scheduled:
            self.lost_scheduled = True
            self.loop.call_soon(self.protocol.connection_lost, None)

    def close(self) -> None:
        self.close_called += 1
        self._lose()

    def abort(self) -> None:
        self.abort_called += 1
        self._lose()

    def pause_reading(self) -> None:
        self.pause_reading_calls += 1
        self.reading = False

    def resume_reading(self) -> None:
        self.resume_reading_calls += 1
        self.reading = True

    def is_reading(self) -> bool:
        return self.reading

    def set_write_buffer_limits(
        self, high: Optional[int] = None, low: Optional[int] = None
    ) -> None:
        self.write_limits = (high, low)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.extra.get(name, default)

    # Helpers for tests

    def frames(self, mask: bool) -> List[Frame]:
        """Parse every frame written so far; each write holds whole frames."""
        frames: List[Frame] = []
        for data in self.writes:
            parser = FrameParser(mask=mask)
            parser.feed(data)
            count = 0
            while True:
                frame = parser.next_frame()
                if frame is None:
                    break
                frames.append(frame)
                count += 1
            assert parser.buffered() == 0, "a write ends in the middle of a frame"
            assert count == 1, "a write must hold exactly one frame"
        return frames

    async def wait_for_write(self, predicate: Callable[[], bool]) -> None:
        """Wait until ``predicate()`` is true, checked after every write."""
        while not predicate():
            self._written.clear()
            await self._written.wait()


class ServerSide(WebSocketCommonProtocol):
    is_client = False
    side = "server"


class ClientSide(WebSocketCommonProtocol):
    is_client = True
    side = "client"


def make_protocol(
    is_client: bool = False, **kwargs: Any
) -> Tuple[WebSocketCommonProtocol, FakeTransport]:
    """Create a protocol in the CONNECTING state, with its fake transport."""
    kwargs.setdefault("ping_interval", None)
    cls = ClientSide if is_client else ServerSide
    protocol = cls(**kwargs)
    transport = FakeTransport(protocol)
    protocol.connection_made(transport)
    return protocol, transport


def open_protocol(
    is_client: bool = False, **kwargs: Any
) -> Tuple[WebSocketCommonProtocol, FakeTransport]:
    """Create a protocol in the OPEN state, with its fake transport."""
    protocol, transport = make_protocol(is_client, **kwargs)
    protocol.connection_open()
    return protocol, transport


def peer_frame(
    protocol: WebSocketCommonProtocol,
    opcode: int,
    data: bytes = b"",
    fin: bool = True,
    **kwargs: Any,
) -> bytes:
    """Serialize a frame as the other side would send it."""
    return Frame(fin, opcode, data, **kwargs).serialize(mask=not protocol.is_client)


def written(protocol: WebSocketCommonProtocol, transport: FakeTransport) -> List[Frame]:
    """Frames written by the protocol."""
    return transport.frames(mask=protocol.is_client)


def close_frames(
    protocol: WebSocketCommonProtocol, transport: FakeTransport
) -> List[Tuple[int, str]]:
    """Close codes and reasons written by the protocol."""
    return [
        parse_close(frame.data)
        for frame in written(protocol, transport)
        if frame.opcode == OP_CLOSE
    ]
