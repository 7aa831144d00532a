"""The fast paths of read_request, read_response and read_headers.

When the protocol's StreamBuffer holds the whole head of a message, start
line and headers, parse_head() (C, or its twin _parse_head_py) parses it in
one pass; when it holds all the headers once the start line is read,
read_headers_nowait() does; otherwise reading goes line by line. All paths
must give the same result, or the same error, for any input: these tests
compare them (StreamBuffer against asyncio.StreamReader, which only has the
line by line path), with the C parser and with its twin.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Tuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from websockets import http
from websockets.datastructures import _COMMON_NAMES, Headers
from websockets.exceptions import SecurityError
from websockets.http import (
    MAX_HEADERS,
    MAX_LINE,
    _parse_head_py,
    read_headers_nowait,
    read_request,
    read_response,
)
from websockets.streams import StreamBuffer

try:
    from websockets.speedups import parse_head as c_parse_head
except ImportError:  # pragma: no cover (the C accelerator wasn't built)
    c_parse_head = None

PARSERS = [_parse_head_py] + ([c_parse_head] if c_parse_head is not None else [])


@pytest.fixture(params=PARSERS, ids=lambda parser: parser.__module__)
def parser(request: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run the test with each implementation of parse_head()."""
    monkeypatch.setattr(http, "_parse_head", request.param)
    return request.param


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
async def test_request_paths_agree(data: bytes, parser: Any) -> None:
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
async def test_response_paths_agree(data: bytes, parser: Any) -> None:
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


@pytest.mark.parametrize("read", [read_request, read_response])
@pytest.mark.parametrize("parse", PARSERS)
@given(data=head_like)
def test_paths_agree_on_anything(data: bytes, parse: Any, read: Any) -> None:
    saved = http._parse_head
    http._parse_head = parse
    try:
        fast, slow, fast_rest, slow_rest = asyncio.run(both(read, data))
    finally:
        http._parse_head = saved
    assert fast == slow
    assert fast_rest == slow_rest


# parse_head() itself: the C function and its twin give the same result.

# The longest line of REQUEST, with its CRLF.
LONGEST = max(len(line) for line in REQUEST.split(b"\r\n")) + 2


@pytest.mark.parametrize(
    "data, max_line, max_headers, expected",
    [
        (REQUEST, MAX_LINE, MAX_HEADERS, 7),
        (REQUEST + b"\x81\x00", MAX_LINE, MAX_HEADERS, 7),
        (REQUEST, MAX_LINE, 7, 7),
        (REQUEST, MAX_LINE, 6, None),
        (REQUEST, LONGEST, MAX_HEADERS, 7),
        (REQUEST, LONGEST - 1, MAX_HEADERS, None),
        (REQUEST[:-1], MAX_LINE, MAX_HEADERS, None),
        (b"\r\n\r\n", MAX_LINE, MAX_HEADERS, 0),
        (b"GET / HTTP/1.1\r\n\r\n", MAX_LINE, 0, 0),
        (b"GET / HTTP/1.1\n\r\n", MAX_LINE, MAX_HEADERS, None),
        (b"GET / HTTP/1.1\r\nA: b\n\r\n", MAX_LINE, MAX_HEADERS, None),
        (b"GET / HTTP/1.1\r\n\nA: b\r\n\r\n", MAX_LINE, MAX_HEADERS, None),
        (b"GET / HTTP/1.1\r\n: b\r\n\r\n", MAX_LINE, MAX_HEADERS, None),
        (b"GET / HTTP/1.1\r\nA\r\n\r\n", MAX_LINE, MAX_HEADERS, None),
        (b"GET / HTTP/1.1\r\nA b: c\r\n\r\n", MAX_LINE, MAX_HEADERS, None),
        (b"GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n", MAX_LINE, MAX_HEADERS, None),
        (b"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", MAX_LINE, MAX_HEADERS, None),
        (b"GET / HTTP/1.1\r\nA:\t \r\n\r\n", MAX_LINE, MAX_HEADERS, 1),
        (b"\xff\r\n\x00\r\n\r\n", MAX_LINE, MAX_HEADERS, None),
    ],
)
def test_parse_head(
    data: bytes, max_line: int, max_headers: int, expected: Any
) -> None:
    results = [
        parse(bytearray(data), max_line, max_headers, _COMMON_NAMES)
        for parse in PARSERS
    ]
    assert all(result == results[0] for result in results)
    result = results[0]
    if expected is None:
        assert result is None
    else:
        start_line, items, keys, length = result
        assert len(items) == len(keys) == expected
        assert data[:length].endswith(b"\r\n\r\n")
        assert data.startswith(start_line + b"\r\n")


