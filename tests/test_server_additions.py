"""Loopback tests of the server additions beyond 8.1: the lifecycle of
WebSocketServer (serve_forever, start_serving, is_serving, close arguments,
connections), one-argument handlers and the process_response hook."""

from __future__ import annotations

import asyncio
import functools
import http
import logging
from typing import Any, List, Optional, Tuple

import pytest

from websockets.client import connect
from websockets.datastructures import Headers
from websockets.exceptions import (
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidStatusCode,
    ProtocolError,
)
from websockets.handlers import adapt_handler
from websockets.server import (
    WebSocketServer,
    WebSocketServerProtocol,
    serve,
)

from .utils import (
    TIMEOUT,
    error_records,
    handshake_request,
    port_of,
    raw_request,
    serving,
    uri_of,
)


async def within(aw: Any) -> Any:
    return await asyncio.wait_for(aw, TIMEOUT)


# WebSocketServer.connections


async def test_connections_is_the_set_of_open_connections() -> None:
    closed = asyncio.Event()

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        await ws.wait_closed()
        closed.set()

    async with serving(handler) as server:
        assert server.connections == set()
        async with connect(uri_of(server)) as first:
            async with connect(uri_of(server)):
                assert len(server.connections) == 2
                assert server.connections <= server.websockets
                assert all(ws.open for ws in server.connections)
                # A new set each time: changing it doesn't affect the server.
                server.connections.clear()
                assert len(server.connections) == 2
            await within(closed.wait())
            (remaining,) = server.connections
            assert remaining.remote_address == first.local_address


# serve_forever(), start_serving(), is_serving()


async def test_serve_forever_returns_once_closed() -> None:
    async with serving() as server:
        task = asyncio.ensure_future(server.serve_forever())
        # connect() runs in this task (as in 8.1): let serve_forever() start
        # serving before it connects.
        while not server.is_serving():
            await asyncio.sleep(0)
        async with connect(uri_of(server)) as ws:
            await ws.send("hello")
            assert await within(ws.recv()) == "hello"
            assert not task.done()
            # For example from a signal handler.
            server.close()
            await within(task)
        assert ws.close_code == 1001


async def test_cancelling_serve_forever_closes_gracefully() -> None:
    handler_done = asyncio.Event()

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        try:
            await ws.recv()
        finally:
            handler_done.set()

    async def main(started: asyncio.Event) -> None:
        async with serve(handler, "127.0.0.1", 0) as server:
            servers.append(server)
            started.set()
            await server.serve_forever()

    servers: List[WebSocketServer] = []
    started = asyncio.Event()
    task = asyncio.ensure_future(main(started))
    await within(started.wait())
    (server,) = servers
    async with connect(uri_of(server)) as ws:
        task.cancel()
        with pytest.raises(ConnectionClosedOK) as exc_info:
            await within(ws.recv())
        assert exc_info.value.code == 1001
        with pytest.raises(asyncio.CancelledError):
            await within(task)
    # The shutdown was graceful: the handler returned, the server closed.
    assert handler_done.is_set()
    assert not server.is_serving()
    await within(server.wait_closed())


async def test_serve_forever_twice_or_after_close() -> None:
    async with serving() as server:
        task = asyncio.ensure_future(server.serve_forever())
        await asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="already running"):
            await server.serve_forever()
        server.close()
        await within(task)
        with pytest.raises(RuntimeError, match="server is closed"):
            await server.serve_forever()


async def test_start_serving() -> None:
    async with serving(start_serving=False) as server:
        assert not server.is_serving()
        with pytest.raises(OSError):
            await within(connect(uri_of(server)))
        await server.start_serving()
        assert server.is_serving()
        await server.start_serving()  # idempotent
        async with connect(uri_of(server)) as ws:
            await ws.send("hello")
            assert await within(ws.recv()) == "hello"


async def test_start_serving_without_server() -> None:
    ws_server = WebSocketServer()
    await ws_server.start_serving()
    assert ws_server.is_serving()


async def test_serve_forever_starts_serving() -> None:
    async with serving(start_serving=False) as server:
        task = asyncio.ensure_future(server.serve_forever())
        # connect() runs in this task (as in 8.1): let serve_forever() start
        # serving before it connects.
        while not server.is_serving():
            await asyncio.sleep(0)
        async with connect(uri_of(server)) as ws:
            await ws.send("hello")
            assert await within(ws.recv()) == "hello"
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await within(task)


# close(close_connections, code, reason)


async def test_close_with_code_and_reason() -> None:
    async with serving() as server:
        async with connect(uri_of(server)) as ws:
            server.close(code=1012, reason="service restart")
            with pytest.raises(ConnectionClosedError) as exc_info:
                await within(ws.recv())
            assert exc_info.value.code == 1012
            assert exc_info.value.reason == "service restart"
        await within(server.wait_closed())


