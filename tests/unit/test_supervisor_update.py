"""supervisor-update, against a real supervisord: it updates the program groups that were
added, changed or went away, leaves a live web color's changed program alone, and says
nothing when there is nothing to update."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UPDATE = ROOT / "roles/supervisor/files/usr/local/sbin/supervisor-update"
BIN = Path(sys.executable).parent


def program(name, seconds):
    return f"[program:{name}]\ncommand=sleep {seconds}\nstartsecs=0\n"


@pytest.fixture
def supervisor(tmp_path):
    """A supervisord that includes conf.d/*.conf; supervisorctl finds its config in the
    working folder, which the commands run in."""
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d/demo.conf").write_text(program("demo-worker", 1000))
    (tmp_path / "conf.d/demo-web-web-blue.conf").write_text(program("demo-web-web-blue", 1000))
    (tmp_path / "supervisord.conf").write_text(
        f"[unix_http_server]\nfile={tmp_path}/supervisor.sock\n"
        f"[supervisord]\nnodaemon=true\nlogfile={tmp_path}/supervisord.log\n"
        f"pidfile={tmp_path}/supervisord.pid\n"
        "[rpcinterface:supervisor]\n"
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
        f"[supervisorctl]\nserverurl=unix://{tmp_path}/supervisor.sock\n"
        "[include]\nfiles = conf.d/*.conf\n"
    )
    daemon = subprocess.Popen([BIN / "supervisord", "-c", "supervisord.conf"], cwd=tmp_path)
    try:
        deadline = time.monotonic() + 20
        while "demo-worker" not in pids(tmp_path):
            assert time.monotonic() < deadline, "supervisord never started its programs"
            time.sleep(0.1)
        yield tmp_path
    finally:
        daemon.terminate()
        daemon.wait(20)


def run(folder, command):
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    done = subprocess.run(
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=30, check=False
    )
    return done


def pids(folder):
    """{program: pid} of the running programs."""
    lines = run(folder, ["supervisorctl", "status"]).stdout.splitlines()
    return {
        words[0]: words[3].rstrip(",")
        for words in (line.split() for line in lines)
        if len(words) > 3 and words[1] == "RUNNING"
    }


def test_nothing_changed_nothing_updated(supervisor):
    before = pids(supervisor)
    done = run(supervisor, [sys.executable, "-I", UPDATE])
    assert (done.returncode, done.stdout) == (0, "")
    assert pids(supervisor) == before


def test_it_updates_what_changed_and_leaves_the_live_web_color(supervisor):
    before = pids(supervisor)
    (supervisor / "conf.d/demo.conf").write_text(program("demo-worker", 2000))
    (supervisor / "conf.d/demo-web-web-blue.conf").write_text(program("demo-web-web-blue", 2000))
    (supervisor / "conf.d/shop.conf").write_text(program("shop-beat", 1000))
    done = run(supervisor, [sys.executable, "-I", UPDATE])
    assert done.returncode == 0, done.stderr
    assert "demo-worker: updated process group" in done.stdout
    assert "shop-beat: added process group" in done.stdout
    assert "web" not in done.stdout
    after = pids(supervisor)
    assert after["demo-web-web-blue"] == before["demo-web-web-blue"]
    assert after["demo-worker"] != before["demo-worker"]
    assert "shop-beat" in after

    (supervisor / "conf.d/shop.conf").unlink()
    done = run(supervisor, [sys.executable, "-I", UPDATE])
    assert "shop-beat: removed process group" in done.stdout
    assert "shop-beat" not in pids(supervisor)


def test_it_fails_when_supervisorctl_does(tmp_path):
    (tmp_path / "supervisord.conf").write_text(
        f"[supervisorctl]\nserverurl=unix://{tmp_path}/none.sock\n"
    )
    done = run(tmp_path, [sys.executable, "-I", UPDATE])
    assert done.returncode != 0
    assert done.stdout == ""
