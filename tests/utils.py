"""Helpers for the loopback tests of the server, the client and Basic Auth.

Everything here talks to real sockets on the loopback interface. Every wait
is bounded by :data:`TIMEOUT` so that a bug shows up as a failure, not as a
hung test run.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import socket
from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    List,
    Optional,
    Sequence,
    Tuple,
)

from websockets.datastructures import Headers
from websockets.exceptions import NegotiationError
from websockets.extensions.base import (
    ClientExtensionFactory,
    Extension,
    ServerExtensionFactory,
)
from websockets.handshake import accept
from websockets.server import WebSocketServer, WebSocketServerProtocol, serve
from websockets.typing import ExtensionName, ExtensionParameter

# Upper bound for any single wait in these tests.
TIMEOUT = 5.0

# The sample nonce of RFC 6455, section 1.3.
KEY = "dGhlIHNhbXBsZSBub25jZQ=="

# Headers that every error response of the server must carry.
ERROR_RESPONSE_HEADERS = ("Date", "Server", "Content-Length", "Content-Type")


async def echo(ws: WebSocketServerProtocol, path: str) -> None:
    """Connection handler sending back every message it receives."""
    async for message in ws:
        await ws.send(message)


def port_of(server: WebSocketServer) -> int:
    """Return the port of the first socket a server listens to."""
    sockets = server.sockets
    assert sockets is not None
    port: int = sockets[0].getsockname()[1]
    return port


def uri_of(server: WebSocketServer, path: str = "/", host: str = "127.0.0.1") -> str:
    """Return a ws:// URI for a server listening on the loopback interface."""
    if ":" in host:
        host = f"[{host}]"
    return f"ws://{host}:{port_of(server)}{path}"


@contextlib.asynccontextmanager
async def serving(
    handler: Callable[[WebSocketServerProtocol, str], Awaitable[Any]] = echo,
    host: str = "127.0.0.1",
    **kwargs: Any,
) -> AsyncIterator[WebSocketServer]:
    """Run a server on an ephemeral loopback port for the duration of a block."""
    async with serve(handler, host, 0, **kwargs) as server:
        yield server


def handshake_request(
    path: str = "/",
    *,
    drop: Tuple[str, ...] = (),
    extra: Optional[List[Tuple[str, str]]] = None,
    method: str = "GET",
    key: str = KEY,
) -> bytes:
    """Build the bytes of an opening handshake request.

    ``drop`` removes default headers by name; ``extra`` appends headers (a
    header present in both the defaults and ``extra`` is thus duplicated).
    """
    headers = [
        ("Host", "localhost"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", "13"),
    ]
    headers = [(name, value) for name, value in headers if name not in drop]
    headers += extra or []
    lines = [f"{method} {path} HTTP/1.1"] + [f"{n}: {v}" for n, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclasses.dataclass
class RawResponse:
    """An HTTP response read from a raw socket."""

    status: int
    reason: str
    headers: Headers
    body: bytes


def parse_response(data: bytes) -> RawResponse:
    """Split the bytes of an HTTP/1.1 response; the body is everything after
    the headers."""
    head, sep, body = data.partition(b"\r\n\r\n")
    assert sep, f"incomplete response: {data!r}"
    status_line, *header_lines = head.decode().split("\r\n")
    version, status, reason = status_line.split(" ", 2)
    assert version == "HTTP/1.1"
    headers = Headers()
    for line in header_lines:
        name, value = line.split(":", 1)
        headers[name] = value.strip()
    return RawResponse(int(status), reason, headers, body)


async def read_until_eof(reader: asyncio.StreamReader) -> bytes:
    """Read until the peer closes the connection, within :data:`TIMEOUT`."""

    async def read_all() -> bytes:
        chunks = []
        while True:
            try:
                chunk = await reader.read(65536)
            except ConnectionResetError:  # pragma: no cover - platform dependent
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)

    return await asyncio.wait_for(read_all(), TIMEOUT)


async def raw_exchange(port: int, data: bytes, host: str = "127.0.0.1") -> bytes:
    """Connect, send ``data``, and read until the server closes the connection.

    Raise :exc:`TimeoutError` if the server doesn't close it in time.
    """
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(data)
        return await read_until_eof(reader)
    finally:
        writer.close()


async def raw_request(port: int, data: bytes) -> RawResponse:
    """Like :func:`raw_exchange`, parsing the answer as an HTTP response."""
    return parse_response(await raw_exchange(port, data))


def check_error_response(
    response: RawResponse, status: int, body_fragment: bytes
) -> None:
    """Check an HTTP error response of the server: status, text/plain body,
    and the headers that every error response carries."""
    assert response.status == status, response
    assert body_fragment in response.body, response.body
    for name in ERROR_RESPONSE_HEADERS:
        assert name in response.headers, f"missing {name}: {response.headers}"
    assert response.headers["Content-Type"] == "text/plain"
    assert response.headers["Connection"] == "close"
    assert int(response.headers["Content-Length"]) == len(response.body)
    # A clear text body: printable and ending with a newline.
    text = response.body.decode()
    assert text.endswith("\n")


def error_records(records: List[logging.LogRecord]) -> List[logging.LogRecord]:
    """Return the log records at ERROR level or above."""
    return [record for record in records if record.levelno >= logging.ERROR]


def response_101(request_headers: Headers, extra: str = "") -> bytes:
    """Build a valid ``101 Switching Protocols`` answer to a request."""
    key = request_headers["Sec-WebSocket-Key"]
    return (
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept(key)}\r\n"
        f"{extra}"
        "\r\n"
    ).encode()


