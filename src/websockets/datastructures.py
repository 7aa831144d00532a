"""Case-insensitive multi-dict of HTTP headers.

Public names are re-exported by :mod:`websockets.http`, where the API
reference documents them.
"""

from __future__ import annotations

import operator
from typing import (
    Any,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    MutableMapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

__all__ = ["Headers", "HeadersLike", "MultipleValuesError"]


class MultipleValuesError(LookupError):
    """Exception raised when :class:`Headers` has more than one value for a
    key."""

    def __str__(self) -> str:
        # Like KeyError, show the key with repr() when there's exactly one.
        if len(self.args) == 1:
            return repr(self.args[0])
        return super().__str__()


# Header names of opening handshakes, in their usual spellings and in lower
# case. Headers stores these shared strings instead of one copy per
# connection. The table is fixed: names sent by peers are never added to it.
_COMMON_NAMES = {
    name: name
    for spelling in [
        "Host",
        "Upgrade",
        "Connection",
        "Origin",
        "User-Agent",
        "Accept-Encoding",
        "Accept-Language",
        "Cache-Control",
        "Pragma",
        "Cookie",
        "Authorization",
        "Date",
        "Server",
        "Sec-WebSocket-Key",
        "Sec-WebSocket-Version",
        "Sec-WebSocket-Extensions",
        "Sec-WebSocket-Protocol",
        "Sec-WebSocket-Accept",
        "Content-Length",
        "Content-Type",
        "X-Forwarded-For",
        "X-Forwarded-Proto",
        "X-Real-IP",
    ]
    for name in (spelling, spelling.lower())
}


class Headers(MutableMapping[str, str]):
    """Efficient data structure for manipulating HTTP headers.

    Header names are case-insensitive; a header may occur several times.

    * ``headers[name]`` returns the only value, raises :exc:`KeyError` when
      there is none and :exc:`MultipleValuesError` when there are several;
    * ``headers[name] = value`` appends a value;
    * ``del headers[name]`` removes every value.

    :meth:`get_all` returns every value of a header and :meth:`raw_items`
    every ``(name, value)`` pair in the original order and case.

    The constructor accepts what :class:`dict` accepts: a mapping (including
    another :class:`Headers`), an iterable of ``(name, value)`` pairs, and
    keyword arguments.
    """

    # Headers are kept as a list of (name, value) pairs and a parallel list
    # of lower-cased names. A handshake has a dozen headers: scanning a short
    # list is as fast as hashing, and an idle connection keeps its request
    # and response headers, so the compact layout saves memory.
    __slots__ = ["_keys", "_list"]

    def __init__(self, *args: HeadersLike, **kwargs: str) -> None:
        self._keys: List[str] = []
        self._list: List[Tuple[str, str]] = []
        if args or kwargs:
            self.update(*args, **kwargs)

    @classmethod
    def _from_lists(cls, items: List[Tuple[str, str]], keys: List[str]) -> Headers:
        """Build headers from their lists, which it takes over: ``(name,
        value)`` pairs and lower-cased names, as ``headers[name] = value``
        would make them (see :func:`websockets.http._header_lists`)."""
        headers = _new_headers(cls)
        headers._list = items
        headers._keys = keys
        return headers

    def _extend_lists(self, items: List[Tuple[str, str]], keys: Sequence[str]) -> None:
        """Append ``(name, value)`` pairs whose lower-cased names are ``keys``,
        as ``headers[name] = value`` for each would: for names known in
        advance."""
        self._list += items
        self._keys += keys

    def _unique(self) -> Optional[Dict[str, str]]:
        """Return a dict of lower-cased names to values when no name occurs
        twice, else ``None``: for looking up several headers at once."""
        values = dict(zip(self._keys, map(_second, self._list)))
        return values if len(values) == len(self._keys) else None

    def __str__(self) -> str:
        """Serialize headers for an HTTP message, ending with a blank line."""
        if not self._list:
            return "\r\n"
        return "\r\n".join(map(_join_name_value, self._list)) + "\r\n\r\n"

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self._list!r})"

    def copy(self) -> Headers:
        copy = self.__class__()
        copy._keys = list(self._keys)
        copy._list = list(self._list)
        return copy

    def serialize(self) -> bytes:
        """Serialize headers to bytes, for writing to the network."""
        return str(self).encode()

    # Collection methods

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._keys

    def __iter__(self) -> Iterator[str]:
        # Distinct lower-cased names, in the order they first appeared.
        return iter(dict.fromkeys(self._keys))

    def __len__(self) -> int:
        return len(set(self._keys))

    # MutableMapping methods

    def __getitem__(self, key: str) -> str:
        key_lower = key.lower()
        keys = self._keys
        count = keys.count(key_lower)
        if count == 1:
            return self._list[keys.index(key_lower)][1]
        if not count:
            raise KeyError(key)
        raise MultipleValuesError(key)

    def get(self, key: str, default: Any = None) -> Any:
        """Return the only value of ``key``, or ``default`` if there's none.

        :raises MultipleValuesError: if ``key`` has several values
        """
        if key.lower() not in self._keys:
            return default
        return self[key]

    def __setitem__(self, key: str, value: str) -> None:
        # Share one copy of common header names between all connections.
        key = _COMMON_NAMES.get(key, key)
        key_lower = key.lower()
        self._keys.append(_COMMON_NAMES.get(key_lower, key_lower))
        self._list.append((key, value))

    def __delitem__(self, key: str) -> None:
        key_lower = key.lower()
        if key_lower not in self._keys:
            raise KeyError(key)
        # This is inefficient. Fortunately deleting HTTP headers is uncommon.
        kept = [(k, item) for k, item in zip(self._keys, self._list) if k != key_lower]
        self._keys = [k for k, _ in kept]
        self._list = [item for _, item in kept]

    def _as_dict(self) -> Dict[str, List[str]]:
        result: Dict[str, List[str]] = {}
        for key, (_, value) in zip(self._keys, self._list):
            result.setdefault(key, []).append(value)
        return result

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return self._as_dict() == other._as_dict()

    __hash__ = None  # type: ignore[assignment]

    def setdefault(self, key: str, default: Any = None) -> Any:
        """Return the value of ``key``; if there's none, set it to ``default``
        and return ``default``, like :meth:`dict.setdefault`.

        :raises MultipleValuesError: if ``key`` has several values
        """
        if key.lower() in self._keys:
            return self[key]
        self[key] = default
        return default

    def clear(self) -> None:
        """Remove all headers."""
        self._keys = []
        self._list = []

    def update(self, *args: HeadersLike, **kwargs: str) -> None:  # type: ignore[override]
        """Update from a :class:`Headers` instance and/or keyword arguments.

        Values are appended, like with ``headers[name] = value``.
        """
        args = tuple(
            arg.raw_items() if isinstance(arg, Headers) else arg for arg in args
        )
        super().update(*args, **kwargs)

    # Methods for handling multiple values

    def get_all(self, key: str) -> List[str]:
        """Return the (possibly empty) list of all values for a header.

        :param key: header name
        """
        key_lower = key.lower()
        keys = self._keys
        count = keys.count(key_lower)
        if count == 1:
            # The usual case, without going through all the headers in Python.
            return [self._list[keys.index(key_lower)][1]]
        if not count:
            return []
        return [item[1] for k, item in zip(keys, self._list) if k == key_lower]

    def raw_items(self) -> Iterator[Tuple[str, str]]:
        """Return an iterator of all values as ``(name, value)`` pairs."""
        return iter(self._list)


_new_headers = object.__new__
_second = operator.itemgetter(1)
_join_name_value = ": ".join

HeadersLike = Union[Headers, Mapping[str, str], Iterable[Tuple[str, str]]]
"""Types accepted where :class:`Headers` is expected."""
