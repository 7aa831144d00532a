"""Open the connection to a WebSocket server through a proxy.

An HTTP proxy opens a tunnel on request: ``CONNECT host:port`` (RFC 9110,
section 9.3.6). That's built in, on the project's own HTTP parser and its
limits. A SOCKS proxy goes through the :mod:`python_socks` package, the
optional extra ``websockets[socks]``.

Once the tunnel is open, the WebSocket protocol takes over the transport:
TLS with the WebSocket server starts inside the tunnel for ``wss://`` URIs,
and for ``ws://`` URIs the bytes the proxy sent after its response go to the
opening handshake.
"""

from __future__ import annotations

import asyncio
import ssl as ssl_module
import sys
from typing import TYPE_CHECKING, Any, Callable, Optional

from .datastructures import Headers, HeadersLike
from .exceptions import InvalidProxyMessage, InvalidProxyStatus, ProxyError
from .headers import build_authorization_basic
from .http import MAX_LINE, USER_AGENT, check_headers, read_response
from .proxy import Proxy, check_proxy_argument
from .streams import StreamBuffer
from .uri import WebSocketURI

if TYPE_CHECKING:  # the client imports this module
    from .client import WebSocketClientProtocol

__all__ = ["check_proxy_arguments", "connect_through_proxy"]

# asyncio starts TLS on a TLS transport (TLS in TLS, for a wss:// server
# behind an https:// proxy) from Python 3.11 on: before, start_tls() refuses
# a transport that isn't a plain socket transport.
TLS_IN_TLS = sys.version_info >= (3, 11)

# While it reads the proxy's response, the client stops reading from the
# socket when it holds that many bytes that the parser hasn't consumed.
READ_AHEAD = 2**16

# Arguments of create_connection() that are about the socket to the proxy:
# python-socks opens that socket itself, so they can't apply with SOCKS.
SOCKET_ARGUMENTS = (
    "family",
    "proto",
    "flags",
    "local_addr",
    "happy_eyeballs_delay",
    "interleave",
    "all_errors",
)

# Arguments of create_connection() about TLS with the WebSocket server.
TLS_ARGUMENTS = (
    "ssl",
    "server_hostname",
    "ssl_handshake_timeout",
    "ssl_shutdown_timeout",
)

SOCKS_EXTRA_MESSAGE = (
    "connecting through a SOCKS proxy requires python-socks; "
    'install it with: pip install "websockets[socks]"'
)


def import_python_socks() -> tuple[Any, Any, type[Exception]]:
    """Import the asyncio client of python-socks.

    Return its ``Proxy`` class, its ``ProxyType`` enum and its
    ``ProxyError`` exception.

    :raises ImportError: if python-socks isn't installed; the message names
        the extra ``websockets[socks]``
    """
    try:
        from python_socks import ProxyError, ProxyType
        from python_socks.async_.asyncio import Proxy
    except ImportError as exc:
        raise ImportError(SOCKS_EXTRA_MESSAGE, name="python_socks") from exc
    return Proxy, ProxyType, ProxyError


def _kind_of_proxy(proxy: Optional[Proxy]) -> str:
    # Only the scheme, for error messages: the URL may contain credentials.
    if proxy is None:
        return "no proxy"
    article = "an" if proxy.scheme == "http" else "a"
    return f"{article} {proxy.scheme}:// proxy"


def check_proxy_arguments(
    proxy: object,
    proxy_headers: Optional[HeadersLike],
    *,
    unix: bool,
    host: Optional[str],
    port: Optional[int],
    sock: Any,
    proxy_ssl: Optional[ssl_module.SSLContext] = None,
) -> Optional[Headers]:
    """Validate the proxy arguments of :func:`~websockets.client.connect`.

    Return ``proxy_headers`` as a :class:`~websockets.datastructures.Headers`,
    checked and ready to be sent with every ``CONNECT``.

    ``proxy_ssl`` only applies to an ``https://`` proxy: it's an error with
    another proxy URL or without a proxy. With ``proxy=True``, the
    environment chooses the proxy when connecting, and ``proxy_ssl`` applies
    if it's an ``https://`` one.

    :raises ValueError: if the arguments contradict each other, or a header
        can't be sent
    :raises TypeError: if ``proxy`` has the wrong type
    :raises ~websockets.exceptions.InvalidURI: if the proxy URL is invalid
    :raises ImportError: for a SOCKS URL, if python-socks isn't installed
    """
    parsed = check_proxy_argument(proxy)
    if proxy is not None and proxy is not False:
        if unix:
            raise ValueError("a Unix socket connection can't go through a proxy")
        if host is not None or port is not None or sock is not None:
            raise ValueError(
                "host, port and sock choose where the connection goes: "
                "they can't be combined with proxy"
            )
    # With proxy=True, the environment chooses the proxy when connecting.
    https = parsed is not None and parsed.scheme == "https"
    if proxy_ssl is not None and proxy is not True and not https:
        raise ValueError(
            "proxy_ssl is only used with an https:// proxy, "
            f"got {_kind_of_proxy(parsed)}"
        )
    if parsed is not None and parsed.is_socks:
        import_python_socks()
    if proxy_headers is None:
        return None
    headers = Headers(proxy_headers)
    check_headers(headers)
    return headers


