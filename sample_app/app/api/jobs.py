"""API views of the celery jobs: start one, then follow it by its id."""

import math

from celery.result import AsyncResult
from celery.states import FAILURE, SUCCESS
from flask import Response, abort, jsonify, url_for

from ..celery_setup import get_celery, has_result_backend
from ..jobs import NOTE_TASK, SLEEP_TASK
from .routes import api_bp, json_object, note_body

SLEEP_MAX_SECONDS = 3600


def accepted(result: AsyncResult) -> tuple[Response, int]:
    """202 with the job's id and the URL to follow it at."""
    url = url_for("api.get_job", task_id=result.id)
    response = jsonify(id=result.id, url=url)
    response.headers["Location"] = url
    return response, 202


@api_bp.post("/jobs/sleep")
def start_sleep_job():
    """Start demo.sleep from ``{"seconds": <number>}``, 0 < seconds <= SLEEP_MAX_SECONDS."""
    seconds = json_object().get("seconds")
    valid = isinstance(seconds, int | float) and not isinstance(seconds, bool)
    if not valid or not math.isfinite(seconds) or not 0 < seconds <= SLEEP_MAX_SECONDS:
        abort(400, description=f"'seconds' must be a number above 0, at most {SLEEP_MAX_SECONDS}")
    return accepted(get_celery().tasks[SLEEP_TASK].delay(seconds))


@api_bp.post("/jobs/note")
def start_note_job():
    """Start demo.note from ``{"body": "..."}``, checked as POST /api/v1/notes checks it."""
    return accepted(get_celery().tasks[NOTE_TASK].delay(note_body(json_object())))


@api_bp.get("/jobs/<task_id>")
def get_job(task_id: str):
    """The job's celery state; its result once it succeeded, its error once it failed.

    Celery cannot tell an unknown id from a job still waiting: both are PENDING.
    """
    celery = get_celery()
    if not has_result_backend(celery):
        abort(503, description="job results are not stored: CELERY_RESULT_BACKEND is not set")
    job = celery.AsyncResult(task_id)
    state = job.state  # read once: a finished job's outcome is kept with it from here on
    error = None
    if state == FAILURE:
        error = f"{type(job.result).__name__}: {job.result}"
    return jsonify(
        id=task_id,
        state=state,
        result=job.result if state == SUCCESS else None,
        error=error,
    )
