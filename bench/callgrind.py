"""Instructions per unit of work, counted by valgrind's callgrind.

Usage: python bench/callgrind.py [--only handshake,conc100] [--libs websockets]
       [--loop asyncio|uvloop|both] [--sides server,client] [--count N]
       [--repeat R] [--keep DIR] [--src DIR]

CPU time on a shared 2-core machine varies with the load; instruction counts
don't. For each workload, library, loop and side, this runs the benchmark's
server and client (``bench/server.py``, ``bench/client.py``, driven as by
``bench/run.py``), with the measured side under ``valgrind --tool=callgrind``
and the other side running natively. It does so twice, with N and 2N units
of work, and reports ``(I(2N) - I(N)) / N``: the instructions of N units,
without start-up, imports, warm-up and teardown, which are the same in both
runs. ``PYTHONHASHSEED=0`` makes dict and set layouts the same from run to
run; what remains of variation (how many events one ``epoll_wait`` returns
depends on timing) shows in ``--repeat``.

Callgrind counts instructions in user space only: system calls cost time
that it doesn't see. It's the measure of choice for the Python and C code
of a library, not a replacement for ``make bench``.

``--src DIR`` measures the websockets package found in ``DIR`` (the ``src``
directory of another checkout, e.g. a worktree of main, with its C extension
built) instead of the one installed in the benchmark's venv: before/after
comparisons without reinstalling anything.

``--keep DIR`` keeps the callgrind output files (``callgrind_annotate`` reads
them: which functions the instructions went to).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
from typing import Dict, List

from run import BENCH, LOOPS, run_one
from workloads import BY_NAME

# Per workload: N units (the second run does 2N). Small enough for valgrind's
# 50-100x slowdown, large enough for the difference to dwarf the noise.
COUNTS = {"handshake": 200, "conc100": 2000, "rt64": 1000, "rt4k": 1000}


def instructions(path: str) -> int:
    """Total instructions of a callgrind output file."""
    with open(path) as file:
        for line in file:
            match = re.match(r"(?:summary|totals):\s+(\d+)", line)
            if match:
                return int(match.group(1))
    raise RuntimeError(f"no instruction total in {path}")


def measure_once(
    name: str,
    lib: str,
    loop: str,
    side: str,
    count: int,
    out: str,
    log: object,
    kwargs: str = "",
) -> int:
    """Instructions of the measured side in a run of ``count`` units."""
    prefix = [
        "valgrind",
        "--tool=callgrind",
        "--quiet",
        f"--callgrind-out-file={out}",
    ]
    run_one(
        BY_NAME[name],
        lib,
        False,
        log,
        count=count,
        loop=loop,
        server_prefix=prefix if side == "server" else (),
        client_prefix=prefix if side == "client" else (),
        seconds=3600,
        timeout_factor=30,
        server_kwargs=kwargs,
        client_kwargs=kwargs,
    )
    return instructions(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="handshake,conc100")
    parser.add_argument("--libs", default="websockets")
    parser.add_argument("--loop", choices=[*LOOPS, "both"], default="asyncio")
    parser.add_argument("--sides", default="server,client")
    parser.add_argument("--count", type=int, default=0, help="N (default per workload)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--keep", default="", help="keep callgrind files here")
    parser.add_argument("--src", default="", help="import websockets from here")
    parser.add_argument(
        "--kwargs",
        default="",
        help='more serve() and connect() arguments, JSON, e.g. {"ping_interval": null}',
    )
    args = parser.parse_args()
    if args.src:
        os.environ["PYTHONPATH"] = os.path.abspath(args.src)
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind isn't installed (Debian package: valgrind)")
    os.environ["PYTHONHASHSEED"] = "0"
    loops = list(LOOPS) if args.loop == "both" else [args.loop]
    work = args.keep or tempfile.mkdtemp(prefix="callgrind-")
    os.makedirs(work, exist_ok=True)
    results: Dict[str, List[float]] = {}
    os.makedirs(os.path.join(BENCH, ".work"), exist_ok=True)
    with open(os.path.join(BENCH, ".work", "callgrind-children.log"), "w") as log:
        for name in args.only.split(","):
            count = args.count or COUNTS.get(name, 500)
            unit = BY_NAME[name].unit
            for loop in loops:
                for lib in args.libs.split(","):
                    for side in args.sides.split(","):
                        key = f"{name:10} {loop:7} {lib:10} {side:6}"
                        for rep in range(args.repeat):
                            totals = []
                            for units in (count, 2 * count):
                                stem = f"{name}-{loop}-{lib}-{side}-{units}-{rep}"
                                out = os.path.join(work, f"{stem}.out")
                                totals.append(
                                    measure_once(
                                        name,
                                        lib,
                                        loop,
                                        side,
                                        units,
                                        out,
                                        log,
                                        args.kwargs,
                                    )
                                )
                            per_unit = (totals[1] - totals[0]) / count
                            results.setdefault(key, []).append(per_unit)
                            print(
                                f"{key} {per_unit:>12,.0f} instructions per {unit}"
                                f"  (N={count}: {totals[0]:,}; 2N: {totals[1]:,})",
                                flush=True,
                            )
    print()
    print("Instructions per unit (median of the repetitions):")
    for key, values in results.items():
        spread = ""
        if len(values) > 1:
            spread = f"  ({min(values):,.0f} to {max(values):,.0f})"
        print(f"  {key} {statistics.median(values):>12,.0f}{spread}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"callgrind files in {work}", file=sys.stderr)


if __name__ == "__main__":
    main()