async def test_close_with_invalid_code() -> None:
    async with serving() as server:
        with pytest.raises(ProtocolError):
            server.close(code=1006)
        assert server.is_serving()
        await check_echo(uri_of(server))


async def check_echo(uri: str) -> None:
    async with connect(uri) as ws:
        await ws.send("still serving")
        assert await within(ws.recv()) == "still serving"


async def test_close_without_closing_connections() -> None:
    async with serving() as server:
        port = port_of(server)
        uri = uri_of(server)
        async with connect(uri) as ws:
            server.close(close_connections=False)
            # close_connections=False doesn't validate the unused code.
            server.close(close_connections=False, code=1006)
            assert not server.is_serving()
            assert server.sockets is None
            # New connections are refused...
            with pytest.raises(OSError):
                await within(asyncio.open_connection("127.0.0.1", port))
            # ... open ones go on.
            closed = asyncio.ensure_future(server.wait_closed())
            for _ in range(3):
                await ws.send("still open")
                assert await within(ws.recv()) == "still open"
            assert not closed.done()
        assert ws.close_code == 1000
        # The server is closed once the last connection is.
        await within(closed)


async def test_close_connections_later() -> None:
    async with serving() as server:
        async with connect(uri_of(server)) as ws:
            server.close(close_connections=False)
            await ws.send("hello")
            assert await within(ws.recv()) == "hello"
            server.close(code=1012)
            server.close(code=1013)  # only the first code is used
            await within(server.wait_closed())
        assert ws.close_code == 1012


async def test_handshake_during_close_without_closing_connections() -> None:
    # A connection accepted but still in its opening handshake is refused
    # with 503, like with close_connections=True.
    request_read = asyncio.Event()
    release = asyncio.Event()

    async def process_request(path: str, headers: Headers) -> None:
        request_read.set()
        await release.wait()

    async with serving(process_request=process_request) as server:
        response = asyncio.ensure_future(
            raw_request(port_of(server), handshake_request())
        )
        await within(request_read.wait())
        server.close(close_connections=False)
        release.set()
        assert (await within(response)).status == 503


# One-argument handlers


class Handlers:
    def __init__(self) -> None:
        self.paths: List[str] = []

    async def one(self, ws: WebSocketServerProtocol) -> None:
        self.paths.append(ws.path)
        await ws.send(f"one {ws.path}")

    async def two(self, ws: WebSocketServerProtocol, path: str) -> None:
        self.paths.append(path)
        await ws.send(f"two {path}")


async def with_prefix(prefix: str, ws: WebSocketServerProtocol) -> None:
    await ws.send(f"{prefix} {ws.path}")


async def with_prefix_and_path(
    prefix: str, ws: WebSocketServerProtocol, path: str
) -> None:
    await ws.send(f"{prefix} {path}")


async def optional_path(
    ws: WebSocketServerProtocol, path: Optional[str] = None
) -> None:
    await ws.send(f"optional {path}")


async def variadic(*args: Any) -> None:
    await args[0].send(f"variadic {len(args)}")


async def one_argument(ws: WebSocketServerProtocol) -> None:
    await ws.send(f"function {ws.path}")


@pytest.mark.parametrize(
    "make_handler, expected",
    [
        (lambda h: one_argument, "function /p?q"),
        (lambda h: h.one, "one /p?q"),
        (lambda h: h.two, "two /p?q"),
        (lambda h: functools.partial(with_prefix, "partial"), "partial /p?q"),
        (
            lambda h: functools.partial(with_prefix_and_path, "partial2"),
            "partial2 /p?q",
        ),
        (lambda h: optional_path, "optional /p?q"),
        (lambda h: variadic, "variadic 2"),
    ],
)
async def test_handler_signatures(make_handler: Any, expected: str) -> None:
    async with (
        serving(make_handler(Handlers())) as server,
        connect(uri_of(server, "/p?q")) as ws,
    ):
        assert await within(ws.recv()) == expected


async def test_one_argument_handler_raising_type_error_is_not_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The signature decides, not a TypeError caught around the call.
    calls: List[str] = []

    async def handler(ws: WebSocketServerProtocol) -> None:
        calls.append(ws.path)
        raise TypeError("bug in the handler")

    with caplog.at_level(logging.ERROR, logger="websockets.server"):
        async with serving(handler) as server, connect(uri_of(server)) as ws:
            await within(ws.wait_closed())
    assert ws.close_code == 1011
    assert calls == ["/"]
    (record,) = error_records(caplog.records)
    assert record.exc_info is not None
    assert "bug in the handler" in str(record.exc_info[1])


def testadapt_handler_inspects_once() -> None:
    async def handler(ws: WebSocketServerProtocol) -> None:
        pass  # pragma: no cover

    adapted = adapt_handler(handler)
    assert isinstance(adapted, functools.partial)
    # Two-argument handlers are used unchanged, as in 8.1.
    handlers = Handlers()
    assert adapt_handler(handlers.two) == handlers.two
    assert adapt_handler(optional_path) is optional_path


