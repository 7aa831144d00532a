""":func:`broadcast`: send one message to many connections at once.

New in this version.
"""

from __future__ import annotations

import logging
from typing import Iterable, List, Optional

from .framing import prepare_data, serialize_frame
from .protocol import State, WebSocketCommonProtocol
from .protocol import logger as protocol_logger
from .sending import OPCODE_NAMES
from .typing import Data

__all__ = ["broadcast"]

logger = logging.getLogger("websockets.broadcast")


def broadcast(websockets: Iterable[WebSocketCommonProtocol], message: Data) -> None:
    """Send ``message`` to every connection in ``websockets``, without waiting.

    A :class:`str` is sent in a Text frame, a bytes-like object in a Binary
    frame, like :meth:`~websockets.protocol.WebSocketCommonProtocol.send`.
    Unlike ``send()``, :func:`broadcast` is a plain function: it writes the
    frame to each connection's transport and returns. The frame is built
    once and shared by all server-side connections without extensions;
    connections that negotiated an extension (permessage-deflate) and
    client-side connections (which mask frames) get a frame of their own.

    Some connections are skipped, without error:

    * connections that aren't open: still in the opening handshake, or
      closing, or closed;
    * connections that are sending a fragmented message: the frame can't go
      in the middle of it;
    * slow connections: those whose write buffer is above its high-water
      mark (``write_limit``), that is, the connections on which
      :meth:`~websockets.protocol.WebSocketCommonProtocol.send` would wait.
      Writing to them anyway would buffer without bound in the server when
      a client doesn't read. A connection receives a broadcast only while
      its buffer is below the high-water mark, so what it holds is bounded
      by ``write_limit`` plus one message.

    :func:`broadcast` returns ``None``. It doesn't return what it skipped:
    it logs it on the ``websockets.broadcast`` logger, once per call that
    skipped slow or busy connections, at WARNING level, with the count in
    the message and the connections themselves in the ``skipped`` attribute
    of the log record (set through ``extra``). Connections that aren't open
    are counted in a DEBUG record. An application that wants to act on slow
    clients (close them, for example) can check ``websocket.transport.
    get_write_buffer_size()`` itself before broadcasting.

    New in this version.

    :param websockets: connections, for example
        :attr:`WebSocketServer.connections
        <websockets.server.WebSocketServer.connections>`
    :param message: the message to send
    :raises TypeError: if ``message`` isn't a :class:`str` or a bytes-like
        object; then nothing is sent
    """
    # Raises TypeError for unsupported types, before sending anything.
    opcode, data = prepare_data(message)
    shared_frame: Optional[bytes] = None
    skipped: List[WebSocketCommonProtocol] = []
    not_open = 0
    sent = 0
    for websocket in websockets:
        if websocket.state is not State.OPEN:
            not_open += 1
            continue
        if (
            websocket._paused_writing
            or websocket._fragmented_message_waiter is not None
        ):
            skipped.append(websocket)
            continue
        if websocket.extensions or websocket.is_client:
            websocket._write_frame(True, opcode, data)
        else:
            if shared_frame is None:
                shared_frame = serialize_frame(opcode | 0x80, data, False)
            if websocket._debug:
                protocol_logger.debug(
                    "%s > %s fin=True len=%d (broadcast)",
                    websocket.side,
                    OPCODE_NAMES[opcode],
                    len(data),
                )
            websocket.transport.write(shared_frame)
        sent += 1

    if skipped:
        logger.warning(
            "skipped broadcast to %d of %d connections: write buffer full "
            "or fragmented message in progress",
            len(skipped),
            sent + len(skipped),
            extra={"skipped": skipped},
        )
    if not_open:
        logger.debug("skipped broadcast to %d connections not open", not_open)
