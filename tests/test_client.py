"""Loopback tests of the client: connect(), its arguments, redirects, and
the answers of a misbehaving server."""

from __future__ import annotations

import asyncio
import http
import logging
import socket
import ssl
import warnings
from typing import Any, List, Optional, Tuple

import pytest

from websockets import client
from websockets.client import WebSocketClientProtocol, connect, unix_connect
from websockets.datastructures import Headers
from websockets.exceptions import (
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidHandshake,
    InvalidHeader,
    InvalidHeaderValue,
    InvalidMessage,
    InvalidStatusCode,
    InvalidUpgrade,
    InvalidURI,
    NegotiationError,
    SecurityError,
)
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
)
from websockets.headers import build_authorization_basic
from websockets.server import WebSocketServerProtocol

from .conftest_server import *  # noqa: F403 - TLS fixtures
from .utils import (
    TIMEOUT,
    ClientNoOpFactory,
    NoOpExtension,
    ServerNoOpFactory,
    canned_server,
    echo,
    error_records,
    ipv6_available,
    port_of,
    response_101,
    serving,
    uri_of,
)


async def within(aw: Any) -> Any:
    return await asyncio.wait_for(aw, TIMEOUT)


class RequestRecorder:
    """Connection handler that records the request of each connection, then
    echoes messages."""

    def __init__(self) -> None:
        self.requests: List[Tuple[str, Headers]] = []

    async def __call__(self, ws: WebSocketServerProtocol, path: str) -> None:
        self.requests.append((path, ws.request_headers))
        await echo(ws, path)

    @property
    def headers(self) -> Headers:
        return self.requests[-1][1]


# connect() and its return value


async def test_await_connect_returns_protocol() -> None:
    async with serving() as server:
        ws = await connect(uri_of(server))
        try:
            assert isinstance(ws, WebSocketClientProtocol)
            assert ws.open
            await ws.send("hello")
            assert await within(ws.recv()) == "hello"
        finally:
            await ws.close()
        assert ws.close_code == 1000


async def test_connect_as_async_context_manager() -> None:
    async with serving() as server:
        async with connect(uri_of(server, "/path?q=1")) as ws:
            assert isinstance(ws, WebSocketClientProtocol)
            assert ws.path == "/path?q=1"
            await ws.send(b"\x00\xff")
            assert await within(ws.recv()) == b"\x00\xff"
        # Exiting the context closes the connection.
        assert ws.closed
        assert ws.close_code == 1000


async def test_context_manager_with_exception_closes() -> None:
    async with serving() as server:
        with pytest.raises(ZeroDivisionError):
            async with connect(uri_of(server)) as ws:
                1 / 0  # noqa: B018
        assert ws.closed


async def test_request_headers() -> None:
    recorder = RequestRecorder()
    async with serving(recorder) as server:
        port = port_of(server)
        async with connect(uri_of(server)) as ws:
            pass
    headers = recorder.headers
    assert headers["Host"] == f"127.0.0.1:{port}"
    assert headers["Upgrade"] == "websocket"
    assert headers["Connection"] == "Upgrade"
    assert headers["Sec-WebSocket-Version"] == "13"
    assert headers["User-Agent"].startswith("Python/")
    assert "Origin" not in headers
    assert "Authorization" not in headers
    assert ws.request_headers == headers


async def test_create_protocol() -> None:
    class MyProtocol(WebSocketClientProtocol):
        pass

    async with (
        serving() as server,
        connect(uri_of(server), create_protocol=MyProtocol) as ws,
    ):
        assert isinstance(ws, MyProtocol)


async def test_klass_is_a_deprecated_alias_of_create_protocol() -> None:
    class MyProtocol(WebSocketClientProtocol):
        pass

    class Other(WebSocketClientProtocol):
        pass

    async with serving() as server:
        with pytest.warns(DeprecationWarning, match="rename klass to create_protocol"):
            client = connect(uri_of(server), klass=MyProtocol)
        async with client as ws:
            assert isinstance(ws, MyProtocol)
        with pytest.warns(DeprecationWarning):
            client = connect(uri_of(server), klass=Other, create_protocol=MyProtocol)
        async with client as ws:
            assert type(ws) is MyProtocol


