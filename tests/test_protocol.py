"""Pure tests of WebSocketCommonProtocol, driven through a fake transport."""

from __future__ import annotations

import asyncio
import logging
import struct
import warnings
from typing import Any, AsyncIterator, List

import pytest
from hypothesis import given
from hypothesis import strategies as st

from websockets.exceptions import (
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidState,
    ProtocolError,
)
from websockets.framing import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Frame,
    serialize_close,
)
from websockets.http import MAX_LINE
from websockets.protocol import State, WebSocketCommonProtocol
from websockets.streams import StreamBuffer

from .protocol_helpers import (
    FakeTransport,
    close_frames,
    make_protocol,
    open_protocol,
    peer_frame,
    written,
)

SIDES = [pytest.param(False, id="server"), pytest.param(True, id="client")]


def close_payload(code: int, reason: str = "") -> bytes:
    return serialize_close(code, reason)


async def run_pending() -> None:
    """Let every callback scheduled with call_soon run, and their followers."""
    for _ in range(5):
        await asyncio.sleep(0)


# Constructor and attributes


async def test_defaults() -> None:
    protocol = WebSocketCommonProtocol()
    assert protocol.ping_interval == 20
    assert protocol.ping_timeout == 20
    assert protocol.close_timeout == 10
    assert protocol.max_size == 2**20
    assert protocol.max_queue == 2**5
    assert protocol.read_limit == 2**16
    assert protocol.write_limit == 2**16
    assert protocol.host is None
    assert protocol.port is None
    assert protocol.secure is None
    assert protocol.legacy_recv is False
    assert protocol.loop is asyncio.get_running_loop()
    assert protocol.reader.limit == 2**16
    assert protocol.state is State.CONNECTING
    assert protocol.extensions == []
    assert protocol.subprotocol is None
    assert protocol.close_code is None
    assert protocol.close_reason == ""
    assert protocol.is_client is False
    assert protocol.side == "undefined"


async def test_arguments() -> None:
    protocol = WebSocketCommonProtocol(
        ping_interval=1,
        ping_timeout=2,
        close_timeout=3,
        max_size=4,
        max_queue=5,
        read_limit=6,
        write_limit=7,
        host="example.com",
        port=8080,
        secure=True,
    )
    assert protocol.ping_interval == 1
    assert protocol.ping_timeout == 2
    assert protocol.close_timeout == 3
    assert protocol.max_size == 4
    assert protocol.max_queue == 5
    assert protocol.read_limit == 6
    # The handshake buffer holds at least one line of the longest length.
    assert protocol.reader.limit == MAX_LINE + 1
    assert protocol.write_limit == 7
    assert protocol.host == "example.com"
    assert protocol.port == 8080
    assert protocol.secure is True
    protocol = WebSocketCommonProtocol(read_limit=10 * MAX_LINE)
    assert protocol.reader.limit == 10 * MAX_LINE


async def test_none_disables_limits() -> None:
    protocol = WebSocketCommonProtocol(
        ping_interval=None, ping_timeout=None, max_size=None, max_queue=None
    )
    assert protocol.ping_interval is None
    assert protocol.ping_timeout is None
    assert protocol.max_size is None
    assert protocol.max_queue is None


async def test_timeout_is_deprecated_alias_of_close_timeout() -> None:
    with pytest.warns(DeprecationWarning, match="close_timeout"):
        protocol = WebSocketCommonProtocol(timeout=5)
    assert protocol.close_timeout == 5


async def test_close_timeout_wins_over_timeout() -> None:
    with pytest.warns(DeprecationWarning):
        protocol = WebSocketCommonProtocol(timeout=5, close_timeout=3)
    assert protocol.close_timeout == 3


async def test_loop_is_accepted_silently_and_used() -> None:
    # Like websockets 8.1: no warning, and an explicit loop is the one used.
    other_loop = asyncio.new_event_loop()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            protocol = WebSocketCommonProtocol(loop=other_loop)
        assert protocol.loop is other_loop
        assert protocol.connection_lost_waiter.get_loop() is other_loop
    finally:
        other_loop.close()


async def test_loop_defaults_to_running_loop() -> None:
    protocol = WebSocketCommonProtocol()
    assert protocol.loop is asyncio.get_running_loop()


async def test_legacy_recv_is_deprecated() -> None:
    with pytest.warns(DeprecationWarning, match="legacy_recv"):
        protocol = WebSocketCommonProtocol(legacy_recv=True)
    assert protocol.legacy_recv is True


def test_constructor_outside_event_loop() -> None:
    loop = asyncio.new_event_loop()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            protocol = WebSocketCommonProtocol(loop=loop)
        assert protocol.loop is loop
    finally:
        loop.close()


def test_state_enum() -> None:
    assert [state.name for state in State] == [
        "CONNECTING",
        "OPEN",
        "CLOSING",
        "CLOSED",
    ]
    assert [int(state) for state in State] == [0, 1, 2, 3]


async def test_state_name_is_deprecated() -> None:
    protocol = WebSocketCommonProtocol()
    with pytest.warns(DeprecationWarning, match="state"):
        assert protocol.state_name == "CONNECTING"


async def test_states_open_closed() -> None:
    protocol, _transport = make_protocol()
    assert protocol.state is State.CONNECTING
    assert not protocol.open and not protocol.closed
    protocol.connection_open()
    assert protocol.state is State.OPEN  # type: ignore[comparison-overlap]
    assert protocol.open and not protocol.closed
    protocol.fail_connection(1011)
    assert protocol.state is State.CLOSING
    assert not protocol.open and not protocol.closed
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1011)))
    await protocol.wait_closed()
    assert protocol.state is State.CLOSED
    assert not protocol.open and protocol.closed


async def test_addresses() -> None:
    protocol = WebSocketCommonProtocol()
    assert protocol.local_address is None
    assert protocol.remote_address is None
    transport = FakeTransport(protocol)
    protocol.connection_made(transport)
    assert protocol.local_address == ("127.0.0.1", 1234)
    assert protocol.remote_address == ("127.0.0.1", 80)


async def test_connection_made_sets_write_limit() -> None:
    protocol, transport = make_protocol(write_limit=1000)
    assert protocol.transport is transport
    assert transport.write_limits == (1000, None)


async def test_handshake_attributes() -> None:
    protocol, _transport = open_protocol()
    # Set by subclasses during the opening handshake.
    for name in ["path", "request_headers", "response_headers"]:
        assert not hasattr(protocol, name)
    assert protocol.subprotocol is None
    assert protocol.extensions == []


@pytest.mark.parametrize("is_client", SIDES)
async def test_side(is_client: bool) -> None:
    protocol, _transport = open_protocol(is_client)
    assert protocol.is_client is is_client
    assert protocol.side == ("client" if is_client else "server")


async def test_connection_open_twice() -> None:
    protocol, _transport = open_protocol()
    with pytest.raises(InvalidState):
        protocol.connection_open()


# recv()


@pytest.mark.parametrize("is_client", SIDES)
async def test_recv_text(is_client: bool) -> None:
    protocol, _transport = open_protocol(is_client)
    protocol.data_received(peer_frame(protocol, OP_TEXT, "café".encode()))
    assert await protocol.recv() == "café"


@pytest.mark.parametrize("is_client", SIDES)
async def test_recv_binary(is_client: bool) -> None:
    protocol, _transport = open_protocol(is_client)
    protocol.data_received(peer_frame(protocol, OP_BINARY, b"tea"))
    message = await protocol.recv()
    assert message == b"tea"
    assert type(message) is bytes


async def test_recv_waits_for_message() -> None:
    protocol, _transport = open_protocol()
    task = asyncio.create_task(protocol.recv())
    await run_pending()
    assert not task.done()
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"hello"))
    assert await task == "hello"


