"""HTML pages and static files."""

from app.extensions import db
from app.models import Heartbeat, Note


def test_index_shows_version_counts_and_stylesheet(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<dd id="version">1.0.0</dd>' in html
    assert '<dd id="note-count">0</dd>' in html
    assert "none yet" in html
    assert 'href="/static/css/style.css"' in html
    assert "GET /api/v1/migrations" in html


def test_index_shows_latest_heartbeat_and_note_count(client):
    db.session.add_all([Note(body="one"), Note(body="two")])
    db.session.add(Heartbeat(pid=4242, hostname="web-1"))
    db.session.commit()
    beat_at = Heartbeat.latest().beat_at

    html = client.get("/").get_data(as_text=True)
    assert '<dd id="note-count">2</dd>' in html
    assert beat_at.strftime("%Y-%m-%d %H:%M:%S UTC") in html
    assert "pid 4242 on web-1" in html
    assert "none yet" not in html


def test_stylesheet_is_served(client):
    response = client.get("/static/css/style.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert b"body" in response.data


def test_robots_txt(client):
    for url in ("/robots.txt", "/static/robots.txt"):
        response = client.get(url)
        assert response.status_code == 200
        assert b"User-agent" in response.data


def test_unknown_page_is_html_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