def build_connect_request(
    wsuri: WebSocketURI, proxy: Proxy, proxy_headers: Optional[Headers]
) -> bytes:
    """Build the ``CONNECT`` request for a tunnel to the WebSocket server.

    RFC 9110, section 9.3.6: the request target is the server's host and
    port (authority-form, RFC 9112, section 3.2.3), and so is ``Host``.
    """
    host = f"[{wsuri.host}]" if ":" in wsuri.host else wsuri.host
    authority = f"{host}:{wsuri.port}"
    headers = Headers()
    headers["Host"] = authority
    if proxy.user_info is not None:
        headers["Proxy-Authorization"] = build_authorization_basic(*proxy.user_info)
    if proxy_headers is not None:
        headers.update(proxy_headers.raw_items())
    headers.setdefault("User-Agent", USER_AGENT)
    return f"CONNECT {authority} HTTP/1.1\r\n{headers}".encode()


class TunnelProtocol(asyncio.Protocol):
    """Receive the proxy's response to ``CONNECT``.

    Bytes are kept in a :class:`~websockets.streams.StreamBuffer` which
    :func:`~websockets.http.read_response` reads; reading from the socket
    pauses when more than :data:`READ_AHEAD` bytes wait in it.
    """

    def __init__(self) -> None:
        self.transport: asyncio.Transport
        self.buffer = StreamBuffer(limit=MAX_LINE + 1)
        self.paused = False
        self.eof = False
        self.lost = False
        self.exc: Optional[Exception] = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer.feed_data(data)
        if not self.paused and self.buffer.buffered() > READ_AHEAD:
            self.paused = True
            self.transport.pause_reading()

    def eof_received(self) -> None:
        self.eof = True
        self.buffer.feed_eof()

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self.lost = True
        self.exc = exc
        self.buffer.feed_eof()

    async def readline(self) -> bytes:
        line = await self.buffer.readline()
        if self.paused and self.buffer.buffered() <= READ_AHEAD:
            self.paused = False
            self.transport.resume_reading()
        return line

    def hand_over(self, protocol: asyncio.Protocol) -> None:
        """Give the transport, and what was received after the response, to
        ``protocol``."""
        transport = self.transport
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        # Resume before handing over the data: the protocol may pause
        # reading again, e.g. when that's more than its read_limit.
        if self.paused:
            transport.resume_reading()
        data = self.buffer.take()
        if data:
            protocol.data_received(data)
        if self.lost:
            protocol.connection_lost(self.exc)
        elif self.eof:
            protocol.eof_received()


