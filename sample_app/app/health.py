"""Health check for load balancers, monitoring and the provisioning playbooks."""

import logging
import socket

from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db
from .models import Note

log = logging.getLogger(__name__)

health_bp = Blueprint("health", __name__)


@health_bp.get("/healthz")
def healthz():
    """200 when a real query against the migrated schema works, 503 otherwise.

    Both answers name the host that served the request, to tell the hosts of a
    load-balanced app apart.
    """
    version = current_app.config["APP_VERSION"]
    host = socket.gethostname()
    try:
        Note.count()
    except SQLAlchemyError as exc:
        db.session.rollback()
        error = str(getattr(exc, "orig", None) or exc)
        log.warning("health check failed: %s", error)
        response = jsonify(status="error", version=version, db=error, host=host)
        response.status_code = 503
    else:
        response = jsonify(status="ok", version=version, db="ok", host=host)
    response.headers["Cache-Control"] = "no-store"
    return response
