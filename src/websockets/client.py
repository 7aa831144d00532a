"""The WebSocket client: :func:`connect`, :func:`unix_connect` and
:class:`WebSocketClientProtocol`."""

from __future__ import annotations

import asyncio
import functools
import logging
import urllib.parse
from types import TracebackType
from typing import (
    Any,
    AsyncIterator,
    Callable,
    Dict,
    Generator,
    List,
    Optional,
    Sequence,
    Type,
)

from .arguments import shared_arguments, without_defaults
from .datastructures import Headers, HeadersLike
from .eventloop import get_loop, wait_with_timeout
from .exceptions import (
    InvalidHandshake,
    InvalidHeader,
    InvalidMessage,
    InvalidStatusCode,
    InvalidURI,
    NegotiationError,
    RedirectHandshake,
    SecurityError,
)
from .extensions.base import ClientExtensionFactory, Extension
from .extensions.permessage_deflate import ClientPerMessageDeflateFactory
from .handshake import build_request, check_response
from .headers import (
    build_authorization_basic,
    build_extension,
    build_subprotocol,
    parse_extension,
    parse_subprotocol,
)
from .http import USER_AGENT, check_headers, read_response
from .protocol import WebSocketCommonProtocol
from .proxy import get_proxy
from .proxy_tunnel import check_proxy_arguments, connect_through_proxy
from .reconnecting import Backoff, Reconnecting
from .typing import MaxSize, Origin, Subprotocol
from .uri import WebSocketURI, parse_uri

__all__ = ["WebSocketClientProtocol", "connect", "unix_connect"]

logger = logging.getLogger("websockets.client")

