"""Run Autobahn|Testsuite against this library, both ways, and check results.

Usage::

    python compliance/run.py [--full] [MODE ...]

MODE is ``server`` (compliance/test_server.py tested by ``wstest -m
fuzzingclient``) or ``client`` (compliance/test_client.py tested by
``wstest -m fuzzingserver``); the default is both. Without --full, the cases
come from fuzzingclient.json / fuzzingserver.json (the subset run by ``make
test``); with --full, from the *-full.json files.

Each run listens on a free loopback port: this script copies the spec with
that port into compliance/reports/, starts the processes with bounded waits,
stops them whatever happens, records wall times and the expected case ids in
compliance/reports/runs.json, then calls check_results.py. Logs of every
process are in compliance/reports/logs/.

The suite runs on CPython 2.7 from compliance/.autobahn (``make
compliance-install``); the interpreter is --python2, else $AUTOBAHN_PYTHON,
else pyenv's 2.7.18.
"""

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import check_results

HERE = os.path.dirname(os.path.abspath(__file__))
REPORTS = os.path.join(HERE, "reports")
LOGS = os.path.join(REPORTS, "logs")
LAUNCHER = os.path.join(HERE, "wstest.py")
PY2_VERSION = "2.7.18"

# Bounded waits, in seconds.
STARTUP_TIMEOUT = 30
STOP_TIMEOUT = 10
DEFAULT_TIMEOUT = {False: 900, True: 3600}  # a whole run, subset / full


class Failure(Exception):
    """A run could not complete; the message says why."""


