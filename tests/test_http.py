from __future__ import annotations

import asyncio
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from websockets import http
from websockets.datastructures import Headers, MultipleValuesError
from websockets.exceptions import SecurityError
from websockets.http import (
    MAX_HEADERS,
    MAX_LINE,
    USER_AGENT,
    read_headers,
    read_line,
    read_request,
    read_response,
)
from websockets.version import version


def make_stream(data: bytes, eof: bool = True) -> asyncio.StreamReader:
    stream = asyncio.StreamReader()
    stream.feed_data(data)
    if eof:
        stream.feed_eof()
    return stream


class LineStream:
    """Stream whose readline() returns predefined lines, whatever their size."""

    def __init__(self, *lines: bytes) -> None:
        self.lines = list(lines)

    async def readline(self) -> bytes:
        return self.lines.pop(0) if self.lines else b""


def test_reexports() -> None:
    assert http.Headers is Headers
    assert http.MultipleValuesError is MultipleValuesError


def test_user_agent() -> None:
    major, minor = sys.version_info[:2]
    assert f"Python/{major}.{minor} websockets/{version}" == USER_AGENT


def test_limits() -> None:
    assert MAX_HEADERS == 256
    assert MAX_LINE == 4096


# read_request


async def test_read_request() -> None:
    stream = make_stream(
        b"GET /chat?room=1 HTTP/1.1\r\n"
        b"Host: server.example.com\r\n"
        b"Upgrade: websocket\r\n"
        b"Connection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Origin: http://example.com\r\n"
        b"Sec-WebSocket-Protocol: chat, superchat\r\n"
        b"Sec-WebSocket-Version: 13\r\n"
        b"\r\n"
    )
    path, headers = await read_request(stream)
    assert path == "/chat?room=1"
    assert headers["Upgrade"] == "websocket"
    assert headers["sec-websocket-protocol"] == "chat, superchat"
    assert next(headers.raw_items()) == ("Host", "server.example.com")
    assert len(headers) == 7


async def test_read_request_leaves_body_in_stream() -> None:
    stream = make_stream(b"GET / HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody")
    path, headers = await read_request(stream)
    assert path == "/"
    assert headers["Content-Length"] == "4"
    assert await stream.read() == b"body"


async def test_read_request_without_headers() -> None:
    path, headers = await read_request(make_stream(b"GET / HTTP/1.1\r\n\r\n"))
    assert path == "/"
    assert headers == Headers()


async def test_read_request_non_ascii_path() -> None:
    path, _ = await read_request(make_stream(b"GET /\xc3\xa9 HTTP/1.1\r\n\r\n"))
    assert path == "/\udcc3\udca9"
    assert path.encode("ascii", "surrogateescape") == b"/\xc3\xa9"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "connection closed while reading HTTP request line"),
        (b"GET / HTTP/1.1", "connection closed while reading HTTP request line"),
        (b"GET / HTTP/1.1\r\n", "connection closed while reading HTTP headers"),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\n",
            "connection closed while reading HTTP headers",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: a\r",
            "connection closed while reading HTTP headers",
        ),
    ],
)
async def test_read_request_eof(data: bytes, message: str) -> None:
    with pytest.raises(EOFError, match=f"^{message}$"):
        await read_request(make_stream(data))


