"""API views: notes, heartbeats, migration runs and version."""

from flask import Blueprint, abort, current_app, jsonify, request, url_for

from ..extensions import db
from ..models import NOTE_BODY_MAX_LENGTH, Heartbeat, MigrationRun, Note

NOTES_LIST_LIMIT = 50
MIGRATION_RUNS_LIST_LIMIT = 50

api_bp = Blueprint("api", __name__)


@api_bp.get("/notes")
def list_notes():
    """The newest notes first, at most NOTES_LIST_LIMIT of them."""
    notes = Note.newest(NOTES_LIST_LIMIT)
    return jsonify(notes=[note.to_dict() for note in notes])


@api_bp.post("/notes")
def create_note():
    """Create a note from ``{"body": "..."}``; the body is stripped of outer whitespace."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400, description="request body must be a JSON object")
    body = payload.get("body")
    if not isinstance(body, str) or not body.strip():
        abort(400, description="'body' must be a non-empty string")
    body = body.strip()
    if len(body) > NOTE_BODY_MAX_LENGTH:
        abort(400, description=f"'body' must be at most {NOTE_BODY_MAX_LENGTH} characters")

    note = Note(body=body)
    db.session.add(note)
    db.session.commit()
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


@api_bp.get("/migrations")
def list_migration_runs():
    """The newest runs of ``flask migrate`` first, at most MIGRATION_RUNS_LIST_LIMIT of them."""
    runs = MigrationRun.newest(MIGRATION_RUNS_LIST_LIMIT)
    return jsonify(runs=[run.to_dict() for run in runs])


@api_bp.get("/version")
def version():
    return jsonify(version=current_app.config["APP_VERSION"])
