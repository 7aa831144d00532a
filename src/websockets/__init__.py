"""websockets: an asyncio-native WebSocket library (RFC 6455, RFC 7692).

Public APIs can be imported directly from this package, except those of
:mod:`websockets.headers` and :mod:`websockets.http`.
"""

from __future__ import annotations

from .exceptions import *  # noqa: F403
from .exceptions import __all__ as _exceptions_all
from .typing import *  # noqa: F403
from .typing import __all__ as _typing_all
from .version import version as __version__

__all__ = [*_exceptions_all, *_typing_all]
