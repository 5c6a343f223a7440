"""`flask --app wsgi:app migrate`: upgrade to head, then one migration_runs row per run."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import flask_migrate
from sqlalchemy import inspect

from app.extensions import db
from app.models import MigrationRun

APP_ROOT = Path(__file__).resolve().parent.parent
HEAD_REVISION = "8c415805617f"


def run_count() -> int:
    db.session.rollback()  # end the read transaction so the count sees rows written meanwhile
    return MigrationRun.count()


def test_migrate_upgrades_and_records_one_run(unmigrated_app):
    result = unmigrated_app.test_cli_runner().invoke(args=["migrate"])
    assert result.exit_code == 0, result.output
    tables = set(inspect(db.engine).get_table_names())
    assert {"notes", "heartbeats", "migration_runs", "beat_ticks"} <= tables

    assert run_count() == 1
    (run,) = MigrationRun.newest(10)
    assert run.version == unmigrated_app.config["APP_VERSION"] == "1.0.0"
    assert run.hostname == socket.gethostname()
    assert run.ran_at is not None
    assert result.output.count("\n") == 1
    assert f"revision {HEAD_REVISION}" in result.output
    assert f"recorded migration run {run.id}: version 1.0.0 on {run.hostname}" in result.output


def test_each_run_records_exactly_one_more_row(app):
    runner = app.test_cli_runner()
    for expected in (1, 2, 3):
        result = runner.invoke(args=["migrate"])
        assert result.exit_code == 0, result.output
        assert run_count() == expected
    assert [run.id for run in MigrationRun.newest(10)] == [3, 2, 1]


def test_failed_upgrade_records_nothing(app, monkeypatch):
    def broken_upgrade():
        raise RuntimeError("upgrade failed on purpose")

    monkeypatch.setattr(flask_migrate, "upgrade", broken_upgrade)
    result = app.test_cli_runner().invoke(args=["migrate"])
    assert result.exit_code != 0
    assert run_count() == 0


def test_real_flask_migrate_command(unmigrated_app):
    env = {**os.environ, "FLASK_CONFIG": "testing"}
    command = [sys.executable, "-m", "flask", "--app", "wsgi:app", "migrate"]
    for expected in (1, 2):
        result = subprocess.run(
            command, cwd=APP_ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        assert "recorded migration run" in result.stdout
        assert run_count() == expected
