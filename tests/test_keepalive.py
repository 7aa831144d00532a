"""Tests of the keepalive unit: ping(), pong(), the keepalive and latency,
driven through a fake transport (bytes in, bytes out), then over loopback."""

from __future__ import annotations

import asyncio
import gc
import socket
from typing import Any, List

import pytest

from websockets.exceptions import ConnectionClosed, ConnectionClosedError
from websockets.frame_parser import FrameParser
from websockets.framing import (
    OP_BINARY,
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Frame,
    serialize_close,
)
from websockets.protocol import State
from websockets.server import serve

from .protocol_helpers import close_frames, open_protocol, peer_frame, written

SIDES = [pytest.param(False, id="server"), pytest.param(True, id="client")]


def close_payload(code: int, reason: str = "") -> bytes:
    return serialize_close(code, reason)


async def run_pending() -> None:
    """Let every callback scheduled with call_soon run, and their followers."""
    for _ in range(5):
        await asyncio.sleep(0)


# ping() and pong()


@pytest.mark.parametrize("is_client", SIDES)
async def test_ping(is_client: bool) -> None:
    protocol, transport = open_protocol(is_client)
    waiter = await protocol.ping(b"abc")
    assert written(protocol, transport) == [Frame(True, OP_PING, b"abc")]
    assert not waiter.done()  # type: ignore[attr-defined]
    protocol.data_received(peer_frame(protocol, OP_PONG, b"abc"))
    await waiter
    assert protocol.pings == {}


@pytest.mark.parametrize(
    "data, payload",
    [("café", "café".encode()), (bytearray(b"x"), b"x"), (memoryview(b"y"), b"y")],
)
async def test_ping_data_types(data: Any, payload: bytes) -> None:
    protocol, transport = open_protocol()
    await protocol.ping(data)
    assert written(protocol, transport) == [Frame(True, OP_PING, payload)]


async def test_ping_default_payload() -> None:
    protocol, transport = open_protocol()
    waiter1 = await protocol.ping()
    waiter2 = await protocol.ping()
    frames = written(protocol, transport)
    assert [len(frame.data) for frame in frames] == [4, 4]
    assert frames[0].data != frames[1].data
    protocol.data_received(peer_frame(protocol, OP_PONG, frames[1].data))
    await waiter1
    await waiter2


async def test_ping_default_payload_avoids_duplicates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    protocol, transport = open_protocol()
    await protocol.ping(b"1234")
    payloads = iter([b"1234", b"1234", b"5678"])
    monkeypatch.setattr(
        "websockets.keepalive._random_payload", lambda: next(payloads), raising=True
    )
    await protocol.ping()
    assert [f.data for f in written(protocol, transport)] == [b"1234", b"5678"]


async def test_ping_duplicate_payload() -> None:
    protocol, transport = open_protocol()
    await protocol.ping(b"abc")
    with pytest.raises(ValueError, match="same data"):
        await protocol.ping("abc")
    assert len(transport.writes) == 1


async def test_ping_invalid_type() -> None:
    protocol, _transport = open_protocol()
    with pytest.raises(TypeError):
        await protocol.ping(42)  # type: ignore[arg-type]


async def test_pong_acknowledges_earlier_pings() -> None:
    protocol, _transport = open_protocol()
    waiter1 = await protocol.ping(b"1")
    waiter2 = await protocol.ping(b"2")
    waiter3 = await protocol.ping(b"3")
    protocol.data_received(peer_frame(protocol, OP_PONG, b"2"))
    await waiter1
    await waiter2
    await run_pending()
    assert not waiter3.done()  # type: ignore[attr-defined]
    assert list(protocol.pings) == [b"3"]


async def test_unsolicited_pong_is_ignored() -> None:
    protocol, _transport = open_protocol()
    waiter = await protocol.ping(b"1")
    protocol.data_received(peer_frame(protocol, OP_PONG, b"2"))
    await run_pending()
    assert not waiter.done()  # type: ignore[attr-defined]
    assert list(protocol.pings) == [b"1"]
    assert protocol.state is State.OPEN


async def test_cancel_ping_future_has_no_effect() -> None:
    protocol, _transport = open_protocol()
    waiter1 = await protocol.ping(b"1")
    waiter2 = await protocol.ping(b"2")
    waiter1.cancel()  # type: ignore[attr-defined]
    protocol.data_received(peer_frame(protocol, OP_PONG, b"2"))
    await waiter2
    assert protocol.pings == {}


