"""Flask CLI commands of the app, run as ``flask --app wsgi:app <command>``."""

import logging
import socket

import click
import flask_migrate
from alembic.migration import MigrationContext
from flask import Flask, current_app
from flask.cli import with_appcontext

from .extensions import db
from .models import MigrationRun, as_utc

log = logging.getLogger(__name__)


def register_commands(app: Flask) -> None:
    app.cli.add_command(migrate_command)


def current_revision() -> str | None:
    """The revision the database is at, read from its alembic_version table."""
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def record_run() -> MigrationRun:
    """Insert and commit one migration_runs row for this app version and host."""
    run = MigrationRun(version=current_app.config["APP_VERSION"], hostname=socket.gethostname())
    db.session.add(run)
    db.session.commit()
    return run


@click.command("migrate")
@with_appcontext
def migrate_command() -> None:
    """Upgrade the database schema to the latest revision and record the run.

    Runs the migrations up to head, as ``flask db upgrade`` does, then adds one row to
    migration_runs (app version, host name, time), so the database itself shows how many
    times the migration ran, by which version and from which host. Nothing is recorded
    when the upgrade fails.
    """
    flask_migrate.upgrade()
    revision = current_revision()
    run = record_run()
    message = (
        f"database upgraded to revision {revision}; recorded migration run {run.id}: "
        f"version {run.version} on {run.hostname} at {as_utc(run.ran_at).isoformat()}"
    )
    log.info("%s", message)
    click.echo(message)
