"""The app factory and the configuration classes."""

from pathlib import Path

import pytest

from app import __version__, create_app
from app.extensions import db
from config import DEV_SECRET_KEY, config

VERSION_FILE = Path(__file__).resolve().parent.parent / "VERSION"


@pytest.mark.parametrize(
    ("name", "debug", "testing"),
    [
        ("development", True, False),
        ("testing", False, True),
        ("staging", False, False),
        ("production", False, False),
    ],
)
def test_factory_builds_each_config(monkeypatch, app_env, name, debug, testing):
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    app = create_app(name)
    assert app.config["DEBUG"] is debug
    assert app.config["TESTING"] is testing
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{app_env / 'app.db'}"
    assert app_env.is_dir()


def test_default_is_development():
    assert config["default"] is config["development"]
    assert create_app("default").config["DEBUG"] is True


def test_flask_config_env_selects_config(monkeypatch):
    monkeypatch.setenv("FLASK_CONFIG", "testing")
    assert create_app().config["TESTING"] is True


def test_unknown_config_name_is_rejected():
    with pytest.raises(ValueError, match="nonsense"):
        create_app("nonsense")


@pytest.mark.parametrize("name", ["staging", "production"])
def test_secret_key_required_outside_development(name):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(name)


def test_secret_key_taken_from_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert create_app("production").config["SECRET_KEY"] == "from-env"


@pytest.mark.parametrize("name", ["development", "testing"])
def test_dev_only_secret_key_default(name):
    assert create_app(name).config["SECRET_KEY"] == DEV_SECRET_KEY


