"""Flask extension instances, created unbound and attached to the app in create_app."""

import sqlite3

from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, MetaData, event

# Deterministic constraint and index names, so migrations can refer to them by name
# (SQLite's batch mode in alembic needs named constraints to alter tables).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
# Bound in create_app (app/push.py: init_socketio), with its message queue when REDIS_URL is set.
socketio = SocketIO()

SQLITE_BUSY_TIMEOUT_MS = 5000


def enable_sqlite_pragmas(engine: Engine) -> None:
    """Make every new SQLite connection use WAL and wait for locks instead of failing.

    Several gunicorn workers and the heartbeat process write to the same file at once:
    WAL lets readers run alongside the writer, busy_timeout makes a writer wait for the
    lock (up to SQLITE_BUSY_TIMEOUT_MS) rather than fail with "database is locked".
    """

    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()
