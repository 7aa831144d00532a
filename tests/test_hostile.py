"""Hostile peers: raw sockets on loopback that flood, stall, pipeline,
fragment absurdly and never read, against a real server or client.

Each test checks, after every ``data_received()`` of the connection under
test, that the bytes it holds (transport write buffer, handshake buffer,
frame parser buffer, queued messages, fragments) stay under the bound
documented in docs/security.rst, and that the connection ends with the
documented close code or HTTP status. Peers are driven by counts of bytes and
by events (the transport stops reading, a message arrives), never by timers.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import itertools
import socket
import sys
from typing import Any, Callable, Iterator, List, Optional, Tuple, Union

import pytest

from websockets.auth import BasicAuthWebSocketServerProtocol
from websockets.client import WebSocketClientProtocol, connect
from websockets.exceptions import ConnectionClosed
from websockets.framing import OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG
from websockets.http import MAX_HEADERS, MAX_LINE
from websockets.protocol import State, WebSocketCommonProtocol
from websockets.server import WebSocketServerProtocol, serve
from websockets.state import _PAUSE_QUEUE, _PAUSE_WRITE

from .utils import TIMEOUT

# The bound of docs/security.rst. asyncio's selector transports read at most
# this many bytes at once.
READ_CHUNK = 2**18
# Per queued message: the header of a str or bytes object.
MESSAGE_OVERHEAD = 100
# Control frames: a pong or a close frame, header included, masked or not.
CONTROL_FRAME = 2 + 4 + 125
CONSTANT = 2**16

LIMITS = dict(max_size=1000, max_queue=4, read_limit=4096, write_limit=4096)


def transfer_bound(p: WebSocketCommonProtocol) -> int:
    max_size, max_queue = p.max_size, p.max_queue
    assert max_size is not None and max_queue is not None
    return (
        max_queue * (4 * max_size + MESSAGE_OVERHEAD)
        + 5 * max_size
        + 2 * READ_CHUNK
        + p.write_limit
        + p.read_limit
        + CONSTANT
    )


def handshake_bound(p: WebSocketCommonProtocol) -> int:
    return (
        p.read_limit
        + READ_CHUNK
        + 2 * MAX_HEADERS * MAX_LINE
        + p.write_limit
        + CONSTANT
    )


def held(p: WebSocketCommonProtocol) -> int:
    """Bytes that the connection holds because of what the peer sent."""
    total = p.reader.buffered() + sum(sys.getsizeof(m) for m in p.messages)
    try:
        total += p.transport.get_write_buffer_size()
    except AttributeError:  # pragma: no cover
        pass
    if p._parser is not None:
        total += p._parser.buffered()
    if p._assembler is not None:
        total += p._assembler.buffered()
    return total


class Watched:
    """Mixin: record the peak of held() after every data_received() and
    shrink the socket's buffers so that floods fill them quickly."""

    instances: List[Any] = []
    peak: int
    peak_write_buffer: int

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.peak = 0
        self.peak_write_buffer = 0
        Watched.instances.append(self)
        super().connection_made(transport)  # type: ignore[misc]

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # type: ignore[misc]
        protocol: Any = self
        self.peak = max(self.peak, held(protocol))
        self.peak_write_buffer = max(
            self.peak_write_buffer, protocol.transport.get_write_buffer_size()
        )


class WatchedServer(Watched, WebSocketServerProtocol):
    pass


class WatchedClient(Watched, WebSocketClientProtocol):
    pass


class WatchedBasicAuth(Watched, BasicAuthWebSocketServerProtocol):
    pass


@pytest.fixture(autouse=True)
def _reset_instances() -> Iterator[None]:
    Watched.instances = []
    yield
    Watched.instances = []


def frame(
    opcode: int, payload: bytes = b"", fin: bool = True, masked: bool = True
) -> bytes:
    """Serialize a frame by hand; a zero masking key leaves data unchanged."""
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    mask = 0x80 if masked else 0
    if n < 126:
        header = bytes([b0, mask | n])
    else:
        header = bytes([b0, mask | 126]) + n.to_bytes(2, "big")
    return header + (b"\x00" * 4 if masked else b"") + payload


