"""Clients of the sample app through the web host, for the cluster's celery and Socket.IO
tests: jobs (celery tasks) queued and awaited over HTTP, notes made at a steady pace, and
Socket.IO listeners that do what the page /live does: take the `note` pushes, and on every
(re)connect re-read the notes they missed (GET /api/v1/notes?after=<last id>)."""

import threading
import time

import requests
import socketio

# A new connection for each request: a reload of the web host's nginx (each host leaving or
# rejoining the balancer) closes its idle client connections, and a request sent on one of
# those just then is reset, which a browser would retry and is no failure of the switch.
CLOSE = {"Connection": "close"}


def session():
    """Straight to the test network, whatever proxy this machine's environment names."""
    http = requests.Session()
    http.trust_env = False
    return http


class Api:
    def __init__(self, base):
        self.base, self.http = base, session()

    def post(self, path, body):
        response = self.http.post(self.base + path, json=body, timeout=10, headers=CLOSE)
        return response.status_code, response.json(), response.headers.get("X-Served-By")

    def get(self, path):
        response = self.http.get(self.base + path, timeout=10, headers=CLOSE)
        return response.status_code, response.json(), response.headers.get("X-Served-By")

    def queue(self, kind, body):
        """Queues a job (a celery task) through the web host; its id."""
        status, answer, _ = self.post(f"/api/v1/jobs/{kind}", body)
        assert status == 202, (status, answer)
        return answer["id"]

    def job(self, job_id, seconds=60):
        """The job's answer once it has finished (SUCCESS or FAILURE), within `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            status, answer, _ = self.get(f"/api/v1/jobs/{job_id}")
            if status == 200 and answer["state"] in ("SUCCESS", "FAILURE"):
                return answer
            time.sleep(0.5)
        raise AssertionError(f"job {job_id} did not finish in {seconds} s: {answer}")


class Listener:
    """One Socket.IO client: every note pushed to it, every note it re-read after a
    (re)connect, and the app host of each connection (the `welcome` event)."""

    def __init__(self, base):
        self.base, self.api = base, Api(base)
        self.pushed, self.reread, self.hosts = {}, set(), []
        self.last_before_drop = 0
        self.welcomed = threading.Event()
        self.client = socketio.Client(
            reconnection=True,
            reconnection_delay=0.5,
            reconnection_delay_max=2,
            http_session=session(),
        )
        self.client.on("connect", self._connected)
        self.client.on("disconnect", self._disconnected)
        self.client.on("welcome", self._welcome)
        self.client.on("note", self._note)

    def connect(self):
        self.client.connect(self.base, wait_timeout=10)
        assert self.welcomed.wait(10), "no welcome from the app"
        return self

    def close(self):
        self.client.disconnect()

    @property
    def host(self):
        return self.hosts[-1]

    def seen(self):
        return set(self.pushed) | self.reread

    def wait_for(self, note_id, seconds=10):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if note_id in self.pushed:
                return True
            time.sleep(0.1)
        return False

    def _disconnected(self, *_reason):
        self.last_before_drop = max(self.seen(), default=0)

    def _connected(self):
        # What a reconnecting page does (live.js): once connected, read what was made since
        # the last note it had before the connection dropped (not since the highest it has:
        # a push on the new connection may come before this, past a gap).
        _, answer, _ = self.api.get(f"/api/v1/notes?after={self.last_before_drop}")
        self.reread.update(note["id"] for note in answer["notes"])

    def _welcome(self, data):
        self.hosts.append(data["host"])
        self.welcomed.set()

    def _note(self, data):
        self.pushed.setdefault(data["id"], time.monotonic())


class NoteMaker:
    """Makes a note through the web host every `interval` seconds, in a thread, until
    stopped; keeps the ids made and the requests that failed."""

    def __init__(self, base, interval=0.25):
        self.api, self.interval = Api(base), interval
        self.made, self.failed = [], []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join(30)

    def _run(self):
        number = 0
        while not self._stop.wait(self.interval):
            number += 1
            try:
                status, answer, _ = self.api.post("/api/v1/notes", {"body": f"live {number}"})
            except requests.RequestException as error:
                self.failed.append(repr(error))
                continue
            if status == 201:
                self.made.append(answer["id"])
            else:
                self.failed.append(f"{status} {answer}")
