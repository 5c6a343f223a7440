"""Configuration classes, selected by name through the FLASK_CONFIG environment variable.

Class attributes hold the fixed, per-environment settings. Settings that come from
environment variables are resolved by ``Config.from_env`` when the app is created, so a
process (or a test) sees the environment as it is at that moment, not at import time.
"""

import math
import os

# Only ever used by the development and testing configurations.
DEV_SECRET_KEY = "dev-only-secret-key-do-not-use-in-production"

DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_LOG_BACKUP_COUNT = 5
DEFAULT_HEARTBEAT_INTERVAL = 5.0
DEFAULT_BEAT_INTERVAL = 5.0
DEFAULT_STATS_CACHE_SECONDS = 30
DEFAULT_SOCKETIO_CHANNEL = "flask-socketio"
LOG_ROTATION_MODES = ("external", "internal")

# REDIS_URL schemes that redis-py and Flask-SocketIO's redis message queue both understand.
REDIS_SCHEMES = ("redis", "rediss")

# DATABASE_URL schemes of PostgreSQL in the standard (libpq) form, and the SQLAlchemy
# scheme they stand for: the psycopg 3 driver (SQLAlchemy would pick psycopg2 otherwise).
POSTGRESQL_SCHEMES = ("postgresql", "postgres")
POSTGRESQL_DRIVER_SCHEME = "postgresql+psycopg"


def sqlalchemy_database_uri(database_url: str) -> str:
    """Return the SQLAlchemy URL for ``database_url``.

    ``postgresql://...`` and ``postgres://...`` become ``postgresql+psycopg://...``, the
    rest of the URL unchanged; any other URL (SQLite, or a PostgreSQL URL that already
    names its driver) is returned as it is.
    """
    scheme, separator, rest = database_url.partition("://")
    if separator and scheme.lower() in POSTGRESQL_SCHEMES:
        return f"{POSTGRESQL_DRIVER_SCHEME}://{rest}"
    return database_url


def engine_options(database_uri: str) -> dict[str, object]:
    """Return the SQLAlchemy engine options for ``database_uri``.

    PostgreSQL connections are pinged when taken from the pool, so a connection left
    broken by a restart of the database server is replaced instead of failing a request.
    """
    backend = database_uri.partition("://")[0].partition("+")[0].lower()
    if backend == "postgresql":
        return {"pool_pre_ping": True}
    return {}


