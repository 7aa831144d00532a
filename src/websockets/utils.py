"""Masking helpers: RFC 6455, section 5.3.

:func:`apply_mask` is what the rest of websockets imports. It comes from the
optional C accelerator :mod:`websockets.speedups` when that module was built,
and from the pure-Python implementation in this module otherwise.

Two more helpers serve the incremental frame parser in
:mod:`websockets.framing`, which unmasks every payload it receives:

* :func:`unmask_slice` unmasks a payload in place in a receive buffer, reading
  the masking key from the buffer too, without slicing either of them first;
* :func:`unmask_join` unmasks a payload that arrived in several chunks,
  joining and unmasking them in one pass.

Their pure-Python versions are always available as ``_apply_mask_py``,
``_unmask_slice_py`` and ``_unmask_join_py``.

"""

from __future__ import annotations

import os
from typing import Sequence, Union

__all__ = ["apply_mask", "generate_mask", "unmask_join", "unmask_slice"]

BytesLike = Union[bytes, bytearray, memoryview]


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
    repeated = mask * (length >> 2) + mask[: length & 3]
    data_int = int.from_bytes(data, "little")
    mask_int = int.from_bytes(repeated, "little")
    return (data_int ^ mask_int).to_bytes(length, "little")


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


def generate_mask() -> bytes:
    """Return a fresh 4-byte masking key.

    RFC 6455, section 5.3: the masking key must be derived from a strong
    source of entropy and be unpredictable; :func:`os.urandom` is the
    operating system's CSPRNG (the one :mod:`secrets` uses).

    """
    return os.urandom(4)


apply_mask = _apply_mask_py
unmask_slice = _unmask_slice_py
unmask_join = _unmask_join_py

try:
    from .speedups import apply_mask, unmask_join, unmask_slice
except ImportError:  # the optional C accelerator wasn't built
    pass
