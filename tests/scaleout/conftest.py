"""Fixtures for the scale-out tests: redis-server, nginx and workers."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any, Dict, List, NoReturn

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "example" / "scaleout"
sys.path.insert(0, str(EXAMPLE))
# example/scaleout/cluster.py: the harness shared with the demo and the bench.
cluster = importlib.import_module("cluster")

# Why the tests were skipped, and the figures they measured: repeated at the
# end of the run, so that they're seen in `pytest -q`.
LOUD_SKIPS: Dict[str, str] = {}
FIGURES: List[str] = []


def skip_loudly(reason: str) -> NoReturn:
    LOUD_SKIPS["scale-out"] = reason
    pytest.skip(f"scale-out tests SKIPPED: {reason}")


def missing_component() -> str | None:
    """Tell what the scale-out tests miss to run, if anything."""
    for binary in ("redis-server", "nginx"):
        if cluster.find_binary(binary) is None:
            return (
                f"{binary} is not installed; `make scaleout-deps` installs it "
                "from Debian's packages (see example/scaleout/install_servers.sh)"
            )
    if importlib.util.find_spec("redis") is None:
        return "the redis Python package is not installed (requirements/test.txt)"
    return None


@pytest.fixture
def require_servers() -> None:
    reason = missing_component()
    if reason is not None:
        skip_loudly(reason)


def report(line: str) -> None:
    """Print a figure now (with -s) and in the terminal summary."""
    FIGURES.append(line)
    print(line)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for what, reason in LOUD_SKIPS.items():
        terminalreporter.write_sep("!", f"{what} tests SKIPPED", red=True)
        terminalreporter.write_line(reason, red=True)
    if FIGURES:
        terminalreporter.write_sep("-", "scale-out figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
