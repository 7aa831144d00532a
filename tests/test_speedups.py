"""Tests for websockets.speedups: the C masking accelerator.

Every function is checked against its pure-Python twin in websockets.utils.
"""

from __future__ import annotations

import array
import asyncio
import os
from typing import List, Optional, Tuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from websockets.exceptions import PayloadTooBig, ProtocolError
from websockets.framing import decode_header
from websockets.typing import BytesLike
from websockets.utils import (
    _apply_mask_prefixed_py,
    _apply_mask_py,
    _frame_bytes_py,
    _unmask_join_py,
    _unmask_slice_py,
)

speedups = pytest.importorskip("websockets.speedups")

MASK = b"\x37\xfa\x21\x3d"


class TestApplyMask:
    @pytest.mark.parametrize("length", range(65))
    @pytest.mark.parametrize("offset", [0, 1, 3])
    def test_every_small_length(self, length: int, offset: int) -> None:
        # Unaligned starts exercise the unaligned loads of the word loops.
        raw = os.urandom(length + offset)
        data = memoryview(raw)[offset:]
        result = speedups.apply_mask(data, MASK)
        assert type(result) is bytes
        assert result == _apply_mask_py(data, MASK)

    def test_one_mebibyte(self) -> None:
        data = os.urandom(1 << 20)
        mask = os.urandom(4)
        result = speedups.apply_mask(data, mask)
        assert result == _apply_mask_py(data, mask)
        assert speedups.apply_mask(result, mask) == data

    @pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
    def test_bytes_like(self, kind: type) -> None:
        data = os.urandom(37)
        expected = _apply_mask_py(data, MASK)
        assert speedups.apply_mask(kind(data), kind(MASK)) == expected

    def test_keyword_arguments(self) -> None:
        assert speedups.apply_mask(data=b"Hello", mask=MASK) == (
            bytes.fromhex("7f9f4d5158")
        )

    @pytest.mark.parametrize("step", [2, 3, 5, -1])
    def test_non_contiguous_memoryview(self, step: int) -> None:
        raw = os.urandom(333)
        view = memoryview(raw)[::step]
        assert not view.c_contiguous or step == -1
        assert speedups.apply_mask(view, MASK) == _apply_mask_py(view, MASK)

    def test_non_contiguous_mask(self) -> None:
        mask = memoryview(b"a1b2c3d4")[::2]
        data = os.urandom(10)
        assert speedups.apply_mask(data, mask) == _apply_mask_py(data, mask)

    def test_multi_byte_format_memoryview(self) -> None:
        data = memoryview(array.array("d", [1.5, -2.0, 3.25]))
        assert speedups.apply_mask(data, MASK) == _apply_mask_py(data, MASK)
        fortran = memoryview(bytes(range(12))).cast("B", (3, 4))
        assert speedups.apply_mask(fortran, MASK) == _apply_mask_py(fortran, MASK)

    @pytest.mark.parametrize("mask", [b"", b"123", b"12345"])
    def test_mask_of_wrong_length(self, mask: bytes) -> None:
        with pytest.raises(ValueError, match="mask must contain 4 bytes"):
            speedups.apply_mask(b"abcd", mask)

    def test_not_bytes_like(self) -> None:
        with pytest.raises(TypeError):
            speedups.apply_mask("abcd", MASK)
        with pytest.raises(TypeError):
            speedups.apply_mask(b"abcd", "1234")
        with pytest.raises(TypeError):
            speedups.apply_mask(b"abcd")

    @given(st.binary(max_size=200), st.binary(min_size=4, max_size=4))
    def test_matches_pure_python(self, data: bytes, mask: bytes) -> None:
        assert speedups.apply_mask(data, mask) == _apply_mask_py(data, mask)

    @given(
        st.binary(max_size=200),
        st.integers(min_value=-4, max_value=4).filter(bool),
        st.binary(min_size=4, max_size=4),
    )
    def test_matches_pure_python_strided(
        self, raw: bytes, step: int, mask: bytes
    ) -> None:
        view = memoryview(raw)[::step]
        assert speedups.apply_mask(view, mask) == _apply_mask_py(view, mask)


