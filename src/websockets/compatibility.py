"""Arguments that websockets 8.1 still accepted from older versions."""

from __future__ import annotations

import warnings
from typing import Any, Dict, Optional, Tuple, TypeVar

__all__ = ["pop_deprecated_arguments"]

T = TypeVar("T")


def pop_deprecated_arguments(
    kwds: Dict[str, Any],
    *,
    close_timeout: Optional[float],
    create_protocol: Optional[T],
    loop: Any,
) -> Tuple[Optional[float], Optional[T], bool]:
    """Handle ``timeout``, ``klass``, ``loop`` and ``legacy_recv``.

    Used by :func:`~websockets.server.serve` and
    :func:`~websockets.client.connect`. ``timeout`` and ``klass`` are popped
    from ``kwds``: they're aliases of ``close_timeout`` and
    ``create_protocol``. ``loop`` is ignored. Each one is accepted with a
    :exc:`DeprecationWarning`, like in websockets 8.1. ``legacy_recv`` is
    popped too; the protocol warns about it.

    :return: ``(close_timeout, create_protocol, legacy_recv)``
    """
    # stacklevel=3: the warning points at the caller of serve() or connect().
    timeout = kwds.pop("timeout", None)
    if timeout is not None:
        warnings.warn(
            "rename timeout to close_timeout", DeprecationWarning, stacklevel=3
        )
        close_timeout = timeout
    klass = kwds.pop("klass", None)
    if klass is not None:
        warnings.warn(
            "rename klass to create_protocol", DeprecationWarning, stacklevel=3
        )
        if create_protocol is None:
            create_protocol = klass
    if loop is not None:
        warnings.warn("remove loop argument", DeprecationWarning, stacklevel=3)
    legacy_recv: bool = kwds.pop("legacy_recv", False)
    return close_timeout, create_protocol, legacy_recv
