"""The whole stack on one host: services up, gunicorn unprivileged, the app served by nginx."""

import json
import re
import time
import uuid

from conftest import APP_ROOT

APP = "demo-web"


def supervisor_programs(host):
    """{program: state} from supervisorctl status."""
    lines = host.check_output("supervisorctl status || true").splitlines()
    return dict(re.split(r"\s+", line)[:2] for line in lines if line.strip())


def test_nginx_and_supervisor_running_and_enabled(host):
    for name in ("nginx", "supervisor"):
        service = host.service(name)
        assert service.is_running, host.run(f"journalctl -u {name} --no-pager -n 30").stdout
        assert service.is_enabled


def test_every_supervisor_program_is_running(host, live, show):
    show("supervisorctl status")
    programs = supervisor_programs(host)
    tasks = ("heartbeat", "celery-default", "celery-beat")
    expected = {f"demo-web-web-{live['color']}"} | {f"demo-web-tasks:demo-web-{t}" for t in tasks}
    assert set(programs) == expected
    assert set(programs.values()) == {"RUNNING"}, programs


def gunicorn_processes(host):
    """(user, pid, ppid, args) of every gunicorn process."""
    lines = host.check_output("ps -eo user=,pid=,ppid=,args=").splitlines()
    rows = [line.split(None, 3) for line in lines]
    return [
        (user, int(pid), int(ppid), args)
        for user, pid, ppid, args in rows
        if "/venv/bin/gunicorn" in args
    ]


def test_gunicorn_runs_as_the_app_user_on_its_socket(host, live, show):
    show(f"ps -eo user,pid,ppid,args | grep [g]unicorn; ls -la {APP_ROOT}/run")
    processes = gunicorn_processes(host)
    pids = {pid for _, pid, _, _ in processes}
    masters = [p for p in processes if p[2] not in pids]
    workers = [p for p in processes if p[2] in pids]
    assert len(masters) == 1
    assert len(workers) >= 1
    assert {user for user, _, _, _ in processes} == {"flask"}
    socket = f"{APP_ROOT}/run/gunicorn-{live['color']}.sock"
    assert f"unix:{socket}" in masters[0][3]
    assert host.socket(f"unix://{socket}").is_listening
    live = host.file(f"{APP_ROOT}/run/gunicorn.sock")
    assert live.is_symlink and live.linked_to == socket


def test_page_through_nginx(http):
    status, headers, body = http.request("/")
    assert status == 200
    assert headers["Server"] == "nginx"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in headers  # plain HTTP, and HSTS is off
    assert b"/static/css/style.css" in body
    assert b"1.0.0" in body


def test_healthz_through_nginx(host, http):
    status, health = http.json("/healthz")
    assert status == 200
    hostname = host.check_output("hostname")
    assert health == {"status": "ok", "db": "ok", "version": "1.0.0", "host": hostname}


def test_api_writes_to_and_reads_back_from_the_database(http):
    text = f"molecule note {uuid.uuid4()}"
    status, created = http.json("/api/v1/notes", "POST", {"body": text})
    assert status == 201
    status, fetched = http.json(f"/api/v1/notes/{created['id']}")
    assert status == 200 and fetched["body"] == text
    status, listing = http.json("/api/v1/notes")
    assert text in [note["body"] for note in listing["notes"]]


def test_database_lives_in_the_tree(host):
    database = host.file(f"{APP_ROOT}/data/app.db")
    assert database.exists and database.user == "flask"


def test_heartbeat_task_writes_rows(http, show):
    show(f"tail -n 5 {APP_ROOT}/log/heartbeat.log")
    _, first = http.json("/api/v1/heartbeats")
    time.sleep(6)  # the task beats every 5 s
    _, second = http.json("/api/v1/heartbeats")
    assert second["count"] > first["count"] >= 1
    assert second["latest"]["pid"] > 0


def test_static_file_is_served_by_nginx_not_gunicorn(host, http):
    static_probe, app_probe = uuid.uuid4().hex, uuid.uuid4().hex
    status, headers, body = http.request(f"/static/css/style.css?probe={static_probe}")
    assert status == 200
    assert headers["Content-Type"] == "text/css"
    assert headers["Cache-Control"] == "max-age=604800"
    assert body == host.file(f"{APP_ROOT}/app/app/static/css/style.css").content
    # A request nginx proxies shows up in gunicorn's access log: the check below can see one.
    assert http.request(f"/?probe={app_probe}")[0] == 200
    time.sleep(1)
    gunicorn_log = host.file(f"{APP_ROOT}/log/gunicorn-access.log").content_string
    nginx_log = host.file("/var/log/nginx/demo-web.access.log").content_string
    assert app_probe in gunicorn_log
    assert static_probe in nginx_log
    assert static_probe not in gunicorn_log


