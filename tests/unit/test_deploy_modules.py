"""The host-side modules of app_deploy: the deploy lock, the deploy state reader, the links
of writable paths, and the wait for a web program."""

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import yaml
from ansible.module_utils.program_logs import last_lines, tail
from ansible.module_utils.replace import replace_file, replace_link
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from balancer_member import mark, parse
from deploy_lock import create_lock, describe_release, list_ids, read_json, read_lock, sha1
from release_build import ensure_storage, place_link
from release_failure import record
from web_color import answering

ME = os.getuid(), os.getgid()
LIBRARY = Path(__file__).resolve().parents[2] / "roles" / "app_deploy" / "library"


def run_module(name, tmp_path, **args):
    """The result of a module run as Ansible runs it on a host: its arguments in a file."""
    arguments = tmp_path / "args.json"
    arguments.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    done = subprocess.run(
        [sys.executable, LIBRARY / f"{name}.py", arguments], capture_output=True, text=True
    )
    return json.loads(done.stdout)


def test_lock_is_taken_once(tmp_path):
    path = str(tmp_path / "lock")
    assert create_lock(path, {"holder": "a", "token": "1", "since": "t"})
    assert not create_lock(path, {"holder": "b", "token": "2", "since": "t"})
    assert read_lock(path) == {"holder": "a", "token": "1", "since": "t"}


def test_missing_and_unreadable_locks(tmp_path):
    assert read_lock(str(tmp_path / "none")) is None
    (tmp_path / "bad").write_text("not json")
    assert read_lock(str(tmp_path / "bad"))["holder"].startswith("unknown")


def test_lock_is_not_taken_on_a_host_missing_a_required_file(tmp_path):
    lock, there = tmp_path / "lock", tmp_path / "web.conf"
    there.write_text("")
    required = {"shop": str(there), "blog": str(tmp_path / "blog.conf")}
    result = run_module("deploy_lock", tmp_path, path=str(lock), token="1", require=required)
    assert result["missing"] == {"blog": str(tmp_path / "blog.conf")}
    assert not lock.exists()
    there.with_name("blog.conf").write_text("")
    result = run_module("deploy_lock", tmp_path, path=str(lock), token="1", require=required)
    assert "missing" not in result and not result.get("failed")
    assert read_lock(str(lock))["token"] == "1"


def test_lock_describes_the_python_before_it_is_taken(tmp_path):
    lock = tmp_path / "lock"
    result = run_module("deploy_lock", tmp_path, path=str(lock), token="1", python=sys.executable)
    major, minor = sys.version_info[:2]
    assert result["python"]["abi"] == f"cp{major}{minor}"
    assert result["python"]["key"].startswith(f"cp{major}.{minor}.")
    assert lock.exists()
    other = tmp_path / "other"
    result = run_module("deploy_lock", tmp_path, path=str(other), token="2", python="/no/python")
    assert result["failed"] and "cannot run /no/python" in result["msg"]
    assert not other.exists()


def test_the_lock_reads_each_app_under_it_and_gives_it_back_when_it_cannot(tmp_path):
    releases, requirements = tmp_path / "releases", tmp_path / "requirements"
    (releases / "0123456789ab").mkdir(parents=True)
    (requirements / "aaaaaaaaaaaa").mkdir(parents=True)
    (requirements / "aaaaaaaaaaaa" / ".complete").write_text("")
    (requirements / "bbbbbbbbbbbb").mkdir()
    (tmp_path / "app.env").write_text("x")
    state = releases / "state.json"
    state.write_text(json.dumps({"release": "0123456789ab"}))
    app = {
        "name": "shop",
        "state_file": str(state),
        "releases_dir": str(releases),
        "requirements_dir": str(requirements),
        "files": [str(tmp_path / "app.env"), str(tmp_path / "gone.conf")],
    }
    lock = tmp_path / "lock"
    result = run_module("deploy_lock", tmp_path, path=str(lock), token="1", read=[app])
    assert lock.exists() and not result.get("failed")
    shop = result["reads"]["shop"]
    assert shop["state"] == {"release": "0123456789ab"}
    assert list(shop["releases"]) == ["0123456789ab"]
    assert not shop["releases"]["0123456789ab"]["built"]
    assert shop["wheelhouses"] == ["aaaaaaaaaaaa", "bbbbbbbbbbbb"]
    assert shop["complete_wheelhouses"] == ["aaaaaaaaaaaa"]
    assert list(shop["checksums"].items()) == [
        (str(tmp_path / "app.env"), "11f6ad8ec52a2984abaafd7c3b516503785c2072"),
        (str(tmp_path / "gone.conf"), None),
    ]
    lock.unlink()
    state.write_text("{not json")
    result = run_module("deploy_lock", tmp_path, path=str(lock), token="1", read=[app])
    assert result["failed"] and "deploy record of shop is not valid JSON" in result["msg"]
    assert not lock.exists()


