"""RSV1 on the continuation frames of compressed messages, as 8.1 peers send.

websockets 8.1's compressor sets RSV1 on every frame of a fragmented
compressed message, not only on the first one as RFC 7692, section 6 says.
Every 8.1-era peer does it, with compression on by default. This library
accepts it (RSV1 on a continuation frame of a message that started
compressed is ignored), keeps sending RSV1 on the first frame only, and
stays strict otherwise: RSV1 on a continuation frame of an uncompressed
message, or with no extension, fails the connection with 1002.

Raw peers on loopback sockets send the frames byte by byte as 8.1 does;
tests/consumers/ also runs a genuine websockets 8.1 peer.
"""

from __future__ import annotations

import asyncio
import os
import zlib
from typing import Any, List, Tuple

import pytest

from websockets.client import connect
from websockets.exceptions import ConnectionClosedError
from websockets.framing import OP_BINARY, OP_CONT, OP_TEXT
from websockets.server import WebSocketServerProtocol

from .utils import (
    TIMEOUT,
    handshake_request,
    parse_request,
    port_of,
    response_101,
    serving,
)

PMD_OFFER = ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")


def frame(b0: int, payload: bytes, mask: bool) -> bytes:
    """Serialize a frame with a given first byte (FIN, RSV1-3, opcode)."""
    length = len(payload)
    if length < 126:
        head = bytes([b0, (0x80 if mask else 0) | length])
    else:
        head = bytes([b0, (0x80 if mask else 0) | 126]) + length.to_bytes(2, "big")
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def compressed_fragments_8_1_style(
    opcode: int, chunks: List[bytes], wbits: int, mask: bool
) -> bytes:
    """Compress a fragmented message like websockets 8.1: RSV1 on every
    frame."""
    compressor = zlib.compressobj(wbits=-wbits)
    data = b""
    for index, chunk in enumerate(chunks):
        payload = compressor.compress(chunk) + compressor.flush(zlib.Z_SYNC_FLUSH)
        fin = index == len(chunks) - 1
        if fin:
            payload = payload[:-4]
        b0 = (0x80 if fin else 0) | 0x40 | (opcode if index == 0 else OP_CONT)
        data += frame(b0, payload, mask)
    return data


def read_frames(data: bytes) -> List[Tuple[int, bytes]]:
    """Split a stream of frames; return (first byte, unmasked payload)."""
    frames = []
    while data:
        b0, b1 = data[0], data[1]
        length, offset = b1 & 0x7F, 2
        if length == 126:
            length, offset = int.from_bytes(data[2:4], "big"), 4
        assert length < 127
        if b1 & 0x80:
            key = data[offset : offset + 4]
            offset += 4
            payload = bytes(
                b ^ key[i % 4] for i, b in enumerate(data[offset : offset + length])
            )
        else:
            payload = data[offset : offset + length]
        frames.append((b0, payload))
        data = data[offset + length :]
    return frames


CHUNKS = [b"Hello, ", b"fragmented ", b"compressed " * 20, b"world!"]


async def test_server_accepts_rsv1_on_continuation_frames() -> None:
    # An 8.1 client talking to this server, which echoes.
    async def echo(ws: WebSocketServerProtocol, path: str) -> None:
        async for message in ws:
            await ws.send(message)

    async with serving(echo) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", port_of(server))
        writer.write(handshake_request(extra=[PMD_OFFER]))
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        assert b"permessage-deflate" in head
        assert b"client_max_window_bits=12" in head
        # The server compresses with context takeover: one decompressor.
        decompressor = zlib.decompressobj(wbits=-12)
        for opcode in (OP_TEXT, OP_BINARY):
            writer.write(compressed_fragments_8_1_style(opcode, CHUNKS, 12, True))
            # The echo: one compressed frame with RSV1.
            b0, length = await asyncio.wait_for(reader.readexactly(2), TIMEOUT)
            assert b0 == 0x80 | 0x40 | opcode
            if length == 126:
                length = int.from_bytes(await reader.readexactly(2), "big")
            payload = await reader.readexactly(length)
            echoed = decompressor.decompress(payload + b"\x00\x00\xff\xff")
            assert echoed == b"".join(CHUNKS)
        writer.close()


