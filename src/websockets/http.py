"""Minimal HTTP/1.1 support, adequate for WebSocket handshake messages.

The syntax comes from RFC 7230. Only what an opening handshake needs is
supported: a GET request or a response, and headers; no body, no chunked
encoding, no obsolete line folding.

These APIs cannot be imported from :mod:`websockets`. They must be imported
from :mod:`websockets.http`.
"""

from __future__ import annotations

import email.utils
import re
import sys
import time
from typing import Awaitable, Dict, List, Optional, Protocol, Tuple

from . import utils
from .datastructures import _COMMON_NAMES, Headers, HeadersLike, MultipleValuesError
from .exceptions import SecurityError
from .streams import StreamBuffer
from .version import version as websockets_version

__all__ = [
    "MAX_HEADERS",
    "MAX_LINE",
    "USER_AGENT",
    "Headers",
    "HeadersLike",
    "MultipleValuesError",
    "read_headers",
    "read_request",
    "read_response",
]

MAX_HEADERS = 256
"""Maximum number of headers in a request or response."""

MAX_LINE = 4096
"""Maximum length of a line in a request or response, including CRLF."""

USER_AGENT = (
    f"Python/{sys.version_info[0]}.{sys.version_info[1]} "
    f"websockets/{websockets_version}"
)
"""Value of the ``User-Agent`` and ``Server`` headers."""


class StreamLike(Protocol):
    """Anything with a ``readline()`` coroutine, like
    :class:`~asyncio.StreamReader`."""

    def readline(self) -> Awaitable[bytes]:
        """Read bytes up to and including ``b"\\n"``, or fewer bytes at the
        end of the stream."""
        ...


# RFC 7230, section 3.2.6:
# token = 1*tchar
# tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
#         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
_token_re = re.compile(rb"[-!#$%&\'*+.^_`|~0-9a-zA-Z]+")

# RFC 7230, section 3.2:
# field-value = *( field-content / obs-fold )
# field-content = field-vchar [ 1*( SP / HTAB ) field-vchar ]
# field-vchar = VCHAR / obs-text
# Leading and trailing whitespace is stripped before matching, and obs-fold
# isn't supported (section 3.2.4 lets a server reject it).
_value_re = re.compile(rb"[\x09\x20-\x7e\x80-\xff]*")

# RFC 7230, section 5.3: request-target, any visible characters; obs-text is
# tolerated and returned with surrogate escapes.
_target_re = re.compile(rb"[\x21-\x7e\x80-\xff]+")

# RFC 7230, section 3.1.2: status-code = 3DIGIT
_status_re = re.compile(rb"[0-9]{3}")

# Header lines, each with its CRLF, as read_headers() accepts them: a token,
# a colon, then a value (with its surrounding whitespace, which _value_re
# accepts as well). For checking a whole block of headers with one match.
_header_lines_re = re.compile(
    rb"(?:" + _token_re.pattern + rb":" + _value_re.pattern + rb"\r\n)*"
)


# The same grammar for headers that websockets writes, as str: a name is a
# token; a value has no control characters but HTAB (no CR or LF, which would
# let a value inject headers or a body: response splitting) and no lone
# surrogates, which can't be encoded.
_str_token_re = re.compile(_token_re.pattern.decode())
_str_value_re = re.compile(r"[\t\x20-\x7e\x80-\ud7ff\ue000-\U0010ffff]*")


def check_headers(headers: Headers) -> None:
    """Check that headers can be written in an HTTP message as they are.

    :raises ValueError: if a header name isn't a token or a value contains
        a control character (CR, LF, NUL...) or a lone surrogate
    """
    for name, value in headers.raw_items():
        if not _str_token_re.fullmatch(name) or not _str_value_re.fullmatch(value):
            raise ValueError(f"invalid HTTP header: {name!r}: {value!r}")


_date: Tuple[int, str] = (0, "")


