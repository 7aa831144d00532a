"""Shared pieces of the benchmark's server and client processes.

* process setup: CPU pinning, file descriptor limit, CPU time;
* a line reader on standard input, for the orchestrator's commands;
* the payloads of each workload (same bytes for every library);
* the raw peer: a minimal WebSocket over :class:`asyncio.Protocol`, the floor
  for any asyncio library. It does what the workloads need and no more: the
  opening handshake (with a real ``Sec-WebSocket-Accept``), unfragmented
  frames with 7, 16 and 64-bit lengths, masking on the client side with a
  fresh key per frame, close frames, and flow control for writes. It skips
  what a library must do and the workloads don't exercise: fragmentation,
  UTF-8 validation of text frames, pings, size limits, error handling.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import random
import resource
import struct
import sys
import time
from collections import deque
from typing import Any, Callable, Optional

# The C helpers shipped by this project: the fastest masking at hand.
from websockets.utils import apply_mask, unmask_join

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC11B65"

# Time limit of any single process, whatever happens: every loop is bounded.
PROCESS_DEADLINE = 300.0


# Process setup.


def pin(cpu: Optional[int]) -> bool:
    """Pin this process to one core; return whether it worked."""
    if cpu is None or cpu < 0:
        return False
    try:
        os.sched_setaffinity(0, {cpu})
    except (AttributeError, OSError, ValueError):
        return False
    return True


def raise_nofile(wanted: int = 16384) -> int:
    """Raise the soft limit on open files as far as the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def cpu_time() -> float:
    """CPU time of this process (all threads), user + system, in seconds."""
    return time.process_time()


def minor_faults() -> int:
    """Minor page faults of this process so far (fresh memory touched)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def rss_kib() -> int:
    """Resident set size of this process in KiB (VmRSS)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")  # pragma: no cover


LOOPS = ("asyncio", "uvloop")


def run(main: Any, loop: str = "asyncio") -> None:
    """Run the coroutine ``main`` on a new event loop of the given kind.

    "asyncio" is the default loop of the standard library; "uvloop" is
    uvloop's (libuv), installed in the benchmark's venv only.
    """
    if loop != "uvloop":
        asyncio.run(main)
        return
    import uvloop

    if sys.version_info >= (3, 11):
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(main)
    else:  # pragma: no cover
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        asyncio.run(main)


def loop_name() -> str:
    """Name of the running loop's kind, for checks: "uvloop" or "asyncio"."""
    module = type(asyncio.get_running_loop()).__module__
    return "uvloop" if module.startswith("uvloop") else "asyncio"


