"""Connection handlers of :func:`~websockets.server.serve`: ``ws_handler(websocket,
path)`` as in 8.1, or ``ws_handler(websocket)``, new in this version."""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any, Awaitable, Callable

if TYPE_CHECKING:  # pragma: no cover
    from .server import WebSocketServerProtocol, WSHandler

__all__ = ["adapt_handler"]


def adapt_handler(ws_handler: Callable[..., Awaitable[Any]]) -> WSHandler:
    """Accept ``ws_handler(websocket)`` as well as ``ws_handler(websocket, path)``.

    The signature is inspected once, when the server is created: a handler
    that accepts two positional arguments is called with two, as in 8.1; one
    that accepts only one is called with the connection alone. Anything else
    (no signature available, or neither form fits) is called with two
    arguments, which fails the way it did in 8.1.
    """
    try:
        signature = inspect.signature(ws_handler)
    except (TypeError, ValueError):
        return ws_handler
    for args in [(None, None), (None,)]:
        try:
            signature.bind(*args)
        except TypeError:
            continue
        if len(args) == 2:
            return ws_handler
        return functools.partial(_call_with_websocket, ws_handler)
    return ws_handler


async def _call_with_websocket(
    ws_handler: Callable[[WebSocketServerProtocol], Awaitable[Any]],
    websocket: WebSocketServerProtocol,
    path: str,
) -> Any:
    return await ws_handler(websocket)