# HTTP status codes that redirect the opening handshake.
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class WebSocketClientProtocol(WebSocketCommonProtocol):
    """:class:`~asyncio.Protocol` subclass implementing a WebSocket client.

    This class inherits most of its methods from
    :class:`~websockets.protocol.WebSocketCommonProtocol`.

    :param origin: value of the Origin header, see :func:`connect`
    :param extensions: supported extensions, see :func:`connect`
    :param subprotocols: supported subprotocols, see :func:`connect`
    :param extra_headers: additional request headers, see :func:`connect`

    Other keyword arguments are passed to
    :class:`~websockets.protocol.WebSocketCommonProtocol`.
    """

    is_client = True
    side = "client"

    __slots__ = (
        "available_extensions",
        "available_subprotocols",
        "extra_headers",
        "origin",
    )

    def __init__(
        self,
        *,
        origin: Optional[Origin] = None,
        extensions: Optional[Sequence[ClientExtensionFactory]] = None,
        subprotocols: Optional[Sequence[Subprotocol]] = None,
        extra_headers: Optional[HeadersLike] = None,
        **kwargs: Any,
    ) -> None:
        self.origin = origin
        self.available_extensions = extensions
        self.available_subprotocols = subprotocols
        self.extra_headers = extra_headers
        super().__init__(**kwargs)

    def write_http_request(self, path: str, headers: Headers) -> None:
        """Write the request of the opening handshake."""
        self.path = path
        self.request_headers = headers
        if self._debug:
            self._log(logger).debug("%s > GET %s HTTP/1.1", self.side, path)
        self.transport.write(f"GET {path} HTTP/1.1\r\n{headers}".encode())

    async def read_http_response(self) -> tuple[int, Headers]:
        """Read the response of the opening handshake.

        :raises ~websockets.exceptions.InvalidMessage: if the response is
            malformed or incomplete; the cause is chained
        """
        try:
            status_code, reason, headers = await read_response(self.reader)
        except Exception as exc:
            raise InvalidMessage("did not receive a valid HTTP response") from exc
        if self._debug:
            self._log(logger).debug(
                "%s < HTTP/1.1 %d %s", self.side, status_code, reason
            )
        self.response_headers = headers
        return status_code, headers

    @staticmethod
    def process_extensions(
        headers: Headers,
        available_extensions: Optional[Sequence[ClientExtensionFactory]],
    ) -> List[Extension]:
        """Check the extensions accepted by the server: RFC 6455 9.1.

        Each extension in the response must match one of the client's
        factories, which validates its parameters.

        :raises ~websockets.exceptions.InvalidHandshake: if the server
            accepted extensions that the client didn't offer, or with
            parameters the client can't accept
        """
        accepted_extensions: List[Extension] = []
        header_values = headers.get_all("Sec-WebSocket-Extensions")
        if header_values:
            if available_extensions is None:
                raise InvalidHandshake("no extensions supported")
            answers = [
                item for value in header_values for item in parse_extension(value)
            ]
            for name, response_params in answers:
                for factory in available_extensions:
                    if factory.name != name:
                        continue
                    try:
                        extension = factory.process_response_params(
                            response_params, accepted_extensions
                        )
                    except NegotiationError:
                        continue
                    accepted_extensions.append(extension)
                    break
                else:
                    raise NegotiationError(
                        f"Unsupported extension: name = {name}, "
                        f"params = {response_params}"
                    )
        return accepted_extensions

    @staticmethod
    def process_subprotocol(
        headers: Headers,
        available_subprotocols: Optional[Sequence[Subprotocol]],
    ) -> Optional[Subprotocol]:
        """Check the subprotocol selected by the server.

        :raises ~websockets.exceptions.InvalidHandshake: if the server
            selected a subprotocol that the client didn't offer, or several
        """
        header_values = headers.get_all("Sec-WebSocket-Protocol")
        if not header_values:
            return None
        if available_subprotocols is None:
            raise InvalidHandshake("no subprotocols supported")
        selected = [p for value in header_values for p in parse_subprotocol(value)]
        if len(selected) > 1:
            raise InvalidHandshake(f"multiple subprotocols: {', '.join(selected)}")
        subprotocol = selected[0]
        if subprotocol not in available_subprotocols:
            raise NegotiationError(f"unsupported subprotocol: {subprotocol}")
        return subprotocol

    async def handshake(
        self,
        wsuri: WebSocketURI,
        origin: Optional[Origin] = None,
        available_extensions: Optional[Sequence[ClientExtensionFactory]] = None,
        available_subprotocols: Optional[Sequence[Subprotocol]] = None,
        extra_headers: Optional[HeadersLike] = None,
    ) -> None:
        """Perform the client side of the opening handshake.

        :param wsuri: URI of the server
        :param origin: sets the Origin HTTP header
        :param available_extensions: supported extensions, in the order in
            which they should be used
        :param available_subprotocols: supported subprotocols, in order of
            decreasing preference
        :param extra_headers: additional HTTP request headers: a
            :class:`~websockets.http.Headers` instance, a mapping, or an
            iterable of ``(name, value)`` pairs
        :raises ~websockets.exceptions.InvalidHandshake: if the handshake
            fails
        :raises ValueError: if a request header can't be sent as it is, for
            example a value containing CR or LF
        """
        request_headers = Headers()
        host = f"[{wsuri.host}]" if ":" in wsuri.host else wsuri.host
        if wsuri.port != (443 if wsuri.secure else 80):
            host = f"{host}:{wsuri.port}"
        request_headers["Host"] = host
        if wsuri.user_info:
            request_headers["Authorization"] = build_authorization_basic(
                *wsuri.user_info
            )
        if origin is not None:
            request_headers["Origin"] = origin
        key = build_request(request_headers)
        if available_extensions is not None:
            request_headers["Sec-WebSocket-Extensions"] = build_extension(
                [
                    (factory.name, factory.get_request_params())
                    for factory in available_extensions
                ]
            )
        if available_subprotocols is not None:
            request_headers["Sec-WebSocket-Protocol"] = build_subprotocol(
                available_subprotocols
            )
        if extra_headers is not None:
            request_headers.update(
                extra_headers.raw_items()
                if isinstance(extra_headers, Headers)
                else extra_headers
            )
            request_headers.setdefault("User-Agent", USER_AGENT)
        else:
            request_headers._extend_lists([("User-Agent", USER_AGENT)], _USER_AGENT)
        # Host comes from a valid URI and build_request() writes valid
        # headers: only what the caller provides needs checking.
        if (
            origin is not None
            or available_extensions is not None
            or available_subprotocols is not None
            or extra_headers is not None
        ):
            check_headers(request_headers)

        self.write_http_request(wsuri.resource_name, request_headers)
        status_code, response_headers = await self.read_http_response()

        if status_code in REDIRECT_STATUSES:
            if "Location" not in response_headers:
                raise InvalidHeader("Location")
            raise RedirectHandshake(response_headers["Location"])
        if status_code != 101:
            raise InvalidStatusCode(status_code, response_headers)

        check_response(response_headers, key)
        self.extensions = self.process_extensions(
            response_headers, available_extensions
        )
        self.subprotocol = self.process_subprotocol(
            response_headers, available_subprotocols
        )
        self.connection_open()


