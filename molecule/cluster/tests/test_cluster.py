"""The cluster, in order: each host runs its tier; the web host balances over both app
hosts, which share one database; PostgreSQL and redis refuse strangers; an app host failing
under load fails no request; celery tasks run on the worker host, beat fires once per
interval though three hosts run its program, the cache is shared, Socket.IO pushes reach
clients of either app host; a rolling deploy under load fails no request, migrates once,
lets a running task finish and keeps Socket.IO clients served; a release that fails its
health check stops the rollout on the first host; a rollback goes back cluster-wide.
Counts are printed for the closing note (-s).

The tests run in this order and each starts from the state the one before left."""

import json
import re
import shlex
import subprocess
import time
import urllib.request
import uuid
from datetime import datetime

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
from live import Api, Listener, NoteMaker
from load import assert_no_failed_request

from playbooks import finish

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
        assert "heartbeat" not in status and "celery-default" not in status, status
        assert "demo-web-celery-beat" in status, status  # beat: app_hosts true
    worker = programs(hosts["worker1"])
    for program in ("heartbeat", "celery-default", "celery-beat"):
        assert re.search(f"demo-web-{program} +RUNNING", worker), worker
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


API = Api(WEB)
BEAT = "demo-web-celery-beat"
BEAT_INTERVAL = 5  # the sample app's default
# Seconds of the task that runs while the deploy switches the worker host: longer than the
# switch of the app host before it (its old program keeps its websockets for up to gunicorn's
# graceful_timeout, 30 s).
LONG_TASK = 60


def test_7_a_task_queued_through_the_web_host_runs_on_the_worker():
    started = time.monotonic()
    answer = API.job(API.queue("sleep", {"seconds": 1}))
    print(f"a 1 s task, queued through web1, done in {time.monotonic() - started:.1f} s: {answer}")
    assert answer["state"] == "SUCCESS", answer
    assert answer["result"]["host"] == container("worker1")
    assert answer["result"]["slept"] == 1


def beat_ticks(hosts, seconds):
    """[(beat host, number of ticks)] of the last `seconds`, from the database."""
    rows = psql(
        hosts,
        "select beat_host, count(*) from beat_ticks where ticked_at > now() - interval "
        f"'{seconds} seconds' group by beat_host",
    )
    return [tuple(line.split("|")) for line in rows.splitlines() if line]


def seconds_to_takeover(hosts, other_than, within):
    """Seconds until a tick of a beat on another host than `other_than` is recorded."""
    start = time.monotonic()
    while time.monotonic() - start < within:
        if any(host != other_than for host, _ in beat_ticks(hosts, 2)):
            return round(time.monotonic() - start, 1)
        time.sleep(0.5)
    raise AssertionError(f"no beat but the one on {other_than} ticked within {within} s")


def beat_holder(hosts):
    """The app or worker host whose beat holds the lock (its log says so last)."""
    holders = []
    for name in (*APP_HOSTS, "worker1"):
        log = hosts[name].run(f"tail -n 20 {APP_ROOT}/log/celery-beat.out").stdout
        lines = [line for line in log.splitlines() if "flask-singleton" in line]
        if lines and "holding the lock" in lines[-1]:
            holders.append(name)
    assert len(holders) == 1, holders
    return holders[0]