def request(port: int, extra: str = "") -> bytes:
    return (
        f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        f"Sec-WebSocket-Version: 13\r\n{extra}\r\n"
    ).encode()


Chunk = Union[bytes, Callable[[], bytes]]


class RawPeer:
    """A non-blocking socket with small buffers, driven from the event loop."""

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self.sock = sock
        self.loop = asyncio.get_running_loop()
        self.received = bytearray()
        self.sent = 0
        # Unsent end of the last chunk: frames are never cut.
        self._rest = b""

    @classmethod
    async def connect(cls, port: int) -> RawPeer:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        return cls(sock)

    def _push(self, chunk: Chunk) -> None:
        # Raise BlockingIOError when the network is full.
        if not self._rest:
            self._rest = chunk() if callable(chunk) else chunk
        n = self.sock.send(self._rest)
        self.sent += n
        self._rest = self._rest[n:]

    async def send(self, data: bytes) -> None:
        rest, self._rest = self._rest, b""
        await asyncio.wait_for(self.loop.sock_sendall(self.sock, rest + data), TIMEOUT)
        self.sent += len(rest) + len(data)

    async def flood(self, chunk: Chunk, until: Callable[[], bool]) -> None:
        """Send chunk over and over, as fast as the network takes it, until
        the condition holds."""

        async def run() -> None:
            while not until():
                try:
                    self._push(chunk)
                except BlockingIOError:
                    pass
                # Let the other side run.
                await asyncio.sleep(0)

        await asyncio.wait_for(run(), TIMEOUT)

    def fill(self, chunk: Chunk) -> None:
        """Send chunk over and over until the network is full."""
        while True:
            try:
                self._push(chunk)
            except BlockingIOError:
                return

    async def read_until(self, marker: bytes) -> bytes:
        async def run() -> bytes:
            while marker not in self.received:
                data = await self.loop.sock_recv(self.sock, 65536)
                if not data:
                    raise EOFError
                self.received += data
            end = self.received.index(marker) + len(marker)
            head = bytes(self.received[:end])
            del self.received[:end]
            return head

        result: bytes = await asyncio.wait_for(run(), TIMEOUT)
        return result

    async def read_frames_until_close(self, masked: bool) -> List[Tuple[int, bytes]]:
        """Read frames until a close frame, without waiting for EOF."""

        async def run() -> List[Tuple[int, bytes]]:
            while True:
                frames = parse_frames(bytes(self.received), masked)
                if any(opcode == OP_CLOSE for opcode, _ in frames):
                    return frames
                data = await self.loop.sock_recv(self.sock, 65536)
                if not data:
                    raise EOFError
                self.received += data

        result: List[Tuple[int, bytes]] = await asyncio.wait_for(run(), TIMEOUT)
        return result

    async def read_all(self) -> bytes:
        """Read until the other side closes the connection."""

        async def run() -> None:
            while True:
                try:
                    data = await self.loop.sock_recv(self.sock, 65536)
                except ConnectionResetError:
                    # The other side closed with unread data: what it sent
                    # before was read already.
                    return
                if not data:
                    return
                self.received += data

        await asyncio.wait_for(run(), TIMEOUT)
        return bytes(self.received)

    def close(self) -> None:
        self.sock.close()


def parse_frames(data: bytes, masked: bool = False) -> List[Tuple[int, bytes]]:
    """Parse frames: (opcode, payload)."""
    frames = []
    pos = 0
    while pos + 2 <= len(data):
        opcode = data[pos] & 0x0F
        length = data[pos + 1] & 0x7F
        pos += 2
        if length == 126:
            length = int.from_bytes(data[pos : pos + 2], "big")
            pos += 2
        key = data[pos : pos + 4] if masked else b""
        pos += len(key)
        if pos + length > len(data):
            break
        payload = data[pos : pos + length]
        if masked:
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        frames.append((opcode, payload))
        pos += length
    return frames


def close_code(frames: List[Tuple[int, bytes]]) -> Optional[int]:
    for opcode, payload in frames:
        if opcode == OP_CLOSE:
            return int.from_bytes(payload[:2], "big")
    return None


