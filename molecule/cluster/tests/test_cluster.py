"""The cluster, in order: each host runs its tier; the web host balances over both app
hosts, which share one database; PostgreSQL and redis refuse strangers; an app host failing
under load fails no request; a rolling deploy under load fails none and migrates once; a
release that fails its health check stops the rollout on the first host; a rollback goes
back cluster-wide. Counts are printed for the closing note (-s).

The tests run in this order and each starts from the state the one before left."""

import json
import shlex
import subprocess
import time
import urllib.request
import uuid

from conftest import (
    ADDRESSES,
    APP_HOSTS,
    APP_ROOT,
    BACKEND_PORT,
    container,
    healthz,
    psql,
    wait_healthy,
)
from load import assert_no_failed_request

WEB = f"http://{ADDRESSES['web1']}"
# Straight to the test network, whatever proxy this machine's environment names.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get_json(url, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with DIRECT.open(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def programs(host):
    return host.check_output("supervisorctl status || true")


def test_1_each_host_runs_its_tier(hosts):
    for name in APP_HOSTS:
        status = programs(hosts[name])
        assert "demo-web-web-" in status and "RUNNING" in status, status
        assert "heartbeat" not in status, status
    worker = programs(hosts["worker1"])
    assert "demo-web-heartbeat" in worker and "RUNNING" in worker, worker
    assert "-web-blue" not in worker and "-web-green" not in worker, worker
    assert hosts["web1"].service("nginx").is_running
    assert not hosts["web1"].package("supervisor").is_installed
    assert hosts["data1"].service("redis-server").is_running
    assert "online" in hosts["data1"].check_output("pg_lsclusters")


def test_2_both_app_hosts_answer_through_the_web_host():
    answered = {}
    for _ in range(240):
        status, health = get_json(f"{WEB}/healthz")
        assert status == 200 and health["status"] == "ok", health
        answered[health["host"]] = answered.get(health["host"], 0) + 1
    print(f"240 requests through web1, answered by: {answered}")
    assert set(answered) == {container(name) for name in APP_HOSTS}, answered
    assert min(answered.values()) >= 60, answered


def test_3_data_written_through_one_app_host_is_read_through_the_other(hosts):
    body = f"cluster note {uuid.uuid4()}"
    app1 = f"http://{ADDRESSES['app1']}:{BACKEND_PORT}"
    app2 = f"http://{ADDRESSES['app2']}:{BACKEND_PORT}"
    created = json.loads(
        hosts["app1"].check_output(
            f"curl -fsS -X POST -H 'Content-Type: application/json' "
            f"-d {json.dumps(json.dumps({'body': body}))} {app1}/api/v1/notes"
        )
    )
    read = json.loads(hosts["app2"].check_output(f"curl -fsS {app2}/api/v1/notes/{created['id']}"))
    assert read["body"] == body
    assert psql(hosts, f"select count(*) from notes where body = '{body}'") == "1"


def test_4_the_task_programs_run_on_the_worker_only():
    time.sleep(6)  # a beat or more
    status, beats = get_json(f"{WEB}/api/v1/heartbeats")
    assert status == 200 and beats["count"] > 0, beats
    assert beats["latest"]["hostname"] == container("worker1"), beats


def connect(host, address, port):
    """What a TCP connection from `host` to address:port meets: 'open', or the error."""
    script = (
        "import socket\n"
        "try:\n"
        f"    socket.create_connection(({address!r}, {port}), timeout=3).close()\n"
        "    print('open')\n"
        "except OSError as error:\n"
        "    print(type(error).__name__)\n"
    )
    return host.check_output(f"python3 -c {shlex.quote(script)}")


def redis_says(host, *commands):
    """redis's answers to raw commands sent from `host`, one connection."""
    script = (
        "import socket\n"
        f"s = socket.create_connection(({ADDRESSES['data1']!r}, 6379), timeout=3)\n"
        f"s.sendall({''.join(c + chr(13) + chr(10) for c in commands)!r}.encode())\n"
        "import time; time.sleep(0.5)\n"
        "print(s.recv(4096).decode().replace(chr(13) + chr(10), ' | '))\n"
    )
    return host.check_output(f"python3 -c {shlex.quote(script)}")


def postgresql_login(host, password):
    """Logs in to the app's database from an app host with its venv's psycopg."""
    script = (
        "import psycopg\n"
        "try:\n"
        f"    psycopg.connect(host={ADDRESSES['data1']!r}, dbname='demo_web', user='demo_web',"
        f" password={password!r}, connect_timeout=3).close()\n"
        "    print('logged in')\n"
        "except psycopg.OperationalError as error:\n"
        "    print(str(error).strip().splitlines()[-1])\n"
    )
    return host.check_output(f"{APP_ROOT}/app/venv/bin/python -c {shlex.quote(script)}")


