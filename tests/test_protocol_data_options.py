"""recv(decode=...), send(text=...) and send(compress=False): additions to
the 8.1 API, driven through a fake transport, then over loopback with a real
permessage-deflate peer."""

from __future__ import annotations

import asyncio
import zlib
from typing import Any, List, Optional, Tuple

import pytest

from websockets.client import connect
from websockets.exceptions import ConnectionClosedError
from websockets.extensions.base import Extension
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frame_parser import FrameParser
from websockets.framing import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_TEXT,
    Frame,
    serialize_close,
)
from websockets.server import serve
from websockets.typing import ExtensionName

from .protocol_helpers import close_frames, open_protocol, peer_frame, written

SIDES = [False, True]


# recv(decode=...)


@pytest.mark.parametrize("is_client", SIDES)
async def test_recv_decode_false_returns_text_as_bytes(is_client: bool) -> None:
    protocol, _ = open_protocol(is_client)
    protocol.data_received(peer_frame(protocol, OP_TEXT, "café".encode()))
    message = await protocol.recv(decode=False)
    assert message == "café".encode()
    assert type(message) is bytes


async def test_recv_decode_false_keeps_binary() -> None:
    protocol, _ = open_protocol()
    protocol.data_received(peer_frame(protocol, OP_BINARY, b"\xff\x00"))
    assert await protocol.recv(decode=False) == b"\xff\x00"


async def test_recv_decode_false_still_validates_utf8() -> None:
    protocol, transport = open_protocol()
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"caf\xe9"))
    assert close_frames(protocol, transport)[0][0] == 1007
    protocol.data_received(peer_frame(protocol, OP_CLOSE, serialize_close(1007, "")))
    with pytest.raises(ConnectionClosedError) as raised:
        await protocol.recv(decode=False)
    assert raised.value.code == 1007


async def test_recv_decode_true_returns_binary_as_text() -> None:
    protocol, _ = open_protocol()
    protocol.data_received(peer_frame(protocol, OP_BINARY, "thé".encode()))
    message = await protocol.recv(decode=True)
    assert message == "thé"
    assert type(message) is str


async def test_recv_decode_true_keeps_text() -> None:
    protocol, _ = open_protocol()
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"tea"))
    assert await protocol.recv(decode=True) == "tea"


async def test_recv_decode_true_invalid_utf8_keeps_message() -> None:
    protocol, _ = open_protocol()
    protocol.data_received(peer_frame(protocol, OP_BINARY, b"\xff\xfe"))
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"next"))
    with pytest.raises(UnicodeDecodeError):
        await protocol.recv(decode=True)
    # The message wasn't lost: recv() without decode returns it.
    assert await protocol.recv() == b"\xff\xfe"
    assert await protocol.recv() == "next"


async def test_recv_decode_waits_for_message() -> None:
    protocol, _ = open_protocol()
    task = asyncio.create_task(protocol.recv(decode=False))
    await asyncio.sleep(0)
    assert not task.done()
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"later"))
    assert await task == b"later"


async def test_recv_decode_fragmented() -> None:
    protocol, _ = open_protocol()
    protocol.data_received(peer_frame(protocol, OP_BINARY, b"ca", fin=False))
    protocol.data_received(peer_frame(protocol, OP_CONT, "fé".encode()))
    assert await protocol.recv(decode=True) == "café"


# send(text=...)


@pytest.mark.parametrize("is_client", SIDES)
@pytest.mark.parametrize(
    "message, text, opcode, data",
    [
        (b"tea", True, OP_TEXT, b"tea"),
        (bytearray(b"tea"), True, OP_TEXT, b"tea"),
        (memoryview(b"tea"), True, OP_TEXT, b"tea"),
        ("café", False, OP_BINARY, "café".encode()),
        ("café", True, OP_TEXT, "café".encode()),
        (b"tea", False, OP_BINARY, b"tea"),
        ("tea", None, OP_TEXT, b"tea"),
        (b"tea", None, OP_BINARY, b"tea"),
    ],
)
async def test_send_text_override(
    is_client: bool, message: Any, text: Any, opcode: int, data: bytes
) -> None:
    protocol, transport = open_protocol(is_client)
    await protocol.send(message, text=text)
    [frame] = written(protocol, transport)
    assert (frame.fin, frame.opcode, frame.data) == (True, opcode, data)


@pytest.mark.parametrize(
    "fragments, text, opcode",
    [
        ([b"ca", b"f\xc3\xa9"], True, OP_TEXT),
        (["ca", "fé"], False, OP_BINARY),
        (["ca", "fé"], None, OP_TEXT),
    ],
)
async def test_send_fragments_text_override(
    fragments: List[Any], text: Any, opcode: int
) -> None:
    protocol, transport = open_protocol()
    await protocol.send(fragments, text=text)
    frames = written(protocol, transport)
    assert [(f.fin, f.opcode) for f in frames] == [
        (False, opcode),
        (False, OP_CONT),
        (True, OP_CONT),
    ]
    assert b"".join(f.data for f in frames) == "café".encode()


