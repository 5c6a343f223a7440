"""Releases under load, in order: converge deployed 1.0.0; 2.0.0 goes live, 3.0.0 fails its
health check and is not switched in, 3.1.0 fails to load and is never started, a rollback
brings back 1.0.0; not one request fails.
Then: a redeploy of the live version changes nothing, a second deploy at once is refused,
a stale lock is reported and can be broken, pruning keeps what it must, maintenance mode.

The tests run in this order and each starts from the state the one before left."""

import json
import re
import time
import urllib.error
import urllib.request

from conftest import APP_ROOT, sample_app_entry
from load import assert_no_failed_request

from playbooks import finish, run, start


def web_program_pids(host):
    """supervisor's web programs and their pids (the gunicorn masters). Workers are left out:
    max_requests recycles them under load."""
    lines = host.check_output("supervisorctl status | grep -- -web- || true").splitlines()
    return sorted(line.split()[0] + " " + line.split()[3].rstrip(",") for line in lines)


def task_program_states(host):
    """{program: state} of the sample app's task programs (heartbeat, celery worker, beat)."""
    lines = host.run("supervisorctl status 'demo-web-tasks:*'").stdout.splitlines()
    return {line.split()[0]: line.split()[1] for line in lines}


def test_1_converge_deployed_version_1(live, version_on_host):
    assert version_on_host() == "1.0.0"
    assert live()["version"] == "1.0.0"


def test_2_deploy_of_version_2_drops_no_request(deploy, load, live, version_on_host):
    with load() as stats:
        deployed = deploy("2.0.0")
    print(f"deploy 2.0.0: {deployed.seconds:.1f} s")
    assert deployed.returncode == 0, deployed
    assert version_on_host() == "2.0.0"
    assert live()["version"] == "2.0.0"
    assert_no_failed_request(stats)
    assert stats.get("version 2.0.0", 0) > 0, stats


def test_3_redeploy_of_the_live_version_changes_nothing(host, deploy, load):
    pids = web_program_pids(host)
    with load() as stats:
        deployed = deploy("2.0.0")
    print(f"deploy 2.0.0 again (unchanged): {deployed.seconds:.1f} s")
    assert deployed.returncode == 0, deployed
    assert deployed.changed == 0, deployed
    assert web_program_pids(host) == pids  # no restart, no reload
    assert_no_failed_request(stats)


def test_4_failed_health_check_keeps_version_2_live(host, deploy, load, live, version_on_host):
    before = live()
    with load() as stats:
        deployed = deploy("3.0.0")
    print(f"deploy 3.0.0 (fails its health check): {deployed.seconds:.1f} s")
    assert deployed.returncode != 0, deployed
    message = deployed.message
    assert re.search(r"demo-web: release [0-9a-f]{12} \(3\.0\.0\) failed its health check", message)
    assert f"Release {before['release']} (2.0.0) is still live." in message
    log = re.search(r"Log: (/projects/\S+/deploy\.log)", message).group(1)
    assert "3.0.0 is broken on purpose" in host.file(log).content_string
    failed = json.loads(host.file(log.replace("deploy.log", ".failed.json")).content_string)
    assert failed["check"] == "health"
    assert version_on_host() == "2.0.0"
    assert live() == before
    assert_no_failed_request(stats)
    assert stats.get("version 3.0.0", 0) == 0, stats
    # stopped while the new color started, they run again, on the live release
    states = task_program_states(host)
    assert len(states) >= 3 and set(states.values()) == {"RUNNING"}, states


def test_4_1_release_that_does_not_load_is_never_started(host, deploy, live, version_on_host):
    before = live()
    deployed = deploy("3.1.0")
    print(f"deploy 3.1.0 (does not import): {deployed.seconds:.1f} s")
    assert deployed.returncode != 0, deployed
    assert re.search(r"demo-web: release [0-9a-f]{12} \(3\.1\.0\) failed its import check",
                     deployed.message), deployed  # fmt: skip
    log = re.search(r"Log: (/projects/\S+/deploy\.log)", deployed.message).group(1)
    assert "3.1.0 does not import, on purpose" in host.file(log).content_string
    failed = json.loads(host.file(log.replace("deploy.log", ".failed.json")).content_string)
    assert failed["check"] == "import"
    assert not host.file(log.replace("deploy.log", ".release.json")).exists
    assert version_on_host() == "2.0.0"
    assert live() == before


