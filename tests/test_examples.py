"""Run the programs in example/ for real.

Each server runs in a subprocess on a free port and prints a line when it's
ready, so no test sleeps to wait for a server. Clients run in subprocesses
too, with their input piped, or in this process when the test needs to
watch the connection closely (echo, shutdown). The HTML pages are loaded in
headless Chromium, driven through the DevTools protocol, which is a
WebSocket connection made with this library: tests read the page's DOM and
click its buttons.

Every subprocess is bounded by a timeout and killed in teardown.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import json
import os
import queue
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, AsyncIterator, Dict, Iterator, List, Optional

import pytest

import websockets

pytestmark = [pytest.mark.examples, pytest.mark.timeout(45)]

EXAMPLES = Path(__file__).resolve().parent.parent / "example"

# Bounds on waiting for subprocesses, in seconds. Generous: they're only
# reached when something is broken.
READY_TIMEOUT = 15
CLIENT_TIMEOUT = 15
STOP_TIMEOUT = 5
BROWSER_TIMEOUT = 15

# Programs that tests/test_examples.py must exercise; see test_every_example.
TESTED_SCRIPTS = {
    "basic_auth_client.py",
    "basic_auth_server.py",
    "client.py",
    "counter.py",
    "echo.py",
    "extension.py",
    "health_check_server.py",
    "secure_client.py",
    "secure_server.py",
    "server.py",
    "show_time.py",
    "shutdown.py",
    "unix_client.py",
    "unix_server.py",
}
# example/demo.py belongs to `make demo`, which has its own checks.
NOT_TESTED_HERE = {"demo.py"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        port: int = sock.getsockname()[1]
        return port


def example_env(**variables: str) -> Dict[str, str]:
    env = dict(os.environ)
    for name in ("WS_HOST", "WS_PORT", "WS_URI", "WS_UNIX_SOCKET"):
        env.pop(name, None)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(variables)
    return env


class Program:
    """An example program running in a subprocess.

    A thread collects its output (stdout and stderr, merged) line by line, so
    that waiting for a line is bounded by a timeout.
    """

    def __init__(self, script: str, *args: str, env: Dict[str, str]) -> None:
        self.script = script
        self.process = subprocess.Popen(
            [sys.executable, str(EXAMPLES / script), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.lines: List[str] = []
        self._queue: queue.Queue[Optional[str]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            self._queue.put(line)
        self._queue.put(None)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for_line(self, text: str, timeout: float = READY_TIMEOUT) -> str:
        """Return the first line of output containing ``text``, or fail."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = self._queue.get(timeout=max(remaining, 0))
            except queue.Empty:
                pytest.fail(
                    f"{self.script} didn't print {text!r} within {timeout}s; "
                    f"output so far:\n{self.output}"
                )
            if line is None:
                self.process.wait(STOP_TIMEOUT)
                pytest.fail(
                    f"{self.script} exited with code {self.process.returncode} "
                    f"before printing {text!r}; output:\n{self.output}"
                )
            if text in line:
                return line

    def wait(self, timeout: float = STOP_TIMEOUT) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"{self.script} didn't exit within {timeout}s; "
                f"output so far:\n{self.output}"
            )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)
        self._reader.join(STOP_TIMEOUT)
        assert self.process.stdout is not None
        self.process.stdout.close()


@contextlib.contextmanager
def run_server(script: str, *args: str, **variables: str) -> Iterator[Program]:
    """Start an example server and wait until it's listening."""
    program = Program(script, *args, env=example_env(**variables))
    try:
        program.wait_for_line("listening on")
        yield program
    finally:
        program.stop()


def run_client(
    script: str, *args: str, input: str = "", **variables: str
) -> subprocess.CompletedProcess[str]:
    """Run an example client to completion."""
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=CLIENT_TIMEOUT,
        env=example_env(**variables),
    )


# Every example is tested and documented.


def test_every_example_is_tested() -> None:
    scripts = {path.name for path in EXAMPLES.glob("*.py")}
    assert scripts - NOT_TESTED_HERE == TESTED_SCRIPTS


@pytest.mark.parametrize("script", sorted(TESTED_SCRIPTS))
def test_example_says_how_to_run_it(script: str) -> None:
    source = (EXAMPLES / script).read_text()
    docstring = re.match(r'#!/usr/bin/env python\n"""(.*?)"""', source, re.S)
    assert docstring is not None, f"{script} has no module docstring"
    assert f"python example/{script}" in docstring.group(1)


# Hello, TLS, Unix sockets: the client asks for a name, the server greets it.