async def test_client_accepts_rsv1_on_continuation_frames() -> None:
    # This client talking to an 8.1 server.
    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        data = await reader.readuntil(b"\r\n\r\n")
        _, headers = parse_request(data[:-4])
        assert "permessage-deflate" in headers["Sec-WebSocket-Extensions"]
        writer.write(
            response_101(headers, "Sec-WebSocket-Extensions: permessage-deflate\r\n")
        )
        writer.write(compressed_fragments_8_1_style(OP_TEXT, CHUNKS, 15, False))
        writer.write(compressed_fragments_8_1_style(OP_BINARY, CHUNKS, 15, False))
        await reader.read()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        port = server.sockets[0].getsockname()[1]
        ws = await connect(f"ws://127.0.0.1:{port}/", close_timeout=1)
        assert ws.extensions
        assert await asyncio.wait_for(ws.recv(), TIMEOUT) == b"".join(CHUNKS).decode()
        assert await asyncio.wait_for(ws.recv(), TIMEOUT) == b"".join(CHUNKS)
        await ws.close()
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize("compression", ["deflate", None])
async def test_rsv1_on_continuation_of_uncompressed_message_fails(
    compression: Any,
) -> None:
    # Strict otherwise: an uncompressed first frame, then RSV1 on a
    # continuation frame.
    closed: List[Any] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        try:
            await ws.recv()
        except ConnectionClosedError as exc:
            closed.append(exc.code)

    async with serving(handler, compression=compression) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", port_of(server))
        writer.write(handshake_request(extra=[PMD_OFFER]))
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        writer.write(frame(OP_TEXT, b"plain", True))
        writer.write(frame(0x80 | 0x40 | OP_CONT, b"more", True))
        # The server fails the connection with 1002; answer its close frame.
        head = await asyncio.wait_for(reader.readexactly(2), TIMEOUT)
        assert head[0] == 0x88
        payload = await asyncio.wait_for(reader.readexactly(head[1]), TIMEOUT)
        assert payload[:2] == (1002).to_bytes(2, "big")
        writer.write(frame(0x88, payload[:2], True))
        assert await asyncio.wait_for(reader.read(), TIMEOUT) == b""
        writer.close()
    # The stream can't be parsed after the error: the server closed the TCP
    # connection without reading the answer, so its own close code is 1006.
    assert closed == [1006]


class RecordingServerProtocol(WebSocketServerProtocol):
    """Record the bytes the server receives after the handshake."""

    received: List[bytes] = []

    def data_received(self, data: bytes) -> None:
        if self._parser is not None:
            self.received.append(data)
        super().data_received(data)


async def test_fragmented_compressed_exchange_sends_rsv1_on_first_frame() -> None:
    # A real exchange: this client sends a fragmented message, compressed;
    # RSV1 is set on its first frame only, and the server gets the message.
    RecordingServerProtocol.received = []

    async def echo(ws: WebSocketServerProtocol, path: str) -> None:
        async for message in ws:
            await ws.send(message)

    async with serving(echo, create_protocol=RecordingServerProtocol) as server:
        ws = await connect(f"ws://127.0.0.1:{port_of(server)}/")
        assert ws.extensions
        await ws.send([chunk.decode() for chunk in CHUNKS])
        assert await ws.recv() == b"".join(CHUNKS).decode()
        await ws.send(CHUNKS)
        assert await ws.recv() == b"".join(CHUNKS)
        await ws.close()
    frames = read_frames(b"".join(RecordingServerProtocol.received))
    first_bytes = [b0 for b0, _ in frames]
    # Two messages of 4 fragments and an empty final frame each, then close.
    assert first_bytes == [
        0x40 | OP_TEXT,
        OP_CONT,
        OP_CONT,
        OP_CONT,
        0x80 | OP_CONT,
        0x40 | OP_BINARY,
        OP_CONT,
        OP_CONT,
        OP_CONT,
        0x80 | OP_CONT,
        0x88,
    ]
