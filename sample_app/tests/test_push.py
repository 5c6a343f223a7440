"""Socket.IO: welcome on connect, note pushed for every note made, the message queue."""

import socket

import socketio as python_socketio

from app import create_app
from app.extensions import socketio


def events(client, name: str) -> list[object]:
    return [event["args"][0] for event in client.get_received() if event["name"] == name]


def test_welcome_goes_to_the_new_client_alone(app):
    first = socketio.test_client(app)
    assert first.is_connected()
    assert events(first, "welcome") == [{"host": socket.gethostname(), "version": "1.0.0"}]

    second = socketio.test_client(app)
    assert len(events(second, "welcome")) == 1
    assert first.get_received() == []  # the second client's welcome went to it only


def test_posted_note_is_pushed_to_every_client(app, client):
    clients = [socketio.test_client(app) for _ in range(2)]
    for live in clients:
        live.get_received()  # drop the welcome

    note = client.post("/api/v1/notes", json={"body": "pushed"}).get_json()
    for live in clients:
        assert events(live, "note") == [note]


def test_note_job_pushes_its_note(app, client):
    live = socketio.test_client(app)
    live.get_received()

    job = client.post("/api/v1/jobs/note", json={"body": "from the job"}).get_json()
    result = client.get(job["url"]).get_json()["result"]
    (pushed,) = events(live, "note")
    assert pushed["body"] == "from the job"
    assert pushed == {key: value for key, value in result.items() if key != "host"}


def test_rejected_note_pushes_nothing(app, client):
    live = socketio.test_client(app)
    live.get_received()
    assert client.post("/api/v1/notes", json={"body": ""}).status_code == 400
    assert live.get_received() == []


def test_redis_url_selects_the_redis_message_queue(monkeypatch):
    # RedisManager connects on first use only, so nothing needs a redis here.
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("SOCKETIO_CHANNEL", "demo-web")
    create_app("testing")
    manager = socketio.server.manager
    assert isinstance(manager, python_socketio.RedisManager)
    assert (manager.redis_url, manager.channel) == ("redis://127.0.0.1:6379/0", "demo-web")
    assert socketio.server.async_mode == "threading"

    monkeypatch.delenv("REDIS_URL")
    create_app("testing")  # a later app without REDIS_URL gets no queue from the last one
    assert type(socketio.server.manager) is python_socketio.Manager
