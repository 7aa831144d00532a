"""Embedding by direct construction, as Sanic 20.12 does.

Sanic parses HTTP itself. For a websocket route, it checks the request with
:func:`websockets.handshake.check_request`, writes the 101 response built
with :func:`websockets.handshake.build_response`, then constructs a
:class:`~websockets.protocol.WebSocketCommonProtocol` directly, sets
``is_client``, ``side`` and ``subprotocol`` on the instance, calls
``connection_made(transport)`` and ``connection_open()`` itself, and
forwards ``data_received()`` and ``connection_lost()`` from its own
:class:`asyncio.Protocol`. At shutdown, it calls ``close_connection()``.

The embedding below is written the way Sanic does it, so that this suite
catches what would break it. Attributes that 8.1 read at use time
(``is_client`` decides which side masks; ``side`` goes into logs) are set
after construction and must be honoured. (tests/consumers/ runs the real
Sanic 20.12.7.)
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence

import pytest

from websockets import handshake
from websockets.client import connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedError
from websockets.protocol import State, WebSocketCommonProtocol

from .utils import TIMEOUT, serving, uri_of

Handler = Callable[[WebSocketCommonProtocol], Awaitable[None]]


class FrameworkHeaders:
    """Case-insensitive multi-valued headers with ``get_all()``, like the
    framework's (a multidict subclass)."""

    def __init__(self, items: Sequence[tuple[str, str]]) -> None:
        self.items = list(items)

    def __getitem__(self, name: str) -> str:
        for key, value in self.items:
            if key.lower() == name.lower():
                return value
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(key.lower() == str(name).lower() for key, _ in self.items)

    def get_all(self, name: str) -> List[str]:
        return [value for key, value in self.items if key.lower() == name.lower()]


class FrameworkHttpProtocol(asyncio.Protocol):
    """The framework's HTTP protocol, which hands over to websockets."""

    def __init__(
        self,
        handler: Handler,
        subprotocols: Optional[List[str]],
        tasks: List[asyncio.Task[Any]],
        websockets: List[WebSocketCommonProtocol],
    ) -> None:
        self.handler = handler
        self.subprotocols = subprotocols
        self.tasks = tasks
        self.websockets = websockets
        self.websocket: Optional[WebSocketCommonProtocol] = None
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport

    def data_received(self, data: bytes) -> None:
        if self.websocket is not None:
            self.websocket.data_received(data)
            return
        self.buffer += data
        if b"\r\n\r\n" in self.buffer:
            head, _, _ = self.buffer.partition(b"\r\n\r\n")
            _, *lines = head.decode().split("\r\n")
            headers = FrameworkHeaders(
                [(k, v.strip()) for k, v in (line.split(":", 1) for line in lines)]
            )
            self.request_task = asyncio.ensure_future(self.websocket_handler(headers))
            self.tasks.append(self.request_task)

    def eof_received(self) -> Optional[bool]:
        if self.websocket is not None:
            return self.websocket.eof_received()
        return None

    def connection_lost(self, exc: Optional[Exception]) -> None:
        if self.websocket is not None:
            self.websocket.connection_lost(exc)
        # Then the framework's HTTP protocol cancels the request's task.
        self.request_task.cancel()

    async def websocket_handshake(
        self, headers: FrameworkHeaders
    ) -> WebSocketCommonProtocol:
        response_headers: Dict[str, str] = {}
        key = handshake.check_request(headers)  # type: ignore[arg-type]
        handshake.build_response(response_headers, key)  # type: ignore[arg-type]

        subprotocol = None
        if self.subprotocols and "Sec-Websocket-Protocol" in headers:
            client_subprotocols = [
                p.strip() for p in headers["Sec-Websocket-Protocol"].split(",")
            ]
            for p in client_subprotocols:
                if p in self.subprotocols:
                    subprotocol = p
                    response_headers["Sec-Websocket-Protocol"] = subprotocol
                    break

        rv = b"HTTP/1.1 101 Switching Protocols\r\n"
        for k, v in response_headers.items():
            rv += k.encode("utf-8") + b": " + v.encode("utf-8") + b"\r\n"
        rv += b"\r\n"
        self.transport.write(rv)

        self.websocket = WebSocketCommonProtocol(
            close_timeout=1,
            max_size=None,
            max_queue=None,
            read_limit=2**16,
            write_limit=2**16,
            ping_interval=20,
            ping_timeout=20,
        )
        self.websocket.is_client = False
        self.websocket.side = "server"
        self.websocket.subprotocol = subprotocol  # type: ignore[assignment]
        self.websocket.connection_made(self.transport)
        self.websocket.connection_open()
        self.websockets.append(self.websocket)
        return self.websocket

    async def websocket_handler(self, headers: FrameworkHeaders) -> None:
        ws = await self.websocket_handshake(headers)
        fut = asyncio.ensure_future(self.handler(ws))
        try:
            await fut
        except (asyncio.CancelledError, ConnectionClosed):
            pass
        await ws.close()


class Framework:
    def __init__(
        self, handler: Handler, subprotocols: Optional[List[str]] = None
    ) -> None:
        self.handler = handler
        self.subprotocols = subprotocols
        self.tasks: List[asyncio.Task[Any]] = []
        self.websockets: List[WebSocketCommonProtocol] = []

    async def __aenter__(self) -> str:
        self.server = await asyncio.get_running_loop().create_server(
            lambda: FrameworkHttpProtocol(
                self.handler, self.subprotocols, self.tasks, self.websockets
            ),
            "127.0.0.1",
            0,
        )
        return f"ws://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/"

    async def __aexit__(self, *exc_info: Any) -> None:
        self.server.close()
        if self.tasks:
            await asyncio.wait_for(
                asyncio.gather(*self.tasks, return_exceptions=True), TIMEOUT
            )
        await self.server.wait_closed()


