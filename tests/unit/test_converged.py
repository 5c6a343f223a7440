"""converged_state: the fingerprint of a run's inputs (control node) and the record of what a
complete run left on a host (the host)."""

import http.server
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import load_action_and_module
from deploy_facts import passwd_entry

ROOT = Path(__file__).resolve().parents[2]

action, module = load_action_and_module("converged", "converged_state")


# ------------------------------------------------------------------ the control node's half


def test_every_fact_the_roles_read_is_an_input():
    text = "".join(
        path.read_text()
        for path in (ROOT / "roles").rglob("*")
        if path.is_file() and path.suffix in {".yml", ".j2", ".py"}
    )
    read = set(re.findall(r"ansible_facts\[['\"](\w+)['\"]\]", text))
    read |= set(re.findall(r"ansible_facts\.(\w+)", text))
    read |= set(re.findall(r"\bansible_(default_ipv4|distribution\w*|processor\w*)\b", text))
    # getent_passwd is no gathered fact: the getent module sets it, from /etc/passwd (recorded).
    assert read - {"getent_passwd"} <= set(action.FACTS), read - set(action.FACTS)


def test_tree_digest_follows_content_and_mode(tmp_path):
    (tmp_path / "app.py").write_text("one")
    first = action.tree_digest(str(tmp_path))
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "app.cpython-311.pyc").write_text("compiled")
    assert action.tree_digest(str(tmp_path)) == first
    (tmp_path / "app.py").chmod(0o755)
    second = action.tree_digest(str(tmp_path))
    assert second != first
    (tmp_path / "app.py").write_text("two")
    assert action.tree_digest(str(tmp_path)) not in (first, second)


def test_named_paths_finds_sources_and_files(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "wsgi.py").write_text("app = None")
    certificate = tmp_path / "cert.pem"
    certificate.write_text("PEM")
    found = action.named_paths(
        {
            "flask_apps": [
                {"source": {"path": str(source)}, "tls": {"certificate": str(certificate)}}
            ],
            "flask_root": "/no/such/folder",
            "static_url": "/static/",
        }
    )
    assert set(found) == {str(source), str(certificate)}
    certificate.write_text("another PEM")
    assert action.named_paths({"c": str(certificate)})[str(certificate)] != found[str(certificate)]


def test_git_sources_count_by_commit(tmp_path):
    commit = "0123456789abcdef0123456789abcdef01234567"
    assert action.source_digest({"git": "https://example.invalid/x.git", "version": commit}) == {
        f"https://example.invalid/x.git {commit}": commit
    }
    missing = action.source_digest({"git": str(tmp_path / "none"), "version": "main"})
    assert list(missing.values())[0].startswith("unresolved")


def test_fingerprint_is_stable_and_sensitive():
    inputs = {"variables": {"nginx_worker_connections": 1024}, "hosts": {"a": {"x": [1, 2]}}}
    assert action.fingerprint(inputs) == action.fingerprint(json.loads(json.dumps(inputs)))
    inputs["variables"]["nginx_worker_connections"] = 2048
    assert action.fingerprint(inputs) != action.fingerprint({"variables": {}})


def test_probes_by_what_the_host_serves():
    apps = [
        {
            "state": "present",
            "socket": "/p/run/gunicorn.sock",
            "health_path": "/healthz",
            "listen": 80,
            "server_names": ["_", "shop.example.com"],
            "tls": {"enabled": True, "port": 443, "redirect": True},
        },
        {
            "state": "present",
            "socket": "/q/run/gunicorn.sock",
            "health_path": "/up",
            "listen": 8080,
            "server_names": ["_"],
            "tls": {"enabled": False},
        },
        {"state": "absent", "socket": "/r.sock", "listen": 80},
    ]
    assert action.probes(apps, web=True, app_host=True) == [
        {"socket": "/p/run/gunicorn.sock", "path": "/healthz"},
        {"url": "https://127.0.0.1:443/healthz", "host": "shop.example.com"},
        {"socket": "/q/run/gunicorn.sock", "path": "/up"},
        {"url": "http://127.0.0.1:8080/up", "host": "localhost"},
    ]
    assert action.probes(apps, web=False, app_host=True) == [
        {"socket": "/p/run/gunicorn.sock", "path": "/healthz"},
        {"socket": "/q/run/gunicorn.sock", "path": "/up"},
    ]


# ------------------------------------------------------------------------------ the host's half


@pytest.fixture()
def tree(tmp_path):
    etc = tmp_path / "etc"
    (etc / "nginx").mkdir(parents=True)
    (etc / "nginx" / "nginx.conf").write_text("events {}")
    app = tmp_path / "projects" / "demo" / "web"
    for name in ("config", "releases", "log", "data", "run"):
        (app / name).mkdir(parents=True)
    (app / "config" / "app.env").write_text("A=1")
    (app / "releases" / "abc").mkdir()
    (app / "releases" / "abc" / "venv.txt").write_text("many files")
    (app / "releases" / "state.json").write_text("{}")
    (app / "releases" / "blue").symlink_to("abc")
    (app / "log" / "app.log").write_text("line")
    return tmp_path


def observe(tree):
    return module.manifest(
        [str(tree / "etc" / "nginx"), str(tree / "etc" / "missing")], str(tree / "projects")
    )