def test_releases_are_listed_with_their_marks(tmp_path):
    built, failed, partial = "0123456789ab", "ba9876543210", "aaaaaaaaaaaa"
    for name in (built, failed, partial, "blue", "not-a-release"):
        (tmp_path / name).mkdir()
    (tmp_path / "green").symlink_to(built)
    (tmp_path / built / ".release.json").write_text(
        json.dumps({"version": "1", "requirements": "r"})
    )
    (tmp_path / failed / ".release.json").write_text(json.dumps({"version": "2"}))
    (tmp_path / failed / ".failed.json").write_text(json.dumps({"check": "health"}))
    assert list_ids(str(tmp_path)) == sorted([partial, built, failed])
    assert describe_release(str(tmp_path / built)) == {
        "built": True,
        "failed": None,
        "version": "1",
        "requirements": "r",
    }
    assert describe_release(str(tmp_path / failed))["failed"] == {"check": "health"}
    assert describe_release(str(tmp_path / partial))["built"] is False


def test_state_and_checksums(tmp_path):
    assert read_json(str(tmp_path / "state.json"), {}) == {}
    (tmp_path / "f").write_text("x")
    assert sha1(str(tmp_path / "f")) == "11f6ad8ec52a2984abaafd7c3b516503785c2072"
    assert sha1(str(tmp_path / "missing")) is None


def test_storage_is_made_with_its_parents_and_an_empty_file(tmp_path):
    made = ensure_storage(str(tmp_path), "app/uploads", "directory", *ME)
    assert made == [str(tmp_path / "app"), str(tmp_path / "app" / "uploads")]
    assert ensure_storage(str(tmp_path), "app/uploads", "directory", *ME) == []
    assert ensure_storage(str(tmp_path), "data/app.db", "file", *ME)[-1] == str(
        tmp_path / "data" / "app.db"
    )
    assert (tmp_path / "data" / "app.db").read_bytes() == b""
    assert oct((tmp_path / "data" / "app.db").stat().st_mode & 0o777) == "0o640"


def test_a_shipped_path_is_replaced_by_its_link_once(tmp_path):
    release = tmp_path / "release"
    (release / "instance").mkdir(parents=True)
    (release / "instance" / "shipped.cfg").write_text("x")
    (release / "app.db").write_text("shipped")
    for rel in ("instance", "app.db", "venv/var"):
        assert place_link(str(release), rel, f"/shared/{rel}")
        assert os.readlink(release / rel) == f"/shared/{rel}"
        assert not place_link(str(release), rel, f"/shared/{rel}")


