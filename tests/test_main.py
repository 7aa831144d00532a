"""Tests for the interactive client, ``python -m websockets``."""

from __future__ import annotations

import asyncio
import io
import os
import queue
import subprocess
import sys
from typing import AsyncIterator, Iterator, Optional

import pytest

import websockets
from websockets.__main__ import (
    format_message,
    main,
    read_lines,
    run_client,
    send_outgoing,
)


async def echo(websocket: websockets.WebSocketServerProtocol, path: str) -> None:
    await websocket.send("welcome")
    async for message in websocket:
        if websocket.state is not websockets.protocol.State.OPEN:
            # The client closed the connection right after its last message.
            break
        if message == "binary please":
            await websocket.send(b"\x01\x02")
        elif message == "bye":
            await websocket.close(4000, "see you")
        else:
            await websocket.send(message.upper())


@pytest.fixture
async def server_uri() -> AsyncIterator[str]:
    async with websockets.serve(echo, "127.0.0.1", 0) as server:
        assert server.sockets is not None
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/"


def run_main_subprocess(
    *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run(
        [sys.executable, "-m", "websockets", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=20,
        env=env,
    )


async def read_line(stream: asyncio.StreamReader) -> str:
    return (await asyncio.wait_for(stream.readline(), 10)).decode().rstrip("\n")


async def test_subprocess_piped_input(server_uri: str) -> None:
    # Standard input is a pipe, not a terminal. Each line is written once the
    # answer to the previous one arrived, like a user typing.
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "websockets",
        server_uri,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    assert await read_line(proc.stdout) == f"Connected to {server_uri}."
    assert await read_line(proc.stdout) == "< welcome"
    proc.stdin.write(b"hello\n")
    assert await read_line(proc.stdout) == "> hello"
    assert await read_line(proc.stdout) == "< HELLO"
    proc.stdin.write(b"binary please\n")
    assert await read_line(proc.stdout) == "> binary please"
    assert await read_line(proc.stdout) == "< (binary) 0102"
    proc.stdin.close()  # Ctrl-D
    stdout, stderr = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, stderr
    assert stdout.decode().splitlines() == [
        "Connection closed: code = 1000, reason = no reason."
    ]


async def test_subprocess_all_input_at_once(server_uri: str) -> None:
    # When the whole input is available at once, the client sends every
    # line, then closes the connection.
    result = await asyncio.to_thread(run_main_subprocess, server_uri, stdin="a\nb\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "> a" in lines and "> b" in lines
    assert lines[-1] == "Connection closed: code = 1000, reason = no reason."


async def test_subprocess_server_closes(server_uri: str) -> None:
    # The server closes the connection while stdin is still open: the client
    # exits on connection loss without waiting for the end of the input.
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "websockets",
        server_uri,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    assert proc.stderr is not None
    proc.stdin.write(b"bye\n")
    await proc.stdin.drain()
    # Keep stdin open (closing it would make the client close first): the
    # client must exit because the server closed the connection.
    stdout = await asyncio.wait_for(proc.stdout.read(), 20)
    await asyncio.wait_for(proc.wait(), 20)
    stderr = await proc.stderr.read()
    proc.stdin.close()
    assert proc.returncode == 0, stderr
    lines = stdout.decode().splitlines()
    assert lines[-1] == "Connection closed: code = 4000, reason = see you."


def test_subprocess_help() -> None:
    result = run_main_subprocess("--help")
    assert result.returncode == 0
    assert "usage: python -m websockets" in result.stdout
    assert "<uri>" in result.stdout


def test_subprocess_bad_uri() -> None:
    result = run_main_subprocess("http://example.com/")
    assert result.returncode == 2
    assert "Invalid URI: http://example.com/ isn't a valid URI" in result.stderr


def test_subprocess_missing_uri() -> None:
    result = run_main_subprocess()
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_subprocess_connection_refused() -> None:
    result = run_main_subprocess("ws://127.0.0.1:1/")
    assert result.returncode == 1
    assert "Failed to connect to ws://127.0.0.1:1/" in result.stderr


def test_format_message() -> None:
    assert format_message("café") == "< café"
    assert format_message(b"\xff\x00") == "< (binary) ff00"


class TypedLines:
    """Standard input that delivers lines when the test says so."""

    def __init__(self) -> None:
        self.lines: queue.Queue[Optional[str]] = queue.Queue()

    def __iter__(self) -> Iterator[str]:
        while (line := self.lines.get(timeout=10)) is not None:
            yield line


async def test_run_client_in_process(server_uri: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    stdin = TypedLines()
    task = asyncio.ensure_future(run_client(server_uri, stdin, out, err))  # type: ignore[arg-type]
    stdin.lines.put("abc\n")
    while "< ABC" not in out.getvalue():
        await asyncio.sleep(0.01)
        assert not task.done()
    stdin.lines.put(None)
    assert await asyncio.wait_for(task, 10) == 0
    lines = out.getvalue().splitlines()
    assert lines == [
        f"Connected to {server_uri}.",
        "< welcome",
        "> abc",
        "< ABC",
        "Connection closed: code = 1000, reason = no reason.",
    ]


async def test_run_client_connection_closed_while_sending(server_uri: str) -> None:
    # "bye" makes the server close; the next line hits a closed connection.
    out, err = io.StringIO(), io.StringIO()
    stdin = io.StringIO("bye\n" + "more\n" * 100)
    status = await run_client(server_uri, stdin, out, err)
    assert status == 0
    assert out.getvalue().splitlines()[-1] == (
        "Connection closed: code = 4000, reason = see you."
    )


async def test_run_client_refused() -> None:
    out, err = io.StringIO(), io.StringIO()
    status = await run_client("ws://127.0.0.1:1/", io.StringIO(), out, err)
    assert status == 1
    assert err.getvalue().startswith("Failed to connect to ws://127.0.0.1:1/")


def test_main_bad_uri(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ws://"]) == 2
    assert "Invalid URI" in capsys.readouterr().err


def test_main_runs_client(monkeypatch: pytest.MonkeyPatch) -> None:
    async def fake_run_client(uri: str, *args: object) -> int:
        assert uri == "ws://localhost/"
        return 0

    monkeypatch.setattr("websockets.__main__.run_client", fake_run_client)
    assert main(["ws://localhost/"]) == 0


def test_main_interrupted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def fake_run_client(uri: str, *args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("websockets.__main__.run_client", fake_run_client)
    assert main(["ws://localhost/"]) == 130
    assert "Interrupted." in capsys.readouterr().err


async def test_send_outgoing_connection_closed() -> None:
    class ClosedWebSocket:
        async def send(self, message: str) -> None:
            raise websockets.ConnectionClosedOK(1000, "")

        async def close(self) -> None:  # pragma: no cover
            raise AssertionError("close() shouldn't be called")

    lines: asyncio.Queue[Optional[str]] = asyncio.Queue()
    lines.put_nowait("lost")
    out = io.StringIO()
    await send_outgoing(ClosedWebSocket(), lines, out)  # type: ignore[arg-type]
    assert out.getvalue() == ""


async def test_read_lines_after_loop_closed() -> None:
    # The client exited while the thread was still reading its input.
    loop = asyncio.new_event_loop()
    loop.close()
    lines: asyncio.Queue[Optional[str]] = asyncio.Queue()
    read_lines(loop, lines, io.StringIO("late\n"))
    assert lines.empty()


async def test_read_lines() -> None:
    lines: asyncio.Queue[Optional[str]] = asyncio.Queue()
    read_lines(asyncio.get_running_loop(), lines, io.StringIO("one\r\ntwo\n"))
    await asyncio.sleep(0)
    assert [lines.get_nowait() for _ in range(3)] == ["one", "two", None]