async def test_timeout_is_a_deprecated_alias_of_close_timeout() -> None:
    async with serving() as server:
        with pytest.warns(DeprecationWarning, match="rename timeout to close_timeout"):
            client = connect(uri_of(server), timeout=4)
        async with client as ws:
            assert ws.close_timeout == 4


async def test_loop_is_accepted_silently() -> None:
    # Like websockets 8.1 (pyppeteer and web3.py pass it).
    async with serving() as server:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            client = connect(uri_of(server), loop=asyncio.get_running_loop())
        async with client as ws:
            await ws.send("x")
            assert await within(ws.recv()) == "x"


async def test_legacy_recv() -> None:
    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        await ws.send("only")

    async with serving(handler) as server:
        with pytest.warns(DeprecationWarning, match="legacy_recv"):
            ws = await connect(uri_of(server), legacy_recv=True)
        assert await within(ws.recv()) == "only"
        assert await within(ws.recv()) is None
        await ws.close()


async def test_protocol_parameters() -> None:
    async with (
        serving() as server,
        connect(
            uri_of(server),
            ping_interval=7,
            ping_timeout=8,
            close_timeout=9,
            max_size=1234,
            max_queue=5,
            read_limit=4096,
            write_limit=8192,
        ) as ws,
    ):
        assert ws.ping_interval == 7
        assert ws.ping_timeout == 8
        assert ws.close_timeout == 9
        assert ws.max_size == 1234
        assert ws.max_queue == 5
        assert ws.read_limit == 4096
        assert ws.write_limit == 8192
        assert ws.transport.get_write_buffer_limits()[1] == 8192
        assert ws.host == "127.0.0.1"
        assert ws.port == port_of(server)
        assert ws.secure is False


async def test_max_size_on_client() -> None:
    server_codes: List[Optional[int]] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        await ws.send("x" * 11)
        await ws.wait_closed()
        server_codes.append(ws.close_code)

    async with serving(handler, compression=None) as server:
        async with connect(uri_of(server), max_size=10) as ws:
            with pytest.raises(ConnectionClosedError):
                await within(ws.recv())
        server.close()
        await within(server.wait_closed())
    # The client failed the connection with 1009 "message too big".
    assert server_codes == [1009]


async def test_ping_interval_and_timeout_on_client() -> None:
    async with (
        serving() as server,
        connect(uri_of(server), ping_interval=0.02, ping_timeout=1) as ws,
    ):
        # The server answers the keepalive pings: the connection stays
        # open while messages go through.
        for _ in range(3):
            await ws.send("x")
            assert await within(ws.recv()) == "x"
            pong_waiter = await ws.ping()
            await within(pong_waiter)
        assert ws.open


async def test_compression_deflate_is_the_default() -> None:
    recorder = RequestRecorder()
    async with serving(recorder) as server, connect(uri_of(server)) as ws:
        [extension] = ws.extensions
        assert isinstance(extension, PerMessageDeflate)
        await ws.send("compressible " * 100)
        assert await within(ws.recv()) == "compressible " * 100
    offer = recorder.headers["Sec-WebSocket-Extensions"]
    assert offer.startswith("permessage-deflate")


async def test_compression_none() -> None:
    recorder = RequestRecorder()
    async with (
        serving(recorder) as server,
        connect(uri_of(server), compression=None) as ws,
    ):
        assert ws.extensions == []
        assert "Sec-WebSocket-Extensions" not in ws.response_headers
    assert "Sec-WebSocket-Extensions" not in recorder.headers


def test_compression_unsupported() -> None:
    with pytest.raises(ValueError, match="unsupported compression: br"):
        connect("ws://localhost/", compression="br")


