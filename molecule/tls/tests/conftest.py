"""Fixtures of the tls scenario: its hosts, and HTTPS from the acme host (a stranger to the
cluster) that trusts pebble's root, the CA of the certificates pebble issues."""

import sys
from pathlib import Path

import pytest
import testinfra

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

from load import load_runner  # noqa: E402

WEB = "flask-toolkit-tls-web"
APP_HOST = "flask-toolkit-tls-app"
APP = "demo-web"
PEBBLE_ROOT = "/root/pebble-root.pem"


@pytest.fixture(scope="session")
def hosts():
    return {
        name: testinfra.get_host(f"docker://flask-toolkit-tls-{name}")
        for name in ("web", "app", "acme")
    }


@pytest.fixture(scope="session")
def client(hosts):
    """The acme host, with pebble's root (its management API gives it) in PEBBLE_ROOT."""
    acme = hosts["acme"]
    acme.check_output(f"curl -sSfk https://localhost:15000/roots/0 -o {PEBBLE_ROOT}")
    return acme


@pytest.fixture(scope="session")
def load(client):
    """`with load(clients) as stats:` keeps clients busy with HTTPS GET /healthz through the
    web host, each request a new connection and a full handshake, the certificate checked."""
    return load_runner(client, target=WEB, path="/healthz", options=f"--cafile {PEBBLE_ROOT}")
