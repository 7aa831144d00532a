"""Masking helpers: RFC 6455, section 5.3.

:func:`apply_mask` is what the rest of websockets imports. It comes from the
optional C accelerator :mod:`websockets.speedups` when that module was built,
and from the pure-Python implementation in this module otherwise.

:func:`apply_mask_prefixed` writes a masked frame (header, then masked
payload) into a single new buffer.

:func:`frame_bytes` writes a whole frame, header included, masked or not:
the hot path of sending.

Three more helpers serve the incremental frame parser in
:mod:`websockets.frame_parser`, which unmasks every payload it receives:

* :func:`unmask_slice` unmasks a payload in place in a receive buffer, reading
  the masking key from the buffer too, without slicing either of them first;
* :func:`unmask_join` unmasks a payload that arrived in several chunks,
  joining and unmasking them in one pass;
* ``parse_frame`` decodes a frame that lies entirely in a receive buffer, in
  one call, and ``parse_whole_frame`` a frame that fills a received chunk
  exactly (the connection's fast path for small messages); they're ``None``
  without the accelerator, and the parser then does the same in Python.

Their pure-Python versions are always available as ``_apply_mask_py``,
``_apply_mask_prefixed_py``, ``_frame_bytes_py``, ``_unmask_slice_py`` and
``_unmask_join_py``.

"""

from __future__ import annotations

import os
import struct
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from .typing import BytesLike

__all__ = [
    "apply_mask",
    "apply_mask_prefixed",
    "frame_bytes",
    "generate_mask",
    "parse_frame",
    "parse_head",
    "parse_whole_frame",
    "unmask_join",
    "unmask_slice",
]


def _as_bytes(data: BytesLike) -> bytes:
    """Return the content of a bytes-like object as :class:`bytes`.

    :class:`bytes` objects are returned unchanged. Other objects, including
    non-contiguous or multi-dimensional :class:`memoryview` objects, are
    copied in C order, like :meth:`memoryview.tobytes` does.

    :raises TypeError: if ``data`` doesn't support the buffer protocol

    """
    if type(data) is bytes:
        return data
    return memoryview(data).tobytes()


def _apply_mask_py(data: BytesLike, mask: BytesLike) -> bytes:
    """Apply a masking key to data, in pure Python.

    RFC 6455, section 5.3: octet ``i`` of the result is octet ``i`` of
    ``data`` XOR octet ``i MOD 4`` of ``mask``. Masking and unmasking are the
    same operation.

    The whole buffer is XORed at once as a big integer: CPython does that in
    C, a machine word at a time, which is much faster than a loop over bytes.

    :param data: data to mask or unmask
    :param mask: 4-byte masking key
    :raises ValueError: if ``mask`` isn't 4 bytes long
    :raises TypeError: if ``data`` or ``mask`` isn't bytes-like

    """
    mask = _as_bytes(mask)
    if len(mask) != 4:
        raise ValueError("mask must contain 4 bytes")
    data = _as_bytes(data)
    length = len(data)
    # One expression: each temporary is released as soon as it's used, which
    # is measurably faster on large payloads than keeping them in locals.
    return (
        int.from_bytes(data, "little")
        ^ int.from_bytes(mask * (length >> 2) + mask[: length & 3], "little")
    ).to_bytes(length, "little")


def _apply_mask_prefixed_py(
    prefix: BytesLike, data: BytesLike, mask: BytesLike
) -> bytes:
    """Return ``prefix`` followed by ``data`` masked with ``mask``.

    This is how a masked frame is laid out: header and masking key, then the
    masked payload (RFC 6455, section 5.2). The C version builds the result
    in a single allocation.

    :param prefix: bytes to copy as they are
    :param data: data to mask
    :param mask: 4-byte masking key
    :raises ValueError: if ``mask`` isn't 4 bytes long
    :raises TypeError: if an argument isn't bytes-like

    """
    return b"".join((_as_bytes(prefix), _apply_mask_py(data, mask)))


def _unmask_slice_py(buffer: BytesLike, key_pos: int, end: int) -> bytes:
    """Unmask the payload of a frame that lies in a receive buffer.

    The masking key is ``buffer[key_pos:key_pos + 4]``; the masked payload
    follows it immediately, up to ``end``: this is the layout of a masked
    frame on the wire (RFC 6455, section 5.2).

    :param buffer: receive buffer
    :param key_pos: position of the masking key in ``buffer``
    :param end: end of the payload in ``buffer``
    :raises ValueError: if the positions are outside ``buffer``

    """
    if not 0 <= key_pos <= key_pos + 4 <= end <= len(buffer):
        raise ValueError("invalid positions")
    return _apply_mask_py(buffer[key_pos + 4 : end], buffer[key_pos : key_pos + 4])


