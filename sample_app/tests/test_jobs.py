"""Celery: its settings, the demo.* tasks (run eagerly, no broker), the job API, the entry point."""

import importlib
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from celery import Celery
from celery.signals import worker_shutting_down

from app import create_app
from app.celery_setup import EAGER_RESULT_BACKEND, get_celery
from app.extensions import db
from app.jobs import NOTE_TASK, TICK_TASK, tick
from app.models import BeatTick, Note

APP_ROOT = Path(__file__).resolve().parent.parent


def test_without_broker_tasks_run_eagerly(app):
    conf = get_celery().conf
    assert conf.task_always_eager is True
    assert conf.task_eager_propagates is True
    assert conf.result_backend == EAGER_RESULT_BACKEND
    assert conf.task_track_started is True
    assert conf.result_expires.total_seconds() == 24 * 3600


def test_broker_and_backend_from_environment(monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/1")
    monkeypatch.setenv("CELERY_RESULT_BACKEND", "redis://127.0.0.1:6379/2")
    conf = create_app("testing").extensions["celery"].conf  # nothing connects yet
    assert conf.task_always_eager is False
    assert conf.broker_url == "redis://127.0.0.1:6379/1"
    assert conf.result_backend == "redis://127.0.0.1:6379/2"


def test_beat_schedule_ticks_with_this_host(monkeypatch):
    monkeypatch.setenv("BEAT_INTERVAL", "2.5")
    schedule = create_app("testing").extensions["celery"].conf.beat_schedule
    assert schedule == {
        "tick": {"task": TICK_TASK, "schedule": 2.5, "args": (socket.gethostname(),)}
    }


def test_sleep_job_result(client):
    response = client.post("/api/v1/jobs/sleep", json={"seconds": 0.01})
    assert response.status_code == 202
    job = response.get_json()
    assert job["url"] == f"/api/v1/jobs/{job['id']}"
    assert response.headers["Location"] == job["url"]

    status = client.get(job["url"]).get_json()
    assert status == {
        "id": job["id"],
        "state": "SUCCESS",
        "result": {
            "slept": 0.01,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "version": "1.0.0",
        },
        "error": None,
    }


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"seconds": 0},
        {"seconds": -1},
        {"seconds": 3601},
        {"seconds": "1"},
        {"seconds": True},
        {"seconds": None},
        ["seconds"],
    ],
)
def test_bad_sleep_job_is_json_400(client, payload):
    response = client.post("/api/v1/jobs/sleep", json=payload)
    assert response.status_code == 400
    assert "error" in response.get_json()


def test_sleep_job_accepts_the_limit(client, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    assert client.post("/api/v1/jobs/sleep", json={"seconds": 3600}).status_code == 202


def test_note_job_creates_a_note(client):
    response = client.post("/api/v1/jobs/note", json={"body": "  from a job "})
    assert response.status_code == 202
    status = client.get(response.get_json()["url"]).get_json()
    assert status["state"] == "SUCCESS"
    note = status["result"]
    assert note["body"] == "from a job"
    assert note["host"] == socket.gethostname()

    db.session.rollback()
    assert Note.count() == 1
    assert client.get(f"/api/v1/notes/{note['id']}").get_json()["body"] == "from a job"


@pytest.mark.parametrize("payload", [{}, {"body": "  "}, {"body": 7}, {"body": "x" * 501}])
def test_bad_note_job_is_json_400(client, payload):
    response = client.post("/api/v1/jobs/note", json=payload)
    assert response.status_code == 400
    assert Note.count() == 0


def test_failed_job_reports_its_error(client):
    result = get_celery().tasks[NOTE_TASK].apply(args=("",), throw=False)
    status = client.get(f"/api/v1/jobs/{result.id}").get_json()
    assert status["state"] == "FAILURE"
    assert status["result"] is None
    assert status["error"] == "ValueError: 'body' must be a non-empty string"


def test_unknown_job_is_pending(client):
    status = client.get("/api/v1/jobs/no-such-job").get_json()
    assert status == {"id": "no-such-job", "state": "PENDING", "result": None, "error": None}


def test_job_status_needs_a_result_backend(monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/1")
    app = create_app("testing")
    response = app.test_client().get("/api/v1/jobs/some-id")
    assert response.status_code == 503
    assert "CELERY_RESULT_BACKEND" in response.get_json()["error"]


def test_tick_records_beat_and_worker_hosts(client):
    tick("beat-host-1")
    get_celery().tasks[TICK_TASK].delay("beat-host-2")

    db.session.rollback()
    assert BeatTick.count() == 2
    latest = client.get("/api/v1/ticks").get_json()["latest"]
    assert [t["beat_host"] for t in latest] == ["beat-host-2", "beat-host-1"]
    assert {t["worker_host"] for t in latest} == {socket.gethostname()}


def test_celery_worker_module_exposes_the_celery_app(monkeypatch):
    monkeypatch.setenv("FLASK_CONFIG", "testing")
    sys.modules.pop("celery_worker", None)  # build it with this test's environment
    module = importlib.import_module("celery_worker")
    assert isinstance(module.celery, Celery)
    assert module.celery is module.app.extensions["celery"]
    assert {"demo.sleep", "demo.tick", "demo.note"} <= set(module.celery.tasks)


def test_celery_command_loads_the_app_from_elsewhere(tmp_path):
    # As the toolkit runs it: from another directory, with the app folder on PYTHONPATH.
    env = {**os.environ, "FLASK_CONFIG": "testing", "PYTHONPATH": str(APP_ROOT)}
    command = [sys.executable, "-m", "celery", "-A", "celery_worker:celery", "report"]
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "task_always_eager: True" in result.stdout
    assert "'task': 'demo.tick'" in result.stdout


def test_a_worker_shutdown_is_logged(caplog):
    with caplog.at_level(logging.INFO):
        worker_shutting_down.send(sender="celery@here", sig="SIGTERM", how="Warm", exitcode=0)
    assert "Warm shutdown asked (SIGTERM): the running tasks finish first" in caplog.text
