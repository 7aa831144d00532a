"""Bytecodes executed per unit of work in the benchmark's server process.

Usage: python bench/bytecodes.py [--only handshake] [--libs websockets,raw-task]
       [--loop asyncio|uvloop] [--count N] [--kwargs JSON] [--top K]

For each workload and library, runs the benchmark (``bench/run.py``'s
``run_one()``) with the server counting, over the measured section, the
bytecodes that each Python function executes and how many times it's called
or resumed (``BytecodeCounter`` in ``bench/server.py``: a trace function with
``f_trace_opcodes``). Prints, per unit of work: the total, the split by
module, and the functions that execute the most.

What it's for: callgrind (``bench/callgrind.py``) counts instructions,
which include how fast the interpreter runs each bytecode; this counts the
bytecodes. When a change removes few bytecodes but many instructions, or
when two libraries run the same bytecodes of asyncio at different costs,
the difference is in the interpreter: e.g. attribute accesses that lost
their specialization. (That's how the fifth session of issue 16 found that
reading ``loop.__dict__`` slowed down all of asyncio's code on Python 3.11
and 3.12.)

Counts are exact for the code that runs; tracing slows the server tenfold,
so how many events one iteration of the loop handles, hence how many
iterations run per unit of work, isn't what it is without tracing. Compare
libraries and changes, not absolute costs. ``--kwargs`` (JSON) are more
arguments of ``serve()``, for the server only, e.g.
``'{"open_timeout": null}'``.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import tempfile
from typing import Dict, List, Tuple

from run import BENCH, run_one
from workloads import BY_NAME

# Modules of the standard library that asyncio's loop runs on.
STDLIB = {
    "base_events.py",
    "base_futures.py",
    "coroutines.py",
    "enum.py",
    "events.py",
    "futures.py",
    "selector_events.py",
    "selectors.py",
    "socket.py",
    "tasks.py",
    "transports.py",
    "trsock.py",
    "unix_events.py",
    "weakref.py",
    "_weakrefset.py",
}


def count(
    name: str, lib: str, loop: str, units: int, kwargs: str
) -> Tuple[Dict[str, float], Dict[str, float]]:
    """Bytecodes and calls per unit of work, by function."""
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "bytecodes.json")
        os.makedirs(os.path.join(BENCH, ".work"), exist_ok=True)
        with open(os.path.join(BENCH, ".work", "bytecodes-children.log"), "w") as log:
            run_one(
                BY_NAME[name],
                lib,
                False,
                log,
                server_profile=path,
                count=units,
                loop=loop,
                seconds=600,
                timeout_factor=30,
                server_kwargs=kwargs,
                server_bytecodes=True,
            )
        with open(path) as file:
            data = json.load(file)
    ops = {key: value / units for key, value in data["ops"].items()}
    calls = {key: value / units for key, value in data["calls"].items()}
    return ops, calls


def report(lib: str, ops: Dict[str, float], calls: Dict[str, float], top: int) -> None:
    modules: Dict[str, float] = collections.Counter()
    for key, value in ops.items():
        modules[key.split(":")[0]] += value
    total = sum(ops.values())
    stdlib = sum(value for module, value in modules.items() if module in STDLIB)
    print(f"{lib}: {total:,.0f} bytecodes per unit ({stdlib:,.0f} in asyncio & co)")
    rows: List[Tuple[float, str]] = sorted(
        ((value, module) for module, value in modules.items()), reverse=True
    )
    print("  by module: " + ", ".join(f"{m} {v:,.0f}" for v, m in rows[:12]))
    print("  functions (bytecodes, calls per unit):")
    for key, value in sorted(ops.items(), key=lambda item: -item[1])[:top]:
        print(f"    {value:8.1f} {calls.get(key, 0):6.2f}  {key}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="handshake")
    parser.add_argument("--libs", default="websockets,raw-task")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument("--count", type=int, default=0, help="units (default 300)")
    parser.add_argument("--kwargs", default="", help="more serve() arguments, JSON")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    for name in args.only.split(","):
        units = args.count or (300 if BY_NAME[name].kind != "stream" else 50)
        print(f"== {name} ({args.loop}), {units} units")
        for lib in args.libs.split(","):
            ops, calls = count(name, lib, args.loop, units, args.kwargs)
            report(lib, ops, calls, args.top)


if __name__ == "__main__":
    main()