def _unmask_join_py(chunks: Sequence[BytesLike], mask: BytesLike) -> bytes:
    """Concatenate chunks of a masked payload and unmask the result.

    The mask is applied across chunk boundaries as if the chunks were one
    buffer (RFC 6455, section 5.3).

    :param chunks: consecutive pieces of the payload
    :param mask: 4-byte masking key
    :raises ValueError: if ``mask`` isn't 4 bytes long
    :raises TypeError: if a chunk or ``mask`` isn't bytes-like

    """
    try:
        joined = b"".join(chunks)
    except TypeError:  # non-contiguous memoryview or not bytes-like
        joined = b"".join([_as_bytes(chunk) for chunk in chunks])
    return _apply_mask_py(joined, mask)


_pack_short = struct.Struct("!BB").pack
_pack_medium = struct.Struct("!BBH").pack
_pack_long = struct.Struct("!BBQ").pack


def _frame_bytes_py(b0: int, data: BytesLike, key: Optional[bytes]) -> bytes:
    """Return a frame as it goes on the wire: RFC 6455, section 5.2.

    The header starts with ``b0`` (FIN, RSV1-3 and opcode), then the length
    of ``data`` in the shortest form; the payload follows, masked with
    ``key`` and preceded by it when ``key`` isn't ``None`` (section 5.3).
    The C version builds it in a single allocation.

    :param b0: first byte of the header
    :param data: payload
    :param key: 4-byte masking key, or ``None`` not to mask
    :raises ValueError: if ``b0`` isn't a byte or ``key`` isn't 4 bytes long

    """
    if not 0 <= b0 < 256:
        raise ValueError("b0 must be in range(256)")
    length = data.nbytes if type(data) is memoryview else len(data)
    mask_bit = 0 if key is None else 0x80
    if length < 126:
        header = _pack_short(b0, mask_bit | length)
    elif length < 65536:
        header = _pack_medium(b0, mask_bit | 126, length)
    else:
        header = _pack_long(b0, mask_bit | 127, length)
    if key is None:
        return b"".join((header, data))
    return _apply_mask_prefixed_py(header + key, data, key)


ParseFrame = Callable[
    [BytesLike, int, bool, Optional[int]], Optional[Tuple[int, bytes, int]]
]
ParseWholeFrame = Callable[
    [BytesLike, bool, Optional[int]], Optional[Tuple[int, bytes, int]]
]
ParseHead = Callable[
    [BytesLike, int, int, Dict[str, str]],
    Optional[Tuple[bytes, List[Tuple[str, str]], List[str], int]],
]

# Masking keys drawn from the OS in batches: one os.urandom(4) call is a
# system call that costs more than masking and framing a small message.
_MASK_BATCH = 256
_mask_pool: List[bytes] = []


def generate_mask() -> bytes:
    """Return a fresh 4-byte masking key.

    RFC 6455, section 5.3: the client must pick a fresh masking key for each
    frame, derived from a strong source of entropy, so that it can't be
    predicted. Keys come from :func:`os.urandom`, the operating system's
    CSPRNG (the one :mod:`secrets` uses), fetched 256 at a time. Each key is
    handed out once: :meth:`list.pop` is atomic, so concurrent threads never
    share a key, and a forked child process starts with an empty pool rather
    than reusing its parent's keys.

    """
    try:
        return _mask_pool.pop()
    except IndexError:
        random = os.urandom(4 * _MASK_BATCH)
        _mask_pool.extend([random[i : i + 4] for i in range(4, 4 * _MASK_BATCH, 4)])
        return random[:4]


if hasattr(os, "register_at_fork"):  # pragma: no branch (not on Windows)
    os.register_at_fork(after_in_child=_mask_pool.clear)


apply_mask = _apply_mask_py
apply_mask_prefixed = _apply_mask_prefixed_py
unmask_slice = _unmask_slice_py
unmask_join = _unmask_join_py
frame_bytes = _frame_bytes_py
# No pure-Python twin: the frame parser's own code is the fallback.
parse_frame: Optional[ParseFrame] = None
parse_whole_frame: Optional[ParseWholeFrame] = None
# Its pure-Python twin is websockets.http._parse_head_py.
parse_head: Optional[ParseHead] = None

try:
    from .speedups import (
        apply_mask,
        apply_mask_prefixed,
        frame_bytes,
        parse_frame,
        parse_head,
        parse_whole_frame,
        unmask_join,
        unmask_slice,
    )
except ImportError:  # the optional C accelerator wasn't built
    pass
