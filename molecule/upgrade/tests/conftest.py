"""Fixtures of the upgrade scenario: versions of the sample app, playbook runs, and load."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

from load import load_runner  # noqa: E402
from sample_versions import make_versions, sample_app_entry  # noqa: E402

from playbooks import PROJECT, run  # noqa: E402

APP_ROOT = "/projects/demo/web"


@pytest.fixture(scope="session")
def versions(tmp_path_factory):
    """Copies of the sample app: 2.0.0, 3.0.0 whose /healthz always fails, 4.0.0."""
    return make_versions(tmp_path_factory.mktemp("versions"))


@pytest.fixture(scope="session")
def deploy(versions):
    """Deploys a version of the sample app with playbooks/deploy.yml."""

    def deploy_version(version, **extra_vars):
        source = PROJECT / "sample_app" if version == "1.0.0" else versions[version]
        entry = sample_app_entry(source)
        return run("playbooks/deploy.yml", extra_vars={"flask_apps": [entry], **extra_vars})

    return deploy_version


@pytest.fixture(scope="module")
def load(host):
    """`with load() as stats:` keeps 24 clients busy on the host's loopback meanwhile;
    stats is filled with the counts when the block ends."""
    return load_runner(host)


@pytest.fixture()
def live(host):
    """The recorded deploy state of the sample app."""

    def read():
        return json.loads(host.file(f"{APP_ROOT}/releases/state.json").content_string)

    return read


@pytest.fixture()
def version_on_host(host):
    """The version the app answers through nginx, from the host itself."""

    def read():
        answer = host.check_output("curl -fsS http://127.0.0.1/api/v1/version")
        return json.loads(answer)["version"]

    return read
