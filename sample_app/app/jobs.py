"""Celery tasks of the demo, with explicit names (demo.*) that other code refers to.

Shared tasks: every Celery app built by create_app (app/celery_setup.py) has them, and runs
each one inside an app context of its Flask app, so they use the database like a view does.
"""

import logging
import os
import socket
import time

from celery import shared_task
from flask import current_app

from .extensions import db
from .models import BeatTick
from .notes import add_note

SLEEP_TASK = "demo.sleep"
TICK_TASK = "demo.tick"
NOTE_TASK = "demo.note"

log = logging.getLogger(__name__)


@shared_task(name=SLEEP_TASK)
def sleep(seconds: float) -> dict[str, object]:
    """Sleep ``seconds``, then say who did: host, process and app version."""
    time.sleep(seconds)
    return {
        "slept": seconds,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "version": current_app.config["APP_VERSION"],
    }


# Beat sends one every BEAT_INTERVAL seconds and reads no result: none is stored.
@shared_task(name=TICK_TASK, ignore_result=True)
def tick(beat_host: str) -> dict[str, object]:
    """Record one tick of beat (running on ``beat_host``) as run by this worker's host."""
    row = BeatTick(beat_host=beat_host, worker_host=socket.gethostname())
    db.session.add(row)
    db.session.commit()
    log.info("tick %d from beat on %s, run on %s", row.id, row.beat_host, row.worker_host)
    return row.to_dict()


@shared_task(name=NOTE_TASK)
def note(body: str) -> dict[str, object]:
    """Create a note as POST /api/v1/notes does (pushed to the live clients too)."""
    created = add_note(body)
    return {**created.to_dict(), "host": socket.gethostname()}
