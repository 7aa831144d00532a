"""Proxy URLs, environment variables, no_proxy rules, CONNECT requests and
the tunnel's buffer, without sockets. Tests against real proxy servers are
in tests/proxies/; adversarial fake proxies in test_proxy_tunnel.py."""

from __future__ import annotations

import asyncio
import ssl
import sys
import urllib.parse
from typing import Any, List, Optional, Tuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from websockets import connect, proxy_tunnel, unix_connect
from websockets.datastructures import Headers
from websockets.exceptions import (
    InvalidHandshake,
    InvalidProxyMessage,
    InvalidProxyStatus,
    InvalidURI,
    ProxyError,
)
from websockets.http import USER_AGENT
from websockets.proxy import (
    Proxy,
    check_proxy_argument,
    get_proxy,
    parse_proxy,
    proxy_bypass,
    proxy_from_environment,
)
from websockets.proxy_tunnel import (
    READ_AHEAD,
    TunnelProtocol,
    build_connect_request,
    check_proxy_arguments,
    import_python_socks,
)
from websockets.uri import parse_uri

# parse_proxy


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://proxy:3128", Proxy("http", "proxy", 3128, None)),
        ("http://proxy", Proxy("http", "proxy", 80, None)),
        ("http://proxy/", Proxy("http", "proxy", 80, None)),
        ("HTTP://PROXY:3128", Proxy("http", "proxy", 3128, None)),
        ("https://proxy", Proxy("https", "proxy", 443, None)),
        ("socks5://proxy", Proxy("socks5", "proxy", 1080, None)),
        ("socks5h://proxy:9050", Proxy("socks5h", "proxy", 9050, None)),
        ("socks4://10.0.0.1", Proxy("socks4", "10.0.0.1", 1080, None)),
        ("socks4a://proxy", Proxy("socks4a", "proxy", 1080, None)),
        ("http://[::1]:3128", Proxy("http", "::1", 3128, None)),
        ("http://u:p@proxy:1", Proxy("http", "proxy", 1, ("u", "p"))),
        ("http://u:@proxy:1", Proxy("http", "proxy", 1, ("u", ""))),
        (
            "socks5://al%40ice:p%3Ass%2Fw@proxy",
            Proxy("socks5", "proxy", 1080, ("al@ice", "p:ss/w")),
        ),
        ("http://bücher.example", Proxy("http", "xn--bcher-kva.example", 80, None)),
    ],
)
def test_parse_proxy(url: str, expected: Proxy) -> None:
    assert parse_proxy(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("proxy:3128", "proxy scheme isn't one of"),
        ("ws://proxy", "proxy scheme isn't one of"),
        ("ftp://proxy", "proxy scheme isn't one of"),
        ("http://proxy/path", "no path, query or fragment"),
        ("http://proxy?query", "no path, query or fragment"),
        ("http://proxy#fragment", "no path, query or fragment"),
        ("http://proxy:3128 ", "whitespace or control characters"),
        ("http://pro\nxy", "whitespace or control characters"),
        ("http://", "missing host"),
        ("http://proxy:99999", "port out of range"),
        ("http://proxy:x", "invalid port"),
        ("http://user@proxy", "username and a password"),
        ("socks4://user:pass@proxy", "SOCKS4 proxies don't support passwords"),
        ("http://us%3Aer:pass@proxy", "colon"),
    ],
)
def test_parse_proxy_errors(url: str, message: str) -> None:
    with pytest.raises(InvalidURI, match=message):
        parse_proxy(url)


def test_parse_proxy_error_hides_password() -> None:
    with pytest.raises(InvalidURI) as raised:
        parse_proxy("http://alice:hunter2@proxy/path")
    assert "hunter2" not in str(raised.value)
    assert "alice:***@proxy" in str(raised.value)


def test_proxy_repr_hides_password() -> None:
    assert repr(parse_proxy("http://alice:hunter2@[::1]:3128")) == (
        "Proxy(http://alice:***@[::1]:3128)"
    )
    assert repr(parse_proxy("socks5h://proxy")) == "Proxy(socks5h://proxy:1080)"


def test_is_socks() -> None:
    assert not parse_proxy("http://proxy").is_socks
    assert not parse_proxy("https://proxy").is_socks
    assert parse_proxy("socks5://proxy").is_socks
    assert parse_proxy("socks4a://proxy").is_socks