async def wait_for(condition: Callable[[], bool]) -> None:
    async def run() -> None:
        while not condition():
            await asyncio.sleep(0)

    await asyncio.wait_for(run(), TIMEOUT)


def not_reading(p: Any) -> Callable[[], bool]:
    return lambda: not p.transport.is_reading()


async def start_server(
    handler: Any, create_protocol: Any = WatchedServer, **kwargs: Any
) -> Tuple[Any, int]:
    kwargs = {**LIMITS, "compression": None, "ping_interval": None, **kwargs}
    server = await serve(
        handler, "127.0.0.1", 0, create_protocol=create_protocol, **kwargs
    )
    port = server.sockets[0].getsockname()[1]  # type: ignore[index]
    return server, port


async def open_raw(port: int) -> RawPeer:
    peer = await RawPeer.connect(port)
    await peer.send(request(port))
    head = await peer.read_until(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101")
    return peer


# Server side, data transfer.


async def test_ping_flood_from_a_peer_that_never_reads() -> None:
    # Scenario 1 of issue 11: pongs pile up in the write buffer.
    handler_done = asyncio.Event()

    async def handler(ws: Any, path: str) -> None:
        await ws.wait_closed()
        handler_done.set()

    server, port = await start_server(handler)
    peer = await open_raw(port)
    ws = Watched.instances[0]
    ping = frame(OP_PING, b"p" * 125)
    start = peer.sent
    await peer.flood(ping * 100, until=not_reading(ws))
    # Reading stopped because of the write buffer, with at most one pong
    # above the high-water mark.
    assert ws._paused_writing
    assert ws.transport.get_write_buffer_size() <= ws.write_limit + CONTROL_FRAME
    # The network is full: more pings stay in the kernel's buffers.
    peer.fill(ping)
    await asyncio.sleep(0)
    assert not ws.transport.is_reading()
    assert ws.peak <= transfer_bound(ws)
    assert ws.peak_write_buffer <= ws.write_limit + CONTROL_FRAME

    # Once the peer reads, every ping gets its pong.
    reading = asyncio.ensure_future(peer.read_all())
    close = frame(OP_CLOSE, (1000).to_bytes(2, "big"))
    await peer.send(close)
    pings = (peer.sent - start - len(close)) // len(ping)
    frames = parse_frames(await reading)
    assert [f for f in frames if f[0] == OP_PONG] == [(OP_PONG, b"p" * 125)] * pings
    assert close_code(frames) == 1000
    assert ws.peak <= transfer_bound(ws)
    await asyncio.wait_for(handler_done.wait(), TIMEOUT)
    assert ws.close_code == 1000
    peer.close()
    server.close()
    await server.wait_closed()


async def close_raw(peer: RawPeer, code: int = 1000) -> List[Tuple[int, bytes]]:
    """Read everything the server sends while sending a close frame."""
    reading = asyncio.ensure_future(peer.read_all())
    await peer.send(frame(OP_CLOSE, code.to_bytes(2, "big")))
    data = await reading
    if data.startswith(b"HTTP/"):
        data = data[data.index(b"\r\n\r\n") + 4 :]
    return parse_frames(data)


def numbered(size: int) -> Callable[[], bytes]:
    """Binary frames carrying a sequence number, padded to size bytes."""
    counter = itertools.count()
    return lambda: frame(OP_BINARY, next(counter).to_bytes(8, "big").ljust(size, b"."))


def numbers(messages: List[Any]) -> List[int]:
    return [int.from_bytes(m[:8], "big") for m in messages]


class Receiver:
    """Handler that reads every message once released."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.messages: List[Any] = []
        self.done = asyncio.Event()

    async def __call__(self, ws: Any, path: str) -> None:
        await self.release.wait()
        try:
            async for message in ws:
                self.messages.append(message)
        finally:
            self.done.set()

    async def finished(self) -> None:
        await asyncio.wait_for(self.done.wait(), TIMEOUT)


async def test_slow_reader_and_fast_writer() -> None:
    # The handler doesn't read: the queue fills, reading stops.
    receiver = Receiver()
    server, port = await start_server(receiver)
    peer = await open_raw(port)
    ws = Watched.instances[0]
    chunk = numbered(1000)
    await peer.flood(chunk, until=not_reading(ws))
    assert ws._paused_reading & _PAUSE_QUEUE
    assert len(ws.messages) == ws.max_queue
    peer.fill(chunk)
    await asyncio.sleep(0)
    assert ws.peak <= transfer_bound(ws)
    # Nothing is lost once the handler reads.
    receiver.release.set()
    frames = await close_raw(peer)
    await receiver.finished()
    sent = numbers(receiver.messages)
    assert sent == list(range(len(sent)))
    assert len(sent) * 1008 == peer.sent - len(request(port)) - 8
    assert close_code(frames) == 1000
    assert ws.peak <= transfer_bound(ws)
    peer.close()
    server.close()
    await server.wait_closed()


async def test_many_tiny_frames() -> None:
    receiver = Receiver()
    server, port = await start_server(receiver)
    peer = await open_raw(port)
    ws = Watched.instances[0]
    chunk = frame(OP_BINARY, b"") * 1000
    await peer.flood(chunk, until=not_reading(ws))
    peer.fill(chunk)
    await asyncio.sleep(0)
    assert ws.peak <= transfer_bound(ws)
    receiver.release.set()
    frames = await close_raw(peer)
    await receiver.finished()
    assert len(receiver.messages) * 6 == peer.sent - len(request(port)) - 8
    assert set(receiver.messages) == {b""}
    assert close_code(frames) == 1000
    assert ws.peak <= transfer_bound(ws)
    peer.close()
    server.close()
    await server.wait_closed()


async def test_pings_pongs_and_data_interleaved() -> None:
    # Pongs stuck in the write buffer stop reading; the handler reading the
    # queued messages doesn't resume it: each reason is lifted on its own.
    receiver = Receiver()
    server, port = await start_server(receiver)
    peer = await open_raw(port)
    ws = Watched.instances[0]
    data = numbered(1000)
    pings = frame(OP_PING, b"p" * 125) * 100

    def chunk() -> bytes:
        return data() + pings + frame(OP_PONG, b"unsolicited")

    await peer.flood(chunk, until=not_reading(ws))
    assert ws._paused_reading & _PAUSE_WRITE
    assert ws.messages
    peer.fill(chunk)
    await asyncio.sleep(0)
    assert ws.peak <= transfer_bound(ws)
    assert ws.peak_write_buffer <= ws.write_limit + CONTROL_FRAME
    # The handler empties the queue: the write buffer is still full.
    receiver.release.set()
    await wait_for(lambda: not ws.messages)
    assert ws._paused_reading & _PAUSE_WRITE
    assert not ws.transport.is_reading()
    # The peer reads: everything goes through.
    frames = await close_raw(peer)
    await receiver.finished()
    sent = numbers(receiver.messages)
    assert sent == list(range(len(sent)))
    pongs = [f for f in frames if f[0] == OP_PONG]
    assert len(pongs) == 100 * len(sent)
    assert close_code(frames) == 1000
    assert ws.peak <= transfer_bound(ws)
    assert ws.peak_write_buffer <= ws.write_limit + CONTROL_FRAME
    peer.close()
    server.close()
    await server.wait_closed()


async def test_close_frame_flood() -> None:
    receiver = Receiver()
    receiver.release.set()
    server, port = await start_server(receiver)
    peer = await open_raw(port)
    ws = Watched.instances[0]
    close = frame(OP_CLOSE, (1000).to_bytes(2, "big"))

    async def run() -> None:
        with pytest.raises(OSError):
            while True:
                peer._push(close * 100)
                await asyncio.sleep(0)

    reading = asyncio.ensure_future(peer.read_all())
    await asyncio.wait_for(run(), TIMEOUT)
    frames = parse_frames(await reading)
    # One close frame in return, then the server closed the connection.
    assert [f[0] for f in frames] == [OP_CLOSE]
    assert close_code(frames) == 1000
    await receiver.finished()
    assert ws.close_code == 1000
    assert ws.peak <= transfer_bound(ws)
    peer.close()
    server.close()
    await server.wait_closed()


@pytest.mark.parametrize("size", [0, 2], ids=["empty", "2-byte"])
async def test_endless_fragmented_message(size: int) -> None:
    # Scenario 3 of issue 11: fragments that never end fail with 1009 after
    # max_size bytes or max_size fragments, and cost no memory per fragment.
    receiver = Receiver()
    receiver.release.set()
    server, port = await start_server(receiver)
    peer = await open_raw(port)
    ws = Watched.instances[0]
    await peer.send(frame(OP_BINARY, b"x" * size, fin=False))
    chunk = frame(OP_CONT, b"x" * size, fin=False) * 100
    await peer.flood(chunk, until=lambda: ws._discard_data)
    assert ws.max_size is not None
    assert ws.peak <= transfer_bound(ws)
    assert ws.peak <= ws.max_size * 2 + 100 * 6 + READ_CHUNK
    frames = await close_raw(peer)
    assert close_code(frames) == 1009
    reason = next(f[1][2:] for f in frames if f[0] == OP_CLOSE)
    if size == 0:
        assert reason == b"message has more fragments than the limit (1000)"
    else:
        assert reason.startswith(b"payload length exceeds size limit")
    await receiver.finished()
    assert receiver.messages == []
    peer.close()
    server.close()
    await server.wait_closed()


# Server side, opening handshake.


@pytest.mark.parametrize("auth", [False, True], ids=["process_request", "basic_auth"])
async def test_data_pipelined_during_a_slow_handshake(auth: bool) -> None:
    # Scenario 2 of issue 11: frames pipelined behind the request while
    # process_request() or check_credentials() take their time.
    release = asyncio.Event()
    receiver = Receiver()
    receiver.release.set()
    kwargs: Any = {}
    if auth:

        async def check_credentials(username: str, password: str) -> bool:
            await release.wait()
            return False

        kwargs["create_protocol"] = functools.partial(
            WatchedBasicAuth, realm="test", check_credentials=check_credentials
        )
        extra = "Authorization: Basic " + base64.b64encode(b"u:p").decode() + "\r\n"
    else:

        async def process_request(path: str, headers: Any) -> None:
            await release.wait()

        kwargs["process_request"] = process_request
        extra = ""
    server, port = await start_server(receiver, **kwargs)
    peer = await RawPeer.connect(port)
    await peer.send(request(port, extra))
    await wait_for(lambda: bool(Watched.instances))
    ws = Watched.instances[0]
    chunk = numbered(1000)
    await peer.flood(chunk, until=not_reading(ws))
    # The handshake reads at most read_limit bytes ahead.
    assert ws.reader.buffered() < ws.read_limit + READ_CHUNK
    peer.fill(chunk)
    await asyncio.sleep(0)
    assert ws.peak <= handshake_bound(ws)
    assert ws.state is State.CONNECTING

    release.set()
    if auth:
        response = await peer.read_all()
        assert response.startswith(b"HTTP/1.1 401")
        assert ws.peak <= handshake_bound(ws)
    else:
        # Every frame sent behind the request is delivered, in order.
        frames = await close_raw(peer)
        await receiver.finished()
        sent = numbers(receiver.messages)
        assert sent == list(range(len(sent)))
        assert len(sent) * 1008 == peer.sent - len(request(port)) - 8
        assert close_code(frames) == 1000
        assert ws.peak <= transfer_bound(ws)
    peer.close()
    server.close()
    await server.wait_closed()


async def test_pipelined_requests() -> None:
    # More requests behind the first one: once the connection is open, they
    # are frames with a reserved opcode.
    release = asyncio.Event()

    async def process_request(path: str, headers: Any) -> None:
        await release.wait()

    receiver = Receiver()
    receiver.release.set()
    server, port = await start_server(receiver, process_request=process_request)
    peer = await RawPeer.connect(port)
    await wait_for(lambda: bool(Watched.instances))
    ws = Watched.instances[0]
    await peer.flood(request(port), until=not_reading(ws))
    peer.fill(request(port))
    await asyncio.sleep(0)
    assert ws.peak <= handshake_bound(ws)
    release.set()
    data = await peer.read_all()
    assert data.startswith(b"HTTP/1.1 101")
    frames = parse_frames(data[data.index(b"\r\n\r\n") + 4 :])
    assert close_code(frames) == 1002
    await receiver.finished()
    assert ws.close_code == 1006 or ws.close_code == 1002
    assert ws.peak <= transfer_bound(ws)
    peer.close()
    server.close()
    await server.wait_closed()


# Client side.


async def raw_server() -> Tuple[socket.socket, int]:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    return listener, listener.getsockname()[1]


async def accept_raw(listener: socket.socket) -> RawPeer:
    sock, _ = await asyncio.wait_for(
        asyncio.get_running_loop().sock_accept(listener), TIMEOUT
    )
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    peer = RawPeer(sock)
    head = await peer.read_until(b"\r\n\r\n")
    key = next(
        line.split(b":", 1)[1].strip()
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"sec-websocket-key:")
    )
    guid = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    peer.accept = base64.b64encode(hashlib.sha1(key + guid).digest())  # type: ignore[attr-defined]
    return peer


def response(accept: bytes) -> bytes:
    return (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
    )


async def open_client(port: int) -> Any:
    return await connect(
        f"ws://127.0.0.1:{port}/",
        create_protocol=WatchedClient,
        compression=None,
        ping_interval=None,
        **LIMITS,
    )


async def close_from_raw_server(peer: RawPeer) -> List[Tuple[int, bytes]]:
    """Send a close frame, read the client's frames up to its close frame."""
    reading = asyncio.ensure_future(peer.read_frames_until_close(masked=True))
    await peer.send(frame(OP_CLOSE, (1000).to_bytes(2, "big"), masked=False))
    frames = await reading
    peer.close()
    return frames


async def test_ping_flood_towards_a_client_that_never_reads() -> None:
    listener, port = await raw_server()
    connecting = asyncio.ensure_future(open_client(port))
    peer = await accept_raw(listener)
    await peer.send(response(peer.accept))  # type: ignore[attr-defined]
    ws = await asyncio.wait_for(connecting, TIMEOUT)
    ping = frame(OP_PING, b"p" * 125, masked=False)
    start = peer.sent
    await peer.flood(ping * 100, until=not_reading(ws))
    assert ws._paused_writing
    peer.fill(ping)
    await asyncio.sleep(0)
    assert ws.peak <= transfer_bound(ws)
    assert ws.peak_write_buffer <= ws.write_limit + CONTROL_FRAME
    frames = await close_from_raw_server(peer)
    pings = (peer.sent - start - 4) // len(ping)
    assert [f for f in frames if f[0] == OP_PONG] == [(OP_PONG, b"p" * 125)] * pings
    assert close_code(frames) == 1000
    await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
    assert ws.close_code == 1000
    assert ws.peak <= transfer_bound(ws)
    listener.close()


async def test_handshake_response_followed_by_a_flood() -> None:
    # The server sends its first frames right behind the 101 response and
    # keeps going; the client application reads later. Nothing is lost.
    listener, port = await raw_server()
    connecting = asyncio.ensure_future(open_client(port))
    peer = await accept_raw(listener)
    chunk_frames = numbered(1000)
    first = [True]

    def chunk() -> bytes:
        data = chunk_frames()
        # Unmasked: the frame() helper masks with a zero key; strip it.
        data = data[:1] + bytes([data[1] & 0x7F]) + data[2:4] + data[8:]
        if first[0]:
            first[0] = False
            return response(peer.accept) + data  # type: ignore[attr-defined]
        return data

    await peer.flood(chunk, until=lambda: bool(Watched.instances) and connecting.done())
    ws = await connecting
    await peer.flood(chunk, until=not_reading(ws))
    peer.fill(chunk)
    await asyncio.sleep(0)
    assert ws.peak <= transfer_bound(ws)
    messages: List[bytes] = []
    reading = asyncio.ensure_future(close_from_raw_server(peer))
    with pytest.raises(ConnectionClosed):
        while True:
            messages.append(await asyncio.wait_for(ws.recv(), TIMEOUT))
    frames = await reading
    sent = numbers(messages)
    assert sent == list(range(len(sent)))
    assert len(sent) * 1004 + len(response(peer.accept)) == peer.sent - 4  # type: ignore[attr-defined]
    assert close_code(frames) == 1000
    assert ws.close_code == 1000
    assert ws.peak <= transfer_bound(ws)
    listener.close()
