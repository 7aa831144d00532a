"""Check the reports of Autobahn|Testsuite and print a summary.

Usage::

    python compliance/check_results.py [--reports DIR] [MODE ...]

MODE is ``server`` (our server tested by ``wstest -m fuzzingclient``, report
in DIR/servers) or ``client`` (our client tested by ``wstest -m
fuzzingserver``, report in DIR/clients); the default is both. DIR defaults
to compliance/reports.

The check is strict: a case passes only if both its ``behavior`` and its
``behaviorClose`` are OK or INFORMATIONAL. NON-STRICT, UNIMPLEMENTED,
FAILED and anything else fail it, and so does a case that the run was
meant to cover (``runs.json``, written by run.py) but that is missing from
the report. The exit status is 0 if every case passed, 1 otherwise.
"""

import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_REPORTS = os.path.join(HERE, "reports")

MODES = {
    # mode: (report folder, what is tested)
    "server": ("servers", "websockets server vs. wstest -m fuzzingclient"),
    "client": ("clients", "websockets client vs. wstest -m fuzzingserver"),
}

PASSING = ("OK", "INFORMATIONAL")
# Columns of the table, from best to worst; a case is counted in the worst
# column that either of its two verdicts reaches. Verdicts that are not in
# this list (e.g. "WRONG CODE", "UNCLEAN") are counted as FAILED.
COLUMNS = ("OK", "INFORMATIONAL", "NON-STRICT", "UNIMPLEMENTED", "FAILED")
MISSING = "MISSING"

# How much of a failing case's report to print.
MAX_DETAIL = 300


def case_key(case_id):
    return tuple(int(part) for part in case_id.split("."))


def verdict(result):
    """Return the column in which a case of the report is counted."""
    worst = 0
    for field in ("behavior", "behaviorClose"):
        value = result.get(field)
        rank = COLUMNS.index(value) if value in COLUMNS else len(COLUMNS) - 1
        worst = max(worst, rank)
    return COLUMNS[worst]


def passed(result):
    return result.get("behavior") in PASSING and result.get("behaviorClose") in PASSING


def shorten(value):
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    text = " ".join(re.sub(r"<[^>]*>", " ", text).split())
    if len(text) > MAX_DETAIL:
        text = text[: MAX_DETAIL - 3] + "..."
    return text


def load_runs(reports):
    """Return what run.py recorded about the runs, if anything."""
    path = os.path.join(reports, "runs.json")
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def describe_failure(outdir, case_id, result):
    """Return lines explaining why a case failed, from its own report."""
    lines = [
        f"  {case_id}: behavior={result.get('behavior')} "
        f"behaviorClose={result.get('behaviorClose')} "
        f"remoteCloseCode={result.get('remoteCloseCode')}"
    ]
    reportfile = result.get("reportfile")
    if not reportfile:
        return lines
    try:
        with open(os.path.join(outdir, reportfile)) as f:
            report = json.load(f)
    except (OSError, ValueError) as exc:
        lines.append(f"    (cannot read {reportfile}: {exc})")
        return lines
    for field in (
        "description",
        "expectation",
        "result",
        "expected",
        "received",
        "resultClose",
        "expectedClose",
    ):
        # An empty "received" is telling: the peer sent nothing back.
        if field in report and (field == "received" or report[field]):
            lines.append(f"    {field}: {shorten(report[field])}")
    return lines


def check_mode(mode, reports, runs):
    """Print the table of one mode; return True if every case passed."""
    folder, title = MODES[mode]
    outdir = os.path.join(reports, folder)
    run = runs.get(mode, {})
    print(f"== {mode}: {title}")
    wall_time = run.get("wall_time")
    if wall_time is not None:
        print(f"   wall time: {wall_time:.1f}s")

    try:
        with open(os.path.join(outdir, "index.json")) as f:
            index = json.load(f)
    except (OSError, ValueError) as exc:
        print(f"   FAIL: no usable report in {outdir}: {exc}")
        return False
    if len(index) != 1:
        print(f"   FAIL: expected one agent in the report, found {sorted(index)}")
        return False
    ((agent, results),) = index.items()
    print(f"   agent: {agent}, report: {os.path.join(outdir, 'index.html')}")

    expected = run.get("expected_cases")
    missing = sorted(set(expected or ()) - set(results), key=case_key)
    if not results:
        print("   FAIL: the report holds no case")
        return False

    sections = {}
    for case_id, result in results.items():
        counts = sections.setdefault(case_key(case_id)[0], dict.fromkeys(COLUMNS, 0))
        counts[verdict(result)] += 1
    for case_id in missing:
        counts = sections.setdefault(case_key(case_id)[0], dict.fromkeys(COLUMNS, 0))
        counts[MISSING] = counts.get(MISSING, 0) + 1

    columns = [*COLUMNS, MISSING] if missing else list(COLUMNS)
    header = f"   {'section':>8} {'cases':>6} " + " ".join(f"{c:>13}" for c in columns)
    header += f" {'time':>8}"
    print(header)
    total = dict.fromkeys(columns, 0)
    durations = {}
    for case_id, result in results.items():
        section = case_key(case_id)[0]
        durations[section] = durations.get(section, 0) + (result.get("duration") or 0)
    for section in sorted(sections):
        counts = sections[section]
        cases = sum(counts.get(c, 0) for c in columns)
        cells = " ".join(f"{counts.get(c, 0):>13}" for c in columns)
        seconds = durations.get(section, 0) / 1000
        print(f"   {section:>8} {cases:>6} {cells} {seconds:>7.1f}s")
        for c in columns:
            total[c] += counts.get(c, 0)
    cells = " ".join(f"{total[c]:>13}" for c in columns)
    seconds = sum(durations.values()) / 1000
    print(f"   {'total':>8} {sum(total.values()):>6} {cells} {seconds:>7.1f}s")

    failures = sorted(
        (case_id for case_id, result in results.items() if not passed(result)),
        key=case_key,
    )
    ok = not failures and not missing
    if failures:
        print(f"   FAIL: {len(failures)} case(s) not OK/INFORMATIONAL:")
        for case_id in failures:
            for line in describe_failure(outdir, case_id, results[case_id]):
                print(f"   {line}")
    if missing:
        print(f"   FAIL: {len(missing)} case(s) missing from the report:")
        print("     " + " ".join(missing))
    if ok:
        print(f"   PASS: all {len(results)} cases OK or INFORMATIONAL")
    return ok


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--reports",
        default=DEFAULT_REPORTS,
        help="folder holding servers/ and clients/ (default: %(default)s)",
    )
    parser.add_argument("modes", nargs="*", metavar="MODE", help="server, client")
    args = parser.parse_args(argv)
    modes = args.modes or list(MODES)
    for mode in modes:
        if mode not in MODES:
            parser.error(f"unknown mode {mode!r}, expected one of {', '.join(MODES)}")
    runs = load_runs(args.reports)
    results = []
    for mode in modes:
        results.append(check_mode(mode, args.reports, runs))
        print()
    if all(results):
        print("compliance: PASS")
        return 0
    print("compliance: FAIL")
    return 1


if __name__ == "__main__":
    sys.exit(main())