def test_hello() -> None:
    port = free_port()
    with run_server("server.py", WS_PORT=str(port)) as server:
        client = run_client(
            "client.py", input="Alice\n", WS_URI=f"ws://localhost:{port}/"
        )
        assert client.returncode == 0, client.stderr
        assert client.stdout == "What's your name? > Alice\n< Hello Alice!\n"
        server.wait_for_line("> Hello Alice!")
        assert "< Alice\n" in server.output


def test_hello_uri_on_command_line() -> None:
    port = free_port()
    with run_server("server.py", WS_PORT=str(port)):
        client = run_client("client.py", f"ws://localhost:{port}/", input="Bob\n")
        assert client.returncode == 0, client.stderr
        assert client.stdout.endswith("< Hello Bob!\n")


def test_secure_hello() -> None:
    port = free_port()
    with run_server("secure_server.py", WS_PORT=str(port)) as server:
        assert f"listening on wss://localhost:{port}/" in server.output
        client = run_client(
            "secure_client.py", input="Carol\n", WS_URI=f"wss://localhost:{port}/"
        )
        assert client.returncode == 0, client.stderr
        assert client.stdout == "What's your name? > Carol\n< Hello Carol!\n"
        server.wait_for_line("> Hello Carol!")


async def test_secure_server_certificate() -> None:
    # The shipped certificate is valid for localhost and 127.0.0.1, and the
    # server refuses plain-text WebSocket connections.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(EXAMPLES / "localhost.pem")
    port = free_port()
    with run_server("secure_server.py", WS_PORT=str(port)):
        for host in ["localhost", "127.0.0.1"]:
            async with websockets.connect(
                f"wss://{host}:{port}/", ssl=context
            ) as websocket:
                await websocket.send("TLS")
                assert await websocket.recv() == "Hello TLS!"
        with pytest.raises(websockets.InvalidMessage):
            await websockets.connect(f"ws://localhost:{port}/", open_timeout=5)


def test_unix_hello(tmp_path: Path) -> None:
    path = str(tmp_path / "ws.sock")
    with run_server("unix_server.py", path) as server:
        assert f"listening on {path}" in server.output
        client = run_client("unix_client.py", path, input="Dave\n")
        assert client.returncode == 0, client.stderr
        assert client.stdout == "What's your name? > Dave\n< Hello Dave!\n"
        server.wait_for_line("> Hello Dave!")
        # The environment variable works too.
        client = run_client("unix_client.py", input="Erin\n", WS_UNIX_SOCKET=path)
        assert client.stdout.endswith("< Hello Erin!\n"), client.stderr
        # The server removes its socket when it's interrupted with Ctrl-C.
        server.process.send_signal(signal.SIGINT)
        server.wait()
        assert not os.path.exists(path)


def test_unix_server_replaces_stale_socket(tmp_path: Path) -> None:
    path = tmp_path / "ws.sock"
    path.touch()
    with run_server("unix_server.py", WS_UNIX_SOCKET=str(path)):
        client = run_client("unix_client.py", str(path), input="Frank\n")
        assert client.stdout.endswith("< Hello Frank!\n"), client.stderr


# Echo, health check, authentication.


async def test_echo() -> None:
    port = free_port()
    with run_server("echo.py", WS_PORT=str(port)):
        async with websockets.connect(f"ws://localhost:{port}/") as websocket:
            for message in ["café", b"\x00\xff", "", "x" * 100_000]:
                await websocket.send(message)
                assert await websocket.recv() == message
            # A fragmented message comes back in one piece.
            await websocket.send(["frag", "ments"])
            assert await websocket.recv() == "fragments"
        assert websocket.close_code == 1000


def http_get(url: str) -> tuple[int, Dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=CLIENT_TIMEOUT) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read()


async def test_health_check() -> None:
    port = free_port()
    with run_server("health_check_server.py", WS_PORT=str(port)):
        status, headers, body = await asyncio.to_thread(
            http_get, f"http://localhost:{port}/healthz"
        )
        assert status == http.HTTPStatus.OK
        assert headers["Content-Type"] == "text/plain"
        assert body == b"OK\n"
        # Any other plain HTTP request is told to upgrade.
        status, headers, body = await asyncio.to_thread(
            http_get, f"http://localhost:{port}/"
        )
        assert status == http.HTTPStatus.UPGRADE_REQUIRED
        # WebSocket connections work as usual.
        async with websockets.connect(f"ws://localhost:{port}/") as websocket:
            await websocket.send("still echoing")
            assert await websocket.recv() == "still echoing"