async def test_ping_future_cancelled_through_pings() -> None:
    # self.pings is public: cancelling its futures must not break anything.
    protocol, _transport = open_protocol()
    await protocol.ping(b"1")
    waiter2 = await protocol.ping(b"2")
    await protocol.ping(b"3")
    protocol.pings[b"1"].cancel()
    protocol.pings[b"3"].cancel()
    protocol.data_received(peer_frame(protocol, OP_PONG, b"2"))
    await waiter2
    assert list(protocol.pings) == [b"3"]
    protocol.connection_lost(None)
    assert protocol.pings == {}


async def test_ping_futures_get_connection_closed() -> None:
    protocol, _transport = open_protocol()
    waiter1 = await protocol.ping(b"1")
    waiter2 = await protocol.ping(b"2")
    protocol.connection_lost(None)
    with pytest.raises(ConnectionClosedError):
        await waiter1
    with pytest.raises(ConnectionClosedError):
        await waiter2
    assert protocol.pings == {}


async def test_ignored_ping_future_doesnt_log_on_connection_lost() -> None:
    loop = asyncio.get_running_loop()
    errors: List[Any] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda loop, context: errors.append(context))
    try:
        protocol, _transport = open_protocol()
        await protocol.ping(b"1")
        waiter = await protocol.ping(b"2")
        waiter.cancel()  # type: ignore[attr-defined]
        protocol.connection_lost(None)
        await run_pending()
        del waiter
        gc.collect()
    finally:
        loop.set_exception_handler(previous)
    assert errors == []


async def test_ping_on_closed_connection() -> None:
    protocol, _transport = open_protocol()
    protocol.connection_lost(None)
    with pytest.raises(ConnectionClosedError):
        await protocol.ping()
    with pytest.raises(ConnectionClosedError):
        await protocol.pong()


@pytest.mark.parametrize("is_client", SIDES)
async def test_pong(is_client: bool) -> None:
    protocol, transport = open_protocol(is_client)
    await protocol.pong()
    await protocol.pong("café")
    await protocol.pong(b"x")
    assert written(protocol, transport) == [
        Frame(True, OP_PONG, b""),
        Frame(True, OP_PONG, "café".encode()),
        Frame(True, OP_PONG, b"x"),
    ]


@pytest.mark.parametrize("is_client", SIDES)
async def test_incoming_ping_answered(is_client: bool) -> None:
    protocol, transport = open_protocol(is_client)
    protocol.data_received(peer_frame(protocol, OP_PING, b"hello"))
    protocol.data_received(peer_frame(protocol, OP_PING, b""))
    assert written(protocol, transport) == [
        Frame(True, OP_PONG, b"hello"),
        Frame(True, OP_PONG, b""),
    ]


async def test_incoming_ping_not_answered_after_close_frame() -> None:
    protocol, transport = open_protocol(close_timeout=0.05)
    close_task = asyncio.create_task(protocol.close())
    await run_pending()
    protocol.data_received(peer_frame(protocol, OP_PING, b"hello"))
    assert [f.opcode for f in written(protocol, transport)] == [OP_CLOSE]
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1000)))
    await close_task


# Keepalive


@pytest.mark.parametrize("is_client", SIDES)
async def test_keepalive_sends_pings(is_client: bool) -> None:
    protocol, transport = open_protocol(
        is_client, ping_interval=0.01, ping_timeout=None
    )
    await transport.wait_for_write(lambda: len(transport.writes) >= 2)
    frames = written(protocol, transport)
    assert [f.opcode for f in frames[:2]] == [OP_PING, OP_PING]
    assert all(len(f.data) == 4 for f in frames)
    assert protocol.state is State.OPEN
    protocol.connection_lost(None)


async def test_keepalive_answered() -> None:
    protocol, transport = open_protocol(ping_interval=0.01, ping_timeout=0.5)
    # Answer every ping, several times in a row: the connection stays open.
    # (Counting pings, not time: a loaded machine delays the 10 ms timers.)
    for _ in range(5):
        answered = len(transport.writes)
        await transport.wait_for_write(
            lambda answered=answered: len(transport.writes) > answered  # type: ignore[misc]
        )
        frame = written(protocol, transport)[-1]
        assert frame.opcode == OP_PING
        protocol.data_received(peer_frame(protocol, OP_PONG, frame.data))
    assert len(transport.writes) >= 5
    assert protocol.state is State.OPEN
    assert close_frames(protocol, transport) == []
    protocol.connection_lost(None)