@pytest.mark.parametrize(
    "data, message",
    [
        (b"GET /\r\n\r\n", "invalid HTTP request line: GET /"),
        (b"GET\r\n\r\n", "invalid HTTP request line: GET"),
        (b"\r\n\r\n", "invalid HTTP request line: "),
        (
            b"POST / HTTP/1.1\r\n\r\n",
            "unsupported HTTP method; expected GET; got POST",
        ),
        (b"get / HTTP/1.1\r\n\r\n", "unsupported HTTP method; expected GET; got get"),
        (
            b"GET / HTTP/1.0\r\n\r\n",
            "unsupported protocol; expected HTTP/1.1: GET / HTTP/1.0",
        ),
        (
            b"GET / HTTP/1.1 \r\n\r\n",
            "unsupported protocol; expected HTTP/1.1: GET / HTTP/1.1 ",
        ),
        (
            b"GET /a b HTTP/1.1\r\n\r\n",
            "unsupported protocol; expected HTTP/1.1: GET /a b HTTP/1.1",
        ),
        (b"GET  HTTP/1.1\r\n\r\n", "invalid HTTP request target: "),
        (b"GET /\x00 HTTP/1.1\r\n\r\n", "invalid HTTP request target: /\x00"),
        (b"GET /\x7f HTTP/1.1\r\n\r\n", "invalid HTTP request target: /\x7f"),
        (b"GET / HTTP/1.1\n\r\n", "line without CRLF: GET / HTTP/1.1\n"),
        (b"GET / HTTP/1.1\r\nHost: a\n\r\n", "line without CRLF: Host: a\n"),
        (b"GET / HTTP/1.1\r\nHost\r\n\r\n", "invalid HTTP header line: Host"),
    ],
)
async def test_read_request_invalid(data: bytes, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        await read_request(make_stream(data))
    assert str(raised.value) == message


async def test_read_request_line_too_long() -> None:
    data = b"GET /" + b"a" * MAX_LINE + b" HTTP/1.1\r\n\r\n"
    with pytest.raises(SecurityError, match=r"^line too long$"):
        await read_request(make_stream(data))


async def test_read_request_line_at_limit() -> None:
    path = b"/" + b"a" * (MAX_LINE - len(b"GET / HTTP/1.1\r\n"))
    data = b"GET " + path + b" HTTP/1.1\r\n\r\n"
    assert len(data) == MAX_LINE + 2
    assert await read_request(make_stream(data)) == (path.decode(), Headers())


# read_response


async def test_read_response() -> None:
    stream = make_stream(
        b"HTTP/1.1 101 Switching Protocols\r\n"
        b"Upgrade: websocket\r\n"
        b"Connection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
        b"Sec-WebSocket-Protocol: chat\r\n"
        b"\r\n"
    )
    status_code, reason, headers = await read_response(stream)
    assert status_code == 101
    assert reason == "Switching Protocols"
    assert headers["Sec-WebSocket-Accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert len(headers) == 4


async def test_read_response_leaves_body_in_stream() -> None:
    stream = make_stream(b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno")
    status_code, reason, _headers = await read_response(stream)
    assert (status_code, reason) == (404, "Not Found")
    assert await stream.read() == b"no"


@pytest.mark.parametrize(
    "status_line, status_code, reason",
    [
        (b"HTTP/1.1 200 OK", 200, "OK"),
        (b"HTTP/1.1 100 ", 100, ""),
        (b"HTTP/1.1 999", 999, ""),
        (b"HTTP/1.1 500 Oops it\tfailed ", 500, "Oops it\tfailed "),
        (b"HTTP/1.1 200 \xe9t\xe9", 200, "\udce9t\udce9"),
    ],
)
async def test_read_response_status_line(
    status_line: bytes, status_code: int, reason: str
) -> None:
    stream = make_stream(status_line + b"\r\n\r\n")
    assert await read_response(stream) == (status_code, reason, Headers())


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "connection closed while reading HTTP status line"),
        (b"HTTP/1.1 101 OK\r", "connection closed while reading HTTP status line"),
        (b"HTTP/1.1 101 OK\r\n", "connection closed while reading HTTP headers"),
        (
            b"HTTP/1.1 101 OK\r\nUpgrade: websocket",
            "connection closed while reading HTTP headers",
        ),
    ],
)
async def test_read_response_eof(data: bytes, message: str) -> None:
    with pytest.raises(EOFError, match=f"^{message}$"):
        await read_response(make_stream(data))


