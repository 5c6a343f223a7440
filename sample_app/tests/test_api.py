"""The JSON API under /api/v1."""

import socket
from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.models import BeatTick, Heartbeat, MigrationRun, Note


def test_create_then_read_note(client):
    response = client.post("/api/v1/notes", json={"body": "  hello  "})
    assert response.status_code == 201
    note = response.get_json()
    assert note["body"] == "hello"
    assert datetime.fromisoformat(note["created_at"]).tzinfo is not None
    assert response.headers["Location"] == f"/api/v1/notes/{note['id']}"

    fetched = client.get(f"/api/v1/notes/{note['id']}")
    assert fetched.status_code == 200
    assert fetched.get_json() == note


def test_list_is_newest_first_and_capped_at_50(client):
    start = datetime(2024, 1, 1, tzinfo=UTC)
    db.session.add_all(
        Note(body=f"note {i}", created_at=start + timedelta(minutes=i)) for i in range(60)
    )
    db.session.commit()

    notes = client.get("/api/v1/notes").get_json()["notes"]
    assert len(notes) == 50
    assert [n["body"] for n in notes[:2]] == ["note 59", "note 58"]
    assert notes[-1]["body"] == "note 10"


def test_list_empty(client):
    assert client.get("/api/v1/notes").get_json() == {"notes": []}


def test_missing_note_is_json_404(client):
    response = client.get("/api/v1/notes/999")
    assert response.status_code == 404
    assert response.get_json()["error"] == "note 999 not found"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"json": {}},
        {"json": {"body": ""}},
        {"json": {"body": "   "}},
        {"json": {"body": 42}},
        {"json": {"body": "x" * 501}},
        {"json": ["body"]},
        {"data": "not json", "content_type": "application/json"},
        {"data": "body=hi"},
    ],
)
def test_bad_note_is_json_400(client, kwargs):
    response = client.post("/api/v1/notes", **kwargs)
    assert response.status_code == 400
    assert "error" in response.get_json()
    assert Note.count() == 0


def test_body_of_exactly_500_chars_is_accepted(client):
    assert client.post("/api/v1/notes", json={"body": "x" * 500}).status_code == 201


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("get", "/api/v1/nothing", 404),
        ("get", "/api/v1/notes/abc", 404),
        ("put", "/api/v1/notes", 405),
    ],
)
def test_routing_errors_under_api_are_json(client, method, url, status):
    response = getattr(client, method)(url)
    assert response.status_code == status
    assert response.get_json()["status"] == status


def test_heartbeats_empty(client):
    assert client.get("/api/v1/heartbeats").get_json() == {"count": 0, "latest": None}


def test_heartbeats_count_and_latest(client):
    now = datetime.now(UTC)
    db.session.add_all(
        [
            Heartbeat(pid=1, hostname="web-1", beat_at=now - timedelta(seconds=10)),
            Heartbeat(pid=2, hostname="web-1", beat_at=now),
        ]
    )
    db.session.commit()

    data = client.get("/api/v1/heartbeats").get_json()
    assert data["count"] == 2
    assert data["latest"]["pid"] == 2
    assert datetime.fromisoformat(data["latest"]["beat_at"]) == now


def test_migrations_empty(client):
    assert client.get("/api/v1/migrations").get_json() == {"runs": []}


def test_migrations_newest_first_and_capped_at_50(client):
    start = datetime(2024, 1, 1, tzinfo=UTC)
    db.session.add_all(
        MigrationRun(version=f"1.0.{i}", hostname="web-1", ran_at=start + timedelta(minutes=i))
        for i in range(60)
    )
    db.session.commit()

    runs = client.get("/api/v1/migrations").get_json()["runs"]
    assert len(runs) == 50
    assert [run["version"] for run in runs[:2]] == ["1.0.59", "1.0.58"]
    assert runs[-1]["version"] == "1.0.10"
    assert runs[0]["hostname"] == "web-1"
    assert datetime.fromisoformat(runs[0]["ran_at"]) == start + timedelta(minutes=59)


def test_version(client):
    assert client.get("/api/v1/version").get_json() == {"version": "1.0.0"}


def test_notes_after_is_oldest_first(client):
    ids = [client.post("/api/v1/notes", json={"body": f"n{i}"}).get_json()["id"] for i in range(5)]
    notes = client.get(f"/api/v1/notes?after={ids[1]}").get_json()["notes"]
    assert [n["id"] for n in notes] == ids[2:]
    assert [n["body"] for n in notes] == ["n2", "n3", "n4"]
    assert client.get("/api/v1/notes?after=0").get_json()["notes"][0]["id"] == ids[0]
    assert client.get(f"/api/v1/notes?after={ids[-1]}").get_json() == {"notes": []}


def test_notes_after_is_capped_at_1000(client):
    db.session.add_all(Note(body=f"note {i}") for i in range(1005))
    db.session.commit()
    notes = client.get("/api/v1/notes?after=2").get_json()["notes"]
    assert len(notes) == 1000
    assert (notes[0]["id"], notes[-1]["id"]) == (3, 1002)


@pytest.mark.parametrize("after", ["", "abc", "-1", "1.5", " 1", "1e3", "9" * 19])
def test_bad_after_is_json_400(client, after):
    response = client.get("/api/v1/notes", query_string={"after": after})
    assert response.status_code == 400
    assert "'after'" in response.get_json()["error"]


@pytest.mark.parametrize(
    "url", ["/api/v1/version", "/api/v1/nothing", "/", "/healthz", "/live", "/robots.txt"]
)
def test_every_response_names_the_host(client, url):
    assert client.get(url).headers["X-Served-By"] == socket.gethostname()


def test_ticks_empty(client):
    assert client.get("/api/v1/ticks").get_json() == {"count": 0, "latest": []}


def test_ticks_count_and_newest_20(client):
    start = datetime(2024, 1, 1, tzinfo=UTC)
    db.session.add_all(
        BeatTick(beat_host="beat-1", worker_host=f"worker-{i % 2}", ticked_at=start + timedelta(i))
        for i in range(25)
    )
    db.session.commit()

    data = client.get("/api/v1/ticks").get_json()
    assert data["count"] == 25
    assert len(data["latest"]) == 20
    newest = data["latest"][0]
    assert newest["beat_host"] == "beat-1"
    assert newest["worker_host"] == "worker-0"
    assert datetime.fromisoformat(newest["ticked_at"]) == start + timedelta(24)
    assert set(newest) == {"id", "beat_host", "worker_host", "ticked_at"}