@pytest.mark.parametrize("is_client", SIDES)
async def test_keepalive_timeout(is_client: bool) -> None:
    # The keepalive is scheduled when the connection opens: start before.
    loop = asyncio.get_running_loop()
    start = loop.time()
    protocol, transport = open_protocol(
        is_client, ping_interval=0.01, ping_timeout=0.02
    )
    await transport.wait_for_write(lambda: bool(close_frames(protocol, transport)))
    elapsed = loop.time() - start
    # uvloop's clock and timers have a 1 ms resolution.
    assert 0.03 - 0.001 <= elapsed < 0.5
    assert close_frames(protocol, transport) == [(1011, "keepalive ping timeout")]
    assert protocol.state is State.CLOSING
    protocol.connection_lost(None)


async def test_keepalive_timeout_longer_than_interval() -> None:
    # Pings keep going out, but the first unanswered ping must still fail
    # the connection after ping_timeout.
    protocol, transport = open_protocol(ping_interval=0.005, ping_timeout=0.05)
    loop = asyncio.get_running_loop()
    start = loop.time()
    await asyncio.wait_for(
        transport.wait_for_write(lambda: bool(close_frames(protocol, transport))),
        timeout=1,
    )
    assert loop.time() - start < 0.5
    assert close_frames(protocol, transport) == [(1011, "keepalive ping timeout")]
    protocol.connection_lost(None)


async def test_keepalive_one_ping_at_a_time() -> None:
    # Like websockets 8.1: no new keepalive ping while one waits for its
    # pong; the next ping goes out ping_interval after the pong.
    protocol, transport = open_protocol(ping_interval=0.01, ping_timeout=0.1)
    loop = asyncio.get_running_loop()
    await transport.wait_for_write(lambda: len(transport.writes) == 1)
    first_ping = loop.time()
    await transport.wait_for_write(lambda: len(transport.writes) == 2)
    # The connection failed ping_timeout after the ping, with no other ping.
    # uvloop's clock and timers have a 1 ms resolution.
    assert 0.1 - 0.001 <= loop.time() - first_ping < 0.5
    assert [f.opcode for f in written(protocol, transport)] == [OP_PING, OP_CLOSE]
    protocol.connection_lost(None)


async def test_keepalive_next_ping_after_pong() -> None:
    protocol, transport = open_protocol(ping_interval=0.05, ping_timeout=1)
    loop = asyncio.get_running_loop()
    await transport.wait_for_write(lambda: len(transport.writes) == 1)
    ping = written(protocol, transport)[0]
    protocol.data_received(peer_frame(protocol, OP_PONG, ping.data))
    pong_time = loop.time()
    await transport.wait_for_write(lambda: len(transport.writes) == 2)
    # uvloop's clock and timers have a 1 ms resolution.
    assert 0.05 - 0.001 <= loop.time() - pong_time < 0.3
    assert written(protocol, transport)[1].opcode == OP_PING
    assert protocol._keepalive_handle is not None
    protocol.connection_lost(None)
    assert protocol._keepalive_handle is None


async def test_keepalive_timeout_after_pong_in_same_iteration() -> None:
    # The pong resolved the ping, but the callbacks of the future didn't run
    # yet when the timeout fires: don't fail the connection.
    protocol, transport = open_protocol(ping_interval=10, ping_timeout=10)
    waiter = asyncio.get_running_loop().create_future()
    waiter.set_result(None)
    protocol._keepalive_check(0.0, waiter, True)
    assert protocol.state is State.OPEN
    assert transport.writes == []
    # The next ping goes out ping_interval later.
    assert protocol._keepalive_handle is not None
    protocol.connection_lost(None)


async def test_keepalive_disabled() -> None:
    _protocol, transport = open_protocol(ping_interval=None, ping_timeout=0.01)
    await asyncio.sleep(0.05)
    assert transport.writes == []


async def test_keepalive_timeout_disabled() -> None:
    protocol, transport = open_protocol(ping_interval=0.01, ping_timeout=None)
    await transport.wait_for_write(lambda: len(transport.writes) >= 5)
    assert protocol.state is State.OPEN
    assert close_frames(protocol, transport) == []
    protocol.connection_lost(None)


