"""Helpers for the consumer tests: locating the consumers' venvs, running them.

Each consumer runs in its own process, with the Python of its venv
(consumers/.venvs/NAME, made by consumers/install.sh). Its program is one of
tests/consumers/apps/*.py; it talks to the test through real loopback sockets
and reports on its standard output, one JSON object a line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENVS = ROOT / "consumers" / ".venvs"
APPS = Path(__file__).resolve().parent / "apps"

# One bound for every wait on a consumer: generous for a loaded 2-core machine
# (a consumer's interpreter takes a second or two to import its framework),
# short enough that a hung consumer fails the test quickly.
TIMEOUT = 20.0

# Reasons why a whole consumer was skipped, repeated at the end of the run so
# that a missing consumer can't go unnoticed in `pytest -q`.
LOUD_SKIPS: dict[str, str] = {}


def skip_loudly(consumer: str, reason: str) -> NoReturn:
    LOUD_SKIPS[consumer] = reason
    pytest.skip(f"{consumer} consumer SKIPPED: {reason}")


def consumer_python(name: str) -> Path:
    """Return the Python of consumer ``name``'s venv, or skip loudly."""
    python = VENVS / name / "bin" / "python"
    stamp = VENVS / name / ".stamp-installed"
    failed = VENVS / f"{name}.failed"
    if failed.exists():
        skip_loudly(name, failed.read_text().strip())
    if not python.exists() or not stamp.exists():
        skip_loudly(
            name,
            f"{VENVS / name} isn't installed: `make consumers-deps` "
            "(sh consumers/install.sh) installs it",
        )
    return python


class Consumer:
    """A consumer program running in its venv; read its JSON reports."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process) -> None:
        self.name = name
        self.proc = proc
        self.stderr = b""
        self._stderr_task = asyncio.ensure_future(self._drain_stderr())

    async def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        while True:
            chunk = await self.proc.stderr.read(65536)
            if not chunk:
                return
            self.stderr += chunk

    def output(self) -> str:
        """What the consumer wrote on its standard error: for messages."""
        return self.stderr.decode(errors="replace")[-6000:]

    async def report(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        """Return the next JSON object the consumer writes."""
        assert self.proc.stdout is not None
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(
                f"{self.name}: no report in {timeout} s\n{self.output()}"
            ) from None
        if not line:
            await self._wait_exit()
            raise AssertionError(
                f"{self.name} exited ({self.proc.returncode}) without a report\n"
                f"{self.output()}"
            )
        try:
            report: dict[str, Any] = json.loads(line)
        except ValueError:
            raise AssertionError(f"{self.name}: not JSON: {line!r}") from None
        return report

    async def reports_until(self, event: str) -> list[dict[str, Any]]:
        """Return the reports up to and including the first ``event``."""
        reports = []
        while True:
            report = await self.report()
            reports.append(report)
            if report.get("event") == event:
                return reports

    async def _wait_exit(self, timeout: float = TIMEOUT) -> Optional[int]:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.proc.wait(), timeout)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stderr_task, timeout)
        return self.proc.returncode

    async def wait(self, timeout: float = TIMEOUT) -> int:
        """Wait for the consumer to exit by itself; return its exit status."""
        code = await self._wait_exit(timeout)
        if code is None:
            raise AssertionError(
                f"{self.name} didn't exit in {timeout} s\n{self.output()}"
            )
        return code

    async def stop(self) -> None:
        """End the consumer and its children (its own process group)."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.proc.returncode is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.proc.wait(), 5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        await self._wait_exit(5)
        self._stderr_task.cancel()


@contextlib.asynccontextmanager
async def run_consumer(
    name: str,
    app: str,
    args: Sequence[str] = (),
    *,
    env: Optional[dict[str, str]] = None,
) -> AsyncIterator[Consumer]:
    """Run ``tests/consumers/apps/APP`` in consumer ``name``'s venv."""
    python = consumer_python(name)
    env = dict(
        os.environ, PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1", **(env or {})
    )
    # The consumer's venv alone decides what it imports.
    env.pop("PYTHONPATH", None)
    proc = await asyncio.create_subprocess_exec(
        str(python),
        str(APPS / app),
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=str(APPS),
        # Own process group, so that teardown ends the consumer's children.
        start_new_session=True,
        limit=2**24,
    )
    consumer = Consumer(name, proc)
    try:
        yield consumer
    finally:
        await consumer.stop()
