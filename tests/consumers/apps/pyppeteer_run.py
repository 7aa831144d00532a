"""pyppeteer 0.2.5 drives headless Chromium over this library's client.

pyppeteer talks to Chromium's DevTools protocol through
websockets.client.connect(url, max_size=None, loop=..., ...): it passes
loop=, which 8.1 accepted silently. Runs in the pyppeteer venv, with
warnings turned into errors as projects run with -W error do.

    python pyppeteer_run.py CHROMIUM PAGE_URL OUT_DIR

Reports "launched" (the DevTools endpoint), "evaluated" (what the page's JS
returned), "screenshot" (its path), then the same through connect() to a
Chromium started by hand, whose DevTools endpoint is read from its standard
error with the newline that ends the line, then "done".
"""

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import warnings

import pyppeteer
from report import report, websockets_origin

# Chromium flags for a 2-core machine without GPU, sandbox or network.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


async def use(browser, page_url, screenshot, mode):
    page = await browser.newPage()
    await page.setViewport({"width": 640, "height": 480})
    response = await page.goto(page_url)
    result = await page.evaluate(
        "() => ({title: document.title, answer: window.answer(6, 7),"
        " text: document.querySelector('h1').textContent})"
    )
    report("evaluated", mode=mode, status=response.status, result=result)
    await page.screenshot({"path": screenshot})
    report("screenshot", mode=mode, path=screenshot)
    await page.close()


async def launched(executable, page_url, out_dir, profile):
    browser = await pyppeteer.launch(
        executablePath=executable,
        args=FLAGS,
        userDataDir=profile,
        handleSIGINT=False,
        handleSIGTERM=False,
        handleSIGHUP=False,
    )
    try:
        report("launched", endpoint=browser.wsEndpoint, version=await browser.version())
        await use(browser, page_url, os.path.join(out_dir, "launched.png"), "launch")
    finally:
        await browser.close()


async def connected(executable, page_url, out_dir, profile):
    # A Chromium started by hand; its DevTools endpoint is on its stderr:
    # "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID\n".
    chromium = subprocess.Popen(
        [executable, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    )
    try:
        for line in chromium.stderr:
            if line.startswith("DevTools listening on "):
                endpoint = line[len("DevTools listening on ") :]
                break
        else:
            raise RuntimeError("Chromium didn't print its DevTools endpoint")
        report("started", endpoint=endpoint)
        browser = await pyppeteer.connect(browserWSEndpoint=endpoint)
        try:
            await use(
                browser, page_url, os.path.join(out_dir, "connected.png"), "connect"
            )
        finally:
            await browser.disconnect()
    finally:
        chromium.terminate()
        try:
            chromium.wait(10)
        except subprocess.TimeoutExpired:
            chromium.kill()
            chromium.wait()


def main():
    warnings.simplefilter("error")
    executable, page_url, out_dir = sys.argv[1:]
    report("ready", websockets=websockets_origin(), pyppeteer=pyppeteer.__version__)
    loop = asyncio.get_event_loop()
    for run in [launched, connected]:
        # A fresh profile for each Chromium.
        profile = tempfile.mkdtemp(prefix="pyppeteer-profile-")
        try:
            loop.run_until_complete(run(executable, page_url, out_dir, profile))
        finally:
            shutil.rmtree(profile, ignore_errors=True)
    report("done")


if __name__ == "__main__":
    main()
