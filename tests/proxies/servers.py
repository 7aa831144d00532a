"""Real proxy servers, started on 127.0.0.1 with configurations written at
test time.

* tinyproxy (Debian's ``tinyproxy``): HTTP proxy, ``CONNECT``, Basic proxy
  authentication, ``ConnectPort`` filtering, idle timeout;
* danted (Debian's ``dante-server``): SOCKS4 and SOCKS5 without
  authentication (dante checks passwords against system accounts only);
* pproxy (PyPI, in .venv): SOCKS5 with username and password;
* stunnel (Debian's ``stunnel4``): TLS terminator in front of tinyproxy,
  which makes an ``https://`` proxy.

``make test`` installs them (mk/proxies.mk, tests/proxies/install.sh). When
one is missing, its tests are skipped loudly: the reason is repeated at the
end of the run.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time
from typing import List, NoReturn, Optional, Sequence

import pytest

__all__ = [
    "LOUD_SKIPS",
    "ProxyServer",
    "dante",
    "free_port",
    "pproxy",
    "skip_loudly",
    "stunnel",
    "tinyproxy",
]

# Components that couldn't run and why, repeated at the end of the run so
# that a missing proxy server can't go unnoticed in `pytest -q`.
LOUD_SKIPS: dict[str, str] = {}

# How long a proxy server may take to accept connections after it starts.
START_TIMEOUT = 10.0


def skip_loudly(component: str, reason: str) -> NoReturn:
    LOUD_SKIPS[component] = reason
    pytest.skip(f"{component} SKIPPED: {reason}")


def find_binary(name: str, package: str) -> str:
    """Return the path of a proxy server binary, or skip the test loudly."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")
    if path is None:
        skip_loudly(
            package,
            f"{name} isn't installed; `make proxy-deps` installs Debian's "
            f"{package} package (as root)",
        )
    return path


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ProxyServer:
    """A proxy server running in a subprocess.

    :param name: name for messages
    :param argv: command line
    :param port: port where the server accepts connections once ready
    :param directory: where its configuration and output files go
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        port: int,
        directory: pathlib.Path,
        env: Optional[dict[str, str]] = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = env
        self.port = port
        self.directory = directory
        self.output_path = directory / f"{name}.out"
        self.log_path: Optional[pathlib.Path] = None
        self.process: Optional[subprocess.Popen[bytes]] = None

    def start(self) -> ProxyServer:
        with open(self.output_path, "wb") as output:
            self.process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=self.directory,
                env=self.env,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        # Wait until the server accepts connections, or exits.
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self.process.returncode}:\n"
                    f"{self.output()}"
                )
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"{self.name} didn't listen on port {self.port} within "
                        f"{START_TIMEOUT} seconds:\n{self.output()}"
                    ) from None
                time.sleep(0.02)
            else:
                return self

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()
            process.wait(timeout=5)

    def output(self) -> str:
        """Return what the server printed and logged so far."""
        text = self.output_path.read_text(errors="replace")
        if self.log_path is not None and self.log_path.exists():
            text += self.log_path.read_text(errors="replace")
        return text

    def url(self, scheme: str, user_info: str = "") -> str:
        return f"{scheme}://{user_info}127.0.0.1:{self.port}"


def tinyproxy(
    directory: pathlib.Path,
    *,
    connect_ports: Sequence[int] = (),
    basic_auth: Optional[tuple[str, str]] = None,
    timeout: int = 30,
) -> ProxyServer:
    """Start tinyproxy, in the foreground.

    :param connect_ports: if not empty, the only ports that ``CONNECT`` may
        reach; others get a 403
    :param basic_auth: ``(user, password)`` required from clients, else 407
    :param timeout: seconds of inactivity after which tinyproxy closes a
        connection
    """
    binary = find_binary("tinyproxy", "tinyproxy")
    port = free_port()
    lines = [
        f"Port {port}",
        "Listen 127.0.0.1",
        f"Timeout {timeout}",
        "LogLevel Info",
        "MaxClients 50",
        "Allow 127.0.0.1",
        "DisableViaHeader Yes",
    ]
    lines += [f"ConnectPort {connect_port}" for connect_port in connect_ports]
    if basic_auth is not None:
        lines.append(f"BasicAuth {basic_auth[0]} {basic_auth[1]}")
    config = directory / "tinyproxy.conf"
    config.write_text("\n".join(lines) + "\n")
    return ProxyServer("tinyproxy", [binary, "-d", "-c", str(config)], port, directory)


def dante(directory: pathlib.Path, *, blocked: Sequence[str] = ()) -> ProxyServer:
    """Start danted (SOCKS4 and SOCKS5, no authentication), in the foreground.

    Every connection it relays is logged (see :meth:`ProxyServer.output`).

    :param blocked: addresses (``127.0.0.2/32``) that clients can't reach
    """
    binary = find_binary("danted", "dante-server")
    port = free_port()
    log_path = directory / "danted.log"
    lines = [
        f"logoutput: {log_path}",
        f"internal: 127.0.0.1 port = {port}",
        "external: 127.0.0.1",
        "clientmethod: none",
        "socksmethod: none",
    ]
    if os.geteuid() == 0:
        lines += ["user.privileged: root", "user.unprivileged: nobody"]
    lines += ["client pass {", "from: 127.0.0.0/8 to: 0.0.0.0/0", "log: error", "}"]
    for address in blocked:
        lines += [
            "socks block {",
            f"from: 0.0.0.0/0 to: {address}",
            "log: connect",
            "}",
        ]
    lines += [
        "socks pass {",
        "from: 127.0.0.0/8 to: 0.0.0.0/0",
        "command: connect",
        "log: connect error",
        "}",
    ]
    config = directory / "danted.conf"
    config.write_text("\n".join(lines) + "\n")
    server = ProxyServer("danted", [binary, "-f", str(config)], port, directory)
    server.log_path = log_path
    return server


def pproxy(directory: pathlib.Path, *, scheme: str, user_info: str) -> ProxyServer:
    """Start pproxy as a SOCKS server requiring ``user:password``.

    ``--auth 0``: check credentials on every connection (by default, pproxy
    trusts an address that authenticated once, for 30 days).
    """
    try:
        import pproxy  # noqa: F401
    except ImportError:
        skip_loudly("pproxy", "pproxy isn't installed in .venv: requirements/test.txt")
    port = free_port()
    argv: List[str] = [
        sys.executable,
        # pproxy switches to uvloop whenever it can import it, which .venv
        # has for make test's uvloop pass, and then fails to start with
        # recent uvloop ("no current event loop"): hide uvloop from it.
        "-c",
        "import runpy, sys; sys.modules['uvloop'] = None; "
        "runpy.run_module('pproxy', run_name='__main__', alter_sys=True)",
        "-l",
        f"{scheme}://127.0.0.1:{port}#{user_info}",
        "--auth",
        "0",
        "-v",
    ]
    # Its log goes to a file: don't let Python buffer it.
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return ProxyServer("pproxy", argv, port, directory, env)


def stunnel(
    directory: pathlib.Path,
    *,
    backend_port: int,
    cert: pathlib.Path,
    key: pathlib.Path,
) -> ProxyServer:
    """Start stunnel as a TLS terminator in front of ``backend_port``."""
    binary = find_binary("stunnel4", "stunnel4")
    port = free_port()
    config = directory / "stunnel.conf"
    config.write_text(
        "\n".join(
            [
                "foreground = yes",
                "pid =",
                "debug = 4",
                "[https-proxy]",
                f"accept = 127.0.0.1:{port}",
                f"connect = 127.0.0.1:{backend_port}",
                f"cert = {cert}",
                f"key = {key}",
            ]
        )
        + "\n"
    )
    return ProxyServer("stunnel", [binary, str(config)], port, directory)