def test_basic_auth() -> None:
    port = free_port()
    with run_server("basic_auth_server.py", WS_PORT=str(port)):
        client = run_client(
            "basic_auth_client.py", WS_URI=f"ws://mary:p4ssw0rd@localhost:{port}/"
        )
        assert client.returncode == 0, client.stderr
        assert client.stdout == "< Hello mary!\n"

        for uri in [
            f"ws://mary:wrong@localhost:{port}/",
            f"ws://bob:p4ssw0rd@localhost:{port}/",
            f"ws://localhost:{port}/",
        ]:
            client = run_client("basic_auth_client.py", uri)
            assert client.returncode == 1
            assert client.stdout == ""
            assert client.stderr == "connection rejected with HTTP 401\n"


# Custom extension.


def test_extension() -> None:
    program = run_client("extension.py")
    assert program.returncode == 0, program.stderr
    lines = program.stdout.splitlines()
    assert lines[:2] == [
        "client: negotiated permessage-deflate, x-frame-stats",
        "client: sent 3 messages of 6000 bytes",
    ]
    # Three messages and a close frame each way, compressed before counting.
    stats = re.compile(
        r"(client|server): sent 4 frames, (\d+) bytes; received 4 frames, (\d+) bytes"
    )
    matches = [stats.fullmatch(line) for line in lines[2:]]
    assert all(matches) and len(matches) == 2, lines
    for match in matches:
        assert match is not None
        assert 0 < int(match[2]) == int(match[3]) < 1000


# Graceful shutdown.


async def test_shutdown_closes_connections_with_1001() -> None:
    port = free_port()
    with run_server("shutdown.py", WS_PORT=str(port)) as server:
        async with websockets.connect(f"ws://localhost:{port}/") as websocket:
            await websocket.send("before shutdown")
            assert await websocket.recv() == "before shutdown"

            server.process.send_signal(signal.SIGTERM)
            with pytest.raises(websockets.ConnectionClosedOK) as exc_info:
                await asyncio.wait_for(websocket.recv(), CLIENT_TIMEOUT)
            assert exc_info.value.code == 1001
            assert websocket.close_code == 1001

        assert server.wait() == 0
        server.wait_for_line("server stopped")
        assert "received SIGTERM, shutting down\n" in server.output
        assert "Traceback" not in server.output
        with pytest.raises(OSError):
            await websockets.connect(f"ws://localhost:{port}/", open_timeout=5)


async def test_shutdown_without_connections_on_sigint() -> None:
    port = free_port()
    with run_server("shutdown.py", WS_PORT=str(port)) as server:
        server.process.send_signal(signal.SIGINT)
        assert server.wait() == 0
        server.wait_for_line("server stopped")
        assert "received SIGINT, shutting down\n" in server.output


# Pages in a browser.


def chromium_executable() -> str:
    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.access(executable, os.X_OK):
        message = (
            f"\n{'!' * 72}\n"
            f"SKIPPING the browser examples: {executable} isn't an executable.\n"
            "Install Chromium (`apt-get install chromium`) or set $CHROMIUM.\n"
            f"{'!' * 72}"
        )
        print(message, file=sys.stderr)
        pytest.skip(message)
    return executable