hosts = st.one_of(
    st.from_regex(
        r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]{1,10}){0,3}", fullmatch=True
    ),
    st.ip_addresses(v=4).map(str),
)
credentials = st.text(st.characters(exclude_categories=("Cs",)), max_size=20).filter(
    lambda text: ":" not in text
)


@given(
    scheme=st.sampled_from(["http", "https", "socks5", "socks5h"]),
    host=hosts,
    port=st.integers(1, 65535),
    user_info=st.none() | st.tuples(credentials, st.text(max_size=20)),
)
def test_parse_proxy_round_trip(
    scheme: str, host: str, port: int, user_info: Optional[Tuple[str, str]]
) -> None:
    url = f"{scheme}://"
    if user_info is not None:
        # Encode surrogates the way they'd be entered: they can't be.
        try:
            user, password = (urllib.parse.quote(part, safe="") for part in user_info)
        except UnicodeEncodeError:  # pragma: no cover - text excludes Cs
            return
        url += f"{user}:{password}@"
    url += f"{host}:{port}"
    assert parse_proxy(url) == Proxy(scheme, host, port, user_info)


@given(st.text(max_size=60))
def test_parse_proxy_any_text(url: str) -> None:
    try:
        proxy = parse_proxy(url)
    except InvalidURI:
        return
    assert proxy.scheme in ("http", "https", "socks5", "socks5h", "socks4", "socks4a")
    assert 0 < proxy.port < 65536


@given(st.sampled_from(["http://", "socks5://", "https://"]), st.text(max_size=40))
def test_parse_proxy_any_authority(scheme: str, authority: str) -> None:
    try:
        parse_proxy(scheme + authority)
    except InvalidURI:
        pass


# no_proxy


@pytest.mark.parametrize(
    ("host", "port", "no_proxy", "bypass"),
    [
        ("example.com", 80, "", False),
        ("example.com", 80, "*", True),
        ("example.com", 80, "example.com", True),
        ("example.com", 80, "EXAMPLE.COM", True),
        ("example.com.", 80, "example.com", True),
        ("example.com", 80, "example.com.", True),
        ("www.example.com", 80, "example.com", True),
        ("www.example.com", 80, ".example.com", True),
        ("www.example.com", 80, "*.example.com", True),
        ("example.com", 80, ".example.com", True),
        ("badexample.com", 80, "example.com", False),
        ("example.com", 80, "www.example.com", False),
        ("example.com", 80, "other.org, example.com", True),
        ("example.com", 80, "other.org example.com", True),
        ("example.com", 80, "other.org,,example.com", True),
        ("example.com", 80, " , ", False),
        ("example.com", 8080, "example.com:8080", True),
        ("example.com", 80, "example.com:8080", False),
        ("example.com", 80, "example.com:http", False),
        ("example.com", 80, "example.com:", False),
        ("10.1.2.3", 80, "10.1.2.3", True),
        ("10.1.2.3", 80, "10.1.2.4", False),
        ("10.1.2.3", 80, "10.0.0.0/8", True),
        ("11.1.2.3", 80, "10.0.0.0/8", False),
        ("10.1.2.3", 80, "10.1.2.3:80", True),
        ("10.1.2.3", 443, "10.1.2.3:80", False),
        ("10.1.2.3", 80, "example.com", False),
        ("10.1.2.3", 80, "*.3", False),
        ("::1", 80, "::1", True),
        ("::1", 80, "[::1]", True),
        ("::1", 80, "[::1]:80", True),
        ("::1", 443, "[::1]:80", False),
        ("::1", 80, "[::1]x", False),
        ("fd00::5", 80, "fd00::/8", True),
        ("fe80::1%eth0", 80, "fe80::/10", True),
        ("example.com", 80, "*", True),
        ("example.com", 80, ".", False),
        ("example.com", 80, "com", True),
    ],
)
def test_proxy_bypass(host: str, port: int, no_proxy: str, bypass: bool) -> None:
    assert proxy_bypass(host, port, no_proxy) is bypass


@given(host=st.text(max_size=30), port=st.integers(1, 65535), no_proxy=st.text())
def test_proxy_bypass_any_text(host: str, port: int, no_proxy: str) -> None:
    assert proxy_bypass(host, port, no_proxy) in (True, False)


