"""flask-singleton against a real redis-server on loopback: of several copies on one lock,
one runs the program; when it stops or dies, another takes over; a stop signal reaches
the program and gives the lock back."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SINGLETON = ROOT / "roles/supervisor/files/usr/local/bin/flask-singleton"
PASSWORD = "a-test-password-for-redis"
TTL = 3


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--requirepass",
            PASSWORD,
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://:{PASSWORD}@127.0.0.1:{port}/3"
    server.terminate()
    server.wait()


def start(url, marker, name="demo-beat"):
    """A copy of flask-singleton whose program appends its pid to `marker` and sleeps."""
    program = f"echo $$ >> {marker}; exec sleep 60"
    env = {**os.environ, "REDIS_URL": url, "FLASK_SINGLETON_TTL": str(TTL)}
    return subprocess.Popen(
        [sys.executable, str(SINGLETON), name, "--", "sh", "-c", program],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(copies, marker):
    """Ends the copies and the programs they started (a killed copy leaves its own)."""
    for copy in copies:
        copy.kill()
        copy.wait()
    for pid in runs(marker):
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie waiting for its parent is gone too
        return stat.read().split(") ")[1][0] != "Z"


def runs(marker):
    return marker.read_text().split() if marker.exists() else []


def wait_for(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_one_copy_runs_the_program_and_another_takes_over(redis_url, tmp_path):
    marker = tmp_path / "runs"
    copies = [start(redis_url, marker) for _ in range(3)]
    try:
        assert wait_for(lambda: len(runs(marker)) == 1, 5), runs(marker)
        time.sleep(TTL * 1.5)  # renewals keep the others waiting
        assert len(runs(marker)) == 1

        # a stop signal reaches the program, and the lock goes to a waiting copy at once
        holder = next(c for c in copies if "holding the lock" in peek(c))
        holder.send_signal(signal.SIGTERM)
        assert holder.wait(timeout=5) == 128 + signal.SIGTERM
        assert wait_for(lambda: len(runs(marker)) == 2, TTL + 2), runs(marker)

        # a holder killed outright: its program goes with it, its lock expires, and a
        # waiting copy takes over
        holder = next(c for c in copies if c.poll() is None and "holding the lock" in peek(c))
        orphan = int(runs(marker)[-1])
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        assert wait_for(lambda: not alive(orphan), 5), "the program outlived its holder"
        assert wait_for(lambda: len(runs(marker)) == 3, TTL * 2 + 2), runs(marker)
    finally:
        stop(copies, marker)


def test_locks_of_other_names_do_not_block(redis_url, tmp_path):
    first, second = start(redis_url, tmp_path / "a", "one"), start(redis_url, tmp_path / "b", "two")
    try:
        assert wait_for(lambda: runs(tmp_path / "a") and runs(tmp_path / "b"), 5)
    finally:
        stop([first], tmp_path / "a")
        stop([second], tmp_path / "b")


def test_without_a_redis_url_it_refuses_to_run(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
    result = subprocess.run(
        [sys.executable, str(SINGLETON), "x", "--", "true"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 78
    assert "neither REDIS_URL nor CELERY_BROKER_URL" in result.stderr


_seen = {}


def peek(process):
    """What a copy has said so far on stderr (read without blocking)."""
    os.set_blocking(process.stderr.fileno(), False)
    chunk = process.stderr.read() or ""
    _seen[process.pid] = _seen.get(process.pid, "") + chunk
    return _seen[process.pid]
