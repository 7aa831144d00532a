"""pyppeteer 0.2.5 drives headless Chromium through this library's client.

pyppeteer's DevTools connection is websockets.client.connect(url,
max_size=None, loop=self._loop, ping_interval=None, ping_timeout=None): it
runs unmodified, in its own venv (consumers/.venvs/pyppeteer, CPython 3.9),
with this library installed from the tree in place of PyPI's websockets, and
with warnings turned into errors (8.1 accepted loop= silently). It never
downloads a Chromium: it's pointed at the one that interop installs from
Debian's packages (/usr/bin/chromium, interop/install_chromium.sh). It opens
a page served here, evaluates JavaScript there and takes a screenshot, once
through launch() and once through connect() to a Chromium started by hand,
with the DevTools endpoint read from Chromium's stderr, newline included.

Pinned dependencies (consumers/requirements/pyppeteer.txt), releases of early
2021: pyppeteer 0.2.5 requires pyee<9 (pyee 9 removed the EventEmitter API it
uses) and urllib3<2; appdirs 1.4.4, tqdm 4.56.0.
"""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from ..interop.utils import chromium_path
from .utils import ROOT, Consumer, run_consumer, skip_loudly

pytestmark = pytest.mark.timeout(180)

PAGE = """<!DOCTYPE html>
<html><head><title>consumer page</title>
<style>body { background: #2a6; margin: 0 } h1 { color: #fff }</style>
<script>window.answer = (a, b) => a * b;</script>
</head><body><h1>pyppeteer was here</h1></body></html>
"""


async def serve_page() -> AsyncIterator[str]:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/"
    finally:
        await runner.cleanup()


page_url = pytest.fixture(serve_page)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} isn't a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_pyppeteer(page_url: str, tmp_path: Path) -> None:
    executable = chromium_path()
    if executable is None:
        skip_loudly(
            "pyppeteer",
            "no Chromium executable (/usr/bin/chromium): `make interop-deps` "
            "installs it (interop/install_chromium.sh) and printed why it failed",
        )
    # pyppeteer downloads its own Chromium into $PYPPETEER_HOME when it isn't
    # given one: it must never do so (checked below).
    home = tmp_path / "pyppeteer-home"
    async with run_consumer(
        "pyppeteer",
        "pyppeteer_run.py",
        [executable, page_url, str(tmp_path)],
        env={"PYPPETEER_HOME": str(home)},
    ) as run:
        ready = await run.report()
        assert ready["pyppeteer"] == "0.2.5"
        assert ready["websockets"].startswith(str(ROOT / "src")), ready
        reports = await reports_until_done(run)
        assert await run.wait() == 0, run.output()

    assert not (home / "local-chromium").exists(), "pyppeteer downloaded Chromium"
    events = {(r["event"], r.get("mode")): r for r in reports}
    assert events[("launched", None)]["endpoint"].startswith("ws://127.0.0.1:")
    assert "Chrome/" in events[("launched", None)]["version"]
    assert events[("started", None)]["endpoint"].endswith("\n")
    for mode, name in [("launch", "launched.png"), ("connect", "connected.png")]:
        evaluated = events[("evaluated", mode)]
        assert evaluated["status"] == 200
        assert evaluated["result"] == {
            "title": "consumer page",
            "answer": 42,
            "text": "pyppeteer was here",
        }
        assert events[("screenshot", mode)]["path"] == str(tmp_path / name)
        assert png_size(tmp_path / name) == (640, 480)


async def reports_until_done(run: Consumer) -> list[dict[str, object]]:
    try:
        return await run.reports_until("done")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{run.output()}") from None
