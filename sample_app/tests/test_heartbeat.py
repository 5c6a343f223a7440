"""The heartbeat task, in process (--once) and as the real `python -m tasks.heartbeat`."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.extensions import db
from app.models import Heartbeat
from tasks.heartbeat import main

APP_ROOT = Path(__file__).resolve().parent.parent


def heartbeat_count() -> int:
    db.session.rollback()  # end the read transaction so the next count sees new rows
    return Heartbeat.count()


def start_task(tmp_path: Path, interval: float) -> subprocess.Popen:
    env = {
        **os.environ,
        "FLASK_CONFIG": "testing",
        "HEARTBEAT_INTERVAL": str(interval),
        "APP_LOG_DIR": str(tmp_path / "logs"),
    }
    return subprocess.Popen([sys.executable, "-m", "tasks.heartbeat"], cwd=APP_ROOT, env=env)


def wait_for_beats(process: subprocess.Popen, count: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while heartbeat_count() < count:
        assert process.poll() is None, "heartbeat task exited early"
        assert time.monotonic() < deadline, f"fewer than {count} heartbeats after {timeout} s"
        time.sleep(0.05)


def stop_task(process: subprocess.Popen, signum: int) -> tuple[int, float]:
    """Send ``signum``; return the exit status and how long the task took to exit."""
    sent_at = time.monotonic()
    process.send_signal(signum)
    try:
        status = process.wait(timeout=5)
    finally:
        process.kill()
    return status, time.monotonic() - sent_at


def test_once_writes_one_row(app, monkeypatch):
    monkeypatch.setenv("FLASK_CONFIG", "testing")
    assert main(["--once"]) == 0
    assert heartbeat_count() == 1
    heartbeat = Heartbeat.latest()
    assert heartbeat.pid == os.getpid()
    assert heartbeat.hostname


def test_beats_repeatedly_and_logs_to_heartbeat_log(app, tmp_path):
    process = start_task(tmp_path, interval=0.1)
    wait_for_beats(process, 3)
    status, _ = stop_task(process, signal.SIGTERM)
    assert status == 0
    log_text = (tmp_path / "logs" / "heartbeat.log").read_text()
    assert log_text.count("heartbeat ") >= 3
    assert "received SIGTERM, stopping" in log_text


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stops_promptly_mid_sleep(app, tmp_path, signum):
    process = start_task(tmp_path, interval=60)
    wait_for_beats(process, 1)
    status, elapsed = stop_task(process, signum)
    assert status == 0
    assert elapsed < 1.0