def test_manifest_records_what_the_run_manages(tree):
    found = observe(tree)
    app = tree / "projects" / "demo" / "web"
    assert found[str(tree / "etc" / "missing")] == "missing"
    assert found[str(tree / "etc" / "nginx" / "nginx.conf")].startswith("file 0")
    assert found[str(app / "releases" / "blue")] == "link abc"
    assert len(found[str(app / "releases" / "state.json")].split()) == 4  # with its checksum
    assert str(app / "config" / "app.env") in found
    # What changes as the app runs, and what a release holds, is left out.
    assert str(app / "log" / "app.log") not in found
    assert str(app / "releases" / "abc" / "venv.txt") not in found


def test_differences_name_each_drift(tree):
    before = {"files": observe(tree), "units": ["nginx"], "programs": {"g:web": "RUNNING"}}
    assert module.differences({"fingerprint": "f", **before}, "f", before) == []
    assert module.differences({"fingerprint": "f", **before}, "g", before) == [
        "the inputs changed since the last complete run"
    ]
    assert module.differences(None, "f", before) == ["no record of a complete run"]

    conf = tree / "etc" / "nginx" / "nginx.conf"
    conf.write_text("events { worker_connections 1; }")
    (tree / "etc" / "nginx" / "extra.conf").write_text("")
    (tree / "projects" / "demo" / "web" / "releases" / "blue").unlink()
    (tree / "projects" / "demo" / "web" / "log" / "app.log").write_text("more lines")
    now = {"files": observe(tree), "units": [], "programs": {"g:web": "STOPPED"}}
    reasons = module.differences({"fingerprint": "f", **before}, "f", now)
    assert [reason.split(":")[0] for reason in reasons] == [
        str(tree / "etc" / "nginx" / "extra.conf"),
        str(conf),
        str(tree / "projects" / "demo" / "web" / "releases" / "blue"),
        "unit nginx is not active",
        "program g",
    ]


def test_record_is_written_for_root_only(tmp_path):
    path = tmp_path / "state" / "converged.json"
    module.write_record(str(path), {"fingerprint": "f"})
    assert module.read_record(str(path)) == {"fingerprint": "f"}
    assert os.stat(path).st_mode & 0o777 == 0o600
    # Its folder stays readable: nginx reads the maintenance flags kept next to it.
    assert os.stat(path.parent).st_mode & 0o777 == 0o755
    path.write_text("not json")
    assert module.read_record(str(path)) is None


def test_account_lookup_agrees_with_deploy_facts():
    # The flask role's check of the app user reads the entry from either module.
    assert module.account("root") == passwd_entry("root")
    assert module.account("root")[1] == "0"
    assert module.account("no-such-account-here") is None


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server interface
        self.send_response(200 if self.path == "/healthz" else 503)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_probe_wants_a_2xx_answer():
    server = http.server.HTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        assert module.probe({"url": f"http://127.0.0.1:{port}/healthz"}, 2) is None
        assert "status 503" in module.probe({"url": f"http://127.0.0.1:{port}/down"}, 2)
    finally:
        server.shutdown()
    assert module.probe({"socket": "/nonexistent.sock", "path": "/"}, 1).startswith(
        "/nonexistent.sock /:"
    )


def test_no_supervisor_no_programs(tmp_path):
    assert module.program_states(str(tmp_path / "supervisor.sock")) == {}


# ------------------------------------------------------------------ the facts


def ad_hoc(module_name, args, tmp_path):
    """What an ad-hoc run of a module on this machine returns (Ansible's JSON output)."""
    env = {
        **os.environ,
        "ANSIBLE_LIBRARY": str(ROOT / "roles/converged/library"),
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "json",
        "ANSIBLE_LOCAL_TEMP": str(tmp_path),
    }
    done = subprocess.run(
        [Path(sys.executable).with_name("ansible"), "localhost", "-c", "local",
         "-e", f"ansible_python_interpreter={sys.executable}", "-m", module_name, "-a", args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads(done.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]


def test_the_check_gathers_the_facts_setup_gives(tmp_path):
    """The check's own request replaces the setup call: the facts the roles read are setup's,
    the very same values (setup's subsets of them, on this machine)."""
    setup = ad_hoc("setup", "gather_subset=!all,!min,distribution,dns,python,network", tmp_path)
    check = ad_hoc(
        "converged_state",
        f"mode=check fingerprint=x state_file={tmp_path}/none.json accounts=root",
        tmp_path,
    )
    assert check["converged"] is False
    assert check["reasons"] == ["no record of a complete run"]
    for name in (f"ansible_{name}" for name in action.FACTS):
        assert check["ansible_facts"][name] == setup["ansible_facts"][name], name
    assert check["ansible_facts"]["getent_passwd"] == {"root": passwd_entry("root")}


def test_the_facts_of_every_host_must_be_those_recorded():
    facts = action.facts_of_hosts({"web1": {"distribution": "Debian", "other": 1}, "new": None})
    assert facts == {"web1": {**dict.fromkeys(action.FACTS), "distribution": "Debian"}, "new": None}
    read = {"converged": True, "reasons": [], "recorded_facts": "f1", "fingerprint": "i1"}
    assert action.compare(read, "f1") == {
        "changed": False, "converged": True, "reasons": [], "fingerprint": "i1",
        "facts": "f1", "projects": None,
    }  # fmt: skip
    changed = action.compare(read, "f2")
    assert changed["converged"] is False
    assert changed["reasons"] == [
        "the facts of a host of the inventory changed since the last complete run"
    ]
    assert changed["facts"] == "f2"  # what the record of this run keeps
    # A host already found changed keeps its own reasons.
    other = {"converged": False, "reasons": ["unit nginx.service is not active"]}
    assert action.compare(other, "f1")["reasons"] == ["unit nginx.service is not active"]