async def test_recv_several_messages_in_one_chunk() -> None:
    protocol, _transport = open_protocol()
    protocol.data_received(
        b"".join(peer_frame(protocol, OP_TEXT, str(i).encode()) for i in range(10))
    )
    assert [await protocol.recv() for _ in range(10)] == [str(i) for i in range(10)]


@pytest.mark.parametrize("is_client", SIDES)
async def test_recv_fragmented_text(is_client: bool) -> None:
    protocol, _transport = open_protocol(is_client)
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"ca", fin=False))
    protocol.data_received(peer_frame(protocol, OP_CONT, b"f\xc3", fin=False))
    assert not protocol.messages
    protocol.data_received(peer_frame(protocol, OP_CONT, b"\xa9", fin=True))
    assert await protocol.recv() == "café"


@pytest.mark.parametrize("is_client", SIDES)
async def test_recv_fragmented_binary(is_client: bool) -> None:
    protocol, _transport = open_protocol(is_client)
    protocol.data_received(peer_frame(protocol, OP_BINARY, b"t", fin=False))
    protocol.data_received(peer_frame(protocol, OP_CONT, b"e", fin=False))
    protocol.data_received(peer_frame(protocol, OP_CONT, b"a", fin=True))
    assert await protocol.recv() == b"tea"


async def test_recv_many_fragments() -> None:
    protocol, _transport = open_protocol()
    fragments = [bytes([i % 256]) * (i % 7) for i in range(1000)]
    data = [peer_frame(protocol, OP_BINARY, fragments[0], fin=False)]
    data += [peer_frame(protocol, OP_CONT, f, fin=False) for f in fragments[1:]]
    data.append(peer_frame(protocol, OP_CONT, b"", fin=True))
    protocol.data_received(b"".join(data))
    assert await protocol.recv() == b"".join(fragments)


async def test_recv_control_frames_between_fragments() -> None:
    protocol, transport = open_protocol()
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"a", fin=False))
    protocol.data_received(peer_frame(protocol, OP_PING, b"p"))
    protocol.data_received(peer_frame(protocol, OP_CONT, b"b", fin=True))
    assert await protocol.recv() == "ab"
    assert [(f.opcode, f.data) for f in written(protocol, transport)] == [
        (OP_PONG, b"p")
    ]


@st.composite
def messages_and_cuts(draw: Any) -> Any:
    messages = draw(
        st.lists(
            st.one_of(
                st.text(max_size=30),
                st.binary(max_size=300),
            ),
            min_size=1,
            max_size=5,
        )
    )
    frame_sizes = draw(st.lists(st.integers(0, 50), min_size=1, max_size=10))
    cuts = draw(st.lists(st.integers(0, 5000), max_size=20))
    return messages, frame_sizes, cuts


def fragment(
    protocol: WebSocketCommonProtocol, message: Any, sizes: List[int]
) -> bytes:
    data = message.encode() if isinstance(message, str) else message
    opcode = OP_TEXT if isinstance(message, str) else OP_BINARY
    chunks = []
    pos = 0
    for size in sizes:
        if pos >= len(data):
            break
        chunks.append(data[pos : pos + size])
        pos += size
    chunks.append(data[pos:])
    frames = []
    for index, chunk in enumerate(chunks):
        frames.append(
            peer_frame(
                protocol,
                opcode if index == 0 else OP_CONT,
                chunk,
                fin=index == len(chunks) - 1,
            )
        )
    return b"".join(frames)


@given(messages_and_cuts(), st.booleans())
def test_recv_arbitrary_chunking(args: Any, is_client: bool) -> None:
    messages, sizes, cuts = args

    async def run() -> None:
        protocol, transport = open_protocol(is_client, max_queue=None)
        stream = b"".join(fragment(protocol, message, sizes) for message in messages)
        positions = sorted({0, len(stream), *(c % (len(stream) + 1) for c in cuts)})
        for start, end in zip(positions, positions[1:]):
            protocol.data_received(stream[start:end])
        assert [await protocol.recv() for _ in messages] == messages
        assert not protocol.messages
        assert transport.writes == []

    asyncio.run(run())


async def test_recv_cancel_while_waiting_keeps_next_message() -> None:
    protocol, _transport = open_protocol()
    task = asyncio.create_task(protocol.recv())
    await run_pending()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"hello"))
    assert await protocol.recv() == "hello"


async def test_recv_cancel_when_waiter_resolved_keeps_message() -> None:
    protocol, _transport = open_protocol()
    task = asyncio.create_task(protocol.recv())
    await run_pending()
    # The message arrives and the task is cancelled before it resumes.
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"hello"))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await protocol.recv() == "hello"


async def test_recv_wait_for_timeout_keeps_message() -> None:
    protocol, _transport = open_protocol()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(protocol.recv(), timeout=0.001)
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"hello"))
    assert await protocol.recv() == "hello"


async def test_recv_concurrently() -> None:
    protocol, _transport = open_protocol()
    task = asyncio.create_task(protocol.recv())
    await run_pending()
    with pytest.raises(RuntimeError, match="already waiting"):
        await protocol.recv()
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"hello"))
    assert await task == "hello"


@pytest.mark.parametrize("code", [1000, 1001])
async def test_recv_after_normal_closure(code: int) -> None:
    protocol, _transport = open_protocol()
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"last"))
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(code, "bye")))
    # Queued messages are still delivered.
    assert await protocol.recv() == "last"
    with pytest.raises(ConnectionClosedOK) as raised:
        await protocol.recv()
    assert raised.value.code == code
    assert raised.value.reason == "bye"


@pytest.mark.parametrize("code", [1002, 1011, 3000, 4999])
async def test_recv_after_abnormal_closure(code: int) -> None:
    protocol, _transport = open_protocol()
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(code, "oops")))
    with pytest.raises(ConnectionClosedError) as raised:
        await protocol.recv()
    assert raised.value.code == code
    assert raised.value.reason == "oops"


async def test_recv_waiting_when_close_frame_arrives() -> None:
    protocol, _transport = open_protocol()
    task = asyncio.create_task(protocol.recv())
    await run_pending()
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1000)))
    with pytest.raises(ConnectionClosedOK):
        await task


async def test_recv_waiting_when_connection_lost() -> None:
    protocol, _transport = open_protocol()
    task = asyncio.create_task(protocol.recv())
    await run_pending()
    protocol.connection_lost(None)
    with pytest.raises(ConnectionClosedError) as raised:
        await task
    assert raised.value.code == 1006


async def test_legacy_recv_returns_none() -> None:
    with pytest.warns(DeprecationWarning):
        protocol, _transport = open_protocol(legacy_recv=True)
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"hello"))
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1000)))
    assert await protocol.recv() == "hello"
    assert await protocol.recv() is None
    assert await protocol.recv() is None


async def test_legacy_recv_iteration() -> None:
    with pytest.warns(DeprecationWarning):
        protocol, _transport = open_protocol(legacy_recv=True)
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"hello"))
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1011)))
    assert [message async for message in protocol] == ["hello"]


# Asynchronous iteration


@pytest.mark.parametrize("code", [1000, 1001])
async def test_iteration_ends_quietly(code: int) -> None:
    protocol, _transport = open_protocol()
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"a"))
    protocol.data_received(peer_frame(protocol, OP_BINARY, b"b"))
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(code)))
    assert [message async for message in protocol] == ["a", b"b"]


async def test_iteration_raises_on_error() -> None:
    protocol, _transport = open_protocol()
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"a"))
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1011, "x")))
    received = []
    with pytest.raises(ConnectionClosedError) as raised:
        async for message in protocol:
            received.append(message)
    assert received == ["a"]
    assert raised.value.code == 1011


async def test_iteration_raises_on_connection_lost() -> None:
    protocol, _transport = open_protocol()
    protocol.connection_lost(None)
    with pytest.raises(ConnectionClosedError) as raised:
        async for _message in protocol:
            pass  # pragma: no cover
    assert raised.value.code == 1006


