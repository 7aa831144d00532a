"""Loopback tests of the server: serve(), WebSocketServer,
WebSocketServerProtocol, the embedding contract used by ASGI servers, and
the answers to bad opening handshakes."""

from __future__ import annotations

import asyncio
import http
import logging
import socket
import warnings
from typing import Any, List, Optional, Sequence, Tuple

import pytest

from websockets.client import connect
from websockets.datastructures import Headers
from websockets.exceptions import (
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidStatusCode,
)
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.protocol import State
from websockets.server import (
    OPEN_TIMEOUT,
    WebSocketServer,
    WebSocketServerProtocol,
    serve,
)
from websockets.typing import Subprotocol

from .utils import (
    KEY,
    TIMEOUT,
    ClientNoOpFactory,
    NoOpExtension,
    ServerNoOpFactory,
    check_error_response,
    echo,
    error_records,
    handshake_request,
    parse_response,
    port_of,
    raw_exchange,
    raw_request,
    raw_websocket,
    read_frame,
    read_until_eof,
    serving,
    uri_of,
)

# Every connection a test makes goes through one of these wrappers of
# asyncio.wait_for, so that a hung connection fails the test quickly.


async def within(aw: Any) -> Any:
    return await asyncio.wait_for(aw, TIMEOUT)


async def check_echo(uri: str, **kwargs: Any) -> None:
    """Check that a server at ``uri`` runs the echo handler."""
    async with connect(uri, **kwargs) as ws:
        await ws.send("still serving")
        assert await within(ws.recv()) == "still serving"


class RecordingProtocol(WebSocketServerProtocol):
    """Server protocol that lists its instances, so tests can wait for their
    handler to finish instead of sleeping."""

    instances: List[RecordingProtocol] = []
    made: asyncio.Event

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        RecordingProtocol.instances.append(self)
        super().connection_made(transport)
        RecordingProtocol.made.set()

    @classmethod
    async def first(cls) -> RecordingProtocol:
        """Wait for the first connection and return its protocol."""
        await within(cls.made.wait())
        return cls.instances[0]


@pytest.fixture(autouse=True)
async def reset_instances() -> None:
    RecordingProtocol.instances = []
    RecordingProtocol.made = asyncio.Event()


# serve() and its return value


async def test_await_serve_returns_websocket_server() -> None:
    server = await serve(echo, "127.0.0.1", 0)
    try:
        assert isinstance(server, WebSocketServer)
        await check_echo(uri_of(server))
    finally:
        server.close()
        await within(server.wait_closed())
    assert server.sockets is None


async def test_serve_as_async_context_manager() -> None:
    async with serve(echo, "127.0.0.1", 0) as server:
        assert isinstance(server, WebSocketServer)
        assert server.sockets is not None and len(server.sockets) == 1
        await check_echo(uri_of(server))
    # Exiting the context closes the server and stops listening.
    assert server.sockets is None
    assert server.closing


async def test_handler_called_with_websocket_and_path() -> None:
    calls: List[Tuple[Any, str]] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        calls.append((ws, path))

    async with serving(handler) as server:
        port = port_of(server)
        async with connect(uri_of(server, "/a/b?c=d")) as ws:
            await within(ws.wait_closed())
    [(websocket, path)] = calls
    assert isinstance(websocket, WebSocketServerProtocol)
    assert path == "/a/b?c=d"
    assert websocket.path == "/a/b?c=d"
    assert websocket.request_headers["Host"] == f"127.0.0.1:{port}"


async def test_normal_return_closes_with_1000() -> None:
    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        await ws.send("bye")

    async with serving(handler) as server, connect(uri_of(server)) as ws:
        assert await within(ws.recv()) == "bye"
        with pytest.raises(ConnectionClosedOK) as exc_info:
            await within(ws.recv())
    assert exc_info.value.code == 1000


async def test_exception_closes_with_1011_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        raise RuntimeError("boom in handler")

    with caplog.at_level(logging.ERROR, logger="websockets.server"):
        async with serving(handler) as server, connect(uri_of(server)) as ws:
            with pytest.raises(ConnectionClosedError) as exc_info:
                await within(ws.recv())
    assert exc_info.value.code == 1011
    [record] = error_records(caplog.records)
    assert record.name == "websockets.server"
    assert record.getMessage() == "Error in connection handler"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    assert "boom in handler" in caplog.text  # the traceback is in the log


async def test_connection_closed_escaping_handler_isnt_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        await ws.recv()

    with caplog.at_level(logging.DEBUG, logger="websockets.server"):
        async with serving(handler) as server:
            async with connect(uri_of(server)) as ws:
                pass
            # The handler gets ConnectionClosedOK from recv() and lets it
            # through: the connection is already closed, no 1011, and no
            # ERROR log with a traceback (8.1 logged one).
            assert ws.close_code == 1000
    assert error_records(caplog.records) == []
    [record] = [
        r for r in caplog.records if "Connection handler exited" in r.getMessage()
    ]
    assert record.levelno == logging.DEBUG
    assert record.exc_info is None


