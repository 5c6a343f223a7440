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


def test_index_links_the_live_page(client):
    assert 'href="/live"' in client.get("/").get_data(as_text=True)


def test_live_page_lists_newest_notes_and_loads_its_script(client):
    db.session.add_all([Note(body="older"), Note(body="<b>newer</b>")])
    db.session.commit()

    response = client.get("/live")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.index('data-id="2"') < html.index('data-id="1"')  # newest first
    assert "&lt;b&gt;newer&lt;/b&gt;" in html
    assert 'id="live-state"' in html
    assert '<p class="live-empty" id="live-empty" hidden>' in html
    assert '<script src="/static/js/live.js"></script>' in html


def test_live_page_without_notes(client):
    html = client.get("/live").get_data(as_text=True)
    assert '<p class="live-empty" id="live-empty">No notes yet.</p>' in html


def test_live_script_is_served(client):
    response = client.get("/static/js/live.js")
    assert response.status_code == 200
    assert response.mimetype in ("text/javascript", "application/javascript")
    script = response.get_data(as_text=True)
    assert "/socket.io/?EIO=4&transport=websocket" in script
    assert "/api/v1/notes?after=" in script
