"""Interop with headless Chromium: a page talks to our server.

An HTTP server on 127.0.0.1 (aiohttp) serves tests/interop/chromium.html.
Chromium loads it; the page opens a WebSocket to each of our servers, echoes
what the server sends, runs the server's "!" commands, and finally POSTs a
JSON report to the HTTP server. The test checks that report and what our
server's handler saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import traceback
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Optional, Union

import pytest
from aiohttp import web

import websockets

from .conftest import skip_loudly
from .utils import TIMEOUT, MiB, chromium_path, random_bytes, random_text

pytestmark = [pytest.mark.interop, pytest.mark.timeout(90)]

PAGE = Path(__file__).with_name("chromium.html")

# Chromium takes a few seconds to start on a loaded 2-core machine.
REPORT_TIMEOUT = 60.0

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-dev-shm-usage",
    "--mute-audio",
]

# What the page sends on "!send-large"; see chromium.html.
LARGE_TEXT = "0123456789abcdef" * 65536
LARGE_BINARY = bytes((i * 7 + (i >> 8)) & 255 for i in range(MiB))

MESSAGES: list[Union[str, bytes]] = [
    "hello",
    "héllo wörld ☃ 😀",
    "",
    bytes(range(256)),
    b"",
    random_text(MiB, seed=6),
    b"websocket" * (MiB // 9) + b"x" * (MiB % 9),
]

# 1 MiB, the default max_size, that doesn't compress: compressed by Chromium,
# its payload is a little larger than 1 MiB.
INCOMPRESSIBLE = random_bytes(MiB, seed=5)


@contextlib.asynccontextmanager
async def page_server(
    ws_urls: list[str],
) -> AsyncIterator[tuple[str, asyncio.Future[Any]]]:
    """Serve the page; yield its URL and a future for the page's report."""
    loop = asyncio.get_running_loop()
    report: asyncio.Future[Any] = loop.create_future()

    async def page(request: web.Request) -> web.Response:
        return web.Response(
            text=PAGE.read_text(encoding="utf-8"), content_type="text/html"
        )

    async def result(request: web.Request) -> web.Response:
        if not report.done():
            report.set_result(json.loads(await request.text()))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_post("/result", result)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        query = urllib.parse.urlencode({"urls": json.dumps(ws_urls)})
        yield f"http://127.0.0.1:{port}/?{query}", report
    finally:
        await runner.cleanup()


def require_chromium() -> str:
    """Return the Chromium executable, or skip the test loudly."""
    executable = chromium_path()
    if executable is None:
        configured = os.environ.get("CHROMIUM")
        where = (
            f"$CHROMIUM={configured} isn't executable"
            if configured
            else "/usr/bin/chromium is missing"
        )
        skip_loudly(
            "Chromium",
            f"no Chromium executable: {where}. `make interop-deps` installs the "
            "Debian packages chromium and chromium-driver with apt-get "
            "(interop/install_chromium.sh) and printed why that failed.",
        )
    return executable


@contextlib.asynccontextmanager
async def chromium(executable: str, url: str, tmp_path: Path) -> AsyncIterator[Path]:
    """Run headless Chromium on ``url``; yield the path of its log."""
    profile = tmp_path / "chromium-profile"
    log = tmp_path / "chromium.log"
    with log.open("wb") as output:
        proc = await asyncio.create_subprocess_exec(
            executable,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            url,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            # Own process group, so that teardown ends Chromium's children.
            start_new_session=True,
        )
    try:
        yield log
    finally:
        await kill_process_group(proc)


async def kill_process_group(proc: asyncio.subprocess.Process) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            await asyncio.wait_for(proc.wait(), 5)
            break
        except asyncio.TimeoutError:
            continue
    # Children that outlived the browser process (same group, by its id).
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


async def recv(ws: Any) -> Union[str, bytes]:
    message: Union[str, bytes] = await asyncio.wait_for(ws.recv(), TIMEOUT)
    return message


async def exchange(ws: Any, path: str, record: dict[str, Any]) -> None:
    """Our side of a connection with the page; fill ``record`` on the way."""
    record["extensions"] = [extension.name for extension in ws.extensions]
    record["offer"] = ws.request_headers.get("Sec-WebSocket-Extensions")
    record["response"] = ws.response_headers.get("Sec-WebSocket-Extensions")

    if path == "/incompressible":
        await ws.send(INCOMPRESSIBLE)
        assert await recv(ws) == INCOMPRESSIBLE
        record["incompressible"] = True
        await asyncio.wait_for(ws.close(), TIMEOUT)
        return

    # The page echoes each message.
    for message in MESSAGES:
        await ws.send(message)
        echo = await recv(ws)
        assert type(echo) is type(message)
        assert echo == message, f"echo of {describe(message)} differs"
    record["echoed"] = len(MESSAGES)

    # A fragmented message arrives whole.
    await ws.send(["frag", "ment", "ed ☃"])
    assert await recv(ws) == "fragmented ☃"
    await ws.send([b"\x01", b"\x02" * 70000, b"\x03"])
    assert await recv(ws) == b"\x01" + b"\x02" * 70000 + b"\x03"

    # Messages generated by the page.
    await ws.send("!send-large")
    text, binary = await recv(ws), await recv(ws)
    assert text == LARGE_TEXT
    assert binary == LARGE_BINARY
    record["large_received"] = True

    # Chromium answers pings.
    pong_waiter = await ws.ping(b"chromium")
    await asyncio.wait_for(pong_waiter, TIMEOUT)
    record["pong"] = True

    if path == "/page-closes":
        await ws.send("!close 4000 bye from chromium")
        try:
            await recv(ws)
        except websockets.ConnectionClosed as exc:
            record["exception"] = (type(exc).__name__, exc.code, exc.reason)  # type: ignore[attr-defined]
        else:
            raise AssertionError("the page didn't close the connection")
    else:
        await asyncio.wait_for(ws.close(4001, "bye from server"), TIMEOUT)
    record["close"] = (ws.close_code, ws.close_reason)


