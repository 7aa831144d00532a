from __future__ import annotations

from typing import Optional

import pytest
from hypothesis import given
from hypothesis import strategies as st

from websockets.exceptions import InvalidURI
from websockets.uri import WebSocketURI, parse_uri

VALID_URIS = [
    ("ws://localhost/", (False, "localhost", 80, "/", None)),
    ("wss://localhost/", (True, "localhost", 443, "/", None)),
    ("ws://localhost", (False, "localhost", 80, "/", None)),
    ("ws://localhost:8765/", (False, "localhost", 8765, "/", None)),
    ("wss://localhost:8765/", (True, "localhost", 8765, "/", None)),
    ("ws://localhost:/", (False, "localhost", 80, "/", None)),
    ("ws://localhost:65535/", (False, "localhost", 65535, "/", None)),
    ("ws://localhost:00080/", (False, "localhost", 80, "/", None)),
    ("WS://LocalHost/Path", (False, "localhost", 80, "/Path", None)),
    ("wsS://EXAMPLE.com/", (True, "example.com", 443, "/", None)),
    ("ws://127.0.0.1/", (False, "127.0.0.1", 80, "/", None)),
    ("ws://[::1]/", (False, "::1", 80, "/", None)),
    ("ws://[::1]:8765/", (False, "::1", 8765, "/", None)),
    ("wss://[::1]", (True, "::1", 443, "/", None)),
    ("ws://[FE80::1]/", (False, "fe80::1", 80, "/", None)),
    ("ws://[fe80::1%25eth0]/", (False, "fe80::1%eth0", 80, "/", None)),
    ("ws://[FE80::1%25Eth0]:1/", (False, "fe80::1%Eth0", 1, "/", None)),
    ("ws://[::ffff:1.2.3.4]/", (False, "::ffff:1.2.3.4", 80, "/", None)),
    ("ws://localhost/path?query", (False, "localhost", 80, "/path?query", None)),
    ("ws://localhost?query", (False, "localhost", 80, "/?query", None)),
    ("ws://localhost/?", (False, "localhost", 80, "/", None)),
    ("ws://localhost/a?b?c/d", (False, "localhost", 80, "/a?b?c/d", None)),
    ("ws://localhost/%7Ea%20b", (False, "localhost", 80, "/%7Ea%20b", None)),
    (
        "ws://localhost/a:b@c!$&'()*+,;=-._~",
        (False, "localhost", 80, "/a:b@c!$&'()*+,;=-._~", None),
    ),
    ("ws://localhost/<a>", (False, "localhost", 80, "/%3Ca%3E", None)),
    ("ws://user:pass@localhost/", (False, "localhost", 80, "/", ("user", "pass"))),
    ("ws://user:@localhost/", (False, "localhost", 80, "/", ("user", ""))),
    ("ws://:pass@localhost/", (False, "localhost", 80, "/", ("", "pass"))),
    ("ws://u:p:q@localhost/", (False, "localhost", 80, "/", ("u", "p:q"))),
    (
        "ws://us%3Aer:p%40ss%C3%A9@localhost:1/",
        (False, "localhost", 1, "/", ("us:er", "p@ssé")),
    ),
    ("ws://usér:pâss@localhost/", (False, "localhost", 80, "/", ("usér", "pâss"))),
    # IRIs are converted to URIs.
    ("ws://localhost/é?é=ü", (False, "localhost", 80, "/%C3%A9?%C3%A9=%C3%BC", None)),
    ("ws://münchen.de/", (False, "xn--mnchen-3ya.de", 80, "/", None)),
    ("ws://MÜNCHEN.de/", (False, "xn--mnchen-3ya.de", 80, "/", None)),
    ("ws://localhost/\U0001f600", (False, "localhost", 80, "/%F0%9F%98%80", None)),
]


