"""Benchmark suite: this library against aiohttp and a raw asyncio.Protocol.

Usage: python bench/run.py (--quick | --full) [--reps N] [--only NAME,...]
       [--loop {asyncio,uvloop,both}] [--out DIR] [--no-docs]

Run it with the benchmark's venv (``make bench`` / ``make bench-quick`` do).

For each repetition, each workload, each event loop (asyncio's default loop,
uvloop) and each library (the order of the libraries rotates from one
repetition to the next), the orchestrator:

1. starts ``server.py`` pinned to core 0 and waits for its port;
2. starts ``client.py`` pinned to core 1, which connects and warms up;
3. reads the server's CPU time (or RSS), tells the client to go, waits for
   its result (wall time, units of work, client CPU time), reads the
   server's CPU time (or RSS) again;
4. lets the client close its connections, then stops the server.

So both sides are measured over the same section. CPU time comes from each
process (``time.process_time()``, user + system); on a shared VM it is
steadier than wall time. Ratios to aiohttp, to raw and to picows are computed
repetition by repetition, between runs on the same loop, then summarized
(median, min to max). With ``--loop both`` (what ``make bench`` runs), the
report puts the two loops side by side.

Results: ``bench/results/latest.json``, ``latest.md`` and ``summary.rst``
(full runs) or ``bench/.work/quick.*`` (quick runs); a full run also
rewrites the results section of ``docs/performance.rst``, between the
comments ``.. BEGIN BENCH RESULTS`` and ``.. END BENCH RESULTS``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import select
import statistics
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional, Sequence

from workloads import WORKLOADS, Workload

DASH = "\u2013"  # en dash, for ranges in tables
BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
PY = sys.executable
LIBS = ("websockets", "aiohttp", "raw", "picows")
OTHERS = ("aiohttp", "raw", "picows")  # the baselines of the ratios
LOOPS = ("asyncio", "uvloop")
DOCS = os.path.join(ROOT, "docs", "performance.rst")
# glibc tunables: serve allocations up to 32 MiB from the heap and don't give
# memory back to the OS below 128 MiB of free space at the top of the heap.
MALLOC_TUNED = {
    "MALLOC_MMAP_THRESHOLD_": str(32 * 1024 * 1024),
    "MALLOC_TRIM_THRESHOLD_": str(128 * 1024 * 1024),
}
DOCS_BEGIN = ".. BEGIN BENCH RESULTS"
DOCS_END = ".. END BENCH RESULTS"


class Child:
    """A child process spoken to line by line, with timeouts on every read."""

    def __init__(self, args: List[str], log: Any) -> None:
        self.proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, cwd=BENCH
        )
        self.buffer = b""

    def readline(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer from {self.proc.args[1]}")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise EOFError(f"{self.proc.args[1]} exited")
                self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.decode().strip()

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def ask(self, command: str, timeout: float = 30.0) -> Dict[str, Any]:
        self.send(command)
        return json.loads(self.readline(timeout))  # type: ignore[no-any-return]

    def finish(self, timeout: float = 20.0) -> None:
        """Wait for the process to exit; kill it if it doesn't."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def cpus() -> tuple[Optional[int], Optional[int]]:
    try:
        available = sorted(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        return None, None
    if len(available) >= 2:
        return available[0], available[1]
    return None, None


def run_one(
    workload: Workload,
    lib: str,
    quick: bool,
    log: Any,
    server_profile: str = "",
    client_profile: str = "",
    count: int = 0,
    loop: str = "asyncio",
    server_prefix: Sequence[str] = (),
    client_prefix: Sequence[str] = (),
    seconds: float = 0.0,
    timeout_factor: float = 1.0,
    server_kwargs: str = "",
    client_kwargs: str = "",
    server_bytecodes: bool = False,
) -> Dict[str, Any]:
    """One repetition of one workload with one library: raw measurements.

    ``server_prefix`` and ``client_prefix`` go before the command lines of
    the children (e.g. valgrind, see ``bench/callgrind.py``), whose waits
    are then ``timeout_factor`` times longer; ``seconds`` overrides the
    workload's time limit. ``server_kwargs`` and ``client_kwargs`` (JSON)
    are more arguments of ``serve()`` and ``connect()`` for websockets.
    ``server_bytecodes`` makes ``server_profile`` a count of executed
    bytecodes (``bench/bytecodes.py``) instead of a cProfile profile.
    """
    server_cpu, client_cpu = cpus()
    slow = timeout_factor
    server_args = [*server_prefix, PY, "server.py", "--lib", lib]
    server_args += ["--mode", workload.server_mode, "--loop", loop]
    if server_kwargs:
        server_args += ["--kwargs", server_kwargs]
    if workload.deflate:
        server_args.append("--deflate")
    if server_cpu is not None:
        server_args += ["--cpu", str(server_cpu)]
    if server_profile:
        server_args += ["--profile", server_profile]
        if workload.kind == "memory":
            server_args.append("--tracemalloc")
        elif server_bytecodes:
            server_args.append("--bytecodes")
    server = Child(server_args, log)
    client: Optional[Child] = None
    try:
        ready = server.readline(30 * slow)
        if not ready.startswith("READY "):
            raise RuntimeError(f"server said {ready!r}")
        port, server_loop = ready.split()[1:3]
        if server_loop != loop:
            raise RuntimeError(f"server runs on {server_loop}, not {loop}")
        client_args = [*client_prefix, PY, "client.py", "--lib", lib]
        client_args += ["--workload", workload.name, "--port", port, "--loop", loop]
        if seconds:
            client_args += ["--seconds", str(seconds)]
        if client_kwargs:
            client_args += ["--kwargs", client_kwargs]
        if count:
            client_args += ["--count", str(count)]
        elif quick:
            client_args.append("--quick")
        if client_cpu is not None:
            client_args += ["--cpu", str(client_cpu)]
        if client_profile:
            client_args += ["--profile", client_profile]
        client = Child(client_args, log)
        ready = client.readline(150 * slow)
        if ready != f"READY {loop}":
            raise RuntimeError(f"client said {ready!r}")
        memory = workload.kind == "memory"
        before = server.ask("rss" if memory else "cpu", 30 * slow)
        if server_profile:
            server.ask("prof-start")
        client.send("go")
        line = client.readline((seconds or workload.seconds) + 90 * slow)
        if not line.startswith("RESULT "):
            raise RuntimeError(f"client said {line!r}")
        if server_profile:
            server.ask("prof-stop")
        after = server.ask("rss" if memory else "cpu", 30 * slow)
        result: Dict[str, Any] = json.loads(line[len("RESULT ") :])
        if memory:
            result["rss_before_kib"] = before["rss_kib"]
            result["rss_after_kib"] = after["rss_kib"]
        else:
            result["server_cpu"] = after["cpu"] - before["cpu"]
            result["server_minflt"] = after["minflt"] - before["minflt"]
        client.send("go")
        done = client.readline(90 * slow)
        if done != "DONE":
            raise RuntimeError(f"client said {done!r}")
        client.finish(20 * slow)
        return result
    finally:
        if client is not None and client.proc.poll() is None:
            client.proc.kill()
            client.proc.wait()
        try:
            server.send("quit")
        except OSError:
            pass
        server.finish(20 * slow)


def metrics(workload: Workload, raw: Dict[str, Any]) -> Dict[str, float]:
    """Per-unit figures of one repetition."""
    units = raw["units"]
    if workload.kind == "memory":
        growth = raw["rss_after_kib"] - raw["rss_before_kib"]
        return {"kib_per_conn": growth / units}
    server = raw["server_cpu"]
    client = raw["client_cpu"]
    # Round trips on one connection alternate between the sides; streams and
    # many connections keep both sides busy at once.
    sequential = workload.kind == "rt" and workload.params.get("conns") == 1
    busiest = server + client if sequential else max(server, client)
    figures = {
        "server_us": server / units * 1e6,
        "client_us": client / units * 1e6,
        "wall_rate": units / raw["wall"],
        "cpu_rate": units / busiest,
    }
    if "server_minflt" in raw and "client_minflt" in raw:
        # Fresh memory touched: each fault costs the kernel a zeroed page.
        figures["server_faults"] = raw["server_minflt"] / units
        figures["client_faults"] = raw["client_minflt"] / units
    return figures


def summarize(values: List[float]) -> Dict[str, float]:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def load_average() -> List[float]:
    return list(os.getloadavg())


def mask_throughput() -> Dict[str, float]:
    """Run bench_mask.py (another engineer's) and parse its MB/s figures."""
    try:
        output = subprocess.run(
            [PY, os.path.join(BENCH, "bench_mask.py")],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
    except (subprocess.SubprocessError, OSError):
        return {}
    found = {}
    for line in output.splitlines():
        match = re.match(r"\s*(\w+):\s*([\d.]+) MB/s", line)
        if match:
            found[match.group(1)] = float(match.group(2))
    return found


def environment() -> Dict[str, Any]:
    info: Dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cores": os.cpu_count(),
        "pinned": cpus() != (None, None),
        "malloc": {key: os.environ[key] for key in MALLOC_TUNED if key in os.environ},
    }
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        info["commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        ).stdout.strip()
    except (subprocess.SubprocessError, OSError):
        pass
    versions = subprocess.run(
        [
            PY,
            "-c",
            "import aiohttp, websockets, importlib.util as u, importlib.metadata as m\n"
            "def v(name):\n"
            "    try: return m.version(name)\n"
            "    except m.PackageNotFoundError: return '-'\n"
            "print(aiohttp.__version__, websockets.__version__, "
            "u.find_spec('websockets.speedups') is not None, v('uvloop'), v('picows'))",
        ],
        capture_output=True,
        text=True,
        cwd=BENCH,
    ).stdout.split()
    if len(versions) == 5:
        info["aiohttp"], info["websockets"] = versions[:2]
        info["speedups"] = versions[2] == "True"
        info["uvloop"], info["picows"] = versions[3:]
    return info


def analyze(
    runs: Dict[str, Dict[str, List[Optional[Dict[str, Any]]]]],
) -> Dict[str, Any]:
    """Medians, ranges and paired ratios for every workload and library."""
    by_name = {workload.name: workload for workload in WORKLOADS}
    analysis: Dict[str, Any] = {}
    for name, per_lib in runs.items():
        workload = by_name[name]
        reps = {
            lib: [metrics(workload, raw) if raw else None for raw in raws]
            for lib, raws in per_lib.items()
        }
        entry: Dict[str, Any] = {"libs": {}, "ratios": {}}
        for lib, values in reps.items():
            good = [value for value in values if value is not None]
            if not good:
                continue
            entry["libs"][lib] = {
                key: summarize([value[key] for value in good]) for key in good[0]
            }
        ours = reps.get("websockets", [])
        for other in OTHERS:
            theirs = reps.get(other)
            if not theirs:
                continue
            pairs = [
                (mine, their)
                for mine, their in zip(ours, theirs)
                if mine is not None and their is not None
            ]
            if not pairs:
                continue
            entry["ratios"][other] = {
                key: summarize([mine[key] / their[key] for mine, their in pairs])
                for key in pairs[0][0]
                # Page faults are often 0 or close: their ratios mean nothing.
                if not key.endswith("_faults") and all(their[key] for _, their in pairs)
            }
        analysis[name] = entry
    return analysis


def analyze_loops(
    runs: Dict[str, Dict[str, Dict[str, List[Optional[Dict[str, Any]]]]]],
) -> Dict[str, Any]:
    """:func:`analyze` for each event loop: ``{loop: {workload: ...}}``."""
    return {loop: analyze(per_loop) for loop, per_loop in runs.items()}


# Targets: (loop, workload, metric, against, bound, direction). Issue 16's
# come first; the earlier ones must not regress.
TARGETS = [
    ("asyncio", "handshake", "server_us", "aiohttp", 0.6, "<="),
    ("asyncio", "handshake", "client_us", "aiohttp", 0.6, "<="),
    ("asyncio", "conc100", "server_us", "raw", 1.3, "<="),
    ("asyncio", "conc100", "client_us", "raw", 1.3, "<="),
    ("uvloop", "conc100", "server_us", "picows", 1.5, "<="),
    ("uvloop", "conc100", "client_us", "picows", 1.5, "<="),
    ("asyncio", "conc100", "server_us", "aiohttp", 1.0, "<="),
    ("asyncio", "conc100", "client_us", "aiohttp", 1.0, "<="),
    ("asyncio", "rt64", "cpu_rate", "aiohttp", 1.0, ">="),
    ("asyncio", "rt4k", "cpu_rate", "aiohttp", 1.0, ">="),
    ("asyncio", "stream1m", "cpu_rate", "aiohttp", 2.5, ">="),
    ("asyncio", "stream1m", "cpu_rate", "raw", 0.6, ">="),
    ("asyncio", "memory", "kib_per_conn", None, 10.0, "<="),
    ("asyncio", "memory-deflate", "kib_per_conn", None, 64.0, "<="),
    ("asyncio", "stream64k-deflate", "cpu_rate", "aiohttp", 1.0, ">="),
]

METRIC_NAMES = {
    "server_us": "server CPU per unit",
    "client_us": "client CPU per unit",
    "cpu_rate": "CPU-bound throughput",
    "wall_rate": "wall-clock throughput",
    "kib_per_conn": "KiB per idle connection",
    "server_faults": "server page faults per unit",
    "client_faults": "client page faults per unit",
}


def check_targets(
    analysis: Dict[str, Any], mask: Dict[str, float]
) -> List[Dict[str, Any]]:
    """Check the targets against ``analysis``, ``{loop: {workload: ...}}``."""
    checks = []
    for loop, name, metric, against, bound, direction in TARGETS:
        entry = analysis.get(loop, {}).get(name)
        if entry is None:
            continue
        if against is None:
            ours = entry["libs"].get("websockets", {}).get(metric)
            value = ours["median"] if ours else None
            label = f"{name}: {METRIC_NAMES[metric]} {direction} {bound:g}"
        else:
            ratio = entry["ratios"].get(against, {}).get(metric)
            value = ratio["median"] if ratio else None
            label = f"{name}: {METRIC_NAMES[metric]} {direction} {bound:g}x {against}"
        met = None
        if value is not None:
            met = value <= bound if direction == "<=" else value >= bound
        checks.append({"target": f"{label} ({loop})", "value": value, "met": met})
    if "C" in mask:
        checks.append(
            {
                "target": "apply_mask in C on 1 MiB >= 4 GB/s",
                "value": mask["C"] / 1000,
                "met": mask["C"] >= 4000,
            }
        )
    return checks


# Markdown and reStructuredText output.


def fmt(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def cell(stats: Optional[Dict[str, float]], ranges: bool = True) -> str:
    if not stats:
        return DASH
    text = fmt(stats["median"])
    if ranges and stats["n"] > 1:
        text += f" ({fmt(stats['min'])}{DASH}{fmt(stats['max'])})"
    return text


def ratio_cell(stats: Optional[Dict[str, float]], ranges: bool = True) -> str:
    if not stats:
        return DASH
    text = f"{stats['median']:.2f}x"
    if ranges and stats["n"] > 1:
        text += f" ({stats['min']:.2f}{DASH}{stats['max']:.2f})"
    return text


def unit_label(workload: Workload, metric: str) -> str:
    if metric in ("server_us", "client_us"):
        return f"µs per {workload.unit}"
    if metric in ("cpu_rate", "wall_rate"):
        return f"{workload.unit}/s"
    if metric in ("server_faults", "client_faults"):
        return f"faults per {workload.unit}"
    return "KiB per connection"


def table_rows(
    analysis: Dict[str, Any], metrics_: List[str], ranges: bool
) -> List[List[str]]:
    """Rows of a table: each workload and metric, one row per loop."""
    rows = []
    for workload in WORKLOADS:
        for metric in metrics_:
            for loop in LOOPS:
                entry = analysis.get(loop, {}).get(workload.name)
                if entry is None:
                    continue
                if not any(metric in stats for stats in entry["libs"].values()):
                    continue
                unit = unit_label(workload, metric)
                row = [workload.name, METRIC_NAMES[metric], unit, loop]
                for lib in LIBS:
                    row.append(cell(entry["libs"].get(lib, {}).get(metric), ranges))
                for other in OTHERS:
                    row.append(
                        ratio_cell(entry["ratios"].get(other, {}).get(metric), ranges)
                    )
                rows.append(row)
    return rows


HEADER = [
    "workload",
    "metric",
    "unit",
    "loop",
    *LIBS,
    *(f"÷ {other}" for other in OTHERS),
]


def markdown_table(header: List[str], rows: List[List[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def rst_table(header: List[str], rows: List[List[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    rule = " ".join("=" * width for width in widths)

    def line(row: List[str]) -> str:
        return " ".join(text.ljust(width) for text, width in zip(row, widths)).rstrip()

    return "\n".join([rule, line(header), rule, *(line(row) for row in rows), rule])


def loads(values: List[float]) -> str:
    return ", ".join(f"{value:.2f}" for value in values)


def describe(report: Dict[str, Any]) -> str:
    env = report["environment"]
    load = report["load_before"], report["load_after"]
    tuned = ""
    if env.get("malloc"):
        settings = ", ".join(f"{k}={v}" for k, v in env["malloc"].items())
        tuned = f" glibc malloc tuned ({settings}): big buffers stay on the heap."
    busy = ""
    cores = env.get("cores") or 1
    # The benchmark's own server and client processes make a load of up to
    # about 1 on their own; more means that other jobs were running.
    if max(load[0][0], load[1][0]) > max(cores - 0.5, 1.5):
        busy = (
            " The machine was busy (other jobs were running, see the load "
            "averages): wall-clock figures are unreliable, CPU figures less so, "
            "and the ranges show how much the repetitions varied."
        )
    return (
        f"{report['mode']} run, {report['reps']} repetition(s), {env.get('date')}; "
        f"commit {env.get('commit', '?')}; websockets {env.get('websockets', '?')} "
        f"(C speedups: {env.get('speedups', '?')}), aiohttp {env.get('aiohttp', '?')}, "
        f"picows {env.get('picows', '?')}, uvloop {env.get('uvloop', '?')}, "
        f"Python {env['python']}; event loops: {', '.join(report['loops'])}; "
        f"{env.get('cores')} cores ({env.get('cpu', '?')}), "
        f"server and client pinned to separate cores: {env['pinned']}. "
        f"Load average (1, 5, 15 min) before: {loads(load[0])}; "
        f"after: {loads(load[1])}.{busy}{tuned}"
    )


def markdown(report: Dict[str, Any]) -> str:
    analysis = report["analysis"]
    parts = [
        "# Benchmark results",
        "",
        describe(report),
        "",
        f"Cells: median (min{DASH}max) over the repetitions. Ratios are websockets ÷ "
        "the other library, computed repetition by repetition: below 1 is "
        "better for CPU and memory, above 1 is better for throughput. "
        "CPU figures are user + system time of each process over the measured "
        'section. "CPU-bound throughput" is units per CPU second of the '
        "busiest side (of both sides added up for one-connection round trips, "
        "where they take turns): what a dedicated core would sustain. "
        "Streaming is one-way, client to server, per MB = 10^6 payload bytes. "
        'Loop "asyncio" is the standard library\'s default event loop, "uvloop" '
        "uvloop's; every library runs on the loop of its row (picows with its "
        "own transport, aiofastnet, as installed by default).",
        "",
        "## CPU per unit of work (lower is better)",
        "",
        markdown_table(HEADER, table_rows(analysis, ["server_us", "client_us"], True)),
        "",
        "## Throughput (higher is better)",
        "",
        markdown_table(HEADER, table_rows(analysis, ["cpu_rate", "wall_rate"], True)),
        "",
        "## Memory per idle connection (lower is better)",
        "",
        markdown_table(HEADER, table_rows(analysis, ["kib_per_conn"], True)),
        "",
        "## Minor page faults per unit of work (lower is better)",
        "",
        "Fresh memory touched during the measured section (getrusage "
        "ru_minflt): the kernel zeroes a 4 KiB page for each. With large "
        "messages, glibc's malloc may serve each big buffer from a new "
        "mmap() and unmap it when freed, so that every received byte lands "
        "on a fresh page: then page faults, not the library, dominate the "
        "CPU cost, and they vary from run to run with the allocator's state "
        "(see bench/results/PROFILE.md).",
        "",
        markdown_table(
            HEADER, table_rows(analysis, ["server_faults", "client_faults"], True)
        ),
        "",
        "## Targets",
        "",
        markdown_table(
            ["target", "measured (median)", "met"],
            [
                [
                    check["target"],
                    DASH if check["value"] is None else f"{check['value']:.2f}",
                    {True: "yes", False: "**no**", None: DASH}[check["met"]],
                ]
                for check in report["targets"]
            ],
        ),
        "",
    ]
    if report["mask"]:
        figures = ", ".join(f"{k}: {v:,.0f} MB/s" for k, v in report["mask"].items())
        parts += [f"apply_mask on 1 MiB (bench/bench_mask.py): {figures}.", ""]
    parts += ["## Workloads", ""]
    for workload in WORKLOADS:
        if any(workload.name in per_loop for per_loop in analysis.values()):
            parts.append(f"* `{workload.name}`: {workload.title}.")
    if report.get("skipped"):
        parts += ["", "## Skipped", ""]
        parts += [f"* {skip}" for skip in report["skipped"]]
    if report["errors"]:
        parts += ["", "## Errors", ""]
        parts += [f"* {error}" for error in report["errors"]]
    return "\n".join(parts) + "\n"


def rst_summary(report: Dict[str, Any]) -> str:
    analysis = report["analysis"]
    header = HEADER
    rows = table_rows(analysis, ["server_us", "client_us", "kib_per_conn"], False)
    return "\n".join(
        [
            DOCS_BEGIN,
            "",
            describe(report),
            "Medians; ratios are websockets ÷ the other, paired by repetition "
            "(below 1 is better). Full results with ranges and throughput: "
            "``bench/results/latest.md``.",
            "",
            rst_table(header, rows),
            "",
            "Targets (medians of the ratios above, or absolute figures):",
            "",
            rst_table(
                ["target", "measured", "met"],
                [
                    [
                        check["target"],
                        "n/a" if check["value"] is None else f"{check['value']:.2f}",
                        {True: "yes", False: "no", None: "n/a"}[check["met"]],
                    ]
                    for check in report["targets"]
                ],
            ),
            "",
            DOCS_END,
        ]
    )


def update_docs(report: Dict[str, Any]) -> bool:
    """Replace the results section of docs/performance.rst, if it has one."""
    try:
        with open(DOCS, encoding="utf-8") as file:
            text = file.read()
    except OSError:
        return False
    start, end = text.find(DOCS_BEGIN), text.find(DOCS_END)
    if start < 0 or end < start:
        return False
    text = text[:start] + rst_summary(report) + text[end + len(DOCS_END) :]
    with open(DOCS, "w", encoding="utf-8") as file:
        file.write(text)
    return True


def write(report: Dict[str, Any], out: str, docs: bool) -> None:
    """Write the Markdown, JSON and reStructuredText files of a report."""
    quick = report["mode"] == "quick"
    stem = "quick" if quick else "latest"
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, stem + ".json"), "w") as file:
        json.dump(report, file, indent=1, sort_keys=True)
    text = markdown(report)
    with open(os.path.join(out, stem + ".md"), "w") as file:
        file.write(text)
    with open(os.path.join(out, "quick.rst" if quick else "summary.rst"), "w") as file:
        file.write(rst_summary(report) + "\n")
    print()
    print(text)
    print(f"Written {os.path.join(out, stem)}.md, .json and the .rst summary.")
    if docs:
        if update_docs(report):
            print(f"Updated {DOCS}.")
        else:
            print(f"{DOCS} has no results section ({DOCS_BEGIN}): not updated.")


def importable(module: str) -> bool:
    """Whether the benchmark's Python can import ``module``."""
    check = [PY, "-c", f"import {module}"]
    return subprocess.run(check, capture_output=True, cwd=BENCH).returncode == 0


def measure(args: argparse.Namespace) -> Dict[str, Any]:
    """Run every repetition of the selected workloads; return the report."""
    quick = args.quick
    reps = args.reps or (1 if quick else 5)
    selected = [w for w in WORKLOADS if not args.only or w.name in args.only.split(",")]
    loops = list(LOOPS) if args.loop == "both" else [args.loop]
    libs_wanted = args.libs.split(",") if args.libs else list(LIBS)
    errors: List[str] = []
    skipped: List[str] = []
    for optional in ("uvloop", "picows"):
        if not importable(optional):
            skipped.append(f"{optional} can't be imported: not measured")
            print(f"WARNING: {skipped[-1]}", file=sys.stderr, flush=True)
            if optional in loops:
                loops.remove(optional)
            if optional in libs_wanted:
                libs_wanted.remove(optional)
    if not loops:
        raise SystemExit("no event loop to measure")
    os.makedirs(os.path.join(BENCH, ".work"), exist_ok=True)
    load_before = load_average()
    env = environment()
    runs: Dict[str, Dict[str, Dict[str, List[Optional[Dict[str, Any]]]]]] = {}
    started = time.monotonic()
    with open(os.path.join(BENCH, ".work", "children.log"), "w") as log:
        for rep in range(reps):
            for workload in selected:
                # Alternate the order of the loops, rotate the libraries.
                order = loops if rep % 2 == 0 else loops[::-1]
                for loop in order:
                    libs = [lib for lib in workload.libs if lib in libs_wanted]
                    if not libs:
                        continue
                    shift = rep % len(libs)
                    for lib in libs[shift:] + libs[:shift]:
                        raw = run_and_check(
                            workload, lib, quick, log, rep, errors, loop
                        )
                        per_lib = runs.setdefault(loop, {}).setdefault(
                            workload.name, {}
                        )
                        per_lib.setdefault(lib, []).append(raw)
                        if raw is not None:
                            shown = metrics(workload, raw)
                            text = ", ".join(f"{k} {fmt(v)}" for k, v in shown.items())
                            print(
                                f"rep {rep + 1}/{reps} {workload.name:17} {loop:7} "
                                f"{lib:10} {text}",
                                flush=True,
                            )
    mask = mask_throughput()
    analysis = analyze_loops(runs)
    report = {
        "mode": "quick" if quick else "full",
        "reps": reps,
        "loops": loops,
        "environment": env,
        "load_before": load_before,
        "load_after": load_average(),
        "duration_s": time.monotonic() - started,
        "workloads": {
            w.name: {
                "title": w.title,
                "unit": w.unit,
                "kind": w.kind,
                "count": w.quick if quick else w.count,
                "params": w.params,
                "deflate": w.deflate,
            }
            for w in selected
        },
        "runs": runs,
        "analysis": analysis,
        "mask": mask,
        "errors": errors,
        "skipped": skipped,
    }
    report["targets"] = check_targets(analysis, mask)
    return report


def run_and_check(
    workload: Workload,
    lib: str,
    quick: bool,
    log: Any,
    rep: int,
    errors: List[str],
    loop: str = "asyncio",
) -> Optional[Dict[str, Any]]:
    """run_one(), with failures and anomalies recorded in ``errors``."""
    where = f"rep {rep + 1}, {workload.name}, {loop}, {lib}"
    try:
        raw = run_one(workload, lib, quick, log, loop=loop)
    except Exception as exc:  # report and go on with the next run
        errors.append(f"{where}: {exc!r}")
        print(f"  ERROR {errors[-1]}", flush=True)
        return None
    if raw.get("negotiated") is False and workload.deflate:
        errors.append(f"{where}: compression wasn't negotiated")
    if raw.get("timed_out"):
        errors.append(
            f"{where}: time limit reached after {raw['units']:g} {workload.unit}"
        )
    return raw


def upgrade(report: Dict[str, Any]) -> Dict[str, Any]:
    """Read a report of an older run: before loops, runs were per workload."""
    if "loops" not in report:
        report["loops"] = ["asyncio"]
        report["runs"] = {"asyncio": report["runs"]}
    report.setdefault("skipped", [])
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--quick", action="store_true", help="under a minute")
    group.add_argument("--full", action="store_true", help="the full suite")
    group.add_argument("--render", metavar="JSON", help="rewrite outputs from JSON")
    parser.add_argument("--reps", type=int, default=0, help="repetitions")
    parser.add_argument("--only", default="", help="comma-separated workloads")
    parser.add_argument(
        "--loop",
        choices=[*LOOPS, "both"],
        default="both",
        help="event loop(s) of the server and client processes (default: both, "
        "side by side)",
    )
    parser.add_argument(
        "--libs", default="", help="comma-separated libraries (default: all)"
    )
    parser.add_argument("--out", default="", help="output directory")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument(
        "--tune-malloc",
        action="store_true",
        help="keep big buffers on glibc's heap (no mmap per buffer) in the "
        "children, to measure the libraries without page-fault noise",
    )
    args = parser.parse_args()
    if args.tune_malloc:
        os.environ.update(MALLOC_TUNED)

    if args.render:
        with open(args.render) as file:
            report = upgrade(json.load(file))
        # Recompute what derives from the raw runs, with the current code.
        report["analysis"] = analyze_loops(report["runs"])
        report["targets"] = check_targets(report["analysis"], report["mask"])
    else:
        report = measure(args)
    quick = report["mode"] == "quick"
    out = args.out or os.path.join(BENCH, ".work" if quick else "results")
    docs = not quick and not args.no_docs and not args.only and not args.libs
    write(report, out, docs)


if __name__ == "__main__":
    main()