@given(
    host=hosts,
    port=st.integers(1, 65535),
    others=st.lists(hosts, max_size=3),
)
def test_proxy_bypass_listed_host(host: str, port: int, others: List[str]) -> None:
    no_proxy = ",".join([*others, host])
    assert proxy_bypass(host, port, no_proxy)
    assert proxy_bypass(host, port, f"{no_proxy}:{port}")


# Environment variables

WS = parse_uri("ws://example.com/")
WSS = parse_uri("wss://example.com/")


@pytest.mark.parametrize(
    ("environ", "ws", "wss"),
    [
        ({}, None, None),
        ({"http_proxy": "http://a:1"}, "http://a:1", None),
        ({"HTTP_PROXY": "http://a:1"}, "http://a:1", None),
        ({"https_proxy": "http://b:1"}, None, "http://b:1"),
        ({"HTTPS_PROXY": "http://b:1"}, None, "http://b:1"),
        ({"all_proxy": "socks5://c:1"}, "socks5://c:1", "socks5://c:1"),
        ({"ALL_PROXY": "socks5://c:1"}, "socks5://c:1", "socks5://c:1"),
        (
            {"all_proxy": "socks5://c:1", "http_proxy": "http://a:1"},
            "http://a:1",
            "socks5://c:1",
        ),
        ({"http_proxy": "http://a:1", "HTTP_PROXY": "http://z:1"}, "http://a:1", None),
        ({"http_proxy": "", "HTTP_PROXY": "http://z:1"}, "http://z:1", None),
        ({"http_proxy": " "}, None, None),
        ({"http_proxy": "a:1"}, "http://a:1", None),
        ({"http_proxy": "http://a:1", "no_proxy": "example.com"}, None, None),
        ({"http_proxy": "http://a:1", "NO_PROXY": "example.com"}, None, None),
        ({"http_proxy": "http://a:1", "no_proxy": "other.org"}, "http://a:1", None),
        (
            {"http_proxy": "http://a:1", "no_proxy": "example.com:443"},
            "http://a:1",
            None,
        ),
        ({"https_proxy": "http://b:1", "no_proxy": "example.com:443"}, None, None),
        # httpoxy: in CGI scripts, HTTP_PROXY comes from the request.
        ({"HTTP_PROXY": "http://evil:1", "REQUEST_METHOD": "GET"}, None, None),
        (
            {"http_proxy": "http://a:1", "REQUEST_METHOD": "GET"},
            "http://a:1",
            None,
        ),
    ],
)
def test_proxy_from_environment(
    environ: dict[str, str], ws: Optional[str], wss: Optional[str]
) -> None:
    assert proxy_from_environment(WS, environ) == ws
    assert proxy_from_environment(WSS, environ) == wss


def test_proxy_from_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "no_proxy", "NO_PROXY", "REQUEST_METHOD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://from-env:1")
    assert proxy_from_environment(WS) == "http://from-env:1"
    assert get_proxy(True, WS) == Proxy("http", "from-env", 1, None)


def test_get_proxy() -> None:
    environ = {"http_proxy": "socks5h://p:9"}
    assert get_proxy(None, WS, environ) is None
    assert get_proxy(False, WS, environ) is None
    assert get_proxy(True, WS, {}) is None
    assert get_proxy(True, WS, environ) == Proxy("socks5h", "p", 9, None)
    assert get_proxy("http://q", WS, environ) == Proxy("http", "q", 80, None)


def test_get_proxy_invalid_environment() -> None:
    with pytest.raises(InvalidURI):
        get_proxy(True, WS, {"http_proxy": "ftp://p"})


def test_check_proxy_argument() -> None:
    assert check_proxy_argument(None) is None
    assert check_proxy_argument(True) is None
    assert check_proxy_argument(False) is None
    assert check_proxy_argument("http://p") == Proxy("http", "p", 80, None)
    with pytest.raises(TypeError, match="proxy must be None, True or a URL"):
        check_proxy_argument(b"http://p")


# Arguments of connect()


def check(proxy: Any, proxy_headers: Any = None, **kwargs: Any) -> Optional[Headers]:
    arguments: dict[str, Any] = dict(unix=False, host=None, port=None, sock=None)
    arguments.update(kwargs)
    return check_proxy_arguments(proxy, proxy_headers, **arguments)


