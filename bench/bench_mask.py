"""Throughput of apply_mask on 1 MiB: pure Python and the C accelerator.

Usage: python bench/bench_mask.py
"""

from __future__ import annotations

import os
import timeit

from websockets.utils import _apply_mask_py

SIZE = 1 << 20


def measure(name: str, func: object, repeat: int = 5) -> None:
    data = os.urandom(SIZE)
    mask = os.urandom(4)
    number = 1
    # Calibrate to about 0.2 s per measurement.
    while True:
        elapsed = timeit.timeit(lambda: func(data, mask), number=number)  # type: ignore[operator]
        if elapsed > 0.2:
            break
        number *= 2
    best = min(
        timeit.repeat(lambda: func(data, mask), number=number, repeat=repeat)  # type: ignore[operator]
    )
    print(f"{name:>8}: {SIZE * number / best / 1e6:10.1f} MB/s")


def main() -> None:
    measure("python", _apply_mask_py)
    try:
        from websockets.speedups import apply_mask
    except ImportError:
        print("       C: not built")
    else:
        measure("C", apply_mask)


if __name__ == "__main__":
    main()
