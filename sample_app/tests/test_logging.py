"""Where the logs go: stderr, or APP_LOG_DIR with the handler chosen by LOG_ROTATION."""

import logging
import logging.handlers
import sys

import pytest

from app import create_app
from app.log_setup import HANDLER_NAME


def installed_handler() -> logging.Handler:
    handlers = [h for h in logging.getLogger().handlers if h.name == HANDLER_NAME]
    assert len(handlers) == 1
    return handlers[0]


def test_stderr_when_no_log_dir():
    create_app("testing")
    handler = installed_handler()
    assert type(handler) is logging.StreamHandler
    assert handler.stream is sys.stderr


def test_external_rotation_uses_watched_file_handler(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("LOG_ROTATION", "external")
    create_app("testing")
    handler = installed_handler()
    assert type(handler) is logging.handlers.WatchedFileHandler
    assert handler.baseFilename == str(tmp_path / "logs" / "app.log")

    logging.getLogger("app.test").warning("written to the file")
    handler.flush()
    assert "written to the file" in (tmp_path / "logs" / "app.log").read_text()


def test_internal_rotation_uses_rotating_file_handler(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_LOG_DIR", str(tmp_path))
    monkeypatch.setenv("LOG_ROTATION", "internal")
    monkeypatch.setenv("LOG_MAX_BYTES", "2048")
    monkeypatch.setenv("LOG_BACKUP_COUNT", "2")
    create_app("testing")
    handler = installed_handler()
    assert type(handler) is logging.handlers.RotatingFileHandler
    assert (handler.maxBytes, handler.backupCount) == (2048, 2)


@pytest.mark.parametrize(
    ("name", "handler_class", "level"),
    [
        ("development", logging.handlers.RotatingFileHandler, logging.DEBUG),
        ("staging", logging.handlers.WatchedFileHandler, logging.INFO),
        ("production", logging.handlers.WatchedFileHandler, logging.INFO),
    ],
)
def test_defaults_per_config(monkeypatch, tmp_path, name, handler_class, level):
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.setenv("APP_LOG_DIR", str(tmp_path))
    create_app(name)
    handler = installed_handler()
    assert type(handler) is handler_class
    assert logging.getLogger().level == level
    if handler_class is logging.handlers.RotatingFileHandler:
        assert (handler.maxBytes, handler.backupCount) == (10 * 1024 * 1024, 5)


def test_log_level_from_environment(monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "warning")
    create_app("development")
    assert logging.getLogger().level == logging.WARNING


def test_log_name_picks_the_file(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_LOG_DIR", str(tmp_path))
    create_app("testing", log_name="heartbeat")
    assert installed_handler().baseFilename == str(tmp_path / "heartbeat.log")


def test_repeated_factory_calls_replace_the_handler(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_LOG_DIR", str(tmp_path))
    create_app("testing")
    first = installed_handler()
    create_app("testing")
    assert installed_handler() is not first  # and still exactly one


@pytest.mark.parametrize(("variable", "value"), [("LOG_ROTATION", "daily"), ("LOG_LEVEL", "LOUD")])
def test_invalid_logging_settings_are_rejected(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=variable):
        create_app("testing")