# send()


@pytest.mark.parametrize("is_client", SIDES)
@pytest.mark.parametrize(
    "message, opcode, data",
    [
        ("café", OP_TEXT, "café".encode()),
        (b"tea", OP_BINARY, b"tea"),
        (bytearray(b"tea"), OP_BINARY, b"tea"),
        (memoryview(b"tea"), OP_BINARY, b"tea"),
        (memoryview(b"xtxexax")[1::2], OP_BINARY, b"tea"),
        ("", OP_TEXT, b""),
        (b"", OP_BINARY, b""),
    ],
)
async def test_send(is_client: bool, message: Any, opcode: int, data: bytes) -> None:
    protocol, transport = open_protocol(is_client)
    await protocol.send(message)
    assert written(protocol, transport) == [Frame(True, opcode, data)]


async def test_send_large_frame_in_one_write() -> None:
    protocol, transport = open_protocol(True)
    await protocol.send(b"x" * 100_000)
    assert len(transport.writes) == 1
    assert written(protocol, transport) == [Frame(True, OP_BINARY, b"x" * 100_000)]


@pytest.mark.parametrize("is_client", SIDES)
@pytest.mark.parametrize(
    "fragments, opcode",
    [
        (["ca", "f", "é"], OP_TEXT),
        ([b"t", b"e", b"a"], OP_BINARY),
        ([bytearray(b"t"), memoryview(b"e"), b"a"], OP_BINARY),
    ],
)
async def test_send_iterable(is_client: bool, fragments: Any, opcode: int) -> None:
    protocol, transport = open_protocol(is_client)
    await protocol.send(fragments)
    encode = (lambda x: x.encode()) if opcode == OP_TEXT else bytes
    assert written(protocol, transport) == [
        Frame(False, opcode, encode(fragments[0])),
        Frame(False, OP_CONT, encode(fragments[1])),
        Frame(False, OP_CONT, encode(fragments[2])),
        Frame(True, OP_CONT, b""),
    ]


async def test_send_generator() -> None:
    protocol, transport = open_protocol()
    await protocol.send(chunk for chunk in ["a", "b"])
    assert written(protocol, transport) == [
        Frame(False, OP_TEXT, b"a"),
        Frame(False, OP_CONT, b"b"),
        Frame(True, OP_CONT, b""),
    ]


async def agen(items: List[Any], pause: bool = True) -> AsyncIterator[Any]:
    for item in items:
        if pause:
            await asyncio.sleep(0)
        yield item


@pytest.mark.parametrize("is_client", SIDES)
async def test_send_async_iterable(is_client: bool) -> None:
    protocol, transport = open_protocol(is_client)
    await protocol.send(agen(["ca", "f", "é"]))
    assert written(protocol, transport) == [
        Frame(False, OP_TEXT, b"ca"),
        Frame(False, OP_CONT, b"f"),
        Frame(False, OP_CONT, "é".encode()),
        Frame(True, OP_CONT, b""),
    ]


async def test_send_empty_iterable() -> None:
    protocol, transport = open_protocol()
    await protocol.send([])
    await protocol.send(agen([]))
    assert transport.writes == []
    assert protocol.state is State.OPEN


async def test_send_mixed_iterable() -> None:
    protocol, transport = open_protocol()
    with pytest.raises(TypeError, match="inconsistent"):
        await protocol.send(["a", b"b"])
    assert written(protocol, transport) == [
        Frame(False, OP_TEXT, b"a"),
        Frame(True, OP_CLOSE, close_payload(1011)),
    ]
    assert protocol.state is State.CLOSING


async def test_send_mixed_async_iterable() -> None:
    protocol, transport = open_protocol()
    with pytest.raises(TypeError, match="inconsistent"):
        await protocol.send(agen([b"a", "b"]))
    assert written(protocol, transport) == [
        Frame(False, OP_BINARY, b"a"),
        Frame(True, OP_CLOSE, close_payload(1011)),
    ]


async def test_send_iterable_of_invalid_type() -> None:
    protocol, transport = open_protocol()
    with pytest.raises(TypeError):
        await protocol.send([1, 2])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        await protocol.send(agen([1, 2]))
    assert transport.writes == []
    assert protocol.state is State.OPEN


async def test_send_iterable_raising() -> None:
    protocol, transport = open_protocol()

    def chunks() -> Any:
        yield "a"
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        await protocol.send(chunks())
    assert close_frames(protocol, transport) == [(1011, "")]


async def test_send_async_iterable_cancelled() -> None:
    protocol, transport = open_protocol()
    event = asyncio.Event()

    async def chunks() -> AsyncIterator[str]:
        yield "a"
        await event.wait()
        yield "b"  # pragma: no cover

    task = asyncio.create_task(protocol.send(chunks()))
    await run_pending()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert written(protocol, transport) == [
        Frame(False, OP_TEXT, b"a"),
        Frame(True, OP_CLOSE, close_payload(1011)),
    ]


@pytest.mark.parametrize("message", [{"a": "b"}, {}, 42, None, 1.5, object()])
async def test_send_invalid_type(message: Any) -> None:
    protocol, transport = open_protocol()
    with pytest.raises(TypeError):
        await protocol.send(message)
    assert transport.writes == []
    assert protocol.state is State.OPEN


async def test_send_in_connecting_state() -> None:
    protocol, transport = make_protocol()
    with pytest.raises(InvalidState):
        await protocol.send("hello")
    with pytest.raises(InvalidState):
        await protocol.send(["hello"])
    assert transport.writes == []


@pytest.mark.parametrize(
    "message", ["hello", b"hello", ["a", "b"], agen(["a", "b"], pause=False)]
)
async def test_send_on_closed_connection(message: Any) -> None:
    protocol, transport = open_protocol()
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1000)))
    await run_pending()
    assert protocol.state is State.CLOSED
    count = len(transport.writes)
    with pytest.raises(ConnectionClosedOK):
        await protocol.send(message)
    assert len(transport.writes) == count


async def test_send_on_closing_connection() -> None:
    protocol, _transport = open_protocol(True)
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1001)))
    assert protocol.state is State.CLOSING
    with pytest.raises(ConnectionClosedOK) as raised:
        await protocol.send("hello")
    assert raised.value.code == 1001


async def test_send_waits_for_close_code_while_closing() -> None:
    protocol, _transport = open_protocol(close_timeout=0.05)
    close_task = asyncio.create_task(protocol.close())
    await run_pending()
    assert protocol.state is State.CLOSING
    send_task = asyncio.create_task(protocol.send("hello"))
    await run_pending()
    assert not send_task.done()
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1000)))
    with pytest.raises(ConnectionClosedOK):
        await send_task
    await close_task


async def test_send_after_connection_lost() -> None:
    protocol, _transport = open_protocol()
    protocol.connection_lost(None)
    with pytest.raises(ConnectionClosedError) as raised:
        await protocol.send("hello")
    assert raised.value.code == 1006


async def test_fragmented_async_sends_dont_interleave() -> None:
    protocol, transport = open_protocol()
    await asyncio.gather(
        protocol.send(agen(["a1", "a2", "a3"])),
        protocol.send(agen(["b1", "b2", "b3"])),
        protocol.send("c"),
        protocol.send(["d1", "d2"]),
    )
    frames = written(protocol, transport)
    messages: List[str] = []
    current = None
    for frame in frames:
        if frame.opcode == OP_TEXT:
            assert current is None, "frames interleaved"
            if frame.fin:
                messages.append(frame.data.decode())
            else:
                current = frame.data.decode()
        else:
            assert frame.opcode == OP_CONT and current is not None
            current += frame.data.decode()
            if frame.fin:
                messages.append(current)
                current = None
    assert sorted(messages) == ["a1a2a3", "b1b2b3", "c", "d1d2"]


