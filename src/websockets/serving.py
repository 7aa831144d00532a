"""Starting a WebSocket server: :func:`serve` and :func:`unix_serve`.

They're part of the API of :mod:`websockets.server`, which re-exports them.
"""

from __future__ import annotations

import asyncio
import functools
from types import TracebackType
from typing import (
    Any,
    Awaitable,
    Callable,
    Dict,
    Generator,
    List,
    Optional,
    Sequence,
    Type,
    Union,
)

from .arguments import shared_arguments, without_defaults
from .datastructures import Headers
from .eventloop import get_loop
from .extensions.base import ServerExtensionFactory
from .extensions.permessage_deflate import ServerPerMessageDeflateFactory
from .handlers import adapt_handler
from .server import (
    OPEN_TIMEOUT,
    HeadersLikeOrCallable,
    ProcessResponse,
    WebSocketServerProtocol,
    WSHandler,
)
from .server_lifecycle import WebSocketServer
from .typing import MaxSize, Origin, Subprotocol

__all__ = ["Serve", "serve", "unix_serve"]


def _enable_permessage_deflate(
    extensions: Optional[Sequence[ServerExtensionFactory]],
) -> List[ServerExtensionFactory]:
    # compression="deflate": add permessage-deflate with settings that keep
    # memory per connection low (a 4 KiB window and memLevel 5 instead of
    # zlib's 32 KiB and 8) unless the caller configured it already.
    extensions = list(extensions or [])
    if not any(factory.name == "permessage-deflate" for factory in extensions):
        factory = ServerPerMessageDeflateFactory(
            server_max_window_bits=12,
            client_max_window_bits=12,
            compress_settings={"memLevel": 5, "level": 1},
        )
        # Like websockets 8.1's default, accept offers that don't let the
        # server limit the client's window: they get 15 bits.
        factory._lenient = True
        extensions.append(factory)
    return extensions


