"""Alembic environment: runs migrations against the database of the current Flask app.

Flask-Migrate calls this inside an app context (``flask --app wsgi:app db upgrade`` or
``flask_migrate.upgrade()``), so the engine, metadata and options all come from the app.
"""

from alembic import context
from flask import current_app

migrate_config = current_app.extensions["migrate"]
db = migrate_config.db


def run_migrations_offline() -> None:
    """Emit SQL to stdout (``flask db upgrade --sql``) instead of touching the database."""
    context.configure(
        url=db.engine.url.render_as_string(hide_password=False),
        target_metadata=db.metadata,
        literal_binds=True,
        **migrate_config.configure_args,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            **migrate_config.configure_args,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