def test_check_proxy_arguments() -> None:
    assert check(None) is None
    assert check("http://p") is None
    headers = check(True, {"X-Forwarded-For": "1.2.3.4"})
    assert headers == Headers({"X-Forwarded-For": "1.2.3.4"})
    assert check("http://p", [("A", "1"), ("A", "2")]).get_all("A") == ["1", "2"]  # type: ignore[union-attr]
    # Without a proxy, host, port and sock keep their meaning.
    assert check(None, host="h", port=1, sock=object(), unix=True) is None
    assert check(False, host="h") is None


@pytest.mark.parametrize("proxy", ["http://p", True])
@pytest.mark.parametrize(
    "kwargs",
    [{"host": "h"}, {"port": 1}, {"sock": object()}],
)
def test_check_proxy_arguments_conflicts(proxy: Any, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="can't be combined with proxy"):
        check(proxy, **kwargs)


def test_check_proxy_arguments_unix() -> None:
    with pytest.raises(ValueError, match="Unix socket"):
        check("http://p", unix=True)


def test_check_proxy_arguments_invalid_header() -> None:
    with pytest.raises(ValueError, match="invalid HTTP header"):
        check("http://p", {"X-Bad": "a\r\nInjected: 1"})


@pytest.mark.parametrize(
    "proxy, kind",
    [
        ("http://p", "an http:// proxy"),
        ("HTTP://p:3128", "an http:// proxy"),
        ("socks5://p", "a socks5:// proxy"),
        ("socks5h://p", "a socks5h:// proxy"),
        ("socks4://p", "a socks4:// proxy"),
        ("socks4a://p", "a socks4a:// proxy"),
        (None, "no proxy"),
        (False, "no proxy"),
    ],
)
def test_check_proxy_arguments_proxy_ssl_without_https_proxy(
    proxy: Any, kind: str
) -> None:
    # Rejected before python-socks is imported: this doesn't need it.
    message = f"proxy_ssl is only used with an https:// proxy, got {kind}"
    with pytest.raises(ValueError) as exc_info:
        check(proxy, proxy_ssl=ssl.create_default_context())
    assert str(exc_info.value) == message


def test_check_proxy_arguments_proxy_ssl() -> None:
    context = ssl.create_default_context()
    assert check("https://p", proxy_ssl=context) is None
    assert check("HTTPS://user:pass@p:8443", proxy_ssl=context) is None
    # With proxy=True, the environment chooses the proxy when connecting.
    assert check(True, proxy_ssl=context) is None
    # proxy_ssl=None is the default, whatever the proxy.
    assert check("socks5://p", proxy_ssl=None) is None


def test_connect_proxy_ssl_without_https_proxy() -> None:
    context = ssl.create_default_context()
    with pytest.raises(ValueError) as exc_info:
        connect(
            "wss://example.com/", proxy="socks5://alice:s3cret@p", proxy_ssl=context
        )
    message = str(exc_info.value)
    assert message == (
        "proxy_ssl is only used with an https:// proxy, got a socks5:// proxy"
    )
    assert "alice" not in message and "s3cret" not in message
    with pytest.raises(ValueError, match="got an http:// proxy"):
        connect("ws://example.com/", proxy="http://p:3128", proxy_ssl=context)
    with pytest.raises(ValueError, match="got no proxy"):
        connect("ws://example.com/", proxy_ssl=context)
    connect("ws://example.com/", proxy="https://p", proxy_ssl=context)
    connect("ws://example.com/", proxy=True, proxy_ssl=context)


def test_connect_arguments() -> None:
    with pytest.raises(ValueError, match="can't be combined with proxy"):
        connect("ws://example.com/", proxy="http://p", host="127.0.0.1")
    with pytest.raises(ValueError, match="Unix socket"):
        unix_connect("/tmp/socket", proxy=True)
    with pytest.raises(InvalidURI):
        connect("ws://example.com/", proxy="http://p/path")
    with pytest.raises(TypeError):
        connect("ws://example.com/", proxy=1)


