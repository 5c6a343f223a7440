"""Fixture packaged app (`jotter:create_app()`) keeping notes in Flask's instance folder."""

import os
from importlib import metadata

from flask import Flask, jsonify, request

NOTES_FILE = "notes.txt"


def _notes_path(app):
    return os.path.join(app.instance_path, NOTES_FILE)


def create_app():
    app = Flask(__name__)
    os.makedirs(app.instance_path, exist_ok=True)
    version = metadata.version("jotter")

    @app.get("/healthz")
    def healthz():
        return "ok", 200, {"Content-Type": "text/plain"}

    @app.get("/notes")
    def list_notes():
        try:
            with open(_notes_path(app), encoding="utf-8") as fh:
                notes = [line.rstrip("\n") for line in fh]
        except FileNotFoundError:
            notes = []
        return jsonify(version=version, notes=notes, instance_path=app.instance_path)

    @app.post("/notes")
    def add_note():
        payload = request.get_json(silent=True)
        if isinstance(payload, dict):
            text = str(payload.get("text", ""))
        else:
            text = request.get_data(as_text=True)
        text = " ".join(text.split())
        if not text:
            return jsonify(error="empty note"), 400
        with open(_notes_path(app), "a", encoding="utf-8") as fh:
            fh.write(text + "\n")
        return jsonify(added=text), 201

    return app