class TestApplyMaskPrefixed:
    @pytest.mark.parametrize("length", range(65))
    def test_every_small_length(self, length: int) -> None:
        prefix = os.urandom(length % 15)
        data = os.urandom(length)
        result = speedups.apply_mask_prefixed(prefix, data, MASK)
        assert type(result) is bytes
        assert result == _apply_mask_prefixed_py(prefix, data, MASK)

    def test_one_mebibyte(self) -> None:
        data = os.urandom(1 << 20)
        assert speedups.apply_mask_prefixed(b"head", data, MASK) == (
            _apply_mask_prefixed_py(b"head", data, MASK)
        )

    def test_bytes_like(self) -> None:
        prefix, data = memoryview(b"xxhead")[::2], memoryview(os.urandom(99))[::3]
        mask = bytearray(MASK)
        assert speedups.apply_mask_prefixed(prefix, data, mask) == (
            _apply_mask_prefixed_py(prefix, data, mask)
        )

    @pytest.mark.parametrize("mask", [b"", b"123", b"12345"])
    def test_mask_of_wrong_length(self, mask: bytes) -> None:
        with pytest.raises(ValueError, match="mask must contain 4 bytes"):
            speedups.apply_mask_prefixed(b"", b"abcd", mask)

    def test_invalid_arguments(self) -> None:
        with pytest.raises(TypeError, match="exactly 3 arguments"):
            speedups.apply_mask_prefixed(b"", b"abcd")
        with pytest.raises(TypeError):
            speedups.apply_mask_prefixed("", b"abcd", MASK)
        with pytest.raises(TypeError):
            speedups.apply_mask_prefixed(b"", "abcd", MASK)
        with pytest.raises(TypeError):
            speedups.apply_mask_prefixed(b"", b"abcd", "1234")

    @given(
        st.binary(max_size=20),
        st.binary(max_size=200),
        st.binary(min_size=4, max_size=4),
    )
    def test_matches_pure_python(self, prefix: bytes, data: bytes, mask: bytes) -> None:
        assert speedups.apply_mask_prefixed(prefix, data, mask) == (
            _apply_mask_prefixed_py(prefix, data, mask)
        )


class TestUnmaskSlice:
    @pytest.mark.parametrize("length", range(65))
    def test_every_small_length(self, length: int) -> None:
        buffer = os.urandom(length + 20)
        for key_pos in (0, 3, 7):
            end = key_pos + 4 + length
            expected = _unmask_slice_py(buffer, key_pos, end)
            assert speedups.unmask_slice(buffer, key_pos, end) == expected

    def test_one_mebibyte(self) -> None:
        buffer = os.urandom((1 << 20) + 10)
        assert speedups.unmask_slice(buffer, 3, len(buffer)) == (
            _unmask_slice_py(buffer, 3, len(buffer))
        )

    def test_bytearray(self) -> None:
        buffer = bytearray(os.urandom(30))
        assert speedups.unmask_slice(buffer, 1, 25) == (_unmask_slice_py(buffer, 1, 25))

    @pytest.mark.parametrize(
        ("key_pos", "end"), [(-1, 5), (0, 3), (2, 5), (10, 9), (0, 19), (16, 20)]
    )
    def test_invalid_positions(self, key_pos: int, end: int) -> None:
        with pytest.raises(ValueError, match="invalid positions"):
            speedups.unmask_slice(bytes(18), key_pos, end)

    def test_invalid_arguments(self) -> None:
        with pytest.raises(TypeError, match="exactly 3 arguments"):
            speedups.unmask_slice(b"abcdef", 0)
        with pytest.raises(TypeError):
            speedups.unmask_slice(b"abcdef", "0", 6)
        with pytest.raises(TypeError):
            speedups.unmask_slice(b"abcdef", 0, None)
        with pytest.raises(OverflowError):
            speedups.unmask_slice(b"abcdef", 1 << 70, 6)
        with pytest.raises(OverflowError):
            speedups.unmask_slice(b"abcdef", 0, 1 << 70)
        with pytest.raises(TypeError):
            speedups.unmask_slice("abcdef", 0, 6)

    @given(st.binary(max_size=100), st.data())
    def test_matches_pure_python(self, buffer: bytes, data: st.DataObject) -> None:
        key_pos = data.draw(st.integers(min_value=-2, max_value=len(buffer) + 2))
        end = data.draw(st.integers(min_value=-2, max_value=len(buffer) + 2))
        try:
            expected = _unmask_slice_py(buffer, key_pos, end)
        except ValueError:
            with pytest.raises(ValueError):
                speedups.unmask_slice(buffer, key_pos, end)
        else:
            assert speedups.unmask_slice(buffer, key_pos, end) == expected


