"""The WebSocket server: :func:`serve`, :func:`unix_serve`,
:class:`WebSocketServer` and :class:`WebSocketServerProtocol`."""

from __future__ import annotations

import asyncio
import http
import inspect
import logging
import warnings
from typing import (
    Any,
    Awaitable,
    Callable,
    List,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from .datastructures import Headers, HeadersLike, MultipleValuesError
from .eventloop import TaskDeadline
from .exceptions import (
    AbortHandshake,
    ConnectionClosed,
    ConnectionClosedOK,
    InvalidHandshake,
    InvalidHeader,
    InvalidMessage,
    InvalidOrigin,
    InvalidUpgrade,
    NegotiationError,
)
from .extensions.base import Extension, ServerExtensionFactory
from .handshake import _check_request, build_response
from .headers import build_extension, parse_extension, parse_subprotocol
from .http import USER_AGENT, check_headers, http_date, read_request
from .protocol import State, WebSocketCommonProtocol
from .server_lifecycle import WebSocketServer
from .typing import ExtensionHeader, Origin, Subprotocol

__all__ = ["WebSocketServer", "WebSocketServerProtocol", "serve", "unix_serve"]

logger = logging.getLogger("websockets.server")

HTTPResponse = Tuple[http.HTTPStatus, HeadersLike, bytes]
HeadersLikeOrCallable = Union[HeadersLike, Callable[[str, Headers], HeadersLike]]
WSHandler = Callable[["WebSocketServerProtocol", str], Awaitable[Any]]
ProcessResponse = Callable[
    [str, Headers, Headers],
    Union[Awaitable[Optional[HTTPResponse]], Optional[HTTPResponse]],
]

# Default time for receiving the HTTP request of the opening handshake. A
# client that connects and sends nothing doesn't hold a connection forever.
OPEN_TIMEOUT = 10.0

BROWSER_HINT = (
    "You cannot access a WebSocket server directly with a browser. "
    "You need a WebSocket client.\n"
)


class OpenTimeout(InvalidMessage):
    """The client didn't send a complete request within ``open_timeout``.

    Private: it selects the 408 status of the error response.
    """


def _failure_body(message: str, hint: str = "") -> bytes:
    """Build the text/plain body of an error response.

    ``message`` may quote bytes sent by the client: escape anything but
    printable ASCII so that the body stays plain, readable text.
    """
    safe = "".join(
        char if " " <= char <= "~" else char.encode("unicode_escape").decode()
        for char in message
    )
    text = f"Failed to open a WebSocket connection: {safe}.\n"
    if hint:
        text += f"\n{hint}"
    return text.encode()


def _abort(response: HTTPResponse) -> AbortHandshake:
    """Turn the response of a hook into the exception that sends it."""
    status, headers, body = response
    abort = AbortHandshake(http.HTTPStatus(status), headers, body)
    check_headers(abort.headers)
    return abort


class WebSocketServerProtocol(WebSocketCommonProtocol):
    """:class:`~asyncio.Protocol` subclass implementing a WebSocket server.

    This class inherits most of its methods from
    :class:`~websockets.protocol.WebSocketCommonProtocol`.

    For the sake of simplicity, it doesn't rely on a full HTTP
    implementation. Its support for HTTP responses is very limited.

    :param ws_handler: coroutine ``ws_handler(websocket, path)`` run once the
        opening handshake succeeds
    :param ws_server: object tracking connections; it must provide
        ``register(websocket)``, ``unregister(websocket)``, ``is_serving()``
        and a ``closing`` attribute, like :class:`WebSocketServer`
    :param origins: acceptable values of the Origin header, see :func:`serve`
    :param extensions: supported extensions, see :func:`serve`
    :param subprotocols: supported subprotocols, see :func:`serve`
    :param extra_headers: additional response headers, see :func:`serve`
    :param process_request: see :meth:`process_request`
    :param select_subprotocol: see :meth:`select_subprotocol`
    :param process_response: see :meth:`process_response` (new in this
        version)

    Other keyword arguments are passed to
    :class:`~websockets.protocol.WebSocketCommonProtocol`.
    """

    is_client = False
    side = "server"

    __slots__ = (
        "_process_request",
        "_process_response",
        "_select_subprotocol",
        "available_extensions",
        "available_subprotocols",
        "extra_headers",
        "handler_task",
        "open_timeout",
        "origin",
        "origins",
        "ws_handler",
        "ws_server",
    )

    def __init__(
        self,
        ws_handler: WSHandler,
        ws_server: Any,
        *,
        origins: Optional[Sequence[Optional[Origin]]] = None,
        extensions: Optional[Sequence[ServerExtensionFactory]] = None,
        subprotocols: Optional[Sequence[Subprotocol]] = None,
        extra_headers: Optional[HeadersLikeOrCallable] = None,
        process_request: Optional[
            Callable[
                [str, Headers],
                Union[Awaitable[Optional[HTTPResponse]], Optional[HTTPResponse]],
            ]
        ] = None,
        select_subprotocol: Optional[
            Callable[
                [Sequence[Subprotocol], Sequence[Subprotocol]], Optional[Subprotocol]
            ]
        ] = None,
        process_response: Optional[ProcessResponse] = None,
        **kwargs: Any,
    ) -> None:
        # websockets < 7 allowed "" in origins for a missing Origin header.
        if origins is not None and "" in origins:
            warnings.warn(
                "use None instead of '' in origins", DeprecationWarning, stacklevel=2
            )
            origins = [None if origin == "" else origin for origin in origins]
        self.ws_handler = ws_handler
        self.ws_server = ws_server
        self.origins = origins
        self.available_extensions = extensions
        self.available_subprotocols = subprotocols
        self.extra_headers = extra_headers
        self._process_request = process_request
        self._select_subprotocol = select_subprotocol
        self._process_response = process_response
        self.open_timeout: Optional[float] = kwargs.pop("open_timeout", OPEN_TIMEOUT)
        if kwargs.get("loop") is None and isinstance(ws_server, WebSocketServer):
            # The loop that accepts connections: the one running now. Known
            # without asking asyncio, which costs a system call (getpid) on
            # Python < 3.12.
            kwargs["loop"] = ws_server._loop
        super().__init__(**kwargs)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Register the connection with the server and start the handler.

        Frameworks may override this method; they must call it.
        """
        super().connection_made(transport)
        # Register the connection with the server before creating the handler
        # task: the server may close in between; then it must see the
        # connection to answer it with 503.
        self.ws_server.register(self)
        self.handler_task = self.loop.create_task(self.handler())

    async def handler(self) -> None:
        """Handle the lifecycle of a connection: opening handshake,
        ``ws_handler``, closing handshake."""
        try:
            try:
                path = await self._handshake_with_timeout()
            except asyncio.CancelledError:
                self.fail_connection()
                raise
            except Exception as exc:
                self._reject(exc)
                await self.wait_closed()
                return

            try:
                await self.ws_handler(self, path)
            except ConnectionClosed as exc:
                # The handler let through the exception that tells it the
                # connection is closed: that's how it ends, not a bug in the
                # handler. Unlike 8.1, don't log a traceback at ERROR level.
                level = (
                    logging.DEBUG
                    if isinstance(exc, ConnectionClosedOK)
                    else logging.INFO
                )
                self._log(logger).log(level, "Connection handler exited: %s", exc)
            except Exception:
                self._log(logger).error("Error in connection handler", exc_info=True)
                if not self.closed:
                    self.fail_connection(1011)
                    await self.wait_closed()
                return

            await self.close()
        except asyncio.CancelledError:
            if not self.closed:
                self.fail_connection(1011)
            raise
        except Exception:  # pragma: no cover
            # Last-ditch attempt to avoid leaking connections on errors.
            self._log(logger).error("Unexpected error in server handler", exc_info=True)
            self.transport.abort()
        finally:
            # Unregister the connection only after it's closed.
            self.ws_server.unregister(self)

    async def _handshake_with_timeout(self) -> str:
        coro = self.handshake(
            origins=self.origins,
            available_extensions=self.available_extensions,
            available_subprotocols=self.available_subprotocols,
            extra_headers=self.extra_headers,
        )
        timeout = self.open_timeout
        if timeout is None:
            return await coro
        # In this task: the handler must start before the frames that
        # arrived with the handshake are processed. wait_with_timeout()
        # inlined: one coroutine less per connection.
        deadline = TaskDeadline(timeout, self.loop)
        try:
            return await coro
        except asyncio.CancelledError:
            if deadline.expired():
                raise OpenTimeout("timed out during the opening handshake") from None
            raise
        finally:
            deadline.cancel()

    def _reject(self, exc: Exception) -> None:
        """Answer a failed opening handshake with an HTTP error response."""
        if (
            not self._data_seen
            and isinstance(exc, InvalidMessage)
            and isinstance(exc.__cause__, EOFError)
            # Else the server is shutting down: see _server_shutdown().
            and self.ws_server.is_serving()
        ):
            # A TCP probe, like a load balancer's health check, connected and
            # closed without sending anything: nothing to answer, nothing to
            # worry about.
            self._log(logger).debug("Connection closed before sending a request")
            self.transport.close()
            return
        if self.state is State.CLOSED:
            self._log(logger).debug(
                "Connection closed during opening handshake: %s", exc
            )
            return
        status: http.HTTPStatus
        headers: Headers
        if isinstance(exc, AbortHandshake):
            status, headers, body = exc.status, exc.headers, exc.body
        elif not self.ws_server.is_serving():
            status, headers = http.HTTPStatus.SERVICE_UNAVAILABLE, Headers()
            body = b"Server is shutting down.\n"
        elif isinstance(exc, OpenTimeout):
            status, headers = http.HTTPStatus.REQUEST_TIMEOUT, Headers()
            body = _failure_body(str(exc))
        elif isinstance(exc, InvalidOrigin):
            status, headers = http.HTTPStatus.FORBIDDEN, Headers()
            body = _failure_body(str(exc))
        elif isinstance(exc, InvalidUpgrade):
            status = http.HTTPStatus.UPGRADE_REQUIRED
            headers = Headers([("Upgrade", "websocket")])
            body = _failure_body(str(exc), BROWSER_HINT)
        elif isinstance(exc, InvalidHeader) and exc.name == "Sec-WebSocket-Version":
            # RFC 6455 4.2.2: answer an unsupported version with the versions
            # the server supports; RFC 7231 6.5.15: a 426 carries Upgrade.
            status = http.HTTPStatus.UPGRADE_REQUIRED
            headers = Headers(
                [("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13")]
            )
            body = _failure_body(str(exc))
        elif isinstance(exc, InvalidHandshake):
            status, headers = http.HTTPStatus.BAD_REQUEST, Headers()
            message = str(exc)
            if exc.__cause__ is not None:
                message += f": {exc.__cause__}"
            body = _failure_body(message)
        else:
            self._log(logger).error("Error in opening handshake", exc_info=exc)
            status, headers = http.HTTPStatus.INTERNAL_SERVER_ERROR, Headers()
            body = (
                b"Failed to open a WebSocket connection.\n"
                b"See server log for more information.\n"
            )
        self._log(logger).info("Opening handshake failed: HTTP %d: %s", status, exc)

        headers.setdefault("Date", http_date())
        headers.setdefault("Server", USER_AGENT)
        headers.setdefault("Content-Length", str(len(body)))
        headers.setdefault("Content-Type", "text/plain")
        headers.setdefault("Connection", "close")
        self.write_http_response(status, headers, body)
        # Flush the response, then close the TCP connection; abort if the
        # client doesn't read it within close_timeout.
        self._start_close_deadline()
        self.transport.close()

    async def read_http_request(self) -> Tuple[str, Headers]:
        """Read the request of the opening handshake.

        :raises ~websockets.exceptions.InvalidMessage: if the request is
            malformed or incomplete; the cause is chained
        """
        try:
            path, headers = await read_request(self.reader)
        except Exception as exc:
            raise InvalidMessage("did not receive a valid HTTP request") from exc
        if self._debug:
            self._log(logger).debug("%s < GET %s HTTP/1.1", self.side, path)
        self.path = path
        self.request_headers = headers
        return path, headers

    def write_http_response(
        self, status: http.HTTPStatus, headers: Headers, body: bytes = b""
    ) -> None:
        """Write the response of the opening handshake."""
        self.response_headers = headers
        if self._debug:
            self._log(logger).debug(
                "%s > HTTP/1.1 %d %s", self.side, status.value, status.phrase
            )
        if status is _SWITCHING_PROTOCOLS:
            response = f"HTTP/1.1 101 Switching Protocols\r\n{headers}"
        else:
            response = f"HTTP/1.1 {status.value} {status.phrase}\r\n{headers}"
        self.transport.write(response.encode() + body)

    async def process_request(
        self, path: str, request_headers: Headers
    ) -> Optional[HTTPResponse]:
        """Intercept the HTTP request and return an HTTP response if
        appropriate.

        If it returns ``None``, the WebSocket handshake continues. If it
        returns a ``(status, headers, body)`` tuple, that HTTP response is
        sent and the connection is closed: ``status`` is an
        :class:`~http.HTTPStatus`, ``headers`` a :class:`~websockets.http.Headers`
        instance, a mapping or an iterable of ``(name, value)`` pairs, and
        ``body`` is :class:`bytes`, possibly empty.

        Override it in a subclass, or pass a ``process_request`` argument to
        :func:`serve`, for example to answer health checks from a load
        balancer or to authenticate requests. A plain function is accepted as
        well as a coroutine. It's expected to complete quickly.

        :param path: request path, including optional query string
        :param request_headers: request headers
        """
        if self._process_request is not None:
            response = self._process_request(path, request_headers)
            if inspect.isawaitable(response):
                return await response
            return response
        return None

    async def process_response(
        self, path: str, request_headers: Headers, response_headers: Headers
    ) -> Optional[HTTPResponse]:
        """Intercept the HTTP response of a successful opening handshake.

        It's called once the handshake succeeded, before the 101 response is
        sent. It may add headers to ``response_headers``, for example
        ``Set-Cookie``, and return ``None``: the connection opens with them.
        It may instead return a ``(status, headers, body)`` tuple, like
        :meth:`process_request`: that HTTP response is sent in place of the
        101 response and the connection is closed.

        Override it in a subclass, or pass a ``process_response`` argument
        to :func:`~websockets.server.serve`; a plain function is accepted as well as a
        coroutine. New in this version.

        :param path: request path, including optional query string
        :param request_headers: request headers
        :param response_headers: headers of the 101 response, which may be
            modified
        """
        if self._process_response is not None:
            response = self._process_response(path, request_headers, response_headers)
            if inspect.isawaitable(response):
                return await response
            return response
        return None

    @staticmethod
    def process_origin(
        headers: Headers, origins: Optional[Sequence[Optional[Origin]]] = None
    ) -> Optional[Origin]:
        """Check the Origin header of the request.

        :raises ~websockets.exceptions.InvalidOrigin: if the origin isn't
            acceptable
        """
        # "The user agent MUST NOT include more than one Origin header field"
        # per RFC 6454 section 7.3.
        try:
            origin: Optional[Origin] = headers.get("Origin")
        except MultipleValuesError:
            raise InvalidHeader("Origin", "more than one Origin header found") from None
        _check_origin(origin, origins)
        return origin

    @staticmethod
    def process_extensions(
        headers: Headers,
        available_extensions: Optional[Sequence[ServerExtensionFactory]],
    ) -> Tuple[Optional[str], List[Extension]]:
        """Negotiate extensions: RFC 6455 section 9.1.

        For each extension offered by the client, in order, try the matching
        server factories in order; the first one that accepts the offer wins.
        An offer that no factory accepts is declined.

        Return the ``Sec-WebSocket-Extensions`` response header (``None`` if
        no extension was accepted) and the list of accepted extensions.
        """
        response_header: List[ExtensionHeader] = []
        accepted_extensions: List[Extension] = []
        header_values = headers.get_all("Sec-WebSocket-Extensions")
        if header_values and available_extensions:
            offers = [
                offer for value in header_values for offer in parse_extension(value)
            ]
            for name, request_params in offers:
                for factory in available_extensions:
                    if factory.name != name:
                        continue
                    try:
                        response_params, extension = factory.process_request_params(
                            request_params, accepted_extensions
                        )
                    except NegotiationError:
                        continue
                    response_header.append((name, response_params))
                    accepted_extensions.append(extension)
                    break
        if response_header:
            return build_extension(response_header), accepted_extensions
        return None, accepted_extensions

    def process_subprotocol(
        self,
        headers: Headers,
        available_subprotocols: Optional[Sequence[Subprotocol]],
    ) -> Optional[Subprotocol]:
        """Negotiate a subprotocol with :meth:`select_subprotocol`.

        Return the selected subprotocol or ``None``.
        """
        header_values = headers.get_all("Sec-WebSocket-Protocol")
        if header_values and available_subprotocols:
            offers = [p for value in header_values for p in parse_subprotocol(value)]
            return self.select_subprotocol(offers, available_subprotocols)
        return None

    def select_subprotocol(
        self,
        client_subprotocols: Sequence[Subprotocol],
        server_subprotocols: Sequence[Subprotocol],
    ) -> Optional[Subprotocol]:
        """Pick a subprotocol among those offered by the client.

        If several subprotocols are supported by the client and the server,
        the default implementation selects the preferred subprotocol by
        giving equal value to the priorities of the client and the server;
        ties go to the server's preference. If no subprotocol is supported by
        both, it proceeds without a subprotocol.

        Override it in a subclass or pass a ``select_subprotocol`` argument
        to :func:`serve`, for example to require a subprotocol.

        :param client_subprotocols: subprotocols offered by the client
        :param server_subprotocols: subprotocols available on the server
        """
        if self._select_subprotocol is not None:
            return self._select_subprotocol(client_subprotocols, server_subprotocols)
        common = set(client_subprotocols) & set(server_subprotocols)
        if not common:
            return None
        return min(
            common,
            key=lambda p: (
                client_subprotocols.index(p) + server_subprotocols.index(p),
                server_subprotocols.index(p),
            ),
        )

    async def handshake(
        self,
        origins: Optional[Sequence[Optional[Origin]]] = None,
        available_extensions: Optional[Sequence[ServerExtensionFactory]] = None,
        available_subprotocols: Optional[Sequence[Subprotocol]] = None,
        extra_headers: Optional[HeadersLikeOrCallable] = None,
    ) -> str:
        """Perform the server side of the opening handshake.

        Return the path of the URI of the request.

        :param origins: acceptable values of the Origin HTTP header; include
            ``None`` if the lack of an origin is acceptable
        :param available_extensions: supported extensions, in the order in
            which they should be used
        :param available_subprotocols: supported subprotocols, in order of
            decreasing preference
        :param extra_headers: additional HTTP response headers when the
            handshake succeeds: a :class:`~websockets.http.Headers` instance,
            a mapping, an iterable of ``(name, value)`` pairs, or a callable
            taking the request path and headers and returning one of those
        :raises ~websockets.exceptions.InvalidHandshake: if the handshake
            fails
        """
        path, request_headers = await self.read_http_request()

        # Hook for answering health checks, authenticating, etc. Without a
        # process_request argument or override, there's nothing to await.
        early_response_or_awaitable: Any = None
        process_request = self.process_request
        if (
            self._process_request is not None
            or getattr(process_request, "__func__", None)
            is not _DEFAULT_PROCESS_REQUEST
        ):
            early_response_or_awaitable = process_request(path, request_headers)
            if inspect.isawaitable(early_response_or_awaitable):
                early_response_or_awaitable = await early_response_or_awaitable
        early_response: Optional[HTTPResponse] = early_response_or_awaitable

        # The connection may drop while process_request is running.
        if self.state is State.CLOSED:
            raise self.connection_closed_exc()

        # Answer 503 if the server is shutting down.
        if not self.ws_server.is_serving():
            early_response = (
                http.HTTPStatus.SERVICE_UNAVAILABLE,
                [],
                b"Server is shutting down.\n",
            )

        if early_response is not None:
            raise _abort(early_response)

        # The request's headers in a dict, when each occurs once: what the
        # checks and the default negotiation look at.
        unique = request_headers._unique() if type(request_headers) is Headers else None
        key = _check_request(request_headers, unique)
        cls = type(self)
        if unique is not None and cls.process_origin is _DEFAULT_PROCESS_ORIGIN:
            # What process_origin() does with a single Origin header or none.
            origin = unique.get("origin")
            _check_origin(origin, origins)
            self.origin = origin
        else:
            self.origin = self.process_origin(request_headers, origins)
        if (
            unique is not None
            and "sec-websocket-extensions" not in unique
            and cls.process_extensions is _DEFAULT_PROCESS_EXTENSIONS
        ):
            # Nothing to negotiate.
            extensions_header, self.extensions = None, []
        else:
            extensions_header, self.extensions = self.process_extensions(
                request_headers, available_extensions
            )
        if (
            unique is not None
            and "sec-websocket-protocol" not in unique
            and cls.process_subprotocol is _DEFAULT_PROCESS_SUBPROTOCOL
        ):
            # Nothing to negotiate.
            protocol_header = self.subprotocol = None
        else:
            protocol_header = self.subprotocol = self.process_subprotocol(
                request_headers, available_subprotocols
            )

        response_headers = Headers()
        build_response(response_headers, key)
        if extensions_header is not None:
            response_headers["Sec-WebSocket-Extensions"] = extensions_header
        if protocol_header is not None:
            response_headers["Sec-WebSocket-Protocol"] = protocol_header
        if callable(extra_headers):
            extra_headers = extra_headers(path, request_headers)
        if extra_headers is not None:
            response_headers.update(
                extra_headers.raw_items()
                if isinstance(extra_headers, Headers)
                else extra_headers
            )
            response_headers.setdefault("Date", http_date())
            response_headers.setdefault("Server", USER_AGENT)
        else:
            response_headers._extend_lists(
                [("Date", http_date()), ("Server", USER_AGENT)], _DATE_SERVER
            )
        # Hook for adding headers (cookies) or refusing the connection.
        # Without a process_response argument or override, there's nothing
        # to await.
        process_response = self.process_response
        hooked = (
            self._process_response is not None
            or getattr(process_response, "__func__", None)
            is not _DEFAULT_PROCESS_RESPONSE
        )
        if hooked:
            late_response: Any = process_response(
                path, request_headers, response_headers
            )
            if inspect.isawaitable(late_response):
                late_response = await late_response
            if self.closed:
                raise self.connection_closed_exc()
            if late_response is not None:
                raise _abort(late_response)
        # What build_response() and the defaults write is known to be valid.
        if (
            hooked
            or extensions_header is not None
            or protocol_header is not None
            or extra_headers is not None
        ):
            check_headers(response_headers)

        self.write_http_response(_SWITCHING_PROTOCOLS, response_headers)
        self.connection_open()
        return path

    def _server_shutdown(self) -> None:
        """Called by :class:`WebSocketServer` when it closes."""
        if self.state is State.CONNECTING:
            # Stop waiting for the request: the handshake fails and the
            # client gets a 503 response. A request that was read already
            # gets the 503 after process_request().
            self.reader.feed_eof()


_SWITCHING_PROTOCOLS = http.HTTPStatus.SWITCHING_PROTOCOLS


def _check_origin(
    origin: Optional[str], origins: Optional[Sequence[Optional[str]]]
) -> None:
    if origins is not None and origin not in origins:
        raise InvalidOrigin(origin)


# Lower-cased names of the Date and Server headers, as Headers keeps them.
_DATE_SERVER = ("date", "server")

# The default hooks, which handshake() doesn't need to call.
_DEFAULT_PROCESS_REQUEST = WebSocketServerProtocol.process_request
_DEFAULT_PROCESS_RESPONSE = WebSocketServerProtocol.process_response
# The default negotiation, which handshake() does itself in the usual case.
_DEFAULT_PROCESS_ORIGIN = WebSocketServerProtocol.process_origin
_DEFAULT_PROCESS_EXTENSIONS = WebSocketServerProtocol.process_extensions
_DEFAULT_PROCESS_SUBPROTOCOL = WebSocketServerProtocol.process_subprotocol


# serve() and unix_serve() live in serving.py; they're part of this module's API.
from .serving import Serve, serve, unix_serve  # noqa: E402, F401
