"""Versions of the sample app for deploy tests: copies of sample_app/ with another VERSION,
one of them (3.0.0) with a /healthz that always fails, one (3.1.0) that does not import."""

import shutil

import yaml

from playbooks import PROJECT


def sample_app_entry(source):
    """The default app entry (roles/flask/defaults), with its source replaced."""
    defaults = yaml.safe_load((PROJECT / "roles/flask/defaults/main.yml").read_text())
    (entry,) = defaults["flask_apps"]
    return {**entry, "source": {"path": str(source)}}


def make_versions(folder):
    """{version: its source folder} for 2.0.0, 3.0.0 (health check broken), 3.1.0 (does not
    import) and 4.0.0."""
    made = {}
    for version in ("2.0.0", "3.0.0", "3.1.0", "4.0.0"):
        copy = folder / f"sample-{version}"
        shutil.copytree(PROJECT / "sample_app", copy, ignore=shutil.ignore_patterns("__pycache__"))
        (copy / "VERSION").write_text(version + "\n")
        made[version] = copy
    health = made["3.0.0"] / "app/health.py"
    health.write_text(
        health.read_text().replace(
            "    try:\n        Note.count()",
            "    try:\n        raise SQLAlchemyError('3.0.0 is broken on purpose')",
        )
    )
    assert "broken on purpose" in health.read_text()
    wsgi = made["3.1.0"] / "wsgi.py"
    wsgi.write_text(wsgi.read_text() + "raise ImportError('3.1.0 does not import, on purpose')\n")
    return made
