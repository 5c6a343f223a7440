"""HTML views."""

from datetime import datetime

from flask import Blueprint, current_app, render_template

from ..models import Heartbeat, Note, as_utc

LIVE_NOTES_LIMIT = 50

main_bp = Blueprint("main", __name__)


@main_bp.app_template_filter("utc")
def format_utc(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%d %H:%M:%S UTC")


@main_bp.app_template_filter("iso_utc")
def format_iso_utc(value: datetime) -> str:
    return as_utc(value).isoformat()


@main_bp.get("/")
def index():
    return render_template(
        "index.html", note_count=Note.count(), latest_heartbeat=Heartbeat.latest()
    )


@main_bp.get("/live")
def live():
    """The newest notes, and the new ones as they arrive (app/static/js/live.js)."""
    return render_template("live.html", notes=Note.newest(LIVE_NOTES_LIMIT))


@main_bp.get("/robots.txt")
def robots_txt():
    return current_app.send_static_file("robots.txt")
