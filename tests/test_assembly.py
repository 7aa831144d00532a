"""MessageAssembler without sockets: fragments in, messages out."""

from __future__ import annotations

from typing import List, Optional

import pytest
from hypothesis import given
from hypothesis import strategies as st

from websockets.assembly import AssemblyError, MessageAssembler
from websockets.frame_parser import FrameParser
from websockets.framing import OP_BINARY, OP_CONT, OP_TEXT, Frame


def feed(assembler: MessageAssembler, opcode: int, fragments: List[bytes]) -> object:
    """Add a fragmented message; return what the last fragment returned."""
    result: object = None
    for i, fragment in enumerate(fragments):
        last = i == len(fragments) - 1
        result = assembler.add(opcode if i == 0 else OP_CONT, fragment, last)
        if not last:
            assert result is None
    return result


def test_binary_message() -> None:
    assembler = MessageAssembler(max_size=None)
    assert feed(assembler, OP_BINARY, [b"tea", b"", b" for", b" two"]) == b"tea for two"
    assert assembler.opcode is None
    assert assembler.buffered() == 0


def test_text_message() -> None:
    assembler = MessageAssembler(max_size=None)
    data = "café 🍵".encode()
    assert feed(assembler, OP_TEXT, [data[:4], data[4:7], data[7:]]) == "café 🍵"


def test_buffered_and_budget() -> None:
    assembler = MessageAssembler(max_size=10)
    assert assembler.budget() == 10
    assert assembler.add(OP_BINARY, b"abc", False) is None
    assert assembler.buffered() == 3
    assert assembler.budget() == 7
    assert MessageAssembler(max_size=None).budget() is None


def test_empty_fragments_cost_no_memory() -> None:
    # Folding into one buffer: a million empty fragments hold nothing.
    assembler = MessageAssembler(max_size=None)
    assembler.add(OP_BINARY, b"", False)
    for _ in range(100_000):
        assembler.add(OP_CONT, b"", False)
    assert assembler.buffered() == 0
    assert assembler.add(OP_CONT, b"end", True) == b"end"


def test_too_many_fragments() -> None:
    assembler = MessageAssembler(max_size=3)
    assembler.add(OP_BINARY, b"", False)
    assembler.add(OP_CONT, b"", False)
    assembler.add(OP_CONT, b"", False)
    with pytest.raises(AssemblyError) as raised:
        assembler.add(OP_CONT, b"", False)
    assert raised.value.code == 1009
    assert raised.value.reason == "message has more fragments than the limit (3)"


def test_fragments_at_the_limit() -> None:
    assembler = MessageAssembler(max_size=3)
    assert feed(assembler, OP_BINARY, [b"a", b"b", b"c"]) == b"abc"
    # The count starts over with the next message.
    assert feed(assembler, OP_BINARY, [b"", b"", b""]) == b""


def test_unexpected_continuation() -> None:
    with pytest.raises(AssemblyError) as raised:
        MessageAssembler(max_size=None).add(OP_CONT, b"a", True)
    assert (raised.value.code, raised.value.reason) == (
        1002,
        "unexpected continuation frame",
    )


def test_expected_continuation() -> None:
    assembler = MessageAssembler(max_size=None)
    assembler.add(OP_TEXT, b"a", False)
    with pytest.raises(AssemblyError) as raised:
        assembler.add(OP_BINARY, b"b", True)
    assert (raised.value.code, raised.value.reason) == (
        1002,
        "expected a continuation frame",
    )


def test_invalid_utf8_fails_at_the_fragment() -> None:
    assembler = MessageAssembler(max_size=None)
    assembler.add(OP_TEXT, b"abc", False)
    with pytest.raises(AssemblyError) as raised:
        assembler.add(OP_CONT, b"d\xff", False)
    assert raised.value.code == 1007
    assert raised.value.reason == "invalid start byte at position 1"


def test_truncated_utf8_at_the_end() -> None:
    assembler = MessageAssembler(max_size=None)
    assembler.add(OP_TEXT, b"caf\xc3", False)
    with pytest.raises(AssemblyError) as raised:
        assembler.add(OP_CONT, b"", True)
    assert raised.value.code == 1007


