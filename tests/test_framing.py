"""Tests for websockets.framing: RFC 6455, section 5.

Both drivers of the wire format are tested side by side: the coroutine
:meth:`Frame.read` and the incremental :class:`FrameParser`. The masking
helpers they use are exercised in C and in pure Python.
"""

from __future__ import annotations

import array
import asyncio
import struct
import subprocess
import sys
from typing import Any, Callable, Coroutine, List, Optional, Sequence, Type, TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from websockets import frame_parser, framing, sending, utils
from websockets.exceptions import PayloadTooBig, ProtocolError
from websockets.extensions.base import Extension
from websockets.frame_parser import FrameParser
from websockets.framing import (
    CTRL_OPCODES,
    DATA_OPCODES,
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Frame,
    decode_header,
    encode_data,
    parse_close,
    prepare_data,
    serialize_close,
)

T = TypeVar("T")

MASK = bytes.fromhex("37fa213d")


# The masking helpers each module takes from websockets.utils: frame reads
# and writes in websockets.framing, the incremental parser in
# websockets.frame_parser.
MASKING_HELPERS = [
    (framing, ["apply_mask", "frame_bytes"]),
    (frame_parser, ["apply_mask", "parse_frame", "unmask_slice", "unmask_join"]),
    (sending, ["frame_bytes"]),
]


