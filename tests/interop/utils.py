"""Helpers shared by the interop tests: locating and driving third-party peers."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import random
import shutil
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, Optional

ROOT = Path(__file__).resolve().parents[2]
INTEROP_DIR = ROOT / "interop"
NODE_MODULES = INTEROP_DIR / "node_modules"
PEER_JS = Path(__file__).resolve().parent / "node" / "peer.js"

# One bound for every wait on a peer: generous for a loaded 2-core machine,
# short enough that a hung peer fails the test quickly.
TIMEOUT = 10.0

MiB = 2**20


def node_unavailable() -> Optional[str]:
    """Return why the Node.js peer can't run, or None if it can."""
    if shutil.which("node") is None:
        return "node is not installed (it is /usr/bin/node on the project machine)"
    if not (NODE_MODULES / "ws" / "package.json").is_file():
        return (
            f"the npm package ws is not installed in {NODE_MODULES}; "
            "run `make interop-deps` (npm ci --prefix interop)"
        )
    return None


def chromium_path() -> Optional[str]:
    """Return the Chromium executable, from $CHROMIUM or the Debian package."""
    candidate = os.environ.get("CHROMIUM")
    if candidate:
        return candidate if os.access(candidate, os.X_OK) else None
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def sha256(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data).hexdigest()


def random_bytes(size: int, seed: int = 0) -> bytes:
    """Return incompressible bytes, reproducible from the seed."""
    return random.Random(seed).randbytes(size)


def random_text(size: int, seed: int = 0) -> str:
    """Return a text of exactly ``size`` UTF-8 bytes, ending in multi-byte chars."""
    tail = "é€😀"  # 2 + 3 + 4 bytes
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,"
    text = "".join(rng.choices(alphabet, k=size - 9)) + tail
    assert len(text.encode()) == size
    return text


