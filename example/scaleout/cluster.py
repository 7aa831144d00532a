"""Start and stop the processes of the scale-out example on one machine.

redis-server, nginx and the workers run as subprocesses on 127.0.0.1 ports
chosen at run time, with their files in a temporary directory. The demo
(``demo.py``), the test (``tests/test_scaleout.py``) and the benchmark
(``bench.py``) share this module, so they run the same configuration as the
one documented in ``docs/deployment.rst``.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import queue
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any, Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
NGINX_TEMPLATE = HERE / "nginx.conf.template"

# Bounds on waiting for processes, in seconds: generous, since they're only
# reached when something is broken.
START_TIMEOUT = 20
STOP_TIMEOUT = 30


def find_binary(name: str) -> Optional[str]:
    """Find redis-server or nginx, in PATH or in /usr/sbin."""
    path = shutil.which(name)
    if path is None and os.access(f"/usr/sbin/{name}", os.X_OK):
        path = f"/usr/sbin/{name}"
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def raise_nofile_limit(wanted: int) -> int:
    """Raise RLIMIT_NOFILE to ``wanted`` if possible; return the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return soft
    for new_hard in (max(hard, wanted), hard):
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(
                resource.RLIMIT_NOFILE, (min(wanted, new_hard), new_hard)
            )
            break
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def nofile_hard_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def process_tree(pid: int) -> List[int]:
    """A process and its descendants (nginx's workers, for instance)."""
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            listed = children.read().split()
    except OSError:  # gone already
        listed = []
    for child in listed:
        pids.extend(process_tree(int(child)))
    return pids


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its descendants that are still running."""
    total = 0.0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            total += cpu_seconds(member)
    return total


def wait_for_port(port: int, timeout: float = START_TIMEOUT) -> None:
    """Wait until something accepts connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on port {port}") from None
            time.sleep(0.05)


