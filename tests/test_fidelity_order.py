"""Order of events right after the opening handshake, as in websockets 8.1.

In 8.1, frames were read by a task that the end of the handshake started:
``ws = await connect(...)`` returned an open connection (``ws.open`` is
``True``) even when the server had sent a message and a close frame right
behind its 101 response; they were processed once the caller yielded to the
event loop. Likewise, a server's handler started with an open connection.
Frameworks and their test clients check ``ws.open`` right after connecting.

These tests use raw peers on loopback sockets that write the handshake and
the frames in a single ``write()``, so that they arrive together.
"""

from __future__ import annotations

import asyncio
from typing import Any, List, Optional

import pytest

from websockets.client import connect
from websockets.exceptions import ConnectionClosedOK
from websockets.framing import OP_CLOSE, OP_TEXT, serialize_close, serialize_frame
from websockets.protocol import State
from websockets.server import WebSocketServerProtocol

from .utils import (
    TIMEOUT,
    handshake_request,
    parse_request,
    port_of,
    response_101,
    serving,
)


def server_frames() -> bytes:
    return serialize_frame(0x80 | OP_TEXT, b"hello", False) + serialize_frame(
        0x80 | OP_CLOSE, serialize_close(1000, "bye"), False
    )


async def eager_server(close_tcp: bool) -> asyncio.AbstractServer:
    """Answer the handshake with a 101, a message and a close frame, all in
    one write; then close the TCP connection if ``close_tcp``, else wait for
    the client's close frame and close it."""

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        data = await reader.readuntil(b"\r\n\r\n")
        _, headers = parse_request(data[:-4])
        writer.write(response_101(headers) + server_frames())
        if not close_tcp:
            # The client's close frame (masked): 2 + 4 + 5 bytes.
            await reader.readexactly(11)
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


@pytest.mark.parametrize("open_timeout", [10, None])
@pytest.mark.parametrize("close_tcp", [False, True])
async def test_client_sees_open_connection(
    open_timeout: Optional[float], close_tcp: bool
) -> None:
    server = await eager_server(close_tcp)
    try:
        port = server.sockets[0].getsockname()[1]
        ws = await connect(
            f"ws://127.0.0.1:{port}/", open_timeout=open_timeout, compression=None
        )
        # Like 8.1: nothing was processed yet.
        assert ws.open
        assert ws.state is State.OPEN
        assert ws.close_code is None
        # The message and the close frame are processed once the caller
        # yields; nothing is lost, whatever the timing of the TCP close.
        assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "hello"
        with pytest.raises(ConnectionClosedOK) as raised:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
        assert (raised.value.code, raised.value.reason) == (1000, "bye")
        assert ws.closed
    finally:
        server.close()
        await server.wait_closed()


async def test_client_sees_open_connection_in_context_manager() -> None:
    server = await eager_server(close_tcp=False)
    try:
        port = server.sockets[0].getsockname()[1]
        async with connect(f"ws://127.0.0.1:{port}/", compression=None) as ws:
            assert ws.open
            assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "hello"
        assert ws.close_code == 1000
    finally:
        server.close()
        await server.wait_closed()


async def test_client_close_before_frames_are_processed() -> None:
    # The caller closes the connection before yielding: the frames that
    # arrived with the handshake are processed during the closing handshake.
    server = await eager_server(close_tcp=False)
    try:
        port = server.sockets[0].getsockname()[1]
        ws = await connect(f"ws://127.0.0.1:{port}/", compression=None)
        assert ws.open
        await asyncio.wait_for(ws.close(), TIMEOUT)
        # The server's close frame came first: its code is the final one.
        assert (ws.close_code, ws.close_reason) == (1000, "bye")
    finally:
        server.close()
        await server.wait_closed()


async def test_connection_lost_before_frames_are_processed() -> None:
    # The TCP connection is lost before the frames that arrived with the
    # handshake were processed: they're processed first, as if they had been
    # read before the loss, like 8.1 read what was buffered.
    server = await eager_server(close_tcp=False)
    try:
        port = server.sockets[0].getsockname()[1]
        ws = await connect(f"ws://127.0.0.1:{port}/", compression=None)
        assert ws.open
        ws.transport.abort()
        # What the transport calls on the next turn of the loop, now.
        ws.connection_lost(ConnectionResetError())
        assert ws.closed
        assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "hello"
        with pytest.raises(ConnectionClosedOK) as raised:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
        assert (raised.value.code, raised.value.reason) == (1000, "bye")
    finally:
        server.close()
        await server.wait_closed()


def client_request_with_frames() -> bytes:
    mask = b"\x01\x02\x03\x04"

    def masked(opcode: int, payload: bytes) -> bytes:
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + data

    return (
        handshake_request()
        + masked(OP_TEXT, b"hello")
        + masked(OP_CLOSE, serialize_close(1000, "bye"))
    )


@pytest.mark.parametrize("open_timeout", [10, None])
async def test_handler_starts_with_open_connection(
    open_timeout: Optional[float],
) -> None:
    seen: List[Any] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        seen.append((ws.open, ws.state, ws.close_code))
        seen.append(await ws.recv())
        try:
            await ws.recv()
        except ConnectionClosedOK as exc:
            seen.append((exc.code, exc.reason, ws.closed))

    async with serving(handler, open_timeout=open_timeout, compression=None) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", port_of(server))
        writer.write(client_request_with_frames())
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        # The server echoes the close frame and closes the connection.
        rest = await asyncio.wait_for(reader.read(), TIMEOUT)
        assert rest == serialize_frame(
            0x80 | OP_CLOSE, serialize_close(1000, "bye"), False
        )
        writer.close()
        for _ in range(100):
            if len(seen) == 3:
                break
            await asyncio.sleep(0.01)

    assert seen == [(True, State.OPEN, None), "hello", (1000, "bye", True)]
