"""Tests for websockets.utils: masking in pure Python (RFC 6455, 5.3)."""

from __future__ import annotations

import array
import importlib
import os
import sys
from typing import List, Union

import pytest
from hypothesis import given
from hypothesis import strategies as st

import websockets
from websockets import framing, sending, utils
from websockets import typing as ws_typing
from websockets.typing import BytesLike
from websockets.utils import (
    _apply_mask_prefixed_py,
    _apply_mask_py,
    _frame_bytes_py,
    _unmask_join_py,
    _unmask_slice_py,
    generate_mask,
)

MASK = bytes.fromhex("37fa213d")


def reference_mask(data: bytes, mask: bytes) -> bytes:
    """The definition of RFC 6455, section 5.3, one byte at a time."""
    return bytes(b ^ mask[i % 4] for i, b in enumerate(data))


class TestApplyMaskPy:
    def test_rfc_6455_example(self) -> None:
        # RFC 6455, section 5.7: "Hello" masked with 37 fa 21 3d.
        mask = bytes.fromhex("37fa213d")
        assert _apply_mask_py(b"Hello", mask) == bytes.fromhex("7f9f4d5158")
        assert _apply_mask_py(bytes.fromhex("7f9f4d5158"), mask) == b"Hello"

    @pytest.mark.parametrize("length", range(65))
    def test_every_small_length(self, length: int) -> None:
        data = bytes(range(100, 100 + length))
        mask = b"\x01\x80\xfe\x37"
        result = _apply_mask_py(data, mask)
        assert type(result) is bytes
        assert result == reference_mask(data, mask)

    def test_leading_zero_bytes_are_kept(self) -> None:
        # The XOR can produce zero bytes at either end: the length is kept.
        mask = b"\xaa\xbb\xcc\xdd"
        assert _apply_mask_py(mask * 3, mask) == bytes(12)
        assert _apply_mask_py(bytes(7), bytes(4)) == bytes(7)

    @pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
    def test_bytes_like_data_and_mask(self, kind: type) -> None:
        data, mask = b"abcdefghij", b"1234"
        expected = reference_mask(data, mask)
        assert _apply_mask_py(kind(data), kind(mask)) == expected

    def test_non_contiguous_memoryview(self) -> None:
        raw = bytes(range(200))
        view = memoryview(raw)[1::3]
        assert not view.c_contiguous
        mask = b"\x10\x20\x30\x40"
        assert _apply_mask_py(view, mask) == reference_mask(raw[1::3], mask)

    def test_multi_byte_format_memoryview(self) -> None:
        # len() of such a view counts items, not bytes.
        data = array.array("i", [1, 2, 3, -1])
        mask = b"\x00\xff\x00\xff"
        expected = reference_mask(data.tobytes(), mask)
        assert _apply_mask_py(memoryview(data), mask) == expected

    @pytest.mark.parametrize("mask", [b"", b"123", b"12345"])
    def test_mask_of_wrong_length(self, mask: bytes) -> None:
        with pytest.raises(ValueError, match="mask must contain 4 bytes"):
            _apply_mask_py(b"abcd", mask)

    def test_not_bytes_like(self) -> None:
        with pytest.raises(TypeError):
            _apply_mask_py("abcd", b"1234")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            _apply_mask_py(b"abcd", "1234")  # type: ignore[arg-type]

    @given(st.binary(max_size=300), st.binary(min_size=4, max_size=4))
    def test_matches_definition(self, data: bytes, mask: bytes) -> None:
        assert _apply_mask_py(data, mask) == reference_mask(data, mask)
        assert _apply_mask_py(_apply_mask_py(data, mask), mask) == data


