"""connect() through fake HTTP proxies on loopback that misbehave: answers
cut short, garbage, floods, silence, bytes sent right after the answer."""

from __future__ import annotations

import asyncio
import contextlib
import http
import ssl
from collections.abc import AsyncIterator
from typing import Any, Awaitable, Callable, List

import pytest

from websockets import connect, proxy_tunnel
from websockets.datastructures import Headers
from websockets.exceptions import (
    InvalidMessage,
    InvalidProxyMessage,
    InvalidProxyStatus,
    ProxyError,
    SecurityError,
)
from websockets.framing import OP_CLOSE, OP_TEXT, Frame
from websockets.handshake import accept
from websockets.http import USER_AGENT

from .conftest_server import *  # noqa: F403 - TLS fixtures
from .utils import parse_request, port_of, serving

Handler = Callable[[bytes, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def fake_proxy(handler: Handler) -> AsyncIterator[tuple[str, List[bytes]]]:
    """Run a fake HTTP proxy: it reads a request up to the empty line, then
    ``handler(request, reader, writer)`` answers.

    Yield its URL and the requests it received. The test fails if a
    connection is still open when the block exits.
    """
    requests: List[bytes] = []
    open_connections: List[asyncio.StreamWriter] = []

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        open_connections.append(writer)
        try:
            request = await reader.readuntil(b"\r\n\r\n")
            requests.append(request)
            await handler(request, reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            open_connections.remove(writer)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", requests
    finally:
        server.close()
        await server.wait_closed()


def answer(data: bytes) -> Handler:
    """Handler writing ``data`` and closing the connection."""

    async def handler(
        request: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writer.write(data)
        await writer.drain()

    return handler


def relay_with(head: bytes) -> Handler:
    """Handler opening the tunnel for real, like a proxy, with ``head`` as
    its answer."""

    async def handler(
        request: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        target = request.split(b" ")[1].decode()
        host, _, port = target.rpartition(":")
        up_reader, up_writer = await asyncio.open_connection(
            host.strip("[]"), int(port)
        )
        writer.write(head)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            finally:
                dst.close()

        await asyncio.gather(
            pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True
        )

    return handler


relay = relay_with(b"HTTP/1.1 200 Connection established\r\n\r\n")


async def test_connect_request() -> None:
    async with serving() as server, fake_proxy(relay) as (url, requests):
        port = port_of(server)
        proxy = url.replace("http://", "http://al%40ice:p%3Ass@")
        async with connect(
            f"ws://localhost:{port}/",
            proxy=proxy,
            proxy_headers={"X-Trace": "42"},
        ) as ws:
            await ws.send("hello")
            assert await ws.recv() == "hello"
        # The same headers go with each CONNECT, e.g. after a redirect.
    _, headers = parse_request(requests[0][:-4])
    assert requests[0].startswith(f"CONNECT localhost:{port} HTTP/1.1\r\n".encode())
    assert headers["Host"] == f"localhost:{port}"
    # base64 of al@ice:p:ss
    assert headers["Proxy-Authorization"] == "Basic YWxAaWNlOnA6c3M="
    assert headers["X-Trace"] == "42"
    assert headers["User-Agent"] == USER_AGENT


async def test_redirect_through_proxy() -> None:
    async with serving() as target, fake_proxy(relay) as (url, requests):
        location = f"ws://localhost:{port_of(target)}/target"

        def redirect(path: str, headers: Headers) -> Any:
            return http.HTTPStatus.FOUND, [("Location", location)], b""

        async with serving(process_request=redirect) as origin:
            origin_port, target_port = port_of(origin), port_of(target)
            uri = f"ws://127.0.0.1:{origin_port}/start"
            async with connect(uri, proxy=url, proxy_headers={"X-Trace": "42"}) as ws:
                assert ws.path == "/target"
    # Both connections went through the proxy, with the same headers.
    assert [request.split(b"\r\n")[0] for request in requests] == [
        f"CONNECT 127.0.0.1:{origin_port} HTTP/1.1".encode(),
        f"CONNECT localhost:{target_port} HTTP/1.1".encode(),
    ]
    assert all(b"\r\nX-Trace: 42\r\n" in request for request in requests)


async def test_bytes_after_the_answer_reach_the_handshake() -> None:
    # The proxy sends the start of the server's response in the same write
    # as its 200: those bytes must not be lost.
    start = (
        b"HTTP/1.1 200 Connection established\r\n\r\n"
        b"HTTP/1.1 101 Switching Protocols\r\n"
        b"Upgrade: websocket\r\n"
    )

    async def handler(
        request: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writer.write(start)
        handshake = await reader.readuntil(b"\r\n\r\n")
        _, headers = parse_request(handshake[:-4])
        key = headers["Sec-WebSocket-Key"]
        rest = f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept(key)}\r\n\r\n"
        writer.write(rest.encode())
        # Then a message and a close frame from the "server".
        writer.write(Frame(True, OP_TEXT, b"from the server").serialize(mask=False))
        writer.write(Frame(True, OP_CLOSE, b"\x03\xe8").serialize(mask=False))
        # The client's close frame, masked: 2 + 4 + 2 bytes.
        await reader.readexactly(8)

    async with (
        fake_proxy(handler) as (url, _),
        connect("ws://example.com/", proxy=url, compression=None) as ws,
    ):
        assert await ws.recv() == "from the server"


async def test_bytes_after_the_answer_and_eof() -> None:
    # The proxy answers, sends a few bytes and closes the tunnel at once.
    async with fake_proxy(answer(b"HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 1")) as (url, _):
        with pytest.raises(InvalidMessage) as raised:
            await connect("ws://example.com/", proxy=url)
    assert isinstance(raised.value.__cause__, EOFError)


async def test_proxy_data_before_tls(client_ssl_context: ssl.SSLContext) -> None:
    async with fake_proxy(answer(b"HTTP/1.1 200 OK\r\n\r\n\x16\x03")) as (url, _):
        with pytest.raises(InvalidProxyMessage, match="before the TLS handshake"):
            await connect("wss://example.com/", proxy=url, ssl=client_ssl_context)


async def test_proxy_accepts_with_any_2xx() -> None:
    # RFC 9110, section 9.3.6: any 2xx means the tunnel is open; headers
    # like Content-Length don't announce a body.
    head = b"HTTP/1.1 299 Whatever\r\nContent-Length: 10\r\n\r\n"
    async with serving() as server, fake_proxy(relay_with(head)) as (url, _):
        uri = f"ws://127.0.0.1:{port_of(server)}/"
        async with connect(uri, proxy=url) as ws:
            await ws.send("hello")
            assert await ws.recv() == "hello"


@pytest.mark.parametrize(
    ("data", "cause"),
    [
        (b"", EOFError),
        (b"HTTP/1.1 200 Conn", EOFError),
        (b"HTTP/1.1 200 OK\r\nServer: x\r\n", EOFError),
        (b"SSH-2.0-OpenSSH_9.2\r\n", ValueError),
        (b"HTTP/2 200\r\n\r\n", ValueError),
        (b"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", ValueError),
        (b"HTTP/1.1 200 OK\r\n" + b"X-Flood: 1\r\n" * 300 + b"\r\n", SecurityError),
        (b"HTTP/1.1 200 " + b"x" * 100_000, SecurityError),
    ],
)
async def test_invalid_proxy_answer(data: bytes, cause: type[Exception]) -> None:
    async with fake_proxy(answer(data)) as (url, _):
        with pytest.raises(InvalidProxyMessage) as raised:
            await connect("ws://example.com/", proxy=url)
    assert str(raised.value) == "did not receive a valid HTTP response from proxy"
    assert isinstance(raised.value.__cause__, cause)


async def test_proxy_refuses() -> None:
    data = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 3\r\n\r\nbad"
    async with fake_proxy(answer(data)) as (url, _):
        with pytest.raises(InvalidProxyStatus) as raised:
            await connect("ws://example.com/", proxy=url)
    assert raised.value.status_code == 502
    assert raised.value.headers["Content-Length"] == "3"


async def test_silent_proxy_and_open_timeout() -> None:
    closed = asyncio.Event()

    async def handler(
        request: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.read()
        closed.set()

    async with fake_proxy(handler) as (url, _):
        with pytest.raises(InvalidMessage, match="timed out"):
            await connect("ws://example.com/", proxy=url, open_timeout=0.2)
        # The client closed its connection to the proxy.
        await asyncio.wait_for(closed.wait(), 5)


async def test_tls_timeout_inside_the_tunnel(
    client_ssl_context: ssl.SSLContext,
) -> None:
    # The proxy opens the tunnel, and then nothing answers the TLS hello.
    closed = asyncio.Event()

    async def handler(
        request: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\n\r\n")
        await reader.read()
        closed.set()

    async with fake_proxy(handler) as (url, _):
        with pytest.raises(InvalidMessage, match="timed out"):
            await connect(
                "wss://example.com/",
                proxy=url,
                ssl=client_ssl_context,
                open_timeout=0.3,
            )
        await asyncio.wait_for(closed.wait(), 5)


async def test_proxy_not_running() -> None:
    async with fake_proxy(answer(b"")) as (url, _):
        pass
    with pytest.raises(OSError):
        await connect("ws://example.com/", proxy=url)


async def test_tls_in_tls_unsupported(
    monkeypatch: pytest.MonkeyPatch, client_ssl_context: ssl.SSLContext
) -> None:
    # What Python 3.9 and 3.10 do: fail clearly before connecting.
    monkeypatch.setattr(proxy_tunnel, "TLS_IN_TLS", False)
    with pytest.raises(ProxyError, match=r"needs TLS in TLS.*Python 3\.11"):
        await connect(
            "wss://example.com/",
            proxy="https://127.0.0.1:1",
            ssl=client_ssl_context,
        )