def test_database_url_overrides_data_dir(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'other.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert create_app("testing").config["SQLALCHEMY_DATABASE_URI"] == url


PG_URL = "postgresql://user:password@10.0.0.5:5432/demo_web"
PG_URI = "postgresql+psycopg://user:password@10.0.0.5:5432/demo_web"


@pytest.mark.parametrize(
    ("url", "uri"),
    [
        (PG_URL, PG_URI),
        ("postgres://user:password@10.0.0.5:5432/demo_web", PG_URI),
        (
            "postgresql://app:p%40ss%2Fw0rd@db-1:5432/demo_web?sslmode=require",
            "postgresql+psycopg://app:p%40ss%2Fw0rd@db-1:5432/demo_web?sslmode=require",
        ),
        ("postgresql:///demo_web", "postgresql+psycopg:///demo_web"),
        ("postgresql+psycopg://u:p@db/x", "postgresql+psycopg://u:p@db/x"),
        ("postgresql+psycopg2://u:p@db/x", "postgresql+psycopg2://u:p@db/x"),
        ("sqlite:////srv/data/app.db", "sqlite:////srv/data/app.db"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_database_url_is_given_the_psycopg_driver(monkeypatch, url, uri):
    monkeypatch.setenv("DATABASE_URL", url)
    assert config["testing"].from_env("/unused")["SQLALCHEMY_DATABASE_URI"] == uri


@pytest.mark.parametrize(
    ("url", "options"),
    [
        (PG_URL, {"pool_pre_ping": True}),
        ("postgres://user:password@10.0.0.5:5432/demo_web", {"pool_pre_ping": True}),
        ("postgresql+psycopg2://u:p@db/x", {"pool_pre_ping": True}),
        ("sqlite:////srv/data/app.db", {}),
    ],
)
def test_pool_pre_ping_only_for_postgresql(monkeypatch, url, options):
    monkeypatch.setenv("DATABASE_URL", url)
    assert config["testing"].from_env("/unused")["SQLALCHEMY_ENGINE_OPTIONS"] == options


def test_postgresql_engine_uses_psycopg_and_pre_ping(monkeypatch):
    # Builds the engine only: nothing connects to the (unreachable) server.
    monkeypatch.setenv("DATABASE_URL", PG_URL)
    app = create_app("testing")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == PG_URI
    with app.app_context():
        assert (db.engine.dialect.name, db.engine.dialect.driver) == ("postgresql", "psycopg")
        assert db.engine.pool._pre_ping is True
        db.engine.dispose()


def test_sqlite_engine_has_no_pre_ping():
    app = create_app("testing")
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"] == {}
    with app.app_context():
        assert db.engine.dialect.name == "sqlite"
        assert db.engine.pool._pre_ping is False
        db.engine.dispose()


def test_data_dir_defaults_to_instance_path(monkeypatch, tmp_path):
    monkeypatch.delenv("APP_DATA_DIR")
    settings = config["testing"].from_env(str(tmp_path / "instance"))
    assert settings["APP_DATA_DIR"] == str(tmp_path / "instance")
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'instance' / 'app.db'}"


def test_heartbeat_interval(monkeypatch):
    assert create_app("testing").config["HEARTBEAT_INTERVAL"] == 5.0
    monkeypatch.setenv("HEARTBEAT_INTERVAL", "0.5")
    assert create_app("testing").config["HEARTBEAT_INTERVAL"] == 0.5
    monkeypatch.setenv("HEARTBEAT_INTERVAL", "0")
    with pytest.raises(ValueError, match="HEARTBEAT_INTERVAL"):
        create_app("testing")


def test_version_comes_from_version_file():
    assert __version__ == VERSION_FILE.read_text().strip() == "1.0.0"
    assert create_app("testing").config["APP_VERSION"] == __version__


def test_service_settings_defaults():
    settings = create_app("testing").config
    assert settings["REDIS_URL"] is None
    assert settings["CELERY_BROKER_URL"] is None
    assert settings["CELERY_RESULT_BACKEND"] is None
    assert settings["SOCKETIO_CHANNEL"] == "flask-socketio"
    assert settings["BEAT_INTERVAL"] == 5.0
    assert settings["STATS_CACHE_SECONDS"] == 30


def test_service_settings_from_environment(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://:pw@10.0.0.41:6379/0")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://:pw@10.0.0.41:6379/1")
    monkeypatch.setenv("CELERY_RESULT_BACKEND", "redis://:pw@10.0.0.41:6379/2")
    monkeypatch.setenv("SOCKETIO_CHANNEL", "demo-web")
    monkeypatch.setenv("BEAT_INTERVAL", "0.5")
    monkeypatch.setenv("STATS_CACHE_SECONDS", "1")
    settings = config["testing"].from_env("/unused")
    assert settings["REDIS_URL"] == "redis://:pw@10.0.0.41:6379/0"
    assert settings["CELERY_BROKER_URL"] == "redis://:pw@10.0.0.41:6379/1"
    assert settings["CELERY_RESULT_BACKEND"] == "redis://:pw@10.0.0.41:6379/2"
    assert settings["SOCKETIO_CHANNEL"] == "demo-web"
    assert settings["BEAT_INTERVAL"] == 0.5
    assert settings["STATS_CACHE_SECONDS"] == 1


def test_rediss_url_is_accepted(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "rediss://redis-1:6380/0")
    assert config["testing"].from_env("/unused")["REDIS_URL"] == "rediss://redis-1:6380/0"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("REDIS_URL", "localhost:6379"),
        ("REDIS_URL", "memcached://localhost:11211"),
        ("CELERY_BROKER_URL", "localhost"),
        ("CELERY_RESULT_BACKEND", "redis"),
        ("SOCKETIO_CHANNEL", "  "),
        ("BEAT_INTERVAL", "0"),
        ("BEAT_INTERVAL", "-1"),
        ("BEAT_INTERVAL", "soon"),
        ("BEAT_INTERVAL", "nan"),
        ("BEAT_INTERVAL", "inf"),
        ("STATS_CACHE_SECONDS", "0"),
        ("STATS_CACHE_SECONDS", "1.5"),
        ("STATS_CACHE_SECONDS", "half a minute"),
    ],
)
def test_invalid_service_settings_are_rejected(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=variable):
        create_app("testing")
