"""Throughput of permessage-deflate (websockets.extensions.permessage_deflate).

The extensions come from a negotiation between the factories that
``compression="deflate"`` builds: the server limits both windows to 12 bits
and both sides compress with ``memLevel=5``.

Scenarios:

(a) one 1 MiB JSON-like message, server to client: compression ratio and
    compress / decompress speed, in MB/s of uncompressed data;
(b) the same message compressed by zlib alone with the same settings, to show
    the cost of the extension layer;
(c) 10,000 small JSON-like messages (about 100 bytes), with and without
    context takeover, in messages/s for compress + decompress.

Usage: python bench/bench_deflate.py
"""

from __future__ import annotations

import json
import random
import time
import zlib
from typing import Callable, List, Tuple

from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.framing import OP_TEXT, Frame

MiB = 1 << 20
REPEAT = 15  # best of: the machine is shared, timings are noisy


def json_like(rng: random.Random, size: int) -> bytes:
    """JSON array of records, like an API response, truncated to ``size``."""
    names = ["alice", "bob", "carol", "dave", "eve", "mallory", "trent"]
    records = []
    length = 2  # brackets
    while length < size:
        record = {
            "id": rng.randrange(10**9),
            "user": rng.choice(names),
            "score": round(rng.random() * 100, 3),
            "active": rng.random() < 0.5,
            "tags": rng.sample(["a", "b", "c", "d", "e", "f"], 3),
            "token": rng.randbytes(6).hex(),
        }
        records.append(record)
        length += len(json.dumps(record)) + 2  # comma and space
    return json.dumps(records).encode()[:size]


def negotiate(
    no_context_takeover: bool = False,
) -> Tuple[PerMessageDeflate, PerMessageDeflate]:
    """Return the (server, client) extensions of compression="deflate"."""
    server_factory = ServerPerMessageDeflateFactory(
        server_no_context_takeover=no_context_takeover,
        client_no_context_takeover=no_context_takeover,
        server_max_window_bits=12,
        client_max_window_bits=12,
        compress_settings={"memLevel": 5},
    )
    client_factory = ClientPerMessageDeflateFactory(
        client_max_window_bits=True, compress_settings={"memLevel": 5}
    )
    offer = client_factory.get_request_params()
    response, server = server_factory.process_request_params(offer, [])
    client = client_factory.process_response_params(response, [])
    return server, client


def best_of(repeat: int, func: Callable[[], None]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def large_message(data: bytes) -> None:
    server, client = negotiate()
    frame = Frame(True, OP_TEXT, data)
    compressed: List[Frame] = []

    def compress() -> None:
        compressed.append(server.encode(frame))

    def decompress() -> None:
        client.decode(compressed[-1], max_size=2 * MiB)

    # Context takeover: compress and decompress in lockstep so that the
    # decompressor sees the same stream as the compressor.
    t_compress = t_decompress = float("inf")
    for _ in range(REPEAT):
        t_compress = min(t_compress, best_of(1, compress))
        t_decompress = min(t_decompress, best_of(1, decompress))
    assert client.decode(server.encode(frame)).data == data
    size = len(compressed[0].data)
    mb = len(data) / 1e6
    print(
        f"(a) extension, 1 MiB JSON: {len(data)} -> {size} bytes, "
        f"ratio {len(data) / size:.2f}:1 ({100 * size / len(data):.1f}%)"
    )
    print(
        f"    compress {mb / t_compress:7.1f} MB/s, "
        f"decompress {mb / t_decompress:7.1f} MB/s, "
        f"round trip {mb / (t_compress + t_decompress):7.1f} MB/s"
    )


def raw_zlib(data: bytes) -> None:
    compressor = zlib.compressobj(wbits=-12, memLevel=5)
    decompressor = zlib.decompressobj(wbits=-12)
    out: List[bytes] = []

    def compress() -> None:
        out.append(compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH))

    def decompress() -> None:
        decompressor.decompress(out[-1])

    t_compress = t_decompress = float("inf")
    for _ in range(REPEAT):
        t_compress = min(t_compress, best_of(1, compress))
        t_decompress = min(t_decompress, best_of(1, decompress))
    mb = len(data) / 1e6
    print(
        f"(b) raw zlib, same settings: compress {mb / t_compress:7.1f} MB/s, "
        f"decompress {mb / t_decompress:7.1f} MB/s"
    )


def small_messages(rng: random.Random, count: int) -> None:
    messages = [Frame(True, OP_TEXT, json_like(rng, 100)) for _ in range(count)]
    for no_context_takeover in (False, True):

        def run(no_context_takeover: bool = no_context_takeover) -> None:
            server, client = negotiate(no_context_takeover)
            encode, decode = server.encode, client.decode
            for frame in messages:
                decode(encode(frame), max_size=MiB)

        elapsed = best_of(3, run)
        server, _ = negotiate(no_context_takeover)
        size = sum(len(server.encode(frame).data) for frame in messages)
        label = "without" if no_context_takeover else "with   "
        print(
            f"(c) {count} x 100 bytes {label} context takeover: "
            f"{count / elapsed:9,.0f} msg/s compress+decompress, "
            f"ratio {100 * size / (100 * count):.1f}%"
        )


def main() -> None:
    rng = random.Random(42)
    data = json_like(rng, MiB)
    large_message(data)
    raw_zlib(data)
    small_messages(rng, 10_000)


if __name__ == "__main__":
    main()