async def test_compression_keeps_configured_permessage_deflate() -> None:
    recorder = RequestRecorder()
    factory = ClientPerMessageDeflateFactory(client_no_context_takeover=True)
    async with (
        serving(recorder) as server,
        connect(uri_of(server), extensions=[factory]) as ws,
    ):
        assert (
            "client_no_context_takeover"
            in ws.response_headers["Sec-WebSocket-Extensions"]
        )
    offer = recorder.headers["Sec-WebSocket-Extensions"]
    assert offer.count("permessage-deflate") == 1
    assert "client_no_context_takeover" in offer


async def test_origin() -> None:
    recorder = RequestRecorder()
    async with (
        serving(recorder, origins=["https://a.example"]) as server,
        connect(uri_of(server), origin="https://a.example") as ws,
    ):
        assert ws.origin == "https://a.example"  # type: ignore[attr-defined]
    assert recorder.headers["Origin"] == "https://a.example"


async def test_extensions() -> None:
    async with (
        serving(extensions=[ServerNoOpFactory()], compression=None) as server,
        connect(
            uri_of(server),
            extensions=[ClientNoOpFactory([("a", "1")])],
            compression=None,
        ) as ws,
    ):
        [extension] = ws.extensions
        assert isinstance(extension, NoOpExtension)
        assert extension.params == [("a", "1")]
        await ws.send("through the extension")
        assert await within(ws.recv()) == "through the extension"


async def test_subprotocols() -> None:
    recorder = RequestRecorder()
    async with serving(recorder, subprotocols=["v2", "v1"]) as server:
        async with connect(uri_of(server), subprotocols=["v1", "v2"]) as ws:
            # The server picks: equal weight, ties to the server.
            assert ws.subprotocol == "v2"
        async with connect(uri_of(server), subprotocols=["v0"]) as ws:
            assert ws.subprotocol is None
    assert recorder.requests[0][1]["Sec-WebSocket-Protocol"] == "v1, v2"


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
    recorder = RequestRecorder()
    async with (
        serving(recorder) as server,
        connect(uri_of(server), extra_headers=extra_headers),
    ):
        pass
    assert recorder.headers.get_all("X-Extra") == expected


async def test_extra_headers_override_user_agent() -> None:
    recorder = RequestRecorder()
    async with (
        serving(recorder) as server,
        connect(uri_of(server), extra_headers={"User-Agent": "test/1"}),
    ):
        pass
    assert recorder.headers.get_all("User-Agent") == ["test/1"]


async def test_host_and_port_override_destination_not_host_header() -> None:
    recorder = RequestRecorder()
    async with serving(recorder) as server:
        port = port_of(server)
        async with connect(
            "ws://example.invalid:1234/over", host="127.0.0.1", port=port
        ) as ws:
            assert ws.remote_address[1] == port
        assert recorder.headers["Host"] == "example.invalid:1234"
        # The default port isn't repeated in the Host header.
        async with connect("ws://example.invalid/", host="127.0.0.1", port=port):
            pass
        assert recorder.headers["Host"] == "example.invalid"
        # host alone or port alone.
        async with connect(f"ws://example.invalid:{port}/", host="127.0.0.1"):
            pass
        assert recorder.headers["Host"] == f"example.invalid:{port}"
        async with connect("ws://127.0.0.1:1/", port=port):
            pass
        assert recorder.headers["Host"] == "127.0.0.1:1"


@pytest.mark.skipif(not ipv6_available(), reason="IPv6 unavailable")
async def test_ipv6_host_header() -> None:
    recorder = RequestRecorder()
    async with serving(recorder, host="::1") as server:
        port = port_of(server)
        async with connect(uri_of(server, host="::1")):
            pass
    assert recorder.headers["Host"] == f"[::1]:{port}"


async def test_sock() -> None:
    async with serving() as server:
        sock = socket.create_connection(("127.0.0.1", port_of(server)))
        async with connect("ws://example.invalid/", sock=sock) as ws:
            await ws.send("over a given socket")
            assert await within(ws.recv()) == "over a given socket"


