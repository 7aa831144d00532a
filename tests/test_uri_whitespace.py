"""URIs with whitespace, as websockets 8.1 accepted them.

8.1 parsed URIs with :func:`urllib.parse.urlparse`, which removes leading and
trailing whitespace and tab, CR and LF anywhere. Programs rely on it:
pyppeteer passes the DevTools endpoint that it read from the browser's
standard output, newline included, to ``connect()``. Anything else that isn't
allowed in a URI is still :exc:`~websockets.exceptions.InvalidURI`.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from websockets.client import connect
from websockets.exceptions import InvalidURI
from websockets.uri import parse_uri

from .utils import TIMEOUT, serving, uri_of


@pytest.mark.parametrize(
    "uri",
    [
        "ws://localhost/path?q\n",
        "ws://localhost/path?q\r\n",
        " ws://localhost/path?q ",
        "\tws://localhost/path?q\t",
        "\x00\x1f ws://localhost/path?q\x0b\x0c",
        "ws://local\nhost/pa\tth?\rq",
        "w\ns://localhost/path?q",
        "\n\n  ws://localhost/pa\r\nth?q\n",
    ],
)
def test_whitespace_is_removed(uri: str) -> None:
    assert parse_uri(uri) == parse_uri("ws://localhost/path?q")


@pytest.mark.parametrize(
    "uri",
    [
        "ws://localhost/a b",
        "ws://localhost/a\x00b",
        "ws://localhost/a\x0bb",
        "ws://localhost/a\x1fb",
        "ws://localhost/a\x7fb",
        "ws://local host/",
    ],
)
def test_other_whitespace_and_controls_are_invalid(uri: str) -> None:
    with pytest.raises(InvalidURI, match="whitespace or control characters"):
        parse_uri(uri)
    with pytest.raises(InvalidURI):
        parse_uri(f" {uri}\n")


def test_invalid_uri_after_stripping_reports_the_original() -> None:
    with pytest.raises(InvalidURI) as raised:
        parse_uri(" http://localhost/\n")
    assert raised.value.uri == " http://localhost/\n"
    assert raised.value.msg == "scheme isn't ws or wss"


@given(
    prefix=st.text(alphabet=" \t\r\n\x00\x01\x1f", max_size=4),
    suffix=st.text(alphabet=" \t\r\n\x0b\x0c", max_size=4),
    inserted=st.lists(
        st.tuples(st.integers(min_value=0, max_value=40), st.sampled_from("\t\r\n")),
        max_size=5,
    ),
)
def test_whitespace_property(
    prefix: str, suffix: str, inserted: list[tuple[int, str]]
) -> None:
    uri = "wss://user:pw@example.com:8443/chat?room=1"
    mangled = uri
    for index, char in inserted:
        mangled = mangled[:index] + char + mangled[index:]
    assert parse_uri(prefix + mangled + suffix) == parse_uri(uri)


async def test_connect_with_trailing_newline() -> None:
    # A DevTools endpoint read from a browser's stdout, passed as it is.
    async with serving() as server:
        endpoint = uri_of(server, "/devtools/browser/abc") + "\n"
        ws = await connect(endpoint)
        assert ws.path == "/devtools/browser/abc"
        await ws.send("hello")
        assert await ws.recv() == "hello"
        await ws.close()


async def test_connect_with_invalid_uri() -> None:
    with pytest.raises(InvalidURI):
        connect("ws://localhost/a b\n", open_timeout=TIMEOUT)
