"""Creating notes: the one way, shared by POST /api/v1/notes and the demo.note task."""

from .extensions import db
from .models import NOTE_BODY_MAX_LENGTH, Note
from .push import push_note


def clean_body(body: object) -> str:
    """Return ``body`` stripped of outer whitespace; ValueError when it is no valid note body."""
    if not isinstance(body, str) or not body.strip():
        raise ValueError("'body' must be a non-empty string")
    body = body.strip()
    if len(body) > NOTE_BODY_MAX_LENGTH:
        raise ValueError(f"'body' must be at most {NOTE_BODY_MAX_LENGTH} characters")
    return body


def add_note(body: object) -> Note:
    """Validate ``body``, insert and commit the note, then push it to the live clients."""
    note = Note(body=clean_body(body))
    db.session.add(note)
    db.session.commit()
    push_note(note.to_dict())
    return note
