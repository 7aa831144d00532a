"""Loopback tests of broadcast(): one message to many connections."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any, AsyncIterator, List

import pytest

import websockets
from websockets import broadcasting
from websockets.client import connect
from websockets.server import WebSocketServer, WebSocketServerProtocol

from .utils import TIMEOUT, handshake_request, port_of, serving, uri_of


async def within(aw: Any) -> Any:
    return await asyncio.wait_for(aw, TIMEOUT)


async def idle(ws: WebSocketServerProtocol, path: str) -> None:
    await ws.wait_closed()


async def wait_for_connections(server: WebSocketServer, count: int) -> None:
    async def wait() -> None:
        while len(server.connections) < count:
            await asyncio.sleep(0.01)

    await within(wait())


def test_exported() -> None:
    assert websockets.broadcast is broadcasting.broadcast
    assert "broadcast" in websockets.__all__


async def test_broadcast_text_and_binary() -> None:
    async with serving(idle, compression=None) as server:
        clients = [await connect(uri_of(server), compression=None) for _ in range(3)]
        try:
            await wait_for_connections(server, 3)
            websockets.broadcast(server.connections, "hello")
            websockets.broadcast(server.connections, b"\x00\x01")
            websockets.broadcast(server.connections, bytearray(b"ba"))
            websockets.broadcast(server.connections, memoryview(b"mv"))
            websockets.broadcast(server.connections, "")
            for client in clients:
                assert await within(client.recv()) == "hello"
                assert await within(client.recv()) == b"\x00\x01"
                assert await within(client.recv()) == b"ba"
                assert await within(client.recv()) == b"mv"
                assert await within(client.recv()) == ""
        finally:
            for client in clients:
                await client.close()


async def test_frame_built_once_without_compression(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: List[int] = []
    serialize = broadcasting.serialize_frame

    def counting(b0: int, data: Any, mask: bool) -> bytes:
        calls.append(len(data))
        return serialize(b0, data, mask)

    monkeypatch.setattr(broadcasting, "serialize_frame", counting)
    async with serving(idle) as server:
        plain = [await connect(uri_of(server), compression=None) for _ in range(3)]
        deflate = await connect(uri_of(server))
        try:
            await wait_for_connections(server, 4)
            assert sum(bool(ws.extensions) for ws in server.connections) == 1
            websockets.broadcast(server.connections, "x" * 1000)
            # One shared frame for the three plain connections; the one with
            # permessage-deflate compresses its own frame.
            assert calls == [1000]
            for client in [*plain, deflate]:
                assert await within(client.recv()) == "x" * 1000
        finally:
            for client in [*plain, deflate]:
                await client.close()


async def test_broadcast_from_clients() -> None:
    # Client connections mask their frames: each gets its own frame.
    received: asyncio.Queue[Any] = asyncio.Queue()

    async def collect(ws: WebSocketServerProtocol) -> None:
        async for message in ws:
            await received.put(message)

    async with serving(collect) as server:
        clients = [
            await connect(uri_of(server), compression=None),
            await connect(uri_of(server)),
        ]
        websockets.broadcast(clients, "from clients")
        assert await within(received.get()) == "from clients"
        assert await within(received.get()) == "from clients"
        for client in clients:
            await client.close()


async def test_broadcast_type_error_sends_nothing() -> None:
    async with serving(idle) as server, connect(uri_of(server)) as client:
        await wait_for_connections(server, 1)
        with pytest.raises(TypeError):
            websockets.broadcast(server.connections, 42)  # type: ignore[arg-type]
        websockets.broadcast(server.connections, "after")
        assert await within(client.recv()) == "after"


async def test_skips_connections_not_open(caplog: pytest.LogCaptureFixture) -> None:
    async with serving(idle) as server, connect(uri_of(server)) as first:
        async with connect(uri_of(server)):
            await wait_for_connections(server, 2)
            everyone = set(server.websockets)
        # The second connection is closed; broadcast() to a stale set
        # skips it.
        await within(first.ping())
        with caplog.at_level(logging.DEBUG, logger="websockets.broadcast"):
            websockets.broadcast(everyone, "still here?")
        assert await within(first.recv()) == "still here?"
    messages = [r.getMessage() for r in caplog.records]
    assert "skipped broadcast to 1 connections not open" in messages
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_skips_connection_sending_fragmented_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    halfway = asyncio.Event()
    resume = asyncio.Event()

    async def fragments() -> AsyncIterator[str]:
        yield "frag"
        halfway.set()
        await resume.wait()
        yield "ment"

    async def handler(ws: WebSocketServerProtocol) -> None:
        await ws.send(fragments())
        await ws.wait_closed()

    async with serving(handler) as server, connect(uri_of(server)) as client:
        await within(halfway.wait())
        (connection,) = server.connections
        with caplog.at_level(logging.WARNING, logger="websockets.broadcast"):
            websockets.broadcast(server.connections, "interleaved?")
        resume.set()
        assert await within(client.recv()) == "fragment"
        websockets.broadcast(server.connections, "now")
        assert await within(client.recv()) == "now"
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert record.skipped == [connection]  # type: ignore[attr-defined]


async def test_skips_slow_connection_with_bounded_buffer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A client that never reads: its connection is skipped once the write
    # buffer is above write_limit, so the server holds at most write_limit
    # plus one message for it.
    write_limit = 2**14
    message = b"x" * 2**16
    async with serving(idle, write_limit=write_limit, compression=None) as server:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port_of(server)))
        sock.setblocking(False)
        reader, writer = await asyncio.open_connection(sock=sock, limit=2**12)
        writer.write(handshake_request())
        await within(reader.readuntil(b"\r\n\r\n"))
        await wait_for_connections(server, 1)
        (slow,) = server.connections
        async with connect(uri_of(server), compression=None) as fast:
            await wait_for_connections(server, 2)
            with caplog.at_level(logging.WARNING, logger="websockets.broadcast"):
                for _ in range(2000):
                    websockets.broadcast(server.connections, message)
                    buffered = slow.transport.get_write_buffer_size()
                    assert buffered <= write_limit + len(message) + 14
                    # The fast client keeps up.
                    assert await within(fast.recv()) == message
                    if caplog.records:
                        break
                else:  # pragma: no cover
                    pytest.fail("the slow connection was never skipped")
            (record,) = caplog.records
            assert "skipped broadcast to 1 of 2 connections" in record.getMessage()
            assert record.skipped == [slow]  # type: ignore[attr-defined]
            # It stays skipped, and bounded, while it doesn't read.
            for _ in range(10):
                websockets.broadcast(server.connections, message)
                assert await within(fast.recv()) == message
                buffered = slow.transport.get_write_buffer_size()
                assert buffered <= write_limit + len(message) + 14
        writer.transport.abort()


async def test_debug_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="websockets"):
        async with (
            serving(idle) as server,
            connect(uri_of(server), compression=None) as client,
        ):
            await wait_for_connections(server, 1)
            websockets.broadcast(server.connections, "debug")
            assert await within(client.recv()) == "debug"
    assert "server > TEXT fin=True len=5 (broadcast)" in [
        r.getMessage() for r in caplog.records
    ]
