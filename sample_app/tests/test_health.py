"""/healthz: a real query against the migrated schema."""

import socket


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "version": "1.0.0",
        "db": "ok",
        "host": socket.gethostname(),
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_503_when_database_not_migrated(unmigrated_app):
    response = unmigrated_app.test_client().get("/healthz")
    assert response.status_code == 503
    data = response.get_json()
    assert data["status"] == "error"
    assert data["version"] == "1.0.0"
    assert data["host"] == socket.gethostname()
    assert "no such table" in data["db"]
