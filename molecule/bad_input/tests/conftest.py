"""The fresh host of the scenario, and the shared playbook runner."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))


@pytest.fixture(scope="module")
def provisioned(host):
    """What a run that changed anything would leave behind."""

    def snapshot():
        return {
            "projects": host.file("/projects").exists,
            "nginx": host.package("nginx").is_installed,
            "supervisor": host.package("supervisor").is_installed,
            "flask user": host.user("flask").exists,
        }

    return snapshot