def test_parse_head_values() -> None:
    for parse in PARSERS:
        start_line, items, keys, length = parse(
            REQUEST, MAX_LINE, MAX_HEADERS, _COMMON_NAMES
        )
        assert start_line == b"GET /chat?x=1 HTTP/1.1"
        assert items == [
            ("Host", "server.example.com"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("Sec-WebSocket-Version", "13"),
            ("X-Custom", "spaced value"),
            ("X-Custom", "\udce9t\udce9"),
        ]
        assert keys == [
            "host",
            "upgrade",
            "connection",
            "sec-websocket-key",
            "sec-websocket-version",
            "x-custom",
            "x-custom",
        ]
        assert length == len(REQUEST)
        # Common names are the shared strings, as headers[name] = value makes them.
        assert items[1][0] is _COMMON_NAMES["Upgrade"]
        assert keys[1] is _COMMON_NAMES["upgrade"]
        # The lists are those of Headers.
        headers = Headers._from_lists(items, keys)
        assert headers == Headers(items)
        assert list(headers.raw_items()) == list(Headers(items).raw_items())


def test_parse_head_long_name() -> None:
    # Names longer than the C code's buffer for lower-casing them.
    name = "X-" + "Ab" * 200
    data = f"GET / HTTP/1.1\r\n{name}: 1\r\n\r\n".encode()
    for parse in PARSERS:
        _, items, keys, _ = parse(data, MAX_LINE, MAX_HEADERS, _COMMON_NAMES)
        assert items == [(name, "1")]
        assert keys == [name.lower()]


@pytest.mark.skipif(c_parse_head is None, reason="websockets.speedups isn't built")
@given(
    data=head_like,
    max_line=st.integers(-1, 64),
    max_headers=st.integers(-1, 8),
    kind=st.sampled_from([bytes, bytearray, memoryview]),
)
def test_c_parse_head_is_its_twin(
    data: bytes, max_line: int, max_headers: int, kind: Any
) -> None:
    assert c_parse_head is not None
    expected = _parse_head_py(bytearray(data), max_line, max_headers, _COMMON_NAMES)
    result = c_parse_head(kind(data), max_line, max_headers, _COMMON_NAMES)
    assert result == expected


@pytest.mark.skipif(c_parse_head is None, reason="websockets.speedups isn't built")
def test_c_parse_head_arguments() -> None:
    assert c_parse_head is not None
    common = _COMMON_NAMES
    with pytest.raises(TypeError):
        c_parse_head(b"", 1, 1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        c_parse_head(b"", "1", 1, common)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        c_parse_head(b"", 1, None, common)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        c_parse_head(b"", 1, 1, [])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        c_parse_head("GET", 1, 1, common)  # type: ignore[arg-type]
    # Non-contiguous buffers are copied first.
    strided = memoryview(b"x\r\r\n\n\r\r\n\n")[::2]
    assert c_parse_head(strided, 10, 1, common) == (b"x", [], [], 5)


@pytest.mark.skipif(c_parse_head is None, reason="websockets.speedups isn't built")
def test_c_parse_head_lookup_errors() -> None:
    # A key whose comparison raises makes the lookup of a name with the same
    # hash fail: the error goes through.
    assert c_parse_head is not None

    class Boom(str):
        def __eq__(self, other: object) -> bool:
            raise RuntimeError("boom")

        __hash__ = str.__hash__

    for name in ("Host", "host"):
        common = {Boom(name): name}
        with pytest.raises(RuntimeError):
            c_parse_head(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 99, 9, common)


async def test_head_that_arrives_later() -> None:
    # The fast path waits for the first bytes, then parses them at once.
    stream = StreamBuffer(limit=2**16)
    task = asyncio.ensure_future(read_request(stream))
    await asyncio.sleep(0)
    assert not task.done()
    stream.feed_data(REQUEST)
    path, headers = await task
    assert path == "/chat?x=1"
    assert len(list(headers.raw_items())) == 7


async def test_head_with_lines_above_the_read_limit() -> None:
    # readline() returns at most limit bytes: a start line longer than that
    # can't be read. The fast path leaves such lines to it.
    long_target = b"GET /" + b"a" * 100 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    stream = StreamBuffer(limit=64)
    stream.feed_data(long_target)
    with pytest.raises(EOFError):
        await read_request(stream)
    # Header lines are read at once, up to MAX_LINE, as before.
    long_header = b"GET / HTTP/1.1\r\nX-Long: " + b"a" * 100 + b"\r\n\r\n"
    stream = StreamBuffer(limit=64)
    stream.feed_data(long_header)
    _, headers = await read_request(stream)
    assert headers["X-Long"] == "a" * 100
