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