def describe(message: Union[str, bytes]) -> str:
    kind = "text" if isinstance(message, str) else "binary"
    return f"{kind} message of {len(message)} chars or bytes"


async def test_chromium(tmp_path: Path) -> None:
    executable = require_chromium()
    records: dict[str, dict[str, Any]] = {}

    async def handler(ws: Any, path: str) -> None:
        # Errors are reported through the record: the server would only log
        # them.
        record = records.setdefault(f"{ws.local_address[1]}{path}", {})
        try:
            await exchange(ws, path, record)
        except BaseException:
            record["error"] = traceback.format_exc()
            raise

    async with (
        websockets.serve(handler, "127.0.0.1", 0) as deflate_server,
        websockets.serve(handler, "127.0.0.1", 0, compression=None) as plain_server,
    ):
        deflate_port = deflate_server.sockets[0].getsockname()[1]
        plain_port = plain_server.sockets[0].getsockname()[1]
        # Each connection is closed by the page or by us, with and without
        # compression.
        connections = [
            (deflate_port, "/page-closes"),
            (plain_port, "/server-closes"),
            (plain_port, "/page-closes"),
            (deflate_port, "/server-closes"),
            # Checked last, to report the other connections first.
            (deflate_port, "/incompressible"),
        ]
        ws_urls = [f"ws://127.0.0.1:{port}{path}" for port, path in connections]
        async with (
            page_server(ws_urls) as (url, report_future),
            chromium(executable, url, tmp_path) as log,
        ):
            try:
                report = await asyncio.wait_for(report_future, REPORT_TIMEOUT)
            except asyncio.TimeoutError:
                raise AssertionError(
                    f"no report from the page in {REPORT_TIMEOUT} s\n"
                    f"server records: {records}\n"
                    f"chromium log:\n{tail(log)}"
                ) from None

    context = f"page report: {json.dumps(report, indent=1)}\nserver: {records}"
    assert "error" not in report, context
    assert len(report["connections"]) == len(connections), context
    for (port, path), result in zip(connections[:-1], report["connections"]):
        record = records.get(f"{port}{path}")
        assert record is not None, f"{port}{path} never reached a handler\n{context}"
        assert "error" not in record, f"{port}{path}: {record['error']}\n{context}"
        assert result["errors"] == [], context

        # permessage-deflate: Chromium offers it; only one server accepts it.
        assert "permessage-deflate" in record["offer"], context
        if port == deflate_port:
            assert record["extensions"] == ["permessage-deflate"], context
            assert result["extensions"].startswith("permessage-deflate"), context
            assert record["response"].startswith("permessage-deflate"), context
        else:
            assert record["extensions"] == [], context
            assert result["extensions"] == "", context
            assert record["response"] is None, context

        # The page saw every message, echoed them, and ran the commands.
        assert len(result["received"]) == len(MESSAGES) + 2, context
        assert record["echoed"] == len(MESSAGES), context
        assert record["large_received"], context
        assert record["pong"], context

        # The closing handshake, as both sides saw it.
        if path == "/page-closes":
            assert result["close"] == {
                "code": 4000,
                "reason": "bye from chromium",
                "wasClean": True,
            }, context
            assert record["exception"] == (
                "ConnectionClosedError",
                4000,
                "bye from chromium",
            ), context
            assert record["close"] == (4000, "bye from chromium"), context
        else:
            assert result["close"] == {
                "code": 4001,
                "reason": "bye from server",
                "wasClean": True,
            }, context
            # Chromium echoes the code (and reason) of the close frame.
            assert record["close"][0] == 4001, context

    # A 1 MiB message that deflate can't shrink, compressed by Chromium: its
    # payload is a little over max_size, but the message is exactly max_size.
    port, path = connections[-1]
    record = records[f"{port}{path}"]
    result = report["connections"][-1]
    assert "error" not in record, (
        f"{port}{path}: the echo of an incompressible message of max_size "
        f"bytes failed: {record['error']}\npage: {result}"
    )
    assert record["incompressible"], context
    assert result["close"]["code"] == 1000, context


def tail(path: Optional[Path], lines: int = 40) -> str:
    if path is None or not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
