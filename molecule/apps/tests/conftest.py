"""Fixtures for the apps scenario: the host, HTTP to each app through nginx, the git repo."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

from host_fixtures import show  # noqa: E402, F401  (a fixture: pytest finds it here)

REPO = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "repo"


class Site:
    """Real HTTP requests from the test runner to one app, by its server name, via nginx."""

    def __init__(self, address, server_name):
        self.base, self.server_name = f"http://{address}", server_name

    def request(self, path, method="GET", data=None):
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Host", self.server_name)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def json(self, path, method="GET", data=None):
        status, body = self.request(path, method, data)
        assert status in (200, 201), (status, body[:2000])
        return json.loads(body)


@pytest.fixture(scope="module")
def site(host):
    address = host.interface("eth0").addresses[0]
    return lambda name: Site(address, f"{name}.test")


def git(*args):
    subprocess.run(
        ["git", "-c", "user.name=molecule", "-c", "user.email=molecule@example.invalid", *args],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
