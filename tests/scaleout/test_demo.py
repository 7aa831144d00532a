"""`make scaleout-demo` (example/scaleout/demo.py): runs, restarts, stops on Ctrl-C."""

from __future__ import annotations

import collections
import os
import re
import signal
import sys
from typing import Dict, List

import pytest

from .conftest import EXAMPLE, cluster

pytestmark = [
    pytest.mark.scaleout,
    pytest.mark.usefixtures("require_servers"),
    pytest.mark.timeout(120),
]

MESSAGE = re.compile(r"^\[(client\d)\] client\d: \d+-\d+ #(\d+) ")


def test_demo_restarts_workers_and_stops_on_ctrl_c() -> None:
    demo = cluster.Process(
        "demo",
        [
            sys.executable,
            str(EXAMPLE / "demo.py"),
            "--rate",
            "20",
            "--restart-every",
            "1",
        ],
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    try:
        demo.wait_for_line("Ctrl-C to stop")
        # Two workers restarted: clients of both reconnected and resumed.
        demo.wait_for_line("--- w1 is back", timeout=60)
        demo.wait_for_line("--- w2 is back", timeout=60)
        demo.wait_for_line("[client1] client1: ", timeout=60)
        demo.send_signal(signal.SIGINT)  # Ctrl-C
        assert demo.popen.wait(60) == 0, demo.output
    finally:
        demo.stop(signal.SIGKILL)
    output = demo.output
    assert "--- stopped" in output
    assert "Traceback" not in output, output
    assert "(1012 service restart)" in output

    received: Dict[str, List[int]] = collections.defaultdict(list)
    for line in output.splitlines():
        match = MESSAGE.match(line)
        if match:
            received[match.group(1)].append(int(match.group(2)))
    assert sorted(received) == ["client1", "client2", "client3"]
    for seqs in received.values():
        # Each client started with new messages only: from where it joined,
        # every message once, in order, across reconnections.
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
