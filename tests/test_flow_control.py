"""Reasons to stop reading, with a fake transport: a full message queue,
replies stuck in the write buffer, the opening handshake's read-ahead. Each
reason is lifted on its own."""

from __future__ import annotations

import asyncio
from typing import List, Tuple

from websockets.framing import OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT
from websockets.protocol import State, WebSocketCommonProtocol
from websockets.streams import StreamBuffer

from .protocol_helpers import (
    FakeTransport,
    close_frames,
    make_protocol,
    open_protocol,
    peer_frame,
    written,
)


async def run_pending() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


def pongs(protocol: WebSocketCommonProtocol, transport: FakeTransport) -> List[bytes]:
    return [f.data for f in written(protocol, transport) if f.opcode == OP_PONG]


async def test_pong_above_write_limit_stops_reading() -> None:
    protocol, transport = open_protocol()
    protocol.pause_writing()
    protocol.data_received(
        peer_frame(protocol, OP_PING, b"1")
        + peer_frame(protocol, OP_PING, b"2")
        + peer_frame(protocol, OP_BINARY, b"data")
    )
    # The first pong is written, then reading stops until the buffer drains.
    assert pongs(protocol, transport) == [b"1"]
    assert not transport.reading
    assert not protocol.messages
    protocol.data_received(peer_frame(protocol, OP_PING, b"3"))
    assert pongs(protocol, transport) == [b"1"]
    protocol.resume_writing()
    assert pongs(protocol, transport) == [b"1", b"2", b"3"]
    assert transport.reading
    assert await protocol.recv() == b"data"


async def test_resume_writing_without_pause_of_reading() -> None:
    protocol, transport = open_protocol()
    protocol.pause_writing()
    protocol.resume_writing()
    assert transport.pause_reading_calls == 0
    assert transport.resume_reading_calls == 0


async def test_full_queue_and_full_write_buffer_are_independent() -> None:
    protocol, transport = open_protocol(max_queue=1)
    protocol.data_received(
        peer_frame(protocol, OP_TEXT, b"one") + peer_frame(protocol, OP_PING, b"p")
    )
    # The queue is full: the ping waits.
    assert not transport.reading
    assert pongs(protocol, transport) == []
    # recv() makes room while the write buffer is full: the pong goes out,
    # and reading stays paused for the write buffer.
    protocol.pause_writing()
    assert await protocol.recv() == "one"
    assert pongs(protocol, transport) == [b"p"]
    assert not transport.reading
    protocol.resume_writing()
    assert transport.reading
    assert transport.pause_reading_calls == 1
    assert transport.resume_reading_calls == 1


async def test_recv_doesnt_resume_reading_paused_for_writes() -> None:
    protocol, transport = open_protocol()
    protocol.pause_writing()
    protocol.data_received(
        peer_frame(protocol, OP_TEXT, b"one")
        + peer_frame(protocol, OP_PING, b"p")
        + peer_frame(protocol, OP_TEXT, b"two")
    )
    assert not transport.reading
    assert await protocol.recv() == "one"
    assert not transport.reading
    protocol.resume_writing()
    assert await protocol.recv() == "two"
    assert transport.reading


async def test_closing_reads_on_despite_full_write_buffer() -> None:
    # No pong is sent in the CLOSING state: the peer's close frame must be
    # read even though the write buffer is full.
    protocol, transport = open_protocol(close_timeout=1)
    protocol.pause_writing()
    protocol.data_received(peer_frame(protocol, OP_PING, b"p"))
    assert not transport.reading
    protocol.data_received(
        peer_frame(protocol, OP_PING, b"q")
        + peer_frame(protocol, OP_CLOSE, b"\x03\xe8")
    )
    close = asyncio.ensure_future(protocol.close())
    await run_pending()
    assert transport.reading
    assert protocol.close_code == 1000
    assert pongs(protocol, transport) == [b"p"]
    await close
    assert protocol.state is State.CLOSED


async def test_close_echo_above_write_limit_stops_reading() -> None:
    protocol, transport = open_protocol(is_client=True)
    protocol.pause_writing()
    protocol.data_received(peer_frame(protocol, OP_CLOSE, b"\x03\xe8"))
    assert close_frames(protocol, transport) == [(1000, "")]
    assert protocol.state is State.CLOSING
    protocol.connection_lost(None)


# Opening handshake.


