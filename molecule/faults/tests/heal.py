"""Run on a test host: kills the pids given with SIGKILL, then polls a probe until it
passes steadily, and prints when it failed and when it passed again (polled from inside the
host, so that the times are the service's, not docker exec's). Stdlib only: it runs on the
host's python3.

Usage: python3 heal.py http|redis ENV_FILE [PID...]
  http   GET /healthz through nginx on loopback answers 200 (gunicorn and the database);
  redis  redis answers PING, at the app's REDIS_URL (from ENV_FILE).
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

GIVE_UP = 60
STEADY = 2
WATCH = 3


def redis_url(env_file):
    with open(env_file, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("REDIS_URL="):
                return line.split("=", 1)[1].strip().strip("'")
    raise SystemExit(f"no REDIS_URL in {env_file}")


def healthy(probe, env_file):
    try:
        if probe == "http":
            with urllib.request.urlopen("http://127.0.0.1/healthz", timeout=1) as answer:
                return answer.status == 200
        url = urllib.parse.urlsplit(redis_url(env_file))
        command = ["redis-cli", "-h", url.hostname, "-p", str(url.port or 6379), "ping"]
        auth = {**os.environ, "REDISCLI_AUTH": urllib.parse.unquote(url.password or "")}
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=1, check=False, env=auth
        )
        return result.stdout.strip() == "PONG"
    except (OSError, urllib.error.URLError, subprocess.TimeoutExpired):
        return False


def main(probe, env_file, *pids):
    """Kills, then watches the probe until it has passed for STEADY seconds (and at least
    WATCH in all): prints, as JSON, when it last failed and when it passed again from then
    on (seconds after the kill; none when it never failed)."""
    for pid in pids:
        os.kill(int(pid), signal.SIGKILL)
    start = time.monotonic()
    first_failure = passing_since = None
    while True:
        moment = time.monotonic() - start
        if healthy(probe, env_file):
            passing_since = moment if passing_since is None else passing_since
        else:
            first_failure = moment if first_failure is None else first_failure
            passing_since = None
        if passing_since is not None and moment - passing_since >= STEADY and moment >= WATCH:
            break
        if moment > GIVE_UP:
            print(json.dumps({"down_at": first_failure, "healed_at": None}))
            return 1
        time.sleep(0.05)
    healed = passing_since if first_failure is not None else None
    print(json.dumps({"down_at": first_failure, "healed_at": healed}))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
