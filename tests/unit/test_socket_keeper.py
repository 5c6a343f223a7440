"""flask-socket-keeper with a small socket-activated server in gunicorn's place: a crash of
the server loses no connection, a stop signal reaches it and takes the socket away, and a
server that cannot start ends the keeper with its status."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEEPER = ROOT / "roles/supervisor/files/usr/local/bin/flask-socket-keeper"
# Answers each connection with its pid, from the socket it was given (fd 3, LISTEN_PID).
SERVER = """
import os, socket, sys, time
assert os.environ["LISTEN_PID"] == str(os.getpid()) and os.environ["LISTEN_FDS"] == "1"
time.sleep(float(sys.argv[1]))
listener = socket.socket(fileno=3)
while True:
    connection, _ = listener.accept()
    connection.sendall(str(os.getpid()).encode())
    connection.close()
"""


def keeper(tmp_path, startsecs=0.5, boot=0.0, command=None, wait=True):
    server = tmp_path / "server.py"
    server.write_text(SERVER)
    path = tmp_path / "web.sock"
    command = command or [sys.executable, str(server), str(boot)]
    process = subprocess.Popen(
        [sys.executable, str(KEEPER), str(path), str(startsecs), "--", *command]
    )
    for _ in range(100):
        if path.exists() or not wait:
            return process, path
        time.sleep(0.05)
    process.kill()
    raise AssertionError("no socket")


def ask(path, timeout=10):
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        return int(sock.recv(32))


def child_of(pid, other_than=None):
    for _ in range(100):
        found = subprocess.run(
            ["pgrep", "-P", str(pid)], capture_output=True, text=True
        ).stdout.split()
        children = [int(child) for child in found if int(child) != other_than]
        if children:
            return children[0]
        time.sleep(0.05)
    raise AssertionError(f"no child of {pid} other than {other_than}")


def test_a_crash_of_the_server_loses_no_connection(tmp_path):
    process, path = keeper(tmp_path, boot=1.0)
    try:
        first = ask(path)
        os.kill(first, signal.SIGKILL)
        # Once the keeper has started the next server, which sleeps a second before it
        # accepts, a connection waits meanwhile. (One made while the killed server still
        # ran would be its in-flight request: lost with it.)
        second_pid = child_of(process.pid, other_than=first)
        started = time.monotonic()
        second = ask(path)
        assert second == second_pid != first
        assert time.monotonic() - started >= 0.3
    finally:
        process.terminate()
        process.wait(10)


def test_a_stop_signal_reaches_the_server_and_removes_the_socket(tmp_path):
    process, path = keeper(tmp_path)
    server = ask(path)
    process.terminate()
    assert process.wait(10) == 128 + signal.SIGTERM  # the server's status
    assert not path.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(server, 0)


def test_a_server_that_cannot_start_ends_the_keeper(tmp_path):
    process, path = keeper(
        tmp_path, startsecs=5, command=[sys.executable, "-c", "raise SystemExit(3)"], wait=False
    )
    assert process.wait(10) == 3
    assert not path.exists()


def test_the_server_dies_with_the_keeper(tmp_path):
    process, path = keeper(tmp_path)
    server = ask(path)
    process.kill()
    process.wait(10)
    for _ in range(100):
        try:
            os.kill(server, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError("the server outlived its keeper")