async def test_send_during_fragmented_message_waits() -> None:
    protocol, transport = open_protocol()
    event = asyncio.Event()

    async def chunks() -> AsyncIterator[str]:
        yield "a"
        await event.wait()
        yield "b"

    fragmented = asyncio.create_task(protocol.send(chunks()))
    await run_pending()
    simple = asyncio.create_task(protocol.send("c"))
    await run_pending()
    assert not simple.done()
    event.set()
    await asyncio.gather(fragmented, simple)
    assert written(protocol, transport) == [
        Frame(False, OP_TEXT, b"a"),
        Frame(False, OP_CONT, b"b"),
        Frame(True, OP_CONT, b""),
        Frame(True, OP_TEXT, b"c"),
    ]


async def test_close_frame_from_peer_during_fragmented_send() -> None:
    protocol, transport = open_protocol(True)
    event = asyncio.Event()

    async def chunks() -> AsyncIterator[str]:
        yield "a"
        await event.wait()
        yield "b"

    task = asyncio.create_task(protocol.send(chunks()))
    await run_pending()
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1000)))
    event.set()
    await run_pending()
    # The close frame was echoed; nothing else was sent.
    assert written(protocol, transport) == [
        Frame(False, OP_TEXT, b"a"),
        Frame(True, OP_CLOSE, close_payload(1000)),
    ]
    # The closing handshake goes on normally: the client waits for the
    # server to close the TCP connection. Like in websockets 8.1, send()
    # raises once it's closed.
    assert transport.close_called == transport.abort_called == 0
    assert protocol.state is State.CLOSING
    assert not task.done()
    protocol.connection_lost(None)
    with pytest.raises(ConnectionClosedOK):
        await task


async def test_connection_lost_during_fragmented_send() -> None:
    protocol, transport = open_protocol()

    def chunks() -> Any:
        yield "a"
        protocol.connection_lost(None)
        yield "b"

    with pytest.raises(ConnectionClosedError):
        await protocol.send(chunks())
    # No close frame: fail_connection() isn't called on a closed connection.
    assert written(protocol, transport) == [Frame(False, OP_TEXT, b"a")]


# Write flow control


async def test_send_waits_while_writing_is_paused() -> None:
    protocol, transport = open_protocol()
    protocol.pause_writing()
    task = asyncio.create_task(protocol.send("hello"))
    await run_pending()
    # The frame is written, then send() waits for the buffer to drain.
    assert written(protocol, transport) == [Frame(True, OP_TEXT, b"hello")]
    assert not task.done()
    protocol.resume_writing()
    await task


async def test_resume_writing_wakes_all_senders() -> None:
    protocol, transport = open_protocol()
    protocol.pause_writing()
    tasks = [
        asyncio.create_task(protocol.send("a")),
        asyncio.create_task(protocol.send(b"b")),
        asyncio.create_task(protocol.ping(b"c")),
        asyncio.create_task(protocol.pong(b"d")),
    ]
    await run_pending()
    assert not any(task.done() for task in tasks)
    protocol.resume_writing()
    await asyncio.gather(*tasks)
    assert len(transport.writes) == 4


async def test_fragmented_send_waits_while_writing_is_paused() -> None:
    protocol, transport = open_protocol()
    protocol.pause_writing()
    task = asyncio.create_task(protocol.send(["a", "b"]))
    await run_pending()
    assert not task.done()
    protocol.resume_writing()
    await task
    assert len(written(protocol, transport)) == 3


async def test_connection_lost_wakes_senders() -> None:
    protocol, _transport = open_protocol()
    protocol.pause_writing()
    tasks = [
        asyncio.create_task(protocol.send("a")),
        asyncio.create_task(protocol.send("b")),
    ]
    await run_pending()
    protocol.connection_lost(None)
    for task in tasks:
        with pytest.raises(ConnectionClosedError):
            await task


async def test_cancel_send_waiting_for_drain() -> None:
    protocol, _transport = open_protocol()
    protocol.pause_writing()
    first = asyncio.create_task(protocol.send("a"))
    second = asyncio.create_task(protocol.send("b"))
    await run_pending()
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    protocol.resume_writing()
    await second


async def test_close_while_send_blocked_on_flow_control() -> None:
    protocol, transport = open_protocol(close_timeout=1)
    protocol.pause_writing()
    send_task = asyncio.create_task(protocol.send("a"))
    await run_pending()
    close_task = asyncio.create_task(protocol.close())
    await run_pending()
    assert close_frames(protocol, transport) == [(1000, "")]
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1000)))
    await close_task
    with pytest.raises(ConnectionClosedOK):
        await send_task


# max_size


@pytest.mark.parametrize("is_client", SIDES)
async def test_frame_too_big(is_client: bool) -> None:
    protocol, transport = open_protocol(is_client, max_size=10)
    protocol.data_received(peer_frame(protocol, OP_BINARY, b"x" * 11))
    assert close_frames(protocol, transport)[0][0] == 1009
    with pytest.raises(ConnectionClosedError):
        await protocol.recv()


async def test_frame_at_max_size() -> None:
    protocol, _transport = open_protocol(max_size=10)
    protocol.data_received(peer_frame(protocol, OP_BINARY, b"x" * 10))
    assert await protocol.recv() == b"x" * 10


async def test_frame_too_big_fails_on_header() -> None:
    protocol, transport = open_protocol(max_size=2**20)
    # Header of a masked binary frame announcing 10 MB; no payload.
    header = struct.pack("!BBQ", 0x82, 0x80 | 127, 10 * 2**20) + b"mask"
    protocol.data_received(header)
    assert close_frames(protocol, transport)[0][0] == 1009
    assert protocol._parser is None
    await run_pending()
    assert protocol.state is State.CLOSED
    with pytest.raises(ConnectionClosedError):
        await protocol.recv()


async def test_fragmented_message_too_big() -> None:
    protocol, transport = open_protocol(max_size=10)
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"x" * 4, fin=False))
    protocol.data_received(peer_frame(protocol, OP_CONT, b"x" * 4, fin=False))
    assert transport.writes == []
    protocol.data_received(peer_frame(protocol, OP_CONT, b"x" * 3, fin=False))
    assert close_frames(protocol, transport)[0][0] == 1009
    with pytest.raises(ConnectionClosedError):
        await protocol.recv()


async def test_fragmented_message_at_max_size() -> None:
    protocol, _transport = open_protocol(max_size=10)
    for _ in range(2):
        protocol.data_received(peer_frame(protocol, OP_BINARY, b"x" * 4, fin=False))
        protocol.data_received(peer_frame(protocol, OP_CONT, b"x" * 6, fin=False))
        protocol.data_received(peer_frame(protocol, OP_CONT, b"", fin=True))
        assert await protocol.recv() == b"x" * 10
    # The budget is reset after each message.
    protocol.data_received(peer_frame(protocol, OP_BINARY, b"x" * 10))
    assert await protocol.recv() == b"x" * 10


async def test_max_size_none() -> None:
    protocol, _transport = open_protocol(max_size=None)
    protocol.data_received(peer_frame(protocol, OP_BINARY, b"x" * 3_000_000))
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"x" * 10, fin=False))
    protocol.data_received(peer_frame(protocol, OP_CONT, b"x" * 10, fin=True))
    assert len(await protocol.recv()) == 3_000_000
    assert await protocol.recv() == "x" * 20


# max_queue


