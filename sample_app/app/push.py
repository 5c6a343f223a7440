"""Socket.IO: what the server pushes to the browsers.

Two events, both on the default namespace:

- ``welcome`` ``{"host": ..., "version": ...}``, to a client alone, once it is connected: the
  host and app version that serve its connection.
- ``note`` (the note as the API returns it), to every client, for every note created.

With REDIS_URL set, Flask-SocketIO's redis message queue carries every emit to the
gunicorn processes of all hosts, each passing it on to its own clients. A celery worker
serves no clients: its emits go out through the same queue, since the server it builds
publishes what it emits before looking for clients of its own (it starts its listener only
when a first client connects, which never happens there). A push reaches the clients
connected at that moment; a client that was away reads what it missed with
``GET /api/v1/notes?after=<id>``.
"""

import logging
import socket

from flask import Flask, current_app
from flask_socketio import emit

from .extensions import socketio

WELCOME_EVENT = "welcome"
NOTE_EVENT = "note"

log = logging.getLogger(__name__)


def init_socketio(app: Flask) -> None:
    """Bind the Socket.IO server to ``app``, on REDIS_URL's message queue when it is set."""
    # The one SocketIO object keeps the options of earlier init_app calls (the tests build
    # many apps in a process): forget the last app's queue so an app without one gets none.
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        async_mode="threading",
        message_queue=app.config["REDIS_URL"],
        channel=app.config["SOCKETIO_CHANNEL"],
        # Accept the connection before the connect handler runs, so the client has its
        # namespace's CONNECT packet before the welcome event emitted in the handler.
        always_connect=True,
    )


@socketio.on("connect")
def welcome(auth: object = None) -> None:
    """Tell the new client which host and version serve it."""
    emit(
        WELCOME_EVENT,
        {"host": socket.gethostname(), "version": current_app.config["APP_VERSION"]},
    )


def push_note(note: dict[str, object]) -> None:
    """Emit ``note`` to every connected client, on every host.

    Works wherever the app was created: in a web request, or in a celery worker. A failed
    publish to redis is logged by python-socketio, not raised: the note is saved already.
    """
    socketio.emit(NOTE_EVENT, note)
    log.debug("pushed note %s", note.get("id"))


def listen_for_pushes() -> None:
    """Subscribe this process to the message queue now, in a process that serves clients.

    python-socketio subscribes when the first client connects, and its subscription takes a
    moment: a push made meanwhile would pass that client by. wsgi.py, which only web server
    processes load, calls this at start. Without a message queue it does nothing.
    """
    server = socketio.server
    if server is not None and not server.manager_initialized:
        server.manager_initialized = True
        server.manager.initialize()
