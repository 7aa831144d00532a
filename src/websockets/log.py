"""Logging per connection.

Each connection logs through a :class:`ConnectionLogger`: records carry the
connection (``websocket``), its :attr:`~websockets.protocol.WebSocketCommonProtocol.id`
(``connection_id``) and its remote address (``remote_address``) as
attributes, set through ``extra``, so that a handler or a formatter can tell
connections apart, e.g. with ``%(connection_id)s`` in a format string.

By default, connections log to the ``websockets.protocol``,
``websockets.server`` and ``websockets.client`` loggers, like websockets 8.1;
``logger=`` on :func:`~websockets.server.serve` and
:func:`~websockets.client.connect` sends everything to another logger or
:class:`~logging.LoggerAdapter`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, MutableMapping, Tuple, Union

if TYPE_CHECKING:
    from .protocol import WebSocketCommonProtocol

__all__ = ["ConnectionLogger", "LoggerLike"]

LoggerLike = Union[logging.Logger, "logging.LoggerAdapter[Any]"]
"""Types accepted for ``logger``: a :class:`~logging.Logger` or a
:class:`~logging.LoggerAdapter`."""


if TYPE_CHECKING:
    _Adapter = logging.LoggerAdapter[Any]
else:
    _Adapter = logging.LoggerAdapter


class ConnectionLogger(_Adapter):
    """Add the connection to log records.

    :param logger: where records go; a user's
        :class:`~logging.LoggerAdapter` keeps its own ``extra`` and
        :meth:`~logging.LoggerAdapter.process`
    :param websocket: the connection
    """

    def __init__(self, logger: LoggerLike, websocket: WebSocketCommonProtocol) -> None:
        super().__init__(logger, {})
        self.websocket = websocket

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> Tuple[Any, MutableMapping[str, Any]]:
        websocket = self.websocket
        kwargs["extra"] = {
            "websocket": websocket,
            "connection_id": websocket.id,
            "remote_address": websocket.remote_address,
            **(kwargs.get("extra") or {}),
        }
        return msg, kwargs

    def log(self, level: int, msg: Any, *args: Any, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        msg, processed = self.process(msg, kwargs)
        kwargs = dict(processed)
        ours = dict(kwargs["extra"])
        target: Any = self.logger
        # Before Python 3.13, a LoggerAdapter replaces extra with its own:
        # let the user's adapters process the record, then add ours back.
        while isinstance(target, logging.LoggerAdapter):
            msg, processed = target.process(msg, kwargs)
            kwargs = dict(processed)
            kwargs["extra"] = {**(kwargs.get("extra") or {}), **ours}
            target = target.logger
        target.log(level, msg, *args, **kwargs)
