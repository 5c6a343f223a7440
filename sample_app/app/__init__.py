"""Application factory for the sample Flask app."""

import logging
import os
import socket
from pathlib import Path

from flask import Flask, Response

from config import config

from .api import API_PREFIX, api_bp
from .api.errors import register_error_handlers
from .cache import init_cache
from .celery_setup import init_celery
from .cli import register_commands
from .extensions import db, enable_sqlite_pragmas, migrate
from .health import health_bp
from .log_setup import configure_logging
from .main import main_bp
from .push import init_socketio

BASE_DIR = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = BASE_DIR / "migrations"

__version__ = (BASE_DIR / "VERSION").read_text(encoding="utf-8").strip()

log = logging.getLogger(__name__)


def create_app(config_name: str | None = None, *, log_name: str = "app") -> Flask:
    """Build the app for ``config_name`` (default: $FLASK_CONFIG, else "default").

    ``log_name`` picks the log file under APP_LOG_DIR: "app" for the web app, the
    heartbeat task passes "heartbeat", celery's worker and beat (celery_worker.py) "celery".
    The app's Celery app is ``app.extensions["celery"]``.
    """
    config_name = config_name or os.environ.get("FLASK_CONFIG") or "default"
    if config_name not in config:
        raise ValueError(f"Unknown FLASK_CONFIG {config_name!r}; expected one of {sorted(config)}")
    config_class = config[config_name]

    app = Flask(__name__)
    app.config.from_object(config_class)
    app.config.update(config_class.from_env(app.instance_path))
    app.config["APP_VERSION"] = __version__

    configure_logging(app.config, log_name)
    _init_database(app)
    init_cache(app)
    init_socketio(app)
    init_celery(app)
    _register_blueprints(app)
    register_commands(app)

    @app.after_request
    def add_served_by(response: Response) -> Response:
        # Tells the hosts of a load-balanced app apart, on every page, file and API answer.
        response.headers["X-Served-By"] = socket.gethostname()
        return response

    @app.context_processor
    def inject_version() -> dict[str, str]:
        return {"app_version": __version__}

    log.info("created app version %s with config %r", __version__, config_class.NAME)
    return app


def _init_database(app: Flask) -> None:
    # The default SQLite file lives in APP_DATA_DIR; make sure the directory exists.
    os.makedirs(app.config["APP_DATA_DIR"], exist_ok=True)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            enable_sqlite_pragmas(db.engine)


def _register_blueprints(app: Flask) -> None:
    app.register_blueprint(main_bp)
    app.register_blueprint(api_bp, url_prefix=API_PREFIX)
    app.register_blueprint(health_bp)
    register_error_handlers(app, API_PREFIX)