def test_5_rollback_goes_back_to_version_1(load, live, version_on_host):
    with load() as stats:
        rollback = run("playbooks/rollback.yml")
    print(f"rollback to 1.0.0: {rollback.seconds:.1f} s")
    assert rollback.returncode == 0, rollback
    assert version_on_host() == "1.0.0"
    assert live()["version"] == "1.0.0"
    assert_no_failed_request(stats)
    assert stats.get("version 1.0.0", 0) > 0, stats


def test_6_second_deploy_at_once_is_refused(host, versions):
    extra = {"flask_apps": [sample_app_entry(versions["2.0.0"])]}
    first = start("playbooks/deploy.yml", extra_vars=extra)
    try:
        for _ in range(240):
            if host.file("/run/lock/flask-toolkit-deploy.lock").exists:
                break
            time.sleep(0.25)
        else:
            raise AssertionError("the first deploy never took the lock")
        second = run("playbooks/deploy.yml", extra_vars=extra)
    finally:
        first_run = finish(first)
    print(f"second deploy refused after {second.seconds:.1f} s")
    assert second.returncode != 0, second
    assert re.search(
        r"another deploy holds the lock of this host: \S+@\S+, playbook "
        r"\"Build the release on every host\", since \d{4}-\d\d-\d\dT",
        second.message,
    ), second
    assert first_run.returncode == 0, first_run
    assert not host.file("/run/lock/flask-toolkit-deploy.lock").exists


def test_7_stale_lock_is_named_and_can_be_broken(host, deploy, live, versions):
    host.run_expect(
        [0],
        'echo \'{"holder": "ghost@nowhere", "token": "0", "since": "2026-01-01T00:00:00Z"}\''
        " > /run/lock/flask-toolkit-deploy.lock",
    )
    refused = deploy("2.0.0")
    assert refused.returncode != 0
    message = " ".join(refused.output.split())
    assert (
        "another deploy holds the lock of this host: ghost@nowhere, since 2026-01-01T00:00:00Z"
        in message
    )
    assert "app_deploy_break_lock=true" in message
    broken = run(
        "playbooks/deploy.yml",
        "-e",
        "app_deploy_break_lock=true",
        extra_vars={"flask_apps": [sample_app_entry(versions["2.0.0"])]},
    )
    assert broken.returncode == 0, broken
    assert "Broke the deploy lock of ghost@nowhere" in broken.output
    assert live()["version"] == "2.0.0"


def test_8_pruning_keeps_the_newest_good_releases_and_the_newest_failed(host, deploy, live):
    deployed = deploy("4.0.0", app_deploy_keep_releases=2)
    assert deployed.returncode == 0, deployed
    state = live()
    kept = host.check_output(f"ls {APP_ROOT}/releases").split()
    releases = {name for name in kept if re.match(r"^[0-9a-f]{12}$", name)}

    def read(release, name):
        record = host.file(f"{APP_ROOT}/releases/{release}/{name}")
        return json.loads(record.content_string) if record.exists else None

    records = [
        (read(release, ".release.json"), read(release, ".failed.json")) for release in releases
    ]
    versions = {built["version"] for built, _ in records if built}
    failed = [failure["check"] for _, failure in records if failure]
    assert state["version"] == "4.0.0"
    # 4.0.0 (live) and 2.0.0 (live before it) are the two newest good ones; of the failed
    # ones only the newest is kept, 3.1.0, which failed to load (and 3.0.0 is gone).
    assert versions == {"4.0.0", "2.0.0"}, kept
    assert failed == ["import"], kept
    assert len(releases) == 3, kept
    assert host.file(f"{APP_ROOT}/app").linked_to == f"{APP_ROOT}/releases/{state['release']}"


def test_9_maintenance_mode(host):
    address = host.interface("eth0").addresses[0]

    def from_outside():
        try:
            with urllib.request.urlopen(f"http://{address}/api/v1/version", timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    # As README writes it: -e key=value gives the string "true".
    on = run("playbooks/maintenance.yml", "-e", "maintenance_enabled=true")
    assert on.returncode == 0, on
    status, headers, body = from_outside()
    assert status == 503
    assert headers["Retry-After"] == "120"
    assert "Down for maintenance" in body and "demo-web" in body
    # The host itself still reaches the app (deploys check it through nginx).
    assert json.loads(host.check_output("curl -fsS http://127.0.0.1/api/v1/version"))
    off = run("playbooks/maintenance.yml", "-e", "maintenance_enabled=false")
    assert off.returncode == 0, off
    assert from_outside()[0] == 200
