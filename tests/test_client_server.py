"""The project's server and client talking to each other over IPv4, IPv6, a
Unix socket and TLS, with and without compression."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pathlib
import ssl
from typing import Any, AsyncIterator, Awaitable, Callable, List, Optional

import pytest

from websockets.client import Connect, WebSocketClientProtocol, connect, unix_connect
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.server import WebSocketServerProtocol, serve, unix_serve

from .conftest_server import *  # noqa: F403 - TLS fixtures
from .utils import TIMEOUT, echo, ipv6_available, port_of

MiB = 2**20

Handler = Callable[[WebSocketServerProtocol, str], Awaitable[Any]]
# Connect to the server under test: connector(path, **kwargs).
Connector = Callable[..., Connect]


async def within(aw: Any) -> Any:
    return await asyncio.wait_for(aw, TIMEOUT)


TRANSPORTS = [
    "ipv4",
    pytest.param(
        "ipv6",
        marks=pytest.mark.skipif(not ipv6_available(), reason="IPv6 unavailable"),
    ),
    "unix",
    "tls",
]


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(params=["deflate", None], ids=["deflate", "no-compression"])
def compression(request: pytest.FixtureRequest) -> Optional[str]:
    value: Optional[str] = request.param
    return value


@pytest.fixture
def endpoint(
    transport: str,
    compression: Optional[str],
    tmp_path: pathlib.Path,
    request: pytest.FixtureRequest,
) -> Callable[..., Any]:
    """Return ``start(handler, **server_kwargs)``, an async context manager
    running a server on the transport under test and yielding a connector."""

    @contextlib.asynccontextmanager
    async def start(
        handler: Handler = echo, **server_kwargs: Any
    ) -> AsyncIterator[Connector]:
        server_kwargs.setdefault("compression", compression)
        if transport == "unix":
            path = str(tmp_path / "ws.sock")
            async with unix_serve(handler, path, **server_kwargs):

                def connector(resource: str = "/", **kwargs: Any) -> Connect:
                    kwargs.setdefault("compression", compression)
                    return unix_connect(path, f"ws://localhost{resource}", **kwargs)

                yield connector
            return

        client_kwargs: dict[str, Any] = {}
        if transport == "tls":
            server_ctx = request.getfixturevalue("server_ssl_context")
            client_ctx = request.getfixturevalue("client_ssl_context")
            server_kwargs["ssl"] = server_ctx
            client_kwargs["ssl"] = client_ctx
        host = "::1" if transport == "ipv6" else "127.0.0.1"
        async with serve(handler, host, 0, **server_kwargs) as server:
            port = port_of(server)
            if transport == "tls":
                base = f"wss://localhost:{port}"
            elif transport == "ipv6":
                base = f"ws://[::1]:{port}"
            else:
                base = f"ws://127.0.0.1:{port}"

            def connector(resource: str = "/", **kwargs: Any) -> Connect:
                kwargs.setdefault("compression", compression)
                for key, value in client_kwargs.items():
                    kwargs.setdefault(key, value)
                return connect(base + resource, **kwargs)

            yield connector

    return start


def check_transport(ws: WebSocketClientProtocol, transport: str) -> None:
    """Check that the connection went over the expected transport."""
    sock = ws.transport.get_extra_info("socket")
    family = sock.family.name
    expected = {"ipv4": "AF_INET", "ipv6": "AF_INET6", "unix": "AF_UNIX"}
    assert family == expected.get(transport, "AF_INET")
    tls = ws.transport.get_extra_info("ssl_object") is not None
    assert tls == (transport == "tls")
    assert ws.secure == (transport == "tls")


def check_compression(ws: WebSocketClientProtocol, compression: Optional[str]) -> None:
    if compression == "deflate":
        [extension] = ws.extensions
        assert isinstance(extension, PerMessageDeflate)
    else:
        assert ws.extensions == []


async def test_text_and_binary(
    endpoint: Any, transport: str, compression: Optional[str]
) -> None:
    async with endpoint() as connector, connector() as ws:
        check_transport(ws, transport)
        check_compression(ws, compression)
        for message in ["hello", "", "café ☕ 🚀", b"\x00\x01\xfe\xff", b""]:
            await ws.send(message)
            answer = await within(ws.recv())
            assert type(answer) is type(message)
            assert answer == message
        await ws.send(bytearray(b"bytearray"))
        assert await within(ws.recv()) == b"bytearray"
        await ws.send(memoryview(b"__memoryview__")[2:-2])
        assert await within(ws.recv()) == b"memoryview"


async def test_fragmented_messages(endpoint: Any) -> None:
    received: List[Any] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        received.append(await ws.recv())
        received.append(await ws.recv())
        # Fragmented messages from the server, too.
        await ws.send(["frag", "mented ", "text"])
        await ws.send([b"frag", b"mented ", b"binary"])

        async def fragments() -> AsyncIterator[str]:
            for chunk in ["async ", "frag", "ments"]:
                yield chunk

        await ws.send(fragments())

    async with endpoint(handler) as connector, connector() as ws:
        await ws.send(["a", "b", "c"])
        await ws.send(chunk for chunk in [b"\x00", b"\x01", b"\x02"])
        assert await within(ws.recv()) == "fragmented text"
        assert await within(ws.recv()) == b"fragmented binary"
        assert await within(ws.recv()) == "async fragments"
    assert received == ["abc", b"\x00\x01\x02"]


async def test_one_mebibyte(endpoint: Any, compression: Optional[str]) -> None:
    # Incompressible bytes without compression, compressible text with it:
    # see test_one_mebibyte_incompressible_with_deflate.
    if compression is None:
        message: Any = os.urandom(MiB)
    else:
        message = ("0123456789abcdef" * (MiB // 16))[:MiB]
    async with endpoint() as connector, connector() as ws:
        await ws.send(message)
        assert await within(ws.recv()) == message
        # One byte more exceeds max_size: the server fails the connection
        # with 1009, possibly while the client is still sending.
        big = message + message[:1]
        with pytest.raises(ConnectionClosedError) as exc_info:
            await ws.send(big)
            await within(ws.recv())
        assert exc_info.value.code == 1009


async def test_one_mebibyte_incompressible_with_deflate() -> None:
    # Deflate makes incompressible data a little larger on the wire; max_size
    # applies to the message, not to its compressed form.
    message = os.urandom(MiB)
    async with serve(echo, "127.0.0.1", 0) as server:
        uri = f"ws://127.0.0.1:{port_of(server)}/"
        async with connect(uri) as ws:
            await ws.send(message)
            assert await within(ws.recv()) == message


async def test_ping_pong(endpoint: Any) -> None:
    async with endpoint() as connector, connector() as ws:
        # Ping with a payload; the pong answers it.
        waiter = await ws.ping("hello")
        await within(waiter)
        # Ping with a random payload.
        waiter = await ws.ping()
        await within(waiter)
        # Several pings: the last pong acknowledges all of them.
        waiters = [await ws.ping(bytes([i])) for i in range(3)]
        await within(asyncio.gather(*waiters))
        # Unsolicited pong: ignored by the server.
        await ws.pong(b"heartbeat")
        await ws.send("still open")
        assert await within(ws.recv()) == "still open"


async def test_server_pings_client(endpoint: Any) -> None:
    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        waiter = await ws.ping(b"from server")
        await waiter
        await ws.send("pong received")

    async with endpoint(handler) as connector, connector() as ws:
        assert await within(ws.recv()) == "pong received"


@pytest.mark.parametrize(
    "code, reason, exc_type",
    [
        (1000, "", ConnectionClosedOK),
        (1000, "done", ConnectionClosedOK),
        (1001, "going away", ConnectionClosedOK),
        (1008, "policy violation", ConnectionClosedError),
        (1011, "internal error", ConnectionClosedError),
        (4000, "application code ✓", ConnectionClosedError),
    ],
)
async def test_server_closes(
    endpoint: Any, code: int, reason: str, exc_type: type
) -> None:
    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        await ws.close(code, reason)
        handler_state.append((ws.close_code, ws.close_reason))

    handler_state: List[Any] = []
    async with endpoint(handler) as connector, connector() as ws:
        with pytest.raises(exc_type) as exc_info:
            await within(ws.recv())
        assert exc_info.value.code == code  # type: ignore[attr-defined]
        assert exc_info.value.reason == reason  # type: ignore[attr-defined]
        await within(ws.wait_closed())
        assert (ws.close_code, ws.close_reason) == (code, reason)
    assert handler_state == [(code, reason)]


@pytest.mark.parametrize(
    "code, reason, exc_type",
    [
        (1000, "", ConnectionClosedOK),
        (1001, "bye", ConnectionClosedOK),
        (1003, "unsupported data", ConnectionClosedError),
        (3000, "registered", ConnectionClosedError),
        (4999, "private ✓", ConnectionClosedError),
    ],
)
async def test_client_closes(
    endpoint: Any, code: int, reason: str, exc_type: type
) -> None:
    seen: List[Any] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        try:
            await ws.recv()
        except Exception as exc:
            seen.append(exc)

    async with endpoint(handler) as connector, connector() as ws:
        await ws.close(code, reason)
        assert (ws.close_code, ws.close_reason) == (code, reason)
    [exc] = seen
    assert type(exc) is exc_type
    assert (exc.code, exc.reason) == (code, reason)


async def test_close_without_code(endpoint: Any) -> None:
    # A close frame without a payload gives code 1005 on the other side.
    seen: List[Any] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        await ws.wait_closed()
        seen.append((ws.close_code, ws.close_reason))

    async with endpoint(handler) as connector, connector() as ws:
        # Write a close frame without a payload by hand.
        ws._write_frame(True, 0x8, b"")
        await within(ws.wait_closed())
        assert ws.close_code == 1005
    assert seen == [(1005, "")]


async def test_many_messages_both_ways(endpoint: Any) -> None:
    async with endpoint() as connector, connector() as ws:

        async def sender() -> None:
            for i in range(200):
                await ws.send(f"message {i}")

        task = asyncio.ensure_future(sender())
        for i in range(200):
            assert await within(ws.recv()) == f"message {i}"
        await within(task)


async def test_several_clients(endpoint: Any) -> None:
    async with endpoint() as connector:

        async def client(i: int) -> None:
            async with connector(f"/{i}") as ws:
                await ws.send(str(i))
                assert await within(ws.recv()) == str(i)

        await within(asyncio.gather(*(client(i) for i in range(5))))


async def test_async_iteration(endpoint: Any) -> None:
    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        for i in range(3):
            await ws.send(str(i))

    async with endpoint(handler) as connector, connector() as ws:
        messages = [message async for message in ws]
    assert messages == ["0", "1", "2"]


async def test_addresses(endpoint: Any, transport: str) -> None:
    addresses: List[Any] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        await ws.recv()
        addresses.append((ws.local_address, ws.remote_address))

    async with endpoint(handler) as connector, connector() as ws:
        local, remote = ws.local_address, ws.remote_address
        await ws.send("addresses recorded")
        await within(ws.wait_closed())
    [(server_local, server_remote)] = addresses
    if transport == "unix":
        assert server_local == remote
    else:
        assert (server_local[:2], server_remote[:2]) == (remote[:2], local[:2])


async def test_tls_server_with_plain_client(server_ssl_context: ssl.SSLContext) -> None:
    # A plain HTTP client talking to a TLS server fails quickly.
    async with serve(echo, "127.0.0.1", 0, ssl=server_ssl_context) as server:
        with pytest.raises(Exception) as exc_info:
            await within(connect(f"ws://127.0.0.1:{port_of(server)}/"))
    assert not isinstance(exc_info.value, asyncio.TimeoutError)
