"""Case-insensitive multi-dict of HTTP headers.

Public names are re-exported by :mod:`websockets.http`, where the API
reference documents them.
"""

from __future__ import annotations

from typing import (
    Any,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    MutableMapping,
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

    __slots__ = ["_dict", "_list"]

    def __init__(self, *args: HeadersLike, **kwargs: str) -> None:
        self._dict: Dict[str, List[str]] = {}
        self._list: List[Tuple[str, str]] = []
        self.update(*args, **kwargs)

    def __str__(self) -> str:
        """Serialize headers for an HTTP message, ending with a blank line."""
        return "".join(f"{key}: {value}\r\n" for key, value in self._list) + "\r\n"

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self._list!r})"

    def copy(self) -> Headers:
        copy = self.__class__()
        copy._dict = {key: list(values) for key, values in self._dict.items()}
        copy._list = list(self._list)
        return copy

    def serialize(self) -> bytes:
        """Serialize headers to bytes, for writing to the network."""
        return str(self).encode()

    # Collection methods

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._dict

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    # MutableMapping methods

    def __getitem__(self, key: str) -> str:
        values = self._dict[key.lower()]
        if len(values) == 1:
            return values[0]
        raise MultipleValuesError(key)

    def __setitem__(self, key: str, value: str) -> None:
        self._dict.setdefault(key.lower(), []).append(value)
        self._list.append((key, value))

    def __delitem__(self, key: str) -> None:
        key_lower = key.lower()
        del self._dict[key_lower]
        # This is inefficient. Fortunately deleting HTTP headers is uncommon.
        self._list = [(k, v) for k, v in self._list if k.lower() != key_lower]

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return self._dict == other._dict

    __hash__ = None  # type: ignore[assignment]

    def clear(self) -> None:
        """Remove all headers."""
        self._dict = {}
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
        return self._dict.get(key.lower(), [])

    def raw_items(self) -> Iterator[Tuple[str, str]]:
        """Return an iterator of all values as ``(name, value)`` pairs."""
        return iter(self._list)


HeadersLike = Union[Headers, Mapping[str, str], Iterable[Tuple[str, str]]]
"""Types accepted where :class:`Headers` is expected."""
