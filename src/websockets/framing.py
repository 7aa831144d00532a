"""Read and write WebSocket frames: RFC 6455, section 5.

(Stub: the full module is being written; constants and Frame are final.)
"""

from __future__ import annotations

from typing import NamedTuple

OP_CONT, OP_TEXT, OP_BINARY = 0x00, 0x01, 0x02
OP_CLOSE, OP_PING, OP_PONG = 0x08, 0x09, 0x0A

DATA_OPCODES = OP_CONT, OP_TEXT, OP_BINARY
CTRL_OPCODES = OP_CLOSE, OP_PING, OP_PONG


class Frame(NamedTuple):
    """WebSocket frame."""

    fin: bool
    opcode: int
    data: bytes
    rsv1: bool = False
    rsv2: bool = False
    rsv3: bool = False
