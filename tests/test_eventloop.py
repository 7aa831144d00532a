"""wait_with_timeout() and TaskDeadline: timeouts that keep the caller's task."""

from __future__ import annotations

import asyncio
import sys

import pytest

from websockets.eventloop import TaskDeadline, wait_with_timeout


async def test_result_in_time() -> None:
    async def quick() -> str:
        return "done"

    assert await wait_with_timeout(quick(), 10) == "done"
    assert await wait_with_timeout(quick(), None) == "done"


async def test_timeout_raises_timeout_error() -> None:
    task = asyncio.current_task()
    assert task is not None
    with pytest.raises(asyncio.TimeoutError):
        await wait_with_timeout(asyncio.sleep(10), 0.01)
    if sys.version_info >= (3, 11):
        # The cancellation was ours: withdrawn.
        assert task.cancelling() == 0


async def test_runs_in_the_callers_task() -> None:
    caller = asyncio.current_task()

    async def which() -> object:
        return asyncio.current_task()

    assert await wait_with_timeout(which(), 10) is caller


async def test_cancellation_from_outside_propagates() -> None:
    started = asyncio.Event()

    async def waiter() -> None:
        started.set()
        await wait_with_timeout(asyncio.sleep(10), 10)

    task = asyncio.get_running_loop().create_task(waiter())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_task_deadline_disarmed() -> None:
    deadline = TaskDeadline(0.01)
    deadline.cancel()
    # It doesn't fire anymore: this sleep isn't cancelled.
    await asyncio.sleep(0.05)
    assert not deadline.expired()
