"""Profile this library in the benchmark's server and client processes.

Usage: python bench/profiling.py [--only NAME,...] [--quick]

Runs workloads of the suite (by default conc100: small messages on 100
connections; rt64: small messages on one connection; stream1m: 1 MiB
messages; handshake; memory and memory-deflate) with websockets on both
sides, cProfile enabled over the measured section only, in the server and in
the client process; for the memory workloads, tracemalloc in the server
process instead, over the connections opened in the measured section. Writes,
for each workload and side, ``bench/results/profile/<workload>-<side>.md``:
own time grouped by module, then the top functions by own time and by
cumulative time, in µs per unit of work. The profiler's clock is the
process's CPU time (time.process_time), so waiting in epoll and being
preempted by other processes don't count. cProfile more than doubles the
cost of Python function calls, so absolute figures are inflated; compare
shares.
The raw ``.prof`` files stay in ``bench/.work/`` (``python -m pstats`` reads
them).

(Not named profile.py: that would shadow the standard library module that
cProfile imports, for every script in bench/.)
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import re
from collections import defaultdict
from typing import Any, Dict, List, Tuple

from run import BENCH, ROOT, run_one
from workloads import BY_NAME

DEFAULT = [
    "conc100",
    "rt64",
    "stream1m",
    "handshake",
    "memory",
    "memory-deflate",
    "stream64k-deflate",
]
TOP = 25


def where(key: Tuple[str, int, str]) -> Tuple[str, str]:
    """(module, readable function name) for a pstats key."""
    filename, line, name = key
    if filename == "~":
        match = re.match(r"<(?:built-in )?method '?([^' ]+)'? of '?([\w.]+)'? ", name)
        if match:
            return "builtins", f"{match.group(2)}.{match.group(1)}"
        return "builtins", name.strip("<>")
    path = filename.replace(os.sep, "/")
    for marker in ("/src/", "/site-packages/", "/lib/python3."):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker == "/lib/python3.":
                path = path.split("/", 1)[1]
            break
    else:
        path = os.path.relpath(filename, ROOT)
    module = path[:-3] if path.endswith(".py") else path
    module = module.replace("/", ".").removesuffix(".__init__")
    return module, f"{module}:{line}({name})"


def table(rows: List[List[str]], header: List[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def report(prof: str, title: str, units: float, unit: str) -> str:
    stats: Dict[Any, Any] = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in stats.values())
    per_module: Dict[str, float] = defaultdict(float)
    calls: Dict[str, int] = defaultdict(int)
    for key, (_, ncalls, tottime, _, _) in stats.items():
        module = where(key)[0]
        per_module[module] += tottime
        calls[module] += ncalls
    python_calls = sum(n for m, n in calls.items() if m != "builtins")
    scale = 1e6 / units

    def us(seconds: float) -> str:
        return f"{seconds * scale:.2f}"

    modules = sorted(per_module.items(), key=lambda item: -item[1])[:15]
    parts = [
        f"# {title}",
        "",
        f"{units:g} {unit}; profiled CPU time {total * scale:.1f} µs per {unit} "
        "(cProfile inflates Python calls: compare shares, not absolutes); "
        f"{python_calls / units:.1f} Python function calls and "
        f"{calls['builtins'] / units:.1f} calls of built-ins per {unit}.",
        "",
        "## Own time by module",
        "",
        table(
            [
                [m, us(t), f"{100 * t / total:.1f}%", f"{calls[m] / units:.2f}"]
                for m, t in modules
            ],
            ["module", f"µs per {unit}", "share", f"calls per {unit}"],
        ),
    ]
    for label, index in (("own", 2), ("cumulative", 3)):
        top = sorted(stats.items(), key=lambda item: -item[1][index])[:TOP]
        rows = [
            [
                where(key)[1].replace("|", "/"),
                f"{entry[1] / units:.2f}",
                us(entry[2]),
                us(entry[3]),
            ]
            for key, entry in top
        ]
        parts += [
            "",
            f"## Top {TOP} functions by {label} time",
            "",
            table(rows, ["function", f"calls per {unit}", "own µs", "cumulative µs"]),
        ]
    return "\n".join(parts) + "\n"


def memory_report(path: str, title: str, units: float) -> str:
    """Allocation sites of the connections opened in the measured section."""
    with open(path) as file:
        sites = json.load(file)
    total = sum(site["size"] for site in sites)
    rows = []
    for site in sorted(sites, key=lambda site: -site["size"])[:TOP]:
        filename, _, line = site["where"].rpartition(":")
        module = where((filename, int(line), ""))[0]
        rows.append(
            [
                f"{module}:{line}",
                f"{site['size'] / units:.0f}",
                f"{site['count'] / units:.2f}",
                f"{100 * site['size'] / total:.1f}%",
            ]
        )
    return (
        "\n".join(
            [
                f"# {title}",
                "",
                f"{units:g} connections; {total / units / 1024:.2f} KiB per connection "
                "allocated through Python's allocators and still held (tracemalloc; "
                "RSS also counts kernel-side and allocator overhead).",
                "",
                f"## Top {TOP} allocation sites",
                "",
                table(rows, ["site", "bytes per connection", "blocks", "share"]),
            ]
        )
        + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(DEFAULT))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    out = os.path.join(BENCH, "results", "profile")
    work = os.path.join(BENCH, ".work")
    os.makedirs(out, exist_ok=True)
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "profile-children.log"), "w") as log:
        for name in args.only.split(","):
            workload = BY_NAME[name]
            server_prof = os.path.join(work, f"{name}-server.prof")
            client_prof = os.path.join(work, f"{name}-client.prof")
            memory = workload.kind == "memory"
            result = run_one(
                workload,
                "websockets",
                args.quick,
                log,
                server_profile=server_prof,
                client_profile="" if memory else client_prof,
            )
            units = result["units"]
            if memory:
                title = f"{name}, server side: {workload.title}"
                path = os.path.join(out, f"{name}-server.md")
                with open(path, "w") as file:
                    file.write(memory_report(server_prof, title, units))
                print(f"Written {os.path.relpath(path, ROOT)}")
                continue
            for side, prof in (("server", server_prof), ("client", client_prof)):
                title = f"{name}, {side} side: {workload.title}"
                text = report(prof, title, units, workload.unit)
                path = os.path.join(out, f"{name}-{side}.md")
                with open(path, "w") as file:
                    file.write(text)
                print(f"Written {os.path.relpath(path, ROOT)}")


if __name__ == "__main__":
    main()