def http_date() -> str:
    """Return the current date for a ``Date`` header (RFC 7231, 7.1.1.2).

    Formatted once per second at most: a busy server answers many
    handshakes within the same second.
    """
    global _date
    now = int(time.time())
    if _date[0] != now:
        _date = (now, email.utils.formatdate(now, usegmt=True))
    return _date[1]


def d(value: bytes) -> str:
    """Decode a byte string for inclusion in an error message."""
    return value.decode(errors="backslashreplace")


def decode(value: bytes) -> str:
    """Decode a byte string read from the network.

    HTTP messages are expected to contain only ASCII characters; other bytes
    are represented with surrogate escapes.
    """
    return value.decode("ascii", "surrogateescape")


def _header_lists(
    block: bytes, max_line: int, max_headers: int, common: Dict[str, str]
) -> Optional[Tuple[List[Tuple[str, str]], List[str]]]:
    """Parse header lines, each with its CRLF, in one pass, if they're all
    well formed as :func:`read_headers` reads them one by one: every line
    ends with CRLF and is at most ``max_line`` bytes long with it; each
    header matches RFC 7230, section 3.2; at most ``max_headers`` headers.

    Return the lists of a :class:`~websockets.datastructures.Headers`:
    ``(name, value)`` pairs and lower-cased names, with the strings of
    ``common`` in place of equal ones; otherwise, ``None``.
    """
    # RFC 7230, section 3: lines end with CRLF; no bare LF.
    if block.count(b"\n") != block.count(b"\r\n"):
        return None
    lines = block.split(b"\r\n")
    lines.pop()  # after the last CRLF
    if len(lines) > max_headers or (lines and max(map(len, lines)) > max_line - 2):
        return None
    # RFC 7230, section 3.2: header-field = field-name ":" OWS field-value OWS
    if not _header_lines_re.fullmatch(block):
        return None
    items = []
    keys = []
    for line in lines:
        name, _, value = decode(line).partition(":")
        key = name.lower()
        items.append((common.get(name, name), value.strip(" \t")))
        keys.append(common.get(key, key))
    return items, keys


def _parse_head_py(
    data: bytearray, max_line: int, max_headers: int, common: Dict[str, str]
) -> Optional[Tuple[bytes, List[Tuple[str, str]], List[str], int]]:
    """Parse the head of an HTTP message at the start of ``data`` in one pass.

    Return ``(start_line, items, keys, length)`` when ``data`` holds the
    whole head, up to the empty line, and it's well formed as
    :func:`read_line` and :func:`read_headers` read it (see
    :func:`_header_lists`, which gives ``items`` and ``keys``).
    ``start_line`` isn't checked, but for its CRLF and its length.
    Otherwise, return ``None``: reading line by line waits for more bytes or
    tells what's wrong. The C accelerator's ``parse_head`` is the same.
    """
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    block = bytes(data[: end + 2])  # every line with its CRLF
    start_end = block.find(b"\r\n")
    start_line = block[:start_end]
    if b"\n" in start_line or len(start_line) > max_line - 2:
        return None
    lists = _header_lists(block[start_end + 2 :], max_line, max_headers, common)
    if lists is None:
        return None
    return start_line, lists[0], lists[1], end + 4


_parse_head = utils.parse_head or _parse_head_py


async def _read_start_line(
    stream: StreamLike, what: str
) -> Tuple[bytes, Optional[Headers]]:
    """Read the start line of a message, and its headers too when they arrive
    together, as they usually do: then they're parsed at once. Otherwise,
    the headers are ``None``: they're read line by line next.

    :param what: name of the start line, for the error at the end of the
        stream
    """
    if isinstance(stream, StreamBuffer):
        await stream.wait_for_data()
        parsed = _parse_head(
            stream.contents(), min(MAX_LINE, stream.limit), MAX_HEADERS, _COMMON_NAMES
        )
        if parsed is not None:
            start_line, items, keys, length = parsed
            stream.discard(length)
            return start_line, Headers._from_lists(items, keys)
    try:
        return await read_line(stream), None
    except EOFError as exc:
        raise EOFError(f"connection closed while reading HTTP {what}") from exc


