"""The states of a WebSocket connection: RFC 6455, sections 4 and 7."""

from __future__ import annotations

import enum

__all__ = ["State"]


class State(enum.IntEnum):
    """State of a WebSocket connection."""

    CONNECTING = 0
    OPEN = 1
    CLOSING = 2
    CLOSED = 3


# Reasons for not reading from the transport, bits of _paused_reading. Each
# reason is lifted on its own: the transport resumes reading when none is
# left. _PAUSED_TRANSPORT records that transport.pause_reading() was called.
_PAUSE_QUEUE = 1  # the message queue is full
_PAUSE_WRITE = 2  # a reply to a control frame is stuck in the write buffer
_PAUSE_HANDSHAKE = 4  # the opening handshake's buffer holds read_limit bytes
_PAUSED_TRANSPORT = 8