def parse_request(data: bytes) -> Tuple[str, Headers]:
    """Return the path and headers of a request read by a canned server."""
    request_line, *header_lines = data.decode().split("\r\n")
    _, path, _ = request_line.split(" ")
    headers = Headers()
    for line in header_lines:
        if line:
            name, value = line.split(":", 1)
            headers[name] = value.strip()
    return path, headers


# A canned server's answer: the bytes to send before closing the connection,
# or None for closing without answering.
Responder = Callable[[str, Headers], Optional[bytes]]


@contextlib.asynccontextmanager
async def canned_server(respond: Responder) -> AsyncIterator[Tuple[int, List[str]]]:
    """Run a raw TCP server that reads one request per connection, writes the
    bytes returned by ``respond(path, headers)`` and closes the connection.

    Yield its port and the list of request paths it received, in order.
    """
    paths: List[str] = []

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            data = await reader.readuntil(b"\r\n\r\n")
            path, headers = parse_request(data[:-4])
            paths.append(path)
            answer = respond(path, headers)
            if answer is not None:
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):  # pragma: no cover
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], paths
    finally:
        server.close()
        await server.wait_closed()


def ipv6_available() -> bool:
    """Tell whether the loopback interface supports IPv6."""
    if not socket.has_ipv6:  # pragma: no cover
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:  # pragma: no cover
        return False
    return True


async def read_frame(reader: asyncio.StreamReader) -> Tuple[int, bytes]:
    """Read an unmasked frame sent by a server; return its opcode and
    payload."""

    async def read() -> Tuple[int, bytes]:
        head = await reader.readexactly(2)
        opcode = head[0] & 0x0F
        assert not head[1] & 0x80, "a server must not mask frames"
        length = head[1] & 0x7F
        if length == 126:
            length = int.from_bytes(await reader.readexactly(2), "big")
        elif length == 127:  # pragma: no cover - not used with small frames
            length = int.from_bytes(await reader.readexactly(8), "big")
        return opcode, await reader.readexactly(length)

    return await asyncio.wait_for(read(), TIMEOUT)


async def raw_websocket(
    port: int, path: str = "/"
) -> Tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open a WebSocket connection by hand, for tests where the client must
    misbehave (never answer a ping or a close frame)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(handshake_request(path))
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
    assert head.startswith(b"HTTP/1.1 101 "), head
    return reader, writer


class NoOpExtension(Extension):
    """An extension that doesn't change frames, for negotiation tests."""

    name = ExtensionName("x-noop")

    def __init__(self, params: Sequence[ExtensionParameter] = ()) -> None:
        self.params = list(params)

    def decode(self, frame: Any, *, max_size: Optional[int] = None) -> Any:
        return frame

    def encode(self, frame: Any) -> Any:
        return frame


class ServerNoOpFactory(ServerExtensionFactory):
    """Accept offers of ``x-noop``, unless they carry a ``reject``
    parameter."""

    name = ExtensionName("x-noop")

    def process_request_params(
        self,
        params: Sequence[ExtensionParameter],
        accepted_extensions: Sequence[Extension],
    ) -> Tuple[List[ExtensionParameter], Extension]:
        if any(name == "reject" for name, _ in params):
            raise NegotiationError("rejected on request")
        return list(params), NoOpExtension(params)


class ClientNoOpFactory(ClientExtensionFactory):
    """Offer ``x-noop`` with the given parameters; refuse answers carrying a
    ``reject`` parameter."""

    name = ExtensionName("x-noop")

    def __init__(self, params: Sequence[ExtensionParameter] = ()) -> None:
        self.params = list(params)

    def get_request_params(self) -> List[ExtensionParameter]:
        return list(self.params)

    def process_response_params(
        self,
        params: Sequence[ExtensionParameter],
        accepted_extensions: Sequence[Extension],
    ) -> Extension:
        if any(name == "reject" for name, _ in params):
            raise NegotiationError("rejected on request")
        return NoOpExtension(params)
