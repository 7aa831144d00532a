"""Embedding by subclassing :class:`WebSocketServerProtocol`, as uvicorn does.

uvicorn 0.13.x runs ASGI applications over websockets 8.1 with a subclass of
:class:`~websockets.server.WebSocketServerProtocol` created by its own
protocol factory (not by :func:`~websockets.server.serve`). The subclass
below is written the way uvicorn's is, so that this suite catches what
would break it: it sets ``loop``, ``transport`` and other attributes before
calling ``super().__init__()``, passes a ``ws_server`` stand-in of its own,
starts the application from ``process_request()`` and waits for its
``websocket.accept``, overrides ``process_subprotocol()``, keeps
``ws_handler`` waiting until the application is done, and closes the
transport itself when the application crashes.

A crash after the application accepted must look like a crash to the
client: an abnormal closure (1006), never a clean 1000, as with 8.1.
(tests/consumers/ runs the real uvicorn 0.13.4.)
"""

from __future__ import annotations

import asyncio
import http
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set

import pytest

from websockets import handshake
from websockets.client import connect
from websockets.exceptions import (
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidStatusCode,
)
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.server import WebSocketServerProtocol

TIMEOUT = 5.0

Message = Dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Dict[str, Any], Receive, Send], Awaitable[None]]


class ServerState:
    def __init__(self) -> None:
        self.connections: Set[Any] = set()
        self.tasks: Set[asyncio.Task[Any]] = set()


class StubServer:
    """What the framework passes as ``ws_server``."""

    closing = False

    def register(self, ws: Any) -> None:
        pass

    def unregister(self, ws: Any) -> None:
        pass

    def is_serving(self) -> bool:
        return not self.closing


class ASGIWebSocketProtocol(WebSocketServerProtocol):
    def __init__(
        self,
        app: App,
        server_state: ServerState,
        _loop: Optional[asyncio.AbstractEventLoop] = None,
    ) -> None:
        self.app = app
        # Set before super().__init__(), like the framework does.
        self.loop = _loop or asyncio.get_event_loop()
        self.connections = server_state.connections
        self.tasks = server_state.tasks
        self.transport = None  # type: ignore[assignment]
        self.scope: Optional[Dict[str, Any]] = None
        self.handshake_started_event = asyncio.Event()
        self.handshake_completed_event = asyncio.Event()
        self.closed_event = asyncio.Event()
        self.initial_response: Optional[Any] = None
        self.connect_sent = False
        self.accepted_subprotocol: Optional[str] = None
        self.transfer_data_task = None
        self.ws_server = StubServer()
        super().__init__(
            ws_handler=self.asgi_ws_handler,
            ws_server=self.ws_server,
            extensions=[ServerPerMessageDeflateFactory()],
        )

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.connections.add(self)
        self.transport = transport  # type: ignore[assignment]
        super().connection_made(transport)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self.connections.remove(self)
        self.handshake_completed_event.set()
        super().connection_lost(exc)

    async def process_request(self, path: str, headers: Any) -> Any:
        handshake.check_request(headers)
        subprotocols: List[str] = []
        for header in headers.get_all("Sec-WebSocket-Protocol"):
            subprotocols.extend(token.strip() for token in header.split(","))
        self.scope = {"type": "websocket", "path": path, "subprotocols": subprotocols}
        task = self.loop.create_task(self.run_asgi())
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)
        await self.handshake_started_event.wait()
        return self.initial_response

    def process_subprotocol(self, headers: Any, available_subprotocols: Any) -> Any:
        return self.accepted_subprotocol

    def send_500_response(self) -> None:
        assert self.transport is not None
        self.transport.write(
            b"HTTP/1.1 500 Internal Server Error\r\n"
            b"content-length: 0\r\nconnection: close\r\n\r\n"
        )
        self.handshake_started_event.set()

    async def asgi_ws_handler(self, protocol: Any, path: str) -> None:
        self.handshake_completed_event.set()
        await self.closed_event.wait()

    async def run_asgi(self) -> None:
        assert self.scope is not None
        try:
            await self.app(self.scope, self.asgi_receive, self.asgi_send)
        except BaseException:
            self.closed_event.set()
            logging.getLogger("test.asgi").info("Exception in ASGI application")
            if not self.handshake_started_event.is_set():
                self.send_500_response()
            else:
                await self.handshake_completed_event.wait()
            assert self.transport is not None
            self.transport.close()
        else:
            self.closed_event.set()
            if not self.handshake_started_event.is_set():
                self.send_500_response()
                assert self.transport is not None
                self.transport.close()

    async def asgi_send(self, message: Message) -> None:
        message_type = message["type"]
        if not self.handshake_started_event.is_set():
            if message_type == "websocket.accept":
                self.accepted_subprotocol = message.get("subprotocol")
                self.handshake_started_event.set()
            else:
                assert message_type == "websocket.close"
                self.initial_response = (http.HTTPStatus.FORBIDDEN, [], b"")
                self.handshake_started_event.set()
                self.closed_event.set()
        elif not self.closed_event.is_set():
            await self.handshake_completed_event.wait()
            if message_type == "websocket.send":
                data = message.get("bytes")
                await self.send(message["text"] if data is None else data)
            else:
                assert message_type == "websocket.close"
                await self.close(message.get("code", 1000))
                self.closed_event.set()
        else:
            raise RuntimeError(f"unexpected {message_type} after websocket.close")

    async def asgi_receive(self) -> Message:
        if not self.connect_sent:
            self.connect_sent = True
            return {"type": "websocket.connect"}
        await self.handshake_completed_event.wait()
        try:
            await self.ensure_open()
            data = await self.recv()
        except ConnectionClosed as exc:
            return {"type": "websocket.disconnect", "code": exc.code}
        if isinstance(data, str):
            return {"type": "websocket.receive", "text": data}
        return {"type": "websocket.receive", "bytes": data}