def test_socks_without_python_socks(monkeypatch: pytest.MonkeyPatch) -> None:
    # As if python-socks weren't installed.
    for name in list(sys.modules):
        if name == "python_socks" or name.startswith("python_socks."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "python_socks", None)  # type: ignore[arg-type]
    with pytest.raises(ImportError, match=r"websockets\[socks\]") as raised:
        connect("ws://example.com/", proxy="socks5h://p")
    assert raised.value.name == "python_socks"
    assert isinstance(raised.value.__cause__, ImportError)
    with pytest.raises(ImportError, match=r"pip install \"websockets\[socks\]\""):
        import_python_socks()
    # HTTP proxies don't need python-socks.
    connect("ws://example.com/", proxy="http://p")


async def test_socks_from_environment_without_python_socks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(sys.modules):
        if name == "python_socks" or name.startswith("python_socks."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "python_socks", None)  # type: ignore[arg-type]
    monkeypatch.setenv("all_proxy", "socks5://127.0.0.1:1")
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    # The environment is read when connecting: that's when it fails.
    with pytest.raises(ImportError, match=r"websockets\[socks\]"):
        await connect("ws://example.com/", proxy=True)


# CONNECT request


def test_build_connect_request() -> None:
    request = build_connect_request(
        parse_uri("wss://example.com/chat"), parse_proxy("http://p"), None
    )
    assert request == (
        b"CONNECT example.com:443 HTTP/1.1\r\n"
        b"Host: example.com:443\r\n"
        b"User-Agent: " + USER_AGENT.encode() + b"\r\n\r\n"
    )


def test_build_connect_request_credentials_and_headers() -> None:
    request = build_connect_request(
        parse_uri("ws://[::1]:8080/"),
        parse_proxy("http://al%40ice:p%3Ass@p"),
        Headers({"User-Agent": "test", "X-Trace": "1"}),
    )
    assert request == (
        b"CONNECT [::1]:8080 HTTP/1.1\r\n"
        b"Host: [::1]:8080\r\n"
        # base64 of al@ice:p:ss
        b"Proxy-Authorization: Basic YWxAaWNlOnA6c3M=\r\n"
        b"User-Agent: test\r\n"
        b"X-Trace: 1\r\n\r\n"
    )


# Exceptions


def test_invalid_proxy_status() -> None:
    exc = InvalidProxyStatus(407, Headers({"Proxy-Authenticate": "Basic"}))
    assert str(exc) == "proxy authentication failed: HTTP 407"
    assert exc.status_code == 407
    assert exc.headers["Proxy-Authenticate"] == "Basic"
    assert str(InvalidProxyStatus(401, Headers())) == (
        "proxy authentication failed: HTTP 401"
    )
    assert str(InvalidProxyStatus(502, Headers())) == (
        "proxy rejected connection: HTTP 502"
    )
    assert isinstance(exc, ProxyError)
    assert isinstance(exc, InvalidHandshake)
    assert isinstance(InvalidProxyMessage("x"), ProxyError)


# TunnelProtocol


class FakeTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.calls: List[str] = []
        self.protocol: Optional[asyncio.BaseProtocol] = None

    def pause_reading(self) -> None:
        self.calls.append("pause_reading")

    def resume_reading(self) -> None:
        self.calls.append("resume_reading")

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.protocol = protocol

    def set_write_buffer_limits(
        self, high: Optional[int] = None, low: Optional[int] = None
    ) -> None:
        pass


class RecordingProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.events: List[Tuple[str, Any]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.events.append(("connection_made", transport))

    def data_received(self, data: bytes) -> None:
        self.events.append(("data_received", data))

    def eof_received(self) -> None:
        self.events.append(("eof_received", None))

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self.events.append(("connection_lost", exc))


def tunnel_with(*chunks: bytes) -> Tuple[TunnelProtocol, FakeTransport]:
    tunnel = TunnelProtocol()
    transport = FakeTransport()
    tunnel.connection_made(transport)
    for chunk in chunks:
        tunnel.data_received(chunk)
    return tunnel, transport


async def test_tunnel_pauses_reading() -> None:
    line = b"X-Header: " + b"x" * 1000 + b"\r\n"
    count = READ_AHEAD // len(line) + 2
    tunnel, transport = tunnel_with(*[line] * count)
    # Reading pauses once, as soon as too much is buffered.
    assert transport.calls == ["pause_reading"]
    while tunnel.buffer.buffered() - len(line) > READ_AHEAD:
        assert await tunnel.readline() == line
        assert transport.calls == ["pause_reading"]
    assert await tunnel.readline() == line
    assert transport.calls == ["pause_reading", "resume_reading"]
    assert await tunnel.readline() == line
    assert transport.calls == ["pause_reading", "resume_reading"]


async def test_tunnel_hand_over() -> None:
    tunnel, transport = tunnel_with(b"HTTP/1.1 200 OK\r\n\r\nleftover")
    assert await tunnel.readline() == b"HTTP/1.1 200 OK\r\n"
    assert await tunnel.readline() == b"\r\n"
    protocol = RecordingProtocol()
    tunnel.hand_over(protocol)
    assert transport.protocol is protocol
    assert protocol.events == [
        ("connection_made", transport),
        ("data_received", b"leftover"),
    ]
    assert transport.calls == []


def test_tunnel_hand_over_nothing() -> None:
    tunnel, transport = tunnel_with()
    protocol = RecordingProtocol()
    tunnel.hand_over(protocol)
    assert protocol.events == [("connection_made", transport)]


def test_tunnel_hand_over_paused() -> None:
    tunnel, transport = tunnel_with(b"x" * (READ_AHEAD + 1))
    protocol = RecordingProtocol()
    tunnel.hand_over(protocol)
    assert protocol.events == [
        ("connection_made", transport),
        ("data_received", b"x" * (READ_AHEAD + 1)),
    ]
    assert transport.calls == ["pause_reading", "resume_reading"]


def test_tunnel_hand_over_paused_protocol_pauses() -> None:
    # Like WebSocketCommonProtocol with more than read_limit bytes ahead of
    # the opening handshake, the protocol pauses reading: it stays paused.
    class PausingProtocol(RecordingProtocol):
        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            transport.pause_reading()

    tunnel, transport = tunnel_with(b"x" * (READ_AHEAD + 1))
    tunnel.hand_over(PausingProtocol())
    assert transport.calls == ["pause_reading", "resume_reading", "pause_reading"]


def test_tunnel_hand_over_eof() -> None:
    tunnel, transport = tunnel_with(b"last bytes")
    tunnel.eof_received()
    protocol = RecordingProtocol()
    tunnel.hand_over(protocol)
    assert protocol.events == [
        ("connection_made", transport),
        ("data_received", b"last bytes"),
        ("eof_received", None),
    ]


def test_tunnel_hand_over_connection_lost() -> None:
    tunnel, transport = tunnel_with()
    tunnel.eof_received()
    exc = ConnectionResetError()
    tunnel.connection_lost(exc)
    protocol = RecordingProtocol()
    tunnel.hand_over(protocol)
    assert protocol.events == [
        ("connection_made", transport),
        ("connection_lost", exc),
    ]


# Mapping of SOCKS URLs to python-socks: socks4a isn't supported by the real
# servers of tests/proxies (dante-server rejects it, pproxy ignores it), so
# the arguments given to python-socks are checked here.


@pytest.mark.parametrize(
    ("url", "proxy_type", "rdns", "credentials"),
    [
        ("socks5://p:1", "SOCKS5", False, (None, None)),
        ("socks5h://u:pw@p:1", "SOCKS5", True, ("u", "pw")),
        ("socks4://p:1", "SOCKS4", False, (None, None)),
        ("socks4a://p:1", "SOCKS4", True, (None, None)),
    ],
)
async def test_socks_arguments(
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    proxy_type: str,
    rdns: bool,
    credentials: Tuple[Optional[str], Optional[str]],
) -> None:
    from python_socks import ProxyError as SocksError
    from python_socks import ProxyType

    created: List[dict[str, Any]] = []

    class RecordingProxy:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            created.append(dict(args=args, **kwargs))

        async def connect(self, host: str, port: int) -> Any:
            created[-1]["destination"] = (host, port)
            raise SocksError("recorded")

    monkeypatch.setattr(
        proxy_tunnel,
        "import_python_socks",
        lambda: (RecordingProxy, ProxyType, SocksError),
    )
    with pytest.raises(ProxyError, match="recorded"):
        await connect("ws://example.com:8080/", proxy=url)
    [arguments] = created
    assert arguments["args"] == (getattr(ProxyType, proxy_type), "p", 1)
    assert arguments["rdns"] is rdns
    assert (arguments["username"], arguments["password"]) == credentials
    assert arguments["destination"] == ("example.com", 8080)
