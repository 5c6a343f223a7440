"""No secret value shows in the output of a converge, even at -vvv: the scenario's converge
and its second run log everything (molecule.yml) and the log holds none of the values the
app's environment file has of its secrets."""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

LOG = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "converge.log"
ENV_FILE = "/projects/demo/web/config/app.env"


def secrets(host):
    """The secret values the host's app got: SECRET_KEY and the passwords in its URLs."""
    env = {}
    for line in host.file(ENV_FILE).content_string.splitlines():
        if "=" in line and not line.startswith("#"):
            name, value = line.split("=", 1)
            env[name] = value.strip("'")
    found = {"SECRET_KEY": env["SECRET_KEY"]}
    for name in ("DATABASE_URL", "REDIS_URL"):
        found[f"the password in {name}"] = unquote(urlsplit(env[name]).password)
    return found


def test_the_log_is_verbose_and_whole():
    text = LOG.read_text()
    assert "<flask-toolkit-faults> ESTABLISH" in text or "ESTABLISH DOCKER CONNECTION" in text
    assert text.count("PLAY RECAP") >= 2  # the converge and its second run


def test_no_secret_value_appears_in_the_output(host):
    text = LOG.read_text()
    values = secrets(host)
    assert all(len(value) >= 12 for value in values.values()), values.keys()
    shown = [name for name, value in values.items() if value in text]
    print(f"{len(values)} secret values looked for in {len(text)} characters of -vvv output")
    assert shown == [], f"shown in the -vvv output: {shown}"