class TestUnmaskJoin:
    def test_chunks_of_every_phase(self) -> None:
        data = os.urandom(300)
        expected = _apply_mask_py(data, MASK)
        for first in range(9):
            for second in range(9):
                chunks = [data[:first], data[first : first + second]]
                chunks.append(data[first + second :])
                assert speedups.unmask_join(chunks, MASK) == expected

    def test_one_mebibyte_in_64_kib_chunks(self) -> None:
        data = os.urandom(1 << 20)
        chunks = [data[i : i + 65536] for i in range(0, len(data), 65536)]
        assert speedups.unmask_join(chunks, MASK) == _apply_mask_py(data, MASK)

    def test_bytes_like_chunks(self) -> None:
        raw = os.urandom(100)
        chunks: List[BytesLike] = [
            raw[:10],
            bytearray(raw[10:20]),
            memoryview(raw)[20:30],
            memoryview(raw)[30:60:2],
        ]
        assert speedups.unmask_join(chunks, MASK) == _unmask_join_py(chunks, MASK)
        assert speedups.unmask_join(tuple(chunks), MASK) == (
            _unmask_join_py(chunks, MASK)
        )

    def test_empty(self) -> None:
        assert speedups.unmask_join([], MASK) == b""
        assert speedups.unmask_join([b"", b""], MASK) == b""

    def test_keyword_arguments(self) -> None:
        assert speedups.unmask_join(chunks=[b"He", b"llo"], mask=MASK) == (
            bytes.fromhex("7f9f4d5158")
        )

    @pytest.mark.parametrize("mask", [b"", b"123", b"12345"])
    def test_mask_of_wrong_length(self, mask: bytes) -> None:
        with pytest.raises(ValueError, match="mask must contain 4 bytes"):
            speedups.unmask_join([b"abcd"], mask)

    def test_invalid_arguments(self) -> None:
        with pytest.raises(TypeError):
            speedups.unmask_join([b"ab"], "1234")
        with pytest.raises(TypeError, match="chunks must be a sequence"):
            speedups.unmask_join(42, MASK)
        with pytest.raises(TypeError):
            speedups.unmask_join([b"ab", "cd"], MASK)
        with pytest.raises(TypeError):
            speedups.unmask_join([b"ab"])

    @given(
        st.lists(st.binary(max_size=40), max_size=8), st.binary(min_size=4, max_size=4)
    )
    def test_matches_pure_python(self, chunks: List[bytes], mask: bytes) -> None:
        assert speedups.unmask_join(chunks, mask) == _unmask_join_py(chunks, mask)


class TestFrameBytes:
    @given(
        b0=st.integers(0, 255),
        length=st.sampled_from([0, 1, 7, 8, 125, 126, 127, 65535, 65536, 70001]),
        key=st.none() | st.binary(min_size=4, max_size=4),
    )
    def test_matches_pure_python(
        self, b0: int, length: int, key: Optional[bytes]
    ) -> None:
        data = os.urandom(length)
        assert speedups.frame_bytes(b0, data, key) == _frame_bytes_py(b0, data, key)

    @pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
    def test_bytes_like(self, kind: type) -> None:
        data = os.urandom(300)
        expected = _frame_bytes_py(0x82, data, MASK)
        assert speedups.frame_bytes(0x82, kind(data), kind(MASK)) == expected

    def test_memoryviews(self) -> None:
        wide = memoryview(array.array("H", range(100)))
        strided = memoryview(os.urandom(300))[::3]
        for view in (wide, strided):
            for key in (None, MASK):
                assert speedups.frame_bytes(0x82, view, key) == _frame_bytes_py(
                    0x82, view.tobytes(), key
                )

    def test_large_masked_payload_without_the_gil(self) -> None:
        data = os.urandom(1 << 20)
        assert speedups.frame_bytes(0x82, data, MASK) == _frame_bytes_py(
            0x82, data, MASK
        )

    @pytest.mark.parametrize("b0", [-1, 256, 1 << 80])
    def test_b0_out_of_range(self, b0: int) -> None:
        with pytest.raises((ValueError, OverflowError)):
            speedups.frame_bytes(b0, b"", None)

    @pytest.mark.parametrize("key", [b"", b"123", b"12345"])
    def test_key_of_wrong_length(self, key: bytes) -> None:
        with pytest.raises(ValueError, match="mask must contain 4 bytes"):
            speedups.frame_bytes(0x82, b"abc", key)

    def test_invalid_arguments(self) -> None:
        with pytest.raises(TypeError, match="takes exactly 3 arguments"):
            speedups.frame_bytes(0x82, b"abc")
        with pytest.raises(TypeError):
            speedups.frame_bytes("x", b"abc", None)
        with pytest.raises(TypeError):
            speedups.frame_bytes(0x82, "abc", None)
        with pytest.raises(TypeError):
            speedups.frame_bytes(0x82, b"abc", "1234")


