"""Shared pytest configuration.

``pytest --event-loop=uvloop`` runs the tests that run on an event loop (the
coroutine tests: loopback client/server tests, protocol tests) on uvloop's
loop instead of asyncio's default loop, and deselects the others (pure
parsers and helpers, which don't touch a loop, and the tests marked
``standard_loop``, of what only asyncio's own loops do). ``make test`` runs the suite
both ways: uvloop is the optional fast path documented in
docs/performance.rst, and a test dependency only.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Callable, Dict, List

import pytest
from hypothesis import HealthCheck, settings

# Property tests: enough examples to find bugs, few enough to keep the suite
# fast on a 2-core VM. Set HYPOTHESIS_PROFILE=thorough for longer runs.
settings.register_profile(
    "default",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# tests/consumers run in their own step, `make consumers`, outside the
# coverage gate: the library code they exercise runs in the consumers' venvs.
if not os.environ.get("WEBSOCKETS_CONSUMERS"):
    collect_ignore = ["consumers"]

EVENT_LOOPS = ("asyncio", "uvloop")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--event-loop",
        choices=EVENT_LOOPS,
        default="asyncio",
        help="event loop of the coroutine tests: asyncio's default loop, or "
        "uvloop (then only the tests that run on a loop are selected)",
    )


class UvloopFactories:
    """pytest-asyncio plugin: every coroutine test runs on a uvloop loop.

    It counts the loops it makes, so that the run can't pass on the default
    loop by mistake (say, with a pytest-asyncio that ignores the hook).
    """

    def __init__(self, new_event_loop: Callable[[], Any]) -> None:
        self._new_event_loop = new_event_loop
        self.loops = 0

    def new_event_loop(self) -> Any:
        self.loops += 1
        return self._new_event_loop()

    @pytest.hookimpl
    def pytest_asyncio_loop_factories(
        self, config: pytest.Config, item: pytest.Item
    ) -> Dict[str, Callable[[], Any]]:
        return {"uvloop": self.new_event_loop}

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        ran = session.testscollected - session.testsfailed
        if ran and self.loops == 0 and exitstatus == 0:
            print("\n--event-loop=uvloop: no test ran on a uvloop loop")
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.write_line(f"uvloop loops created: {self.loops}")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("event_loop") != "uvloop":
        return
    try:
        import uvloop
    except ImportError as exc:  # loud: never fall back to the default loop
        raise pytest.UsageError(f"--event-loop=uvloop: {exc}") from None
    factories = UvloopFactories(uvloop.new_event_loop)
    config.pluginmanager.register(factories, "uvloop")
    if not hasattr(config.hook, "pytest_asyncio_loop_factories"):  # pragma: no cover
        # pytest-asyncio < 1.3 (Python 3.9) has no loop factory hook: its
        # loops come from the event loop policy.
        class Policy(uvloop.EventLoopPolicy):  # type: ignore[misc]
            def new_event_loop(self) -> Any:
                return factories.new_event_loop()

        asyncio.set_event_loop_policy(Policy())


def pytest_report_header(config: pytest.Config) -> str:
    return f"event loop of coroutine tests: {config.getoption('event_loop')}"


def pytest_collection_modifyitems(
    config: pytest.Config, items: List[pytest.Item]
) -> None:
    if config.getoption("event_loop") != "uvloop":
        return
    selected: List[pytest.Item] = []
    deselected: List[pytest.Item] = []
    for item in items:
        on_loop = (
            item.get_closest_marker("asyncio") is not None
            and item.get_closest_marker("standard_loop") is None
        )
        (selected if on_loop else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