class Serve:
    """Create, start, and return a WebSocket server on ``host`` and ``port``.

    Whenever a client connects, the server accepts the connection, creates a
    :class:`WebSocketServerProtocol`, performs the opening handshake, and
    delegates to the connection handler, ``ws_handler``. Once the handler
    completes, either normally or with an exception, the server performs the
    closing handshake and closes the connection: with code 1000 after a
    normal return, 1011 after an exception, which is logged with its
    traceback on the ``websockets.server`` logger.

    Awaiting :func:`serve` yields a :class:`WebSocketServer`, which provides
    :meth:`~WebSocketServer.close` and :meth:`~WebSocketServer.wait_closed`.
    When a server is closed, it closes all connections with close code 1001
    (going away); connection handlers receive a
    :exc:`~websockets.exceptions.ConnectionClosedOK` on their next
    interaction with the connection. :func:`serve` can also be used as an
    asynchronous context manager; the server is shut down when exiting the
    context.

    :func:`serve` wraps the event loop's
    :meth:`~asyncio.loop.create_server`: ``host``, ``port`` and unrecognized
    keyword arguments (``ssl``, ``sock``, ``reuse_port``, ``backlog``...) are
    passed to it.

    ``ws_handler`` is a coroutine accepting two arguments: a
    :class:`WebSocketServerProtocol` and the request path. New in this
    version: it may accept only the connection, ``ws_handler(websocket)``;
    the request path is then ``websocket.path``. :func:`serve` inspects the
    signature once to choose; :func:`functools.partial` objects and bound
    methods work.

    ``create_protocol`` customizes the :class:`~asyncio.Protocol` that
    manages the connection: a callable or class accepting the same arguments
    as :class:`WebSocketServerProtocol` and returning an instance of
    :class:`WebSocketServerProtocol` or a subclass. ``klass`` is a deprecated
    alias.

    ``ping_interval``, ``ping_timeout``, ``close_timeout``, ``max_size``,
    ``max_queue``, ``read_limit`` and ``write_limit`` are described in
    :class:`~websockets.protocol.WebSocketCommonProtocol`; ``timeout`` is a
    deprecated alias of ``close_timeout``.

    * ``compression`` is a shortcut to configure compression extensions; by
      default it enables the "permessage-deflate" extension; set it to
      ``None`` to disable compression;
    * ``origins`` defines acceptable Origin HTTP headers; include ``None``
      if the lack of an origin is acceptable;
    * ``extensions`` is a list of supported extensions in order of
      decreasing preference;
    * ``subprotocols`` is a list of supported subprotocols in order of
      decreasing preference;
    * ``extra_headers`` sets additional HTTP response headers when the
      handshake succeeds: a :class:`~websockets.http.Headers` instance, a
      mapping, an iterable of ``(name, value)`` pairs, or a callable taking
      the request path and headers and returning one of those;
    * ``process_request`` intercepts the HTTP request, see
      :meth:`WebSocketServerProtocol.process_request`;
    * ``select_subprotocol`` customizes the selection of a subprotocol, see
      :meth:`WebSocketServerProtocol.select_subprotocol`;
    * ``process_response`` (new in this version) intercepts the response
      of a successful handshake, see
      :meth:`WebSocketServerProtocol.process_response`;
    * ``open_timeout`` (an extension of the 8.1 API) is the time in seconds
      for receiving the opening handshake request, 10 by default; ``None``
      disables it.
    * ``logger`` (new in this version) is a :class:`~logging.Logger` or a
      :class:`~logging.LoggerAdapter` for the connections' log records; see
      :attr:`~websockets.protocol.WebSocketCommonProtocol.logger`.

    Since there's no useful way to propagate exceptions triggered in
    handlers, they're sent to the ``websockets.server`` logger instead.
    """

    def __init__(
        self,
        ws_handler: Callable[..., Awaitable[Any]],
        host: Optional[Union[str, Sequence[str]]] = None,
        port: Optional[int] = None,
        *,
        create_protocol: Optional[Callable[..., WebSocketServerProtocol]] = None,
        ping_interval: Optional[float] = 20,
        ping_timeout: Optional[float] = 20,
        close_timeout: Optional[float] = 10,
        max_size: MaxSize = 2**20,
        max_queue: Optional[int] = 2**5,
        read_limit: int = 2**16,
        write_limit: int = 2**16,
        loop: Optional[asyncio.AbstractEventLoop] = None,
        compression: Optional[str] = "deflate",
        origins: Optional[Sequence[Optional[Origin]]] = None,
        extensions: Optional[Sequence[ServerExtensionFactory]] = None,
        subprotocols: Optional[Sequence[Subprotocol]] = None,
        extra_headers: Optional[HeadersLikeOrCallable] = None,
        process_request: Optional[Callable[[str, Headers], Any]] = None,
        select_subprotocol: Optional[
            Callable[
                [Sequence[Subprotocol], Sequence[Subprotocol]], Optional[Subprotocol]
            ]
        ] = None,
        process_response: Optional[ProcessResponse] = None,
        **kwds: Any,
    ) -> None:
        args = shared_arguments(
            kwds,
            create_protocol=create_protocol,
            default_protocol=WebSocketServerProtocol,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            close_timeout=close_timeout,
            default_open_timeout=OPEN_TIMEOUT,
            max_size=max_size,
            max_queue=max_queue,
            read_limit=read_limit,
            write_limit=write_limit,
            loop=loop,
            compression=compression,
            extensions=extensions,
            enable_deflate=_enable_permessage_deflate,
            subprotocols=subprotocols,
            origins=origins,
        )

        # Every connection reuses extra_headers: an iterator of pairs would
        # only serve the first one.
        if extra_headers is not None and not callable(extra_headers):
            extra_headers = Headers(extra_headers)

        # Like websockets 8.1: an explicit loop is the one used; otherwise
        # the loop running when the server is created.
        self._loop = loop
        self.ws_server = WebSocketServer(loop)
        secure = kwds.get("ssl") is not None
        factory_kwargs: Dict[str, Any] = dict(
            host=host if isinstance(host, str) else None,
            port=port,
            secure=secure,
            origins=origins,
            extra_headers=extra_headers,
            process_request=process_request,
            select_subprotocol=select_subprotocol,
            open_timeout=args.open_timeout,
        )
        # Only when given: a create_protocol written for 8.1 may not accept it.
        if process_response is not None:
            factory_kwargs["process_response"] = process_response
        self._factory = functools.partial(
            args.create_protocol,
            adapt_handler(ws_handler),
            self.ws_server,
            **without_defaults(
                args.create_protocol,
                WebSocketServerProtocol,
                {**factory_kwargs, **args.protocol_kwargs},
                {"open_timeout": OPEN_TIMEOUT},
            ),
        )
        self._unix_path: Optional[str] = kwds.pop("path", None)
        self._unix = kwds.pop("unix", False)
        self._host = host
        self._port = port
        self._kwds = kwds

    async def _create_server(self) -> WebSocketServer:
        loop = get_loop(self._loop)
        if self._unix:
            server = await loop.create_unix_server(
                self._factory, self._unix_path, **self._kwds
            )
        else:
            server = await loop.create_server(
                self._factory, self._host, self._port, **self._kwds
            )
        self.ws_server.wrap(server)
        return self.ws_server

    def __await__(self) -> Generator[Any, None, WebSocketServer]:
        return self._create_server().__await__()

    async def __aenter__(self) -> WebSocketServer:
        return await self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.ws_server.close()
        await self.ws_server.wait_closed()


serve = Serve


def unix_serve(
    ws_handler: WSHandler, path: Optional[str] = None, **kwargs: Any
) -> Serve:
    """Similar to :func:`serve`, but for listening on Unix sockets.

    This function calls the event loop's
    :meth:`~asyncio.loop.create_unix_server` method. It is only available on
    Unix. It's useful for deploying a server behind a reverse proxy such as
    nginx.

    :param path: file system path to the Unix socket
    """
    return Serve(ws_handler, path=path, unix=True, **kwargs)
