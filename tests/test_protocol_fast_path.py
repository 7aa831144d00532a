"""data_received()'s fast path for a chunk holding one unfragmented data frame
must behave exactly like the frame parser's path: a differential test feeds the
same bytes to a connection with the fast path and to one without it."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, List, Optional, Tuple

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frame_parser import FrameParser
from websockets.framing import OP_BINARY, OP_CONT, OP_PING, OP_PONG, OP_TEXT
from websockets.protocol import WebSocketCommonProtocol
from websockets.utils import _frame_bytes_py

from .protocol_helpers import FakeTransport, make_protocol, open_protocol, peer_frame

MASK = bytes.fromhex("37fa213d")

speedups = pytest.importorskip("websockets.speedups")

# (first byte, payload) of frames a peer may send, valid or not: FIN or not,
# RSV1 sometimes, any opcode including reserved ones, payloads that aren't
# UTF-8 or are too long for a control frame or for max_size.
frame_specs = st.one_of(
    st.tuples(
        st.builds(
            lambda fin, rsv1, opcode: fin | rsv1 | opcode,
            st.sampled_from([0x80, 0x80, 0x00]),
            st.sampled_from([0x00, 0x00, 0x00, 0x40]),
            st.sampled_from([OP_TEXT, OP_BINARY, OP_CONT, OP_PING, OP_PONG, 0x3]),
        ),
        st.sampled_from([b"", b"hello", "café".encode(), b"\xff\xfe", b"x" * 200]),
    ),
    # Close frames, valid or not (too short, reserved code, bad UTF-8).
    st.tuples(
        st.sampled_from([0x88, 0x88, 0x08, 0xC8]),
        st.sampled_from(
            [b"", b"\x03\xe8", b"\x03\xe8bye", b"\x03", b"\x03\xed", b"\x03\xe8\xff"]
        ),
    ),
)


def observe(
    protocol: WebSocketCommonProtocol, transport: FakeTransport
) -> Tuple[Any, ...]:
    return (
        list(protocol.messages),
        transport.writes,
        protocol.state,
        protocol.close_code,
        transport.pause_reading_calls,
        transport.resume_reading_calls,
        protocol._pending_failure,
    )


async def run(
    frames: List[Tuple[int, bytes]],
    cuts: List[int],
    max_queue: Optional[int],
    reads: int,
    by_frame: bool,
    prefix: bytes,
    fast: bool,
) -> Tuple[Any, ...]:
    protocol, transport = open_protocol(max_queue=max_queue, max_size=150)
    if not fast:
        protocol._parse_frame = None
    # Masked, as a client sends them.
    encoded = [_frame_bytes_py(b0, payload, MASK) for b0, payload in frames]
    if by_frame:
        # One frame per chunk: what the fast path looks for.
        chunks = encoded
    else:
        data = b"".join(encoded)
        bounds = [0, *sorted(c % (len(data) + 1) for c in cuts), len(data)]
        chunks = [data[a:b] for a, b in zip(bounds, bounds[1:])]
    for chunk in [prefix, *chunks]:
        if chunk:
            protocol.data_received(chunk)
    # Read some messages, which may resume reading.
    received = []
    for _ in range(reads):
        if not protocol.messages:
            break
        received.append(await protocol.recv())
    await asyncio.sleep(0)
    return (received, *observe(protocol, transport))


class TestDifferential:
    @settings(max_examples=300, deadline=None)
    # A data frame while a fragmented message is in progress: 1002.
    @example(
        frames=[(0x01, b"hello"), (0x81, b"hello")],
        cuts=[],
        max_queue=None,
        reads=0,
        by_frame=True,
        prefix=b"",
    )
    # The first fragment of a message isn't a message.
    @example(
        frames=[(0x02, b"hello")],
        cuts=[],
        max_queue=32,
        reads=0,
        by_frame=True,
        prefix=b"",
    )
    # Bytes before a whole frame in a chunk: they come first.
    @example(
        frames=[(0x81, b"hello")],
        cuts=[],
        max_queue=32,
        reads=0,
        by_frame=True,
        prefix=b"\x81",
    )
    # A close frame after a message, each in its chunk.
    @example(
        frames=[(0x81, b"hello"), (0x88, b"\x03\xe8")],
        cuts=[],
        max_queue=32,
        reads=0,
        by_frame=True,
        prefix=b"",
    )
    # An invalid close frame after a message.
    @example(
        frames=[(0x81, b"hello"), (0x88, b"\x03")],
        cuts=[],
        max_queue=32,
        reads=1,
        by_frame=True,
        prefix=b"",
    )
    # A full queue pauses reading.
    @example(
        frames=[(0x81, b"hello")] * 3,
        cuts=[],
        max_queue=2,
        reads=1,
        by_frame=True,
        prefix=b"",
    )
    @given(
        frames=st.lists(frame_specs, max_size=6),
        cuts=st.lists(st.integers(0, 10_000), max_size=6),
        max_queue=st.sampled_from([1, 2, 3, 32, None]),
        reads=st.integers(0, 3),
        by_frame=st.booleans(),
        # Bytes that don't make a whole frame, alone in the first chunk.
        prefix=st.sampled_from([b"", b"", b"\x81", b"\x82\x85"]),
    )
    def test_same_as_the_parser(
        self,
        frames: List[Tuple[int, bytes]],
        cuts: List[int],
        max_queue: Optional[int],
        reads: int,
        by_frame: bool,
        prefix: bytes,
    ) -> None:
        args = frames, cuts, max_queue, reads, by_frame, prefix
        assert asyncio.run(run(*args, fast=True)) == asyncio.run(run(*args, fast=False))


class FeedSpy:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        feed = FrameParser.feed

        def spy(parser: FrameParser, data: Any) -> None:
            self.calls += 1
            feed(parser, data)

        monkeypatch.setattr(FrameParser, "feed", spy)


async def test_one_frame_per_chunk_skips_the_parser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spy = FeedSpy(monkeypatch)
    protocol, _ = open_protocol()
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"hello"))
    protocol.data_received(peer_frame(protocol, OP_BINARY, b"world"))
    assert spy.calls == 0
    assert await protocol.recv() == "hello"
    assert await protocol.recv() == b"world"


async def test_two_frames_in_a_chunk_take_the_parser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spy = FeedSpy(monkeypatch)
    protocol, _ = open_protocol()
    frame = peer_frame(protocol, OP_TEXT, b"hello")
    protocol.data_received(frame + frame)
    assert spy.calls == 1
    assert list(protocol.messages) == ["hello", "hello"]


async def test_no_fast_path_with_extensions() -> None:
    protocol, _ = make_protocol()
    protocol.extensions = [PerMessageDeflate(False, False, 15, 15)]
    protocol.connection_open()
    assert protocol._parse_frame is None


async def test_no_fast_path_with_debug_logs() -> None:
    logger = logging.getLogger("test.fast_path")
    logger.setLevel(logging.DEBUG)
    protocol, _ = open_protocol(logger=logger)
    assert protocol._parse_frame is None
    # Same when a framework sets the logger once the connection is open.
    protocol, _ = open_protocol()
    assert protocol._parse_frame is not None
    quiet = logging.getLogger("test.fast_path_quiet")
    quiet.setLevel(logging.INFO)
    protocol.logger = quiet
    assert protocol._parse_frame is not None
    protocol.logger = logger
    assert protocol._parse_frame is None


async def test_no_fast_path_while_reading_is_paused() -> None:
    # A reply to a ping waits for the write buffer to drain: frames received
    # in the meantime wait in the parser, in order.
    protocol, transport = open_protocol()
    protocol.pause_writing()
    protocol.data_received(peer_frame(protocol, OP_PING, b"ping"))
    assert transport.pause_reading_calls == 1
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"after"))
    assert list(protocol.messages) == []
    protocol.resume_writing()
    assert list(protocol.messages) == ["after"]


async def test_no_message_once_the_connection_is_failing() -> None:
    # The application failed the connection: the peer's close frame is
    # awaited, data frames are dropped.
    protocol, _ = open_protocol()
    protocol.fail_connection(1011)
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"dropped"))
    assert list(protocol.messages) == []


async def test_whole_message_while_recv_streaming_waits() -> None:
    protocol, _ = open_protocol()

    async def consume() -> List[Any]:
        return [fragment async for fragment in protocol.recv_streaming()]

    task = asyncio.ensure_future(consume())
    await asyncio.sleep(0)
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"hello"))
    assert await asyncio.wait_for(task, 1) == ["hello"]
