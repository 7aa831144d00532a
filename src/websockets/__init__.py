"""websockets: an asyncio-native WebSocket library (RFC 6455, RFC 7692).

Public APIs can be imported directly from this package, except those of
:mod:`websockets.headers` and :mod:`websockets.http`.
"""

from __future__ import annotations

from .auth import *  # noqa: F403
from .auth import __all__ as _auth_all
from .broadcasting import *  # noqa: F403
from .broadcasting import __all__ as _broadcasting_all
from .client import *  # noqa: F403
from .client import __all__ as _client_all
from .exceptions import *  # noqa: F403
from .exceptions import __all__ as _exceptions_all
from .protocol import *  # noqa: F403
from .protocol import __all__ as _protocol_all
from .server import *  # noqa: F403
from .server import __all__ as _server_all
from .typing import *  # noqa: F403
from .typing import __all__ as _typing_all
from .uri import *  # noqa: F403
from .uri import __all__ as _uri_all
from .version import version as __version__  # noqa: F401

__all__ = [
    *_auth_all,
    *_broadcasting_all,
    *_client_all,
    *_exceptions_all,
    *_protocol_all,
    *_server_all,
    *_typing_all,
    *_uri_all,
]