async def echo_app(scope: Dict[str, Any], receive: Receive, send: Send) -> None:
    assert (await receive())["type"] == "websocket.connect"
    subprotocols = scope["subprotocols"]
    await send(
        {
            "type": "websocket.accept",
            "subprotocol": subprotocols[0] if subprotocols else None,
        }
    )
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            scope["disconnect_code"] = message["code"]
            return
        text = message.get("text")
        if text is not None and text.startswith("close "):
            await send({"type": "websocket.close", "code": int(text[6:])})
            return
        if text == "crash":
            raise RuntimeError("the application crashed")
        await send(
            {"type": "websocket.send", "text": text, "bytes": message.get("bytes")}
        )


async def reject_app(scope: Dict[str, Any], receive: Receive, send: Send) -> None:
    await receive()
    await send({"type": "websocket.close"})


async def crash_after_accept_app(
    scope: Dict[str, Any], receive: Receive, send: Send
) -> None:
    await receive()
    await send({"type": "websocket.accept"})
    raise RuntimeError("the application crashed")


async def crash_before_accept_app(
    scope: Dict[str, Any], receive: Receive, send: Send
) -> None:
    raise RuntimeError("the application crashed")


class Running:
    def __init__(self, app: App) -> None:
        self.app = app
        self.state = ServerState()
        self.protocols: List[ASGIWebSocketProtocol] = []

    def factory(self) -> ASGIWebSocketProtocol:
        protocol = ASGIWebSocketProtocol(self.app, self.state)
        self.protocols.append(protocol)
        return protocol

    async def __aenter__(self) -> str:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(self.factory, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"ws://127.0.0.1:{port}/"

    async def __aexit__(self, *exc_info: Any) -> None:
        self.server.close()
        for protocol in self.protocols:
            await asyncio.wait_for(protocol.wait_closed(), TIMEOUT)
        await self.server.wait_closed()


async def test_echo_with_subprotocol() -> None:
    async with Running(echo_app) as uri:
        async with connect(uri, subprotocols=["chat", "other"]) as ws:
            assert ws.subprotocol == "chat"
            assert ws.extensions  # permessage-deflate
            await ws.send("text")
            assert await ws.recv() == "text"
            await ws.send(b"bytes")
            assert await ws.recv() == b"bytes"
        assert ws.close_code == 1000


@pytest.mark.parametrize("code", [1001, 4000])
async def test_application_closes(code: int) -> None:
    async with Running(echo_app) as uri, connect(uri) as ws:
        await ws.send(f"close {code}")
        exc_type = ConnectionClosedOK if code == 1001 else ConnectionClosedError
        with pytest.raises(exc_type) as raised:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
        assert raised.value.code == code


async def test_client_close_code_reaches_application() -> None:
    running = Running(echo_app)
    async with running as uri:
        async with connect(uri) as ws:
            await ws.send("x")
            assert await ws.recv() == "x"
            await ws.close(4001, "client bye")
        await asyncio.wait_for(running.protocols[0].wait_closed(), TIMEOUT)
        for _ in range(100):
            if not running.state.tasks:
                break
            await asyncio.sleep(0.01)
    scope = running.protocols[0].scope
    assert scope is not None
    assert scope["disconnect_code"] == 4001


async def test_reject_before_accept() -> None:
    async with Running(reject_app) as uri:
        with pytest.raises(InvalidStatusCode) as raised:
            await connect(uri, open_timeout=TIMEOUT)
        assert raised.value.status_code == 403


async def test_crash_before_accept() -> None:
    async with Running(crash_before_accept_app) as uri:
        with pytest.raises(InvalidStatusCode) as raised:
            await connect(uri, open_timeout=TIMEOUT)
        assert raised.value.status_code == 500


async def test_crash_after_accept_is_abnormal_closure() -> None:
    running = Running(crash_after_accept_app)
    async with running as uri:
        ws = await connect(uri, open_timeout=TIMEOUT)
        with pytest.raises(ConnectionClosedError) as raised:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
        # Abnormal closure: no close frame came, like with 8.1.
        assert raised.value.code == 1006
        assert ws.close_code == 1006
        await asyncio.wait_for(running.protocols[0].wait_closed(), TIMEOUT)
        assert running.protocols[0].close_code == 1006


async def test_crash_during_exchange_is_abnormal_closure() -> None:
    async with Running(echo_app) as uri:
        ws = await connect(uri, open_timeout=TIMEOUT)
        await ws.send("hello")
        assert await ws.recv() == "hello"
        await ws.send("crash")
        with pytest.raises(ConnectionClosedError) as raised:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
        assert raised.value.code == 1006