async def http_connect(
    factory: Callable[[], WebSocketClientProtocol],
    proxy: Proxy,
    wsuri: WebSocketURI,
    kwds: dict[str, Any],
    proxy_headers: Optional[Headers],
    proxy_ssl: Optional[ssl_module.SSLContext],
) -> WebSocketClientProtocol:
    """Connect to the WebSocket server through an HTTP or HTTPS proxy."""
    loop = asyncio.get_running_loop()
    tls = {name: kwds.pop(name) for name in TLS_ARGUMENTS if name in kwds}
    server_ssl = tls.pop("ssl", None)
    server_hostname = tls.pop("server_hostname", wsuri.host)
    if proxy.scheme == "https":
        if server_ssl and not TLS_IN_TLS:
            raise ProxyError(
                "a wss:// connection through an https:// proxy needs TLS in "
                "TLS, which asyncio supports from Python 3.11 on; upgrade "
                "Python or use an http:// proxy"
            )
        kwds["ssl"] = proxy_ssl if proxy_ssl is not None else True
        kwds["server_hostname"] = proxy.host
        kwds.update(tls)

    transport, tunnel = await loop.create_connection(
        TunnelProtocol, proxy.host, proxy.port, **kwds
    )
    try:
        transport.write(build_connect_request(wsuri, proxy, proxy_headers))
        try:
            status_code, _, headers = await read_response(tunnel, accept_http10=True)
        except Exception as exc:
            raise InvalidProxyMessage(
                "did not receive a valid HTTP response from proxy"
            ) from exc
        # RFC 9110, section 9.3.6: any 2xx response means that the tunnel is
        # open; it has no body, whatever its headers say.
        if not 200 <= status_code < 300:
            raise InvalidProxyStatus(status_code, headers)

        protocol = factory()
        if server_ssl:
            # The server speaks only after the client's TLS hello: anything
            # here can't be from the server.
            if tunnel.buffer.buffered():
                raise InvalidProxyMessage("proxy sent data before the TLS handshake")
            if server_ssl is True:
                server_ssl = ssl_module.create_default_context()
            tls_transport = await loop.start_tls(
                transport,
                protocol,
                server_ssl,
                server_hostname=server_hostname,
                **tls,
            )
            # start_tls() returns None only with a broken event loop.
            assert tls_transport is not None
            # start_tls() leaves that call to the caller.
            protocol.connection_made(tls_transport)
        else:
            tunnel.hand_over(protocol)
    except BaseException:
        transport.close()
        raise
    return protocol


async def socks_connect(
    factory: Callable[[], WebSocketClientProtocol],
    proxy: Proxy,
    wsuri: WebSocketURI,
    kwds: dict[str, Any],
) -> WebSocketClientProtocol:
    """Connect to the WebSocket server through a SOCKS proxy."""
    SocksProxy, ProxyType, SocksError = import_python_socks()
    unsupported = [name for name in SOCKET_ARGUMENTS if name in kwds]
    if unsupported:
        raise ValueError(f"{', '.join(unsupported)} can't be used with a SOCKS proxy")
    loop = asyncio.get_running_loop()
    username, password = proxy.user_info or (None, None)
    socks_proxy = SocksProxy(
        ProxyType.SOCKS4 if proxy.scheme.startswith("socks4") else ProxyType.SOCKS5,
        proxy.host,
        proxy.port,
        username=username,
        password=password,
        # socks5h and socks4a: the proxy resolves the server's name.
        rdns=proxy.scheme in ("socks5h", "socks4a"),
        loop=loop,
    )
    # Failing to reach the proxy raises python-socks' ProxyConnectionError
    # and a timeout its ProxyTimeoutError: both are OSError.
    try:
        sock = await socks_proxy.connect(wsuri.host, wsuri.port)
    except SocksError as exc:
        raise ProxyError(f"SOCKS proxy failed to connect: {exc}") from exc
    try:
        _, protocol = await loop.create_connection(factory, sock=sock, **kwds)
    except BaseException:
        sock.close()
        raise
    return protocol


async def connect_through_proxy(
    factory: Callable[[], WebSocketClientProtocol],
    proxy: Proxy,
    wsuri: WebSocketURI,
    kwds: dict[str, Any],
    *,
    proxy_headers: Optional[Headers] = None,
    proxy_ssl: Optional[ssl_module.SSLContext] = None,
) -> WebSocketClientProtocol:
    """Open a connection to the WebSocket server at ``wsuri`` through
    ``proxy`` and return the protocol built by ``factory``, ready for the
    opening handshake.

    :param kwds: keyword arguments of
        :meth:`~asyncio.loop.create_connection`; ``ssl``, ``server_hostname``
        and the TLS timeouts are about the WebSocket server, the others about
        the socket to the proxy
    :param proxy_headers: additional headers of ``CONNECT`` requests
    :param proxy_ssl: TLS context for an ``https://`` proxy; Python's
        default context if ``None``
    :raises OSError: if the proxy can't be reached
    :raises ~websockets.exceptions.ProxyError: if the proxy fails to open
        the tunnel
    """
    if proxy.is_socks:
        return await socks_connect(factory, proxy, wsuri, kwds)
    return await http_connect(factory, proxy, wsuri, kwds, proxy_headers, proxy_ssl)
