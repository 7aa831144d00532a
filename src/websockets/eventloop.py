"""Which event loop an object belongs to, and timeouts that keep the task.

websockets 8.1 let programs drive the event loop themselves, from
synchronous code, the way its documentation showed before
:func:`asyncio.run` existed::

    loop = asyncio.get_event_loop()
    server = loop.run_until_complete(websockets.serve(handler, "", 8765))
    loop.run_forever()
    ...
    server.close()
    loop.run_until_complete(server.wait_closed())

Objects remember the loop they were created on, or the loop passed to them
explicitly, and use it even when no loop is running: :func:`get_loop` picks
that loop.

:func:`wait_with_timeout` bounds an awaitable like :func:`asyncio.wait_for`
but runs it in the caller's task. Before Python 3.12, :func:`asyncio.wait_for`
runs a coroutine in a task of its own, so its caller resumes one loop
iteration after it completes; callbacks scheduled meanwhile, such as the
processing of frames that arrived with the opening handshake, would run
first. websockets 8.1 had no such task between ``await connect(...)`` and
the opening handshake.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Awaitable, Optional, TypeVar

from . import deadlines

__all__ = ["TaskDeadline", "get_loop", "wait_with_timeout"]

T = TypeVar("T")


def get_loop(
    loop: Optional[asyncio.AbstractEventLoop] = None,
) -> asyncio.AbstractEventLoop:
    """Return the event loop an object should use.

    An explicit ``loop`` wins, like in websockets 8.1. Otherwise, this is the
    running loop, or, from synchronous code, the current event loop, as
    :func:`asyncio.get_event_loop` returns it: the one set with
    :func:`asyncio.set_event_loop`.
    """
    if loop is not None:
        return loop
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.get_event_loop_policy().get_event_loop()


class TaskDeadline:
    """Cancel the current task after ``timeout`` seconds, unless cancelled.

    The building block of :func:`wait_with_timeout`, for callers that
    await in place, as it does, without a coroutine of its own: on
    :exc:`~asyncio.CancelledError`, :meth:`expired` tells whether the
    deadline was the cause; :meth:`cancel` disarms it in any case.

    ``loop`` is the running loop, if the caller knows it.
    """

    __slots__ = ("_expired", "_task", "_timer")

    def __init__(
        self, timeout: float, loop: Optional[asyncio.AbstractEventLoop] = None
    ) -> None:
        task = asyncio.current_task(loop)
        assert task is not None, "TaskDeadline() must run in a task"
        self._task = task
        self._expired = False
        self._timer = deadlines.call_later(
            loop or task.get_loop(), timeout, self._expire
        )

    def _expire(self) -> None:
        self._expired = True
        self._task.cancel()

    def cancel(self) -> None:
        """Disarm the deadline; no effect once it expired."""
        self._timer.cancel()

    def expired(self) -> bool:
        """Whether the deadline cancelled the task; call it on
        :exc:`~asyncio.CancelledError`.

        When it did, the cancellation is withdrawn from the task's count
        (Python >= 3.11): a caller's :func:`asyncio.timeout` or
        :class:`~asyncio.TaskGroup` mustn't count it.
        """
        if not self._expired:
            return False
        if sys.version_info >= (3, 11):  # pragma: no branch (gate on 3.11+)
            self._task.uncancel()
        return True


async def wait_with_timeout(
    aw: Awaitable[T],
    timeout: Optional[float],
    loop: Optional[asyncio.AbstractEventLoop] = None,
) -> T:
    """Await ``aw`` in the current task; cancel it after ``timeout`` seconds.

    ``loop`` is the running loop, if the caller knows it.

    :raises asyncio.TimeoutError: if ``aw`` didn't complete in time
    """
    if timeout is None:
        return await aw
    deadline = TaskDeadline(timeout, loop)
    try:
        return await aw
    except asyncio.CancelledError:
        if deadline.expired():
            raise asyncio.TimeoutError from None
        raise
    finally:
        deadline.cancel()
