"""The fast path of read_headers: all the headers at once.

When the protocol's StreamBuffer holds all the headers, read_headers_nowait()
parses them in one pass; otherwise reading goes line by line. Both paths must
give the same result, or the same error, for any input: these tests compare
them (StreamBuffer against asyncio.StreamReader, which only has the line by
line path).
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Tuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from websockets.datastructures import Headers
from websockets.exceptions import SecurityError
from websockets.http import (
    MAX_HEADERS,
    MAX_LINE,
    read_headers_nowait,
    read_request,
    read_response,
)
from websockets.streams import StreamBuffer


def buffer_stream(data: bytes, eof: bool = True) -> StreamBuffer:
    stream = StreamBuffer(limit=2**16)
    stream.feed_data(data)
    if eof:
        stream.feed_eof()
    return stream


def reader_stream(data: bytes) -> asyncio.StreamReader:
    stream = asyncio.StreamReader()
    stream.feed_data(data)
    stream.feed_eof()
    return stream


def outcome(result: Any) -> Any:
    if isinstance(result, tuple):
        return tuple(
            list(item.raw_items()) if isinstance(item, Headers) else item
            for item in result
        )
    return result


async def both(
    read: Callable[[Any], Awaitable[Any]], data: bytes
) -> Tuple[Any, Any, bytes, bytes]:
    """Read with each path; return both outcomes and what each left unread."""
    results = []
    rests = []
    for make in (buffer_stream, reader_stream):
        stream: Any = make(data)
        try:
            result = outcome(await read(stream))
        except (EOFError, SecurityError, ValueError) as exc:
            result = (type(exc), str(exc))
            rests.append(b"")
        else:
            if isinstance(stream, StreamBuffer):
                rests.append(stream.take())
            else:
                rests.append(await stream.read())
        results.append(result)
    return results[0], results[1], rests[0], rests[1]


REQUEST = (
    b"GET /chat?x=1 HTTP/1.1\r\n"
    b"Host: server.example.com\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
    b"X-Custom:  spaced value\t \r\n"
    b"X-Custom: \xe9t\xe9\r\n"
    b"\r\n"
)
RESPONSE = (
    b"HTTP/1.1 101 Switching Protocols\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    b"\r\n"
)


async def test_request_fast_path() -> None:
    stream = buffer_stream(REQUEST + b"\x81\x00", eof=False)
    path, headers = await read_request(stream)
    assert path == "/chat?x=1"
    assert headers["Host"] == "server.example.com"
    assert headers.get_all("x-custom") == ["spaced value", "\udce9t\udce9"]
    assert stream.take() == b"\x81\x00"
    # The common names are the shared strings of Headers.
    assert list(headers.raw_items())[1][0] == "Upgrade"


async def test_response_fast_path() -> None:
    stream = buffer_stream(RESPONSE, eof=False)
    status_code, reason, headers = await read_response(stream)
    assert (status_code, reason) == (101, "Switching Protocols")
    assert headers["Sec-WebSocket-Accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert stream.take() == b""


async def test_headers_nowait_needs_a_stream_buffer() -> None:
    assert read_headers_nowait(reader_stream(b"Host: x\r\n\r\n")) is None


HEADERS = REQUEST.partition(b"\r\n")[2]


@pytest.mark.parametrize(
    "data",
    [
        # Incomplete: wait for more bytes, line by line.
        HEADERS[:-2],
        b"\r",
        b"",
        # Bare LF somewhere.
        HEADERS.replace(b"Upgrade\r\n", b"Upgrade\n"),
        # A line longer than MAX_LINE.
        HEADERS.replace(b"spaced", b"s" * MAX_LINE),
        # A malformed header line.
        HEADERS.replace(b"Host:", b"Host :"),
        HEADERS.replace(b"Upgrade\r\n", b"Upgrade\x00\r\n"),
        # Too many headers.
        b"A: b\r\n" * (MAX_HEADERS + 1) + b"\r\n",
    ],
)
def test_headers_nowait_leaves_the_rest_to_lines(data: bytes) -> None:
    stream = buffer_stream(data)
    assert read_headers_nowait(stream) is None
    assert stream.take() == data


@pytest.mark.parametrize(
    "data, count",
    [
        (HEADERS, 7),
        # Long block made of lines at the limit.
        ((b"A: " + b"b" * (MAX_LINE - 5) + b"\r\n") * 3 + b"\r\n", 3),
        # As many headers as allowed.
        (b"A: b\r\n" * MAX_HEADERS + b"\r\n", MAX_HEADERS),
        # No headers.
        (b"\r\n", 0),
    ],
)
def test_headers_nowait(data: bytes, count: int) -> None:
    stream = buffer_stream(data + b"\x81\x00")
    headers = read_headers_nowait(stream)
    assert headers is not None
    assert len(list(headers.raw_items())) == count
    assert stream.take() == b"\x81\x00"


@pytest.mark.parametrize(
    "data",
    [
        REQUEST,
        REQUEST.replace(b"GET", b"POST"),
        REQUEST.replace(b"HTTP/1.1", b"HTTP/1.0"),
        REQUEST.replace(b"/chat", b"/ch\x7fat"),
        REQUEST.replace(b"Upgrade\r\n", b"Upgrade\n"),
        REQUEST.replace(b"spaced", b"s" * MAX_LINE),
        REQUEST.replace(b"Host:", b"Host :"),
        b"GET / HTTP/1.1\r\n" + b"A: b\r\n" * (MAX_HEADERS + 1) + b"\r\n",
        b"GET / HTTP/1.1\r\n" + b"A: b\r\n" * MAX_HEADERS + b"\r\n",
        b"\r\n\r\n",
        b"\r\nHost: x\r\n\r\n",
    ],
)
async def test_request_paths_agree(data: bytes) -> None:
    fast, slow, fast_rest, slow_rest = await both(read_request, data)
    assert fast == slow
    assert fast_rest == slow_rest


@pytest.mark.parametrize(
    "data",
    [
        RESPONSE,
        RESPONSE.replace(b"101", b"1x1"),
        RESPONSE.replace(b"HTTP/1.1", b"HTTP/2"),
        RESPONSE.replace(b"Switching", b"Swi\x00tching"),
        RESPONSE.replace(b" Switching Protocols", b""),
        RESPONSE.replace(b"Upgrade:", b"Up grade:"),
    ],
)
async def test_response_paths_agree(data: bytes) -> None:
    fast, slow, fast_rest, slow_rest = await both(read_response, data)
    assert fast == slow
    assert fast_rest == slow_rest


# Arbitrary heads: mostly well-formed lines, with every kind of damage.

line = st.one_of(
    st.builds(
        lambda name, sep, value: name + sep + value,
        st.sampled_from([b"Host", b"Upgrade", b"X-A", b"x y", b"", b"\xe9"]),
        st.sampled_from([b":", b": ", b":\t", b" :", b""]),
        st.binary(max_size=12),
    ),
    st.binary(max_size=20),
)
head_like = st.builds(
    lambda start, lines, eol, tail: start + b"".join(x + eol for x in lines) + tail,
    st.sampled_from(
        [
            b"GET / HTTP/1.1\r\n",
            b"HTTP/1.1 101 OK\r\n",
            b"HTTP/1.1 200\r\n",
            b"GET /\xff HTTP/1.1\r\n",
            b"\r\n",
            b"",
        ]
    ),
    st.lists(line, max_size=6),
    st.sampled_from([b"\r\n", b"\r\n", b"\n", b"\r"]),
    st.sampled_from([b"\r\n", b"\r\n\x81\x00", b"", b"\n"]),
)


@given(head_like)
def test_request_paths_agree_on_anything(data: bytes) -> None:
    fast, slow, fast_rest, slow_rest = asyncio.run(both(read_request, data))
    assert fast == slow
    assert fast_rest == slow_rest


@given(head_like)
def test_response_paths_agree_on_anything(data: bytes) -> None:
    fast, slow, fast_rest, slow_rest = asyncio.run(both(read_response, data))
    assert fast == slow
    assert fast_rest == slow_rest
