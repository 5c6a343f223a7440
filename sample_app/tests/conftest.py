"""Shared fixtures.

Every test runs with a scrubbed environment and APP_DATA_DIR in a temporary directory, so
the database is a fresh SQLite file. Its schema is built by running the real migrations,
which tests the migrations along the way.
"""

import sys
from pathlib import Path

import pytest

APP_ROOT = Path(__file__).resolve().parent.parent
# Make `app`, `config` and `tasks` importable whether pytest runs from here or from above.
if str(APP_ROOT) not in sys.path:
    sys.path.insert(0, str(APP_ROOT))

import flask_migrate  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.log_setup import remove_handler  # noqa: E402

APP_ENV_VARS = (
    "FLASK_CONFIG",
    "SECRET_KEY",
    "APP_DATA_DIR",
    "DATABASE_URL",
    "APP_LOG_DIR",
    "LOG_LEVEL",
    "LOG_ROTATION",
    "LOG_MAX_BYTES",
    "LOG_BACKUP_COUNT",
    "HEARTBEAT_INTERVAL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "SOCKETIO_CHANNEL",
    "BEAT_INTERVAL",
    "STATS_CACHE_SECONDS",
)


@pytest.fixture(autouse=True)
def app_env(monkeypatch, tmp_path):
    """Clear the app's environment variables; point APP_DATA_DIR at a temporary dir."""
    for name in APP_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("APP_DATA_DIR", str(data_dir))
    yield data_dir
    remove_handler()


@pytest.fixture
def unmigrated_app():
    """A testing app whose database file has no tables yet (app context pushed)."""
    app = create_app("testing")
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(unmigrated_app):
    """A testing app with the schema built by `alembic upgrade head`."""
    flask_migrate.upgrade()
    return unmigrated_app


@pytest.fixture
def client(app):
    return app.test_client()