# Lower-cased name of the User-Agent header, as Headers keeps it.
_USER_AGENT = ("user-agent",)


def _parse_uri(uri: str) -> WebSocketURI:
    """Parse a WebSocket URI, checking that its user info can be sent.

    :raises ~websockets.exceptions.InvalidURI: if ``uri`` isn't valid or its
        user name contains a colon (RFC 7617 section 2)
    """
    if not isinstance(uri, str):
        raise TypeError(f"uri must be a str, got {type(uri).__name__}")
    # Clients often connect to the same URIs again and again.
    return _parse_uri_cached(str(uri))


def _parse_uri_uncached(uri: str) -> WebSocketURI:
    wsuri = parse_uri(uri)
    if wsuri.user_info is not None:
        try:
            build_authorization_basic(*wsuri.user_info)
        except ValueError as exc:
            raise InvalidURI(uri, str(exc)) from None
    return wsuri


# Valid URIs only: exceptions aren't cached. WebSocketURI is immutable.
_parse_uri_cached = functools.lru_cache(maxsize=64)(_parse_uri_uncached)


def _enable_permessage_deflate(
    extensions: Optional[Sequence[ClientExtensionFactory]],
) -> List[ClientExtensionFactory]:
    # compression="deflate": offer permessage-deflate, letting the server
    # pick a smaller window for the client, unless already configured.
    extensions = list(extensions or [])
    if not any(factory.name == "permessage-deflate" for factory in extensions):
        extensions.append(
            ClientPerMessageDeflateFactory(
                client_max_window_bits=True,
                compress_settings={"memLevel": 5, "level": 1},
            )
        )
    return extensions