def test_5_the_database_and_redis_refuse_strangers_and_members_without_the_password(hosts):
    outsider, app1 = hosts["outsider"], hosts["app1"]
    for port in (5432, 6379):
        assert connect(outsider, ADDRESSES["data1"], port) == "ConnectionRefusedError"
    password = (
        hosts["worker1"]
        .check_output(
            f"sed -n 's/^DATABASE_URL=.*demo_web:\\(.*\\)@.*/\\1/p' {APP_ROOT}/config/app.env"
        )
        .strip("'")
    )
    assert password
    assert postgresql_login(app1, password) == "logged in"
    assert "password authentication failed" in postgresql_login(app1, "wrong-" + password)
    assert "no password supplied" in postgresql_login(app1, "")
    assert "NOAUTH" in redis_says(app1, "PING")
    redis_password = (
        hosts["worker1"]
        .check_output(
            f"sed -n 's/^REDIS_URL=.*:\\/\\/:\\(.*\\)@.*/\\1/p' {APP_ROOT}/config/app.env"
        )
        .strip("'")
    )
    assert "+PONG" in redis_says(app1, f"AUTH {redis_password}", "PING")
    assert "WRONGPASS" in redis_says(app1, "AUTH not-the-password")


def test_6_an_app_host_going_down_fails_no_request(hosts, load):
    app1 = hosts["app1"]
    with load() as stats:
        time.sleep(3)
        app1.run("supervisorctl stop all")
        time.sleep(8)
        app1.run("supervisorctl start all")
        wait_healthy(app1, "app1")
        time.sleep(12)  # web1 tries app1 again after fail_timeout
    print(f"app1's gunicorn stopped under load: {stats}")
    assert_no_failed_request(stats)
    assert stats.get(f"host {container('app1')}", 0) > 0, stats

    with load() as stats:
        time.sleep(3)
        subprocess.run(["docker", "stop", container("app1")], check=True, timeout=120)
        time.sleep(8)
        subprocess.run(["docker", "start", container("app1")], check=True, timeout=120)
        wait_healthy(app1, "app1")
        time.sleep(12)
    print(f"the app1 container stopped under load: {stats}")
    assert_no_failed_request(stats)
    assert stats.get(f"host {container('app1')}", 0) > 0, stats


def releases(hosts):
    """{host: the release its state.json says is live} for the app and worker hosts."""
    return {
        name: json.loads(hosts[name].file(f"{APP_ROOT}/releases/state.json").content_string)[
            "release"
        ]
        for name in (*APP_HOSTS, "worker1")
    }


def test_7_a_rolling_deploy_fails_no_request_and_migrates_once(hosts, load, deploy):
    before = releases(hosts)
    with load() as stats:
        result = deploy("2.0.0")
    print(f"rolling deploy of 2.0.0 ({result.seconds:.0f} s): {stats}")
    assert result.returncode == 0, result
    assert result.message.count("balancer of every web host: demo-web drained") == 2, result
    assert_no_failed_request(stats)
    for name in APP_HOSTS:
        assert healthz(hosts[name], name)["version"] == "2.0.0"
    after = releases(hosts)
    assert len(set(after.values())) == 1 and after["app1"] != before["app1"], after
    runs = psql(hosts, "select count(*) from migration_runs where version = '2.0.0'")
    print(f"migration runs of 2.0.0 in the database: {runs}")
    assert runs == "1"


def test_8_a_release_that_fails_its_health_check_stops_the_rollout(hosts, load, deploy):
    before = releases(hosts)
    with load() as stats:
        result = deploy("3.0.0")
    print(f"rollout of the broken 3.0.0 ({result.seconds:.0f} s): {stats}")
    assert result.returncode != 0, result
    assert "The rollout stops here" in result.message, result
    assert_no_failed_request(stats)
    for name in APP_HOSTS:
        assert healthz(hosts[name], name)["version"] == "2.0.0"
        assert not hosts[name].file("/run/lock/flask-toolkit-deploy.lock").exists
    assert releases(hosts)["app1"] == before["app1"] and releases(hosts)["app2"] == before["app2"]
    # the first host failed; the second was never reached
    assert result.message.count("balancer of every web host: demo-web drained") == 1, result


def test_9_rollback_goes_back_on_every_host(hosts, load, deploy):
    with load() as stats:
        result = deploy("2.0.0", playbook="playbooks/rollback.yml")
    print(f"rollback ({result.seconds:.0f} s): {stats}")
    assert result.returncode == 0, result
    assert_no_failed_request(stats, at_least=20)
    for name in APP_HOSTS:
        assert healthz(hosts[name], name)["version"] == "1.0.0"
    assert len(set(releases(hosts).values())) == 1