class Config:
    """Settings shared by every environment; defaults are the safe, production-like ones."""

    NAME = "base"
    DEBUG = False
    TESTING = False
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    REQUIRE_SECRET_KEY = True
    DEFAULT_LOG_LEVEL = "INFO"
    DEFAULT_LOG_ROTATION = "external"

    @classmethod
    def from_env(cls, instance_path: str) -> dict[str, object]:
        """Return the settings read from environment variables, validated."""
        data_dir = os.path.abspath(os.environ.get("APP_DATA_DIR") or instance_path)
        database_url = os.environ.get("DATABASE_URL") or (
            "sqlite:///" + os.path.join(data_dir, "app.db")
        )
        database_uri = sqlalchemy_database_uri(database_url)
        return {
            "SECRET_KEY": cls._secret_key(),
            "APP_DATA_DIR": data_dir,
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_uri),
            "APP_LOG_DIR": os.environ.get("APP_LOG_DIR") or None,
            "LOG_LEVEL": cls._log_level(),
            "LOG_ROTATION": cls._log_rotation(),
            "LOG_MAX_BYTES": int(os.environ.get("LOG_MAX_BYTES", DEFAULT_LOG_MAX_BYTES)),
            "LOG_BACKUP_COUNT": int(os.environ.get("LOG_BACKUP_COUNT", DEFAULT_LOG_BACKUP_COUNT)),
            "HEARTBEAT_INTERVAL": cls._heartbeat_interval(),
            "REDIS_URL": cls._redis_url(),
            "CELERY_BROKER_URL": cls._url("CELERY_BROKER_URL"),
            "CELERY_RESULT_BACKEND": cls._url("CELERY_RESULT_BACKEND"),
            "SOCKETIO_CHANNEL": cls._socketio_channel(),
            "BEAT_INTERVAL": cls._beat_interval(),
            "STATS_CACHE_SECONDS": cls._stats_cache_seconds(),
        }

    @classmethod
    def _secret_key(cls) -> str:
        secret_key = os.environ.get("SECRET_KEY")
        if secret_key:
            return secret_key
        if cls.REQUIRE_SECRET_KEY:
            raise RuntimeError(
                f"SECRET_KEY environment variable must be set for the '{cls.NAME}' configuration"
            )
        return DEV_SECRET_KEY

    @classmethod
    def _log_level(cls) -> str:
        level = os.environ.get("LOG_LEVEL", cls.DEFAULT_LOG_LEVEL).upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"LOG_LEVEL must be a standard logging level name, got {level!r}")
        return level

    @classmethod
    def _log_rotation(cls) -> str:
        mode = os.environ.get("LOG_ROTATION", cls.DEFAULT_LOG_ROTATION).lower()
        if mode not in LOG_ROTATION_MODES:
            raise ValueError(f"LOG_ROTATION must be one of {LOG_ROTATION_MODES}, got {mode!r}")
        return mode

    @staticmethod
    def _heartbeat_interval() -> float:
        interval = float(os.environ.get("HEARTBEAT_INTERVAL", DEFAULT_HEARTBEAT_INTERVAL))
        if interval <= 0:
            raise ValueError(f"HEARTBEAT_INTERVAL must be positive, got {interval}")
        return interval

    @staticmethod
    def _url(name: str) -> str | None:
        """The URL in environment variable ``name``, or None when it is unset or empty."""
        url = os.environ.get(name) or None
        if url is not None and "://" not in url:
            raise ValueError(f"{name} must be a URL such as redis://host:6379/0, got {url!r}")
        return url

    @classmethod
    def _redis_url(cls) -> str | None:
        url = cls._url("REDIS_URL")
        if url is not None and url.partition("://")[0].lower() not in REDIS_SCHEMES:
            raise ValueError(f"REDIS_URL must start with redis:// or rediss://, got {url!r}")
        return url

    @staticmethod
    def _socketio_channel() -> str:
        channel = os.environ.get("SOCKETIO_CHANNEL") or DEFAULT_SOCKETIO_CHANNEL
        if not channel.strip():
            raise ValueError(f"SOCKETIO_CHANNEL must not be blank, got {channel!r}")
        return channel

    @staticmethod
    def _beat_interval() -> float:
        raw = os.environ.get("BEAT_INTERVAL", str(DEFAULT_BEAT_INTERVAL))
        try:
            interval = float(raw)
        except ValueError:
            interval = math.nan
        if not math.isfinite(interval) or interval <= 0:
            raise ValueError(f"BEAT_INTERVAL must be a positive number of seconds, got {raw!r}")
        return interval

    @staticmethod
    def _stats_cache_seconds() -> int:
        raw = os.environ.get("STATS_CACHE_SECONDS", str(DEFAULT_STATS_CACHE_SECONDS))
        try:
            seconds = int(raw)
        except ValueError:
            seconds = 0
        if seconds < 1:
            raise ValueError(f"STATS_CACHE_SECONDS must be a whole number >= 1, got {raw!r}")
        return seconds


class DevelopmentConfig(Config):
    """Local development: debug on, verbose logs, size-based log rotation by the app itself."""

    NAME = "development"
    DEBUG = True
    REQUIRE_SECRET_KEY = False
    DEFAULT_LOG_LEVEL = "DEBUG"
    DEFAULT_LOG_ROTATION = "internal"


class TestingConfig(Config):
    """Test suite: Flask testing mode, no secrets needed."""

    NAME = "testing"
    TESTING = True
    REQUIRE_SECRET_KEY = False
    DEFAULT_LOG_ROTATION = "internal"


class StagingConfig(Config):
    """Staging hosts: same as production, kept separate so the two can diverge."""

    NAME = "staging"


class ProductionConfig(Config):
    """Production hosts: SECRET_KEY required, logs rotated by logrotate."""

    NAME = "production"


config = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "staging": StagingConfig,
    "production": ProductionConfig,
    "default": DevelopmentConfig,
}