class Connect:
    """Connect to the WebSocket server at the given ``uri``.

    Awaiting :func:`connect` yields a :class:`WebSocketClientProtocol` which
    can then be used to send and receive messages. :func:`connect` can also
    be used as an asynchronous context manager; then the connection is
    closed when exiting the context.

    :func:`connect` wraps the event loop's
    :meth:`~asyncio.loop.create_connection`; unknown keyword arguments are
    passed to it. For example, ``ssl`` sets an :class:`~ssl.SSLContext`;
    when connecting to a ``wss://`` URI without it, Python's default context
    is used. ``host`` and ``port`` connect to a different host and port from
    those of ``uri``: this only changes the destination of the TCP
    connection, not the ``Host`` header nor the TLS server name. ``sock``
    uses an already connected socket.

    ``create_protocol`` customizes the :class:`~asyncio.Protocol` that
    manages the connection: a callable or class accepting the same arguments
    as :class:`WebSocketClientProtocol` and returning an instance of
    :class:`WebSocketClientProtocol` or a subclass. ``klass`` is a
    deprecated alias.

    ``ping_interval``, ``ping_timeout``, ``close_timeout``, ``max_size``,
    ``max_queue``, ``read_limit`` and ``write_limit`` are described in
    :class:`~websockets.protocol.WebSocketCommonProtocol`; ``timeout`` is a
    deprecated alias of ``close_timeout``.

    * ``compression`` is a shortcut to configure compression extensions; by
      default it enables the "permessage-deflate" extension; set it to
      ``None`` to disable compression;
    * ``origin`` sets the Origin HTTP header;
    * ``extensions`` is a list of supported extensions in order of
      decreasing preference;
    * ``subprotocols`` is a list of supported subprotocols in order of
      decreasing preference;
    * ``extra_headers`` sets additional HTTP request headers: a
      :class:`~websockets.http.Headers` instance, a mapping, or an iterable
      of ``(name, value)`` pairs;
    * ``open_timeout`` (an extension of the 8.1 API) bounds the TCP
      connection and the opening handshake, 10 seconds by default; ``None``
      disables it; with a proxy, it covers the proxy's handshake too.
    * ``logger`` (new in this version) is a :class:`~logging.Logger` or a
      :class:`~logging.LoggerAdapter` for the connections' log records; see
      :attr:`~websockets.protocol.WebSocketCommonProtocol.logger`.

    New in this version: the connection can go through a proxy. Proxies
    are opt-in: by default, as in 8.1, :func:`connect` connects directly and
    ignores the proxy environment variables.

    * ``proxy`` is ``None`` (connect directly), a proxy URL
      (``http://[user:pass@]host:port``; ``https://`` for TLS to the proxy;
      ``socks5://``, ``socks5h://`` where the proxy resolves the server's
      name, ``socks4://``, ``socks4a://``), or ``True`` to read the
      ``https_proxy`` (for ``wss://``), ``http_proxy`` (for ``ws://``),
      ``all_proxy`` and ``no_proxy`` environment variables, see
      :func:`~websockets.proxy.proxy_from_environment`. HTTP proxies are
      built in; SOCKS proxies need ``pip install "websockets[socks]"``,
      else connecting raises :exc:`ImportError`. It can't be combined with
      ``host``, ``port``, ``sock`` or :func:`unix_connect`: that raises
      :exc:`ValueError`. The TLS server name and the ``Host`` header are
      the WebSocket server's.
    * ``proxy_headers`` sets additional headers of the ``CONNECT`` request
      to an HTTP proxy; credentials in the proxy URL are sent as
      ``Proxy-Authorization: Basic``.
    * ``proxy_ssl`` is the :class:`~ssl.SSLContext` for TLS with an
      ``https://`` proxy; Python's default context by default. A
      ``wss://`` server behind an ``https://`` proxy needs Python 3.11 or
      later (TLS in TLS). With another proxy URL, or without a proxy, it
      raises :exc:`ValueError`; with ``proxy=True``, it applies when the
      environment names an ``https://`` proxy.

    New in this version: ``async for websocket in connect(uri)``
    reconnects automatically. Each iteration opens a new connection and
    yields it, after closing the previous one if it's still open; failed
    openings are retried, forever, until the loop is broken (see
    :class:`~websockets.reconnecting.Reconnecting` for which errors are
    retried and which raise at once). Waits between attempts grow from
    ``backoff_initial`` seconds (1 by default) by ``backoff_factor`` (2)
    up to ``backoff_max`` (60), each drawn at random between half and all
    of that value::

        async for websocket in connect(uri):
            try:
                async for message in websocket:
                    await process(message)
            except ConnectionClosed:
                continue

    User information in the URI (``ws://user:pass@host/``) is sent as HTTP
    Basic credentials. HTTP redirects (301, 302, 303, 307, 308) are
    followed, up to 10 times; a redirect from ``wss://`` to ``ws://`` is
    refused.

    :raises ~websockets.exceptions.InvalidURI: if ``uri`` is invalid
    :raises ~websockets.exceptions.InvalidHandshake: if the opening
        handshake fails
    :raises ~websockets.exceptions.ProxyError: if the proxy fails to open
        a connection to the server, e.g.
        :exc:`~websockets.exceptions.InvalidProxyStatus` when an HTTP proxy
        answers ``CONNECT`` with a status other than 2xx
    """

    MAX_REDIRECTS_ALLOWED = 10

    _kwds: Dict[str, Any]
    _protocol_kwargs: Dict[str, Any]

    def __init__(
        self,
        uri: str,
        *,
        create_protocol: Optional[Callable[..., WebSocketClientProtocol]] = None,
        ping_interval: Optional[float] = 20,
        ping_timeout: Optional[float] = 20,
        close_timeout: Optional[float] = 10,
        max_size: MaxSize = 2**20,
        max_queue: Optional[int] = 2**5,
        read_limit: int = 2**16,
        write_limit: int = 2**16,
        loop: Optional[asyncio.AbstractEventLoop] = None,
        compression: Optional[str] = "deflate",
        origin: Optional[Origin] = None,
        extensions: Optional[Sequence[ClientExtensionFactory]] = None,
        subprotocols: Optional[Sequence[Subprotocol]] = None,
        extra_headers: Optional[HeadersLike] = None,
        **kwds: Any,
    ) -> None:
        # Clients often connect again and again with the same plain
        # arguments: then the checked arguments are copied from a Connect
        # made once with them (its mutable parts are copied, not shared).
        plain = (
            uri,
            create_protocol,
            ping_interval,
            ping_timeout,
            close_timeout,
            max_size,
            max_queue,
            read_limit,
            write_limit,
            compression,
            origin,
        )
        if (
            not kwds
            and loop is None
            and extensions is None
            and subprotocols is None
            and extra_headers is None
            # (1, 2) == (True, 2): the cache can't tell them apart.
            and type(max_size) is not tuple
        ):
            try:
                template = _template(*plain)
            except TypeError:
                # An unhashable argument, or a wrong one: the usual way
                # raises the error or handles the argument.
                pass
            else:
                self.__dict__.update(template.__dict__)
                self._kwds = dict(template._kwds)
                protocol_kwargs = dict(template._protocol_kwargs)
                if protocol_kwargs.get("extensions") is not None:
                    protocol_kwargs["extensions"] = list(protocol_kwargs["extensions"])
                self._protocol_kwargs = protocol_kwargs
                return
        self._setup(*plain, loop, extensions, subprotocols, extra_headers, kwds)

    def _setup(
        self,
        uri: str,
        create_protocol: Optional[Callable[..., WebSocketClientProtocol]],
        ping_interval: Optional[float],
        ping_timeout: Optional[float],
        close_timeout: Optional[float],
        max_size: MaxSize,
        max_queue: Optional[int],
        read_limit: int,
        write_limit: int,
        compression: Optional[str],
        origin: Optional[Origin],
        loop: Optional[asyncio.AbstractEventLoop],
        extensions: Optional[Sequence[ClientExtensionFactory]],
        subprotocols: Optional[Sequence[Subprotocol]],
        extra_headers: Optional[HeadersLike],
        kwds: Dict[str, Any],
    ) -> None:
        args = shared_arguments(
            kwds,
            create_protocol=create_protocol,
            default_protocol=WebSocketClientProtocol,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            close_timeout=close_timeout,
            default_open_timeout=10,
            max_size=max_size,
            max_queue=max_queue,
            read_limit=read_limit,
            write_limit=write_limit,
            loop=loop,
            compression=compression,
            extensions=extensions,
            enable_deflate=_enable_permessage_deflate,
            subprotocols=subprotocols,
        )
        self.open_timeout = args.open_timeout
        self._backoff = Backoff.pop_arguments(kwds)

        wsuri = _parse_uri(uri)
        if wsuri.secure:
            kwds.setdefault("ssl", True)
        elif kwds.get("ssl") is not None:
            raise ValueError(
                "connect() received an ssl argument for a ws:// URI; "
                "use a wss:// URI to enable TLS"
            )

        # Each redirect reuses extra_headers: an iterator of pairs would only
        # serve the first request.
        if extra_headers is not None:
            extra_headers = Headers(extra_headers)

        # Like websockets 8.1: an explicit loop is the one used.
        self._loop = loop
        self._create_protocol = args.create_protocol
        self._protocol_kwargs = without_defaults(
            args.create_protocol,
            WebSocketClientProtocol,
            dict(origin=origin, extra_headers=extra_headers, **args.protocol_kwargs),
        )

        self._unix = kwds.pop("unix", False)
        self._path: Optional[str] = kwds.pop("path", None)
        # host and port override the TCP destination; sock replaces it.
        self._host: Optional[str] = kwds.pop("host", None)
        self._port: Optional[int] = kwds.pop("port", None)
        # Proxies (an extension of the 8.1 API): see websockets.proxy.
        self._proxy = kwds.pop("proxy", None)
        self._proxy_ssl = kwds.pop("proxy_ssl", None)
        self._proxy_headers = check_proxy_arguments(
            self._proxy,
            kwds.pop("proxy_headers", None),
            unix=self._unix,
            host=self._host,
            port=self._port,
            sock=kwds.get("sock"),
            proxy_ssl=self._proxy_ssl,
        )
        self._kwds = kwds
        self._uri = uri
        self._wsuri = wsuri
        self.ws_client: Optional[WebSocketClientProtocol] = None

    def _factory(self) -> WebSocketClientProtocol:
        wsuri = self._wsuri
        return self._create_protocol(
            host=wsuri.host,
            port=wsuri.port,
            secure=wsuri.secure,
            **self._protocol_kwargs,
        )

    async def _create_connection(
        self, loop: asyncio.AbstractEventLoop
    ) -> WebSocketClientProtocol:
        kwds = dict(self._kwds)
        if kwds.get("ssl"):
            # The TLS server name comes from the URI, even when host/port
            # override the TCP destination.
            kwds.setdefault("server_hostname", self._wsuri.host)
        proxy = get_proxy(self._proxy, self._wsuri)
        if proxy is not None:
            return await connect_through_proxy(
                self._factory,
                proxy,
                self._wsuri,
                kwds,
                proxy_headers=self._proxy_headers,
                proxy_ssl=self._proxy_ssl,
            )
        if self._unix:
            _, protocol = await loop.create_unix_connection(
                self._factory, self._path, **kwds
            )
        elif kwds.get("sock") is not None:
            _, protocol = await loop.create_connection(self._factory, **kwds)
        else:
            host = self._host if self._host is not None else self._wsuri.host
            port = self._port if self._port is not None else self._wsuri.port
            _, protocol = await loop.create_connection(
                self._factory, host, port, **kwds
            )
        return protocol

    def _handle_redirect(self, location: str) -> None:
        # RFC 7231 7.1.2: Location may be a relative reference.
        old_wsuri = self._wsuri
        new_uri = urllib.parse.urljoin(self._uri, location)
        new_wsuri = _parse_uri(new_uri)
        if old_wsuri.secure and not new_wsuri.secure:
            raise SecurityError("redirect from WSS to WS")
        same_origin = (
            old_wsuri.host == new_wsuri.host and old_wsuri.port == new_wsuri.port
        )
        # A socket passed by the caller was closed with the first connection:
        # it can't be reused, even for the same origin.
        self._kwds.pop("sock", None)
        if not same_origin:
            # host/port overrides and a Unix socket only apply to the
            # original destination.
            self._host = None
            self._port = None
            self._unix = False
            self._kwds.pop("server_hostname", None)
        if new_wsuri.secure:
            # Also for ws://host:port redirected to wss://host:port.
            self._kwds.setdefault("ssl", True)
        self._uri = new_uri
        self._wsuri = new_wsuri

    async def _connect(
        self, loop: asyncio.AbstractEventLoop
    ) -> WebSocketClientProtocol:
        for _ in range(self.MAX_REDIRECTS_ALLOWED + 1):
            protocol = await self._create_connection(loop)
            try:
                await protocol.handshake(
                    self._wsuri,
                    origin=protocol.origin,
                    available_extensions=protocol.available_extensions,
                    available_subprotocols=protocol.available_subprotocols,
                    extra_headers=protocol.extra_headers,
                )
            except RedirectHandshake as exc:
                protocol.fail_connection()
                await protocol.wait_closed()
                self._handle_redirect(exc.uri)
            except (Exception, asyncio.CancelledError):
                protocol.fail_connection()
                await protocol.wait_closed()
                raise
            else:
                self.ws_client = protocol
                return protocol
        raise InvalidHandshake("maximum redirects exceeded")

    async def _connect_with_timeout(self) -> WebSocketClientProtocol:
        try:
            # In the caller's task: it must get the connection before the
            # frames that arrived with the handshake are processed.
            # Finding the running loop costs a system call (getpid) on
            # Python < 3.12: once.
            loop = get_loop(self._loop)
            return await wait_with_timeout(self._connect(loop), self.open_timeout, loop)
        except asyncio.TimeoutError:
            raise InvalidMessage("timed out during the opening handshake") from None

    def __await__(self) -> Generator[Any, None, WebSocketClientProtocol]:
        return self._connect_with_timeout().__await__()

    async def __aenter__(self) -> WebSocketClientProtocol:
        return await self

    def __aiter__(self) -> AsyncIterator[WebSocketClientProtocol]:
        return Reconnecting(self)

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        assert self.ws_client is not None
        await self.ws_client.close()