class TestApplyMaskPrefixedPy:
    def test_prefix_then_masked_data(self) -> None:
        result = _apply_mask_prefixed_py(b"\x81\x85" + MASK, b"Hello", MASK)
        assert result == bytes.fromhex("818537fa213d7f9f4d5158")
        assert type(result) is bytes

    def test_bytes_like(self) -> None:
        result = _apply_mask_prefixed_py(
            memoryview(b"xxhead")[::2], bytearray(b"Hello"), memoryview(MASK)
        )
        assert result == b"xha" + bytes.fromhex("7f9f4d5158")

    def test_errors(self) -> None:
        with pytest.raises(ValueError, match="mask must contain 4 bytes"):
            _apply_mask_prefixed_py(b"", b"abcd", b"123")
        with pytest.raises(TypeError):
            _apply_mask_prefixed_py("head", b"abcd", MASK)  # type: ignore[arg-type]


class TestUnmaskHelpersPy:
    def test_unmask_slice(self) -> None:
        mask = bytes.fromhex("37fa213d")
        buffer = b"\x81\x85" + mask + bytes.fromhex("7f9f4d5158") + b"trailer"
        assert _unmask_slice_py(buffer, 2, 11) == b"Hello"
        assert _unmask_slice_py(bytearray(buffer), 2, 11) == b"Hello"
        assert _unmask_slice_py(buffer, 2, 6) == b""

    @pytest.mark.parametrize(
        ("key_pos", "end"), [(-1, 5), (0, 3), (2, 5), (10, 9), (0, 19), (16, 20)]
    )
    def test_unmask_slice_invalid_positions(self, key_pos: int, end: int) -> None:
        with pytest.raises(ValueError, match="invalid positions"):
            _unmask_slice_py(bytes(18), key_pos, end)

    def test_unmask_join(self) -> None:
        mask = b"\x01\x02\x03\x04"
        data = bytes(range(50))
        chunks: List[BytesLike] = [
            data[:3],
            memoryview(data)[3:10],
            bytearray(data[10:40]),
            memoryview(data)[40:50:2],
            b"",
        ]
        expected = reference_mask(data[:40] + data[40:50:2], mask)
        assert _unmask_join_py(chunks, mask) == expected
        assert _unmask_join_py([], mask) == b""

    def test_unmask_join_not_bytes_like(self) -> None:
        with pytest.raises(TypeError):
            _unmask_join_py([b"ab", "cd"], b"1234")  # type: ignore[list-item]

    def test_unmask_join_mask_of_wrong_length(self) -> None:
        with pytest.raises(ValueError, match="mask must contain 4 bytes"):
            _unmask_join_py([b"ab"], b"12")


class TestFrameBytesPy:
    def test_rfc6455_examples(self) -> None:
        # RFC 6455, section 5.7: a single-frame unmasked / masked text message.
        assert _frame_bytes_py(0x81, b"Hello", None) == bytes.fromhex("810548656c6c6f")
        assert _frame_bytes_py(0x81, b"Hello", MASK) == bytes.fromhex(
            "818537fa213d7f9f4d5158"
        )

    @pytest.mark.parametrize(
        "length, header",
        [
            (0, "8200"),
            (125, "827d"),
            (126, "827e007e"),
            (65535, "827effff"),
            (65536, "827f0000000000010000"),
        ],
    )
    def test_length_forms(self, length: int, header: str) -> None:
        # RFC 6455, section 5.2: 7-bit, 16-bit and 64-bit lengths.
        data = os.urandom(length)
        assert _frame_bytes_py(0x82, data, None) == bytes.fromhex(header) + data
        masked = _frame_bytes_py(0x82, data, MASK)
        head = bytearray.fromhex(header)
        head[1] |= 0x80
        assert masked == bytes(head) + MASK + reference_mask(data, MASK)

    @pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
    def test_bytes_like(self, kind: type) -> None:
        assert _frame_bytes_py(0x82, kind(b"abc"), None) == b"\x82\x03abc"

    def test_memoryview_of_wider_items(self) -> None:
        # The length on the wire counts bytes, not items.
        view = memoryview(array.array("H", [1, 2, 3]))
        frame = _frame_bytes_py(0x82, view, None)
        assert frame == b"\x82\x06" + view.tobytes()

    @pytest.mark.parametrize("b0", [-1, 256])
    def test_b0_out_of_range(self, b0: int) -> None:
        with pytest.raises(ValueError, match="b0 must be in range"):
            _frame_bytes_py(b0, b"", None)

    def test_key_of_wrong_length(self) -> None:
        with pytest.raises(ValueError, match="mask must contain 4 bytes"):
            _frame_bytes_py(0x82, b"abc", b"123")


