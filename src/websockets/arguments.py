"""Validation of the arguments of :func:`~websockets.server.serve` and
:func:`~websockets.client.connect`.

Wrong types and values raise :exc:`TypeError` or :exc:`ValueError` when the
server or the client is created, with a message naming the argument, instead
of failing later, e.g. while parsing a frame.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import logging
import math
from collections.abc import Collection
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Generic,
    List,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
)

from .compatibility import pop_deprecated_arguments

if TYPE_CHECKING:
    import asyncio

    from .log import LoggerLike

__all__ = [
    "SharedArguments",
    "check_arguments",
    "check_logger",
    "shared_arguments",
    "without_defaults",
]

COMPRESSIONS = ("deflate",)

P = TypeVar("P")  # create_protocol
E = TypeVar("E")  # extension factory


def _type_name(value: Any) -> str:
    return type(value).__name__


def _is_int(value: Any) -> bool:
    # bool is a subclass of int: max_size=True is a mistake.
    return isinstance(value, int) and not isinstance(value, bool)


def check_size(name: str, value: Any, *, optional: bool, minimum: int) -> Any:
    """Check a size in bytes or a number of messages.

    A :class:`float` with an integral value such as ``1e6`` is accepted, as
    websockets 8.1 did, and converted to an :class:`int`.

    :param name: argument name, for error messages
    :param value: value to check
    :param optional: whether ``None`` (no limit) is accepted
    :param minimum: smallest acceptable value
    :return: ``value`` as an :class:`int`, or ``None``
    :raises TypeError: if ``value`` isn't an integer (or ``None``)
    :raises ValueError: if ``value`` is below ``minimum``
    """
    if type(value) is int and value >= minimum:
        # The usual case, checked first.
        return value
    if value is None and optional:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not _is_int(value):
        expected = "an int or None" if optional else "an int"
        raise TypeError(f"{name} must be {expected}, got {_type_name(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def check_max_size(value: Any) -> Any:
    """Check ``max_size``: an :class:`int`, ``None``, or a
    ``(message_limit, fragment_limit)`` pair of them.

    :return: the checked value, with integral floats as :class:`int`
    :raises TypeError: if ``value`` or a limit has the wrong type, or a
        tuple doesn't have two items
    :raises ValueError: if a limit is negative
    """
    if isinstance(value, tuple):
        if len(value) != 2:
            raise TypeError(
                "max_size must be an int, None, or a (message_limit, "
                f"fragment_limit) pair, got a tuple of {len(value)} items"
            )
        return (
            check_size("max_size[0]", value[0], optional=True, minimum=0),
            check_size("max_size[1]", value[1], optional=True, minimum=0),
        )
    return check_size("max_size", value, optional=True, minimum=0)


def check_timeout(name: str, value: Any, *, positive: bool = False) -> None:
    """Check a duration in seconds: a number or ``None``.

    :param positive: whether 0 is rejected
    :raises TypeError: if ``value`` isn't a real number or ``None``
    :raises ValueError: if ``value`` is negative, NaN, or 0 when ``positive``
    """
    if value is None or ((type(value) is int or type(value) is float) and value > 0):
        # The usual cases, checked first (NaN isn't > 0).
        return
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(
            f"{name} must be a number of seconds or None, got {_type_name(value)}"
        )
    if math.isnan(value) or value < 0 or (positive and value == 0):
        bound = "positive" if positive else "positive or 0"
        raise ValueError(f"{name} must be {bound}, got {value}")


def check_sequence(name: str, value: Any, *, none_items: bool) -> None:
    """Check a list of strings such as ``origins`` or ``subprotocols``.

    :param none_items: whether ``None`` is an acceptable item
    :raises TypeError: if ``value`` is a string or isn't iterable, or for an
        item that isn't a string (or ``None``)
    :raises ValueError: for an empty string
    """
    if value is None:
        return
    if isinstance(value, (str, bytes)):
        raise TypeError(
            f"{name} must be a list of str, got a single {_type_name(value)}"
        )
    if not isinstance(value, Collection):
        # An iterator would be consumed here: its items aren't checked.
        try:
            iter(value)
        except TypeError:
            raise TypeError(
                f"{name} must be a list of str, got {_type_name(value)}"
            ) from None
        return
    for item in value:
        if item is None and none_items:
            continue
        if not isinstance(item, str):
            raise TypeError(f"{name} must contain str, got {_type_name(item)}")
        # websockets < 7 allowed "" for a missing Origin header: the server
        # accepts it with a DeprecationWarning.
        if not item and not none_items:
            raise ValueError(f"{name} must not contain an empty string")


def check_arguments(
    *,
    ping_interval: Any,
    ping_timeout: Any,
    close_timeout: Any,
    open_timeout: Any,
    max_size: Any,
    max_queue: Any,
    read_limit: Any,
    write_limit: Any,
    compression: Any,
    subprotocols: Any,
    origins: Optional[Any] = None,
) -> Tuple[Any, Any, Any, Any]:
    """Check the arguments shared by :func:`~websockets.server.serve` and
    :func:`~websockets.client.connect`.

    :return: ``(max_size, max_queue, read_limit, write_limit)``, as
        :class:`int` or ``None``
    :raises TypeError: for an argument of the wrong type
    :raises ValueError: for an argument with a wrong value
    """
    check_timeout("ping_interval", ping_interval, positive=True)
    check_timeout("ping_timeout", ping_timeout)
    check_timeout("close_timeout", close_timeout)
    check_timeout("open_timeout", open_timeout)
    limits = (
        check_max_size(max_size),
        check_size("max_queue", max_queue, optional=True, minimum=1),
        check_size("read_limit", read_limit, optional=False, minimum=1),
        check_size("write_limit", write_limit, optional=False, minimum=0),
    )
    if compression is not None:
        if not isinstance(compression, str):
            raise TypeError(
                f"compression must be a str or None, got {_type_name(compression)}"
            )
        if compression not in COMPRESSIONS:
            raise ValueError(f"unsupported compression: {compression}")
    check_sequence("subprotocols", subprotocols, none_items=False)
    check_sequence("origins", origins, none_items=True)
    return limits


def check_logger(value: Any) -> Any:
    """Check ``logger``: a :class:`~logging.Logger`, a
    :class:`~logging.LoggerAdapter`, or ``None``.

    :return: ``value``
    :raises TypeError: otherwise
    """
    if value is None or isinstance(value, (logging.Logger, logging.LoggerAdapter)):
        return value
    raise TypeError(
        f"logger must be a logging.Logger or LoggerAdapter, got {_type_name(value)}"
    )


@functools.cache
def _keyword_defaults(cls: type) -> Dict[str, Any]:
    """Default values of the keyword arguments of ``cls``, including those
    that its ``__init__`` passes on to its base classes with ``**kwargs``."""
    defaults: Dict[str, Any] = {}
    for base in reversed(cls.__mro__):
        init = base.__dict__.get("__init__")
        if init is None or base is object:
            continue
        for parameter in inspect.signature(init).parameters.values():
            if parameter.default is not parameter.empty and parameter.kind in (
                parameter.KEYWORD_ONLY,
                parameter.POSITIONAL_OR_KEYWORD,
            ):
                defaults[parameter.name] = parameter.default
    return defaults


def without_defaults(
    create_protocol: Any,
    default_protocol: type,
    kwargs: Dict[str, Any],
    more_defaults: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """Drop the arguments that have their default value, when the protocol
    class is the library's own: it gets the same values, with less to pass
    on each connection. A class of the application keeps getting every
    argument, as in websockets 8.1: its defaults may differ.

    :param more_defaults: defaults of arguments that ``__init__`` takes from
        ``**kwargs`` itself
    """
    if create_protocol is not default_protocol:
        return kwargs
    defaults = dict(_keyword_defaults(default_protocol))
    if more_defaults:
        defaults.update(more_defaults)
    missing = object()
    kept = {}
    for name, value in kwargs.items():
        default = defaults.get(name, missing)
        if not (type(value) is type(default) and value == default):
            kept[name] = value
    return kept


@dataclasses.dataclass(frozen=True)
class SharedArguments(Generic[P, E]):
    """Arguments of :func:`~websockets.server.serve` and
    :func:`~websockets.client.connect`, checked by :func:`shared_arguments`.
    """

    create_protocol: P
    open_timeout: Optional[float]
    #: Keyword arguments of the protocol shared by both sides, with
    #: ``legacy_recv``, ``logger`` and ``loop`` only when given: protocol
    #: classes written for websockets 8.1 don't take ``logger``.
    protocol_kwargs: Dict[str, Any]


def shared_arguments(
    kwds: Dict[str, Any],
    *,
    create_protocol: Optional[P],
    default_protocol: P,
    ping_interval: Any,
    ping_timeout: Any,
    close_timeout: Any,
    default_open_timeout: Optional[float],
    max_size: Any,
    max_queue: Any,
    read_limit: Any,
    write_limit: Any,
    loop: Optional[asyncio.AbstractEventLoop],
    compression: Any,
    extensions: Optional[Sequence[E]],
    enable_deflate: Callable[[Optional[Sequence[E]]], List[E]],
    subprotocols: Any,
    origins: Optional[Any] = None,
) -> SharedArguments[P, E]:
    """Handle the arguments shared by ``Serve.__init__`` and
    ``Connect.__init__``, in this order:

    * the deprecated ``timeout``, ``klass`` and ``legacy_recv``, popped from
      ``kwds`` by :func:`~websockets.compatibility.pop_deprecated_arguments`,
      whose warnings point at the caller of :func:`~websockets.server.serve`
      or :func:`~websockets.client.connect`: call this function right from
      ``__init__``;
    * ``open_timeout``, popped from ``kwds``;
    * types and values, with :func:`check_arguments`;
    * ``compression="deflate"``: ``enable_deflate(extensions)`` adds the
      side's permessage-deflate factory, unless ``extensions`` has one;
    * ``logger``, popped from ``kwds`` and checked by :func:`check_logger`.

    :param kwds: keyword arguments not named in the signature of ``serve()``
        or ``connect()``; what is handled here is popped from it
    :param default_protocol: ``create_protocol`` when neither it nor
        ``klass`` is given
    :param default_open_timeout: ``open_timeout`` when it isn't given
    :raises TypeError: for an argument of the wrong type
    :raises ValueError: for an argument with a wrong value
    """
    close_timeout, create_protocol, legacy_recv = pop_deprecated_arguments(
        kwds, close_timeout=close_timeout, create_protocol=create_protocol
    )
    open_timeout = kwds.pop("open_timeout", default_open_timeout)
    max_size, max_queue, read_limit, write_limit = check_arguments(
        ping_interval=ping_interval,
        ping_timeout=ping_timeout,
        close_timeout=close_timeout,
        open_timeout=open_timeout,
        max_size=max_size,
        max_queue=max_queue,
        read_limit=read_limit,
        write_limit=write_limit,
        compression=compression,
        subprotocols=subprotocols,
        origins=origins,
    )
    if compression == "deflate":
        extensions = enable_deflate(extensions)
    logger: Optional[LoggerLike] = check_logger(kwds.pop("logger", None))

    protocol_kwargs: Dict[str, Any] = dict(
        ping_interval=ping_interval,
        ping_timeout=ping_timeout,
        close_timeout=close_timeout,
        max_size=max_size,
        max_queue=max_queue,
        read_limit=read_limit,
        write_limit=write_limit,
        extensions=extensions,
        subprotocols=subprotocols,
    )
    if legacy_recv:
        protocol_kwargs["legacy_recv"] = legacy_recv
    if logger is not None:
        protocol_kwargs["logger"] = logger
    if loop is not None:
        protocol_kwargs["loop"] = loop
    return SharedArguments(
        create_protocol=default_protocol
        if create_protocol is None
        else create_protocol,
        open_timeout=open_timeout,
        protocol_kwargs=protocol_kwargs,
    )