async def test_send_async_fragments_text_override() -> None:
    async def fragments() -> Any:
        yield b"te"
        yield b"a"

    protocol, transport = open_protocol()
    await protocol.send(fragments(), text=True)
    frames = written(protocol, transport)
    assert frames[0].opcode == OP_TEXT
    assert b"".join(f.data for f in frames) == b"tea"


async def test_send_text_override_mixed_fragments_still_rejected() -> None:
    protocol, _ = open_protocol()
    with pytest.raises(TypeError):
        await protocol.send([b"tea", "tea"], text=True)


# send(compress=False) with a fake transport


def deflate_protocol(is_client: bool = False) -> Any:
    protocol, transport = open_protocol(is_client)
    extension = PerMessageDeflate(False, False, 15, 15)
    protocol.extensions = [extension]
    return protocol, transport


class RecordRSV1(Extension):
    """Pass frames through, clearing and recording RSV1."""

    name = ExtensionName("record-rsv1")

    def __init__(self) -> None:
        self.rsv1: List[bool] = []

    def decode(self, frame: Frame, *, max_size: Optional[int] = None) -> Frame:
        self.rsv1.append(frame.rsv1)
        return Frame(frame.fin, frame.opcode, frame.data)

    def encode(self, frame: Frame) -> Frame:
        return frame


def raw_frames(protocol: Any, transport: Any) -> List[Tuple[bool, Frame]]:
    # Frames as written, before decompression: RSV1 tells what's compressed.
    frames = []
    for data in transport.writes:
        recorder = RecordRSV1()
        parser = FrameParser(mask=protocol.is_client, extensions=[recorder])
        parser.feed(data)
        frame = parser.next_frame()
        assert frame is not None and parser.buffered() == 0
        frames.append((recorder.rsv1[0], frame))
    return frames


@pytest.mark.parametrize("is_client", SIDES)
async def test_send_compress_false_sends_uncompressed(is_client: bool) -> None:
    protocol, transport = deflate_protocol(is_client)
    await protocol.send("hello " * 100, compress=False)
    [(rsv1, frame)] = raw_frames(protocol, transport)
    assert not rsv1
    assert frame.data == ("hello " * 100).encode()


async def test_send_compress_default_compresses() -> None:
    protocol, transport = deflate_protocol()
    await protocol.send("hello " * 100)
    [(rsv1, frame)] = raw_frames(protocol, transport)
    assert rsv1
    assert len(frame.data) < 100


async def test_send_compress_false_fragments() -> None:
    protocol, transport = deflate_protocol()
    await protocol.send(["hello " * 50, "world " * 50], compress=False)
    frames = raw_frames(protocol, transport)
    assert [rsv1 for rsv1, _ in frames] == [False, False, False]
    assert (
        b"".join(f.data for _, f in frames) == ("hello " * 50 + "world " * 50).encode()
    )


async def test_send_compress_false_keeps_context_of_other_messages() -> None:
    # With context takeover, an uncompressed message in between doesn't
    # disturb the compression context: a peer inflates the next message.
    protocol, transport = deflate_protocol()
    await protocol.send("first " * 50)
    await protocol.send(b"\x00" * 300, compress=False)
    await protocol.send("first " * 50)
    frames = raw_frames(protocol, transport)
    assert [rsv1 for rsv1, _ in frames] == [True, False, True]
    inflater = zlib.decompressobj(wbits=-15)
    tail = b"\x00\x00\xff\xff"
    first, third = frames[0][1].data, frames[2][1].data
    assert inflater.decompress(first + tail) == ("first " * 50).encode()
    # Context takeover: the repeated message compresses to a back-reference.
    assert len(third) < len(first)
    assert inflater.decompress(third + tail) == ("first " * 50).encode()


# Over loopback, with permessage-deflate negotiated on both sides.


async def test_loopback_send_options() -> None:
    received: List[Any] = []

    async def handler(ws: Any, path: str) -> None:
        async for message in ws:
            received.append(message)
            await ws.send(message, compress=False)

    async with serve(handler, "127.0.0.1", 0, compression="deflate") as server:
        port = server.sockets[0].getsockname()[1]
        async with connect(f"ws://127.0.0.1:{port}", compression="deflate") as ws:
            assert [e.name for e in ws.extensions] == ["permessage-deflate"]
            await ws.send("café " * 100, compress=False)
            assert await ws.recv() == "café " * 100
            await ws.send(b"tea", text=True)
            assert await ws.recv() == "tea"
            await ws.send("tea", text=False)
            assert await ws.recv(decode=True) == "tea"
            await ws.send(["ca", "fé"], compress=False)
            assert await ws.recv(decode=False) == "café".encode()
            await ws.send("compressed " * 100)
            assert await ws.recv() == "compressed " * 100
    assert received == [
        "café " * 100,
        "tea",
        b"tea",
        "café",
        "compressed " * 100,
    ]