class Page:
    """A page in Chromium, driven with the DevTools protocol."""

    def __init__(self, devtools: websockets.WebSocketClientProtocol) -> None:
        self.devtools = devtools
        self.last_id = 0

    async def evaluate(self, expression: str) -> Any:
        """Evaluate a JavaScript expression in the page; return its value."""
        self.last_id += 1
        request_id = self.last_id
        await self.devtools.send(
            json.dumps(
                {
                    "id": request_id,
                    "method": "Runtime.evaluate",
                    "params": {"expression": expression, "returnByValue": True},
                }
            )
        )
        while True:
            response = json.loads(
                await asyncio.wait_for(self.devtools.recv(), BROWSER_TIMEOUT)
            )
            if response.get("id") == request_id:
                break
        assert "error" not in response, response
        result = response["result"]
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout: float = BROWSER_TIMEOUT) -> Any:
        """Wait until a JavaScript expression is truthy; return its value.

        Exceptions count as false: the element may not exist yet.
        """
        guarded = (
            f"(() => {{ try {{ return {expression}; }} catch {{ return null; }} }})()"
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = await self.evaluate(guarded)
            if value:
                return value
            await asyncio.sleep(0.05)
        text = await self.evaluate("document.body.innerText")
        pytest.fail(f"timed out waiting for {expression}; page shows:\n{text}")


@contextlib.asynccontextmanager
async def browser(html: str, port: int, tmp_path: Path) -> AsyncIterator[Page]:
    """Open an example page in headless Chromium, pointed at ``port``."""
    executable = chromium_executable()
    profile = tmp_path / "chromium-profile"
    url = f"{(EXAMPLES / html).as_uri()}?port={port}"
    process = subprocess.Popen(
        [
            executable,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            url,
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Chromium writes the port of the DevTools server in this file.
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + BROWSER_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"Chromium exited with code {process.returncode}")
            if time.monotonic() > deadline:
                pytest.fail("Chromium didn't start its DevTools server in time")
            # Until the file exists and the DevTools server answers.
            with contextlib.suppress(OSError):
                lines = port_file.read_text().splitlines()
                if lines and lines[0].isdigit():
                    devtools_port = int(lines[0])
                    _, _, targets = await asyncio.to_thread(
                        http_get, f"http://127.0.0.1:{devtools_port}/json/list"
                    )
                    pages = [t for t in json.loads(targets) if t["type"] == "page"]
                    if pages:
                        break
            await asyncio.sleep(0.05)

        async with websockets.connect(
            pages[0]["webSocketDebuggerUrl"],
            compression=None,
            max_size=None,
            ping_interval=None,
        ) as devtools:
            page = Page(devtools)
            await page.wait_for(
                "location.protocol === 'file:' && document.readyState === 'complete'"
            )
            yield page
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT)


ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")


async def test_show_time_in_browser(tmp_path: Path) -> None:
    chromium_executable()  # skip early if there's no browser
    port = free_port()
    with run_server("show_time.py", WS_PORT=str(port)) as server:
        async with browser("show_time.html", port, tmp_path) as page:
            assert await page.wait_for(
                "document.getElementById('status').textContent === 'connected'"
            )
            # One message right away, then one per second.
            await page.wait_for("document.querySelectorAll('li.time').length >= 2")
            times = await page.evaluate(
                "Array.from(document.querySelectorAll('li.time'), li => li.textContent)"
            )
            assert all(ISO_TIME.match(t) for t in times), times
            assert times == sorted(times)
            assert len(set(times)) == len(times)
        # The page went away: the handler notices at its next send, within a
        # second, and exits quietly.
        await asyncio.sleep(1.5)
        assert "Traceback" not in server.output


async def next_event(websocket: Any, kind: str) -> Dict[str, Any]:
    """Skip counter events until one of the given type arrives."""
    while True:
        message = await asyncio.wait_for(websocket.recv(), CLIENT_TIMEOUT)
        event: Dict[str, Any] = json.loads(message)
        if event["type"] == kind:
            return event


async def test_counter_in_browser(tmp_path: Path) -> None:
    chromium_executable()  # skip early if there's no browser
    port = free_port()
    with run_server("counter.py", WS_PORT=str(port)) as server:
        # A first user, in Python, moves the counter to 2.
        async with websockets.connect(f"ws://localhost:{port}/") as websocket:
            assert await next_event(websocket, "users") == {"type": "users", "count": 1}
            assert await next_event(websocket, "state") == {"type": "state", "value": 0}
            for _ in range(2):
                await websocket.send(json.dumps({"action": "plus"}))
            await websocket.send(json.dumps({"action": "minus"}))
            await websocket.send(json.dumps({"action": "plus"}))
            for value in [1, 2, 1, 2]:
                event = await next_event(websocket, "state")
                assert event == {"type": "state", "value": value}

            async with browser("counter.html", port, tmp_path) as page:
                # The page joins: everyone sees two users; the page shows the
                # current value.
                assert await next_event(websocket, "users") == {
                    "type": "users",
                    "count": 2,
                }
                await page.wait_for(
                    "document.getElementById('users').textContent === '2 users'"
                )
                await page.wait_for(
                    "document.getElementById('value').textContent === '2'"
                )

                # A click in the page reaches the server and every user.
                await page.evaluate("document.getElementById('plus').click()")
                event = await next_event(websocket, "state")
                assert event == {"type": "state", "value": 3}
                await page.wait_for(
                    "document.getElementById('value').textContent === '3'"
                )
                await page.evaluate("document.getElementById('minus').click()")
                event = await next_event(websocket, "state")
                assert event == {"type": "state", "value": 2}

                # A change made in Python shows up in the page.
                await websocket.send(json.dumps({"action": "minus"}))
                await page.wait_for(
                    "document.getElementById('value').textContent === '1'"
                )

            # The browser is gone: one user left.
            assert await next_event(websocket, "users") == {"type": "users", "count": 1}

            # Unsupported events are logged and ignored.
            await websocket.send(json.dumps({"action": "reset"}))
            server.wait_for_line("unsupported event")
            await websocket.send(json.dumps({"action": "plus"}))
            event = await next_event(websocket, "state")
            assert event == {"type": "state", "value": 2}
