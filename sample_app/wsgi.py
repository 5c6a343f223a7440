"""WSGI entry point: gunicorn serves ``wsgi:app``; ``flask --app wsgi:app`` uses it too."""

import os

from app import create_app

app = create_app(os.environ.get("FLASK_CONFIG", "default"))