async def test_keepalive_stops_when_closing() -> None:
    protocol, transport = open_protocol(ping_interval=0.01, close_timeout=0.05)
    close_task = asyncio.create_task(protocol.close())
    await close_task
    # Only the close frame: no ping while closing, timers cancelled.
    assert [f.opcode for f in written(protocol, transport)] == [OP_CLOSE]
    assert protocol._keepalive_handle is None


async def test_keepalive_check_after_closing() -> None:
    # The pong isn't there yet when the connection starts closing: the check
    # stops the keepalive.
    protocol, transport = open_protocol(ping_interval=0.01, ping_timeout=1)
    await transport.wait_for_write(lambda: len(transport.writes) == 1)
    handle = protocol._keepalive_handle
    assert handle is not None
    closing = asyncio.ensure_future(protocol.close())
    await transport.wait_for_write(lambda: len(transport.writes) == 2)

    async def check_runs() -> None:
        while protocol._keepalive_handle is handle:
            await asyncio.sleep(0.005)

    await asyncio.wait_for(check_runs(), 1)
    assert protocol._keepalive_handle is None
    assert [f.opcode for f in written(protocol, transport)] == [OP_PING, OP_CLOSE]
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1000)))
    await closing


# Latency


class FakeClock:
    """Replace the loop's clock, for exact round-trip times."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        loop = asyncio.get_running_loop()
        self.now = loop.time()
        monkeypatch.setattr(loop, "time", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def test_latency_is_zero_before_any_ping() -> None:
    protocol, _ = open_protocol()
    assert protocol.latency == 0


@pytest.mark.parametrize("is_client", SIDES)
async def test_ping_waiter_resolves_to_round_trip_time(
    is_client: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    protocol, _ = open_protocol(is_client)
    clock = FakeClock(monkeypatch)
    pong_waiter = await protocol.ping(b"1")
    clock.advance(0.25)
    protocol.data_received(peer_frame(protocol, OP_PONG, b"1"))
    assert await pong_waiter == 0.25
    assert protocol.latency == 0.25


async def test_pong_acknowledging_several_pings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each acknowledged ping gets its own round-trip time; latency is the
    # one of the ping that the pong answers.
    protocol, _ = open_protocol()
    clock = FakeClock(monkeypatch)
    first = await protocol.ping(b"1")
    clock.advance(0.5)
    second = await protocol.ping(b"2")
    third = await protocol.ping(b"3")
    clock.advance(0.125)
    protocol.data_received(peer_frame(protocol, OP_PONG, b"2"))
    assert await first == 0.625
    assert await second == 0.125
    assert protocol.latency == 0.125
    assert not third.done()
    assert list(protocol.pings) == [b"3"]
    assert list(protocol._ping_sent_at) == [b"3"]


async def test_unsolicited_pong_leaves_latency(monkeypatch: pytest.MonkeyPatch) -> None:
    protocol, _ = open_protocol()
    FakeClock(monkeypatch)
    protocol.data_received(peer_frame(protocol, OP_PONG, b"nobody asked"))
    assert protocol.latency == 0


async def test_keepalive_ping_measures_latency(monkeypatch: pytest.MonkeyPatch) -> None:
    protocol, transport = open_protocol(ping_interval=20, ping_timeout=20)
    clock = FakeClock(monkeypatch)
    protocol._keepalive_handle.cancel()
    protocol._keepalive()
    [ping] = written(protocol, transport)
    clock.advance(0.0625)
    protocol.data_received(peer_frame(protocol, OP_PONG, ping.data))
    assert protocol.latency == 0.0625
    protocol.connection_lost(None)


async def test_ping_waiter_after_connection_lost_keeps_no_times() -> None:
    protocol, _ = open_protocol()
    pong_waiter = await protocol.ping()
    protocol.connection_lost(None)
    with pytest.raises(ConnectionClosed):
        await pong_waiter
    assert protocol.pings == {}
    assert protocol._ping_sent_at == {}


# Keepalive under load: a fake clock and timers fired by hand, so that the
# tests don't depend on the load of the machine.


def start_keepalive(protocol: Any) -> None:
    """Send the keepalive ping now, instead of ping_interval after opening."""
    protocol._keepalive_handle.cancel()
    protocol._keepalive()


def fire(protocol: Any, clock: FakeClock) -> float:
    """Move the clock to the pending keepalive timer and run it."""
    handle = protocol._keepalive_handle
    assert handle is not None
    if not hasattr(handle, "_callback"):
        # make test's uvloop pass: uvloop's TimerHandle doesn't expose its
        # callback, and its timers don't follow the fake clock.
        pytest.skip("firing timers by hand needs asyncio's TimerHandle")
    callback, args = handle._callback, handle._args
    handle.cancel()
    clock.now = handle.when()
    callback(*args)
    return clock.now


async def test_silent_peer_fails_at_ping_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    protocol, transport = open_protocol(ping_interval=1, ping_timeout=3)
    clock = FakeClock(monkeypatch)
    sent = clock.now
    start_keepalive(protocol)
    # Checks every ping_interval, then the final one at ping_timeout.
    checks: List[float] = []
    while not close_frames(protocol, transport):
        checks.append(fire(protocol, clock) - sent)
    assert checks == pytest.approx([1, 2, 3])
    assert close_frames(protocol, transport) == [(1011, "keepalive ping timeout")]
    protocol.connection_lost(None)


@pytest.mark.parametrize("is_client", SIDES)
async def test_data_during_keepalive_ping_proves_peer_alive(
    is_client: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The peer sends a large message slowly: its pong is queued behind it.
    protocol, transport = open_protocol(is_client, ping_interval=1, ping_timeout=2)
    clock = FakeClock(monkeypatch)
    sent = clock.now
    start_keepalive(protocol)
    [ping] = written(protocol, transport)
    message = peer_frame(protocol, OP_BINARY, b"x" * 300)
    checks: List[float] = []
    for part in range(3):
        # Part of the message arrives before each check of the keepalive.
        protocol.data_received(message[part * 100 : (part + 1) * 100])
        checks.append(fire(protocol, clock) - sent)
        checks.append(fire(protocol, clock) - sent)
        assert protocol.state is State.OPEN
        assert close_frames(protocol, transport) == []
    # Without the data, the connection would have failed at 2 s; each final
    # check that saw data moved the deadline ping_timeout ahead.
    assert checks == pytest.approx([1, 2, 3, 4, 5, 6])
    protocol.data_received(message[300:])
    protocol.data_received(peer_frame(protocol, OP_PONG, ping.data))
    assert await protocol.recv() == b"x" * 300
    assert protocol.pings == {}
    assert protocol.latency == pytest.approx(6)
    assert protocol.state is State.OPEN
    protocol.connection_lost(None)


async def test_peer_going_silent_after_data_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    protocol, transport = open_protocol(ping_interval=1, ping_timeout=1)
    clock = FakeClock(monkeypatch)
    sent = clock.now
    start_keepalive(protocol)
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"busy", fin=False))
    assert fire(protocol, clock) - sent == pytest.approx(1)
    assert close_frames(protocol, transport) == []
    # Nothing more arrives: the next final check fails the connection,
    # ping_interval + ping_timeout after the ping at the latest.
    assert fire(protocol, clock) - sent == pytest.approx(2)
    assert close_frames(protocol, transport) == [(1011, "keepalive ping timeout")]
    protocol.connection_lost(None)


async def test_pong_after_extension_schedules_next_ping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    protocol, transport = open_protocol(ping_interval=1, ping_timeout=1)
    clock = FakeClock(monkeypatch)
    start_keepalive(protocol)
    [ping] = written(protocol, transport)
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"busy"))
    fire(protocol, clock)
    protocol.data_received(peer_frame(protocol, OP_PONG, ping.data))
    pong_at = clock.now
    await run_pending()
    fire(protocol, clock)
    # The check saw the pong: the next keepalive ping goes out
    # ping_interval after the pong.
    assert fire(protocol, clock) == pytest.approx(pong_at + 1)
    assert [f.opcode for f in written(protocol, transport)] == [OP_PING, OP_PING]
    protocol.connection_lost(None)


async def test_keepalive_check_while_closing_does_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    protocol, transport = open_protocol(ping_interval=1, ping_timeout=1)
    clock = FakeClock(monkeypatch)
    start_keepalive(protocol)
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1001)))
    assert protocol.state is State.CLOSING
    fire(protocol, clock)
    # No 1011: the closing handshake goes on.
    assert [f.opcode for f in written(protocol, transport)] == [OP_PING, OP_CLOSE]
    assert close_frames(protocol, transport) == [(1001, "")]
    assert protocol._keepalive_handle is None
    protocol.connection_lost(None)


# Over loopback


def raw_handshake(sock: socket.socket, port: int) -> bytes:
    sock.sendall(
        (
            f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = sock.recv(4096)
        assert chunk
        response += chunk
    head, _, rest = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101")
    return rest


def masked(opcode: int, data: bytes, fin: bool = True) -> bytes:
    return Frame(fin, opcode, data).serialize(mask=True)


async def test_loopback_slow_large_message_isnt_closed() -> None:
    # A client sends a 1 MiB message at about 1 MB/s and answers pings only
    # once it's sent: the server's keepalive (ping_timeout well below the
    # transfer time) doesn't close the connection.
    received: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def handler(ws: Any, path: str) -> None:
        message = await ws.recv()
        received.set_result(len(message))
        await ws.wait_closed()

    size = 2**20
    async with serve(
        handler,
        "127.0.0.1",
        0,
        ping_interval=0.2,
        ping_timeout=0.4,
        max_size=2 * size,
    ) as server:
        port = server.sockets[0].getsockname()[1]
        loop = asyncio.get_running_loop()
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setblocking(False)
        try:
            await loop.run_in_executor(None, sock.setblocking, True)
            rest = await loop.run_in_executor(None, raw_handshake, sock, port)
            sock.setblocking(False)
            frame = masked(OP_BINARY, b"z" * size)
            start = loop.time()
            for offset in range(0, len(frame), 2**14):
                await loop.sock_sendall(sock, frame[offset : offset + 2**14])
                # 16 KiB every 16 ms: about 1 MB/s, over about 1 s, that is
                # more than twice ping_interval + ping_timeout.
                await asyncio.sleep(0.016)
            assert loop.time() - start > 0.6
            assert await asyncio.wait_for(received, 10) == size
            # Now answer the pings that arrived meanwhile.
            parser = FrameParser(mask=False)
            parser.feed(rest)
            sock.setblocking(True)
            sock.settimeout(5)
            pings = []
            while not pings:
                frame_in = parser.next_frame()
                if frame_in is None:
                    parser.feed(await loop.run_in_executor(None, sock.recv, 4096))
                    continue
                assert frame_in.opcode == OP_PING, frame_in.opcode
                pings.append(frame_in.data)
            sock.sendall(masked(OP_PONG, pings[-1]))
            sock.sendall(masked(OP_CLOSE, serialize_close(1000, "")))
            # The server echoes the close frame: it didn't fail with 1011.
            while True:
                frame_in = parser.next_frame()
                if frame_in is None:
                    data = await loop.run_in_executor(None, sock.recv, 4096)
                    assert data, "connection closed without a close frame"
                    parser.feed(data)
                    continue
                if frame_in.opcode == OP_CLOSE:
                    assert frame_in.data[:2] == (1000).to_bytes(2, "big")
                    break
        finally:
            sock.close()


async def test_loopback_silent_peer_is_closed() -> None:
    async def handler(ws: Any, path: str) -> None:
        await ws.wait_closed()

    async with serve(
        handler, "127.0.0.1", 0, ping_interval=0.05, ping_timeout=0.1, close_timeout=1
    ) as server:
        port = server.sockets[0].getsockname()[1]
        loop = asyncio.get_running_loop()
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            rest = await loop.run_in_executor(None, raw_handshake, sock, port)
            start = loop.time()
            # The client never sends anything: it gets a ping, then a close
            # frame with 1011, not before ping_interval + ping_timeout.
            parser = FrameParser(mask=False)
            parser.feed(rest)
            opcodes = []
            while OP_CLOSE not in opcodes:
                frame = parser.next_frame()
                if frame is None:
                    data = await loop.run_in_executor(None, sock.recv, 4096)
                    assert data, "connection closed without a close frame"
                    parser.feed(data)
                    continue
                opcodes.append(frame.opcode)
            # The server's timers started when it sent its 101 response, a
            # little before start; uvloop's clock has a 1 ms resolution.
            assert loop.time() - start >= 0.15 - 0.01
            assert opcodes == [OP_PING, OP_CLOSE]
            assert frame.data == serialize_close(1011, "keepalive ping timeout")
        finally:
            sock.close()