async def test_handshake_reads_at_most_read_limit_ahead() -> None:
    protocol, transport = make_protocol(read_limit=100)
    protocol.data_received(b"GET / HTTP/1.1\r\n" + b"x" * 50)
    assert transport.reading
    protocol.data_received(b"x" * 50)
    assert not transport.reading
    assert protocol.reader.on_wait is not None
    # The handshake reads a line: there's one in the buffer.
    assert await protocol.reader.readline() == b"GET / HTTP/1.1\r\n"
    assert not transport.reading
    # It needs more bytes than the buffer holds: reading resumes.
    reading = asyncio.ensure_future(protocol.reader.readline())
    await run_pending()
    assert transport.reading
    assert protocol.reader.on_wait is None
    protocol.data_received(b"\r\n")
    assert await reading == b"x" * 100 + b"\r\n"
    protocol.connection_lost(None)


async def test_bytes_read_ahead_go_to_the_connection_in_order() -> None:
    protocol, transport = make_protocol(read_limit=10, max_queue=2)
    frames = b"".join(peer_frame(protocol, OP_BINARY, bytes([i]) * 4) for i in range(5))
    protocol.data_received(frames)
    assert not transport.reading
    protocol.connection_open()
    # Two messages fill the queue: reading stays paused for the queue.
    assert not transport.reading
    assert protocol.reader.on_wait is None
    received = [await protocol.recv() for _ in range(5)]
    assert received == [bytes([i]) * 4 for i in range(5)]
    assert transport.reading
    protocol.connection_lost(None)


async def test_connection_open_resumes_reading() -> None:
    protocol, transport = make_protocol(read_limit=10)
    protocol.data_received(peer_frame(protocol, OP_BINARY, b"x" * 20))
    assert not transport.reading
    protocol.connection_open()
    # Like 8.1, bytes read ahead are processed on the next loop turn, then
    # reading resumes.
    assert not transport.reading
    await run_pending()
    assert transport.reading
    assert await protocol.recv() == b"x" * 20
    protocol.connection_lost(None)


async def test_connection_open_resumes_reading_without_bytes_ahead() -> None:
    # Reading paused during the handshake, which then consumed every byte:
    # nothing to hand over, reading resumes at once.
    protocol, transport = make_protocol(read_limit=10)
    protocol.data_received(b"x" * 20)
    assert not transport.reading
    assert await protocol.reader.readexactly(20) == b"x" * 20
    protocol.connection_open()
    assert transport.reading
    protocol.connection_lost(None)


async def test_stream_buffer_on_wait() -> None:
    buffer = StreamBuffer(limit=100)
    calls = []
    buffer.on_wait = lambda: calls.append(None)
    reading = asyncio.ensure_future(buffer.readexactly(2))
    await run_pending()
    assert calls == [None]
    buffer.feed_data(b"ab")
    assert await reading == b"ab"


async def socket_transport(
    protocol: WebSocketCommonProtocol,
) -> Tuple[asyncio.Transport, object]:
    # The standard library's TCP transport, on a socket pair.
    import socket

    loop = asyncio.get_running_loop()
    left, right = socket.socketpair()
    transport, _ = await loop.connect_accepted_socket(lambda: protocol, left)
    return transport, right


async def test_write_limit_on_a_socket_transport() -> None:
    # Default limits (65536, as the transport has them): nothing to change;
    # other limits are set, the low one derived as asyncio does (8.1's call).
    for write_limit, expected in [(2**16, (16384, 65536)), (1000, (250, 1000))]:
        protocol = WebSocketCommonProtocol(write_limit=write_limit)
        transport, peer = await socket_transport(protocol)
        assert transport.get_write_buffer_limits() == expected
        transport.abort()
        peer.close()  # type: ignore[attr-defined]


async def test_write_limit_resets_a_low_limit_set_before() -> None:
    # A transport handed over with limits of its own, e.g. by a framework
    # that upgrades a connection: write_limit wins, as in 8.1, even when only
    # the low limit differs.
    loop = asyncio.get_running_loop()
    first = asyncio.Protocol()
    transport, peer = await socket_transport(first)  # type: ignore[arg-type]
    transport.set_write_buffer_limits(high=2**16, low=100)
    protocol = WebSocketCommonProtocol(loop=loop)
    transport.set_protocol(protocol)
    protocol.connection_made(transport)
    assert transport.get_write_buffer_limits() == (16384, 65536)
    transport.abort()
    peer.close()  # type: ignore[attr-defined]
