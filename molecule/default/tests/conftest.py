"""Fixtures for the full-stack checks: the host under test and HTTP through its nginx."""

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

from host_fixtures import show  # noqa: E402, F401  (a fixture: pytest finds it here)

APP_ROOT = "/projects/demo/web"


class Http:
    """Real HTTP requests from the test runner to the host's port 80 (nginx)."""

    def __init__(self, address):
        self.base = f"http://{address}"

    def request(self, path, method="GET", body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def json(self, path, method="GET", body=None):
        status, _, payload = self.request(path, method, body)
        return status, json.loads(payload)


@pytest.fixture()
def live(host):
    """The deploy state of the sample app: live release, color, version."""
    return json.loads(host.file(f"{APP_ROOT}/releases/state.json").content_string)


@pytest.fixture(scope="module")
def address(host):
    """The host's address on the Docker network."""
    return host.interface("eth0").addresses[0]


@pytest.fixture(scope="module")
def http(address):
    return Http(address)