def emit(line: str) -> None:
    """Write one line for the orchestrator."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class StdinLines:
    """Read lines from standard input without blocking the event loop."""

    def __init__(self) -> None:
        self.reader: Optional[asyncio.StreamReader] = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.reader = asyncio.StreamReader()
        protocol = asyncio.StreamReaderProtocol(self.reader)
        await loop.connect_read_pipe(lambda: protocol, sys.stdin)

    async def readline(self, timeout: float = 120.0) -> str:
        """Next line, stripped; "" at end of file."""
        assert self.reader is not None
        line = await asyncio.wait_for(self.reader.readline(), timeout)
        return line.decode().strip()


# Payloads.


def text_payload(size: int = 64) -> str:
    """A short JSON-like text message of exactly ``size`` ASCII characters."""
    base = '{"type":"tick","seq":12345,"price":101.25,"sym":"ABCD","ok":true}'
    return (base * (size // len(base) + 1))[:size]


def binary_payload(size: int, seed: int = 1) -> bytes:
    """Incompressible bytes, deterministic."""
    return random.Random(seed).randbytes(size)


_WORDS_TEXT = (
    "the of and to in is that for it as was with be by on not he this are or "
    "his from at which but have an they you were her she there one all we "
    "their can has more when will would who so no if out said what up its "
    "about than into them only some could time these two may then do first "
    "any my now such like other how our over also did just most made after "
    "websocket frame message server client compression deflate stream"
)
WORDS = _WORDS_TEXT.split()


def compressible_payload(size: int, seed: int = 2) -> bytes:
    """Text-like bytes made of common words: deflate shrinks them about 3x."""
    rng = random.Random(seed)
    out = []
    length = 0
    while length < size:
        word = rng.choice(WORDS)
        out.append(word)
        length += len(word) + 1
    return " ".join(out).encode()[:size]


# Raw WebSocket over asyncio.Protocol.


def accept_key(key: bytes) -> bytes:
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


class MaskPool:
    """Fresh 4-byte masking keys from os.urandom, fetched 1 KiB at a time."""

    def __init__(self) -> None:
        self.pool = b""
        self.pos = 0

    def next(self) -> bytes:
        pos = self.pos
        if pos >= len(self.pool):
            self.pool = os.urandom(1024)
            pos = 0
        self.pos = pos + 4
        return self.pool[pos : pos + 4]


_masks = MaskPool()

_pack_b = struct.Struct("!BB").pack
_pack_h = struct.Struct("!BBH").pack
_pack_q = struct.Struct("!BBQ").pack


def frame_header(opcode: int, length: int, masked: bool) -> bytes:
    first = 0x80 | opcode
    mask_bit = 0x80 if masked else 0
    if length < 126:
        return _pack_b(first, mask_bit | length)
    if length < 65536:
        return _pack_h(first, mask_bit | 126, length)
    return _pack_q(first, mask_bit | 127, length)


class RawFrames:
    """Incremental parser of unfragmented frames, fed from data_received.

    Calls ``on_frame(opcode, payload)`` for each complete frame, with the
    payload unmasked when the frame was masked. Frames are parsed in place in
    the chunk received; a large payload that spans chunks is collected as a
    list of chunks and joined and unmasked in one pass, once complete.
    """

    def __init__(self, on_frame: Callable[[int, bytes], None]) -> None:
        self.on_frame = on_frame
        self.rest = b""  # incomplete header or small frame
        self.chunks: Optional[list[Any]] = None  # payload of a large frame
        self.have = 0
        self.length = 0
        self.mask: Optional[bytes] = None
        self.opcode = 0

    def feed(self, data: bytes) -> None:
        chunks = self.chunks
        if chunks is not None:
            chunks.append(data)
            self.have += len(data)
            if self.have < self.length:
                return
            over = self.have - self.length
            view = memoryview(data)
            chunks[-1] = view[: len(data) - over]
            # What follows the frame is parsed in place, without a copy.
            data = view[len(data) - over :]
            mask = self.mask
            payload = unmask_join(chunks, mask) if mask else b"".join(chunks)
            self.chunks = None
            self.on_frame(self.opcode, payload)
            if not data:
                return
            self._parse(data)
            return
        if self.rest:
            data = self.rest + data
            self.rest = b""
        self._parse(data)

    def _parse(self, data: Any) -> None:
        """Parse frames from ``data``, bytes or a memoryview of bytes."""
        size = len(data)
        pos = 0
        while size - pos >= 2:
            second = data[pos + 1]
            length = second & 0x7F
            start = pos + 2
            if length == 126:
                start = pos + 4
                if size < start:
                    break
                length = int.from_bytes(data[pos + 2 : start], "big")
            elif length == 127:
                start = pos + 10
                if size < start:
                    break
                length = int.from_bytes(data[pos + 2 : start], "big")
            mask = None
            if second & 0x80:
                if size < start + 4:
                    break
                mask = bytes(data[start : start + 4])
                start += 4
            end = start + length
            if end > size:
                if length < 4096:
                    break  # keep it in self.rest
                self.chunks = [memoryview(data)[start:]]
                self.have = size - start
                self.length = length
                self.mask = mask
                self.opcode = data[pos] & 0x0F
                return
            if mask is None:
                payload = bytes(data[start:end])
            else:
                payload = apply_mask(data[start:end], mask)
            self.on_frame(data[pos] & 0x0F, payload)
            pos = end
        if pos < size:
            self.rest = bytes(data[pos:])


def parse_handshake(buffer: bytearray) -> Optional[tuple[bytes, dict[bytes, bytes]]]:
    """Split an HTTP head off ``buffer``: (first line, headers) or None."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = bytes(buffer[:end]).split(b"\r\n")
    del buffer[: end + 4]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    return lines[0], headers


class RawServerProtocol(asyncio.Protocol):
    """Server side of the raw peer: echo, or sink that reports a byte count.

    ``mode`` is "echo" (send every message back) or "sink" (count the bytes
    of binary messages; answer the text message "done" with the count).
    """

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.transport: Any = None
        self.handshake = bytearray()
        self.frames: Optional[RawFrames] = None
        self.received = 0

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.frames is not None:
            self.frames.feed(data)
            return
        self.handshake += data
        parsed = parse_handshake(self.handshake)
        if parsed is None:
            return
        _, headers = parsed
        key = headers.get(b"sec-websocket-key")
        if key is None or headers.get(b"upgrade", b"").lower() != b"websocket":
            self.transport.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
            self.transport.close()
            return
        self.transport.write(
            b"HTTP/1.1 101 Switching Protocols\r\n"
            b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept_key(key) + b"\r\n\r\n"
        )
        self.frames = RawFrames(self.on_frame)
        rest = bytes(self.handshake)
        self.handshake = bytearray()
        if rest:
            self.frames.feed(rest)

    def on_frame(self, opcode: int, payload: bytes) -> None:
        write = self.transport.write
        if opcode == 1 or opcode == 2:
            if self.mode == "echo":
                if len(payload) < 4096:
                    write(frame_header(opcode, len(payload), False) + payload)
                else:
                    write(frame_header(opcode, len(payload), False))
                    write(payload)
            elif opcode == 2:
                self.received += len(payload)
            else:
                count = str(self.received).encode()
                write(frame_header(1, len(count), False) + count)
        elif opcode == 8:
            write(frame_header(8, len(payload), False) + payload)
            self.transport.close()
        elif opcode == 9:
            write(frame_header(10, len(payload), False) + payload)


