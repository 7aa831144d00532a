"""Messages received before a protocol error are delivered, and may be
answered, before the connection fails (Autobahn cases 3.2, 3.3, 4.1.3,
4.1.4, 4.2.3, 4.2.4 and 5.15 expect it)."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from websockets.exceptions import ConnectionClosedError
from websockets.framing import OP_BINARY, OP_CONT, OP_PING, OP_PONG, OP_TEXT
from websockets.protocol import State

from .protocol_helpers import close_frames, open_protocol, peer_frame, written


def reserved_opcode_frame() -> bytes:
    # Opcode 0x6 is reserved: a protocol error (RFC 6455 5.2).
    return b"\x86\x80\x00\x00\x00\x00"


async def test_message_answered_before_failure() -> None:
    protocol, transport = open_protocol()
    # A message, a frame with a reserved opcode and a ping, in one chunk.
    protocol.data_received(
        peer_frame(protocol, OP_TEXT, b"Hello, world!")
        + reserved_opcode_frame()
        + peer_frame(protocol, OP_PING, b"ping")
    )
    # Nothing is written yet: the message waits for the application.
    assert transport.writes == []
    assert protocol.state is State.OPEN
    # The application reads it and answers it right away.
    message = await protocol.recv()
    assert message == "Hello, world!"
    await protocol.send(message)
    # Then the connection fails: the echo comes before the close frame, and
    # the ping after the error is never answered.
    await asyncio.sleep(0)
    frames = written(protocol, transport)
    assert [frame.opcode for frame in frames] == [OP_TEXT, 0x8]
    assert OP_PONG not in [frame.opcode for frame in frames]
    assert close_frames(protocol, transport) == [(1002, "invalid opcode: 6")]
    with pytest.raises(ConnectionClosedError):
        await protocol.recv()


async def test_recv_again_fails_immediately() -> None:
    protocol, transport = open_protocol()
    protocol.data_received(
        peer_frame(protocol, OP_BINARY, b"one") + reserved_opcode_frame()
    )
    assert await protocol.recv() == b"one"
    # Calling recv() again without yielding fails the connection at once.
    with pytest.raises(ConnectionClosedError):
        await protocol.recv()
    assert close_frames(protocol, transport)[0][0] == 1002


async def test_several_messages_then_error() -> None:
    protocol, transport = open_protocol()
    protocol.data_received(
        peer_frame(protocol, OP_TEXT, b"a")
        + peer_frame(protocol, OP_TEXT, b"b")
        # Continuation frame without a message to continue (Autobahn 5.15).
        + peer_frame(protocol, OP_CONT, b"c")
        + peer_frame(protocol, OP_TEXT, b"never delivered")
    )
    assert await protocol.recv() == "a"
    await asyncio.sleep(0)
    assert transport.writes == []  # "b" is still queued
    assert await protocol.recv() == "b"
    await asyncio.sleep(0)
    assert close_frames(protocol, transport) == [
        (1002, "unexpected continuation frame")
    ]
    with pytest.raises(ConnectionClosedError):
        await protocol.recv()


async def test_failure_after_close_timeout_if_not_read() -> None:
    protocol, transport = open_protocol(close_timeout=0.05)
    start = time.monotonic()
    protocol.data_received(
        peer_frame(protocol, OP_TEXT, b"unread")
        + peer_frame(protocol, OP_TEXT, b"\xff")
    )
    assert transport.writes == []
    await transport.wait_for_write(lambda: bool(close_frames(protocol, transport)))
    # uvloop's timers have a 1 ms resolution.
    assert 0.05 - 0.001 <= time.monotonic() - start < 0.5
    assert close_frames(protocol, transport)[0][0] == 1007
    # The message received before the error is still there.
    assert await protocol.recv() == "unread"


async def test_message_too_big_after_queued_message() -> None:
    protocol, transport = open_protocol(max_size=10)
    protocol.data_received(
        peer_frame(protocol, OP_TEXT, b"small")
        + peer_frame(protocol, OP_TEXT, b"x" * 11)
    )
    assert transport.writes == []
    assert await protocol.recv() == "small"
    await asyncio.sleep(0)
    assert close_frames(protocol, transport)[0][0] == 1009


async def test_connection_lost_while_failure_pending() -> None:
    protocol, transport = open_protocol()
    protocol.data_received(
        peer_frame(protocol, OP_TEXT, b"a") + reserved_opcode_frame()
    )
    protocol.connection_lost(None)
    assert protocol._pending_failure is None
    assert protocol._pending_failure_handle is None
    assert await protocol.recv() == "a"
    await asyncio.sleep(0)  # the scheduled failure finds nothing to do
    with pytest.raises(ConnectionClosedError) as raised:
        await protocol.recv()
    assert raised.value.code == 1006
    assert transport.writes == []


async def test_error_without_queued_messages_fails_at_once() -> None:
    protocol, transport = open_protocol()
    protocol.data_received(reserved_opcode_frame())
    assert close_frames(protocol, transport)[0][0] == 1002


async def test_deferred_failure_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="websockets.protocol")
    protocol, _ = open_protocol()
    protocol.data_received(
        peer_frame(protocol, OP_TEXT, b"a") + reserved_opcode_frame()
    )
    assert any(
        "will fail with code 1002 once queued messages are read" in r.getMessage()
        for r in caplog.records
    )


async def test_error_found_when_recv_resumes_reading() -> None:
    # With max_queue=1, the first message fills the queue and parsing stops;
    # recv() resumes it and finds the error: the failure still waits until
    # the application could answer the message.
    protocol, transport = open_protocol(max_queue=1)
    protocol.data_received(
        peer_frame(protocol, OP_TEXT, b"Hello, world!")
        + reserved_opcode_frame()
        + peer_frame(protocol, OP_PING, b"ping")
    )
    assert transport.pause_reading_calls == 1
    message = await protocol.recv()
    assert transport.writes == []
    await protocol.send(message)
    await asyncio.sleep(0)
    frames = written(protocol, transport)
    assert [frame.opcode for frame in frames] == [OP_TEXT, 0x8]
    assert close_frames(protocol, transport) == [(1002, "invalid opcode: 6")]


async def test_async_for_delivers_messages_then_fails() -> None:
    # Iterating takes the same path as recv(): messages first, then the
    # failure, raised by the iteration.
    protocol, transport = open_protocol()
    protocol.data_received(
        peer_frame(protocol, OP_TEXT, b"a")
        + peer_frame(protocol, OP_TEXT, b"b")
        + reserved_opcode_frame()
    )
    received = []
    with pytest.raises(ConnectionClosedError) as raised:
        async for message in protocol:
            received.append(message)
            # Nothing is written while messages are delivered.
            assert transport.writes == []
    assert received == ["a", "b"]
    assert raised.value.sent is not None and raised.value.sent.code == 1002
    assert close_frames(protocol, transport) == [(1002, "invalid opcode: 6")]


async def test_async_for_while_recv_waits() -> None:
    protocol, _ = open_protocol()
    recv = asyncio.ensure_future(protocol.recv())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="already waiting"):
        async for _ in protocol:  # pragma: no cover
            pass
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"a"))
    assert await recv == "a"