async def test_connection_closed_error_escaping_handler_is_logged_at_info(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        await ws.recv()

    with caplog.at_level(logging.DEBUG, logger="websockets.server"):
        async with serving(handler) as server, connect(uri_of(server)) as ws:
            await ws.close(4000, "error")
    assert error_records(caplog.records) == []
    [record] = [
        r for r in caplog.records if "Connection handler exited" in r.getMessage()
    ]
    assert record.levelno == logging.INFO
    assert "4000" in record.getMessage()


async def test_exception_after_connection_closed_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        await ws.wait_closed()
        raise RuntimeError("boom after close")

    with caplog.at_level(logging.ERROR, logger="websockets.server"):
        async with serving(handler) as server:
            async with connect(uri_of(server)) as ws:
                pass
            # The connection is already closed: no 1011, but the error is
            # logged with its traceback.
            assert ws.close_code == 1000
    [record] = error_records(caplog.records)
    assert isinstance(record.exc_info[1], RuntimeError)  # type: ignore[index]


async def test_handler_cancelled_closes_with_1011() -> None:
    started = asyncio.Event()

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        started.set()
        await asyncio.Event().wait()

    async with serving(handler, create_protocol=RecordingProtocol) as server:
        async with connect(uri_of(server)) as ws:
            await within(started.wait())
            [protocol] = RecordingProtocol.instances
            protocol.handler_task.cancel()
            with pytest.raises(ConnectionClosedError) as exc_info:
                await within(ws.recv())
            assert exc_info.value.code == 1011
        with pytest.raises(asyncio.CancelledError):
            await within(protocol.handler_task)
        assert protocol not in server.websockets


async def test_handshake_cancelled_aborts_connection() -> None:
    async with serving(create_protocol=RecordingProtocol) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", port_of(server))
        try:
            writer.write(b"GET / HTTP/1.1\r\n")
            await writer.drain()
            protocol = await RecordingProtocol.first()
            protocol.handler_task.cancel()
            # The server drops the connection without answering.
            assert await read_until_eof(reader) == b""
        finally:
            writer.close()
        assert protocol.state is State.CLOSED


# Arguments of serve()


async def test_create_protocol() -> None:
    class MyProtocol(WebSocketServerProtocol):
        pass

    seen: List[Any] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        seen.append(ws)

    async with (
        serving(handler, create_protocol=MyProtocol) as server,
        connect(uri_of(server)) as ws,
    ):
        await within(ws.wait_closed())
    assert isinstance(seen[0], MyProtocol)


async def test_klass_is_a_deprecated_alias_of_create_protocol() -> None:
    class MyProtocol(WebSocketServerProtocol):
        pass

    seen: List[Any] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        seen.append(ws)

    with pytest.warns(DeprecationWarning, match="rename klass to create_protocol"):
        server = serve(handler, "127.0.0.1", 0, klass=MyProtocol)
    async with server as ws_server, connect(uri_of(ws_server)) as ws:
        await within(ws.wait_closed())
    assert isinstance(seen[0], MyProtocol)


async def test_create_protocol_wins_over_klass() -> None:
    class A(WebSocketServerProtocol):
        pass

    class B(WebSocketServerProtocol):
        pass

    seen: List[Any] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        seen.append(ws)

    with pytest.warns(DeprecationWarning):
        server = serve(handler, "127.0.0.1", 0, create_protocol=A, klass=B)
    async with server as ws_server, connect(uri_of(ws_server)) as ws:
        await within(ws.wait_closed())
    assert type(seen[0]) is A


async def test_timeout_is_a_deprecated_alias_of_close_timeout() -> None:
    seen: List[Any] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        seen.append(ws.close_timeout)

    with pytest.warns(DeprecationWarning, match="rename timeout to close_timeout"):
        server = serve(handler, "127.0.0.1", 0, timeout=3)
    async with server as ws_server, connect(uri_of(ws_server)) as ws:
        await within(ws.wait_closed())
    assert seen == [3]


async def test_loop_is_accepted_silently() -> None:
    # Like websockets 8.1.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        server = serve(echo, "127.0.0.1", 0, loop=asyncio.get_running_loop())
    async with server as ws_server:
        await check_echo(uri_of(ws_server))


async def test_legacy_recv() -> None:
    results: List[Any] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        results.append(await ws.recv())
        results.append(await ws.recv())

    with pytest.warns(DeprecationWarning, match="legacy_recv"):
        async with serving(handler, legacy_recv=True) as server:
            async with connect(uri_of(server)) as ws:
                await ws.send("one")
            await within(ws.wait_closed())
            server.close()
            await within(server.wait_closed())
    assert results == ["one", None]


async def test_protocol_parameters_are_passed_to_connections() -> None:
    seen: List[WebSocketServerProtocol] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        seen.append(ws)

    async with (
        serving(
            handler,
            ping_interval=7,
            ping_timeout=8,
            close_timeout=9,
            max_size=1234,
            max_queue=5,
            read_limit=4096,
            write_limit=8192,
        ) as server,
        connect(uri_of(server)) as ws,
    ):
        await within(ws.wait_closed())
    [protocol] = seen
    assert protocol.ping_interval == 7
    assert protocol.ping_timeout == 8
    assert protocol.close_timeout == 9
    assert protocol.max_size == 1234
    assert protocol.max_queue == 5
    assert protocol.read_limit == 4096
    assert protocol.write_limit == 8192
    assert protocol.host == "127.0.0.1"
    assert protocol.port == 0
    assert protocol.secure is False
    # The transport's high-water mark is write_limit.
    assert protocol.transport.get_write_buffer_limits()[1] == 8192


async def test_ping_interval_and_ping_timeout() -> None:
    # A client that never answers pings is disconnected with 1011.
    async with serving(ping_interval=0.05, ping_timeout=0.05) as server:
        reader, writer = await raw_websocket(port_of(server))
        try:
            opcode, _ = await read_frame(reader)
            assert opcode == 0x9  # ping
            opcode, payload = await read_frame(reader)
            assert opcode == 0x8  # close
            assert payload[:2] == (1011).to_bytes(2, "big")
            assert payload[2:] == b"keepalive ping timeout"
        finally:
            writer.close()


async def test_client_answers_keepalive_pings() -> None:
    # The client answers the server's pings: the connection stays open.
    async with (
        serving(ping_interval=0.02, ping_timeout=1) as server,
        connect(uri_of(server), ping_interval=None) as ws,
    ):
        pong_waiter = await ws.ping()
        await within(pong_waiter)
        for _ in range(3):
            await ws.send("x")
            assert await within(ws.recv()) == "x"
        assert ws.open


async def test_close_timeout_aborts_when_client_does_not_answer_close() -> None:
    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        pass  # return at once: the server starts the closing handshake

    async with serving(handler, close_timeout=0.1) as server:
        reader, writer = await raw_websocket(port_of(server))
        try:
            opcode, payload = await read_frame(reader)
            assert opcode == 0x8
            assert payload[:2] == (1000).to_bytes(2, "big")
            # No answer: the server closes the TCP connection at the deadline.
            assert await read_until_eof(reader) == b""
        finally:
            writer.close()


async def test_max_size() -> None:
    async with (
        serving(max_size=10, compression=None) as server,
        connect(uri_of(server)) as ws,
    ):
        await ws.send("0123456789")
        assert await within(ws.recv()) == "0123456789"
        await ws.send("0123456789a")
        with pytest.raises(ConnectionClosedError) as exc_info:
            await within(ws.recv())
    assert exc_info.value.code == 1009


async def test_max_queue() -> None:
    received: List[Any] = []
    go = asyncio.Event()

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        await go.wait()
        async for message in ws:
            received.append(message)

    async with serving(handler, max_queue=1, compression=None) as server:
        async with connect(uri_of(server)) as ws:
            for i in range(20):
                await ws.send(str(i))
            go.set()
        await within(ws.wait_closed())
        server.close()
        await within(server.wait_closed())
    assert received == [str(i) for i in range(20)]


async def test_open_timeout_none() -> None:
    seen: List[Any] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        seen.append(ws.open_timeout)  # type: ignore[attr-defined]

    async with (
        serving(handler, open_timeout=None) as server,
        connect(uri_of(server)) as ws,
    ):
        await within(ws.wait_closed())
    assert seen == [None]


def test_default_open_timeout() -> None:
    assert OPEN_TIMEOUT == 10


async def test_compression_deflate_is_the_default() -> None:
    seen: List[WebSocketServerProtocol] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        seen.append(ws)
        await echo(ws, path)

    async with serving(handler) as server, connect(uri_of(server)) as ws:
        await ws.send("hello" * 100)
        assert await within(ws.recv()) == "hello" * 100
        assert "permessage-deflate" in ws.response_headers["Sec-WebSocket-Extensions"]
        [extension] = ws.extensions
        assert isinstance(extension, PerMessageDeflate)
    [extension] = seen[0].extensions
    assert isinstance(extension, PerMessageDeflate)


async def test_compression_none() -> None:
    async with serving(compression=None) as server, connect(uri_of(server)) as ws:
        # The client offers permessage-deflate; the server declines.
        assert "permessage-deflate" in ws.request_headers["Sec-WebSocket-Extensions"]
        assert "Sec-WebSocket-Extensions" not in ws.response_headers
        assert ws.extensions == []
        await ws.send("hello")
        assert await within(ws.recv()) == "hello"


def test_compression_unsupported() -> None:
    with pytest.raises(ValueError, match="unsupported compression: gzip"):
        serve(echo, "127.0.0.1", 0, compression="gzip")


async def test_compression_keeps_configured_permessage_deflate() -> None:
    factory = ServerPerMessageDeflateFactory(server_no_context_takeover=True)
    async with serving(extensions=[factory]) as server, connect(uri_of(server)) as ws:
        header = ws.response_headers["Sec-WebSocket-Extensions"]
        assert "server_no_context_takeover" in header
        assert header.count("permessage-deflate") == 1


async def test_origins_accept_listed_origin() -> None:
    seen: List[Any] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        seen.append(ws.origin)  # type: ignore[attr-defined]

    async with (
        serving(handler, origins=["https://a.example"]) as server,
        connect(uri_of(server), origin="https://a.example") as ws,
    ):
        await within(ws.wait_closed())
    assert seen == ["https://a.example"]


async def test_origins_reject_other_origin(caplog: pytest.LogCaptureFixture) -> None:
    async with serving(origins=["https://a.example"]) as server:
        with pytest.raises(InvalidStatusCode) as exc_info:
            await connect(uri_of(server), origin="https://evil.example")
        assert exc_info.value.status_code == 403
        request = handshake_request(extra=[("Origin", "https://evil.example")])
        response = await raw_request(port_of(server), request)
        check_error_response(response, 403, b"invalid Origin header")
        # A missing Origin isn't acceptable unless None is listed.
        response = await raw_request(port_of(server), handshake_request())
        check_error_response(response, 403, b"missing Origin header")
    assert error_records(caplog.records) == []


async def test_origins_with_none_allow_missing_origin() -> None:
    async with serving(origins=["https://a.example", None]) as server:
        await check_echo(uri_of(server))


async def test_several_origin_headers_are_rejected() -> None:
    async with serving() as server:
        request = handshake_request(
            extra=[("Origin", "https://a.example"), ("Origin", "https://b.example")]
        )
        response = await raw_request(port_of(server), request)
        check_error_response(response, 400, b"more than one Origin header")


async def test_empty_string_in_origins_is_deprecated() -> None:
    with pytest.warns(DeprecationWarning, match="use None instead of ''"):
        protocol = WebSocketServerProtocol(echo, None, origins=["", "https://a"])
    assert protocol.origins == [None, "https://a"]


async def test_extensions() -> None:
    seen: List[WebSocketServerProtocol] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        seen.append(ws)
        await echo(ws, path)

    # The first offer is declined by the factory, the second accepted; a
    # permessage-deflate offer has no factory.
    async with (
        serving(handler, compression=None, extensions=[ServerNoOpFactory()]) as server,
        connect(
            uri_of(server),
            extensions=[
                ClientNoOpFactory([("reject", None)]),
                ClientNoOpFactory([("level", "1")]),
            ],
        ) as ws,
    ):
        assert ws.response_headers["Sec-WebSocket-Extensions"] == "x-noop; level=1"
        await ws.send(b"through the extension")
        assert await within(ws.recv()) == b"through the extension"
    [extension] = seen[0].extensions
    assert isinstance(extension, NoOpExtension)
    assert extension.params == [("level", "1")]


async def test_extensions_in_several_headers() -> None:
    async with serving(extensions=[ServerNoOpFactory()]) as server:
        request = handshake_request(
            extra=[
                ("Sec-WebSocket-Extensions", "x-unknown"),
                ("Sec-WebSocket-Extensions", "x-noop; a=1"),
            ]
        )
        reader, writer = await asyncio.open_connection("127.0.0.1", port_of(server))
        try:
            writer.write(request)
            head = await within(reader.readuntil(b"\r\n\r\n"))
        finally:
            writer.close()
    assert head.startswith(b"HTTP/1.1 101 ")
    assert b"\r\nSec-WebSocket-Extensions: x-noop; a=1\r\n" in head


async def test_malformed_subprotocols_header() -> None:
    async with serving(subprotocols=["a"]) as server:
        request = handshake_request(extra=[("Sec-WebSocket-Protocol", "a b")])
        response = await raw_request(port_of(server), request)
        check_error_response(response, 400, b"invalid Sec-WebSocket-Protocol header")


async def test_subprotocols_negotiated() -> None:
    async with serving(subprotocols=["chat", "superchat"]) as server:
        async with connect(uri_of(server), subprotocols=["superchat"]) as ws:
            assert ws.subprotocol == "superchat"
            assert ws.response_headers["Sec-WebSocket-Protocol"] == "superchat"
        async with connect(uri_of(server), subprotocols=["other"]) as ws:
            assert ws.subprotocol is None
            assert "Sec-WebSocket-Protocol" not in ws.response_headers
        async with connect(uri_of(server)) as ws:
            assert ws.subprotocol is None


@pytest.mark.parametrize(
    "client, server, expected",
    [
        # Equal weight to both sides' preferences: b is 0 + 1, a is 3 + 0.
        (["b", "c", "d", "a"], ["a", "b"], "b"),
        # ... and the other way around.
        (["a", "b"], ["b", "c", "d", "a"], "b"),
        # Ties go to the server's preference.
        (["b", "a"], ["a", "b"], "a"),
        (["c", "b", "a"], ["a", "b", "c"], "a"),
        # Nothing in common.
        (["x"], ["y"], None),
    ],
)
async def test_default_select_subprotocol_weighs_both_sides(
    client: List[str], server: List[str], expected: Optional[str]
) -> None:
    async with (
        serving(subprotocols=server) as ws_server,
        connect(uri_of(ws_server), subprotocols=client) as ws,
    ):
        assert ws.subprotocol == expected


async def test_subprotocols_in_several_headers() -> None:
    async with serving(subprotocols=["b"]) as server:
        request = handshake_request(
            extra=[("Sec-WebSocket-Protocol", "a"), ("Sec-WebSocket-Protocol", "b")]
        )
        reader, writer = await asyncio.open_connection("127.0.0.1", port_of(server))
        try:
            writer.write(request)
            head = await within(reader.readuntil(b"\r\n\r\n"))
        finally:
            writer.close()
    assert b"\r\nSec-WebSocket-Protocol: b\r\n" in head


async def test_select_subprotocol_argument() -> None:
    calls: List[Tuple[Sequence[str], Sequence[str]]] = []

    def select(
        client: Sequence[Subprotocol], server: Sequence[Subprotocol]
    ) -> Optional[Subprotocol]:
        calls.append((client, server))
        return client[-1]

    async with (
        serving(subprotocols=["a", "b"], select_subprotocol=select) as server,
        connect(uri_of(server), subprotocols=["a", "b"]) as ws,
    ):
        assert ws.subprotocol == "b"
    assert calls == [(["a", "b"], ["a", "b"])]


async def test_select_subprotocol_subclass() -> None:
    class RequireChat(WebSocketServerProtocol):
        def select_subprotocol(
            self,
            client_subprotocols: Sequence[Subprotocol],
            server_subprotocols: Sequence[Subprotocol],
        ) -> Optional[Subprotocol]:
            return Subprotocol("chat") if "chat" in client_subprotocols else None

    async with (
        serving(subprotocols=["x", "chat"], create_protocol=RequireChat) as s,
        connect(uri_of(s), subprotocols=["x", "chat"]) as ws,
    ):
        assert ws.subprotocol == "chat"


@pytest.mark.parametrize(
    "extra_headers, expected",
    [
        (Headers([("X-Extra", "1"), ("X-Extra", "2")]), ["1", "2"]),
        ({"X-Extra": "1"}, ["1"]),
        ([("X-Extra", "1"), ("X-Extra", "2")], ["1", "2"]),
    ],
    ids=["Headers", "dict", "pairs"],
)
async def test_extra_headers(extra_headers: Any, expected: List[str]) -> None:
    async with (
        serving(extra_headers=extra_headers) as server,
        connect(uri_of(server)) as ws,
    ):
        assert ws.response_headers.get_all("X-Extra") == expected
        assert "Date" in ws.response_headers
        assert ws.response_headers["Server"].startswith("Python/")


async def test_extra_headers_callable() -> None:
    calls: List[Tuple[str, Headers]] = []

    def extra_headers(path: str, request_headers: Headers) -> List[Tuple[str, str]]:
        calls.append((path, request_headers))
        return [("X-Path", path), ("Server", "custom")]

    async with (
        serving(extra_headers=extra_headers) as server,
        connect(uri_of(server, "/p?q")) as ws,
    ):
        assert ws.response_headers["X-Path"] == "/p?q"
        # extra_headers may override the default Server header.
        assert ws.response_headers["Server"] == "custom"
    [(path, request_headers)] = calls
    assert path == "/p?q"
    assert request_headers["Sec-WebSocket-Version"] == "13"


async def test_extra_headers_are_not_sent_on_errors() -> None:
    async with serving(extra_headers={"X-Extra": "1"}) as server:
        request = handshake_request(drop=("Sec-WebSocket-Key",))
        response = await raw_request(port_of(server), request)
        assert response.status == 400
        assert "X-Extra" not in response.headers


# process_request


async def health_check(path: str, request_headers: Headers) -> Any:
    if path == "/health":
        return http.HTTPStatus.OK, [("X-Health", "good")], b"OK\n"
    return None


async def test_process_request_coroutine_answers_health_check() -> None:
    async with serving(process_request=health_check) as server:
        response = await raw_request(port_of(server), handshake_request("/health"))
        assert response.status == 200
        assert response.reason == "OK"
        assert response.body == b"OK\n"
        assert response.headers["X-Health"] == "good"
        assert response.headers["Content-Length"] == "3"
        assert response.headers["Content-Type"] == "text/plain"
        assert response.headers["Connection"] == "close"
        assert "Date" in response.headers and "Server" in response.headers
        # A health check doesn't even need to be a WebSocket request.
        plain = b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"
        response = await raw_request(port_of(server), plain)
        assert (response.status, response.body) == (200, b"OK\n")
        # Other paths proceed with the WebSocket handshake.
        await check_echo(uri_of(server, "/ws"))


async def test_process_request_plain_function() -> None:
    calls: List[str] = []

    def process_request(path: str, request_headers: Headers) -> Any:
        calls.append(path)
        if path == "/forbidden":
            return 403, {"X-Reason": "nope"}, b"Forbidden.\n"
        return None

    async with serving(process_request=process_request) as server:
        response = await raw_request(port_of(server), handshake_request("/forbidden"))
        assert response.status == 403
        assert response.reason == "Forbidden"
        assert response.headers["X-Reason"] == "nope"
        assert response.body == b"Forbidden.\n"
        with pytest.raises(InvalidStatusCode) as exc_info:
            await connect(uri_of(server, "/forbidden"))
        assert exc_info.value.status_code == 403
        await check_echo(uri_of(server, "/ok"))
    assert calls == ["/forbidden", "/forbidden", "/ok"]


async def test_process_request_subclass() -> None:
    class HealthCheck(WebSocketServerProtocol):
        async def process_request(self, path: str, request_headers: Headers) -> Any:
            self.seen_path = path
            if path == "/health":
                return http.HTTPStatus.OK, Headers(), b"OK\n"
            return await super().process_request(path, request_headers)

    async with serving(create_protocol=HealthCheck) as server:
        response = await raw_request(port_of(server), handshake_request("/health"))
        assert (response.status, response.body) == (200, b"OK\n")
        await check_echo(uri_of(server))


async def test_process_request_empty_body() -> None:
    def process_request(path: str, request_headers: Headers) -> Any:
        return http.HTTPStatus.NO_CONTENT, [], b""

    async with serving(process_request=process_request) as server:
        response = await raw_request(port_of(server), handshake_request())
    assert response.status == 204
    assert response.body == b""
    assert response.headers["Content-Length"] == "0"


async def test_process_request_exception_gives_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def process_request(path: str, request_headers: Headers) -> Any:
        raise RuntimeError("boom in process_request")

    with caplog.at_level(logging.INFO, logger="websockets.server"):
        async with serving(process_request=process_request) as server:
            response = await raw_request(port_of(server), handshake_request())
    check_error_response(response, 500, b"See server log for more information.")
    [record] = error_records(caplog.records)
    assert record.getMessage() == "Error in opening handshake"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    assert "boom in process_request" in caplog.text


async def test_connection_lost_during_process_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Slow(WebSocketServerProtocol):
        async def process_request(self, path: str, request_headers: Headers) -> Any:
            # Wait until the client is gone.
            await self.wait_closed()
            return None

    async with serving(create_protocol=Slow) as server:
        _reader, writer = await asyncio.open_connection("127.0.0.1", port_of(server))
        writer.write(handshake_request())
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        server.close()
        await within(server.wait_closed())
    assert error_records(caplog.records) == []


# Arguments passed to create_server()


async def test_sock() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    async with serve(echo, sock=sock) as server:
        assert port_of(server) == port
        await check_echo(f"ws://127.0.0.1:{port}/")


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="needs SO_REUSEPORT")
async def test_reuse_port() -> None:
    async with serving(reuse_port=True) as server:
        # A second server can listen on the same port.
        port = port_of(server)
        async with serve(echo, "127.0.0.1", port, reuse_port=True) as other:
            assert port_of(other) == port
        await check_echo(f"ws://127.0.0.1:{port}/")


