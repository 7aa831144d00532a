"""picows peer of the benchmark: echo/sink server and client adapter.

picows (https://github.com/tarasko/picows) is a WebSocket library written in
Cython, frame-oriented: a :class:`picows.WSListener` gets a callback per
frame, and the :class:`picows.WSTransport` writes frames. It shows what a
WebSocket library can cost when its hot path isn't Python. It runs on any
asyncio loop (it brings its own socket transport through aiofastnet when that
package is installed, as it is by default with picows 2.3).

Written against picows's documented API (``ws_create_server``, ``ws_connect``,
``WSListener``, ``WSTransport``, ``WSFrame``), the same way as the raw peer:
text frames are decoded to ``str`` on the client (``recv_text``) and echoed as
they came on the server; close frames are answered, then the connection is
dropped. The workloads send unfragmented messages only.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Optional

import picows
from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport

# Large enough for stream1m (1 MiB messages); picows's default is 10 MiB.
MAX_FRAME_SIZE = 64 * 1024 * 1024
# picows's default is 5 s; a side run under valgrind (bench/callgrind.py)
# takes longer than that to complete 50 handshakes at once.
HANDSHAKE_TIMEOUT = 60.0

TEXT = WSMsgType.TEXT
BINARY = WSMsgType.BINARY
CLOSE = WSMsgType.CLOSE
PING = WSMsgType.PING


class ServerListener(WSListener):  # type: ignore[misc]
    """Echo (every message back) or sink (count binary bytes, answer "done")."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.echo = mode == "echo"
        self.received = 0

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        msg_type = frame.msg_type
        if msg_type is TEXT or msg_type is BINARY:
            if self.echo:
                transport.send(msg_type, frame.get_payload_as_memoryview())
            elif msg_type is BINARY:
                self.received += frame.payload_size
            else:
                transport.send(TEXT, str(self.received).encode())
        elif msg_type is CLOSE:
            transport.send_close(frame.get_close_code(), frame.get_close_message())
            transport.disconnect()
        elif msg_type is PING:
            transport.send_pong(frame.get_payload_as_bytes())


async def start_server(mode: str) -> tuple[int, Any]:
    server = await picows.ws_create_server(
        lambda request: ServerListener(mode),
        "127.0.0.1",
        0,
        max_frame_size=MAX_FRAME_SIZE,
        websocket_handshake_timeout=HANDSHAKE_TIMEOUT,
        backlog=1024,
    )
    port = server.sockets[0].getsockname()[1]

    async def stop() -> None:
        server.close()
        await server.wait_closed()

    return port, stop


class ClientListener(WSListener):  # type: ignore[misc]
    """Client side, with the interface of the benchmark's client adapters."""

    def __init__(self) -> None:
        super().__init__()
        self.transport: Optional[WSTransport] = None
        self.messages: deque[Any] = deque()
        self.waiter: Optional[asyncio.Future[None]] = None
        self.drain_waiter: Optional[asyncio.Future[None]] = None
        self.paused = False
        self.closed = False
        self.negotiated = False

    # WSListener

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        msg_type = frame.msg_type
        if msg_type is TEXT:
            self.messages.append(frame.get_payload_as_utf8_text())
        elif msg_type is BINARY:
            self.messages.append(frame.get_payload_as_bytes())
        elif msg_type is CLOSE:
            transport.disconnect()
            return
        else:
            return
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.closed = True
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(ConnectionError("connection lost"))
        self.resume_writing()

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        waiter = self.drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # Client adapter interface

    async def _drain(self) -> None:
        if self.paused:
            self.drain_waiter = asyncio.get_running_loop().create_future()
            await self.drain_waiter

    async def send_text(self, message: str) -> None:
        assert self.transport is not None
        self.transport.send(TEXT, message.encode())
        if self.paused:
            await self._drain()

    async def send_bytes(self, message: bytes) -> None:
        assert self.transport is not None
        self.transport.send(BINARY, message)
        if self.paused:
            await self._drain()

    async def _recv(self) -> Any:
        messages = self.messages
        while not messages:
            if self.closed:
                raise ConnectionError("connection closed")
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
        return messages.popleft()

    recv_text = recv_bytes = _recv

    async def close(self) -> None:
        transport = self.transport
        if transport is None or self.closed:
            return
        transport.send_close(WSCloseCode.OK)
        await asyncio.wait_for(transport.wait_disconnected(), 10)


async def connect(port: int) -> ClientListener:
    _, listener = await picows.ws_connect(
        ClientListener,
        f"ws://127.0.0.1:{port}/",
        max_frame_size=MAX_FRAME_SIZE,
        websocket_handshake_timeout=HANDSHAKE_TIMEOUT,
    )
    return listener  # type: ignore[no-any-return]