def test_ssl_with_ws_uri() -> None:
    with pytest.raises(ValueError, match="use a wss:// URI"):
        connect("ws://localhost/", ssl=ssl.create_default_context())


async def test_wss(
    server_ssl_context: ssl.SSLContext, client_ssl_context: ssl.SSLContext
) -> None:
    recorder = RequestRecorder()
    async with serving(recorder, ssl=server_ssl_context) as server:
        port = port_of(server)
        async with connect(f"wss://localhost:{port}/", ssl=client_ssl_context) as ws:
            assert ws.secure is True
            assert ws.transport.get_extra_info("sslcontext") is client_ssl_context
            await ws.send("secret")
            assert await within(ws.recv()) == "secret"
        # host/port override the TCP destination; the TLS server name (and
        # the certificate check) still use the URI's host.
        async with connect(
            "wss://localhost/", host="127.0.0.1", port=port, ssl=client_ssl_context
        ) as ws:
            assert ws.transport.get_extra_info("peercert") is not None
        assert recorder.headers["Host"] == "localhost"
        # Without ssl=, wss:// uses the default context, which doesn't trust
        # the self-signed certificate.
        with pytest.raises(ssl.SSLCertVerificationError):
            await connect(f"wss://localhost:{port}/")


async def test_user_info_sends_basic_credentials() -> None:
    recorder = RequestRecorder()
    async with serving(recorder) as server:
        port = port_of(server)
        async with connect(f"ws://user:pass@127.0.0.1:{port}/"):
            pass
        assert recorder.headers["Authorization"] == "Basic dXNlcjpwYXNz"
        assert recorder.headers["Host"] == f"127.0.0.1:{port}"
        # Percent-encoded user info is decoded first.
        async with connect(f"ws://us%20er:p%40s:s@127.0.0.1:{port}/"):
            pass
        assert recorder.headers["Authorization"] == build_authorization_basic(
            "us er", "p@s:s"
        )


def test_user_info_with_colon_in_username() -> None:
    # RFC 7617: a user-id containing a colon can't be sent.
    with pytest.raises(InvalidURI, match="username cannot contain a colon"):
        connect("ws://us%3Aer:pass@localhost/")


async def test_open_timeout() -> None:
    release = asyncio.Event()

    async def silent(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await release.wait()
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(InvalidMessage, match="timed out during the opening"):
            await connect(f"ws://127.0.0.1:{port}/", open_timeout=0.1)
    finally:
        release.set()
        server.close()
        await server.wait_closed()


async def test_open_timeout_none() -> None:
    async with serving() as server, connect(uri_of(server), open_timeout=None) as ws:
        await ws.send("x")
        assert await within(ws.recv()) == "x"


async def test_connection_refused() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(OSError):
        await connect(f"ws://127.0.0.1:{port}/")


async def test_debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="websockets"):
        async with serving() as server, connect(uri_of(server, "/debug")):
            pass
    messages = [r.getMessage() for r in caplog.records if r.name == "websockets.client"]
    assert "client > GET /debug HTTP/1.1" in messages
    assert "client < HTTP/1.1 101 Switching Protocols" in messages


@pytest.mark.parametrize(
    "uri",
    ["http://localhost/", "ws://", "wss://localhost:port/", "localhost", ""],
)
def test_invalid_uri(uri: str) -> None:
    with pytest.raises(InvalidURI):
        connect(uri)


# A raw server answering with bad responses


def status_response(status: int, extra: str = "") -> bytes:
    phrase = http.HTTPStatus(status).phrase
    return f"HTTP/1.1 {status} {phrase}\r\nContent-Length: 0\r\n{extra}\r\n".encode()


async def connect_to_canned(respond: Any, **kwargs: Any) -> Any:
    async with canned_server(respond) as (port, _):
        return await within(connect(f"ws://127.0.0.1:{port}/", **kwargs))


