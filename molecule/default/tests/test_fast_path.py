"""The fast path of site.yml: on a host still as the last complete run left it, a run checks
the host in one request and skips every other play; a changed input, a changed file or a
stopped service makes it a complete run, which puts the host back."""

import re

from playbooks import run

SITE = "/etc/nginx/sites-available/demo-web.conf"
RECORD = "/var/lib/flask-toolkit/converged.json"
# The roles the check itself reads (the app model, the converged state).
CHECK_ROLES = {"converged", "flask"}


def roles_run(result):
    """The roles whose tasks ran, besides the check's."""
    return sorted(set(re.findall(r"TASK \[(\w+) :", result.output)) - CHECK_ROLES)


def test_a_run_on_a_converged_host_skips_every_play(host):
    result = run("site.yml")
    assert result.returncode == 0 and result.changed == 0, result
    assert roles_run(result) == [], result
    print(f"fast run: {result.seconds:.1f} s")
    record = host.file(RECORD)
    assert (record.user, record.mode) == ("root", 0o600)


def test_check_mode_on_a_converged_host(host):
    result = run("site.yml", "--check", "--diff")
    assert result.returncode == 0 and result.changed == 0, result
    assert roles_run(result) == [], result


def test_a_changed_input_makes_a_complete_run(host):
    # In check mode: it shows the change it would make, and the host stays as it was.
    result = run("site.yml", "--check", "--diff", extra_vars={"logrotate_rotate": 7})
    assert result.returncode == 0 and result.changed >= 1, result
    assert "rotate 7" in result.output, result
    assert {"base", "nginx", "logrotate", "app_deploy"} <= set(roles_run(result)), result
    assert roles_run(run("site.yml")) == []


def test_drift_makes_a_complete_run_that_puts_the_host_back(host):
    original = host.file(SITE).content_string
    host.check_output(f"echo '# edited by hand' >> {SITE}")
    host.check_output("systemctl stop nginx")

    result = run("site.yml")
    assert result.returncode == 0 and result.changed >= 1, result
    assert "nginx" in roles_run(result), result
    assert host.file(SITE).content_string == original
    assert host.service("nginx").is_running

    again = run("site.yml")
    assert again.returncode == 0 and again.changed == 0, again
    assert roles_run(again) == [], again