def healthz(port: int) -> int:
    """GET /healthz on a worker or through nginx; return the status code."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status
    finally:
        connection.close()


class Process:
    """A subprocess whose output is collected line by line by a thread."""

    def __init__(
        self,
        name: str,
        args: List[str],
        *,
        stdin: Optional[int] = subprocess.DEVNULL,
        env: Optional[Dict[str, str]] = None,
        echo: Optional[IO[str]] = None,
    ) -> None:
        self.name = name
        self.echo = echo
        self.popen = subprocess.Popen(
            args,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            # Ctrl-C in a terminal goes to the demo, which stops the others
            # in order; they don't get it directly.
            start_new_session=True,
        )
        self.lines: List[str] = []
        self._queue: queue.Queue[Optional[str]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.append(line)
            self._queue.put(line)
            if self.echo is not None:
                print(f"[{self.name}] {line}", end="", file=self.echo, flush=True)
        self._queue.put(None)

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for_line(self, prefix: str, timeout: float = START_TIMEOUT) -> str:
        """Return the next line that starts with ``prefix``."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = self._queue.get(timeout=max(remaining, 0))
            except queue.Empty:
                raise TimeoutError(
                    f"{self.name}: no line starting with {prefix!r} "
                    f"after {timeout}s; output:\n{self.output}"
                ) from None
            if line is None:
                raise RuntimeError(
                    f"{self.name} exited ({self.popen.wait()}) before printing "
                    f"{prefix!r}; output:\n{self.output}"
                )
            if line.startswith(prefix):
                return line

    def send(self, line: str) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.write(line + "\n")
        self.popen.stdin.flush()

    def send_signal(self, signum: int) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signum)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Send ``signum``, wait for the exit, kill after ``timeout``."""
        self.send_signal(signum)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait()


class Cluster:
    """redis-server, nginx and N workers, started on free ports.

    Use it as a context manager: everything it started is stopped on exit.
    """

    def __init__(
        self,
        workers: int = 4,
        *,
        reuse_port: bool = False,
        nginx: bool = True,
        max_connections: int = 4096,
        echo: Optional[IO[str]] = None,
        worker_args: Optional[List[str]] = None,
    ) -> None:
        self.n_workers = workers
        self.reuse_port = reuse_port
        self.use_nginx = nginx and not reuse_port
        self.max_connections = max_connections
        self.echo = echo
        self.worker_args = worker_args or []
        self.run_dir = Path(tempfile.mkdtemp(prefix="scaleout-"))
        self.redis: Optional[Process] = None
        self.nginx: Optional[Process] = None
        self.workers: List[Optional[Process]] = [None] * workers
        # Workers that were restarted, for their output.
        self.retired: List[Process] = []
        self.redis_port = 0
        self.nginx_port = 0
        self.worker_ports: List[int] = []
        self.restarts = 0

    # Addresses.

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}"

    @property
    def port(self) -> int:
        """Where clients connect: nginx, or the shared port of the workers."""
        return self.nginx_port if self.use_nginx else self.worker_ports[0]

    @property
    def uri(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    # Life cycle.

    def __enter__(self) -> Cluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        # Each connection uses a descriptor in its worker, and clients that
        # reconnect overlap with those that are closing.
        raise_nofile_limit(self.max_connections + 1024)
        self.start_redis()
        if self.reuse_port:
            self.worker_ports = [free_port()] * self.n_workers
        else:
            self.worker_ports = [free_port() for _ in range(self.n_workers)]
        for index in range(self.n_workers):
            self.start_worker(index)
        if self.use_nginx:
            self.start_nginx()

    def stop(self) -> None:
        """Stop everything: workers first, then nginx, then redis-server."""
        for process in self.workers:
            if process is not None:
                process.send_signal(signal.SIGTERM)
        for process in self.workers:
            if process is not None:
                process.stop()
        if self.nginx is not None:
            # SIGQUIT: graceful shutdown of nginx.
            self.nginx.stop(signal.SIGQUIT, timeout=10)
        if self.redis is not None:
            self.redis.stop(signal.SIGTERM, timeout=10)
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def start_redis(self) -> None:
        binary = find_binary("redis-server")
        if binary is None:
            raise FileNotFoundError("redis-server is not installed")
        self.redis_port = free_port()
        self.redis = Process(
            "redis",
            [
                binary,
                "--bind", "127.0.0.1",
                "--port", str(self.redis_port),
                "--dir", str(self.run_dir),
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
                "--maxclients", "10000",
                "--loglevel", "warning",
            ],
            echo=self.echo,
        )  # fmt: skip
        wait_for_port(self.redis_port)

    def worker_command(self, index: int) -> List[str]:
        command = [
            sys.executable,
            str(HERE / "worker.py"),
            "--port", str(self.worker_ports[index]),
            "--redis", self.redis_url,
            "--name", f"w{index + 1}",
        ]  # fmt: skip
        if self.reuse_port:
            command.append("--reuse-port")
        return command + self.worker_args

    def start_worker(self, index: int) -> Process:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        process = Process(
            f"w{index + 1}", self.worker_command(index), env=env, echo=self.echo
        )
        self.workers[index] = process
        process.wait_for_line("READY")
        return process

    def nginx_config(self) -> str:
        servers = "\n        ".join(
            f"server 127.0.0.1:{port} max_fails=0;" for port in self.worker_ports
        )
        replacements = {
            "@RUN_DIR@": str(self.run_dir),
            "@LISTEN@": f"127.0.0.1:{self.nginx_port}",
            "@UPSTREAM_SERVERS@": servers,
            # Per nginx worker process: each proxied connection counts
            # twice, and the kernel may not spread them evenly.
            "@WORKER_CONNECTIONS@": str(2 * self.max_connections + 64),
            "@RLIMIT_NOFILE@": str(
                min(2 * self.max_connections + 1024, nofile_hard_limit())
            ),
        }
        config = NGINX_TEMPLATE.read_text()
        for placeholder, value in replacements.items():
            config = config.replace(placeholder, value)
        return config

    def start_nginx(self) -> None:
        binary = find_binary("nginx")
        if binary is None:
            raise FileNotFoundError("nginx is not installed")
        self.nginx_port = free_port()
        config = self.run_dir / "nginx.conf"
        config.write_text(self.nginx_config())
        self.nginx = Process(
            "nginx",
            [binary, "-p", str(self.run_dir), "-c", str(config), "-e", "stderr"],
            echo=self.echo,
        )
        wait_for_port(self.nginx_port)

    # Rolling restart.

    def restart_worker(self, index: int) -> float:
        """Restart a worker gracefully; return how long it took, in seconds.

        SIGTERM makes the worker stop accepting connections and close the
        open ones with 1012; once it exited, a new one starts on the same
        port. The next worker must not be restarted before this one answers
        ``/healthz``: otherwise, for a moment, several workers are down.
        """
        start = time.monotonic()
        process = self.workers[index]
        assert process is not None
        returncode = process.stop(signal.SIGTERM)
        self.retired.append(process)
        if returncode != 0:
            raise RuntimeError(
                f"{process.name} exited with {returncode}:\n{process.output}"
            )
        self.start_worker(index)
        assert healthz(self.worker_ports[index]) == 200
        self.restarts += 1
        return time.monotonic() - start

    def rolling_restart(self) -> List[float]:
        return [self.restart_worker(index) for index in range(self.n_workers)]

    def worker_pids(self) -> List[int]:
        return [process.pid for process in self.workers if process is not None]


# Clients (swarm.py) and publisher (publisher.py), driven from another process.


def start_swarms(uri: str, clients: int, processes: int, *args: str) -> List[Process]:
    """Start ``clients`` clients in ``processes`` processes; wait until connected."""
    swarms = [
        Process(
            f"swarm{index + 1}",
            [
                sys.executable,
                str(HERE / "swarm.py"),
                uri,
                "--clients",
                str(clients // processes),
                *args,
            ],
            stdin=subprocess.PIPE,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        for index in range(processes)
    ]
    try:
        for swarm in swarms:
            swarm.wait_for_line("CONNECTED", timeout=max(60, clients / 50))
    except BaseException:
        for swarm in swarms:
            swarm.stop()
        raise
    return swarms


def swarm_stats(swarms: List[Process]) -> List[Dict[str, Any]]:
    for swarm in swarms:
        swarm.send("stats")
    return [
        json.loads(swarm.wait_for_line("STATS").split(" ", 1)[1]) for swarm in swarms
    ]


def wait_delivered(
    swarms: List[Process], seq: int, timeout: float
) -> List[Dict[str, Any]]:
    """Wait until every client got message ``seq``; return the swarms' stats.

    Raise :exc:`TimeoutError` if that doesn't happen within ``timeout``.
    """
    for swarm in swarms:
        swarm.send(f"wait {seq} {timeout}")
    results = []
    for swarm in swarms:
        line = swarm.wait_for_line("", timeout=timeout + 30)
        while not line.startswith(("DONE", "TIMEOUT")):
            line = swarm.wait_for_line("", timeout=timeout + 30)
        if line.startswith("TIMEOUT"):
            raise TimeoutError(f"{swarm.name}: message {seq} not delivered: {line}")
        results.append(json.loads(line.split(" ", 1)[1]))
    return results


def per_worker(results: List[Dict[str, Any]]) -> Dict[str, int]:
    """Add up the swarms' counts of clients per worker."""
    counts: Dict[str, int] = {}
    for result in results:
        for worker, count in result["per_worker"].items():
            counts[worker] = counts.get(worker, 0) + count
    return dict(sorted(counts.items()))


def publish(redis_url: str, *args: str) -> Process:
    """Start publisher.py; see its ``--help`` for ``args``."""
    return Process(
        "publisher",
        [sys.executable, str(HERE / "publisher.py"), "--redis", redis_url, *args],
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )


def published(publisher: Process, timeout: float = 60) -> Tuple[int, str]:
    """Wait until the publisher is done; return its last seq and stream ID."""
    _, seq, last_id = publisher.wait_for_line("PUBLISHED", timeout=timeout).split()
    return int(seq), last_id


def cpu_snapshot(running: Cluster, swarms: List[Process]) -> Dict[str, float]:
    """CPU seconds used so far by each kind of process."""
    return {
        "workers": sum(tree_cpu_seconds(pid) for pid in running.worker_pids()),
        "nginx": (
            tree_cpu_seconds(running.nginx.pid) if running.nginx is not None else 0.0
        ),
        "redis": (
            tree_cpu_seconds(running.redis.pid) if running.redis is not None else 0.0
        ),
        "clients": sum(tree_cpu_seconds(swarm.pid) for swarm in swarms),
    }