def test_8_beat_fires_once_per_interval_though_three_hosts_run_it(hosts):
    for name in (*APP_HOSTS, "worker1"):
        assert f"{BEAT}" in programs(hosts[name]) and "RUNNING" in programs(hosts[name])
    window = 20
    expected = window / BEAT_INTERVAL
    holder = beat_holder(hosts)
    time.sleep(window)
    ticks = beat_ticks(hosts, window)
    print(f"beat on app1, app2, worker1 (held by {holder}): ticks in {window} s: {ticks}")
    assert len(ticks) == 1 and abs(int(ticks[0][1]) - expected) <= 1, ticks
    assert ticks[0][0] == container(holder)

    # the holder's beat stops: another host's takes over, still once per interval
    hosts[holder].check_output(f"supervisorctl stop demo-web-tasks:{BEAT}")
    try:
        # the lock goes at once; the successor's beat then starts (a while on a busy machine)
        took_over = seconds_to_takeover(hosts, other_than=container(holder), within=60)
        time.sleep(window)
        ticks = beat_ticks(hosts, window)
        successor = beat_holder(hosts)
        print(
            f"{holder}'s beat stopped, {successor}'s took over after {took_over} s: "
            f"ticks in the {window} s after that: {ticks}"
        )
        assert successor != holder
        assert len(ticks) == 1 and abs(int(ticks[0][1]) - expected) <= 1, ticks
        assert ticks[0][0] == container(successor)
    finally:
        hosts[holder].check_output(f"supervisorctl start demo-web-tasks:{BEAT}")


def test_9_the_cached_endpoint_second_call_is_a_hit():
    answers = [API.get("/api/v1/stats") for _ in range(10)]
    print(f"GET /api/v1/stats 10 times: {[(a[1]['cache'], a[2]) for a in answers]}")
    assert all(status == 200 for status, _, _ in answers)
    assert [answer["cache"] for _, answer, _ in answers] == ["miss"] + ["hit"] * 9
    # one redis for both app hosts: the hits on the other host read what the first computed
    first_host = answers[0][2]
    assert {answer["host"] for _, answer, _ in answers} == {first_host}
    assert {served_by for _, _, served_by in answers} == {container(n) for n in APP_HOSTS}


def test_10_pushes_reach_a_websocket_client_from_the_other_host_and_from_a_task():
    listener = Listener(WEB).connect()
    try:
        assert listener.client.transport() == "websocket"
        for _ in range(10):  # round robin: a request that the other app host serves
            status, note, served_by = API.post("/api/v1/notes", {"body": "from the other host"})
            assert status == 201
            if served_by != listener.host:
                break
        assert served_by != listener.host, (served_by, listener.host)
        assert listener.wait_for(note["id"]), (note, listener.pushed)
        answer = API.job(API.queue("note", {"body": "from a celery task"}))
        assert answer["state"] == "SUCCESS" and answer["result"]["host"] == container("worker1")
        assert listener.wait_for(answer["result"]["id"]), (answer, listener.pushed)
        print(
            f"client on {listener.host}: push of a note made on {served_by} and of one made "
            f"by a task on {answer['result']['host']} both received"
        )
    finally:
        listener.close()


def releases(hosts):
    """{host: the release its state.json says is live} for the app and worker hosts."""
    return {
        name: json.loads(hosts[name].file(f"{APP_ROOT}/releases/state.json").content_string)[
            "release"
        ]
        for name in (*APP_HOSTS, "worker1")
    }


def queue_when_the_last_app_host_switches(web):
    """Queues a task of LONG_TASK seconds when app2 leaves the balancer of web1: the worker
    host switches after app2, while the task runs."""
    balancer = "/etc/nginx/flask-upstreams/demo-web.conf"
    for _ in range(900):
        if web.run(f"grep -q '{ADDRESSES['app2']}:{BACKEND_PORT} .* down;' {balancer}").rc == 0:
            return API.queue("sleep", {"seconds": LONG_TASK})
        time.sleep(0.5)
    raise AssertionError("app2 never left the balancer")


