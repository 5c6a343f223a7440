"""supervisor-wake: a real supervisord started with it starts its program at once, and
without it a second later; it waits for a socket to listen, and gives up on one that never
does."""

import re
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WAKE = ROOT / "roles/supervisor/files/usr/local/sbin/supervisor-wake"
SUPERVISORD = Path(sys.executable).with_name("supervisord")
STAMP = r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) INFO "


def logged_at(log, message):
    found = re.search(STAMP + re.escape(message), log, re.MULTILINE)
    assert found, log
    return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f")


def seconds_to_spawn(tmp_path, wake):
    """From supervisord's start to its program's spawn, by supervisord's log."""
    sock, log = tmp_path / "supervisor.sock", tmp_path / "supervisord.log"
    log.unlink(missing_ok=True)
    (tmp_path / "supervisord.conf").write_text(
        f"[unix_http_server]\nfile={sock}\n"
        f"[supervisord]\nnodaemon=true\nlogfile={log}\npidfile={tmp_path}/supervisord.pid\n"
        "[rpcinterface:supervisor]\n"
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
        "[program:sleeper]\ncommand=sleep 1000\nstartsecs=0\n"
    )
    daemon = subprocess.Popen([SUPERVISORD, "-c", tmp_path / "supervisord.conf"])
    try:
        if wake:
            woken = subprocess.run([sys.executable, WAKE, sock], timeout=20, check=False)
            assert woken.returncode == 0
        deadline = time.monotonic() + 20
        while "spawned: 'sleeper'" not in (log.read_text() if log.exists() else ""):
            assert time.monotonic() < deadline, "supervisord never started its program"
            time.sleep(0.05)
    finally:
        daemon.terminate()
        daemon.wait(20)
    text = log.read_text()
    started = logged_at(text, "supervisord started with pid")
    return (logged_at(text, "spawned: 'sleeper'") - started).total_seconds()


def test_supervisord_starts_its_programs_at_once_when_woken(tmp_path):
    assert seconds_to_spawn(tmp_path, wake=False) >= 0.9  # what the wake saves
    assert seconds_to_spawn(tmp_path, wake=True) < 0.5


def test_it_waits_for_the_socket_to_listen(tmp_path):
    path = str(tmp_path / "late.sock")
    connections = []

    def listen_later():
        time.sleep(0.5)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            listener.bind(path)
            listener.listen()
            listener.settimeout(10)
            connections.append(listener.accept()[0])

    thread = threading.Thread(target=listen_later)
    thread.start()
    woken = subprocess.run([sys.executable, WAKE, path, "10"], timeout=20, check=False)
    thread.join()
    assert woken.returncode == 0
    assert len(connections) == 1


@pytest.mark.parametrize("stale", [False, True], ids=["no socket", "a dead one's socket"])
def test_it_gives_up_when_nothing_listens(tmp_path, stale):
    path = tmp_path / "supervisor.sock"
    if stale:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
            dead.bind(str(path))
    started = time.monotonic()
    woken = subprocess.run(
        [sys.executable, WAKE, path, "0.3"], capture_output=True, text=True, check=False
    )
    assert woken.returncode == 1
    assert f"nothing listens on {path}" in woken.stderr
    assert 0.3 <= time.monotonic() - started < 5
