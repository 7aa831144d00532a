"""Arguments that websockets 8.1 still accepted from older versions."""

from __future__ import annotations

import sys
import warnings
from typing import Any, Dict, Optional, Tuple, TypeVar

__all__ = ["pop_deprecated_arguments"]

T = TypeVar("T")


def pop_deprecated_arguments(
    kwds: Dict[str, Any],
    *,
    close_timeout: Optional[float],
    create_protocol: Optional[T],
) -> Tuple[Optional[float], Optional[T], bool]:
    """Handle ``timeout``, ``klass`` and ``legacy_recv``.

    Used by :func:`~websockets.server.serve` and
    :func:`~websockets.client.connect`, through
    :func:`~websockets.arguments.shared_arguments`. ``timeout`` and
    ``klass`` are popped from ``kwds``: they're aliases of ``close_timeout`` and
    ``create_protocol``; they're accepted with a :exc:`DeprecationWarning`,
    like in websockets 8.1. (``loop`` is accepted silently, as 8.1 did: the
    caller uses it.) ``legacy_recv`` is popped too; the protocol warns about
    it.

    :return: ``(close_timeout, create_protocol, legacy_recv)``
    """
    timeout = kwds.pop("timeout", None)
    if timeout is not None:
        warnings.warn(
            "rename timeout to close_timeout",
            DeprecationWarning,
            stacklevel=_caller_stacklevel(),
        )
        close_timeout = timeout
    klass = kwds.pop("klass", None)
    if klass is not None:
        warnings.warn(
            "rename klass to create_protocol",
            DeprecationWarning,
            stacklevel=_caller_stacklevel(),
        )
        if create_protocol is None:
            create_protocol = klass
    legacy_recv: bool = kwds.pop("legacy_recv", False)
    return close_timeout, create_protocol, legacy_recv


def _caller_stacklevel() -> int:
    """Return the ``stacklevel`` of :func:`warnings.warn` that points at the
    code that called into websockets: the warning is about the user's code,
    whichever way it came in (``serve()``, ``unix_serve()``, ``connect()``,
    ``unix_connect()``...).
    """
    # Level 1 is the function that calls warnings.warn(), our caller.
    level = 1
    frame = sys._getframe(1)
    while frame.f_back is not None and _is_ours(frame):
        frame = frame.f_back
        level += 1
    return level


def _is_ours(frame: Any) -> bool:
    name = frame.f_globals.get("__name__", "")
    return bool(name == "websockets" or name.startswith("websockets."))
