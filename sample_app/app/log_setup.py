"""Logging for the web app and the heartbeat task.

With APP_LOG_DIR set, records go to <APP_LOG_DIR>/<name>.log (app.log for the web app,
heartbeat.log for the task); without it they go to stderr, which supervisor captures.
The handler is attached to the root logger so Flask's, SQLAlchemy's, alembic's and our own
module loggers all end up in the same place.
"""

import logging
import logging.handlers
import os
import sys
from collections.abc import Mapping

LOG_FORMAT = "%(asctime)s %(levelname)s [pid %(process)d] %(name)s: %(message)s"

# Name given to the handler installed here, so a second call replaces it instead of adding
# another one (tests and `flask` CLI commands create several apps in one process).
HANDLER_NAME = "sample_app"


def build_handler(settings: Mapping[str, object], log_name: str) -> logging.Handler:
    """Return the handler selected by APP_LOG_DIR and LOG_ROTATION."""
    log_dir = settings["APP_LOG_DIR"]
    if not log_dir:
        return logging.StreamHandler(sys.stderr)

    os.makedirs(log_dir, exist_ok=True)
    path = os.path.join(log_dir, f"{log_name}.log")
    if settings["LOG_ROTATION"] == "external":
        # logrotate renames the file; WatchedFileHandler notices and reopens it. This is the
        # only safe choice under gunicorn: every worker process has its own handler, and
        # RotatingFileHandler in several processes corrupts rotation (each process rotates
        # on its own, renaming files from under the others and losing or mixing records).
        return logging.handlers.WatchedFileHandler(path, encoding="utf-8")
    # "internal": the process rotates the file itself; only safe with a single writer.
    return logging.handlers.RotatingFileHandler(
        path,
        maxBytes=settings["LOG_MAX_BYTES"],
        backupCount=settings["LOG_BACKUP_COUNT"],
        encoding="utf-8",
    )


def remove_handler() -> None:
    """Detach and close the handler installed by configure_logging, if any."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.name == HANDLER_NAME]:
        root.removeHandler(handler)
        handler.close()


def configure_logging(settings: Mapping[str, object], log_name: str) -> logging.Handler:
    """Install the handler on the root logger at LOG_LEVEL and return it."""
    remove_handler()
    handler = build_handler(settings, log_name)
    handler.name = HANDLER_NAME
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(settings["LOG_LEVEL"])
    return handler
