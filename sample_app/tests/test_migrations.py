"""The hand-written migrations: upgrade, downgrade, and agreement with the models."""

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from app import create_app
from app.extensions import SQLITE_BUSY_TIMEOUT_MS, db

APP_TABLES = {"notes", "heartbeats", "migration_runs", "beat_ticks"}


def table_names() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def test_upgrade_creates_tables_and_indexes(app):
    assert APP_TABLES | {"alembic_version"} <= table_names()
    indexes = {ix["name"] for ix in inspect(db.engine).get_indexes("notes")}
    assert "ix_notes_created_at" in indexes
    indexes = {ix["name"] for ix in inspect(db.engine).get_indexes("migration_runs")}
    assert "ix_migration_runs_ran_at" in indexes
    indexes = {ix["name"] for ix in inspect(db.engine).get_indexes("beat_ticks")}
    assert "ix_beat_ticks_ticked_at" in indexes


def test_downgrade_to_base_and_upgrade_again(app):
    flask_migrate.downgrade(revision="base")
    assert not APP_TABLES & table_names()
    flask_migrate.upgrade()
    assert table_names() >= APP_TABLES


def test_downgrade_one_step_drops_only_beat_ticks(app):
    flask_migrate.downgrade()
    assert table_names() >= {"notes", "heartbeats", "migration_runs"}
    assert "beat_ticks" not in table_names()
    flask_migrate.upgrade()
    assert "beat_ticks" in table_names()


def test_downgrade_to_first_revision_drops_migration_runs_and_beat_ticks(app):
    flask_migrate.downgrade(revision="5c1e0a7d2b94")
    assert table_names() >= {"notes", "heartbeats"}
    assert not {"migration_runs", "beat_ticks"} & table_names()
    flask_migrate.upgrade()
    assert table_names() >= APP_TABLES


def test_models_match_migrations(app):
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_flask_db_upgrade_command(unmigrated_app):
    result = unmigrated_app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert table_names() >= APP_TABLES


def test_sqlite_connections_use_wal_and_busy_timeout(app):
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS


@pytest.mark.parametrize(
    "url", ["postgresql://user:password@10.0.0.5:5432/demo_web", "sqlite:////srv/data/app.db"]
)
def test_offline_upgrade_sql_for_each_database(monkeypatch, capsys, url):
    # `flask db upgrade --sql`: the SQL is rendered for the URL's dialect, nothing connects.
    monkeypatch.setenv("DATABASE_URL", url)
    with create_app("testing").app_context():
        flask_migrate.upgrade(sql=True)
    sql = capsys.readouterr().out
    assert "CREATE TABLE beat_ticks" in sql
    assert "CREATE INDEX ix_beat_ticks_ticked_at ON beat_ticks (ticked_at)" in sql
    if url.startswith("postgresql"):
        assert "ticked_at TIMESTAMP WITH TIME ZONE NOT NULL" in sql
