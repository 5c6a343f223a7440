"""`site.yml --check --diff` on a host that was never provisioned: it tells what it would do
and changes nothing; without python3-apt (which Ansible's apt module needs to simulate) it
stops at once, saying so."""

import os
import re
import subprocess
from pathlib import Path

PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])


def check_run():
    result = subprocess.run(
        [
            "ansible-playbook",
            "site.yml",
            "--check",
            "--diff",
            "-i",
            os.environ["MOLECULE_INVENTORY_FILE"],
        ],
        cwd=PROJECT,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def provisioned(host):
    return {
        "projects": host.file("/projects").exists,
        "nginx": host.package("nginx").is_installed,
        "supervisor": host.package("supervisor").is_installed,
        "flask user": host.user("flask").exists,
    }


def test_check_mode_without_python3_apt_stops_early(host):
    assert not host.package("python3-apt").is_installed
    returncode, output = check_run()
    assert returncode != 0
    assert "has no python3-apt, without which Ansible's apt module cannot" in " ".join(
        output.split()
    )
    assert not re.search(r"PLAY \[(Base|Web tier|App tier)\]", output)


def test_check_mode_on_a_fresh_host_changes_nothing(host):
    host.run_expect([0], "apt-get update -qq && apt-get install -y -qq python3-apt")
    returncode, output = check_run()
    assert returncode == 0, output[-4000:]
    assert re.search(r"changed=[1-9]\d*\s+unreachable=0\s+failed=0", output), output[-2000:]
    assert "+upstream flask_demo_web {" in output  # the diff of the site it would create
    assert not any(provisioned(host).values()), provisioned(host)
