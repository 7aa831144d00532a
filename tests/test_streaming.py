"""recv_streaming() and max_size=(message_limit, fragment_limit): fed with
bytes through a fake transport, then a 100 MB message over loopback."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, List

import pytest

from websockets.client import connect
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK
from websockets.framing import OP_BINARY, OP_CLOSE, OP_CONT, OP_TEXT, serialize_close
from websockets.server import serve

from .protocol_helpers import close_frames, open_protocol, peer_frame

SIDES = [pytest.param(False, id="server"), pytest.param(True, id="client")]


async def run_pending() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def collect(stream: AsyncIterator[Any]) -> List[Any]:
    return [chunk async for chunk in stream]


def feed(protocol: Any, opcode: int, data: bytes, fin: bool = True) -> None:
    protocol.data_received(peer_frame(protocol, opcode, data, fin=fin))


@pytest.mark.parametrize("is_client", SIDES)
async def test_fragments_as_they_arrive(is_client: bool) -> None:
    protocol, _ = open_protocol(is_client)
    stream = protocol.recv_streaming()
    first = asyncio.ensure_future(stream.__anext__())
    await run_pending()
    assert not first.done()
    feed(protocol, OP_BINARY, b"tea", fin=False)
    assert await first == b"tea"
    second = asyncio.ensure_future(stream.__anext__())
    await run_pending()
    assert not second.done()
    feed(protocol, OP_CONT, b"pot", fin=False)
    assert await second == b"pot"
    feed(protocol, OP_CONT, b"!")
    assert await stream.__anext__() == b"!"
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()
    # The message wasn't assembled.
    assert protocol.messages == []
    assert protocol._assembler is None


async def test_text_split_inside_a_character() -> None:
    protocol, _ = open_protocol()
    task = asyncio.ensure_future(collect(protocol.recv_streaming()))
    await run_pending()
    encoded = "café thé".encode()
    feed(protocol, OP_TEXT, encoded[:4], fin=False)  # "caf" + half of "é"
    feed(protocol, OP_CONT, encoded[4:], fin=True)
    chunks = await task
    assert chunks == ["caf", "é thé"]


async def test_message_already_received_is_one_chunk() -> None:
    protocol, _ = open_protocol()
    feed(protocol, OP_TEXT, b"whole", fin=False)
    feed(protocol, OP_CONT, b" message")
    feed(protocol, OP_TEXT, b"next")
    assert await collect(protocol.recv_streaming()) == ["whole message"]
    assert await protocol.recv() == "next"


async def test_unfragmented_message_is_one_chunk() -> None:
    protocol, _ = open_protocol()
    task = asyncio.ensure_future(collect(protocol.recv_streaming()))
    await run_pending()
    feed(protocol, OP_BINARY, b"single")
    # A fragmented message right behind it isn't mixed in.
    feed(protocol, OP_BINARY, b"frag", fin=False)
    feed(protocol, OP_CONT, b"mented")
    assert await task == [b"single"]
    assert await protocol.recv() == b"fragmented"


async def test_stream_starts_in_the_middle_of_a_message() -> None:
    protocol, _ = open_protocol()
    encoded = "naïve".encode()
    feed(protocol, OP_TEXT, encoded[:3], fin=False)  # "na" + half of "ï"
    task = asyncio.ensure_future(collect(protocol.recv_streaming()))
    await run_pending()
    feed(protocol, OP_CONT, encoded[3:])
    assert await task == ["na", "ïve"]


async def test_stream_starts_in_the_middle_of_a_binary_message() -> None:
    protocol, _ = open_protocol()
    feed(protocol, OP_BINARY, b"12", fin=False)
    stream = protocol.recv_streaming()
    assert await stream.__anext__() == b"12"
    feed(protocol, OP_CONT, b"34")
    assert await collect(stream) == [b"34"]


@pytest.mark.parametrize(
    "opcode, decode, expected",
    [
        (OP_TEXT, None, [""]),
        (OP_BINARY, None, [b""]),
        (OP_TEXT, False, [b""]),
        (OP_BINARY, True, [""]),
    ],
)
async def test_empty_fragmented_message_is_one_empty_chunk(
    opcode: int, decode: Any, expected: List[Any]
) -> None:
    protocol, _ = open_protocol()
    task = asyncio.ensure_future(collect(protocol.recv_streaming(decode)))
    await run_pending()
    feed(protocol, opcode, b"", fin=False)
    feed(protocol, OP_CONT, b"")
    assert await task == expected


async def test_decode_true_on_binary_split_inside_a_character() -> None:
    protocol, _ = open_protocol()
    task = asyncio.ensure_future(collect(protocol.recv_streaming(decode=True)))
    await run_pending()
    encoded = "thé".encode()
    feed(protocol, OP_BINARY, encoded[:3], fin=False)
    feed(protocol, OP_CONT, encoded[3:])
    assert "".join(await task) == "thé"


async def test_decode_true_on_binary_ending_inside_a_character() -> None:
    protocol, _ = open_protocol()
    task = asyncio.ensure_future(collect(protocol.recv_streaming(decode=True)))
    await run_pending()
    feed(protocol, OP_BINARY, b"th\xc3", fin=False)
    feed(protocol, OP_CONT, b"")
    with pytest.raises(UnicodeDecodeError):
        await task


async def test_decode_false_on_text() -> None:
    protocol, _ = open_protocol()
    task = asyncio.ensure_future(collect(protocol.recv_streaming(decode=False)))
    await run_pending()
    feed(protocol, OP_TEXT, b"caf", fin=False)
    feed(protocol, OP_CONT, "é".encode())
    assert await task == [b"caf", "é".encode()]


async def test_decode_of_whole_message() -> None:
    protocol, _ = open_protocol()
    feed(protocol, OP_BINARY, b"tea")
    assert await collect(protocol.recv_streaming(decode=True)) == ["tea"]


async def test_connection_closed_in_the_middle() -> None:
    protocol, transport = open_protocol()
    stream = protocol.recv_streaming()
    task = asyncio.ensure_future(stream.__anext__())
    await run_pending()
    feed(protocol, OP_BINARY, b"part", fin=False)
    assert await task == b"part"
    feed(protocol, OP_CLOSE, serialize_close(1001, "bye"))
    protocol.connection_lost(None)
    with pytest.raises(ConnectionClosedOK):
        await stream.__anext__()
    assert close_frames(protocol, transport) == [(1001, "bye")]


async def test_connection_closed_before_the_message() -> None:
    protocol, _ = open_protocol()
    task = asyncio.ensure_future(collect(protocol.recv_streaming()))
    await run_pending()
    protocol.connection_lost(None)
    with pytest.raises(ConnectionClosedError):
        await task


async def test_legacy_recv_ends_quietly() -> None:
    with pytest.warns(DeprecationWarning):
        protocol, _ = open_protocol(legacy_recv=True)
    task = asyncio.ensure_future(collect(protocol.recv_streaming()))
    await run_pending()
    feed(protocol, OP_TEXT, b"abc", fin=False)
    protocol.connection_lost(None)
    assert await task == ["abc"]


async def test_stopping_early_discards_the_rest() -> None:
    protocol, _ = open_protocol()
    stream = protocol.recv_streaming()
    task = asyncio.ensure_future(stream.__anext__())
    await run_pending()
    feed(protocol, OP_BINARY, b"first", fin=False)
    feed(protocol, OP_CONT, b"second", fin=False)
    assert await task == b"first"
    await stream.aclose()
    feed(protocol, OP_CONT, b"third")
    feed(protocol, OP_TEXT, b"next message")
    assert await protocol.recv() == "next message"
    assert protocol.messages == []


async def test_recv_while_streaming_is_an_error() -> None:
    protocol, _ = open_protocol()
    stream = protocol.recv_streaming()
    task = asyncio.ensure_future(stream.__anext__())
    await run_pending()
    with pytest.raises(RuntimeError):
        await protocol.recv()
    feed(protocol, OP_BINARY, b"a", fin=False)
    assert await task == b"a"
    # Between two chunks too.
    with pytest.raises(RuntimeError):
        await protocol.recv()
    with pytest.raises(RuntimeError):
        await protocol.recv_streaming().__anext__()
    feed(protocol, OP_CONT, b"b")
    assert await collect(stream) == [b"b"]
    feed(protocol, OP_TEXT, b"c")
    assert await protocol.recv() == "c"


async def test_streaming_while_recv_waits_is_an_error() -> None:
    protocol, _ = open_protocol()
    task = asyncio.ensure_future(protocol.recv())
    await run_pending()
    with pytest.raises(RuntimeError):
        await protocol.recv_streaming().__anext__()
    feed(protocol, OP_TEXT, b"x")
    assert await task == "x"


async def test_fragments_are_bounded_by_max_queue() -> None:
    protocol, transport = open_protocol(max_queue=4)
    stream = protocol.recv_streaming()
    task = asyncio.ensure_future(stream.__anext__())
    await run_pending()
    data = peer_frame(protocol, OP_BINARY, b"0", fin=False) + b"".join(
        peer_frame(protocol, OP_CONT, str(i).encode(), fin=False) for i in range(1, 10)
    )
    protocol.data_received(data + peer_frame(protocol, OP_CONT, b"!"))
    # Reading paused with max_queue fragments waiting; the rest stays in
    # the parser's buffer.
    assert not transport.reading
    assert len(protocol._stream.chunks) == 4
    assert await task == b"0"
    chunks = [b"0"]
    async for chunk in stream:
        chunks.append(chunk)
        assert len(protocol._stream.chunks) <= 4
    assert chunks == [str(i).encode() for i in range(10)] + [b"!"]
    assert transport.reading


async def test_stream_reading_resumes_when_it_stops_early() -> None:
    protocol, transport = open_protocol(max_queue=2)
    stream = protocol.recv_streaming()
    task = asyncio.ensure_future(stream.__anext__())
    await run_pending()
    protocol.data_received(
        b"".join(
            peer_frame(protocol, OP_BINARY if i == 0 else OP_CONT, b"x", fin=False)
            for i in range(6)
        )
        + peer_frame(protocol, OP_CONT, b"")
        + peer_frame(protocol, OP_TEXT, b"after")
    )
    assert not transport.reading
    assert await task == b"x"
    await stream.aclose()
    assert transport.reading
    assert await protocol.recv() == "after"


# max_size=(message_limit, fragment_limit)


async def test_fragment_limit() -> None:
    protocol, transport = open_protocol(max_size=(None, 4))
    feed(protocol, OP_BINARY, b"1234", fin=False)
    feed(protocol, OP_CONT, b"5678")
    assert await protocol.recv() == b"12345678"
    feed(protocol, OP_BINARY, b"12345")
    assert close_frames(protocol, transport) == [
        (1009, "payload length exceeds size limit (5 > 4 bytes)")
    ]


async def test_message_limit_with_fragment_limit() -> None:
    protocol, transport = open_protocol(max_size=(6, 4))
    feed(protocol, OP_BINARY, b"1234", fin=False)
    feed(protocol, OP_CONT, b"56")
    assert await protocol.recv() == b"123456"
    feed(protocol, OP_BINARY, b"1234", fin=False)
    feed(protocol, OP_CONT, b"567")
    [(code, _)] = close_frames(protocol, transport)
    assert code == 1009


async def test_fragment_limit_below_remaining_message_budget() -> None:
    protocol, transport = open_protocol(max_size=(10, 4))
    feed(protocol, OP_BINARY, b"12", fin=False)
    feed(protocol, OP_CONT, b"3456", fin=False)
    assert protocol._parser.max_size == 4
    feed(protocol, OP_CONT, b"78901")
    assert close_frames(protocol, transport) == [
        (1009, "payload length exceeds size limit (5 > 4 bytes)")
    ]


async def test_message_limit_applies_to_streams() -> None:
    protocol, transport = open_protocol(max_size=(6, None))
    task = asyncio.ensure_future(collect(protocol.recv_streaming()))
    await run_pending()
    feed(protocol, OP_BINARY, b"1234", fin=False)
    feed(protocol, OP_CONT, b"567")
    [(code, _)] = close_frames(protocol, transport)
    assert code == 1009
    feed(protocol, OP_CLOSE, serialize_close(1009, ""))
    with pytest.raises(ConnectionClosedError):
        await task


async def test_pair_with_the_same_limits_as_an_int() -> None:
    protocol, transport = open_protocol(max_size=(4, 4))
    feed(protocol, OP_TEXT, b"ab", fin=False)
    feed(protocol, OP_CONT, b"cd")
    assert await protocol.recv() == "abcd"
    feed(protocol, OP_TEXT, b"abcde")
    assert close_frames(protocol, transport)[0][0] == 1009


# Over loopback


async def test_100_mb_message_with_bounded_memory() -> None:
    size = 100 * 2**20
    fragment = 2**16
    max_queue = 8
    peak = 0
    total = 0
    chunk_count = 0

    async def handler(ws: Any, path: str) -> None:
        nonlocal peak, total, chunk_count
        async for chunk in ws.recv_streaming():
            total += len(chunk)
            chunk_count += 1
            # What the connection holds: parser buffer + queued fragments.
            held = ws._parser.buffered() + sum(len(c) for c in ws._stream.chunks)
            assert ws.messages == []
            peak = max(peak, held)
        await ws.send(str(total))

    async def fragments() -> AsyncIterator[bytes]:
        payload = b"\x00" * fragment
        for _ in range(size // fragment):
            yield payload

    async with serve(
        handler,
        "127.0.0.1",
        0,
        max_size=(None, fragment),
        max_queue=max_queue,
        compression=None,
    ) as server:
        port = server.sockets[0].getsockname()[1]
        async with connect(f"ws://127.0.0.1:{port}", compression=None) as ws:
            await ws.send(fragments())
            assert await asyncio.wait_for(ws.recv(), 120) == str(size)
    assert total == size
    assert chunk_count >= size // fragment
    # At most max_queue fragments and what one read can bring (256 KiB for
    # asyncio's selector transports, plus a frame in progress).
    bound = max_queue * fragment + 2**18 + fragment + 14
    assert peak <= bound, (peak, bound)