@functools.lru_cache(maxsize=64, typed=True)
def _template(
    uri: str,
    create_protocol: Optional[Callable[..., WebSocketClientProtocol]],
    ping_interval: Optional[float],
    ping_timeout: Optional[float],
    close_timeout: Optional[float],
    max_size: MaxSize,
    max_queue: Optional[int],
    read_limit: int,
    write_limit: int,
    compression: Optional[str],
    origin: Optional[Origin],
) -> Connect:
    """A :class:`Connect` with these plain arguments, the first ones of
    ``Connect._setup()``, to copy from. Errors aren't cached; ``typed``
    tells 1 from 1.0 and True."""
    template = object.__new__(Connect)
    template._setup(
        uri,
        create_protocol,
        ping_interval,
        ping_timeout,
        close_timeout,
        max_size,
        max_queue,
        read_limit,
        write_limit,
        compression,
        origin,
        loop=None,
        extensions=None,
        subprotocols=None,
        extra_headers=None,
        kwds={},
    )
    return template


connect = Connect


def unix_connect(path: str, uri: str = "ws://localhost/", **kwargs: Any) -> Connect:
    """Similar to :func:`connect`, but for connecting to a Unix socket.

    This function calls the event loop's
    :meth:`~asyncio.loop.create_unix_connection` method. It is only
    available on Unix. It's mainly useful for debugging servers listening on
    Unix sockets.

    :param path: file system path to the Unix socket
    :param uri: WebSocket URI
    """
    return Connect(uri, path=path, unix=True, **kwargs)