def long_distance_repeats(size: int = 20000, seed: int = 1) -> bytes:
    """Return bytes that repeat every 5000 bytes.

    Deflate refers back 5000 bytes in this data only with a window of 13
    bits or more. A compressor that ignores a negotiated max_window_bits of
    12 or less (ours defaults to 12) produces data that the peer's inflater,
    set up with that window, can't inflate.
    """
    chunk = random_bytes(5000, seed)
    return (chunk * (size // len(chunk) + 1))[:size]


LARGE_KINDS = ["random-binary", "random-text", "repetitive-binary", "repetitive-text"]


@functools.cache
def mebibyte_message(kind: str) -> bytes | str:
    """Return a message of exactly 1 MiB (the default max_size) of ``kind``.

    "random-binary" doesn't compress: with permessage-deflate, its compressed
    payload is a little larger than 1 MiB.
    """
    if kind == "random-binary":
        return random_bytes(MiB, seed=2)
    if kind == "random-text":
        return random_text(MiB, seed=3)
    if kind == "repetitive-binary":
        return b"websocket" * (MiB // 9) + b"x" * (MiB % 9)
    if kind == "repetitive-text":
        return "0123456789abcdef" * (MiB // 16)
    raise ValueError(kind)


def payload(message: bytes | str) -> dict[str, str]:
    """Encode a message for a JSON command of the Node peer."""
    if isinstance(message, str):
        return {"text": message}
    return {"base64": base64.b64encode(message).decode()}


def message_of(event: dict[str, Any]) -> bytes | str:
    """Decode the content of a "message" event of the Node peer."""
    if event["binary"]:
        return base64.b64decode(event["base64"])
    text: str = event["text"]
    return text


def data_of(event: dict[str, Any]) -> bytes:
    """Decode the payload of a "ping" or "pong" event of the Node peer."""
    return base64.b64decode(event["base64"])


class PeerError(AssertionError):
    pass


@dataclasses.dataclass(frozen=True)
class Ping:
    """A ping to send between the fragments of a message."""

    data: bytes


class NodePeer:
    """A ``ws`` peer in a Node.js subprocess, driven through JSON lines.

    Events that a test isn't waiting for yet are kept in order, so that
    ``expect("close")`` may be called after other events arrived.
    """

    def __init__(
        self, proc: asyncio.subprocess.Process, stderr: IO[bytes], args: list[str]
    ) -> None:
        self.proc = proc
        self.stderr = stderr
        self.args = args
        self.pending: list[dict[str, Any]] = []
        self.seen: list[dict[str, Any]] = []

    @classmethod
    async def start(cls, mode: str, options: dict[str, Any]) -> NodePeer:
        # Closed by stop().
        stderr = tempfile.TemporaryFile()  # noqa: SIM115
        args = ["node", str(PEER_JS), mode, json.dumps(options)]
        env = dict(os.environ, NODE_PATH=str(NODE_MODULES))
        proc = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            env=env,
            limit=16 * MiB,
        )
        return cls(proc, stderr, args)

    def diagnostics(self) -> str:
        self.stderr.flush()
        self.stderr.seek(0)
        err = self.stderr.read().decode(errors="replace")
        seen = "\n".join(
            "  " + json.dumps(_shorten(event))[:300] for event in self.seen
        )
        return (
            f"peer: {' '.join(self.args[:3])}\n"
            f"events received so far:\n{seen or '  (none)'}\n"
            f"node stderr:\n{err or '  (empty)'}"
        )

    async def command(self, op: str, **kwargs: Any) -> None:
        assert self.proc.stdin is not None
        line = json.dumps({"op": op, **kwargs}) + "\n"
        self.proc.stdin.write(line.encode())
        await self.proc.stdin.drain()

    async def send(self, message: bytes | str, *, compress: bool = True) -> None:
        await self.command("send", compress=compress, **payload(message))

    async def send_fragments(
        self, fragments: Sequence[bytes | str | Ping], *, compress: bool = True
    ) -> None:
        """Send one fragmented message; a ``Ping`` item sends a ping in between."""
        items = [
            {"ping": base64.b64encode(f.data).decode()}
            if isinstance(f, Ping)
            else payload(f)
            for f in fragments
        ]
        await self.command("fragments", fragments=items, compress=compress)

    async def _read_event(self, deadline: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        loop = asyncio.get_running_loop()
        try:
            line = await asyncio.wait_for(
                self.proc.stdout.readline(), max(0.0, deadline - loop.time())
            )
        except asyncio.TimeoutError:
            raise PeerError("timed out waiting for the node peer") from None
        if not line:
            raise PeerError("the node peer exited")
        event: dict[str, Any] = json.loads(line)
        self.seen.append(event)
        return event

    async def expect(self, name: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        """Return the first event called ``name`` not returned yet."""
        for index, event in enumerate(self.pending):
            if event["event"] == name:
                return self.pending.pop(index)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                event = await self._read_event(deadline)
            except PeerError as exc:
                raise PeerError(
                    f"{exc} while expecting {name!r}\n{self.diagnostics()}"
                ) from None
            if event["event"] == name:
                return event
            if event["event"] == "error":
                raise PeerError(
                    f"the node peer reported an error while expecting {name!r}: "
                    f"{event['message']}\n{self.diagnostics()}"
                )
            self.pending.append(event)

    async def expect_message(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        return await self.expect("message", timeout)

    def errors(self) -> list[dict[str, Any]]:
        return [event for event in self.seen if event["event"] == "error"]

    async def stop(self) -> None:
        """Stop the peer: close its stdin, then signal it if it lingers."""
        proc = self.proc
        if proc.returncode is None:
            with contextlib.suppress(Exception):
                assert proc.stdin is not None
                proc.stdin.close()
            for sig in (None, signal.SIGTERM, signal.SIGKILL):
                if sig is not None and proc.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        proc.send_signal(sig)
                try:
                    await asyncio.wait_for(proc.wait(), 5)
                    break
                except asyncio.TimeoutError:
                    continue
        # Release the pipe transport now rather than in a finalizer after the
        # event loop is closed.
        transport = getattr(proc, "_transport", None)
        if transport is not None:
            transport.close()
        self.stderr.close()


def _shorten(event: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value[:60] + "..." if isinstance(value, str) and len(value) > 60 else value
        for key, value in event.items()
    }


def print_banner(message: str) -> None:
    print(f"\n{'!' * 78}\n{message}\n{'!' * 78}", file=sys.stderr)