async def test_echo_subprotocol_and_open_after_connect() -> None:
    async def echo(ws: WebSocketCommonProtocol) -> None:
        async for message in ws:
            await ws.send(message)

    async with Framework(echo, subprotocols=["graphql-ws"]) as uri:
        ws = await connect(uri, subprotocols=["other", "graphql-ws"])
        # The framework's test client checks it right after connecting.
        assert ws.open
        assert ws.subprotocol == "graphql-ws"
        for message in ["text", b"bytes", "x" * 100_000]:
            await ws.send(message)
            assert await asyncio.wait_for(ws.recv(), TIMEOUT) == message
        await ws.close()
        assert ws.close_code == 1000


async def test_close_code_reaches_handler() -> None:
    # Like with 8.1: recv() doesn't raise on the close frame, only once the
    # TCP connection is closed; by then, the framework cancelled the handler
    # (its connection_lost() cancels the request's task). The close code and
    # reason reach the handler on the connection.
    outcomes: List[Any] = []

    async def handler(ws: WebSocketCommonProtocol) -> None:
        try:
            await ws.recv()
        except ConnectionClosed as exc:
            outcomes.append(("ConnectionClosed", exc.code, exc.reason))
            raise
        except asyncio.CancelledError:
            outcomes.append(("CancelledError", ws.close_code, ws.close_reason))
            raise

    framework = Framework(handler)
    async with framework as uri:
        ws = await connect(uri)
        await ws.close(4000, "done")
        await asyncio.wait_for(framework.websockets[0].wait_closed(), TIMEOUT)
        for _ in range(100):
            if outcomes:
                break
            await asyncio.sleep(0.01)
    assert outcomes == [("CancelledError", 4000, "done")]
    assert framework.websockets[0].state is State.CLOSED


async def test_handler_closes_with_code() -> None:
    async def handler(ws: WebSocketCommonProtocol) -> None:
        await ws.send("bye")
        await ws.close(4001, "server done")

    async with Framework(handler) as uri:
        ws = await connect(uri)
        assert await ws.recv() == "bye"
        with pytest.raises(ConnectionClosedError) as raised:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
        assert (raised.value.code, raised.value.reason) == (4001, "server done")


async def test_side_set_after_construction_goes_into_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handler(ws: WebSocketCommonProtocol) -> None:
        await ws.send(await ws.recv())

    caplog.set_level(logging.DEBUG, logger="websockets.protocol")
    async with Framework(handler) as uri, connect(uri) as ws:
        await ws.send("x")
        assert await ws.recv() == "x"
    messages = [
        r.getMessage() for r in caplog.records if r.name == "websockets.protocol"
    ]
    assert "server - state = OPEN" in messages
    assert "server < TEXT fin=True len=1" in messages
    # Only the constructor logs before the side is set.
    assert [m for m in messages if m.startswith("undefined")] == [
        "undefined - state = CONNECTING"
    ]


async def test_shutdown_with_close_connection() -> None:
    # At shutdown, the framework cancels handlers and then calls
    # close_connection() on websockets that are still there.
    started = asyncio.Event()

    async def handler(ws: WebSocketCommonProtocol) -> None:
        started.set()
        await asyncio.sleep(3600)

    framework = Framework(handler)
    async with framework as uri:
        ws = await connect(uri)
        await asyncio.wait_for(started.wait(), TIMEOUT)
        server_ws = framework.websockets[0]
        await asyncio.wait_for(server_ws.close_connection(), TIMEOUT)
        assert server_ws.closed
        with pytest.raises(ConnectionClosedError) as raised:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
        assert raised.value.code == 1006
        # Idempotent.
        await asyncio.wait_for(server_ws.close_connection(), TIMEOUT)
        for task in framework.tasks:
            task.cancel()


async def test_close_connection_before_connection_made() -> None:
    protocol = WebSocketCommonProtocol()
    await asyncio.wait_for(protocol.close_connection(), TIMEOUT)
    assert protocol.close_code == 1006


class ClientSideForwarder(asyncio.Protocol):
    """The framework's protocol on the client side: it reads the 101
    response itself, then forwards bytes to the embedded websocket."""

    def __init__(self) -> None:
        self.websocket: Optional[WebSocketCommonProtocol] = None
        self.head = b""
        self.response: asyncio.Future[bytes] = (
            asyncio.get_running_loop().create_future()
        )

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport

    def data_received(self, data: bytes) -> None:
        if self.websocket is not None:
            self.websocket.data_received(data)
        else:
            self.head += data
            if b"\r\n\r\n" in self.head:
                self.response.set_result(self.head)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        if self.websocket is not None:
            self.websocket.connection_lost(exc)


async def test_is_client_set_after_construction_decides_masking() -> None:
    # A client-side embedding: frames must be masked, or the server fails
    # the connection with 1002.
    async with serving() as server:
        loop = asyncio.get_running_loop()
        transport, forwarder = await loop.create_connection(
            ClientSideForwarder, "127.0.0.1", int(uri_of(server).split(":")[2][:-1])
        )
        transport.write(
            b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"Sec-WebSocket-Version: 13\r\n\r\n"
        )
        response = await asyncio.wait_for(forwarder.response, TIMEOUT)
        assert response.startswith(b"HTTP/1.1 101 ")
        ws = WebSocketCommonProtocol()
        ws.is_client = True
        ws.side = "client"
        ws.connection_made(transport)
        ws.connection_open()
        forwarder.websocket = ws
        await ws.send("masked")
        assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "masked"
        await asyncio.wait_for(ws.close(), TIMEOUT)
        assert ws.close_code == 1000
