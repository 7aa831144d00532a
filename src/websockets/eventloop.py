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

__all__ = ["get_loop", "wait_with_timeout"]

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
    task = asyncio.current_task(loop)
    assert task is not None, "wait_with_timeout() must run in a task"
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        task.cancel()

    handle = deadlines.call_later(loop or task.get_loop(), timeout, expire)
    try:
        return await aw
    except asyncio.CancelledError:
        if not expired:
            raise
        if sys.version_info >= (3, 11):  # pragma: no branch (gate on 3.11+)
            # This cancellation was ours: a caller's asyncio.timeout() or
            # TaskGroup mustn't count it.
            task.uncancel()
        raise asyncio.TimeoutError from None
    finally:
        handle.cancel()
