"""Consumer tests: real 8.1-era programs and frameworks, unmodified.

They run with `make consumers` (part of `make test`), outside the coverage
gate: the consumers run in their own venvs (consumers/install.sh), and the
library code they exercise runs in their processes.
"""

from __future__ import annotations

from typing import Any

from .utils import LOUD_SKIPS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for consumer, reason in LOUD_SKIPS.items():
        terminalreporter.write_sep("!", f"{consumer} consumer tests SKIPPED", red=True)
        terminalreporter.write_line(reason, red=True)
