"""Health check for load balancers, monitoring and the provisioning playbooks."""

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db
from .models import Note

log = logging.getLogger(__name__)

health_bp = Blueprint("health", __name__)


@health_bp.get("/healthz")
def healthz():
    """200 when a real query against the migrated schema works, 503 otherwise."""
    version = current_app.config["APP_VERSION"]
    try:
        Note.count()
    except SQLAlchemyError as exc:
        db.session.rollback()
        error = str(getattr(exc, "orig", None) or exc)
        log.warning("health check failed: %s", error)
        response = jsonify(status="error", version=version, db=error)
        response.status_code = 503
    else:
        response = jsonify(status="ok", version=version, db="ok")
    response.headers["Cache-Control"] = "no-store"
    return response
