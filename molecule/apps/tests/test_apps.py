"""Three real apps deployed by inventory alone, checked through nginx, in order: what each
needs works, deploys that change nothing report nothing, and data outlives deploys and
rollbacks. A web program that dies fails its deploy within seconds, saying why."""

import json
import re

from conftest import REPO, git

import playbooks

TREE = "/projects/apps"


def test_the_pinned_app_runs_its_own_gunicorn_with_wheels_for_the_hosts_python(host, site):
    answer = site("pinned").json("/")
    python = host.check_output(
        "/usr/bin/python3 -c 'import platform; print(platform.python_version())'"
    )
    assert answer["gunicorn"] == "21.2.0"
    assert answer["python"] == python
    # redis 5.0.1 needs async-timeout where python_full_version <= "3.11.2" (Debian 12's):
    # resolved for the host, the wheelhouse has it though the control node's Python would not.
    needs_it = tuple(map(int, python.split("."))) <= (3, 11, 2)
    assert (answer["async_timeout"] is not None) is needs_it, answer


def test_no_web_program_gets_an_option_its_gunicorn_lacks(host):
    for conf in host.check_output("ls /etc/supervisor/flask-web/").split():
        assert (
            "--control-socket" not in host.file(f"/etc/supervisor/flask-web/{conf}").content_string
        )


def test_workers_auto_is_twice_the_cpus_plus_one(host):
    """gunicorn_workers' default, auto, counted by gunicorn.conf.py when gunicorn starts (here
    the pinned app's gunicorn 21.2.0)."""
    rows = [line.split(None, 2) for line in host.check_output("ps -eo pid,ppid,args").splitlines()]
    gunicorns = [(pid, ppid) for pid, ppid, args in rows if f"{TREE}/pinned/" in args
                 and "/venv/bin/gunicorn" in args]  # fmt: skip
    pids = {pid for pid, _ in gunicorns}
    masters = [pid for pid, ppid in gunicorns if ppid not in pids]
    assert len(masters) == 1, gunicorns
    workers = [pid for pid, ppid in gunicorns if ppid == masters[0]]
    assert len(workers) == 2 * int(host.check_output("nproc")) + 1, gunicorns


def test_the_native_app_runs_psycopg2_built_on_the_host(host, site):
    answer = site("native").json("/")
    assert answer["psycopg2"].startswith("2.9.")
    assert answer["libpq"] >= 150000
    assert re.match(r"_psycopg\.cpython-3\d+-x86_64-linux-gnu\.so$", answer["extension"])
    built = host.check_output(f"ls {TREE}/native/requirements/*/ | grep '^psycopg2-'")
    assert re.match(r"psycopg2-2\.9\.\d+-cp3\d+-cp3\d+-linux_x86_64\.whl$", built), built


def test_the_package_from_a_repository_subfolder_writes_to_its_instance_folder(host, site):
    jotter = site("jotter")
    assert jotter.request("/notes", "POST", b"first note")[0] == 201
    answer = jotter.json("/notes")
    assert answer["version"] == "1.0.0"
    assert answer["notes"][-1] == "first note"
    # Flask's default for an installed package: <venv>/var/jotter-instance, a link to storage.
    notes = host.file(f"{TREE}/jotter/data/shared/var/jotter-instance/notes.txt")
    assert notes.user == "flask" and "first note" in notes.content_string
    assert host.file(f"{TREE}/jotter/app/venv/var").is_symlink
    # Only the app's subfolder was shipped.
    assert not host.file(f"{TREE}/jotter/app/docs").exists
    assert host.file(f"{TREE}/jotter/app/pyproject.toml").exists


def test_the_packages_console_script_runs_as_a_task(host, show):
    show("supervisorctl status; tail -n 5 /projects/apps/jotter/log/ticker.out")
    status = host.check_output("supervisorctl status apps-jotter-tasks:apps-jotter-ticker")
    assert "RUNNING" in status
    ticks = host.file(f"{TREE}/jotter/data/shared/var/jotter-instance/ticks.txt")
    assert ticks.exists and ticks.user == "flask"


def test_a_writable_file_in_the_source_is_persistent_storage(host, site):
    pinned = site("pinned")
    first = pinned.json("/hits")["hits"]
    assert pinned.json("/hits")["hits"] == first + 1
    link = host.file(f"{TREE}/pinned/app/hits.db")
    assert link.is_symlink and link.linked_to == f"{TREE}/pinned/data/shared/hits.db"
    assert host.file(f"{TREE}/pinned/data/shared/hits.db").user == "flask"


def test_deploying_the_live_code_again_changes_nothing(host):  # host: keeps the file's order
    run = playbooks.run("playbooks/deploy.yml")
    assert run.returncode == 0, run
    assert run.changed == 0, run


def test_a_deploy_of_changed_code_keeps_the_data(site):
    pyproject = REPO / "services" / "jotter" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "1.0.0"', 'version = "1.1.0"'))
    git("commit", "--quiet", "--all", "-m", "jotter 1.1.0")
    hits = site("pinned").json("/hits")["hits"]

    run = playbooks.run("playbooks/deploy.yml")
    assert run.returncode == 0, run
    print(f"deploy of changed code (jotter 1.1.0): {run.seconds:.1f} s, changed={run.changed}")
    answer = site("jotter").json("/notes")
    assert answer["version"] == "1.1.0"
    assert "first note" in answer["notes"]
    assert site("pinned").json("/hits")["hits"] == hits + 1

    again = playbooks.run("playbooks/deploy.yml")
    assert again.returncode == 0 and again.changed == 0, again
    print(f"deploy of the live code again: {again.seconds:.1f} s, changed=0")


def test_a_rollback_keeps_the_data(site):
    jotter = site("jotter")
    assert jotter.request("/notes", "POST", b"written by 1.1.0")[0] == 201
    run = playbooks.run("playbooks/rollback.yml", extra_vars={"app_deploy_apps": ["apps-jotter"]})
    assert run.returncode == 0, run
    answer = jotter.json("/notes")
    assert answer["version"] == "1.0.0"
    assert answer["notes"][-2:] == ["first note", "written by 1.1.0"]


def test_a_web_program_that_dies_fails_the_deploy_within_seconds(host, site):
    live = json.loads(host.file(f"{TREE}/pinned/releases/state.json").content_string)
    dies = "def on_starting(server):\n    raise SystemExit(4)\n"
    run = playbooks.run(
        "site.yml",
        extra_vars={
            "gunicorn_extra": dies,
            "app_deploy_apps": ["apps-pinned"],
            "app_deploy_health_timeout": 300,
        },
    )
    assert run.returncode != 0, run
    assert "failed its health check" in run.message, run
    assert re.search(r"apps-pinned-web-\w+ is (BACKOFF|EXITED|FATAL)", run.message), run
    assert "last lines of" in run.message, run
    waited = re.search(
        r"seconds: ([\d.]+)",
        host.file(f"{TREE}/pinned/releases/{live['release']}/deploy.log").content_string,
    )
    assert waited and float(waited.group(1)) < 15, waited
    print(f"a web program that dies: the deploy failed after waiting {waited.group(1)} s for it")
    # The live program never stopped serving.
    assert site("pinned").request("/healthz")[0] == 200

    restored = playbooks.run("site.yml")
    assert restored.returncode == 0, restored
