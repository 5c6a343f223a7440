"""Celery for the app, built by create_app and kept in ``app.extensions["celery"]``.

Its settings come from the app's: CELERY_BROKER_URL and CELERY_RESULT_BACKEND, or with no
broker, tasks run eagerly in the calling process with their results in memory (the tests,
and development without redis). Beat's schedule has one entry, "tick".
"""

import logging
import socket
from collections.abc import Mapping
from datetime import timedelta

from celery import Celery, Task
from celery.backends.base import DisabledBackend
from celery.signals import worker_shutting_down
from flask import Flask, current_app

from . import jobs

log = logging.getLogger(__name__)

EAGER_BROKER_URL = "memory://localhost/"
EAGER_RESULT_BACKEND = "cache+memory://"
RESULT_EXPIRES = timedelta(days=1)


def celery_settings(settings: Mapping[str, object]) -> dict[str, object]:
    """Celery's configuration for the app settings ``settings``.

    Beat's entry passes this process's host name, so run by the beat process it names the
    host beat runs on.
    """
    broker_url = settings["CELERY_BROKER_URL"]
    eager = broker_url is None
    return {
        "broker_url": EAGER_BROKER_URL if eager else broker_url,
        "result_backend": EAGER_RESULT_BACKEND if eager else settings["CELERY_RESULT_BACKEND"],
        "task_always_eager": eager,
        "task_eager_propagates": eager,
        # Eager results are only stored on request; stored, GET /api/v1/jobs/<id> finds them.
        "task_store_eager_result": eager,
        "task_track_started": True,
        "result_expires": RESULT_EXPIRES,
        # The app's own log handler (celery.log under APP_LOG_DIR, or stderr) stays on the
        # root logger; celery adds none of its own to a logger that has one.
        "worker_hijack_root_logger": False,
        "broker_connection_retry_on_startup": True,
        "beat_schedule": {
            "tick": {
                "task": jobs.TICK_TASK,
                "schedule": settings["BEAT_INTERVAL"],
                "args": (socket.gethostname(),),
            },
        },
    }


def init_celery(app: Flask) -> Celery:
    """Build the Celery app of ``app``, whose tasks run inside an app context of ``app``."""

    class AppContextTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return super().__call__(*args, **kwargs)

    celery = Celery(app.import_name, task_cls=AppContextTask)
    celery.conf.update(celery_settings(app.config))
    # Current in every thread, not only this one: shared tasks called through their module
    # (jobs.tick(...)) find this app from a gunicorn request thread too.
    celery.set_default()
    app.extensions["celery"] = celery
    return celery


def get_celery() -> Celery:
    """The current Flask app's Celery app."""
    return current_app.extensions["celery"]


def has_result_backend(celery: Celery) -> bool:
    return not isinstance(celery.backend, DisabledBackend)


@worker_shutting_down.connect
def log_shutdown(sig: str, how: str, exitcode: int, **_: object) -> None:
    """Note in the worker's log when it was asked to stop: a warm shutdown (supervisor's TERM)
    first finishes the tasks it is running."""
    log.info("%s shutdown asked (%s): the running tasks finish first", how, sig)