def log_times(host, path, pattern):
    """The times of the lines of a log that match `pattern` (lines start with their time)."""
    lines = host.check_output(f"grep -E {shlex.quote(pattern)} {path} || true").splitlines()
    return [(datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f"), line[24:]) for line in lines]


def warm_shutdown(host, job):
    """When the old celery worker was last asked to stop (the app logs celery's
    worker_shutting_down), when the job finished, and when supervisor last saw the worker
    exit: from the app's and supervisor's logs."""
    celery_log = f"{APP_ROOT}/log/celery.log"
    (done, _), *_ = log_times(host, celery_log, rf"Task demo\.sleep\[{job}\] succeeded")
    *_, (asked, _) = log_times(host, celery_log, "Warm shutdown asked")
    program = "demo-web-celery-default"
    *_, (stopped, _) = log_times(host, "/var/log/supervisor/supervisord.log", f"stopped: {program}")
    return asked, done, stopped


def test_11_a_rolling_deploy_fails_no_request_finishes_its_tasks_and_keeps_pushing(
    hosts, load, deploy
):
    before = releases(hosts)
    migrations = "select count(*) from migration_runs where version = '2.0.0'"
    runs_before = int(psql(hosts, migrations))
    listeners = [Listener(WEB).connect() for _ in range(5)]
    try:
        with load() as stats, NoteMaker(WEB) as notes:
            process = deploy("2.0.0", background=True)
            try:
                long_job = queue_when_the_last_app_host_switches(hosts["web1"])
                short_jobs = [API.queue("sleep", {"seconds": 0.2}) for _ in range(5)]
            finally:
                result = finish(process)
        print(f"rolling deploy of 2.0.0 ({result.seconds:.0f} s): {stats}")
        assert result.returncode == 0, result
        assert result.message.count("balancer of every web host: demo-web drained") == 2, result
        assert_no_failed_request(stats)
        for name in APP_HOSTS:
            assert healthz(hosts[name], name)["version"] == "2.0.0"
        after = releases(hosts)
        assert len(set(after.values())) == 1 and after["app1"] != before["app1"], after
        runs = int(psql(hosts, migrations)) - runs_before
        print(f"migration runs of 2.0.0 in the database during the deploy: {runs}")
        assert runs == 1

        # the worker host's old release finished the task it was running, then stopped
        long_answer = API.job(long_job)
        asked, done, stopped = warm_shutdown(hosts["worker1"], long_job)
        print(
            f"a {LONG_TASK} s task during the deploy: {long_answer['state']} on "
            f"{long_answer['result']['version']}; its worker stopping from {asked:%T.%f}, "
            f"the task done at {done:%T.%f}, the worker stopped at {stopped:%T.%f}"
        )
        assert long_answer["state"] == "SUCCESS" and long_answer["result"]["slept"] == LONG_TASK
        assert long_answer["result"]["version"] == "1.0.0"
        assert asked < done <= stopped
        short = [API.job(job)["state"] for job in short_jobs]
        assert short == ["SUCCESS"] * 5, short

        # every note reached every client: pushed, or re-read when it reconnected
        time.sleep(2)
        made = set(notes.made)
        assert notes.failed == [] and len(made) > 100, (notes.failed, len(made))
        for listener in listeners:
            missed = made - listener.seen()
            print(
                f"Socket.IO client: {len(made)} notes made during the deploy, "
                f"{len(made & set(listener.pushed))} pushed, {len(made - set(listener.pushed))} "
                f"re-read on reconnect, {len(missed)} missed; connected to {listener.hosts}"
            )
            assert missed == set(), sorted(missed)
            assert len(listener.hosts) >= 2  # its host switched: it reconnected
        # and they keep receiving pushes after it
        status, note, _ = API.post("/api/v1/notes", {"body": "after the deploy"})
        assert status == 201
        assert all(listener.wait_for(note["id"]) for listener in listeners)
    finally:
        for listener in listeners:
            listener.close()


def test_12_a_release_that_fails_its_health_check_stops_the_rollout(hosts, load, deploy):
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
    # the failed host's beat, stopped while its new color started, runs again
    status = programs(hosts["app1"])
    assert re.search(r"demo-web-celery-beat +RUNNING", status), status


def test_13_rollback_goes_back_on_every_host(hosts, load, deploy):
    with load() as stats:
        result = deploy("2.0.0", playbook="playbooks/rollback.yml")
    print(f"rollback ({result.seconds:.0f} s): {stats}")
    assert result.returncode == 0, result
    assert_no_failed_request(stats, at_least=20)
    for name in APP_HOSTS:
        assert healthz(hosts[name], name)["version"] == "1.0.0"
    assert len(set(releases(hosts).values())) == 1
