from __future__ import annotations

from typing import List, Tuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from websockets.datastructures import Headers, MultipleValuesError


@pytest.fixture
def headers() -> Headers:
    return Headers(Connection="Upgrade", Server="websockets")


# Construction


def test_init_empty() -> None:
    assert len(Headers()) == 0
    assert list(Headers().raw_items()) == []


def test_init_from_kwargs(headers: Headers) -> None:
    assert list(headers.raw_items()) == [
        ("Connection", "Upgrade"),
        ("Server", "websockets"),
    ]


def test_init_from_mapping() -> None:
    headers = Headers({"Connection": "Upgrade", "Server": "websockets"})
    assert headers["connection"] == "Upgrade"
    assert headers["server"] == "websockets"


def test_init_from_pairs() -> None:
    headers = Headers([("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
    assert headers.get_all("Set-Cookie") == ["a=1", "b=2"]


def test_init_from_headers() -> None:
    original = Headers([("Set-Cookie", "a=1"), ("set-cookie", "b=2")])
    headers = Headers(original)
    assert list(headers.raw_items()) == list(original.raw_items())
    assert headers == original


def test_init_from_arg_and_kwargs() -> None:
    headers = Headers([("A", "1"), ("B", "2")], C="3")
    assert list(headers.raw_items()) == [("A", "1"), ("B", "2"), ("C", "3")]


def test_init_from_several_args() -> None:
    # Like dict(), Headers() takes at most one positional argument.
    with pytest.raises(TypeError):
        Headers([("A", "1")], {"B": "2"})


def test_init_from_invalid_pairs() -> None:
    with pytest.raises((TypeError, ValueError)):
        Headers([("A",)])  # type: ignore[list-item]


# Case-insensitivity


@pytest.mark.parametrize(
    "key", ["Connection", "connection", "CONNECTION", "cOnNeCtIoN"]
)
def test_getitem_case_insensitive(headers: Headers, key: str) -> None:
    assert headers[key] == "Upgrade"


@pytest.mark.parametrize("key", ["Connection", "connection", "CONNECTION"])
def test_contains_case_insensitive(headers: Headers, key: str) -> None:
    assert key in headers


def test_contains_missing(headers: Headers) -> None:
    assert "Host" not in headers


def test_contains_non_str(headers: Headers) -> None:
    assert 42 not in headers  # type: ignore[comparison-overlap]
    assert None not in headers


def test_getitem_missing(headers: Headers) -> None:
    with pytest.raises(KeyError):
        headers["Host"]


def test_get(headers: Headers) -> None:
    assert headers.get("server") == "websockets"
    assert headers.get("host") is None
    assert headers.get("host", "default") == "default"


def test_iter_yields_lower_case_keys(headers: Headers) -> None:
    assert list(headers) == ["connection", "server"]
    assert list(headers.keys()) == ["connection", "server"]


def test_values_and_items(headers: Headers) -> None:
    assert list(headers.values()) == ["Upgrade", "websockets"]
    assert list(headers.items()) == [
        ("connection", "Upgrade"),
        ("server", "websockets"),
    ]


def test_len_counts_distinct_names() -> None:
    headers = Headers([("A", "1"), ("a", "2"), ("B", "3")])
    assert len(headers) == 2


# Multiple values


def test_setitem_appends() -> None:
    headers = Headers()
    headers["Set-Cookie"] = "a=1"
    headers["set-cookie"] = "b=2"
    assert headers.get_all("SET-COOKIE") == ["a=1", "b=2"]
    assert list(headers.raw_items()) == [
        ("Set-Cookie", "a=1"),
        ("set-cookie", "b=2"),
    ]


def test_getitem_multiple_values() -> None:
    headers = Headers([("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
    with pytest.raises(MultipleValuesError) as raised:
        headers["set-cookie"]
    assert raised.value.args == ("set-cookie",)
    assert str(raised.value) == "'set-cookie'"


def test_get_and_setdefault() -> None:
    # Headers has its own get() and setdefault(), without exceptions for
    # missing headers; they behave as Mapping's and MutableMapping's.
    headers = Headers([("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("A", "1")])
    assert headers.get("a") == "1"
    assert headers.get("b") is None
    assert headers.get("b", "2") == "2"
    with pytest.raises(MultipleValuesError):
        headers.get("set-cookie")
    assert headers.setdefault("a", "2") == "1"
    assert headers.setdefault("B", "2") == "2"
    assert headers.get_all("b") == ["2"]
    with pytest.raises(MultipleValuesError):
        headers.setdefault("set-cookie", "c=3")
    assert headers.get_all("set-cookie") == ["a=1", "b=2"]


def test_multiple_values_error() -> None:
    assert issubclass(MultipleValuesError, LookupError)
    assert str(MultipleValuesError("Key")) == "'Key'"
    assert str(MultipleValuesError()) == ""
    assert str(MultipleValuesError("a", "b")) == "('a', 'b')"


def test_get_all_missing(headers: Headers) -> None:
    assert headers.get_all("Host") == []


def test_get_all_single(headers: Headers) -> None:
    assert headers.get_all("connection") == ["Upgrade"]


# Deletion


def test_delitem_removes_all_values() -> None:
    headers = Headers([("A", "1"), ("B", "2"), ("a", "3")])
    del headers["A"]
    assert "a" not in headers
    assert headers.get_all("a") == []
    assert list(headers.raw_items()) == [("B", "2")]


def test_delitem_case_insensitive(headers: Headers) -> None:
    del headers["CONNECTION"]
    assert list(headers.raw_items()) == [("Server", "websockets")]


def test_delitem_missing(headers: Headers) -> None:
    with pytest.raises(KeyError):
        del headers["Host"]


def test_pop(headers: Headers) -> None:
    assert headers.pop("Connection") == "Upgrade"
    assert "Connection" not in headers


def test_clear(headers: Headers) -> None:
    headers.clear()
    assert len(headers) == 0
    assert list(headers.raw_items()) == []
    assert "Connection" not in headers
    headers["A"] = "1"
    assert list(headers.raw_items()) == [("A", "1")]


# update / copy / eq


def test_update_appends(headers: Headers) -> None:
    headers.update({"Connection": "keep-alive"}, Host="example.com")
    assert headers.get_all("Connection") == ["Upgrade", "keep-alive"]
    assert headers["Host"] == "example.com"


def test_update_from_headers_keeps_multiple_values() -> None:
    headers = Headers()
    headers.update(Headers([("A", "1"), ("a", "2")]))
    assert list(headers.raw_items()) == [("A", "1"), ("a", "2")]


def test_update_from_pairs() -> None:
    headers = Headers()
    headers.update([("A", "1"), ("A", "2")])
    assert headers.get_all("a") == ["1", "2"]


def test_copy(headers: Headers) -> None:
    copy = headers.copy()
    assert isinstance(copy, Headers)
    assert copy == headers
    assert list(copy.raw_items()) == list(headers.raw_items())
    # The copy is independent.
    copy["Connection"] = "keep-alive"
    assert headers.get_all("Connection") == ["Upgrade"]
    assert copy.get_all("Connection") == ["Upgrade", "keep-alive"]
    del copy["Server"]
    assert headers["Server"] == "websockets"


def test_copy_subclass() -> None:
    class MyHeaders(Headers):
        pass

    assert type(MyHeaders(A="1").copy()) is MyHeaders


def test_eq() -> None:
    assert Headers(A="1") == Headers(a="1")
    assert Headers(A="1") != Headers(A="2")
    assert Headers([("A", "1"), ("A", "2")]) != Headers([("A", "2"), ("A", "1")])
    assert Headers(A="1", B="2") == Headers(B="2", A="1")


def test_eq_other_types(headers: Headers) -> None:
    assert headers != {"connection": "Upgrade", "server": "websockets"}
    assert headers != 42
    assert headers.__eq__(42) is NotImplemented


def test_unhashable(headers: Headers) -> None:
    with pytest.raises(TypeError):
        hash(headers)


# Serialization


def test_str(headers: Headers) -> None:
    assert str(headers) == "Connection: Upgrade\r\nServer: websockets\r\n\r\n"


def test_str_empty() -> None:
    assert str(Headers()) == "\r\n"


def test_str_multiple_values() -> None:
    headers = Headers([("A", "1"), ("B", "2"), ("a", "3")])
    assert str(headers) == "A: 1\r\nB: 2\r\na: 3\r\n\r\n"


def test_serialize(headers: Headers) -> None:
    assert headers.serialize() == b"Connection: Upgrade\r\nServer: websockets\r\n\r\n"


def test_repr(headers: Headers) -> None:
    assert repr(headers) == (
        "Headers([('Connection', 'Upgrade'), ('Server', 'websockets')])"
    )


def test_repr_subclass() -> None:
    class MyHeaders(Headers):
        pass

    assert repr(MyHeaders(A="1")) == "MyHeaders([('A', '1')])"


def test_raw_items_is_iterator(headers: Headers) -> None:
    items = headers.raw_items()
    assert next(items) == ("Connection", "Upgrade")
    assert next(items) == ("Server", "websockets")
    with pytest.raises(StopIteration):
        next(items)


# Properties

names = st.sampled_from(["A", "a", "B", "b", "Set-Cookie", "SET-COOKIE"])
pairs = st.lists(st.tuples(names, st.text(max_size=5)), max_size=10)


@given(pairs)
def test_model(items: List[Tuple[str, str]]) -> None:
    headers = Headers(items)
    assert list(headers.raw_items()) == items
    for name in {name.lower() for name, _ in items}:
        values = [value for key, value in items if key.lower() == name]
        assert headers.get_all(name.upper()) == values
        if len(values) == 1:
            assert headers[name] == headers.get(name) == values[0]
        else:
            with pytest.raises(MultipleValuesError):
                headers[name]
    assert len(headers) == len({name.lower() for name, _ in items})
    assert headers == Headers(headers) == headers.copy()


@given(pairs, names)
def test_model_delete(items: List[Tuple[str, str]], name: str) -> None:
    headers = Headers(items)
    if any(key.lower() == name.lower() for key, _ in items):
        del headers[name]
    remaining = [(key, value) for key, value in items if key.lower() != name.lower()]
    assert list(headers.raw_items()) == remaining
    assert headers == Headers(remaining)
