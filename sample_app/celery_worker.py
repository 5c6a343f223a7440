"""Celery entry point: ``celery -A celery_worker:celery worker`` (and ``beat``) load ``celery``.

The app is built as the web app is (FLASK_CONFIG, the same environment), logging to
celery.log under APP_LOG_DIR; its tasks run inside its app context (app/celery_setup.py).
"""

import os

from app import create_app

app = create_app(os.environ.get("FLASK_CONFIG", "default"), log_name="celery")
celery = app.extensions["celery"]