def reference_parse(
    buffer: bytes, pos: int, mask: bool, max_size: Optional[int]
) -> Optional[Tuple[int, bytes, int]]:
    """What parse_frame() must return, from decode_header()."""
    end = len(buffer)
    if end - pos < 2:
        return None
    try:
        header_size, length = decode_header(buffer, pos, end, mask, max_size)
    except (ProtocolError, PayloadTooBig):
        return None
    stop = pos + header_size + length
    if length < 0 or stop > end:
        return None
    data = buffer[stop - length : stop]
    if mask:
        data = _apply_mask_py(data, buffer[stop - length - 4 : stop - length])
    return buffer[pos], data, stop


frames = st.builds(
    lambda b0, data, key: _frame_bytes_py(b0, data, key),
    st.integers(0, 255),
    st.binary(max_size=300),
    st.none() | st.binary(min_size=4, max_size=4),
)


class TestParseFrame:
    @given(
        prefix=st.binary(max_size=4),
        frame=frames,
        cut=st.integers(0, 20),
        suffix=st.binary(max_size=4),
        mask=st.booleans(),
        max_size=st.none() | st.integers(-1, 400),
    )
    def test_matches_decode_header(
        self,
        prefix: bytes,
        frame: bytes,
        cut: int,
        suffix: bytes,
        mask: bool,
        max_size: Optional[int],
    ) -> None:
        # Valid and invalid frames, complete or cut short, anywhere in a
        # buffer.
        buffer = prefix + frame[: len(frame) - cut] + suffix
        for pos in range(min(len(buffer), len(prefix) + 1) + 1):
            assert speedups.parse_frame(buffer, pos, mask, max_size) == (
                reference_parse(buffer, pos, mask, max_size)
            )

    @given(buffer=st.binary(max_size=20), mask=st.booleans())
    def test_random_bytes(self, buffer: bytes, mask: bool) -> None:
        for pos in range(len(buffer) + 1):
            assert speedups.parse_frame(buffer, pos, mask, None) == (
                reference_parse(buffer, pos, mask, None)
            )

    @pytest.mark.parametrize("length", [126, 65535, 65536, 1 << 20])
    @pytest.mark.parametrize("key", [None, MASK])
    def test_extended_lengths(self, length: int, key: Optional[bytes]) -> None:
        data = os.urandom(length)
        frame = _frame_bytes_py(0x82, data, key)
        assert speedups.parse_frame(frame, 0, key is not None, None) == (
            0x82,
            data,
            len(frame),
        )
        # One byte short, or above max_size: not a frame (yet).
        assert speedups.parse_frame(frame[:-1], 0, key is not None, None) is None
        assert speedups.parse_frame(frame, 0, key is not None, length - 1) is None

    def test_huge_lengths(self) -> None:
        # 64-bit length with the most significant bit set: invalid.
        assert speedups.parse_frame(b"\x82\x7f" + b"\xff" * 8, 0, False, None) is None
        # Valid length, far beyond the buffer.
        assert speedups.parse_frame(b"\x82\x7f" + b"\x7f" * 8, 0, False, None) is None

    @pytest.mark.parametrize("max_size", [1 << 64, 1 << 100])
    def test_limit_beyond_64_bits(self, max_size: int) -> None:
        assert speedups.parse_frame(b"\x81\x02hi", 0, False, max_size) == (
            0x81,
            b"hi",
            4,
        )

    @pytest.mark.parametrize("max_size", [-1, -(1 << 100)])
    def test_negative_limit(self, max_size: int) -> None:
        assert speedups.parse_frame(b"\x81\x00", 0, False, max_size) is None

    def test_bytes_like(self) -> None:
        frame = bytearray(b"\x81\x02hi")
        assert speedups.parse_frame(frame, 0, False, None) == (0x81, b"hi", 4)
        view = memoryview(b"xx\x81\x02hi" * 2)[::1]
        assert speedups.parse_frame(view, 2, False, None) == (0x81, b"hi", 6)

    def test_invalid_arguments(self) -> None:
        with pytest.raises(TypeError, match="takes exactly 4 arguments"):
            speedups.parse_frame(b"", 0, False)
        with pytest.raises(ValueError, match="invalid position"):
            speedups.parse_frame(b"\x81\x00", 3, False, None)
        with pytest.raises(ValueError, match="invalid position"):
            speedups.parse_frame(b"\x81\x00", -1, False, None)
        with pytest.raises(TypeError):
            speedups.parse_frame(b"\x81\x00", "0", False, None)
        with pytest.raises(TypeError):
            speedups.parse_frame(b"\x81\x00", 0, False, "1")
        with pytest.raises(TypeError):
            speedups.parse_frame("\x81\x00", 0, False, None)

        class Falsy:
            def __bool__(self) -> bool:
                raise ZeroDivisionError

        with pytest.raises(ZeroDivisionError):
            speedups.parse_frame(b"\x81\x00", 0, Falsy(), None)