async def test_max_queue_pauses_and_resumes_reading() -> None:
    protocol, transport = open_protocol(max_queue=4)
    for i in range(3):
        protocol.data_received(peer_frame(protocol, OP_TEXT, str(i).encode()))
    assert transport.pause_reading_calls == 0
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"3"))
    assert len(protocol.messages) == 4
    # The queue is full; pause when more data arrives.
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"4"))
    assert transport.pause_reading_calls == 1
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"5"))
    assert transport.pause_reading_calls == 1
    assert len(protocol.messages) == 4
    # Draining to max_queue // 2 processes the frames buffered meanwhile;
    # they fill the queue again, so the transport stays paused.
    assert await protocol.recv() == "0"
    assert await protocol.recv() == "1"
    assert list(protocol.messages) == ["2", "3", "4", "5"]
    assert (transport.pause_reading_calls, transport.resume_reading_calls) == (1, 0)
    assert await protocol.recv() == "2"
    assert await protocol.recv() == "3"
    assert (transport.pause_reading_calls, transport.resume_reading_calls) == (1, 1)
    assert transport.reading
    # Frames keep coming in order.
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"6"))
    assert [await protocol.recv() for _ in range(3)] == ["4", "5", "6"]
    assert (transport.pause_reading_calls, transport.resume_reading_calls) == (1, 1)


async def test_max_queue_pauses_on_full_queue_without_more_data() -> None:
    protocol, transport = open_protocol(max_queue=1)
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"0"))
    assert transport.pause_reading_calls == 1
    assert await protocol.recv() == "0"
    assert transport.resume_reading_calls == 1


async def test_max_queue_buffered_frames_fill_queue_again() -> None:
    protocol, transport = open_protocol(max_queue=2)
    protocol.data_received(
        b"".join(peer_frame(protocol, OP_TEXT, str(i).encode()) for i in range(10))
    )
    assert transport.pause_reading_calls == 1
    received = []
    for _ in range(10):
        received.append(await protocol.recv())
        assert len(protocol.messages) <= 2
    assert received == [str(i) for i in range(10)]
    assert transport.reading
    # Calls to pause_reading() and resume_reading() alternate.
    assert transport.pause_reading_calls == transport.resume_reading_calls


async def test_max_queue_none_never_pauses() -> None:
    protocol, transport = open_protocol(max_queue=None)
    for _i in range(1000):
        protocol.data_received(peer_frame(protocol, OP_BINARY, b"x"))
    assert len(protocol.messages) == 1000
    assert transport.pause_reading_calls == 0


async def test_max_queue_no_resume_after_connection_lost() -> None:
    protocol, transport = open_protocol(max_queue=2)
    protocol.data_received(
        b"".join(peer_frame(protocol, OP_TEXT, b"x") for i in range(3))
    )
    assert transport.pause_reading_calls == 1
    protocol.connection_lost(None)
    assert await protocol.recv() == "x"
    assert await protocol.recv() == "x"
    assert transport.resume_reading_calls == 0
    with pytest.raises(ConnectionClosedError):
        await protocol.recv()


async def test_flood_memory_stays_bounded() -> None:
    max_queue, max_size = 4, 100
    protocol, transport = open_protocol(max_queue=max_queue, max_size=max_size)
    frame = peer_frame(protocol, OP_BINARY, b"x" * max_size)
    chunk = frame * 3
    fed = 0
    total = 10 * max_queue
    bound = max_queue * max_size + len(chunk)
    assert protocol._parser is not None
    while fed < total * len(frame):
        # A transport honors pause_reading(): it stops calling data_received.
        if transport.reading:
            protocol.data_received(chunk)
            fed += len(chunk)
        else:
            # The application reads, slowly.
            await protocol.recv()
        queued = sum(len(m) for m in protocol.messages)
        assert queued + protocol._parser.buffered() <= bound
    assert transport.pause_reading_calls > 0


# UTF-8


async def test_invalid_utf8_text_frame() -> None:
    protocol, transport = open_protocol()
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"caf\xe9"))
    assert close_frames(protocol, transport)[0][0] == 1007
    # The stream can still be parsed: wait for the peer's close frame.
    assert transport.close_called == 0
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1007)))
    with pytest.raises(ConnectionClosedError) as raised:
        await protocol.recv()
    assert raised.value.code == 1007


async def test_invalid_utf8_fragmented_fails_fast() -> None:
    protocol, transport = open_protocol()
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"abc", fin=False))
    assert transport.writes == []
    protocol.data_received(peer_frame(protocol, OP_CONT, b"\xff", fin=False))
    assert close_frames(protocol, transport)[0][0] == 1007
    # The rest of the message is discarded.
    protocol.data_received(peer_frame(protocol, OP_CONT, b"def", fin=True))
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"more"))
    assert len(close_frames(protocol, transport)) == 1
    assert not protocol.messages
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1007)))
    with pytest.raises(ConnectionClosedError) as raised:
        await protocol.recv()
    assert raised.value.code == 1007


async def test_truncated_utf8_at_end_of_fragmented_message() -> None:
    protocol, transport = open_protocol()
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"caf\xc3", fin=False))
    assert transport.writes == []
    protocol.data_received(peer_frame(protocol, OP_CONT, b"", fin=True))
    assert close_frames(protocol, transport)[0][0] == 1007


async def test_multibyte_character_split_across_fragments() -> None:
    protocol, transport = open_protocol()
    data = "🍵".encode()
    protocol.data_received(peer_frame(protocol, OP_TEXT, data[:1], fin=False))
    protocol.data_received(peer_frame(protocol, OP_CONT, data[1:3], fin=False))
    protocol.data_received(peer_frame(protocol, OP_CONT, data[3:], fin=True))
    assert await protocol.recv() == "🍵"
    assert transport.writes == []


# Protocol errors