async def read_request(stream: StreamLike) -> Tuple[str, Headers]:
    """Read an HTTP/1.1 GET request and return ``(path, headers)``.

    ``path`` isn't URL-decoded or validated in any way.

    ``path`` and ``headers`` are expected to contain only ASCII characters.
    Other characters are represented with surrogate escapes.

    :func:`read_request` doesn't attempt to read the request body because
    WebSocket handshake requests don't have one. If the request contains a
    body, it may be read from ``stream`` after this coroutine returns.

    :param stream: input to read the request from, e.g. a
        :class:`~asyncio.StreamReader`
    :raises EOFError: if the connection is closed without a full HTTP request
    :raises SecurityError: if the request exceeds a security limit
    :raises ValueError: if the request isn't well formatted
    """
    # RFC 7230, section 3.1.1:
    # request-line = method SP request-target SP HTTP-version CRLF
    request_line, head_headers = await _read_start_line(stream, "request line")

    parts = request_line.split(b" ", 2)
    if len(parts) != 3:
        raise ValueError(f"invalid HTTP request line: {d(request_line)}")
    method, raw_path, protocol = parts

    # RFC 6455, section 4.1: "The method of the request MUST be GET, and the
    # HTTP version MUST be at least 1.1."
    if method != b"GET":
        raise ValueError(f"unsupported HTTP method; expected GET; got {d(method)}")
    if protocol != b"HTTP/1.1":
        raise ValueError(f"unsupported protocol; expected HTTP/1.1: {d(request_line)}")
    if not _target_re.fullmatch(raw_path):
        raise ValueError(f"invalid HTTP request target: {d(raw_path)}")
    path = decode(raw_path)

    headers = await read_headers(stream) if head_headers is None else head_headers

    return path, headers


async def read_response(
    stream: StreamLike, *, accept_http10: bool = False
) -> Tuple[int, str, Headers]:
    """Read an HTTP/1.1 response and return ``(status_code, reason, headers)``.

    ``reason`` and ``headers`` are expected to contain only ASCII characters.
    Other characters are represented with surrogate escapes.

    :func:`read_response` doesn't attempt to read the response body because
    WebSocket handshake responses don't have one. If the response contains a
    body, it may be read from ``stream`` after this coroutine returns.

    :param stream: input to read the response from, e.g. a
        :class:`~asyncio.StreamReader`
    :param accept_http10: also accept an HTTP/1.0 response, as some proxies
        send to ``CONNECT`` (tinyproxy does)
    :raises EOFError: if the connection is closed without a full HTTP response
    :raises SecurityError: if the response exceeds a security limit
    :raises ValueError: if the response isn't well formatted
    """
    # RFC 7230, section 3.1.2:
    # status-line = HTTP-version SP status-code SP reason-phrase CRLF
    status_line, head_headers = await _read_start_line(stream, "status line")

    parts = status_line.split(b" ", 2)
    if len(parts) < 2:
        raise ValueError(f"invalid HTTP status line: {d(status_line)}")
    protocol, raw_status_code = parts[:2]
    # Tolerate a missing SP before an empty reason-phrase.
    raw_reason = parts[2] if len(parts) == 3 else b""

    if protocol != b"HTTP/1.1" and not (accept_http10 and protocol == b"HTTP/1.0"):
        raise ValueError(f"unsupported protocol; expected HTTP/1.1: {d(status_line)}")
    if not _status_re.fullmatch(raw_status_code):
        raise ValueError(f"invalid HTTP status code: {d(raw_status_code)}")
    status_code = int(raw_status_code)
    if not 100 <= status_code <= 999:
        raise ValueError(f"unsupported HTTP status code: {status_code}")
    # reason-phrase = *( HTAB / SP / VCHAR / obs-text )
    if not _value_re.fullmatch(raw_reason):
        raise ValueError(f"invalid HTTP reason phrase: {d(raw_reason)}")
    reason = decode(raw_reason)

    headers = await read_headers(stream) if head_headers is None else head_headers

    return status_code, reason, headers