@pytest.mark.parametrize(
    "data, message",
    [
        (b"HTTP/1.1\r\n\r\n", "invalid HTTP status line: HTTP/1.1"),
        (b"\r\n\r\n", "invalid HTTP status line: "),
        (
            b"HTTP/1.0 200 OK\r\n\r\n",
            "unsupported protocol; expected HTTP/1.1: HTTP/1.0 200 OK",
        ),
        (
            b"HTTP/2 200 OK\r\n\r\n",
            "unsupported protocol; expected HTTP/1.1: HTTP/2 200 OK",
        ),
        (b"HTTP/1.1 OK 200\r\n\r\n", "invalid HTTP status code: OK"),
        (b"HTTP/1.1 20 OK\r\n\r\n", "invalid HTTP status code: 20"),
        (b"HTTP/1.1 2000 OK\r\n\r\n", "invalid HTTP status code: 2000"),
        (b"HTTP/1.1 +20 OK\r\n\r\n", "invalid HTTP status code: +20"),
        (b"HTTP/1.1 \xd9\xa1\xd9\xa0\xd9\xa1\r\n\r\n", "invalid HTTP status code: "),
        (b"HTTP/1.1  200 OK\r\n\r\n", "invalid HTTP status code: "),
        (b"HTTP/1.1 099 OK\r\n\r\n", "unsupported HTTP status code: 99"),
        (b"HTTP/1.1 000 OK\r\n\r\n", "unsupported HTTP status code: 0"),
        (b"HTTP/1.1 200 O\x00K\r\n\r\n", "invalid HTTP reason phrase: O\x00K"),
        (
            b"HTTP/1.1 200 OK\r\nA: b\x7fc\r\n\r\n",
            "invalid HTTP header line: A: b\x7fc",
        ),
    ],
)
async def test_read_response_invalid(data: bytes, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        await read_response(make_stream(data))
    assert str(raised.value).startswith(message)


# read_headers


@pytest.mark.parametrize(
    "line, name, value",
    [
        (b"Host: example.com", "Host", "example.com"),
        (b"Host:example.com", "Host", "example.com"),
        (b"Host:  \t example.com \t ", "Host", "example.com"),
        (b"X-Empty:", "X-Empty", ""),
        (b"X-Empty:  \t ", "X-Empty", ""),
        (b"X-Inner: a  b\tc", "X-Inner", "a  b\tc"),
        (b"X-Colon: a:b: c", "X-Colon", "a:b: c"),
        (b"!#$%&'*+-.^_`|~09azAZ: v", "!#$%&'*+-.^_`|~09azAZ", "v"),
        (b"X-Latin: caf\xe9", "X-Latin", "caf\udce9"),
        (b'X-Quote: "a\\"b"', "X-Quote", '"a\\"b"'),
    ],
)
async def test_read_header(line: bytes, name: str, value: str) -> None:
    headers = await read_headers(make_stream(line + b"\r\n\r\n"))
    assert list(headers.raw_items()) == [(name, value)]


async def test_read_headers_multiple_values() -> None:
    headers = await read_headers(
        make_stream(b"Set-Cookie: a=1\r\nset-cookie: b=2\r\nHost: h\r\n\r\n")
    )
    assert headers.get_all("SET-COOKIE") == ["a=1", "b=2"]
    with pytest.raises(MultipleValuesError):
        headers["Set-Cookie"]
    assert list(headers.raw_items()) == [
        ("Set-Cookie", "a=1"),
        ("set-cookie", "b=2"),
        ("Host", "h"),
    ]


@pytest.mark.parametrize(
    "line",
    [
        b"No colon",
        b": no name",
        b"Space before : colon",
        b" Folded: value",
        b"\tFolded: value",
        b"Bad(name): value",
        b"Bad\xe9name: value",
        b"Ctrl: a\x00b",
        b"Ctrl: a\x1fb",
        b"Ctrl: a\rb",
        b"Del: \x7f",
    ],
)
async def test_read_headers_invalid_line(line: bytes) -> None:
    with pytest.raises(ValueError, match=r"^invalid HTTP header line: "):
        await read_headers(make_stream(line + b"\r\n\r\n"))


async def test_read_headers_max_headers() -> None:
    data = b"".join(b"X-%d: v\r\n" % i for i in range(MAX_HEADERS)) + b"\r\n"
    headers = await read_headers(make_stream(data))
    assert len(headers) == MAX_HEADERS


async def test_read_headers_too_many_headers() -> None:
    data = b"".join(b"X-%d: v\r\n" % i for i in range(MAX_HEADERS + 1)) + b"\r\n"
    with pytest.raises(SecurityError, match=r"^too many HTTP headers$"):
        await read_headers(make_stream(data))


async def test_read_headers_line_too_long() -> None:
    data = b"X-Long: " + b"a" * MAX_LINE + b"\r\n\r\n"
    with pytest.raises(SecurityError, match=r"^line too long$"):
        await read_headers(make_stream(data))


# read_line


async def test_read_line() -> None:
    stream = make_stream(b"first\r\n\r\nlast\r\n")
    assert await read_line(stream) == b"first"
    assert await read_line(stream) == b""
    assert await read_line(stream) == b"last"
    with pytest.raises(EOFError, match=r"^stream ends$"):
        await read_line(stream)


async def test_read_line_at_limit() -> None:
    line = b"a" * (MAX_LINE - 2)
    assert await read_line(LineStream(line + b"\r\n")) == line


async def test_read_line_checks_length_of_what_stream_returns() -> None:
    # The stream doesn't enforce any limit: read_line() does.
    with pytest.raises(SecurityError, match=r"^line too long$"):
        await read_line(LineStream(b"a" * (MAX_LINE - 1) + b"\r\n"))


async def test_read_line_too_long_without_newline() -> None:
    # A stream that caps what it returns at MAX_LINE + 1 bytes.
    with pytest.raises(SecurityError, match=r"^line too long$"):
        await read_line(LineStream(b"a" * (MAX_LINE + 1)))


async def test_read_line_partial_line_at_eof() -> None:
    with pytest.raises(EOFError, match=r"^line without CRLF: abc$"):
        await read_line(make_stream(b"abc"))


async def test_read_line_bare_lf() -> None:
    with pytest.raises(ValueError, match=r"^line without CRLF: "):
        await read_line(make_stream(b"abc\n"))


async def test_read_request_incremental() -> None:
    # Data arriving in several chunks is handled like data arriving at once.
    stream = make_stream(b"", eof=False)
    request = b"GET /path HTTP/1.1\r\nHost: example.com\r\n\r\n"

    async def feed() -> None:
        for byte in request:
            stream.feed_data(bytes([byte]))
            await asyncio.sleep(0)

    feeder = asyncio.ensure_future(feed())
    path, headers = await read_request(stream)
    await feeder
    assert path == "/path"
    assert headers["Host"] == "example.com"


# Property tests: arbitrary input raises only the documented exceptions.

DOCUMENTED_ERRORS = (EOFError, SecurityError, ValueError)


request_like = st.one_of(
    st.binary(max_size=300),
    st.builds(
        lambda head, lines, tail: head + b"\r\n".join(lines) + tail,
        st.sampled_from([b"GET / HTTP/1.1\r\n", b"HTTP/1.1 101 OK\r\n", b""]),
        st.lists(st.binary(max_size=30), max_size=5),
        st.sampled_from([b"", b"\r\n", b"\r\n\r\n"]),
    ),
)


@given(request_like)
def test_read_request_arbitrary_bytes(data: bytes) -> None:
    async def main() -> None:
        try:
            path, headers = await read_request(make_stream(data))
        except DOCUMENTED_ERRORS:
            return
        assert isinstance(path, str)
        assert isinstance(headers, Headers)

    asyncio.run(main())


@given(request_like)
def test_read_response_arbitrary_bytes(data: bytes) -> None:
    async def main() -> None:
        try:
            status_code, reason, headers = await read_response(make_stream(data))
        except DOCUMENTED_ERRORS:
            return
        assert 100 <= status_code <= 999
        assert isinstance(reason, str)
        assert isinstance(headers, Headers)

    asyncio.run(main())


header_name = st.from_regex(rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]{1,20}", fullmatch=True)
header_value = st.from_regex(
    rb"([\x21-\x7e\x80-\xff]([\x09\x20-\x7e\x80-\xff]{0,20}[\x21-\x7e\x80-\xff])?)?",
    fullmatch=True,
)


@given(st.lists(st.tuples(header_name, header_value), max_size=10))
def test_read_headers_round_trip(items: list[tuple[bytes, bytes]]) -> None:
    # Headers serialized on the wire are read back identically.
    headers = Headers(
        (name.decode(), value.decode("ascii", "surrogateescape"))
        for name, value in items
    )
    data = str(headers).encode("ascii", "surrogateescape")

    async def main() -> Headers:
        return await read_headers(make_stream(data))

    read = asyncio.run(main())
    assert list(read.raw_items()) == list(headers.raw_items())