def raw_frame(b0: int, payload: bytes, masked: bool) -> bytes:
    """Build a frame byte by byte, bypassing Frame.check()."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", b0, (0x80 if masked else 0) | length)
    else:
        header = struct.pack("!BBH", b0, (0x80 if masked else 0) | 126, length)
    if masked:
        return header + b"\x00\x00\x00\x00" + payload
    return header + payload


@pytest.mark.parametrize("is_client", SIDES)
@pytest.mark.parametrize(
    "b0, payload",
    [
        pytest.param(0x80 | 0x40 | OP_TEXT, b"a", id="rsv1"),
        pytest.param(0x80 | 0x20 | OP_TEXT, b"a", id="rsv2"),
        pytest.param(0x80 | 0x10 | OP_BINARY, b"a", id="rsv3"),
        pytest.param(0x80 | 0x03, b"", id="opcode-3"),
        pytest.param(0x80 | 0x0B, b"", id="opcode-B"),
        pytest.param(0x80 | OP_PING, b"x" * 126, id="long-control"),
        pytest.param(OP_PING, b"", id="fragmented-control"),
        pytest.param(0x80 | OP_CONT, b"a", id="cont-without-start"),
        pytest.param(0x80 | OP_CLOSE, b"\x03", id="close-1-byte"),
    ],
)
async def test_protocol_error(is_client: bool, b0: int, payload: bytes) -> None:
    protocol, transport = open_protocol(is_client, close_timeout=0.05)
    protocol.data_received(raw_frame(b0, payload, masked=not is_client))
    assert close_frames(protocol, transport)[0][0] == 1002
    assert protocol.state is State.CLOSING
    with pytest.raises(ConnectionClosedError):
        await protocol.recv()


async def test_new_data_frame_inside_fragmented_message() -> None:
    protocol, transport = open_protocol()
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"a", fin=False))
    protocol.data_received(peer_frame(protocol, OP_BINARY, b"b"))
    assert close_frames(protocol, transport) == [
        (1002, "expected a continuation frame")
    ]


@pytest.mark.parametrize("is_client", SIDES)
@pytest.mark.parametrize("code", [999, 1004, 1005, 1006, 1015, 1016, 2999, 5000])
async def test_invalid_close_code(is_client: bool, code: int) -> None:
    protocol, transport = open_protocol(is_client)
    protocol.data_received(peer_frame(protocol, OP_CLOSE, struct.pack("!H", code)))
    assert close_frames(protocol, transport)[0][0] == 1002
    await run_pending()
    assert protocol.state is State.CLOSED
    assert protocol.close_code == 1006


async def test_invalid_utf8_close_reason() -> None:
    protocol, transport = open_protocol()
    protocol.data_received(peer_frame(protocol, OP_CLOSE, b"\x03\xe8\xff"))
    assert close_frames(protocol, transport)[0][0] == 1007


@pytest.mark.parametrize("is_client", SIDES)
async def test_incorrect_masking(is_client: bool) -> None:
    protocol, transport = open_protocol(is_client)
    # The wrong masking for this side.
    protocol.data_received(raw_frame(0x80 | OP_TEXT, b"a", masked=is_client))
    assert close_frames(protocol, transport) == [(1002, "incorrect masking")]


async def test_unexpected_parser_error_fails_with_1011(
    caplog: pytest.LogCaptureFixture,
) -> None:
    protocol, transport = open_protocol()

    class BrokenParser:
        drained = False

        def feed(self, data: bytes) -> None:
            pass

        def next_frame(self) -> None:
            raise RuntimeError("boom")

    protocol._parser = BrokenParser()  # type: ignore[assignment]
    with caplog.at_level(logging.ERROR, logger="websockets.protocol"):
        protocol.data_received(b"whatever")
    assert close_frames(protocol, transport)[0][0] == 1011
    assert "Error while parsing frames" in caplog.text


async def test_fail_connection_twice() -> None:
    protocol, transport = open_protocol()
    protocol.fail_connection(1002, "first")
    protocol.fail_connection(1011, "second")
    assert close_frames(protocol, transport) == [(1002, "first")]


async def test_fail_connection_1006_aborts() -> None:
    protocol, transport = open_protocol()
    protocol.fail_connection()
    assert transport.writes == []
    assert transport.abort_called == 1
    await run_pending()
    assert protocol.close_code == 1006


async def test_fail_connection_in_connecting_state() -> None:
    protocol, transport = make_protocol()
    protocol.fail_connection(1011)
    assert transport.writes == []
    assert transport.abort_called == 1
    await protocol.wait_closed()


async def test_fail_connection_when_closed() -> None:
    protocol, transport = open_protocol()
    protocol.connection_lost(None)
    protocol.fail_connection(1011)
    assert transport.writes == []
    assert transport.abort_called == 0
    assert transport.close_called == 0


async def test_fail_connection_waits_for_close_frame() -> None:
    # The stream can still be parsed: wait for the peer's close frame.
    protocol, transport = open_protocol(close_timeout=1)
    protocol.fail_connection(1011)
    assert transport.close_called == 0
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"dropped"))
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1011)))
    assert transport.close_called == 1
    await protocol.wait_closed()
    assert protocol.close_code == 1011
    assert not protocol.messages


# Closing handshake


@pytest.mark.parametrize("is_client", SIDES)
async def test_close(is_client: bool) -> None:
    protocol, transport = open_protocol(is_client, close_timeout=1)
    task = asyncio.create_task(protocol.close(1001, "bye"))
    await run_pending()
    assert close_frames(protocol, transport) == [(1001, "bye")]
    assert protocol.state is State.CLOSING
    assert not task.done()
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1001, "bye")))
    if is_client:
        # The client waits for the server to close the TCP connection.
        await run_pending()
        assert transport.close_called == 0
        assert not task.done()
        protocol.connection_lost(None)
    else:
        assert transport.close_called == 1
    await task
    assert protocol.state is State.CLOSED  # type: ignore[comparison-overlap]
    assert protocol.close_code == 1001
    assert protocol.close_reason == "bye"
    assert transport.abort_called == 0


async def test_close_default_code() -> None:
    protocol, transport = open_protocol(close_timeout=0.05)
    await protocol.close()
    assert close_frames(protocol, transport) == [(1000, "")]


async def test_close_is_idempotent() -> None:
    protocol, transport = open_protocol(close_timeout=1)
    task1 = asyncio.create_task(protocol.close())
    task2 = asyncio.create_task(protocol.close())
    await run_pending()
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1000)))
    await asyncio.gather(task1, task2)
    await protocol.close()
    assert close_frames(protocol, transport) == [(1000, "")]


@pytest.mark.parametrize("code", [999, 1004, 1005, 1006, 5000])
async def test_close_invalid_code(code: int) -> None:
    protocol, transport = open_protocol()
    with pytest.raises(ProtocolError):
        await protocol.close(code)
    assert transport.writes == []
    assert protocol.state is State.OPEN


@pytest.mark.parametrize("is_client", SIDES)
async def test_close_frame_echoed(is_client: bool) -> None:
    protocol, transport = open_protocol(is_client, close_timeout=1)
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(3000, "why")))
    assert close_frames(protocol, transport) == [(3000, "why")]
    assert protocol.state is State.CLOSING
    assert protocol.close_code == 3000
    assert protocol.close_reason == "why"
    if is_client:
        assert transport.close_called == 0
        protocol.connection_lost(None)
    else:
        assert transport.close_called == 1
    await protocol.wait_closed()
    assert protocol.close_code == 3000


async def test_empty_close_frame_echoed_empty() -> None:
    protocol, transport = open_protocol()
    protocol.data_received(peer_frame(protocol, OP_CLOSE, b""))
    assert written(protocol, transport) == [Frame(True, OP_CLOSE, b"")]
    await protocol.wait_closed()
    assert protocol.close_code == 1005
    with pytest.raises(ConnectionClosedError) as raised:
        await protocol.recv()
    assert raised.value.code == 1005


@pytest.mark.parametrize("is_client", SIDES)
async def test_close_timeout(is_client: bool) -> None:
    protocol, transport = open_protocol(is_client, close_timeout=0.1)
    loop = asyncio.get_running_loop()
    start = loop.time()
    await protocol.close()
    elapsed = loop.time() - start
    # uvloop's clock and timers have a 1 ms resolution.
    assert 0.1 - 0.001 <= elapsed < 0.5
    assert transport.abort_called == 1
    assert protocol.close_code == 1006


async def test_close_timeout_one_deadline() -> None:
    # The peer answers the close frame but never closes TCP: still a single
    # deadline from the start of the closing handshake.
    protocol, transport = open_protocol(True, close_timeout=0.2)
    loop = asyncio.get_running_loop()
    start = loop.time()
    task = asyncio.create_task(protocol.close())
    await asyncio.sleep(0.15)
    deadline = protocol._close_deadline
    assert deadline is not None
    assert start < deadline <= start + 0.2 + 0.01
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1000)))
    # Receiving the close frame doesn't start another timeout.
    assert protocol._close_deadline == deadline
    await task
    elapsed = loop.time() - start
    # 0.35 or more if the close frame had started a new timeout.
    # uvloop's clock and timers have a 1 ms resolution.
    assert 0.2 - 0.001 <= elapsed < 0.33
    assert transport.abort_called == 1
    assert protocol.close_code == 1000


async def test_close_deadline_after_connection_lost() -> None:
    protocol, transport = open_protocol(close_timeout=0.01)
    protocol.fail_connection(1011)
    protocol.connection_lost(None)
    assert protocol._close_timer is None
    protocol._on_close_deadline()
    assert transport.abort_called == 0


async def test_close_while_recv_waits() -> None:
    protocol, _transport = open_protocol(close_timeout=1)
    recv_task = asyncio.create_task(protocol.recv())
    await run_pending()
    close_task = asyncio.create_task(protocol.close())
    await run_pending()
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1000)))
    await close_task
    with pytest.raises(ConnectionClosedOK):
        await recv_task


async def test_fail_connection_before_connection_made() -> None:
    protocol = WebSocketCommonProtocol()
    protocol.fail_connection(1011)
    assert protocol.state is State.CLOSED
    assert protocol.close_code == 1006


async def test_close_in_connecting_state() -> None:
    protocol, transport = make_protocol()
    await protocol.close()
    assert transport.close_called == 1
    assert transport.writes == []
    assert protocol.state is State.CLOSED


async def test_close_twice_in_connecting_state() -> None:
    protocol, transport = make_protocol(close_timeout=1)
    await asyncio.gather(protocol.close(), protocol.close())
    assert protocol.state is State.CLOSED
    assert transport.abort_called == 0


async def test_close_before_connection_made() -> None:
    protocol = WebSocketCommonProtocol(close_timeout=0.05)
    await asyncio.wait_for(protocol.close(), timeout=1)
    assert protocol.state is State.CLOSED


async def test_close_when_closed() -> None:
    protocol, transport = open_protocol()
    protocol.connection_lost(None)
    await protocol.close()
    assert transport.writes == []


async def test_wait_closed() -> None:
    protocol, _transport = open_protocol()
    task = asyncio.create_task(protocol.wait_closed())
    await run_pending()
    assert not task.done()
    protocol.connection_lost(None)
    await task


async def test_connection_lost_without_close_frame() -> None:
    protocol, _transport = open_protocol()
    protocol.connection_lost(ConnectionResetError())
    assert protocol.state is State.CLOSED
    assert protocol.close_code == 1006
    assert protocol.close_reason == ""


async def test_connection_lost_twice() -> None:
    protocol, _transport = open_protocol()
    protocol.connection_lost(None)
    protocol.connection_lost(None)
    assert protocol.close_code == 1006


# Writes


async def test_small_frames_in_one_write() -> None:
    protocol, transport = open_protocol(True)
    await protocol.send("hello")
    await protocol.send(b"x" * 200)
    await protocol.ping(b"p")
    await protocol.pong(b"q")
    await protocol.send(["a", "b"])
    # frames() checks that each write holds exactly one frame.
    assert len(written(protocol, transport)) == len(transport.writes) == 7


# Logging


async def test_logging(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="websockets.protocol"):
        protocol, _transport = open_protocol(close_timeout=1)
        await protocol.send("hello")
        protocol.data_received(peer_frame(protocol, OP_BINARY, b"abc"))
        protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1000)))
        protocol.eof_received()
        protocol.fail_connection(1011, "late")
        await protocol.wait_closed()
    messages = [record.getMessage() for record in caplog.records]
    assert "server - state = CONNECTING" in messages
    assert "server - state = OPEN" in messages
    assert "server > TEXT fin=True len=5" in messages
    assert "server < BINARY fin=True len=3" in messages
    assert "server < CLOSE fin=True len=2" in messages
    assert "server > CLOSE fin=True len=2" in messages
    assert "server - state = CLOSING" in messages
    assert "server - state = CLOSED" in messages
    assert "server - event = eof_received()" in messages
    assert any(m.startswith("server - event = connection_made(") for m in messages)
    assert any(m.startswith("server - event = connection_lost(") for m in messages)
    assert any(m.startswith("server ! failing CLOSING connection") for m in messages)


async def test_no_logging_by_default(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="websockets.protocol"):
        protocol, _transport = open_protocol()
        await protocol.send("hello")
        protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1000)))
        await protocol.wait_closed()
    assert caplog.records == []


# Faults


@pytest.mark.parametrize("is_client", SIDES)
async def test_peer_disappears_mid_frame(is_client: bool) -> None:
    protocol, _transport = open_protocol(is_client)
    data = peer_frame(protocol, OP_TEXT, b"x" * 100)
    protocol.data_received(data[:50])
    protocol.connection_lost(ConnectionResetError())
    assert protocol.close_code == 1006
    with pytest.raises(ConnectionClosedError) as raised:
        await protocol.recv()
    assert raised.value.code == 1006


async def test_bytes_after_close_frame_are_ignored() -> None:
    protocol, transport = open_protocol(True)
    protocol.data_received(
        peer_frame(protocol, OP_CLOSE, close_payload(1000))
        + peer_frame(protocol, OP_TEXT, b"ignored")
        + b"garbage"
    )
    protocol.data_received(b"more garbage")
    assert close_frames(protocol, transport) == [(1000, "")]
    assert not protocol.messages
    protocol.connection_lost(None)
    assert protocol.close_code == 1000


async def test_eof_received_without_close_frame() -> None:
    protocol, transport = open_protocol()
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"hello"))
    # Returning None lets the transport close the connection.
    assert protocol.eof_received() is None  # type: ignore[func-returns-value]
    assert await protocol.recv() == "hello"
    # The transport closes itself when eof_received() returns None.
    transport.close()
    with pytest.raises(ConnectionClosedError) as raised:
        await protocol.recv()
    assert raised.value.code == 1006


async def test_eof_received_after_close_frame() -> None:
    protocol, transport = open_protocol(True)
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1000)))
    protocol.eof_received()
    transport.close()
    await protocol.wait_closed()
    assert protocol.close_code == 1000


async def test_data_after_eof_is_ignored() -> None:
    protocol, _transport = open_protocol()
    protocol.eof_received()
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"hello"))
    assert not protocol.messages


# Opening handshake buffer


async def test_bytes_during_connecting_handed_to_parser() -> None:
    protocol, _transport = make_protocol()
    protocol.data_received(b"HTTP/1.1 101 Switching Protocols\r\n\r\n")
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"early"))
    assert await protocol.reader.readline() == b"HTTP/1.1 101 Switching Protocols\r\n"
    assert await protocol.reader.readline() == b"\r\n"
    assert not protocol.messages
    protocol.connection_open()
    assert await protocol.recv() == "early"
    assert protocol.reader.buffered() == 0


async def test_partial_frame_during_connecting() -> None:
    protocol, _transport = make_protocol()
    data = peer_frame(protocol, OP_TEXT, b"early")
    protocol.data_received(data[:3])
    protocol.connection_open()
    assert not protocol.messages
    protocol.data_received(data[3:])
    assert await protocol.recv() == "early"


async def test_eof_during_connecting() -> None:
    protocol, _transport = make_protocol()
    protocol.data_received(b"partial")
    protocol.eof_received()
    assert await protocol.reader.readline() == b"partial"
    assert await protocol.reader.readline() == b""
    assert protocol.reader.at_eof()


async def test_eof_during_connecting_then_open() -> None:
    protocol, transport = make_protocol()
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"early"))
    protocol.eof_received()
    protocol.connection_open()
    assert await protocol.recv() == "early"
    transport.close()
    with pytest.raises(ConnectionClosedError):
        await protocol.recv()


async def test_connection_lost_during_connecting() -> None:
    protocol, _transport = make_protocol()
    protocol.connection_lost(None)
    assert protocol.state is State.CLOSED
    assert protocol.reader.at_eof()


# ensure_open()


async def test_ensure_open_open() -> None:
    protocol, _transport = open_protocol()
    await protocol.ensure_open()


async def test_ensure_open_connecting() -> None:
    protocol, _transport = make_protocol()
    with pytest.raises(InvalidState):
        await protocol.ensure_open()


async def test_ensure_open_closing_with_known_code() -> None:
    protocol, _transport = open_protocol(True)
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1000)))
    assert protocol.state is State.CLOSING
    with pytest.raises(ConnectionClosedOK):
        await protocol.ensure_open()


async def test_ensure_open_closing_waits_for_code() -> None:
    protocol, _transport = open_protocol(close_timeout=1)
    close_task = asyncio.create_task(protocol.close(1001))
    await run_pending()
    task = asyncio.create_task(protocol.ensure_open())
    await run_pending()
    assert not task.done()
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1001)))
    with pytest.raises(ConnectionClosedOK) as raised:
        await task
    assert raised.value.code == 1001
    await close_task


async def test_ensure_open_closed() -> None:
    protocol, _transport = open_protocol()
    protocol.connection_lost(None)
    with pytest.raises(ConnectionClosedError) as raised:
        await protocol.ensure_open()
    assert raised.value.code == 1006


async def test_connection_closed_exc() -> None:
    protocol, _transport = open_protocol()
    protocol.close_code = 1000
    protocol.close_reason = "bye"
    exc = protocol.connection_closed_exc()
    assert isinstance(exc, ConnectionClosedOK)
    assert (exc.code, exc.reason) == (1000, "bye")
    protocol.close_code = 1002
    assert isinstance(protocol.connection_closed_exc(), ConnectionClosedError)
    assert isinstance(protocol.connection_closed_exc(), ConnectionClosed)


# StreamBuffer


async def test_stream_buffer_readline() -> None:
    buffer = StreamBuffer(limit=100)
    buffer.feed_data(b"line 1\nline 2\n")
    assert await buffer.readline() == b"line 1\n"
    assert await buffer.readline() == b"line 2\n"
    assert buffer.buffered() == 0


async def test_stream_buffer_readline_waits() -> None:
    buffer = StreamBuffer(limit=100)
    task = asyncio.create_task(buffer.readline())
    buffer.feed_data(b"li")
    await run_pending()
    assert not task.done()
    buffer.feed_data(b"ne\nrest")
    assert await task == b"line\n"
    assert buffer.buffered() == 4


async def test_stream_buffer_readline_limit() -> None:
    buffer = StreamBuffer(limit=5)
    buffer.feed_data(b"0123456789\n")
    assert await buffer.readline() == b"01234"
    assert await buffer.readline() == b"56789"
    assert await buffer.readline() == b"\n"


async def test_stream_buffer_readline_limit_with_newline_beyond() -> None:
    buffer = StreamBuffer(limit=4)
    buffer.feed_data(b"abcdef\n")
    assert await buffer.readline() == b"abcd"


async def test_stream_buffer_readline_eof() -> None:
    buffer = StreamBuffer(limit=100)
    task = asyncio.create_task(buffer.readline())
    buffer.feed_data(b"partial")
    await run_pending()
    buffer.feed_eof()
    assert await task == b"partial"
    assert buffer.at_eof()
    assert await buffer.readline() == b""


async def test_stream_buffer_readexactly() -> None:
    buffer = StreamBuffer(limit=100)
    task = asyncio.create_task(buffer.readexactly(5))
    buffer.feed_data(b"abc")
    await run_pending()
    assert not task.done()
    buffer.feed_data(b"defg")
    assert await task == b"abcde"
    assert await buffer.readexactly(2) == b"fg"
    assert await buffer.readexactly(0) == b""


async def test_stream_buffer_readexactly_eof() -> None:
    buffer = StreamBuffer(limit=100)
    buffer.feed_data(b"abc")
    buffer.feed_eof()
    assert not buffer.at_eof()
    with pytest.raises(asyncio.IncompleteReadError) as raised:
        await buffer.readexactly(5)
    assert raised.value.partial == b"abc"
    assert raised.value.expected == 5
    assert buffer.at_eof()


async def test_stream_buffer_take() -> None:
    buffer = StreamBuffer(limit=100)
    assert buffer.take() == b""
    buffer.feed_data(b"abc")
    buffer.feed_data(b"def")
    assert buffer.take() == b"abcdef"
    assert buffer.buffered() == 0
    assert not buffer.at_eof()
    buffer.feed_eof()
    assert buffer.at_eof()


async def test_stream_buffer_cancel_read() -> None:
    buffer = StreamBuffer(limit=100)
    task = asyncio.create_task(buffer.readline())
    await run_pending()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The waiter is cancelled: feeding doesn't fail, reading works again.
    buffer.feed_data(b"line\n")
    assert await buffer.readline() == b"line\n"


async def test_stream_buffer_feed_after_cancel() -> None:
    buffer = StreamBuffer(limit=100)
    task = asyncio.create_task(buffer.readline())
    await run_pending()
    # Data arrives after the reader is cancelled, before it runs again.
    task.cancel()
    buffer.feed_data(b"line\n")
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await buffer.readline() == b"line\n"


async def test_stream_buffer_feed_without_reader() -> None:
    buffer = StreamBuffer(limit=100)
    buffer.feed_data(b"")
    buffer.feed_eof()
    buffer.feed_eof()
    assert buffer.at_eof()


async def test_stream_buffer_concurrent_reads() -> None:
    buffer = StreamBuffer(limit=100)
    task = asyncio.create_task(buffer.readline())
    await run_pending()
    with pytest.raises(AssertionError, match="concurrent"):
        await buffer.readexactly(1)
    buffer.feed_data(b"x\n")
    assert await task == b"x\n"


async def test_close_with_full_queue_reads_close_frame() -> None:
    # The application stops reading and closes: the peer's close frame,
    # behind messages that don't fit in the queue, must still be read.
    protocol, transport = open_protocol(max_queue=2, close_timeout=1)
    protocol.data_received(
        b"".join(peer_frame(protocol, OP_TEXT, str(i).encode()) for i in range(5))
    )
    assert transport.pause_reading_calls == 1
    loop = asyncio.get_running_loop()
    start = loop.time()
    task = asyncio.create_task(protocol.close())
    await run_pending()
    assert transport.resume_reading_calls == 1
    protocol.data_received(peer_frame(protocol, OP_TEXT, b"5"))
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1000)))
    await task
    assert loop.time() - start < 0.5
    assert protocol.close_code == 1000
    assert transport.abort_called == 0
    # Messages beyond max_queue that arrived after close() are dropped.
    assert [message async for message in protocol] == ["0", "1"]


async def test_fail_connection_with_full_queue_reads_close_frame() -> None:
    protocol, transport = open_protocol(max_queue=2, close_timeout=1)
    protocol.data_received(
        b"".join(peer_frame(protocol, OP_TEXT, str(i).encode()) for i in range(5))
        + peer_frame(protocol, OP_CLOSE, close_payload(1011))
    )
    protocol.fail_connection(1011, "keepalive ping timeout")
    await protocol.wait_closed()
    assert transport.resume_reading_calls == 1
    assert transport.abort_called == 0
    assert protocol.close_code == 1011
    assert list(protocol.messages) == ["0", "1"]


async def test_recv_resumes_reading_before_close_does() -> None:
    protocol, transport = open_protocol(max_queue=2, close_timeout=1)
    protocol.data_received(
        b"".join(peer_frame(protocol, OP_TEXT, str(i).encode()) for i in range(3))
    )
    task = asyncio.create_task(protocol.close())
    # close() writes its close frame on its second step, like 8.1.
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert protocol.state is State.CLOSING
    # close() scheduled reading to resume; recv() gets there first.
    assert await protocol.recv() == "0"
    assert await protocol.recv() == "1"
    assert transport.resume_reading_calls == 1
    await run_pending()
    assert transport.resume_reading_calls == 1
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1000)))
    await task
    assert [message async for message in protocol] == ["2"]


async def test_flood_while_closing_memory_stays_bounded() -> None:
    max_queue, max_size = 4, 100
    protocol, transport = open_protocol(
        max_queue=max_queue, max_size=max_size, close_timeout=1
    )
    task = asyncio.create_task(protocol.close())
    await run_pending()
    frame = peer_frame(protocol, OP_BINARY, b"x" * max_size)
    assert protocol._parser is not None
    for _ in range(10 * max_queue):
        protocol.data_received(frame * 3)
        queued = sum(len(m) for m in protocol.messages)
        assert queued <= max_queue * max_size
        assert protocol._parser.buffered() == 0
    assert transport.pause_reading_calls == 0
    protocol.data_received(peer_frame(protocol, OP_CLOSE, close_payload(1000)))
    await task
    assert len(protocol.messages) == max_queue