def testadapt_handler_without_usable_signature() -> None:
    class NoSignature:
        __signature__ = "not a signature"

        async def __call__(self, *args: Any) -> None:
            pass  # pragma: no cover

    handler = NoSignature()
    assert adapt_handler(handler) is handler

    async def no_argument() -> None:
        pass  # pragma: no cover

    # Neither form fits: called with two arguments, failing as in 8.1.
    assert adapt_handler(no_argument) is no_argument


# process_response


async def test_process_response_adds_headers() -> None:
    seen: List[Tuple[str, Headers, Headers]] = []

    def process_response(
        path: str, request_headers: Headers, response_headers: Headers
    ) -> None:
        seen.append((path, request_headers, response_headers))
        response_headers["Set-Cookie"] = "session=42; HttpOnly"

    async with (
        serving(process_response=process_response) as server,
        connect(uri_of(server, "/cookie")) as ws,
    ):
        assert ws.response_headers["Set-Cookie"] == "session=42; HttpOnly"
        await ws.send("hello")
        assert await within(ws.recv()) == "hello"
    ((path, request_headers, response_headers),) = seen
    assert path == "/cookie"
    assert "Sec-WebSocket-Key" in request_headers
    assert "Sec-WebSocket-Accept" in response_headers


async def test_process_response_coroutine_refuses_connection() -> None:
    handled = []

    async def handler(ws: WebSocketServerProtocol) -> None:
        handled.append(ws)  # pragma: no cover

    async def process_response(
        path: str, request_headers: Headers, response_headers: Headers
    ) -> Tuple[http.HTTPStatus, List[Tuple[str, str]], bytes]:
        await asyncio.sleep(0)
        return http.HTTPStatus.FORBIDDEN, [("X-Why", "banned")], b"Go away.\n"

    async with serving(handler, process_response=process_response) as server:
        with pytest.raises(InvalidStatusCode) as exc_info:
            await within(connect(uri_of(server)))
        assert exc_info.value.status_code == 403
        response = await raw_request(port_of(server), handshake_request())
        assert response.status == 403
        assert response.headers["X-Why"] == "banned"
        assert response.body == b"Go away.\n"
    assert handled == []


async def test_process_response_method_in_subclass() -> None:
    class CookieProtocol(WebSocketServerProtocol):
        async def process_response(
            self, path: str, request_headers: Headers, response_headers: Headers
        ) -> None:
            response_headers["Set-Cookie"] = f"path={path}"

    async with (
        serving(create_protocol=CookieProtocol) as server,
        connect(uri_of(server, "/sub")) as ws,
    ):
        assert ws.response_headers["Set-Cookie"] == "path=/sub"


async def test_process_response_plain_method_in_subclass() -> None:
    # Like process_request, a subclass may define it as a plain function.
    class SyncCookieProtocol(WebSocketServerProtocol):
        def process_response(  # type: ignore[override]
            self, path: str, request_headers: Headers, response_headers: Headers
        ) -> None:
            response_headers["Set-Cookie"] = "sync=1"

    async with (
        serving(create_protocol=SyncCookieProtocol) as server,
        connect(uri_of(server)) as ws,
    ):
        assert ws.response_headers["Set-Cookie"] == "sync=1"


async def test_process_response_when_client_disconnects(
    caplog: pytest.LogCaptureFixture,
) -> None:
    entered = asyncio.Event()
    release = asyncio.Event()
    handled = []

    async def handler(ws: WebSocketServerProtocol) -> None:
        handled.append(ws)  # pragma: no cover

    async def process_response(*args: Any) -> None:
        entered.set()
        await release.wait()

    with caplog.at_level(logging.DEBUG, logger="websockets.server"):
        async with serving(handler, process_response=process_response) as server:
            _, writer = await asyncio.open_connection("127.0.0.1", port_of(server))
            writer.write(handshake_request())
            await within(entered.wait())
            writer.transport.abort()
            (protocol,) = server.websockets
            await within(protocol.wait_closed())
            release.set()
            await within(protocol.handler_task)
    assert handled == []
    assert error_records(caplog.records) == []
    assert any(
        "Connection closed during opening handshake" in r.getMessage()
        for r in caplog.records
    )


async def test_create_protocol_without_process_response() -> None:
    # A create_protocol written for 8.1 doesn't get process_response unless
    # it's used.
    received = {}

    class Strict(WebSocketServerProtocol):
        def __init__(self, ws_handler: Any, ws_server: Any, **kwargs: Any) -> None:
            received.update(kwargs)
            super().__init__(ws_handler, ws_server, **kwargs)

    async with serving(create_protocol=Strict) as server:
        await check_echo(uri_of(server))
    assert "process_response" not in received