class TestParseWholeFrame:
    @given(
        frame=frames,
        cut=st.integers(0, 20),
        suffix=st.binary(max_size=4),
        mask=st.booleans(),
        max_size=st.none() | st.integers(-1, 400),
    )
    def test_matches_parse_frame(
        self,
        frame: bytes,
        cut: int,
        suffix: bytes,
        mask: bool,
        max_size: Optional[int],
    ) -> None:
        # A frame that fills the buffer, or one cut short, or followed by
        # more bytes: only the first is a whole frame.
        buffer = frame[: len(frame) - cut] + suffix
        parsed = reference_parse(buffer, 0, mask, max_size)
        if parsed is not None and parsed[2] != len(buffer):
            parsed = None
        assert speedups.parse_whole_frame(buffer, mask, max_size) == parsed

    def test_frame_followed_by_another(self) -> None:
        frame = _frame_bytes_py(0x81, b"hello", MASK)
        assert speedups.parse_whole_frame(frame, True, None) == (0x81, b"hello", 11)
        assert speedups.parse_whole_frame(frame + frame, True, None) is None

    def test_invalid_arguments(self) -> None:
        with pytest.raises(TypeError, match="takes exactly 3 arguments"):
            speedups.parse_whole_frame(b"", False)
        with pytest.raises(TypeError):
            speedups.parse_whole_frame("\x81\x00", False, None)


class TestDeadlineTypes:
    # Their behaviour is tested with their pure-Python twins' in
    # test_deadlines.py; here, what only the C types have to guard.

    def test_deadlines_use_them(self) -> None:
        # Else test_deadlines.py's "c" runs would test the twins twice.
        from websockets import deadlines

        assert deadlines.Deadline is speedups.Deadline
        assert issubclass(deadlines.DeadlineQueue, speedups.DeadlineQueueBase)

    def test_deadline_is_made_by_a_queue_only(self) -> None:
        with pytest.raises(TypeError):
            speedups.Deadline()

    def test_queue_base_without_init(self) -> None:
        # A subclass that doesn't call the base __init__.
        queue = speedups.DeadlineQueueBase.__new__(speedups.DeadlineQueueBase)
        with pytest.raises(RuntimeError, match="isn't initialized"):
            queue.add(lambda: None)

    def test_queue_base_arguments(self) -> None:
        with pytest.raises(TypeError):
            speedups.DeadlineQueueBase(None, "not a delay")

    def test_read_only_attributes(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            queue = speedups.DeadlineQueueBase(loop, 1)
            for name in ("loop", "delay", "entries"):
                with pytest.raises(AttributeError):
                    setattr(queue, name, None)
        finally:
            loop.close()