@pytest.fixture(params=["c", "python"])
def masking(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run every test with the C accelerator and with pure Python."""
    if request.param == "c":
        speedups = pytest.importorskip("websockets.speedups")
        for module, names in MASKING_HELPERS:
            for name in names:
                monkeypatch.setattr(module, name, getattr(speedups, name))
    else:
        for module, names in MASKING_HELPERS:
            for name in names:
                # parse_frame() has no twin: the parser's Python code is it.
                monkeypatch.setattr(module, name, getattr(utils, f"_{name}_py", None))
    return str(request.param)


@pytest.fixture
def fixed_mask(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mask outgoing frames with the key of the RFC 6455 examples."""
    monkeypatch.setattr(framing, "generate_mask", lambda: MASK)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends, without an event loop."""
    try:
        coro.send(None)
    except StopIteration as exc:
        return exc.value  # type: ignore[no-any-return]
    finally:
        coro.close()
    raise AssertionError("coroutine suspended")  # pragma: no cover


class BytesReader:
    """``readexactly()`` over a bytes object, recording the requests."""

    def __init__(self, data: bytes, *, short: bool = False) -> None:
        self.data = data
        self.pos = 0
        self.requests: List[int] = []
        # With short=True, behave like a reader returning what's left at
        # EOF instead of raising IncompleteReadError.
        self.short = short

    async def __call__(self, n: int) -> bytes:
        self.requests.append(n)
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        if len(chunk) < n and not self.short:
            raise asyncio.IncompleteReadError(chunk, n)
        return chunk


def read(
    data: bytes,
    *,
    mask: bool,
    max_size: Optional[int] = None,
    extensions: Optional[Sequence[Extension]] = None,
) -> Frame:
    """Read one frame with Frame.read and check that it used all the data."""
    reader = BytesReader(data)
    frame = run(Frame.read(reader, mask=mask, max_size=max_size, extensions=extensions))
    assert reader.pos == len(data)
    return frame


def parse(
    data: bytes,
    *,
    mask: bool,
    max_size: Optional[int] = None,
    extensions: Optional[Sequence[Extension]] = None,
    chunk_size: Optional[int] = None,
) -> List[Frame]:
    """Parse all frames in data with a FrameParser, fed in chunks."""
    parser = FrameParser(mask=mask, max_size=max_size, extensions=extensions)
    frames = []
    step = chunk_size or max(len(data), 1)
    for i in range(0, len(data), step):
        parser.feed(data[i : i + step])
        while (frame := parser.next_frame()) is not None:
            frames.append(frame)
    assert parser.buffered() == 0
    return frames


def read_both(data: bytes, *, mask: bool, **kwargs: Any) -> Frame:
    """Decode a single frame with both drivers and check they agree."""
    frame = read(data, mask=mask, **kwargs)
    for chunk_size in [None, 1, 2, 3, 7]:
        assert parse(data, mask=mask, chunk_size=chunk_size, **kwargs) == [frame]
    return frame


def raises_both(
    exc_type: Type[Exception], match: str, data: bytes, *, mask: bool, **kwargs: Any
) -> None:
    """Check that both drivers reject data with the same error."""
    with pytest.raises(exc_type, match=match):
        read(data, mask=mask, **kwargs)
    parser = FrameParser(mask=mask, **kwargs)
    parser.feed(data)
    with pytest.raises(exc_type, match=match):
        parser.next_frame()


@pytest.mark.usefixtures("masking")
class TestRFC6455Examples:
    """RFC 6455, section 5.7, byte for byte."""

    HELLO_UNMASKED = bytes.fromhex("810548656c6c6f")
    HELLO_MASKED = bytes.fromhex("818537fa213d7f9f4d5158")
    HEL = bytes.fromhex("010348656c")
    LO = bytes.fromhex("80026c6f")
    PING = bytes.fromhex("890548656c6c6f")
    PONG = bytes.fromhex("8a8537fa213d7f9f4d5158")
    BINARY_256 = bytes.fromhex("827e0100") + bytes(range(256))
    BINARY_64K = bytes.fromhex("827f0000000000010000") + bytes(range(256)) * 256

    def test_unmasked_text(self) -> None:
        frame = Frame(True, OP_TEXT, b"Hello")
        assert read_both(self.HELLO_UNMASKED, mask=False) == frame
        assert frame.serialize(mask=False) == self.HELLO_UNMASKED

    def test_masked_text(self, fixed_mask: None) -> None:
        frame = Frame(True, OP_TEXT, b"Hello")
        assert read_both(self.HELLO_MASKED, mask=True) == frame
        assert frame.serialize(mask=True) == self.HELLO_MASKED

    def test_fragmented_unmasked_text(self) -> None:
        first, last = Frame(False, OP_TEXT, b"Hel"), Frame(True, OP_CONT, b"lo")
        assert read_both(self.HEL, mask=False) == first
        assert read_both(self.LO, mask=False) == last
        assert parse(self.HEL + self.LO, mask=False, chunk_size=1) == [first, last]
        assert first.serialize(mask=False) == self.HEL
        assert last.serialize(mask=False) == self.LO

    def test_unmasked_ping(self) -> None:
        frame = Frame(True, OP_PING, b"Hello")
        assert read_both(self.PING, mask=False) == frame
        assert frame.serialize(mask=False) == self.PING

    def test_masked_pong(self, fixed_mask: None) -> None:
        frame = Frame(True, OP_PONG, b"Hello")
        assert read_both(self.PONG, mask=True) == frame
        assert frame.serialize(mask=True) == self.PONG

    def test_256_bytes_binary(self) -> None:
        frame = Frame(True, OP_BINARY, bytes(range(256)))
        assert read_both(self.BINARY_256, mask=False) == frame
        assert frame.serialize(mask=False) == self.BINARY_256

    def test_64_kib_binary(self) -> None:
        frame = Frame(True, OP_BINARY, bytes(range(256)) * 256)
        assert read(self.BINARY_64K, mask=False) == frame
        for chunk_size in [None, 1000, 4095, 4096, 65536]:
            assert parse(self.BINARY_64K, mask=False, chunk_size=chunk_size) == [frame]
        assert frame.serialize(mask=False) == self.BINARY_64K


@pytest.mark.usefixtures("masking")
class TestFrameRead:
    def test_frame_fields(self) -> None:
        frame = read(b"\x02\x03abc", mask=False)
        assert frame == Frame(False, OP_BINARY, b"abc")
        assert frame.fin is False and frame.opcode == 2 and frame.data == b"abc"
        assert type(frame.data) is bytes
        assert (frame.rsv1, frame.rsv2, frame.rsv3) == (False, False, False)

    def test_empty_payload_does_not_read(self) -> None:
        reader = BytesReader(b"\x8a\x00")
        frame = run(Frame.read(reader, mask=False))
        assert frame == Frame(True, OP_PONG, b"")
        assert reader.requests == [2]

    def test_requests(self) -> None:
        reader = BytesReader(bytes.fromhex("818537fa213d7f9f4d5158"))
        run(Frame.read(reader, mask=True))
        assert reader.requests == [2, 4, 5]

    @pytest.mark.parametrize(
        ("header", "length"),
        [
            (b"\x82\x7e\x00\x05", 5),
            (b"\x82\x7f\x00\x00\x00\x00\x00\x00\x00\x05", 5),
            (b"\x82\x7e\x00\x7e", 126),
            (b"\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 65536),
        ],
    )
    def test_non_minimal_length_accepted(self, header: bytes, length: int) -> None:
        data = bytes(length)
        assert read_both(header + data, mask=False) == Frame(True, OP_BINARY, data)

    async def test_stream_reader(self) -> None:
        stream = asyncio.StreamReader()
        stream.feed_data(bytes.fromhex("818537fa213d7f9f4d5158"))
        stream.feed_data(b"\x89\x00")
        stream.feed_eof()
        assert await Frame.read(stream.readexactly, mask=True) == (
            Frame(True, OP_TEXT, b"Hello")
        )
        with pytest.raises(ProtocolError, match="incorrect masking"):
            await Frame.read(stream.readexactly, mask=True)

    async def test_stream_reader_eof(self) -> None:
        stream = asyncio.StreamReader()
        stream.feed_data(b"\x81\x05Hel")
        stream.feed_eof()
        with pytest.raises(asyncio.IncompleteReadError):
            await Frame.read(stream.readexactly, mask=False)

    @pytest.mark.parametrize(
        "data", [b"", b"\x81", b"\x81\x7e\x00", b"\x81\x85\x00\x00", b"\x81\x05Hel"]
    )
    def test_eof(self, data: bytes) -> None:
        with pytest.raises(asyncio.IncompleteReadError):
            run(Frame.read(BytesReader(data), mask=data[1:2] == b"\x85"))

    @pytest.mark.parametrize(
        ("data", "match"),
        [
            (b"", "inside a frame header"),
            (b"\x81", "inside a frame header"),
            (b"\x81\x7e\x00", "inside a frame header"),
            (b"\x81\x05Hel", "inside a frame payload"),
        ],
    )
    def test_short_reader(self, data: bytes, match: str) -> None:
        reader = BytesReader(data, short=True)
        with pytest.raises(EOFError, match=match):
            run(Frame.read(reader, mask=False))

    def test_payload_too_big_before_reading_payload(self) -> None:
        reader = BytesReader(b"\x82\x7e\x01\x00" + bytes(256))
        with pytest.raises(PayloadTooBig, match=r"\(256 > 255 bytes\)"):
            run(Frame.read(reader, mask=False, max_size=255))
        assert reader.requests == [2, 2]

    def test_max_size_is_inclusive(self) -> None:
        data = b"\x82\x7e\x01\x00" + bytes(256)
        assert read_both(data, mask=False, max_size=256).data == bytes(256)

    def test_invalid_frame_before_reading_payload(self) -> None:
        reader = BytesReader(b"\x83\x05Hello")
        with pytest.raises(ProtocolError, match="invalid opcode: 3"):
            run(Frame.read(reader, mask=False))
        assert reader.requests == [2]


@pytest.mark.usefixtures("masking")
class TestErrors:
    """Every invalid frame, rejected by both drivers."""

    @pytest.mark.parametrize("opcode", [3, 4, 5, 6, 7, 11, 12, 13, 14, 15])
    def test_invalid_opcode(self, opcode: int) -> None:
        data = bytes([0x80 | opcode, 0x00])
        raises_both(ProtocolError, f"invalid opcode: {opcode}", data, mask=False)

    @pytest.mark.parametrize("opcode", CTRL_OPCODES)
    def test_fragmented_control_frame(self, opcode: int) -> None:
        data = bytes([opcode, 0x00])
        raises_both(ProtocolError, "fragmented control frame", data, mask=False)

    @pytest.mark.parametrize("opcode", CTRL_OPCODES)
    @pytest.mark.parametrize("length_byte", [126, 127])
    def test_control_frame_too_long(self, opcode: int, length_byte: int) -> None:
        data = bytes([0x80 | opcode, length_byte]) + bytes(200)
        raises_both(ProtocolError, "control frame too long", data, mask=False)

    @pytest.mark.parametrize("rsv", [0x40, 0x20, 0x10, 0x70])
    def test_reserved_bits(self, rsv: int) -> None:
        data = bytes([0x81 | rsv, 0x00])
        raises_both(ProtocolError, "reserved bits must be 0", data, mask=False)

    def test_unmasked_frame_on_server(self) -> None:
        raises_both(ProtocolError, "incorrect masking", b"\x81\x00", mask=True)

    def test_masked_frame_on_client(self) -> None:
        data = b"\x81\x80" + MASK
        raises_both(ProtocolError, "incorrect masking", data, mask=False)

    def test_64_bit_length_with_most_significant_bit(self) -> None:
        data = b"\x82\x7f\x80" + bytes(7)
        raises_both(ProtocolError, "invalid payload length", data, mask=False)

    @pytest.mark.parametrize("length", [126, 65535, 65536, 1 << 40])
    def test_payload_too_big(self, length: int) -> None:
        if length < 65536:
            data = b"\x82\xfe" + struct.pack("!H", length) + MASK
        else:
            data = b"\x82\xff" + struct.pack("!Q", length) + MASK
        raises_both(PayloadTooBig, "exceeds size limit", data, mask=True, max_size=125)

    def test_payload_too_big_zero(self) -> None:
        raises_both(
            PayloadTooBig, r"\(1 > 0 bytes\)", b"\x82\x01a", mask=False, max_size=0
        )


@pytest.mark.usefixtures("masking")
class TestEarlyErrors:
    """FrameParser rejects bad headers without waiting for the payload."""

    @pytest.mark.parametrize(
        ("head", "mask", "error", "match"),
        [
            (b"\x83\x7f", False, ProtocolError, "invalid opcode"),
            (b"\x09\x05", False, ProtocolError, "fragmented control frame"),
            (b"\x89\x7e", False, ProtocolError, "control frame too long"),
            (b"\x82\x7e", True, ProtocolError, "incorrect masking"),
            (b"\x82\xfe", False, ProtocolError, "incorrect masking"),
        ],
    )
    def test_two_bytes(
        self, head: bytes, mask: bool, error: Type[Exception], match: str
    ) -> None:
        parser = FrameParser(mask=mask)
        parser.feed(head[:1])
        assert parser.next_frame() is None
        parser.feed(head[1:])
        with pytest.raises(error, match=match):
            parser.next_frame()

    def test_payload_too_big_before_payload(self) -> None:
        parser = FrameParser(mask=False, max_size=1000)
        parser.feed(b"\x82\x7e\x03")
        assert parser.next_frame() is None
        parser.feed(b"\xe9")
        with pytest.raises(PayloadTooBig, match=r"\(1001 > 1000 bytes\)"):
            parser.next_frame()

    def test_reserved_bits_after_payload(self) -> None:
        # Reserved bits may be cleared by an extension: they're checked
        # once the whole frame is there.
        parser = FrameParser(mask=False)
        parser.feed(b"\xc1\x05Hel")
        assert parser.next_frame() is None
        parser.feed(b"lo")
        with pytest.raises(ProtocolError, match="reserved bits must be 0"):
            parser.next_frame()


class TestFrameCheck:
    @pytest.mark.parametrize("opcode", DATA_OPCODES)
    def test_data_frames(self, opcode: int) -> None:
        Frame(False, opcode, bytes(1000)).check()
        Frame(True, opcode, b"").check()

    @pytest.mark.parametrize("opcode", CTRL_OPCODES)
    def test_control_frames(self, opcode: int) -> None:
        Frame(True, opcode, bytes(125)).check()
        with pytest.raises(ProtocolError, match="control frame too long"):
            Frame(True, opcode, bytes(126)).check()
        with pytest.raises(ProtocolError, match="fragmented control frame"):
            Frame(False, opcode, b"").check()

    @pytest.mark.parametrize("field", ["rsv1", "rsv2", "rsv3"])
    def test_reserved_bits(self, field: str) -> None:
        frame = Frame(True, OP_TEXT, b"", **{field: True})
        with pytest.raises(ProtocolError, match="reserved bits must be 0"):
            frame.check()

    @pytest.mark.parametrize("opcode", [3, 7, 11, 15, 16, -1])
    def test_invalid_opcode(self, opcode: int) -> None:
        with pytest.raises(ProtocolError, match=f"invalid opcode: {opcode}"):
            Frame(True, opcode, b"").check()


@pytest.mark.usefixtures("masking")
class TestFrameWrite:
    def test_defaults(self) -> None:
        frame = Frame(True, OP_TEXT, b"x")
        assert (frame.rsv1, frame.rsv2, frame.rsv3) == (False, False, False)
        assert Frame._fields == ("fin", "opcode", "data", "rsv1", "rsv2", "rsv3")

    def test_single_write_call(self) -> None:
        writes: List[bytes] = []
        Frame(True, OP_BINARY, bytes(100_000)).write(writes.append, mask=True)
        assert len(writes) == 1
        assert len(writes[0]) == 14 + 100_000
        frame = Frame(True, OP_TEXT, b"Hello")
        frame.write(writes.append, mask=False)
        assert writes[1] == bytes.fromhex("810548656c6c6f")

    @pytest.mark.parametrize(
        ("length", "header"),
        [
            (0, b"\x82\x00"),
            (125, b"\x82\x7d"),
            (126, b"\x82\x7e\x00\x7e"),
            (65535, b"\x82\x7e\xff\xff"),
            (65536, b"\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00"),
        ],
    )
    def test_minimal_length_encoding(self, length: int, header: bytes) -> None:
        data = Frame(True, OP_BINARY, bytes(length)).serialize(mask=False)
        assert data == header + bytes(length)

    def test_bits(self) -> None:
        frame = Frame(False, OP_CONT, b"", rsv1=True, rsv2=True, rsv3=True)
        assert frame._replace(rsv1=False, rsv2=False, rsv3=False).serialize(
            mask=False
        ) == (b"\x00\x00")
        with pytest.raises(ProtocolError, match="reserved bits must be 0"):
            frame.serialize(mask=False)

    def test_fresh_mask_per_frame(self) -> None:
        frame = Frame(True, OP_BINARY, bytes(8))
        keys = {frame.serialize(mask=True)[2:6] for _ in range(20)}
        assert len(keys) == 20

    def test_masked_payload(self) -> None:
        data = Frame(True, OP_BINARY, b"abcdefgh").serialize(mask=True)
        key = data[2:6]
        assert data[1] == 0x88
        assert data[6:] == utils._apply_mask_py(b"abcdefgh", key)

    @pytest.mark.parametrize("kind", [bytearray, memoryview])
    def test_bytes_like_payload(self, kind: type, fixed_mask: None) -> None:
        frame = Frame(True, OP_BINARY, kind(b"Hello"))
        assert frame.serialize(mask=False) == b"\x82\x05Hello"
        assert frame.serialize(mask=True) == (
            b"\x82\x85" + MASK + bytes.fromhex("7f9f4d5158")
        )

    def test_invalid_frames(self) -> None:
        writes: List[bytes] = []
        with pytest.raises(ProtocolError, match="control frame too long"):
            Frame(True, OP_PING, bytes(126)).write(writes.append, mask=False)
        with pytest.raises(ProtocolError, match="fragmented control frame"):
            Frame(False, OP_CLOSE, b"").write(writes.append, mask=True)
        with pytest.raises(ProtocolError, match="invalid opcode"):
            Frame(True, 5, b"").write(writes.append, mask=False)
        assert writes == []


class Reverse(Extension):
    """Fake extension that owns RSV1 and reverses payloads of data frames."""

    name = "x-reverse"  # type: ignore[assignment]

    def __init__(self) -> None:
        self.max_sizes: List[Optional[int]] = []

    __slots__ = ("max_sizes",)

    def encode(self, frame: Frame) -> Frame:
        if frame.opcode in CTRL_OPCODES:
            return frame
        return frame._replace(data=frame.data[::-1], rsv1=True)

    def decode(self, frame: Frame, *, max_size: Optional[int] = None) -> Frame:
        self.max_sizes.append(max_size)
        if not frame.rsv1:
            return frame
        return frame._replace(data=frame.data[::-1], rsv1=False)


class Tag(Extension):
    """Fake extension that appends a tag on encode and strips it on decode."""

    __slots__ = ("tag",)

    def __init__(self, tag: bytes) -> None:
        self.tag = tag

    def encode(self, frame: Frame) -> Frame:
        return frame._replace(data=bytes(frame.data) + self.tag)

    def decode(self, frame: Frame, *, max_size: Optional[int] = None) -> Frame:
        if not frame.data.endswith(self.tag):
            raise ProtocolError(f"missing tag {self.tag!r}")
        return frame._replace(data=frame.data[: -len(self.tag)])


@pytest.mark.usefixtures("masking")
class TestExtensions:
    def test_encode_in_order_decode_in_reverse(self) -> None:
        extensions = [Tag(b"A"), Tag(b"B")]
        data = Frame(True, OP_TEXT, b"x").serialize(mask=False, extensions=extensions)
        assert data == b"\x81\x03xAB"
        frame = read_both(data, mask=False, extensions=extensions)
        assert frame == Frame(True, OP_TEXT, b"x")
        # The wrong order fails.
        raises_both(
            ProtocolError,
            "missing tag b'A'",
            data,
            mask=False,
            extensions=extensions[::-1],
        )

    def test_extension_clears_reserved_bit(self) -> None:
        extension = Reverse()
        data = Frame(True, OP_BINARY, b"abc").serialize(
            mask=True, extensions=[extension]
        )
        assert data[0] == 0xC2
        frame = read(data, mask=True, extensions=[extension], max_size=10)
        assert frame == Frame(True, OP_BINARY, b"abc")
        frames = parse(
            data, mask=True, extensions=[extension], max_size=10, chunk_size=2
        )
        assert frames == [frame]
        assert extension.max_sizes == [10, 10]
        # Without the extension, RSV1 is a protocol error.
        raises_both(ProtocolError, "reserved bits must be 0", data, mask=True)

    def test_check_after_decode(self) -> None:
        class SetRsv2(Extension):
            def decode(self, frame: Frame, *, max_size: Optional[int] = None) -> Frame:
                return frame._replace(rsv2=True)

        raises_both(
            ProtocolError,
            "reserved bits must be 0",
            b"\x81\x00",
            mask=False,
            extensions=[SetRsv2()],
        )

    def test_check_before_encode(self) -> None:
        # Like websockets 8.1: the frame is checked before extensions run,
        # since they may set reserved bits (RSV1 for permessage-deflate).
        class Unfragment(Extension):
            def encode(self, frame: Frame) -> Frame:
                raise AssertionError("not reached")  # pragma: no cover

        with pytest.raises(ProtocolError, match="fragmented control frame"):
            Frame(False, OP_PING, b"").serialize(mask=False, extensions=[Unfragment()])
        data = Frame(True, OP_TEXT, b"ab").serialize(mask=False, extensions=[Reverse()])
        assert data == b"\xc1\x02ba"

    def test_extensions_set_after_creation(self) -> None:
        parser = FrameParser(mask=False)
        assert parser.extensions == []
        parser.extensions = [Reverse()]
        parser.feed(b"\xc2\x03cba\x89\x01p")
        assert parser.next_frame() == Frame(True, OP_BINARY, b"abc")
        assert parser.next_frame() == Frame(True, OP_PING, b"p")
        assert parser.next_frame() is None

    def test_extensions_copied(self) -> None:
        extensions = [Tag(b"A")]
        parser = FrameParser(mask=False, extensions=extensions)
        assert parser.extensions == extensions
        assert parser.extensions is not extensions


@pytest.mark.usefixtures("masking")
class TestFrameParserModule:
    """FrameParser lives in websockets.frame_parser; framing re-exports it."""

    def test_reexported_by_framing(self) -> None:
        assert framing.FrameParser is frame_parser.FrameParser
        assert "FrameParser" in framing.__all__

    def test_star_import_from_framing(self) -> None:
        namespace: dict[str, Any] = {}
        exec("from websockets.framing import *", namespace)
        assert namespace["FrameParser"] is frame_parser.FrameParser

    def test_either_module_imports_first(self) -> None:
        # frame_parser imports framing: importing frame_parser first, in a
        # fresh interpreter, must not hit a circular import.
        for first, second in [
            ("frame_parser", "framing"),
            ("framing", "frame_parser"),
        ]:
            code = (
                f"import websockets.{first}, websockets.{second}, sys; "
                "from websockets.framing import FrameParser; "
                "assert FrameParser is sys.modules["
                "'websockets.frame_parser'].FrameParser"
            )
            subprocess.run([sys.executable, "-c", code], check=True)

    def test_unknown_attribute(self) -> None:
        with pytest.raises(AttributeError, match="has no attribute 'NoSuchName'"):
            framing.NoSuchName  # type: ignore[attr-defined]  # noqa: B018


class TestFrameParser:
    def test_initial_state(self) -> None:
        parser = FrameParser(mask=True)
        assert parser.mask is True
        assert parser.max_size is None
        assert parser.buffered() == 0
        assert parser.next_frame() is None

    def test_mask_is_normalized(self) -> None:
        parser = FrameParser(mask=1)  # type: ignore[arg-type]
        parser.feed(b"\x81\x80" + MASK)
        assert parser.next_frame() == Frame(True, OP_TEXT, b"")

    def test_feed_empty(self) -> None:
        parser = FrameParser(mask=False)
        parser.feed(b"")
        parser.feed(b"\x81")
        parser.feed(b"")
        assert parser.buffered() == 1
        parser.feed(b"\x00")
        assert parser.next_frame() == Frame(True, OP_TEXT, b"")

    def test_feed_copies_mutable_buffers(self) -> None:
        parser = FrameParser(mask=False)
        buffer = bytearray(b"\x81\x02hi")
        parser.feed(buffer)
        buffer[2:4] = b"XX"
        parser.feed(memoryview(b"\x81\x02ho"))
        parser.feed(memoryview(b"\x81\x02hu!")[::1])
        assert parser.next_frame() == Frame(True, OP_TEXT, b"hi")
        assert parser.next_frame() == Frame(True, OP_TEXT, b"ho")
        assert parser.next_frame() == Frame(True, OP_TEXT, b"hu")
        assert parser.next_frame() is None
        assert parser.buffered() == 1

    def test_buffered(self) -> None:
        parser = FrameParser(mask=False)
        parser.feed(b"\x82\x7e\x10\x00")
        assert parser.buffered() == 4
        parser.feed(bytes(4000))
        parser.feed(bytes(10))
        assert parser.buffered() == 4014
        assert parser.next_frame() is None
        assert parser.buffered() == 4014
        parser.feed(bytes(100) + b"\x81")
        assert parser.next_frame() == Frame(True, OP_BINARY, bytes(4096))
        assert parser.buffered() == 15
        # 14 zero bytes are 7 empty continuation frames.
        assert parser.next_frame() == Frame(False, OP_CONT, b"")

    def test_max_size_changes_between_frames(self) -> None:
        parser = FrameParser(mask=False, max_size=5)
        parser.feed(b"\x01\x05Hello\x80\x05World")
        assert parser.next_frame() == Frame(False, OP_TEXT, b"Hello")
        parser.max_size = 4
        with pytest.raises(PayloadTooBig, match=r"\(5 > 4 bytes\)"):
            parser.next_frame()
        parser.max_size = None
        assert parser.next_frame() == Frame(True, OP_CONT, b"World")

    def test_large_frame_in_chunks(self) -> None:
        payload = bytes(range(256)) * 4096
        data = Frame(True, OP_BINARY, payload).serialize(mask=True)
        data += Frame(True, OP_TEXT, b"next").serialize(mask=True)
        parser = FrameParser(mask=True, max_size=1 << 20)
        frames = []
        for i in range(0, len(data), 65536):
            parser.feed(data[i : i + 65536])
            while (frame := parser.next_frame()) is not None:
                frames.append(frame)
        assert frames == [
            Frame(True, OP_BINARY, payload),
            Frame(True, OP_TEXT, b"next"),
        ]

    @pytest.mark.parametrize("split", range(1, 16))
    def test_header_split(self, split: int) -> None:
        # A frame whose 14-byte header is cut at every position, after a
        # frame that fills the start of the first chunk.
        first = Frame(True, OP_TEXT, b"first").serialize(mask=True)
        second = Frame(True, OP_BINARY, bytes(70000)).serialize(mask=True)
        data = first + second + first
        cut = len(first) + split
        for tail in [5000, 70050]:
            parser = FrameParser(mask=True)
            parser.feed(data[:cut])
            parser.feed(data[cut : cut + tail])
            parser.feed(data[cut + tail :])
            frames = []
            while (frame := parser.next_frame()) is not None:
                frames.append(frame)
            assert [frame.data for frame in frames] == [
                b"first",
                bytes(70000),
                b"first",
            ]
            assert parser.buffered() == 0

    def test_frame_ends_exactly_at_chunk_end(self) -> None:
        data = Frame(True, OP_BINARY, bytes(10000)).serialize(mask=False)
        parser = FrameParser(mask=False)
        parser.feed(data[:5000])
        parser.feed(data[5000:])
        parser.feed(b"\x81\x01a")
        assert parser.next_frame() == Frame(True, OP_BINARY, bytes(10000))
        assert parser.next_frame() == Frame(True, OP_TEXT, b"a")
        assert parser.next_frame() is None

    def test_frame_ends_in_small_chunks(self) -> None:
        data = Frame(True, OP_BINARY, bytes(10000)).serialize(mask=True)
        data += Frame(True, OP_TEXT, b"a").serialize(mask=True)
        parser = FrameParser(mask=True)
        parser.feed(data[:6000])
        for byte in data[6000:]:
            parser.feed(bytes([byte]))
        assert parser.buffered() == len(data)
        assert parser.next_frame() == Frame(True, OP_BINARY, bytes(10000))
        assert parser.next_frame() == Frame(True, OP_TEXT, b"a")
        assert parser.next_frame() is None
        assert parser.buffered() == 0

    def test_chunks_after_consumed_buffer(self) -> None:
        parser = FrameParser(mask=False)
        parser.feed(b"\x81\x01a")
        parser.feed(b"\x81\x01b")
        parser.feed(b"\x81\x01c" + bytes(5000))
        assert parser.next_frame() == Frame(True, OP_TEXT, b"a")
        assert parser.next_frame() == Frame(True, OP_TEXT, b"b")
        assert parser.next_frame() == Frame(True, OP_TEXT, b"c")
        assert parser.buffered() == 5000

    def test_error_is_sticky(self) -> None:
        parser = FrameParser(mask=False)
        parser.feed(b"\x81\x01a\x83\x00")
        assert parser.next_frame() == Frame(True, OP_TEXT, b"a")
        for _ in range(2):
            with pytest.raises(ProtocolError):
                parser.next_frame()

    def test_pathological_trickle_memory(self) -> None:
        # Many one-byte chunks are coalesced: few objects are retained.
        parser = FrameParser(mask=False)
        parser.feed(b"\x82\x7e\x27\x10")
        for _ in range(9999):
            parser.feed(b"\x00")
        assert len(parser._chunks) <= 3
        parser.feed(b"\x00")
        assert parser.next_frame() == Frame(True, OP_BINARY, bytes(10000))


class TestDecodeHeader:
    def test_incomplete(self) -> None:
        assert decode_header(b"\x81\x85\x00", 0, 3, True, None) == (6, -1)
        assert decode_header(b"\x81\x7e", 0, 2, False, None) == (4, -1)
        assert decode_header(b"\x81\xfe\x00\x00", 0, 4, True, None) == (8, -1)
        assert decode_header(b"\x81\x7f", 0, 2, False, None) == (10, -1)
        assert decode_header(b"\x81\xff", 0, 2, True, None) == (14, -1)

    def test_offsets(self) -> None:
        buffer = b"xx\x81\x7e\x01\x00"
        assert decode_header(buffer, 2, 6, False, None) == (4, 256)
        assert decode_header(bytearray(buffer), 2, 6, False, 256) == (4, 256)


class TestPrepareData:
    def test_str(self) -> None:
        assert prepare_data("café") == (OP_TEXT, "café".encode())

    def test_bytes(self) -> None:
        data = b"tea"
        opcode, result = prepare_data(data)
        assert opcode == OP_BINARY and result is data

    def test_bytearray(self) -> None:
        data = bytearray(b"tea")
        opcode, result = prepare_data(data)
        assert opcode == OP_BINARY and result is data

    def test_memoryview(self) -> None:
        data = memoryview(b"tea")
        opcode, result = prepare_data(data)
        assert opcode == OP_BINARY and result is data

    def test_non_contiguous_memoryview(self) -> None:
        opcode, result = prepare_data(memoryview(b"tteeaa")[::2])
        assert opcode == OP_BINARY and result == b"tea" and type(result) is bytes

    def test_multi_byte_format_memoryview(self) -> None:
        data = array.array("h", [1, 2])
        opcode, result = prepare_data(memoryview(data))
        assert opcode == OP_BINARY
        assert isinstance(result, memoryview) and len(result) == 4
        assert bytes(result) == data.tobytes()
        frame = Frame(True, opcode, result)  # type: ignore[arg-type]
        assert frame.serialize(mask=False) == b"\x82\x04" + data.tobytes()

    @pytest.mark.parametrize("data", [None, 42, ["tea"], array.array("B", b"x")])
    def test_invalid_type(self, data: Any) -> None:
        with pytest.raises(TypeError, match="data must be bytes-like or str"):
            prepare_data(data)


class TestEncodeData:
    def test_str(self) -> None:
        assert encode_data("café") == "café".encode()

    @pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
    def test_bytes_like(self, kind: Callable[[bytes], Any]) -> None:
        result = encode_data(kind(b"tea"))
        assert result == b"tea" and type(result) is bytes

    def test_non_contiguous_memoryview(self) -> None:
        assert encode_data(memoryview(b"tteeaa")[::2]) == b"tea"

    @pytest.mark.parametrize("data", [None, 42, ["tea"]])
    def test_invalid_type(self, data: Any) -> None:
        with pytest.raises(TypeError, match="data must be bytes-like or str"):
            encode_data(data)


VALID_CLOSE_CODES = [*range(1000, 1004), *range(1007, 1015), *range(3000, 5000)]


class TestClose:
    def test_parse_empty(self) -> None:
        assert parse_close(b"") == (1005, "")

    def test_parse(self) -> None:
        assert parse_close(b"\x03\xe8") == (1000, "")
        assert parse_close(b"\x03\xe9bye") == (1001, "bye")
        assert parse_close(b"\x0f\xa0caf\xc3\xa9") == (4000, "café")

    def test_parse_too_short(self) -> None:
        with pytest.raises(ProtocolError, match="close frame too short"):
            parse_close(b"\x03")

    def test_parse_invalid_utf8(self) -> None:
        with pytest.raises(UnicodeDecodeError):
            parse_close(b"\x03\xe8\xff")

    def test_serialize(self) -> None:
        assert serialize_close(1000, "") == b"\x03\xe8"
        assert serialize_close(4000, "café") == b"\x0f\xa0caf\xc3\xa9"

    def test_code_validity(self) -> None:
        valid = set(VALID_CLOSE_CODES)
        for code in range(65536):
            payload = struct.pack("!H", code)
            if code in valid:
                assert parse_close(payload) == (code, "")
                assert serialize_close(code, "") == payload
            else:
                with pytest.raises(ProtocolError, match="invalid status code"):
                    parse_close(payload)
                with pytest.raises(ProtocolError, match="invalid status code"):
                    serialize_close(code, "")

    @pytest.mark.parametrize("code", [1004, 1005, 1006, 1015, 1016, 2999, 5000])
    def test_invalid_codes_on_the_wire(self, code: int) -> None:
        with pytest.raises(ProtocolError, match="invalid status code"):
            serialize_close(code, "")

    @given(st.sampled_from(VALID_CLOSE_CODES), st.text())
    def test_round_trip(self, code: int, reason: str) -> None:
        assert parse_close(serialize_close(code, reason)) == (code, reason)

    @given(st.binary())
    def test_parse_arbitrary(self, data: bytes) -> None:
        try:
            code, reason = parse_close(data)
        except (ProtocolError, UnicodeDecodeError):
            return
        if data:
            assert serialize_close(code, reason) == data
        else:
            assert (code, reason) == (1005, "")


# Property tests.

PATTERN = bytes(range(256))


def payload_of(length: int) -> bytes:
    return (PATTERN * (length // 256 + 1))[:length]


payloads = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([125, 126, 127, 65535, 65536, 70000]).map(payload_of),
)


@st.composite
def valid_frames(draw: st.DrawFn) -> Frame:
    opcode = draw(st.sampled_from(DATA_OPCODES + CTRL_OPCODES))
    if opcode in CTRL_OPCODES:
        return Frame(True, opcode, draw(st.binary(max_size=125)))
    return Frame(draw(st.booleans()), opcode, draw(payloads))


@st.composite
def chunked(draw: st.DrawFn, data: bytes) -> List[bytes]:
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=20)))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:])]


@pytest.mark.usefixtures("masking")
class TestProperties:
    @given(valid_frames(), st.booleans())
    def test_round_trip(self, frame: Frame, mask: bool) -> None:
        data = frame.serialize(mask=mask)
        assert read(data, mask=mask) == frame
        assert parse(data, mask=mask) == [frame]

    @given(st.lists(valid_frames(), max_size=5), st.booleans(), st.data())
    def test_round_trip_stream(
        self, frames: List[Frame], mask: bool, data: st.DataObject
    ) -> None:
        stream = b"".join(frame.serialize(mask=mask) for frame in frames)
        parser = FrameParser(mask=mask)
        received = []
        for chunk in data.draw(chunked(stream)):
            parser.feed(chunk)
            while (frame := parser.next_frame()) is not None:
                received.append(frame)
                # drained may only be True when nothing is left.
                assert not parser.drained or parser.buffered() == 0
        assert received == frames
        assert parser.buffered() == 0

    @given(st.lists(valid_frames(), min_size=1, max_size=5), st.booleans())
    def test_drained_after_the_last_frame_of_a_chunk(
        self, frames: List[Frame], mask: bool
    ) -> None:
        # Received in one chunk: drained after the last frame, not before.
        parser = FrameParser(mask=mask)
        parser.feed(b"".join(frame.serialize(mask=mask) for frame in frames))
        drained = []
        while parser.next_frame() is not None:
            drained.append(parser.drained)
        assert drained == [False] * (len(frames) - 1) + [True]
        # Feeding more bytes clears it, even an incomplete header.
        parser.feed(b"")
        assert parser.drained
        parser.feed(b"\x81")
        assert not parser.drained
        assert parser.next_frame() is None
        assert not parser.drained

    @given(
        st.lists(
            valid_frames().filter(lambda frame: len(frame.data) < 1000), max_size=5
        ),
        st.booleans(),
    )
    def test_byte_by_byte_same_as_at_once(
        self, frames: List[Frame], mask: bool
    ) -> None:
        stream = b"".join(frame.serialize(mask=mask) for frame in frames)
        assert parse(stream, mask=mask, chunk_size=1) == parse(stream, mask=mask)

    @given(
        st.binary(max_size=200),
        st.booleans(),
        st.one_of(st.none(), st.integers(0, 300)),
    )
    def test_read_arbitrary_bytes(
        self, data: bytes, mask: bool, max_size: Optional[int]
    ) -> None:
        reader = BytesReader(data)
        while True:
            try:
                run(Frame.read(reader, mask=mask, max_size=max_size))
            except (ProtocolError, PayloadTooBig, asyncio.IncompleteReadError):
                break

    @given(st.binary(max_size=200), st.booleans(), st.data())
    def test_parse_arbitrary_bytes(
        self, data: bytes, mask: bool, draw: st.DataObject
    ) -> None:
        max_size = draw.draw(st.one_of(st.none(), st.integers(0, 300)))
        parser = FrameParser(mask=mask, max_size=max_size)
        frames = []
        try:
            for chunk in draw.draw(chunked(data)):
                parser.feed(chunk)
                while (frame := parser.next_frame()) is not None:
                    frames.append(frame)
                    assert not parser.drained or parser.buffered() == 0
        except (ProtocolError, PayloadTooBig):
            return
        # Whatever was parsed, Frame.read parses the same.
        reader = BytesReader(data)
        for frame in frames:
            assert run(Frame.read(reader, mask=mask, max_size=max_size)) == frame
        assert parser.buffered() == len(data) - reader.pos