class TestGenerateMask:
    def test_four_random_bytes(self) -> None:
        # Several batches of keys from the OS.
        masks = [generate_mask() for _ in range(1000)]
        assert all(type(mask) is bytes and len(mask) == 4 for mask in masks)
        # 1000 draws of 32 random bits collide with probability ~1e-4.
        assert len(set(masks)) >= 999

    def test_batches_from_os_urandom(self, monkeypatch: pytest.MonkeyPatch) -> None:
        calls: List[int] = []

        def urandom(n: int) -> bytes:
            calls.append(n)
            return b"".join(i.to_bytes(4, "big") for i in range(n // 4))

        monkeypatch.setattr(os, "urandom", urandom)
        monkeypatch.setattr(utils, "_mask_pool", [])
        masks = [utils.generate_mask() for _ in range(513)]
        assert calls == [1024, 1024, 1024]
        assert masks[0] == bytes(4)
        # Every key of a batch is used once.
        assert len(set(masks[:256])) == 256

    @pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
    def test_fork_gets_fresh_keys(self) -> None:
        generate_mask()  # fill the pool
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover (child process)
            try:
                os.write(write_fd, b"".join(generate_mask() for _ in range(8)))
            finally:
                os._exit(0)
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as reader:
            child = reader.read()
        os.waitpid(pid, 0)
        parent = b"".join(generate_mask() for _ in range(8))
        assert len(child) == 32
        assert child != parent


class TestFallback:
    def test_pure_python_when_speedups_is_missing(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Setting the module to None in sys.modules makes its import fail.
        monkeypatch.setitem(sys.modules, "websockets.speedups", None)
        try:
            importlib.reload(utils)
            assert utils.apply_mask.__module__ == "websockets.utils"
            assert utils.apply_mask_prefixed.__module__ == "websockets.utils"
            assert utils.unmask_slice.__module__ == "websockets.utils"
            assert utils.unmask_join.__module__ == "websockets.utils"
            assert utils.frame_bytes.__module__ == "websockets.utils"
            assert utils.parse_frame is None
            assert utils.parse_whole_frame is None
            assert utils.apply_mask(b"Hello", bytes.fromhex("37fa213d")) == (
                bytes.fromhex("7f9f4d5158")
            )
        finally:
            monkeypatch.undo()
            importlib.reload(utils)

    def test_accelerator_when_available(self) -> None:
        try:
            from websockets import speedups
        except ImportError:  # pragma: no cover
            pytest.skip("websockets.speedups isn't built")
        assert utils.apply_mask is speedups.apply_mask
        assert utils.apply_mask_prefixed is speedups.apply_mask_prefixed
        assert utils.unmask_slice is speedups.unmask_slice
        assert utils.unmask_join is speedups.unmask_join
        assert utils.frame_bytes is speedups.frame_bytes
        assert utils.parse_frame is speedups.parse_frame
        assert utils.parse_whole_frame is speedups.parse_whole_frame


def test_bytes_like_is_defined_once() -> None:
    # websockets.typing defines BytesLike; the modules that annotate bytes-like
    # payloads import it. It's internal: not a name of the public API.
    assert BytesLike == Union[bytes, bytearray, memoryview]
    # (closing and keepalive annotate through attributes.ConnectionAttributes.)
    for module in [framing, sending, utils]:
        assert module.BytesLike is ws_typing.BytesLike, module.__name__
    assert "BytesLike" not in ws_typing.__all__
    assert "BytesLike" not in websockets.__all__
