"""switch_programs against a real supervisord: old colors retired and groups restarted,
at the same time; and supervisor_rpc's early stop of a group, which a restart then finishes."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ansible.module_utils.supervisor_rpc import SupervisorError, ask_to_stop
from switch_programs import Failed, Restart, Retire, Supervisor, run

SUPERVISORD = Path(sys.executable).with_name("supervisord")
LINGERER = "trap 'sleep 1; exit 0' TERM; while :; do sleep 0.1; done"


def program(name, command, startsecs=1):
    return (
        f"[program:{name}]\ncommand={command}\nstartsecs={startsecs}\nstopwaitsecs=10\n"
        f"redirect_stderr=true\nstdout_logfile=%(here)s/{name}.log\n"
    )


@pytest.fixture
def supervisor(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "flask-web").mkdir()
    flag = tmp_path / "healthy"
    flag.touch()
    (tmp_path / "flask-web" / "web-blue.conf").write_text(program("web-blue", "sleep 1000"))
    (tmp_path / "conf.d" / "web-blue.conf").symlink_to(tmp_path / "flask-web" / "web-blue.conf")
    (tmp_path / "conf.d" / "tasks.conf").write_text(
        "[group:tasks]\nprograms=sleeper,fussy,lingerer\n"
        + program("sleeper", "sleep 1000")
        # Like celery's warm shutdown: a second's work after TERM, then gone.
        + program("lingerer", f"sh -c {LINGERER!r}")
        + program("fussy", f"sh -c 'test -e {flag} && exec sleep 1000; echo no flag; exit 3'")
    )
    sock = tmp_path / "supervisor.sock"
    (tmp_path / "supervisord.conf").write_text(
        f"[unix_http_server]\nfile={sock}\n"
        f"[supervisord]\nnodaemon=true\nlogfile={tmp_path}/supervisord.log\n"
        f"pidfile={tmp_path}/supervisord.pid\n"
        "[rpcinterface:supervisor]\n"
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
        f"[include]\nfiles = {tmp_path}/conf.d/*.conf\n"
    )
    daemon = subprocess.Popen([SUPERVISORD, "-c", tmp_path / "supervisord.conf"])
    supervisor = Supervisor(str(sock))
    rpc = supervisor.rpc
    deadline = time.monotonic() + 20
    while True:
        try:
            if {i["statename"] for i in rpc.getAllProcessInfo()} == {"RUNNING"}:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, "supervisord did not start its programs"
        time.sleep(0.1)
    yield supervisor, tmp_path, flag
    daemon.terminate()
    daemon.wait(20)


def pids(rpc):
    return {f"{i['group']}:{i['name']}": i["pid"] for i in rpc.getAllProcessInfo()}


def test_the_old_color_retires_while_the_group_restarts(supervisor):
    client, tmp_path, _ = supervisor
    rpc = client.rpc
    before = pids(rpc)
    retire = Retire("web-blue", str(tmp_path / "conf.d"), 1, time.monotonic())
    restart = Restart("tasks", 30, 5)
    seconds = run(client, [retire, restart])
    assert not os.path.lexists(tmp_path / "conf.d" / "web-blue.conf")
    after = pids(rpc)
    assert "web-blue:web-blue" not in after  # stopped and unloaded
    assert {i["statename"] for i in rpc.getAllProcessInfo()} == {"RUNNING"}
    assert after["tasks:sleeper"] != before["tasks:sleeper"]
    assert after["tasks:fussy"] != before["tasks:fussy"]
    assert after["tasks:lingerer"] != before["tasks:lingerer"]
    assert seconds["web-blue"] >= 1  # stopped only after the drain
    assert retire.changed and restart.changed


def test_the_drain_counts_from_when_traffic_left_the_program(supervisor):
    client, tmp_path, _ = supervisor
    now = time.monotonic()
    drained = Retire("web-blue", str(tmp_path / "conf.d"), 3, now, since=now - 3)
    assert run(client, [drained])["web-blue"] < 2  # its drain was over when the handler ran
    assert "web-blue:web-blue" not in pids(client.rpc)
    assert Retire("x", str(tmp_path), 3, now, since=now + 60).stop_at == now + 3  # never later


def test_a_program_supervisor_does_not_know_retires_quietly(supervisor):
    client, tmp_path, _ = supervisor
    retire = Retire("web-green", str(tmp_path / "conf.d"), 0, time.monotonic())
    assert run(client, [retire]) == {"web-green": pytest.approx(0, abs=1)}
    assert not retire.changed


def test_a_program_that_dies_on_restart_fails_with_its_log(supervisor):
    client, _, flag = supervisor
    flag.unlink()
    with pytest.raises(Failed) as failed:
        run(client, [Restart("tasks", 30, 5)])
    message = str(failed.value)
    assert "the restart of tasks failed: a program died" in message
    states = ("BACKOFF", "FATAL", "SPAWN_ERROR")  # dead at once, or after a try
    assert any(f"tasks:fussy is {state}" in message for state in states)
    assert "no flag" in message
    assert "tasks:sleeper" not in message


def test_an_unknown_group_fails(supervisor):
    client, _, _ = supervisor
    with pytest.raises(Failed, match="no program group nothing"):
        run(client, [Restart("nothing", 30, 5)])


def test_a_group_stopped_early_restarts_once_its_programs_are_down(supervisor):
    client, _, _ = supervisor
    rpc = client.rpc
    before = pids(rpc)
    started = time.monotonic()
    assert ask_to_stop(rpc, ["tasks"])
    assert time.monotonic() - started < 0.5  # asked, not waited for
    assert rpc.getProcessInfo("tasks:lingerer")["statename"] == "STOPPING"
    seconds = run(client, [Restart("tasks", 30, 5)])
    after = pids(rpc)
    assert {i["statename"] for i in rpc.getAllProcessInfo()} == {"RUNNING"}
    assert all(after[name] != before[name] for name in after if name.startswith("tasks:"))
    assert seconds["tasks"] >= 0.8  # it waited for the lingerer to finish


def test_stopping_a_stopped_group_changes_nothing(supervisor):
    client, _, _ = supervisor
    rpc = client.rpc
    rpc.stopProcessGroup("tasks", True)
    assert not ask_to_stop(rpc, ["tasks"])


def test_no_group_is_asked_to_stop_when_one_is_unknown(supervisor):
    client, _, _ = supervisor
    rpc = client.rpc
    with pytest.raises(SupervisorError, match="supervisor has no program group nothing"):
        ask_to_stop(rpc, ["tasks", "nothing"])
    assert {i["statename"] for i in rpc.getAllProcessInfo()} == {"RUNNING"}
