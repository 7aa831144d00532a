"""Fixtures for the loopback tests of the server, the client and Basic Auth.

Test modules import the fixtures they need from here, explicitly.
"""

from __future__ import annotations

import pathlib
import shutil
import ssl
import subprocess
from typing import Tuple

import pytest

__all__ = ["client_ssl_context", "server_ssl_context", "tls_files"]


@pytest.fixture(scope="session")
def tls_files(
    tmp_path_factory: pytest.TempPathFactory,
) -> Tuple[pathlib.Path, pathlib.Path]:
    """Generate a self-signed certificate for localhost, 127.0.0.1 and ::1.

    Return the paths of the certificate and of its private key.
    """
    openssl = shutil.which("openssl")
    if openssl is None:  # pragma: no cover
        pytest.skip("the openssl command isn't available")
    directory = tmp_path_factory.mktemp("tls")
    cert = directory / "cert.pem"
    key = directory / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


@pytest.fixture(scope="session")
def server_ssl_context(tls_files: Tuple[pathlib.Path, pathlib.Path]) -> ssl.SSLContext:
    """TLS context for a server presenting the generated certificate."""
    cert, key = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture(scope="session")
def client_ssl_context(tls_files: Tuple[pathlib.Path, pathlib.Path]) -> ssl.SSLContext:
    """TLS context for a client trusting only the generated certificate."""
    cert, _ = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cert)
    return context