class RawClientProtocol(asyncio.Protocol):
    """Client side of the raw peer, with the interface of the client adapters."""

    def __init__(self, wait_eof: bool = False) -> None:
        loop = asyncio.get_running_loop()
        # After a close frame, wait for the server to close the TCP
        # connection, as RFC 6455 7.1.1 asks of clients, instead of closing.
        self.wait_eof = wait_eof
        self.transport: Any = None
        self.handshake = bytearray()
        self.key = base64.b64encode(os.urandom(16))
        self.opened = loop.create_future()
        self.closed = loop.create_future()
        self.frames: Optional[RawFrames] = None
        self.messages: deque[bytes] = deque()
        self.waiter: Optional[asyncio.Future[None]] = None
        self.drain_waiter: Optional[asyncio.Future[None]] = None
        self.paused = False
        self.negotiated = False

    # asyncio.Protocol

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(
            b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: " + self.key + b"\r\n"
            b"Sec-WebSocket-Version: 13\r\n\r\n"
        )

    def data_received(self, data: bytes) -> None:
        if self.frames is not None:
            self.frames.feed(data)
            return
        self.handshake += data
        parsed = parse_handshake(self.handshake)
        if parsed is None:
            return
        status, headers = parsed
        if not status.startswith(b"HTTP/1.1 101 ") or headers.get(
            b"sec-websocket-accept"
        ) != accept_key(self.key):
            self.opened.set_exception(ConnectionError(f"handshake failed: {status!r}"))
            self.transport.close()
            return
        self.frames = RawFrames(self.on_frame)
        self.opened.set_result(None)
        rest = bytes(self.handshake)
        self.handshake = bytearray()
        if rest:
            self.frames.feed(rest)

    def on_frame(self, opcode: int, payload: bytes) -> None:
        if opcode == 8:
            if not self.wait_eof:
                self.transport.close()
            return
        self.messages.append(payload)
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("connection lost"))
        if not self.closed.done():
            self.closed.set_result(None)
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

    def _write(self, opcode: int, payload: bytes) -> None:
        mask = _masks.next()
        head = frame_header(opcode, len(payload), True) + mask
        if len(payload) < 4096:
            self.transport.write(head + apply_mask(payload, mask))
        else:
            self.transport.write(head)
            self.transport.write(apply_mask(payload, mask))

    async def _drain(self) -> None:
        if self.paused:
            self.drain_waiter = asyncio.get_running_loop().create_future()
            await self.drain_waiter

    async def send_text(self, message: str) -> None:
        self._write(1, message.encode())
        if self.paused:
            await self._drain()

    async def send_bytes(self, message: bytes) -> None:
        self._write(2, message)
        if self.paused:
            await self._drain()

    async def recv_bytes(self) -> bytes:
        messages = self.messages
        while not messages:
            if self.closed.done():
                raise ConnectionError("connection closed")
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
        return messages.popleft()

    async def recv_text(self) -> str:
        return (await self.recv_bytes()).decode()

    async def close(self) -> None:
        if not self.closed.done():
            self._write(8, b"\x03\xe8")
            await asyncio.wait_for(asyncio.shield(self.closed), 10)


async def raw_connect(port: int, wait_eof: bool = False) -> RawClientProtocol:
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(
        lambda: RawClientProtocol(wait_eof), "127.0.0.1", port
    )
    await asyncio.wait_for(protocol.opened, 10)
    return protocol


class RawTaskServerProtocol(RawServerProtocol):
    """The raw peer with the shape of websockets 8.1's server API.

    The handshake is parsed and answered in data_received() like the raw
    peer's, but messages go to a coroutine handler running in a task of its
    own, started in connection_made(), as ``ws_handler(websocket, path)``
    does: waiting for the request, for each message and for the end of the
    message stream is a future and a wake-up of that task, and the handler's
    end completes it. The floor of any implementation of that API.
    """

    def __init__(self, mode: str) -> None:
        super().__init__(mode)
        loop = asyncio.get_running_loop()
        self.messages: deque[tuple[int, bytes]] = deque()
        self.waiter: Optional[asyncio.Future[None]] = None
        self.ended = False
        self.opened = loop.create_future()
        self.task: Optional[asyncio.Task[None]] = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self.task = asyncio.get_running_loop().create_task(self.handler())

    def data_received(self, data: bytes) -> None:
        opening = self.frames is None
        super().data_received(data)
        if opening and self.frames is not None:
            self.opened.set_result(None)

    async def handler(self) -> None:
        await self.opened
        loop = asyncio.get_running_loop()
        write = self.transport.write
        while True:
            while not self.messages:
                if self.ended:
                    return
                self.waiter = loop.create_future()
                await self.waiter
            opcode, payload = self.messages.popleft()
            if self.mode == "echo":
                write(frame_header(opcode, len(payload), False) + payload)

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def on_frame(self, opcode: int, payload: bytes) -> None:
        if opcode == 1 or opcode == 2:
            self.messages.append((opcode, payload))
            self._wake()
            return
        if opcode == 8:
            self.ended = True
            self._wake()
        super().on_frame(opcode, payload)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self.ended = True
        if not self.opened.done():
            self.opened.cancel()
        self._wake()
