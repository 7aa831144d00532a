"""Types used in the public API of websockets."""

from __future__ import annotations

from typing import List, NewType, Optional, Tuple, Union

__all__ = [
    "ConnectionOption",
    "Data",
    "ExtensionHeader",
    "ExtensionName",
    "ExtensionParameter",
    "MaxSize",
    "Origin",
    "Subprotocol",
    "UpgradeProtocol",
]

Data = Union[str, bytes]
"""Types supported in a WebSocket message: :class:`str` for text messages and
:class:`bytes` for binary messages."""

Origin = NewType("Origin", str)
"""Value of an ``Origin`` header."""

Subprotocol = NewType("Subprotocol", str)
"""Subprotocol value in a ``Sec-WebSocket-Protocol`` header."""

ExtensionName = NewType("ExtensionName", str)
"""Name of a WebSocket extension."""

ExtensionParameter = Tuple[str, Optional[str]]
"""Parameter of a WebSocket extension: ``(name, value)``; ``value`` is
``None`` when the parameter has no value."""

ExtensionHeader = Tuple[ExtensionName, List[ExtensionParameter]]
"""Item parsed in a ``Sec-WebSocket-Extensions`` header."""

ConnectionOption = NewType("ConnectionOption", str)
"""Connection option in a ``Connection`` header."""

UpgradeProtocol = NewType("UpgradeProtocol", str)
"""Upgrade protocol in an ``Upgrade`` header."""

MaxSize = Union[Optional[int], Tuple[Optional[int], Optional[int]]]
"""Value of ``max_size``: a limit in bytes for messages, ``None`` for no
limit, or a ``(message_limit, fragment_limit)`` pair of them (new in this
version)."""

# Not in __all__: an internal alias, not a name of websockets' public API
# (``from websockets import *`` re-exports __all__).
BytesLike = Union[bytes, bytearray, memoryview]
"""Bytes-like objects accepted as payloads and buffers: :class:`bytes`,
:class:`bytearray` and :class:`memoryview`."""