@given(
    data=st.binary(max_size=200),
    cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=10),
    text=st.booleans(),
)
def test_any_fragmentation(data: bytes, cuts: List[int], text: bool) -> None:
    # However a message is cut, the assembler returns it whole, or fails
    # with 1007 exactly when the text isn't valid UTF-8.
    bounds = sorted({0, len(data), *(c for c in cuts if c <= len(data))})
    fragments = [data[a:b] for a, b in zip(bounds, bounds[1:])] or [b""]
    assembler = MessageAssembler(max_size=len(fragments) + len(data))
    expected: Optional[object]
    if text:
        try:
            expected = data.decode()
        except UnicodeDecodeError:
            expected = None
    else:
        expected = data
    try:
        result = feed(assembler, OP_TEXT if text else OP_BINARY, fragments)
    except AssemblyError as exc:
        assert exc.code == 1007
        assert expected is None
    else:
        assert result == expected


# Text frames still arriving.


def parser_with(data: bytes, mask: bool = False) -> FrameParser:
    parser = FrameParser(mask=mask)
    parser.feed(data)
    assert parser.next_frame() is None
    return parser


def partial(opcode: int, payload: bytes, missing: int = 1) -> bytes:
    data = Frame(True, opcode, payload + b"x" * missing).serialize(mask=False)
    return data[:-missing]


def test_partial_text_frame_valid() -> None:
    assembler = MessageAssembler(max_size=None)
    parser = parser_with(partial(OP_TEXT, "café".encode()))
    assembler.check_partial_text(parser, compressed=False)
    assert assembler.frame_complete()


def test_partial_text_frame_invalid() -> None:
    assembler = MessageAssembler(max_size=None)
    data = partial(OP_TEXT, b"ab")
    parser = FrameParser(mask=False)
    parser.feed(data)
    assert parser.next_frame() is None
    assembler.check_partial_text(parser, compressed=False)
    # Only the new bytes are checked, with positions in the whole payload.
    parser.feed(b"\xff")
    with pytest.raises(AssemblyError) as raised:
        assembler.check_partial_text(parser, compressed=False)
    assert raised.value.code == 1007
    assert raised.value.reason == "invalid start byte at position 2"


@pytest.mark.parametrize(
    "data",
    [
        b"",  # nothing yet
        b"\x01",  # half a header
        partial(OP_BINARY, b"\xff"),  # binary frame
        b"\xc1\x03\xff",  # compressed frame: RSV1
        partial(OP_TEXT, b"", missing=2),  # no payload yet
        partial(OP_CONT, b"\xff"),  # continuation outside a text message
    ],
    ids=["empty", "half-header", "binary", "compressed", "no-payload", "cont"],
)
def test_partial_frames_not_checked(data: bytes) -> None:
    assembler = MessageAssembler(max_size=None)
    parser = FrameParser(mask=False)
    parser.feed(data)
    assembler.check_partial_text(parser, compressed=False)
    assert assembler.frame_complete()


def test_partial_continuation_of_text_message() -> None:
    assembler = MessageAssembler(max_size=None)
    # The first fragment ends in the middle of a character.
    assembler.add(OP_TEXT, "🍵".encode()[:2], False)
    parser = parser_with(partial(OP_CONT, "🍵".encode()[2:] + b"\xff"))
    with pytest.raises(AssemblyError) as raised:
        assembler.check_partial_text(parser, compressed=False)
    assert raised.value.code == 1007
    # The fragmented message is still being assembled.
    assert not assembler.frame_complete()


def test_partial_continuation_with_extensions() -> None:
    # With extensions, continuation frames may be compressed without RSV1.
    assembler = MessageAssembler(max_size=None)
    assembler.add(OP_TEXT, b"a", False)
    parser = parser_with(partial(OP_CONT, b"\xff"))
    assembler.check_partial_text(parser, compressed=True)


def test_partial_masked_text_frame() -> None:
    # Pieces of a masked payload are unmasked with the right phase of the key.
    assembler = MessageAssembler(max_size=None)
    data = Frame(True, OP_TEXT, b"abcde\xffz").serialize(mask=True)
    parser = FrameParser(mask=True)
    parser.feed(data[:-4])
    assert parser.next_frame() is None
    assembler.check_partial_text(parser, compressed=False)
    parser.feed(data[-4:-1])
    assert parser.next_frame() is None
    with pytest.raises(AssemblyError) as raised:
        assembler.check_partial_text(parser, compressed=False)
    assert raised.value.reason == "invalid start byte at position 5"