async def test_backlog() -> None:
    async with serving(backlog=1) as server:
        await check_echo(uri_of(server))


async def test_several_hosts() -> None:
    async with serve(echo, ["127.0.0.1"], 0) as server:
        await check_echo(uri_of(server))


# WebSocketServer


async def test_websockets_set_and_sockets() -> None:
    in_handler = asyncio.Event()
    release = asyncio.Event()
    seen: List[WebSocketServerProtocol] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        seen.append(ws)
        in_handler.set()
        await release.wait()

    async with serving(handler) as server:
        [sock] = server.sockets or []
        assert sock.getsockname()[0] == "127.0.0.1"
        assert server.websockets == set()
        async with connect(uri_of(server)) as ws:
            await within(in_handler.wait())
            assert server.websockets == set(seen)
            release.set()
            await within(ws.wait_closed())
        # Unregistered once the handler returned and the connection closed.
        await within(seen[0].handler_task)
        assert server.websockets == set()


async def test_close_is_idempotent_and_stops_listening() -> None:
    server = await serve(echo, "127.0.0.1", 0)
    port = port_of(server)
    server.close()
    server.close()
    await within(server.wait_closed())
    server.close()
    await within(server.wait_closed())
    assert server.sockets is None
    with pytest.raises(OSError):
        await connect(f"ws://127.0.0.1:{port}/")


