"""WebSocket extensions: RFC 6455, section 9.

:mod:`websockets.extensions.base` defines the API of extensions and
:mod:`websockets.extensions.permessage_deflate` implements RFC 7692.
"""

from __future__ import annotations

from .base import ClientExtensionFactory, Extension, ServerExtensionFactory

__all__ = ["ClientExtensionFactory", "Extension", "ServerExtensionFactory"]
