"""Fixture app with frozen pins (async-timeout left out) and a linked sqlite file in its source."""

import os
import platform
import sqlite3
from importlib import metadata

import gunicorn
import redis
import redis.asyncio  # noqa: F401  (needs async-timeout on Python <= 3.11.2)
from flask import Flask, jsonify

DB_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hits.db")

app = Flask(__name__)


def _version_or_none(dist):
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


@app.get("/healthz")
def healthz():
    return "ok", 200, {"Content-Type": "text/plain"}


@app.get("/")
def index():
    return jsonify(
        app="pinned",
        gunicorn=gunicorn.__version__,
        redis=redis.__version__,
        async_timeout=_version_or_none("async-timeout"),
        python=platform.python_version(),
    )


@app.get("/hits")
def hits():
    conn = sqlite3.connect(DB_PATH, timeout=10)
    try:
        with conn:
            conn.execute("CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, n INTEGER)")
            conn.execute("INSERT OR IGNORE INTO hits (id, n) VALUES (1, 0)")
            conn.execute("UPDATE hits SET n = n + 1 WHERE id = 1")
            (n,) = conn.execute("SELECT n FROM hits WHERE id = 1").fetchone()
    finally:
        conn.close()
    return jsonify(hits=n)
