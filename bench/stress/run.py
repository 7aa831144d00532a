"""``make stress``: hostile peers against a websockets server or client
running in a process of its own; peak RSS growth against the documented
bound (docs/security.rst).

Each scenario runs for ``--duration`` seconds (10 by default) or until the
peer process exits, whichever comes first; the peak RSS growth is measured
from ``/proc/PID/status`` every 20 ms against the RSS once the peer is ready.
A run stops early when growth passes ``--cap`` MiB, to protect the machine.

``--idle N`` holds N idle connections (10,000 by default with ``--all``) for
``--hold`` seconds with keepalive pings on, and reports KiB per connection
after the pings ran, handshakes per second and the time ``server.close()``
takes. Clients are spread over 127.0.0.2-127.0.0.5 (each source address has
its own range of ephemeral ports).

This is not part of ``make test``: it takes minutes and measures a process
on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import os
import resource
import select
import socket
import subprocess
import sys
import threading
import time
from typing import Callable, Dict, List, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, "peer.py")
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MiB = 2**20

# Defaults of serve() and connect().
MAX_SIZE = 2**20
MAX_QUEUE = 32
READ_LIMIT = 2**16
WRITE_LIMIT = 2**16
# Largest chunk asyncio's selector transports read at once.
READ_CHUNK = 2**18
CONSTANT = 2**16


def bound_handshake() -> int:
    # See docs/security.rst: MAX_HEADERS lines of at most MAX_LINE bytes.
    return READ_LIMIT + READ_CHUNK + 2 * 256 * 4096 + WRITE_LIMIT + CONSTANT


def bound_transfer() -> int:
    # See docs/security.rst.
    return (
        MAX_QUEUE * (4 * MAX_SIZE + 100)
        + 5 * MAX_SIZE
        + 2 * READ_CHUNK
        + WRITE_LIMIT
        + READ_LIMIT
        + CONSTANT
    )


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")  # pragma: no cover


class Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.base = rss(pid)
        self.peak = self.base
        self.running = True

    def run(self) -> None:
        while self.running:
            try:
                self.peak = max(self.peak, rss(self.pid))
            except (OSError, RuntimeError):
                return
            time.sleep(0.02)

    def growth(self) -> int:
        return self.peak - self.base


def mask_frame(b0: int, payload: bytes) -> bytes:
    key = b"\x00\x00\x00\x00"
    n = len(payload)
    if n < 126:
        header = bytes([b0, 0x80 | n])
    elif n < 65536:
        header = bytes([b0, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        header = bytes([b0, 0x80 | 127]) + n.to_bytes(8, "big")
    return header + key + payload


def request(port: int, extra: str = "") -> bytes:
    return (
        f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        f"Sec-WebSocket-Version: 13\r\n{extra}\r\n"
    ).encode()


def read_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def flood(
    sock: socket.socket, chunk: bytes, deadline: float, stop: Callable[[], bool]
) -> int:
    """Send chunk over and over until the deadline; return bytes sent."""
    sock.setblocking(False)
    sent = 0
    view = memoryview(chunk)
    offset = 0
    while time.monotonic() < deadline and not stop():
        _, writable, _ = select.select([], [sock], [], 0.05)
        if not writable:
            continue
        try:
            n = sock.send(view[offset:])
        except BlockingIOError:
            continue
        except OSError:
            break
        sent += n
        offset = (offset + n) % len(chunk)
    return sent


class Peer:
    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, PEER, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def line(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def traced(self) -> int:
        """Memory traced by tracemalloc in the peer, 0 if not tracing."""
        assert self.proc.stdin is not None
        self.proc.stdin.write("mem\n")
        self.proc.stdin.flush()
        return int(self.line().split()[1])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def server_scenario(
    mode: str,
    before: Callable[[int], bytes],
    chunk: bytes,
    handshake: bool,
    duration: float,
    cap: int,
    after: bytes = b"",
) -> Tuple[int, int]:
    peer = Peer("server", mode)
    try:
        port = int(peer.line().split()[1])
        sampler = Sampler(peer.proc.pid)
        sampler.start()
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(before(port))
        if handshake:
            head = read_head(sock)
            assert head.startswith(b"HTTP/1.1 101"), head
            sock.sendall(after)
        deadline = time.monotonic() + duration
        sent = flood(
            sock,
            chunk,
            deadline,
            lambda: sampler.growth() > cap or peer.proc.poll() is not None,
        )
        sampler.running = False
        sampler.join()
        sock.close()
        return sampler.growth(), sent
    finally:
        peer.stop()


def client_scenario(
    prefix: bytes, chunk: bytes, duration: float, cap: int
) -> Tuple[int, int]:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    peer = Peer("client", str(port))
    try:
        sock, _ = listener.accept()
        head = read_head(sock)
        key = next(
            line.split(b":", 1)[1].strip()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        response = (
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        sampler = Sampler(peer.proc.pid)
        sampler.start()
        sock.sendall(response + prefix)
        deadline = time.monotonic() + duration
        sent = flood(
            sock,
            chunk,
            deadline,
            lambda: sampler.growth() > cap or peer.proc.poll() is not None,
        )
        sampler.running = False
        sampler.join()
        sock.close()
        return sampler.growth(), sent
    finally:
        peer.stop()
        listener.close()


def ping(payload: bytes = b"p" * 125) -> bytes:
    return mask_frame(0x89, payload)


def unmasked(b0: int, payload: bytes) -> bytes:
    assert len(payload) < 126
    return bytes([b0, len(payload)]) + payload


SCENARIOS: Dict[str, Callable[[float, int], Tuple[int, int, str]]] = {}


def scenario(
    name: str, phase: str
) -> Callable[[Callable[[float, int], Tuple[int, int]]], None]:
    def register(func: Callable[[float, int], Tuple[int, int]]) -> None:
        def run(duration: float, cap: int) -> Tuple[int, int, str]:
            growth, sent = func(duration, cap)
            return growth, sent, phase

        SCENARIOS[name] = run

    return register


@scenario("1. ping flood, never reads (server)", "transfer")
def _ping_flood(d: float, cap: int) -> Tuple[int, int]:
    return server_scenario("sink", request, ping() * 1000, True, d, cap)


@scenario("1b. ping flood, never reads (client)", "transfer")
def _ping_flood_client(d: float, cap: int) -> Tuple[int, int]:
    return client_scenario(b"", unmasked(0x89, b"p" * 125) * 1000, d, cap)


@scenario("2. pipelined data, slow process_request", "handshake")
def _slow_request(d: float, cap: int) -> Tuple[int, int]:
    return server_scenario(
        "slow_request", request, mask_frame(0x82, b"x" * 65536), False, d, cap
    )


@scenario("2b. pipelined data, slow check_credentials", "handshake")
def _slow_auth(d: float, cap: int) -> Tuple[int, int]:
    auth = "Authorization: Basic " + base64.b64encode(b"user:pass").decode() + "\r\n"
    return server_scenario(
        "slow_auth",
        lambda port: request(port, auth),
        mask_frame(0x82, b"x" * 65536),
        False,
        d,
        cap,
    )


@scenario("2c. 101 response then a flood (client)", "transfer")
def _response_flood(d: float, cap: int) -> Tuple[int, int]:
    return client_scenario(
        b"", bytes([0x82, 126]) + (60000).to_bytes(2, "big") + b"x" * 60000, d, cap
    )


@scenario("3. endless empty fragments", "transfer")
def _empty_fragments(d: float, cap: int) -> Tuple[int, int]:
    return server_scenario(
        "sink",
        request,
        mask_frame(0x00, b"") * 10000,
        True,
        d,
        cap,
        after=mask_frame(0x02, b""),
    )


@scenario("3b. endless 2-byte fragments", "transfer")
def _tiny_fragments(d: float, cap: int) -> Tuple[int, int]:
    return server_scenario(
        "sink",
        request,
        mask_frame(0x00, b"ab") * 10000,
        True,
        d,
        cap,
        after=mask_frame(0x02, b""),
    )


@scenario("4. data flood, never reads", "transfer")
def _data_flood(d: float, cap: int) -> Tuple[int, int]:
    return server_scenario(
        "sink", request, mask_frame(0x82, b"x" * 1_000_000), True, d, cap
    )


def idle(
    count: int, hold: float, ping_interval: float, traced: bool
) -> Dict[str, float]:
    os.environ["PING_INTERVAL"] = str(ping_interval)
    if traced:
        os.environ["TRACEMALLOC"] = "1"
    peer = Peer("server", "idle")
    try:
        port = int(peer.line().split()[1])
        time.sleep(0.5)
        base = rss(peer.proc.pid)
        base_traced = peer.traced()
        result = asyncio.run(_idle_clients(peer, port, count, hold))
        result["kib_after_handshakes"] = (result.pop("rss_open") - base) / count / 1024
        result["kib_after_pings"] = (result.pop("rss_held") - base) / count / 1024
        for key in ("traced_open", "traced_held"):
            result[key] = (result[key] - base_traced) / count / 1024
        return result
    finally:
        peer.stop()


async def _idle_clients(
    peer: Peer, port: int, count: int, hold: float
) -> Dict[str, float]:
    import websockets

    pid = peer.proc.pid
    conns: List[object] = []
    sem = asyncio.Semaphore(100)

    async def one(i: int) -> None:
        host = f"127.0.0.{2 + i % 4}"
        async with sem:
            ws = await websockets.connect(
                f"ws://127.0.0.1:{port}/",
                compression=None,
                ping_interval=None,
                local_addr=(host, 0),
                open_timeout=60,
            )
        conns.append(ws)

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(count)))
    elapsed = time.perf_counter() - start
    rss_open = rss(pid)
    loop = asyncio.get_running_loop()
    traced_open = await loop.run_in_executor(None, peer.traced)
    await asyncio.sleep(hold)
    rss_held = rss(pid)
    traced_held = await loop.run_in_executor(None, peer.traced)
    alive = sum(1 for ws in conns if ws.open)  # type: ignore[attr-defined]

    # The clients stay alive, answering the closing handshakes, while the
    # server closes.
    def close_server() -> float:
        assert peer.proc.stdin is not None
        peer.proc.stdin.write("close\n")
        peer.proc.stdin.flush()
        return float(peer.line().split()[1])

    close_s = await asyncio.get_running_loop().run_in_executor(None, close_server)
    return {
        "connections": count,
        "alive": alive,
        "handshakes_per_s": count / elapsed,
        "rss_open": rss_open,
        "rss_held": rss_held,
        "traced_open": traced_open,
        "traced_held": traced_held,
        "close_s": close_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--cap", type=int, default=2048, help="MiB")
    parser.add_argument("--only", default="")
    parser.add_argument("--idle", type=int, default=10000)
    parser.add_argument("--hold", type=float, default=30.0)
    parser.add_argument("--ping-interval", type=float, default=5.0)
    parser.add_argument("--no-idle", action="store_true")
    parser.add_argument("--no-scenarios", action="store_true")
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="trace the idle server's allocations (slower handshakes)",
    )
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    bounds = {"handshake": bound_handshake(), "transfer": bound_transfer()}
    if not args.no_scenarios:
        print("| scenario | duration | bytes sent | peak RSS growth | bound | within |")
        print("|---|---|---|---|---|---|")
        for name, run in SCENARIOS.items():
            if args.only and args.only not in name:
                continue
            start = time.monotonic()
            growth, sent, phase = run(args.duration, args.cap * MiB)
            elapsed = time.monotonic() - start
            bound = bounds[phase]
            print(
                f"| {name} | {elapsed:.1f} s | {sent / MiB:,.0f} MiB | "
                f"{growth / MiB:,.1f} MiB | {bound / MiB:,.1f} MiB ({phase}) | "
                f"{'yes' if growth <= bound else 'NO'} |",
                flush=True,
            )
    if not args.no_idle:
        r = idle(args.idle, args.hold, args.ping_interval, args.tracemalloc)
        traced = args.tracemalloc
        print()
        print(
            "| idle connections | alive after hold | KiB/conn after handshakes | "
            "KiB/conn after pings | handshakes/s | server.close() |"
        )
        print("|---|---|---|---|---|---|")
        kib_open = f"{r['kib_after_handshakes']:.1f}"
        kib_held = f"{r['kib_after_pings']:.1f}"
        if traced:
            kib_open += f" (traced {r['traced_open']:.1f})"
            kib_held += f" (traced {r['traced_held']:.1f})"
        print(
            f"| {r['connections']:,.0f} (held {args.hold:.0f} s, ping_interval "
            f"{args.ping_interval:g} s) | {r['alive']:,.0f} | "
            f"{kib_open} | {kib_held} | "
            f"{r['handshakes_per_s']:,.0f} | {r['close_s']:.2f} s |",
            flush=True,
        )


if __name__ == "__main__":
    main()
