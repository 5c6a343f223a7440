"""Fixture app whose psycopg2 C extension must be compiled from the sdist on the host."""

import os

import psycopg2
import psycopg2._psycopg
from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/healthz")
def healthz():
    return "ok", 200, {"Content-Type": "text/plain"}


@app.get("/")
def index():
    return jsonify(
        app="native",
        psycopg2=psycopg2.__version__,
        libpq=psycopg2.__libpq_version__,
        extension=os.path.basename(psycopg2._psycopg.__file__),
    )