async def read_headers(stream: StreamLike) -> Headers:
    """Read HTTP headers from ``stream``, up to and including the empty line
    that ends them.

    Non-ASCII bytes are represented with surrogate escapes.

    :param stream: input to read the headers from
    :raises EOFError: if the connection is closed before the end of headers
    :raises SecurityError: if there are more than :data:`MAX_HEADERS` headers
        or a line is longer than :data:`MAX_LINE`
    :raises ValueError: if a header isn't well formatted
    """
    headers = read_headers_nowait(stream)
    if headers is not None:
        return headers

    # RFC 7230, section 3.2: header-field = field-name ":" OWS field-value OWS
    headers = Headers()
    for _ in range(MAX_HEADERS + 1):
        try:
            line = await read_line(stream)
        except EOFError as exc:
            raise EOFError("connection closed while reading HTTP headers") from exc
        if line == b"":
            break

        raw_name, colon, raw_value = line.partition(b":")
        # RFC 7230, section 3.2.4: no whitespace is allowed between the
        # header field-name and colon.
        if not colon or not _token_re.fullmatch(raw_name):
            raise ValueError(f"invalid HTTP header line: {d(line)}")
        raw_value = raw_value.strip(b" \t")
        if not _value_re.fullmatch(raw_value):
            raise ValueError(f"invalid HTTP header line: {d(line)}")

        headers[decode(raw_name)] = decode(raw_value)

    else:
        raise SecurityError("too many HTTP headers")

    return headers


def read_headers_nowait(stream: StreamLike) -> Optional[Headers]:
    """Parse all the headers at once, if the stream has them buffered.

    The fast path of :func:`read_headers`: a request or a response usually
    arrives in one segment, so that once the start line is read, the headers
    are all there. When the buffer of ``stream``, a
    :class:`~websockets.streams.StreamBuffer`, holds them up to the empty
    line, every line ends with CRLF, no line exceeds :data:`MAX_LINE`, there
    are at most :data:`MAX_HEADERS` headers and all of them are well formed,
    remove them from the buffer and return them. Otherwise, return ``None``
    and leave the buffer alone: reading line by line gives the result or the
    error, as it always did.
    """
    if not isinstance(stream, StreamBuffer):
        return None
    if stream.peek(2) == b"\r\n":
        stream.discard(2)
        return Headers()
    end = stream.find(b"\r\n\r\n")
    if end < 0:
        return None
    lists = _header_lists(stream.peek(end + 2), MAX_LINE, MAX_HEADERS, _COMMON_NAMES)
    if lists is None:
        return None
    stream.discard(end + 4)
    return Headers._from_lists(*lists)


async def read_line(stream: StreamLike) -> bytes:
    """Read a single line from ``stream`` and return it without its CRLF.

    :param stream: input to read the line from
    :raises EOFError: if the connection is closed before the end of the line
    :raises SecurityError: if the line is longer than :data:`MAX_LINE`
    :raises ValueError: if the line ends with a bare LF instead of CRLF
    """
    line = await stream.readline()
    # Check the length even if the stream is supposed to enforce a limit.
    if len(line) > MAX_LINE:
        raise SecurityError("line too long")
    if not line.endswith(b"\n"):
        if line:
            raise EOFError(f"line without CRLF: {d(line)}")
        raise EOFError("stream ends")
    # RFC 7230, section 3: lines end with CRLF.
    if not line.endswith(b"\r\n"):
        raise ValueError(f"line without CRLF: {d(line)}")
    return line[:-2]