async def test_wait_closed_before_close() -> None:
    server = await serve(echo, "127.0.0.1", 0)
    waiter = asyncio.ensure_future(server.wait_closed())
    await check_echo(uri_of(server))
    assert not waiter.done()
    server.close()
    await within(waiter)


async def test_close_closes_open_connections_with_1001() -> None:
    handler_exc: List[BaseException] = []
    in_handler = asyncio.Event()
    handler_done = asyncio.Event()

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        in_handler.set()
        try:
            await ws.recv()
        except BaseException as exc:
            handler_exc.append(exc)
        handler_done.set()

    async with serving(handler) as server, connect(uri_of(server)) as ws:
        await within(in_handler.wait())
        server.close()
        with pytest.raises(ConnectionClosedOK) as exc_info:
            await within(ws.recv())
        assert exc_info.value.code == 1001
        await within(server.wait_closed())
        # When wait_closed() returns, every handler has returned.
        assert handler_done.is_set()
        assert ws.closed
    [exc] = handler_exc
    assert isinstance(exc, ConnectionClosedOK)
    assert exc.code == 1001


async def test_wait_closed_waits_for_handlers() -> None:
    closed = asyncio.Event()
    release = asyncio.Event()

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        async for _ in ws:
            pass  # pragma: no cover
        closed.set()
        await release.wait()

    server = await serve(handler, "127.0.0.1", 0)
    async with connect(uri_of(server)) as ws:
        server.close()
        await within(ws.wait_closed())
    waiter = asyncio.ensure_future(server.wait_closed())
    await within(closed.wait())
    # The connection is closed but the handler is still running.
    assert not waiter.done()
    release.set()
    await within(waiter)