def test_gzip(http):
    status, headers, _ = http.request("/static/css/style.css", headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers.get("Content-Encoding") == "gzip"


def test_forwarded_headers_reach_the_app(host, http):
    probe = uuid.uuid4().hex
    http.request(f"/?probe={probe}", headers={"User-Agent": "molecule"})
    time.sleep(1)
    line = next(
        line
        for line in host.file(f"{APP_ROOT}/log/gunicorn-access.log").content_string.splitlines()
        if probe in line
    )
    # The access log's first field is X-Real-IP, set by nginx to the client's address.
    assert re.match(r"^\d+\.\d+\.\d+\.\d+ ", line), line


def test_logs_appear_in_the_tree(host):
    for name in ("app.log", "heartbeat.log", "gunicorn-access.log", "gunicorn-error.log"):
        log = host.file(f"{APP_ROOT}/log/{name}")
        assert log.exists and log.size > 0, name
        assert log.user == "flask", name
    assert host.file(f"{APP_ROOT}/log/web.out").exists
    assert host.file(f"{APP_ROOT}/log/heartbeat.out").exists


def test_log_rotation_configuration(host):
    config = host.file("/etc/logrotate.d/flask-demo-web")
    assert f"{APP_ROOT}/log/*.log" in config.content_string
    assert host.run("logrotate --debug /etc/logrotate.d/flask-demo-web").rc == 0


def test_tree_owners_and_modes(host):
    expected = {
        "": ("root", "root", 0o755),
        "requirements": ("root", "root", 0o755),
        "releases": ("root", "root", 0o755),
        "config": ("root", "flask", 0o750),
        "tasks": ("flask", "flask", 0o750),
        "data": ("flask", "flask", 0o750),
        "log": ("flask", "flask", 0o750),
        "run": ("flask", "www-data", 0o2750),
    }
    for name, (user, group, mode) in expected.items():
        folder = host.file(f"{APP_ROOT}/{name}".rstrip("/"))
        assert (folder.user, folder.group, folder.mode) == (user, group, mode), name
    live = host.file(f"{APP_ROOT}/app")
    assert live.is_symlink and re.match(
        r"^releases/[0-9a-f]{12}$", live.linked_to.split(f"{APP_ROOT}/")[-1]
    )


def test_secrets_file(host):
    settings = host.file(f"{APP_ROOT}/config/app.env")
    assert (settings.user, settings.group, settings.mode) == ("root", "flask", 0o640)
    assert "SECRET_KEY=" in settings.content_string
    assert "FLASK_CONFIG=production" in settings.content_string


def test_app_user_has_no_login_shell(host):
    user = host.user("flask")
    assert user.shell == "/usr/sbin/nologin"
    assert user.group == "flask"


def test_release_record(host, live):
    assert live["color"] in ("blue", "green") and live["version"] == "1.0.0"
    release = host.file(f"{APP_ROOT}/releases/{live['release']}/.release.json")
    assert json.loads(release.content_string)["id"] == live["release"]
    assert host.file(f"{APP_ROOT}/app").linked_to == f"{APP_ROOT}/releases/{live['release']}"


def test_default_site_removed(host):
    assert not host.file("/etc/nginx/sites-enabled/default").exists
    assert host.run("nginx -t").rc == 0


def test_https_with_its_self_signed_certificate(host):
    """tls.mode self_signed (host_vars/): the certificate made for the host's name (the
    app's server name is _), served over TLS 1.3 on 443 next to plain HTTP."""
    name = host.backend.host
    certificate = f"/etc/flask-toolkit/tls/{APP}/fullchain.pem"
    subject = host.check_output(f"openssl x509 -in {certificate} -noout -ext subjectAltName")
    assert f"DNS:{name}" in subject
    answer = host.check_output(
        f"curl -sS --cacert {certificate} --resolve {name}:443:127.0.0.1 https://{name}/healthz"
    )
    assert json.loads(answer)["status"] == "ok"
    served = host.check_output(
        f"openssl s_client -connect 127.0.0.1:443 -servername {name} < /dev/null 2>/dev/null"
        " | openssl x509 -noout -fingerprint -sha256"
    )
    assert served == host.check_output(
        f"openssl x509 -in {certificate} -noout -fingerprint -sha256"
    )
    protocol = host.check_output(
        f"openssl s_client -connect 127.0.0.1:443 -servername {name} -brief < /dev/null 2>&1"
    )
    assert "Protocol version: TLSv1.3" in protocol, protocol