INVALID_URIS = [
    ("http://localhost/", "scheme isn't ws or wss"),
    ("https://localhost/", "scheme isn't ws or wss"),
    ("localhost", "scheme isn't ws or wss"),
    ("", "scheme isn't ws or wss"),
    ("ws", "scheme isn't ws or wss"),
    ("ws:/localhost/", "missing authority"),
    ("ws:localhost", "missing authority"),
    ("ws://localhost/#fragment", "fragments aren't allowed"),
    ("ws://localhost#", "fragments aren't allowed"),
    ("ws://", "missing host"),
    ("ws:///path", "missing host"),
    ("ws://:8765/", "missing host"),
    ("ws://user:pass@/", "missing host"),
    ("ws://user:pass@", "missing host"),
    ("ws://local host/", "contains whitespace or control characters"),
    # Leading and trailing whitespace, and tab, CR and LF anywhere, are
    # removed (tests/test_uri_whitespace.py); other characters are invalid.
    ("ws://localhost/a b", "contains whitespace or control characters"),
    ("ws://localhost/a\x00b", "contains whitespace or control characters"),
    ("ws://localhost/a\x0bb", "contains whitespace or control characters"),
    ("ws://localhost/a\x0cb", "contains whitespace or control characters"),
    ("ws://localhost/\x7f", "contains whitespace or control characters"),
    ("ws://local<host/", "invalid host"),
    ("ws://local%41host/", "invalid host"),
    ("ws://a\\b/", "invalid host"),
    ("ws://localhost:port/", "invalid port"),
    ("ws://localhost:-1/", "invalid port"),
    ("ws://localhost:80:80/", "invalid port"),
    ("ws://localhost:٨٠/", "invalid port"),
    ("ws://localhost:0/", "port out of range"),
    ("ws://localhost:65536/", "port out of range"),
    ("ws://localhost:99999999999999999999/", "port out of range"),
    ("ws://::1/", "missing host"),
    ("ws://[::1/", "unterminated IPv6 address"),
    ("ws://[::1", "unterminated IPv6 address"),
    ("ws://[localhost]/", "invalid IPv6 address"),
    ("ws://[127.0.0.1]/", "invalid IPv6 address"),
    ("ws://[]/", "invalid IPv6 address"),
    ("ws://[fe80::1%eth0]/", "invalid IPv6 address"),
    ("ws://[fe80::1%25]/", "invalid IPv6 zone identifier"),
    ("ws://[fe80::1%25e<h]/", "invalid IPv6 zone identifier"),
    ("ws://[::1]8765/", "invalid characters after IPv6 address"),
    ("ws://[::1]:port/", "invalid port"),
    ("ws://user@localhost/", "user info must contain a username and a password"),
    ("ws://@localhost/", "user info must contain a username and a password"),
    ("ws://us<er:pass@localhost/", "invalid user info"),
    ("ws://user:pa@ss@localhost/", "invalid user info"),
    ("ws://user:pass%4@localhost/", "invalid user info"),
    ("ws://user:pass%zz@localhost/", "invalid user info"),
    ("ws://user:%FF@localhost/", "user info isn't valid UTF-8"),
    ("ws://user:\udc80@localhost/", "invalid user info"),
    ("ws://xn--a.de/\udc80", "invalid characters in resource name"),
    ("ws://a..b\u00e9/", "invalid internationalized host"),
    ("ws://\u00e9" + "a" * 64 + "/", "invalid internationalized host"),
]


@pytest.mark.parametrize("uri, parsed", VALID_URIS)
def test_parse_valid_uri(uri: str, parsed: tuple[object, ...]) -> None:
    assert parse_uri(uri) == parsed


@pytest.mark.parametrize("uri, message", INVALID_URIS)
def test_parse_invalid_uri(uri: str, message: str) -> None:
    with pytest.raises(InvalidURI) as raised:
        parse_uri(uri)
    assert raised.value.uri == uri
    assert raised.value.msg == message
    assert str(raised.value) == f"{uri} isn't a valid URI: {message}"


def test_invalid_uri_is_value_error() -> None:
    with pytest.raises(ValueError):
        parse_uri("http://localhost/")


def test_websocket_uri_fields() -> None:
    wsuri = parse_uri("wss://user:pass@example.com:8443/chat?room=1")
    assert isinstance(wsuri, WebSocketURI)
    assert wsuri.secure is True
    assert wsuri.host == "example.com"
    assert wsuri.port == 8443
    assert wsuri.resource_name == "/chat?room=1"
    assert wsuri.user_info == ("user", "pass")
    assert wsuri._fields == ("secure", "host", "port", "resource_name", "user_info")


@given(st.text())
def test_parse_arbitrary_text(uri: str) -> None:
    try:
        wsuri = parse_uri(uri)
    except InvalidURI:
        return
    # Whatever is accepted produces usable values.
    assert wsuri.resource_name.startswith("/")
    assert wsuri.resource_name.isascii()
    assert 0 < wsuri.port < 65536


@given(st.text(alphabet=st.characters(codec="utf-8")).map(lambda s: "ws://h/" + s))
def test_parse_arbitrary_resource_name(suffix: str) -> None:
    try:
        wsuri = parse_uri(suffix)
    except InvalidURI as exc:
        assert exc.msg in {
            "contains whitespace or control characters",
            "fragments aren't allowed",
        }
    else:
        assert wsuri.host == "h"
        assert wsuri.resource_name.isascii()


@given(
    st.sampled_from(["ws", "wss"]),
    st.from_regex(
        r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]{1,10}){0,3}", fullmatch=True
    ),
    st.one_of(st.none(), st.integers(1, 65535)),
    st.from_regex(r"(/[A-Za-z0-9._~!$&'()*+,;=:@-]*)*", fullmatch=True),
    st.one_of(
        st.none(), st.from_regex(r"[A-Za-z0-9._~!$&'()*+,;=:@/?-]+", fullmatch=True)
    ),
)
def test_parse_generated_uri(
    scheme: str, host: str, port: Optional[int], path: str, query: Optional[str]
) -> None:
    uri = f"{scheme}://{host}"
    if port is not None:
        uri += f":{port}"
    uri += path
    if query is not None:
        uri += f"?{query}"
    wsuri = parse_uri(uri)
    assert wsuri.secure == (scheme == "wss")
    assert wsuri.host == host
    assert wsuri.port == (port if port is not None else {"ws": 80, "wss": 443}[scheme])
    expected = path or "/"
    if query is not None:
        expected += f"?{query}"
    assert wsuri.resource_name == expected
    assert wsuri.user_info is None