@pytest.mark.parametrize("status", [200, 400, 403, 404, 426, 500, 503])
async def test_non_101_status(status: int) -> None:
    with pytest.raises(InvalidStatusCode) as exc_info:
        await connect_to_canned(lambda path, headers: status_response(status))
    assert exc_info.value.status_code == status
    assert f"HTTP {status}" in str(exc_info.value)


def without(response: bytes, header: bytes) -> bytes:
    return b"".join(
        line
        for line in response.splitlines(keepends=True)
        if not line.startswith(header + b":")
    )


BAD_RESPONSES = [
    pytest.param(
        lambda path, headers: without(response_101(headers), b"Sec-WebSocket-Accept"),
        InvalidHeader,
        "missing Sec-WebSocket-Accept header",
        id="missing accept",
    ),
    pytest.param(
        lambda path, headers: response_101(
            Headers({"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
        ),
        InvalidHeaderValue,
        "invalid Sec-WebSocket-Accept header",
        id="wrong accept",
    ),
    pytest.param(
        lambda path, headers: response_101(
            headers, f"Sec-WebSocket-Accept: {'x' * 28}\r\n"
        ),
        InvalidHeader,
        "more than one Sec-WebSocket-Accept header",
        id="duplicate accept",
    ),
    pytest.param(
        lambda path, headers: without(response_101(headers), b"Upgrade"),
        InvalidUpgrade,
        "missing Upgrade header",
        id="missing Upgrade",
    ),
    pytest.param(
        lambda path, headers: without(response_101(headers), b"Connection"),
        InvalidUpgrade,
        "missing Connection header",
        id="missing Connection",
    ),
    pytest.param(
        lambda path, headers: b"HTTP/1.1 1O1 Switching Protocols\r\n\r\n",
        InvalidMessage,
        "did not receive a valid HTTP response",
        id="malformed status line",
    ),
    pytest.param(
        lambda path, headers: b"HTTP/1.0 101 Switching Protocols\r\n\r\n",
        InvalidMessage,
        "did not receive a valid HTTP response",
        id="HTTP/1.0",
    ),
    pytest.param(
        lambda path, headers: b"HTTP/1.1 101 Switching Protocols\r\nBad Header\r\n\r\n",
        InvalidMessage,
        "did not receive a valid HTTP response",
        id="malformed header",
    ),
    pytest.param(
        lambda path, headers: b"\x00\xffgarbage\r\n\r\n",
        InvalidMessage,
        "did not receive a valid HTTP response",
        id="garbage",
    ),
    pytest.param(
        lambda path, headers: None,
        InvalidMessage,
        "did not receive a valid HTTP response",
        id="no answer",
    ),
    pytest.param(
        lambda path, headers: b"HTTP/1.1 101 Switching",
        InvalidMessage,
        "did not receive a valid HTTP response",
        id="incomplete",
    ),
    pytest.param(
        lambda path, headers: response_101(
            headers, "Sec-WebSocket-Extensions: x-unknown\r\n"
        ),
        NegotiationError,
        "Unsupported extension: name = x-unknown",
        id="unknown extension",
    ),
    pytest.param(
        lambda path, headers: response_101(
            headers, "Sec-WebSocket-Extensions: permessage-deflate; bogus=1\r\n"
        ),
        NegotiationError,
        "Unsupported extension: name = permessage-deflate",
        id="bad extension parameters",
    ),
    pytest.param(
        lambda path, headers: response_101(
            headers, "Sec-WebSocket-Extensions: x;;\r\n"
        ),
        InvalidHeader,
        "invalid Sec-WebSocket-Extensions header",
        id="malformed extension header",
    ),
    pytest.param(
        lambda path, headers: response_101(headers, "Sec-WebSocket-Protocol: v9\r\n"),
        InvalidHandshake,
        "no subprotocols supported",
        id="subprotocol without offer",
    ),
]


@pytest.mark.parametrize("respond, exc_type, message", BAD_RESPONSES)
async def test_bad_response(respond: Any, exc_type: type, message: str) -> None:
    with pytest.raises(exc_type) as exc_info:
        await connect_to_canned(respond)
    text = str(exc_info.value)
    if exc_info.value.__cause__ is not None:
        text += f": {exc_info.value.__cause__}"
    assert message in text


async def test_extension_without_offer() -> None:
    def respond(path: str, headers: Headers) -> bytes:
        return response_101(headers, "Sec-WebSocket-Extensions: permessage-deflate\r\n")

    with pytest.raises(InvalidHandshake, match="no extensions supported"):
        await connect_to_canned(respond, compression=None)


async def test_extension_refused_by_factory() -> None:
    def respond(path: str, headers: Headers) -> bytes:
        return response_101(headers, "Sec-WebSocket-Extensions: x-noop; reject\r\n")

    with pytest.raises(NegotiationError, match="Unsupported extension: name = x-noop"):
        await connect_to_canned(respond, extensions=[ClientNoOpFactory()])


async def test_extensions_in_several_headers() -> None:
    def respond(path: str, headers: Headers) -> bytes:
        return response_101(
            headers,
            "Sec-WebSocket-Extensions: x-noop; a\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate\r\n",
        )

    ws = await connect_to_canned(respond, extensions=[ClientNoOpFactory()])
    try:
        assert [type(e) for e in ws.extensions] == [NoOpExtension, PerMessageDeflate]
    finally:
        await ws.close()


async def test_subprotocol_not_offered() -> None:
    def respond(path: str, headers: Headers) -> bytes:
        assert headers["Sec-WebSocket-Protocol"] == "v1, v2"
        return response_101(headers, "Sec-WebSocket-Protocol: v3\r\n")

    with pytest.raises(NegotiationError, match="unsupported subprotocol: v3"):
        await connect_to_canned(respond, subprotocols=["v1", "v2"])


async def test_several_subprotocols_selected() -> None:
    def respond(path: str, headers: Headers) -> bytes:
        return response_101(
            headers,
            "Sec-WebSocket-Protocol: v1\r\nSec-WebSocket-Protocol: v2\r\n",
        )

    with pytest.raises(InvalidHandshake, match="multiple subprotocols: v1, v2"):
        await connect_to_canned(respond, subprotocols=["v1", "v2"])


async def test_frames_right_after_the_handshake_response() -> None:
    # A server may send a message in the same segment as its 101 response.
    def respond(path: str, headers: Headers) -> bytes:
        return response_101(headers) + b"\x81\x05hello"

    ws = await connect_to_canned(respond, compression=None)
    try:
        assert await within(ws.recv()) == "hello"
    finally:
        await ws.close()


# Redirects


def redirecting(location: Optional[str], status: int = 302) -> Any:
    """process_request redirecting /start to ``location``."""

    def process_request(path: str, request_headers: Headers) -> Any:
        if path == "/start":
            headers = [] if location is None else [("Location", location)]
            return http.HTTPStatus(status), headers, b""
        return None

    return process_request


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirect_relative_location(status: int) -> None:
    recorder = RequestRecorder()
    async with (
        serving(recorder, process_request=redirecting("/target", status)) as s,
        connect(uri_of(s, "/start")) as ws,
    ):
        assert ws.path == "/target"
        await ws.send("redirected")
        assert await within(ws.recv()) == "redirected"
    assert [path for path, _ in recorder.requests] == ["/target"]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirect_absolute_location(status: int) -> None:
    recorder = RequestRecorder()
    async with serving(recorder) as target:
        location = uri_of(target, "/elsewhere")
        async with (
            serving(process_request=redirecting(location, status)) as start,
            connect(uri_of(start, "/start")) as ws,
        ):
            assert ws.path == "/elsewhere"
            assert ws.remote_address[1] == port_of(target)
    [(path, headers)] = recorder.requests
    assert path == "/elsewhere"
    assert headers["Host"] == f"127.0.0.1:{ws.remote_address[1]}"


async def test_redirect_with_relative_path_and_query() -> None:
    recorder = RequestRecorder()
    async with (
        serving(recorder, process_request=redirecting("next?x=1")) as s,
        connect(uri_of(s, "/start")) as ws,
    ):
        assert ws.path == "/next?x=1"


async def test_redirect_loop() -> None:
    requests: List[str] = []

    def process_request(path: str, request_headers: Headers) -> Any:
        requests.append(path)
        return http.HTTPStatus.FOUND, [("Location", "/start")], b""

    async with serving(process_request=process_request) as server:
        with pytest.raises(InvalidHandshake, match="maximum redirects exceeded"):
            await connect(uri_of(server, "/start"))
    # The first request and 10 redirects.
    assert len(requests) == 11


async def test_redirect_without_location() -> None:
    async with serving(process_request=redirecting(None)) as server:
        with pytest.raises(InvalidHeader, match="missing Location header"):
            await connect(uri_of(server, "/start"))


async def test_redirect_to_invalid_uri() -> None:
    async with serving(process_request=redirecting("http://127.0.0.1/")) as server:
        with pytest.raises(InvalidURI):
            await connect(uri_of(server, "/start"))


async def test_redirect_from_wss_to_ws_is_refused(
    server_ssl_context: ssl.SSLContext, client_ssl_context: ssl.SSLContext
) -> None:
    async with serving() as plain:
        location = uri_of(plain, "/")
        async with serving(
            ssl=server_ssl_context, process_request=redirecting(location)
        ) as secure:
            port = port_of(secure)
            with pytest.raises(SecurityError, match="redirect from WSS to WS"):
                await connect(f"wss://localhost:{port}/start", ssl=client_ssl_context)


async def test_redirect_from_wss_to_wss(
    server_ssl_context: ssl.SSLContext, client_ssl_context: ssl.SSLContext
) -> None:
    async with serving(ssl=server_ssl_context) as target:
        location = f"wss://localhost:{port_of(target)}/target"
        async with serving(
            ssl=server_ssl_context, process_request=redirecting(location)
        ) as start:
            uri = f"wss://127.0.0.1:{port_of(start)}/start"
            async with connect(uri, ssl=client_ssl_context) as ws:
                assert ws.path == "/target"
                assert ws.secure


async def test_redirect_from_ws_to_wss_on_the_same_port() -> None:
    # ws://host:port redirected to wss://host:port is the same host and port,
    # but the client must switch to TLS.
    first_bytes: List[bytes] = []
    port = 0

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        first = await reader.readexactly(1)
        first_bytes.append(first)
        if first == b"G":
            await reader.readuntil(b"\r\n\r\n")
            location = f"Location: wss://127.0.0.1:{port}/tls\r\n"
            writer.write(status_response(301, location))
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises((ssl.SSLError, OSError)):
            await within(connect(f"ws://127.0.0.1:{port}/start"))
    finally:
        server.close()
        await server.wait_closed()
    # The second connection starts with a TLS handshake record.
    assert first_bytes == [b"G", b"\x16"]


async def test_redirect_cross_origin_drops_host_port_override() -> None:
    recorder = RequestRecorder()
    async with serving(recorder) as target:
        location = uri_of(target, "/target")
        async with (
            serving(process_request=redirecting(location)) as start,
            connect(
                "ws://example.invalid:1/start", host="127.0.0.1", port=port_of(start)
            ) as ws,
        ):
            assert ws.path == "/target"
    [(_, headers)] = recorder.requests
    assert headers["Host"] == location[len("ws://") : -len("/target")]


async def test_redirect_same_origin_keeps_host_port_override() -> None:
    recorder = RequestRecorder()
    async with (
        serving(recorder, process_request=redirecting("/target")) as server,
        connect(
            "ws://example.invalid:1/start", host="127.0.0.1", port=port_of(server)
        ) as ws,
    ):
        assert ws.path == "/target"
    [(_, headers)] = recorder.requests
    assert headers["Host"] == "example.invalid:1"


async def test_redirect_with_sock() -> None:
    # The socket given by the caller is consumed by the first connection:
    # a redirect, even to the same origin, connects to the URI's address.
    recorder = RequestRecorder()
    async with serving(recorder, process_request=redirecting("/target")) as server:
        port = port_of(server)
        sock = socket.create_connection(("127.0.0.1", port))
        async with connect(f"ws://127.0.0.1:{port}/start", sock=sock) as ws:
            assert ws.path == "/target"
    assert [path for path, _ in recorder.requests] == ["/target"]


async def test_redirect_from_unix_socket_to_tcp(tmp_path: Any) -> None:
    recorder = RequestRecorder()
    async with serving(recorder) as target:
        location = uri_of(target, "/tcp")
        path = str(tmp_path / "redirect.sock")
        async with (
            unix_serve_ctx(path, redirecting(location)),
            unix_connect(path, "ws://localhost/start") as ws,
        ):
            assert ws.path == "/tcp"
            assert ws.remote_address[1] == port_of(target)
    assert [p for p, _ in recorder.requests] == ["/tcp"]


async def test_redirect_within_unix_socket(tmp_path: Any) -> None:
    path = str(tmp_path / "redirect.sock")
    async with (
        unix_serve_ctx(path, redirecting("/next")),
        unix_connect(path, "ws://localhost/start") as ws,
    ):
        assert ws.path == "/next"
        await ws.send("over a Unix socket")
        assert await within(ws.recv()) == "over a Unix socket"


def unix_serve_ctx(path: str, process_request: Any) -> Any:
    from websockets.server import unix_serve

    return unix_serve(echo, path, process_request=process_request)


async def test_no_error_logged_for_failed_handshakes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(InvalidStatusCode):
        await connect_to_canned(lambda path, headers: status_response(500))
    assert error_records(caplog.records) == []


async def test_server_closes_right_after_handshake() -> None:
    ws = await connect_to_canned(lambda path, headers: response_101(headers))
    with pytest.raises(Exception) as exc_info:
        await within(ws.recv())
    assert not isinstance(exc_info.value, ConnectionClosedOK)
    assert ws.close_code == 1006


async def test_extra_headers_iterator_survives_redirects() -> None:
    recorder = RequestRecorder()
    pairs = iter([("X-Extra", "1")])
    async with (
        serving(recorder, process_request=redirecting("/target")) as server,
        connect(uri_of(server, "/start"), extra_headers=pairs) as ws,
    ):
        assert ws.path == "/target"
    assert recorder.headers.get_all("X-Extra") == ["1"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"extra_headers": {"X-Split": "a\r\nInjected: 1"}},
        {"extra_headers": [("Bad Name", "1")]},
        {"origin": "https://a.example\r\nInjected: 1"},
    ],
)
async def test_headers_that_cannot_be_sent(kwargs: Any) -> None:
    recorder = RequestRecorder()
    async with serving(recorder) as server:
        with pytest.raises(ValueError, match="invalid HTTP header"):
            await connect(uri_of(server), **kwargs)
    assert recorder.requests == []


@pytest.mark.parametrize("uri", [b"ws://localhost/", None, 42])
def test_uri_of_the_wrong_type(uri: Any) -> None:
    with pytest.raises(TypeError, match="uri must be a str, got"):
        connect(uri)


def test_parsed_uris_are_cached() -> None:
    # Reconnecting clients parse the same URI again and again.
    client._parse_uri_cached.cache_clear()
    first = client._parse_uri("ws://localhost:8765/path")
    assert client._parse_uri("ws://localhost:8765/path") is first
    assert client._parse_uri_cached.cache_info().hits == 1
    # Errors aren't cached: they're raised every time.
    for _ in range(2):
        with pytest.raises(InvalidURI):
            client._parse_uri("http://localhost/")
    assert client._parse_uri_cached.cache_info().currsize == 1