def test_a_program_answers_only_once_it_replies_on_its_socket(tmp_path):
    path = str(tmp_path / "web.sock")
    assert not answering(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    assert not answering(path)  # bound, not listening: a connection is refused
    server.listen(1)
    assert not answering(path)  # accepted into the backlog, but nobody replies (1 s)

    def reply():
        connection, _ = server.accept()
        connection.recv(100)
        connection.sendall(b"HTTP/1.0 200 OK\r\n\r\n")
        connection.close()

    server.close()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    os.unlink(path)
    server.bind(path)
    server.listen(1)
    replier = threading.Thread(target=reply)
    replier.start()
    assert answering(path)
    replier.join()
    server.close()


def test_replace_file_sets_content_and_mode_whatever_the_umask_or_a_leftover(tmp_path):
    path = tmp_path / "deploy.log"
    path.write_text("old")
    (tmp_path / "deploy.log.new").write_text("half of an earlier write")
    os.chmod(tmp_path / "deploy.log.new", 0o666)
    previous = os.umask(0o077)
    try:
        replace_file(str(path), "new\n", 0o640)
    finally:
        os.umask(previous)
    assert path.read_text() == "new\n"
    assert path.stat().st_mode & 0o777 == 0o640
    assert not (tmp_path / "deploy.log.new").exists()
    replace_file(str(path), "again\n")
    assert path.stat().st_mode & 0o777 == 0o644


def test_replace_link_points_it_in_one_rename_and_says_whether_it_changed(tmp_path):
    link = tmp_path / "live.sock"
    (tmp_path / "live.sock.new").write_text("a leftover file")
    assert replace_link(str(link), "blue.sock") is True
    assert os.readlink(link) == "blue.sock"
    assert replace_link(str(link), "blue.sock") is False
    assert replace_link(str(link), "green.sock") is True
    assert os.readlink(link) == "green.sock"
    assert not (tmp_path / "live.sock.new").exists()


def test_tail_gives_the_last_lines_or_why_not(tmp_path):
    log = tmp_path / "web.out"
    log.write_text("".join(f"line {n}\n" for n in range(100)))
    assert tail(str(log), 2) == "line 98\nline 99\n"
    assert "No such file" in tail(str(tmp_path / "none"), 2)
    assert last_lines([str(log)], 1) == f"--- last lines of {log}:\nline 99\n"


def failure(tmp_path, **changes):
    release = tmp_path / "releases" / "abc"
    log = tmp_path / "web.out"
    log.write_text("booting\nTraceback: boom\n")
    params = {
        "release_dir": str(release),
        "check": "health",
        "task": "Start the new web program",
        "summary": "demo-web: release abc (3.0) failed its health check",
        "output": "msg: answered 500",
        "logs": [str(log)],
        "lines": 1,
        "mark": True,
    }
    return release, record({**params, **changes}, now=0)


def test_a_failed_check_is_logged_in_the_release_folder_and_marks_it(tmp_path):
    release, (recorded, logs) = failure(tmp_path)
    assert recorded == {
        "check": "health",
        "task": "Start the new web program",
        "at": "1970-01-01T00:00:00Z",
        "log": str(release / "deploy.log"),
    }
    assert logs.endswith("web.out:\nTraceback: boom\n")
    text = (release / "deploy.log").read_text()
    assert text.startswith("1970-01-01T00:00:00Z: demo-web: release abc (3.0) failed its health")
    assert "Task: Start the new web program\nmsg: answered 500\n" in text
    assert text.endswith(f"The web program's logs:\n{logs}")
    assert (release / "deploy.log").stat().st_mode & 0o777 == 0o640
    assert json.loads((release / ".failed.json").read_text()) == recorded


def test_a_failed_new_configuration_of_the_live_release_does_not_mark_it(tmp_path):
    release, (recorded, logs) = failure(tmp_path, mark=False, logs=[], check="import")
    assert logs == "" and recorded["check"] == "import"
    assert "The web program's logs" not in (release / "deploy.log").read_text()
    assert not (release / ".failed.json").exists()


def test_a_check_run_writes_nothing(tmp_path):
    release = tmp_path / "releases" / "abc"
    recorded, _ = record(
        {"release_dir": str(release), "check": "build", "task": "t", "summary": "s",
         "output": "", "logs": [], "lines": 1, "mark": True},
        write_files=False,
    )  # fmt: skip
    assert recorded["log"] == str(release / "deploy.log")
    assert not release.exists()


UPSTREAM = [
    "# managed\n",
    "server 10.0.0.21:8000 max_fails=1 fail_timeout=10s;\n",
    "server 10.0.0.22:8000 max_fails=1 fail_timeout=10s down;\n",
]


def test_a_balancer_member_is_marked_down_and_up_again():
    drained = mark(UPSTREAM, "10.0.0.21:8000", down=True)
    assert drained[1] == "server 10.0.0.21:8000 max_fails=1 fail_timeout=10s down;\n"
    assert drained[2] == UPSTREAM[2]
    assert mark(drained, "10.0.0.21:8000", down=True) == drained
    assert mark(UPSTREAM, "10.0.0.22:8000", down=False)[2] == (
        "server 10.0.0.22:8000 max_fails=1 fail_timeout=10s;\n"
    )
    assert [(a, d) for _, a, d in parse(drained)] == [
        ("10.0.0.21:8000", True),
        ("10.0.0.22:8000", True),
    ]


def test_an_unknown_balancer_member_is_not_guessed():
    assert mark(UPSTREAM, "10.0.0.23:8000", down=True) is None
    assert mark(UPSTREAM, "10.0.0.2:8000", down=True) is None


def test_each_run_names_itself_with_a_token_of_its_own():
    """Two runs with the same token would share the lock: 200 runs, 200 tokens."""
    tasks = yaml.safe_load((LIBRARY.parent / "tasks" / "lock.yml").read_text())
    token = tasks[0]["ansible.builtin.set_fact"]["__app_deploy_lock_token"]
    templar = Templar(loader=DataLoader())
    tokens = {templar.template(trust_as_template(token)) for _ in range(200)}
    assert len(tokens) == 200
