"""web_color: a color's web program started and checked, or stopped, in one call."""

import http.server
import os
import socketserver
import threading
import time

import pytest
from web_color import Unhealthy, check_health, go_live, health, replace_link, stop


class Handler(http.server.BaseHTTPRequestHandler):
    answers = []

    def do_GET(self):  # noqa: N802 - the name http.server calls
        status = self.answers.pop(0) if self.answers else 200
        body = f"{self.path} for {self.headers['Host']}: {status}".encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):  # http.server wants a client address pair
        request, _ = super().get_request()
        return request, ("local", 0)


@pytest.fixture
def web(tmp_path):
    path = str(tmp_path / "web.sock")
    server = UnixServer(path, Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield path
    server.shutdown()
    server.server_close()


def params(socket_path, **more):
    return {"socket": socket_path, "health_path": "/healthz", "host_header": "app.example",
            "health_tries": 3, "program": "demo-web-blue", **more}  # fmt: skip


def test_the_health_check_asks_with_the_host_header(web):
    Handler.answers = [200]
    assert health(web, "/healthz", "app.example") == (200, "/healthz for app.example: 200")


def test_a_slow_start_passes_on_a_later_try(web):
    Handler.answers = [503, 200]
    assert check_health(params(web)) == 200


def test_an_unhealthy_program_fails_with_the_last_answer(web):
    Handler.answers = [503, 503, 503]
    with pytest.raises(Unhealthy) as failed:
        check_health(params(web))
    assert failed.value.details["status"] == 503
    assert "answered 503 after 3 tries" in str(failed.value)


def test_nothing_listening_fails_after_the_tries(tmp_path):
    with pytest.raises(Unhealthy, match="answered nothing"):
        check_health(params(str(tmp_path / "none.sock"), health_tries=1))


def test_a_link_is_replaced_in_one_rename(tmp_path):
    slot = str(tmp_path / "blue")
    assert replace_link(slot, "0123456789ab")
    assert not replace_link(slot, "0123456789ab")
    assert replace_link(slot, "ba9876543210")
    assert os.readlink(slot) == "ba9876543210"
    assert sorted(os.listdir(tmp_path)) == ["blue"]


class Supervisor:
    """Stands in for supervisorctl: records the updates."""

    def __init__(self, changes):
        self.changes, self.updates = changes, []

    def update(self, program):
        self.updates.append(program)
        return self.changes


def test_stopping_unlinks_the_program_and_updates_supervisor(tmp_path):
    enabled = tmp_path / "demo-web-blue.conf"
    enabled.symlink_to("/etc/supervisor/flask-web/demo-web-blue.conf")
    supervisor = Supervisor(changes=False)
    stop_params = {"enabled": str(enabled), "program": "demo-web-blue", "drain": 0}
    assert stop(supervisor, stop_params)
    assert not os.path.lexists(enabled)
    assert not stop(supervisor, stop_params)  # nothing left to stop
    assert supervisor.updates == ["demo-web-blue", "demo-web-blue"]


def live_params(tmp_path, socket_path, **more):
    """A tree whose live socket and app link point at the blue color and its release."""
    (tmp_path / "gunicorn.sock").symlink_to("gunicorn-blue.sock")
    (tmp_path / "app").symlink_to("releases/old")
    tree = {"live_socket": str(tmp_path / "gunicorn.sock"), "url": None,
            "old_socket": str(tmp_path / "gunicorn-blue.sock"), "app_link": str(tmp_path / "app"),
            "app_target": "releases/new", "state_file": str(tmp_path / "state.json"),
            "state_content": '{"release": "new"}\n'}  # fmt: skip
    return params(socket_path, **{**tree, **more})


def test_going_live_points_the_socket_checks_through_it_then_links_and_records(web, tmp_path):
    Handler.answers = [200]
    before = time.monotonic()
    went_live = go_live(live_params(tmp_path, web))
    assert went_live["status"] == 200
    assert before - 0.01 <= went_live["switched_at"] <= time.monotonic()  # the old color's drain
    assert os.readlink(tmp_path / "gunicorn.sock") == os.path.basename(web)
    assert os.readlink(tmp_path / "app") == "releases/new"
    assert (tmp_path / "state.json").read_text() == '{"release": "new"}\n'
    assert (tmp_path / "state.json").stat().st_mode & 0o777 == 0o644


def test_a_failed_check_after_the_switch_puts_the_old_color_back(web, tmp_path):
    Handler.answers = [503, 503, 503]
    with pytest.raises(Unhealthy, match="answered 503 after 3 tries"):
        go_live(live_params(tmp_path, web))
    assert os.readlink(tmp_path / "gunicorn.sock") == "gunicorn-blue.sock"
    assert os.readlink(tmp_path / "app") == "releases/old"
    assert not (tmp_path / "state.json").exists()


def test_a_failed_first_switch_leaves_no_live_socket(web, tmp_path):
    Handler.answers = [503, 503, 503]
    with pytest.raises(Unhealthy):
        go_live(live_params(tmp_path, web, old_socket=None))
    assert not os.path.lexists(tmp_path / "gunicorn.sock")


def test_a_state_that_cannot_be_written_puts_the_old_color_back(web, tmp_path):
    Handler.answers = [200]
    with pytest.raises(OSError):
        go_live(live_params(tmp_path, web, state_file=str(tmp_path / "missing" / "state.json")))
    assert os.readlink(tmp_path / "gunicorn.sock") == "gunicorn-blue.sock"
    assert os.readlink(tmp_path / "app") == "releases/old"


def test_the_check_after_the_switch_can_ask_over_http_with_the_host_header():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        Handler.answers = [200]
        url = f"http://127.0.0.1:{server.server_port}/healthz"
        assert health(None, url, "app.example") == (200, "/healthz for app.example: 200")
    finally:
        server.shutdown()
        server.server_close()
