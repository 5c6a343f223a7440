"""`site.yml --check --diff` on a host that was never provisioned: it tells what it would do
and changes nothing; without python3-apt (which Ansible's apt module needs to simulate) it
stops at once, saying so."""

import re

from playbooks import run


def test_check_mode_without_python3_apt_stops_early(host):
    assert not host.package("python3-apt").is_installed
    check = run("site.yml", "--check", "--diff")
    assert check.returncode != 0
    assert "has no python3-apt, without which Ansible's apt module cannot" in check.message
    assert not re.search(r"PLAY \[(Base|Web tier|App tier)\]", check.output)


def test_check_mode_on_a_fresh_host_changes_nothing(host, provisioned):
    host.run_expect([0], "apt-get update -qq && apt-get install -y -qq python3-apt")
    check = run("site.yml", "--check", "--diff")
    assert check.returncode == 0, check
    assert check.changed > 0 and check.failed == 0, check
    assert "+upstream flask_demo_web {" in check.output  # the diff of the site it would create
    assert not any(provisioned().values()), provisioned()
