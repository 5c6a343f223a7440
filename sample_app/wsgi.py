"""WSGI entry point: gunicorn serves ``wsgi:app``; ``flask --app wsgi:app`` uses it too."""

import os

from app import create_app
from app.push import listen_for_pushes

app = create_app(os.environ.get("FLASK_CONFIG", "default"))
# A web server process: on the message queue from its start (app/push.py).
listen_for_pushes()