async def test_close_during_handshake_answers_503(
    caplog: pytest.LogCaptureFixture,
) -> None:
    received = asyncio.Event()

    class Signal(WebSocketServerProtocol):
        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            received.set()

    server = await serve(echo, "127.0.0.1", 0, create_protocol=Signal)
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(server))
    try:
        # Only part of a request.
        writer.write(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        await within(received.wait())
        server.close()
        data = await read_until_eof(reader)
    finally:
        writer.close()
    await within(server.wait_closed())
    response = parse_response(data)
    check_error_response(response, 503, b"Server is shutting down.")
    assert error_records(caplog.records) == []


async def test_close_during_process_request_answers_503() -> None:
    in_process_request = asyncio.Event()
    release = asyncio.Event()

    async def process_request(path: str, request_headers: Headers) -> Any:
        in_process_request.set()
        await release.wait()
        return None

    server = await serve(echo, "127.0.0.1", 0, process_request=process_request)
    task = asyncio.ensure_future(raw_request(port_of(server), handshake_request()))
    await within(in_process_request.wait())
    server.close()
    release.set()
    response = await within(task)
    await within(server.wait_closed())
    check_error_response(response, 503, b"Server is shutting down.")


# The embedding contract of ASGI servers such as uvicorn


class StandInServer:
    """The only interface of the server object that WebSocketServerProtocol
    relies on."""

    def __init__(self) -> None:
        self.closing = False
        self.serving = True
        self.registered: List[WebSocketServerProtocol] = []
        self.unregistered: List[WebSocketServerProtocol] = []

    def register(self, ws: WebSocketServerProtocol) -> None:
        self.registered.append(ws)

    def unregister(self, ws: WebSocketServerProtocol) -> None:
        self.unregistered.append(ws)

    def is_serving(self) -> bool:
        return self.serving


class EmbeddedProtocol(WebSocketServerProtocol):
    """A protocol built the way ASGI servers build theirs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.events: List[str] = []
        self.lost: Optional[asyncio.Future[None]] = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.events.append("connection_made")
        super().connection_made(transport)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self.events.append("connection_lost")
        super().connection_lost(exc)

    async def process_request(self, path: str, request_headers: Headers) -> Any:
        self.events.append(f"process_request {path}")
        if path == "/http":
            return http.HTTPStatus.OK, [("X-From", "app")], b"plain HTTP\n"
        return None

    def select_subprotocol(
        self,
        client_subprotocols: Sequence[Subprotocol],
        server_subprotocols: Sequence[Subprotocol],
    ) -> Optional[Subprotocol]:
        self.events.append("select_subprotocol")
        return client_subprotocols[0]


async def start_embedded(
    stand_in: StandInServer, handler: Any
) -> Tuple[asyncio.AbstractServer, List[EmbeddedProtocol], int]:
    loop = asyncio.get_running_loop()
    protocols: List[EmbeddedProtocol] = []

    def factory() -> EmbeddedProtocol:
        protocol = EmbeddedProtocol(
            handler,
            stand_in,
            subprotocols=["app"],
            extra_headers=[("X-Embedded", "yes")],
            ping_interval=None,
            close_timeout=1,
        )
        protocols.append(protocol)
        return protocol

    server = await loop.create_server(factory, "127.0.0.1", 0)
    return server, protocols, server.sockets[0].getsockname()[1]


async def test_embedding_contract() -> None:
    stand_in = StandInServer()

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        await ws.ensure_open()
        message = await ws.recv()
        await ws.send(f"{path}: {message}")
        await ws.close()

    server, protocols, port = await start_embedded(stand_in, handler)
    try:
        async with connect(f"ws://127.0.0.1:{port}/chat", subprotocols=["app"]) as ws:
            assert ws.subprotocol == "app"
            assert ws.response_headers["X-Embedded"] == "yes"
            await ws.send("hello")
            assert await within(ws.recv()) == "/chat: hello"
            with pytest.raises(ConnectionClosedOK):
                await within(ws.recv())
        [protocol] = protocols
        await within(protocol.handler_task)
        assert stand_in.registered == [protocol]
        assert stand_in.unregistered == [protocol]
        assert protocol.events == [
            "connection_made",
            "process_request /chat",
            "select_subprotocol",
            "connection_lost",
        ]

        # process_request can answer plain HTTP.
        response = await raw_request(port, handshake_request("/http"))
        assert (response.status, response.body) == (200, b"plain HTTP\n")
        assert response.headers["X-From"] == "app"

        # While the stand-in isn't serving, handshakes get a 503.
        stand_in.serving = False
        response = await raw_request(port, handshake_request("/chat"))
        check_error_response(response, 503, b"Server is shutting down.")
        assert len(stand_in.unregistered) == 3
    finally:
        server.close()
        await server.wait_closed()


async def test_embedding_contract_fail_connection_1012() -> None:
    stand_in = StandInServer()
    in_handler = asyncio.Event()

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        in_handler.set()
        await ws.recv()

    server, protocols, port = await start_embedded(stand_in, handler)
    try:
        async with connect(f"ws://127.0.0.1:{port}/") as ws:
            await within(in_handler.wait())
            [protocol] = protocols
            # What an ASGI server does on shutdown ("service restart").
            protocol.fail_connection(1012)
            with pytest.raises(ConnectionClosedError) as exc_info:
                await within(ws.recv())
            assert exc_info.value.code == 1012
        await within(protocol.handler_task)
        assert stand_in.unregistered == [protocol]
    finally:
        server.close()
        await server.wait_closed()


# Bad opening handshakes, sent by a raw socket client

LONG_LINE = "x" * 5000
TOO_MANY_HEADERS = [(f"X-Header-{i}", "value") for i in range(300)]

BAD_REQUESTS = [
    pytest.param(
        handshake_request(drop=("Sec-WebSocket-Key",)),
        400,
        b"missing Sec-WebSocket-Key header",
        id="missing key",
    ),
    pytest.param(
        handshake_request(extra=[("Sec-WebSocket-Key", KEY)]),
        400,
        b"more than one Sec-WebSocket-Key header found",
        id="duplicate key",
    ),
    pytest.param(
        handshake_request(key="c2hvcnQ="),  # base64 of 5 bytes
        400,
        b"invalid Sec-WebSocket-Key header: c2hvcnQ=",
        id="key not 16 bytes",
    ),
    pytest.param(
        handshake_request(key="not base64!"),
        400,
        b"invalid Sec-WebSocket-Key header",
        id="key not base64",
    ),
    pytest.param(
        handshake_request(
            drop=("Sec-WebSocket-Version",), extra=[("Sec-WebSocket-Version", "8")]
        ),
        426,
        b"invalid Sec-WebSocket-Version header: 8",
        id="wrong version",
    ),
    pytest.param(
        handshake_request(drop=("Sec-WebSocket-Version",)),
        426,
        b"missing Sec-WebSocket-Version header",
        id="missing version",
    ),
    pytest.param(
        handshake_request(drop=("Upgrade",)),
        426,
        b"missing Upgrade header",
        id="missing Upgrade",
    ),
    pytest.param(
        handshake_request(drop=("Upgrade",), extra=[("Upgrade", "h2c")]),
        426,
        b"invalid Upgrade header: h2c",
        id="wrong Upgrade",
    ),
    pytest.param(
        handshake_request(drop=("Connection",)),
        426,
        b"missing Connection header",
        id="missing Connection",
    ),
    pytest.param(
        handshake_request(method="POST"),
        400,
        b"unsupported HTTP method; expected GET; got POST",
        id="POST",
    ),
    pytest.param(
        handshake_request(extra=[("X-Long", LONG_LINE)]),
        400,
        b"line too long",
        id="oversized header line",
    ),
    pytest.param(
        handshake_request(extra=TOO_MANY_HEADERS),
        400,
        b"too many HTTP headers",
        id="too many headers",
    ),
    pytest.param(
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage\r\n\r\n",
        400,
        b"did not receive a valid HTTP request",
        id="garbage",
    ),
    pytest.param(
        b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n",
        400,
        b"unsupported protocol; expected HTTP/1.1",
        id="HTTP/1.0",
    ),
    pytest.param(
        handshake_request(extra=[("Sec-WebSocket-Extensions", "x;;")]),
        400,
        b"invalid Sec-WebSocket-Extensions header: expected token at 2 in x;;",
        id="malformed extensions",
    ),
]


@pytest.mark.parametrize("request_bytes, status, message", BAD_REQUESTS)
async def test_bad_request(
    request_bytes: bytes,
    status: int,
    message: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="websockets.server"):
        async with serving() as server:
            # raw_exchange returns only once the server closed the connection.
            response = parse_response(
                await raw_exchange(port_of(server), request_bytes)
            )
            check_error_response(response, status, message)
            assert response.body.startswith(b"Failed to open a WebSocket connection: ")
            if status == 426:
                assert response.headers["Upgrade"] == "websocket"
            # The server still serves the next client.
            await check_echo(uri_of(server))
    assert error_records(caplog.records) == []
    assert any("Opening handshake failed" in r.getMessage() for r in caplog.records)


async def test_missing_upgrade_tells_browser_users_to_use_a_websocket_client() -> None:
    async with serving() as server:
        browser_request = (
            b"GET / HTTP/1.1\r\nHost: localhost\r\nAccept: text/html\r\n\r\n"
        )
        response = await raw_request(port_of(server), browser_request)
    check_error_response(response, 426, b"You need a WebSocket client.")
    assert response.headers["Upgrade"] == "websocket"


async def test_client_bytes_are_escaped_in_error_body() -> None:
    async with serving() as server:
        request = b"\x00\x16\x1b[31m\xc3\xa9\xff\r\n\r\n"
        response = await raw_request(port_of(server), request)
    check_error_response(response, 400, b"invalid HTTP request line")
    body = response.body.decode("ascii")
    assert body == (
        "Failed to open a WebSocket connection: did not receive a valid HTTP "
        "request: invalid HTTP request line: \\x00\\x16\\x1b[31m\\xe9\\xff.\n"
    )


async def test_wrong_version_advertises_supported_version() -> None:
    # RFC 6455 4.2.2: the answer indicates the versions the server supports.
    async with serving() as server:
        request = handshake_request(
            drop=("Sec-WebSocket-Version",), extra=[("Sec-WebSocket-Version", "8")]
        )
        response = await raw_request(port_of(server), request)
    assert response.status == 426
    assert response.headers["Sec-WebSocket-Version"] == "13"


async def test_client_sends_nothing_then_closes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with serving(create_protocol=RecordingProtocol) as server:
        _reader, writer = await asyncio.open_connection("127.0.0.1", port_of(server))
        writer.close()
        await writer.wait_closed()
        protocol = await RecordingProtocol.first()
        await within(protocol.handler_task)
        assert protocol.state is State.CLOSED
        assert server.websockets == set()
        await check_echo(uri_of(server))
    assert error_records(caplog.records) == []


async def test_client_half_closes_without_request() -> None:
    async with serving() as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", port_of(server))
        try:
            writer.write_eof()
            data = await read_until_eof(reader)
        finally:
            writer.close()
        # Depending on timing, the server answers 400 or just closes.
        if data:
            response = parse_response(data)
            check_error_response(response, 400, b"did not receive a valid HTTP")
        await check_echo(uri_of(server))


async def test_client_sends_nothing_open_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with serving(open_timeout=0.1) as server:
        data = await raw_exchange(port_of(server), b"")
        response = parse_response(data)
        check_error_response(response, 408, b"timed out during the opening handshake")
        # A partial request is also bounded by open_timeout.
        data = await raw_exchange(port_of(server), b"GET / HTTP/1.1\r\n")
        check_error_response(parse_response(data), 408, b"timed out")
        await check_echo(uri_of(server))
    assert error_records(caplog.records) == []


async def test_abort_if_client_does_not_read_error_response() -> None:
    # The error response is flushed, then the connection closed; within
    # close_timeout even if the client doesn't read.
    async with serving(close_timeout=0.1, create_protocol=RecordingProtocol) as s:
        _reader, writer = await asyncio.open_connection("127.0.0.1", port_of(s))
        try:
            writer.write(handshake_request(drop=("Sec-WebSocket-Key",)))
            await writer.drain()
            protocol = await RecordingProtocol.first()
            await within(protocol.handler_task)
            assert protocol.state is State.CLOSED
        finally:
            writer.close()


async def test_handler_cancelled_after_connection_closed() -> None:
    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        await asyncio.Event().wait()  # ignores the connection

    async with serving(handler, create_protocol=RecordingProtocol) as server:
        async with connect(uri_of(server)) as ws:
            pass
        assert ws.close_code == 1000
        protocol = await RecordingProtocol.first()
        await within(protocol.wait_closed())
        protocol.handler_task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await within(protocol.handler_task)
        assert protocol.close_code == 1000


async def test_process_request_plain_method_in_subclass() -> None:
    class Sync(WebSocketServerProtocol):
        def process_request(  # type: ignore[override]
            self, path: str, request_headers: Headers
        ) -> Any:
            if path == "/health":
                return http.HTTPStatus.OK, [], b"OK\n"
            return None

    async with serving(create_protocol=Sync) as server:
        response = await raw_request(port_of(server), handshake_request("/health"))
        assert (response.status, response.body) == (200, b"OK\n")
        await check_echo(uri_of(server))


async def test_debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="websockets"):
        async with serving() as server:
            await check_echo(uri_of(server, "/debug"))
            await raw_request(port_of(server), handshake_request(method="GET", key="x"))
    messages = [r.getMessage() for r in caplog.records if r.name == "websockets.server"]
    assert "server < GET /debug HTTP/1.1" in messages
    assert "server > HTTP/1.1 101 Switching Protocols" in messages
    assert "server > HTTP/1.1 400 Bad Request" in messages


async def test_websocket_server_without_server() -> None:
    # WebSocketServer works before wrap() is called, as an embedding target.
    ws_server = WebSocketServer(loop=asyncio.get_running_loop())
    assert ws_server.sockets is None
    assert ws_server.is_serving()
    ws_server.close()
    assert not ws_server.is_serving()
    await within(ws_server.wait_closed())


async def test_connection_registered_after_close_gets_503() -> None:
    # A connection accepted just before close() whose connection_made() runs
    # after close() looked at the connections: simulated with a second
    # listening socket feeding the same WebSocketServer.
    closed = asyncio.Event()
    release = asyncio.Event()

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        async for _ in ws:
            pass  # pragma: no cover
        closed.set()
        await release.wait()

    start = serve(handler, "127.0.0.1", 0, open_timeout=None)
    server = await start
    async with connect(uri_of(server)) as ws:
        server.close()
        await within(closed.wait())
    assert ws.close_code == 1001
    # close() is waiting for the first handler; a late connection arrives.
    loop = asyncio.get_running_loop()
    late = await loop.create_server(start._factory, "127.0.0.1", 0)
    try:
        late_port = late.sockets[0].getsockname()[1]
        # Only part of a request: without a prompt 503, this would wait for
        # the rest forever (open_timeout=None).
        data = await raw_exchange(late_port, b"GET / HTTP/1.1\r\n")
        check_error_response(parse_response(data), 503, b"Server is shutting down.")
        waiter = asyncio.ensure_future(server.wait_closed())
        release.set()
        await within(waiter)
        assert server.websockets == set()
    finally:
        late.close()
        await late.wait_closed()


async def test_extra_headers_iterator_serves_every_connection() -> None:
    pairs = iter([("X-Extra", "1"), ("X-Extra", "2")])
    async with serving(extra_headers=pairs) as server:
        for _ in range(2):
            async with connect(uri_of(server)) as ws:
                assert ws.response_headers.get_all("X-Extra") == ["1", "2"]


@pytest.mark.parametrize(
    "name, value",
    [
        ("X-Split", "a\r\nSet-Cookie: injected=1"),
        ("X-Split", "a\nInjected: 1"),
        ("X-Nul", "a\x00b"),
        ("X-Surrogate", "\udcff"),
        ("Bad Name", "value"),
        ("X-Split\r\nInjected", "1"),
    ],
)
async def test_headers_that_cannot_be_sent_give_500(
    name: str, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    # For example, a request header echoed in extra_headers or in the
    # answer of process_request: no response splitting.
    def extra_headers(path: str, request_headers: Headers) -> Any:
        return [(name, value)]

    def process_request(path: str, request_headers: Headers) -> Any:
        if path == "/abort":
            return http.HTTPStatus.FORBIDDEN, [(name, value)], b"Forbidden.\n"
        return None

    async with serving(
        extra_headers=extra_headers, process_request=process_request
    ) as server:
        for path in ["/", "/abort"]:
            data = await raw_exchange(port_of(server), handshake_request(path))
            assert b"Injected" not in data and b"injected" not in data
            check_error_response(parse_response(data), 500, b"See server log")
    records = error_records(caplog.records)
    assert len(records) == 2
    assert all("invalid HTTP header" in str(r.exc_info[1]) for r in records)  # type: ignore[index]


def test_check_headers_accepts_valid_headers() -> None:
    from websockets.server import check_headers

    check_headers(Headers([("X-Tab", "a\tb"), ("X-Utf8", "café"), ("X-Empty", "")]))
