"""Fixtures of the cluster scenario: its hosts (molecule.yml gives each a fixed address),
HTTP through the web host, load from the outsider, deploys of other versions."""

import json
import sys
import time
from pathlib import Path

import pytest
import testinfra

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

from load import load_runner  # noqa: E402
from sample_versions import make_versions, sample_app_entry  # noqa: E402

from playbooks import run, start  # noqa: E402

ADDRESSES = {
    "web1": "10.233.57.10",
    "app1": "10.233.57.21",
    "app2": "10.233.57.22",
    "worker1": "10.233.57.31",
    "data1": "10.233.57.41",
    "outsider": "10.233.57.99",
}
APP_HOSTS = ("app1", "app2")
APP_ROOT = "/projects/demo/web"
BACKEND_PORT = 8000


def container(name):
    return f"flask-toolkit-cluster-{name}"


@pytest.fixture(scope="session")
def hosts():
    """{short name: testinfra host}, reached through the Docker engine."""
    return {name: testinfra.get_host(f"docker://{container(name)}") for name in ADDRESSES}


@pytest.fixture(scope="session")
def load(hosts):
    """`with load() as stats:` keeps 24 clients on the outsider busy with GET /healthz
    through the web host, a new connection per request."""
    return load_runner(hosts["outsider"], target=ADDRESSES["web1"], path="/healthz")


def healthz(host, name):
    """/healthz of an app host asked on its own backend site, from itself."""
    url = f"http://{ADDRESSES[name]}:{BACKEND_PORT}/healthz"
    result = host.run(f"curl -sS --max-time 5 {url}")
    return json.loads(result.stdout) if result.rc == 0 and result.stdout.startswith("{") else {}


def wait_healthy(host, name, seconds=90):
    for _ in range(seconds):
        if healthz(host, name).get("status") == "ok":
            return
        time.sleep(1)
    raise AssertionError(f"{name} does not answer its health check after {seconds} s")


def psql(hosts, sql):
    """The answer of a query to the app's database on the db host, as its superuser."""
    line = f"sudo -u postgres psql -tA -d demo_web -c {json.dumps(sql)}"
    return hosts["data1"].check_output(line).strip()


@pytest.fixture(scope="session")
def versions(tmp_path_factory):
    return make_versions(tmp_path_factory.mktemp("versions"))


@pytest.fixture(scope="session")
def deploy(versions):
    """Runs playbooks/deploy.yml (or another playbook) with a version of the sample app."""

    def deploy_version(version, playbook="playbooks/deploy.yml", background=False, **extra_vars):
        """The finished Run; with `background`, the running process (playbooks.finish)."""
        entry = sample_app_entry(versions[version])
        return (start if background else run)(
            playbook, extra_vars={"flask_apps": [entry], **extra_vars}
        )

    return deploy_version
