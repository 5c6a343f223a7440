"""HTML views."""

from datetime import datetime

from flask import Blueprint, current_app, render_template

from ..models import Heartbeat, Note, as_utc

main_bp = Blueprint("main", __name__)


@main_bp.app_template_filter("utc")
def format_utc(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%d %H:%M:%S UTC")


@main_bp.get("/")
def index():
    return render_template(
        "index.html", note_count=Note.count(), latest_heartbeat=Heartbeat.latest()
    )


@main_bp.get("/robots.txt")
def robots_txt():
    return current_app.send_static_file("robots.txt")
