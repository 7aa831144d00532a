"""Throughput of the incremental frame parser (websockets.frame_parser).

Scenarios, both with masked frames (what a server receives) fed to a
FrameParser in 64 KiB chunks, like data_received() gets them:

(a) 100,000 frames with 64-byte payloads;
(b) 1 MiB frames.

Usage: python bench/bench_framing.py [--python]

--python replaces the C masking helpers with the pure-Python ones.
"""

from __future__ import annotations

import os
import sys
import time
from typing import List

from websockets import frame_parser, framing, utils
from websockets.frame_parser import FrameParser
from websockets.framing import OP_BINARY, Frame

CHUNK = 65536


def make_stream(payload_size: int, count: int) -> List[bytes]:
    frame = Frame(True, OP_BINARY, os.urandom(payload_size))
    stream = b"".join(frame.serialize(mask=True) for _ in range(count))
    return [stream[i : i + CHUNK] for i in range(0, len(stream), CHUNK)]


def run(chunks: List[bytes], count: int, payload_size: int) -> float:
    parser = FrameParser(mask=True, max_size=None)
    feed = parser.feed
    next_frame = parser.next_frame
    received = 0
    start = time.perf_counter()
    for chunk in chunks:
        feed(chunk)
        while (frame := next_frame()) is not None:
            received += 1
    elapsed = time.perf_counter() - start
    assert received == count, (received, count)
    assert len(frame.data if frame else b"") in (0, payload_size)
    return elapsed


def scenario(name: str, payload_size: int, count: int, repeat: int = 5) -> None:
    chunks = make_stream(payload_size, count)
    best = min(run(chunks, count, payload_size) for _ in range(repeat))
    frames_per_s = count / best
    mb_per_s = count * payload_size / best / 1e6
    print(
        f"{name}: {frames_per_s:12,.0f} frames/s {mb_per_s:10.1f} MB/s of payload"
        f" ({best * 1e3:.1f} ms for {count} frames)"
    )


def main() -> None:
    if "--python" in sys.argv:
        framing.apply_mask_prefixed = utils._apply_mask_prefixed_py
        for name in ["unmask_slice", "unmask_join"]:
            setattr(frame_parser, name, getattr(utils, f"_{name}_py"))
        print("pure-Python masking")
    else:
        print(f"masking from {utils.unmask_slice.__module__}")
    scenario("(a) 100k x 64 B  ", 64, 100_000)
    scenario("(b) 1 MiB frames ", 1 << 20, 64)


if __name__ == "__main__":
    main()