def find_python2():
    candidates = []
    if os.environ.get("AUTOBAHN_PYTHON"):
        candidates.append(os.environ["AUTOBAHN_PYTHON"])
    try:
        root = subprocess.run(
            ["pyenv", "root"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        root = ""
    for base in (root, os.path.expanduser("~/.pyenv")):
        if base:
            candidates.append(
                os.path.join(base, "versions", PY2_VERSION, "bin", "python")
            )
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return candidate
    raise Failure(
        f"CPython {PY2_VERSION} not found (tried {', '.join(candidates)}); "
        f"install it with `pyenv install {PY2_VERSION}` or set AUTOBAHN_PYTHON"
    )


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, process, name):
    """Wait until something accepts connections on port, or fail."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise Failure(f"{name} exited with status {process.returncode} on startup")
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        time.sleep(0.1)
    raise Failure(f"{name} did not listen on port {port} within {STARTUP_TIMEOUT}s")


class Processes:
    """Start processes in their own process groups; stop them all on exit."""

    def __init__(self):
        self.running = []

    def start(self, name, args, **kwargs):
        log_path = os.path.join(LOGS, f"{name}.log")
        log = open(log_path, "w")  # noqa: SIM115 (closed in stop())
        print(f"  $ {' '.join(args)}  > {os.path.relpath(log_path)}", flush=True)
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **kwargs,
        )
        process.name = name
        process.log = log
        process.log_path = log_path
        self.running.append(process)
        return process

    def wait(self, process, timeout):
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop(process)
            raise Failure(
                f"{process.name} did not finish within {timeout:.0f}s"
            ) from None

    def stop(self, process):
        """Stop a process group: SIGTERM, then SIGKILL after a while."""
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                print(f"  {process.name} ignored SIGTERM; killing it", flush=True)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        else:
            # Children (if any) of a process that exited by itself.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        process.log.close()
        if process in self.running:
            self.running.remove(process)
        return process.returncode

    def stop_all(self):
        for process in reversed(self.running[:]):
            self.stop(process)


def tail(path, lines=30):
    try:
        with open(path, errors="replace") as f:
            content = f.readlines()
    except OSError:
        return ""
    return "".join(content[-lines:])


def write_spec(source, port, name):
    """Copy a spec from compliance/ into reports/, pointing it at port."""
    with open(os.path.join(HERE, source)) as f:
        spec = json.load(f)
    url = f"ws://127.0.0.1:{port}"
    if "servers" in spec:  # fuzzingclient
        for server in spec["servers"]:
            server["url"] = url
    else:  # fuzzingserver
        spec["url"] = url
    path = os.path.join(REPORTS, name)
    with open(path, "w") as f:
        json.dump(spec, f, indent=2)
    return path, spec


def expected_cases(python2, spec_path):
    result = subprocess.run(
        [python2, LAUNCHER, "--list-cases", spec_path],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        raise Failure(f"cannot list the cases of {spec_path}:\n{result.stderr}")
    return json.loads(result.stdout)


def run_server_mode(python2, full, timeout, processes):
    """Our server, tested by wstest -m fuzzingclient."""
    port = free_port()
    source = "fuzzingclient-full.json" if full else "fuzzingclient.json"
    spec_path, spec = write_spec(source, port, "fuzzingclient.json")
    cases = expected_cases(python2, spec_path)
    print(f"server mode: {len(cases)} cases from {source}, port {port}", flush=True)
    shutil.rmtree(os.path.join(HERE, spec["outdir"]), ignore_errors=True)

    start = time.monotonic()
    server = processes.start(
        "test_server", [sys.executable, os.path.join(HERE, "test_server.py"), str(port)]
    )
    wait_for_port(port, server, "test_server.py")
    wstest = processes.start(
        "wstest-fuzzingclient",
        [python2, LAUNCHER, "-m", "fuzzingclient", "-s", spec_path],
        cwd=HERE,
    )
    status = processes.wait(wstest, max(1, timeout - (time.monotonic() - start)))
    crashed = server.poll()
    processes.stop(server)
    wall_time = time.monotonic() - start
    if status != 0:
        raise Failure(
            f"wstest -m fuzzingclient exited with status {status}:\n"
            + tail(wstest.log_path)
        )
    if crashed is not None:
        raise Failure(
            f"test_server.py exited during the run with status {crashed}:\n"
            + tail(server.log_path)
        )
    return {"wall_time": wall_time, "expected_cases": cases, "spec": source}


def run_client_mode(python2, full, timeout, processes):
    """Our client, tested by wstest -m fuzzingserver."""
    port = free_port()
    source = "fuzzingserver-full.json" if full else "fuzzingserver.json"
    spec_path, spec = write_spec(source, port, "fuzzingserver.json")
    cases = expected_cases(python2, spec_path)
    print(f"client mode: {len(cases)} cases from {source}, port {port}", flush=True)
    shutil.rmtree(os.path.join(HERE, spec["outdir"]), ignore_errors=True)

    start = time.monotonic()
    wstest = processes.start(
        "wstest-fuzzingserver",
        # --webport 0: no embedded web server (it would take port 8080).
        [python2, LAUNCHER, "-m", "fuzzingserver", "-s", spec_path, "--webport", "0"],
        cwd=HERE,
    )
    wait_for_port(port, wstest, "wstest -m fuzzingserver")
    client = processes.start(
        "test_client",
        [
            sys.executable,
            os.path.join(HERE, "test_client.py"),
            f"ws://127.0.0.1:{port}",
        ],
    )
    status = processes.wait(client, max(1, timeout - (time.monotonic() - start)))
    crashed = wstest.poll()
    processes.stop(wstest)
    wall_time = time.monotonic() - start
    if status != 0:
        raise Failure(
            f"test_client.py exited with status {status}:\n" + tail(client.log_path)
        )
    if crashed is not None:
        raise Failure(
            f"wstest -m fuzzingserver exited during the run with status {crashed}:\n"
            + tail(wstest.log_path)
        )
    return {"wall_time": wall_time, "expected_cases": cases, "spec": source}


RUNNERS = {"server": run_server_mode, "client": run_client_mode}


def on_signal(signum, frame):
    # Turn SIGTERM / SIGHUP into an exception, so that `finally` clauses stop
    # the processes that this script started.
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="all sections")
    parser.add_argument("--python2", help="CPython 2.7 interpreter for the suite")
    parser.add_argument(
        "--timeout",
        type=float,
        help="bound on each run, in seconds (default: 900, or 3600 with --full)",
    )
    parser.add_argument("--no-check", action="store_true", help="skip the check")
    parser.add_argument("modes", nargs="*", metavar="MODE", help="server, client")
    args = parser.parse_args(argv)
    modes = args.modes or list(RUNNERS)
    for mode in modes:
        if mode not in RUNNERS:
            parser.error(f"unknown mode {mode!r}, expected one of {', '.join(RUNNERS)}")
    timeout = args.timeout or DEFAULT_TIMEOUT[args.full]

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    os.makedirs(LOGS, exist_ok=True)
    runs_path = os.path.join(REPORTS, "runs.json")
    with contextlib.suppress(FileNotFoundError):
        os.remove(runs_path)

    processes = Processes()
    runs = {}
    errors = []
    try:
        python2 = args.python2 or find_python2()
        for mode in modes:
            try:
                runs[mode] = RUNNERS[mode](python2, args.full, timeout, processes)
                print(
                    f"{mode} mode: done in {runs[mode]['wall_time']:.1f}s", flush=True
                )
            except Failure as exc:
                errors.append(f"{mode} mode: {exc}")
                print(f"{mode} mode: ERROR: {exc}", flush=True)
            finally:
                processes.stop_all()
    except Failure as exc:
        errors.append(str(exc))
        print(f"ERROR: {exc}", flush=True)
    except KeyboardInterrupt as exc:
        print(f"interrupted ({exc}); stopping", flush=True)
        return 130
    finally:
        processes.stop_all()
        with open(runs_path, "w") as f:
            json.dump(runs, f, indent=2)

    print(flush=True)
    status = 0
    if not args.no_check:
        status = check_results.main(["--reports", REPORTS, *modes])
    for error in errors:
        print(f"ERROR: {error.splitlines()[0]}")
    return 1 if errors else status


if __name__ == "__main__":
    sys.exit(main())
