"""API views: notes, heartbeats, beat ticks, stats, migration runs and version."""

import re

from flask import Blueprint, abort, current_app, jsonify, request, url_for

from ..extensions import db
from ..models import BeatTick, Heartbeat, MigrationRun, Note
from ..notes import add_note, clean_body
from ..stats import current_stats

NOTES_LIST_LIMIT = 50
NOTES_AFTER_LIMIT = 1000
TICKS_LIST_LIMIT = 20
MIGRATION_RUNS_LIST_LIMIT = 50

api_bp = Blueprint("api", __name__)


def json_object() -> dict[str, object]:
    """The request's JSON body, which must be an object (400 otherwise)."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400, description="request body must be a JSON object")
    return payload


def note_body(payload: dict[str, object]) -> str:
    """The payload's note body, cleaned as app/notes.py does (400 when it is not valid)."""
    try:
        return clean_body(payload.get("body"))
    except ValueError as exc:
        abort(400, description=str(exc))


@api_bp.get("/notes")
def list_notes():
    """The newest notes first, at most NOTES_LIST_LIMIT of them.

    With ``?after=<id>``: the notes with a higher id, oldest first, at most
    NOTES_AFTER_LIMIT of them, for a live client catching up after a reconnect.
    """
    after = request.args.get("after")
    if after is None:
        notes = Note.newest(NOTES_LIST_LIMIT)
    elif re.fullmatch(r"[0-9]{1,18}", after):
        notes = Note.after(int(after), NOTES_AFTER_LIMIT)
    else:
        abort(400, description="'after' must be a note id (a whole number, 0 or more)")
    return jsonify(notes=[note.to_dict() for note in notes])


@api_bp.post("/notes")
def create_note():
    """Create a note from ``{"body": "..."}``; the body is stripped of outer whitespace."""
    note = add_note(note_body(json_object()))
    response = jsonify(note.to_dict())
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_note", note_id=note.id)
    return response


@api_bp.get("/notes/<int:note_id>")
def get_note(note_id: int):
    note = db.get_or_404(Note, note_id, description=f"note {note_id} not found")
    return jsonify(note.to_dict())


@api_bp.get("/heartbeats")
def heartbeats():
    latest = Heartbeat.latest()
    return jsonify(count=Heartbeat.count(), latest=latest.to_dict() if latest else None)


@api_bp.get("/ticks")
def ticks():
    """How many ticks of celery beat were recorded, and the newest TICKS_LIST_LIMIT."""
    latest = BeatTick.newest(TICKS_LIST_LIMIT)
    return jsonify(count=BeatTick.count(), latest=[tick.to_dict() for tick in latest])


@api_bp.get("/stats")
def stats():
    """Row counts, cached for STATS_CACHE_SECONDS; ``cache`` tells whether this was a hit."""
    data, hit = current_stats()
    return jsonify(**data, cache="hit" if hit else "miss")


@api_bp.get("/migrations")
def list_migration_runs():
    """The newest runs of ``flask migrate`` first, at most MIGRATION_RUNS_LIST_LIMIT of them."""
    runs = MigrationRun.newest(MIGRATION_RUNS_LIST_LIMIT)
    return jsonify(runs=[run.to_dict() for run in runs])


@api_bp.get("/version")
def version():
    return jsonify(version=current_app.config["APP_VERSION"])
