"""Fixture worker `jotter-ticker`: appends a timestamp to ticks.txt every 2 s; SIGTERM exits 0."""

import os
import signal
import sys
import threading
from datetime import UTC, datetime

from jotter import create_app

INTERVAL = 2.0


def main():
    stop = threading.Event()

    def _on_signal(signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    ticks = os.path.join(create_app().instance_path, "ticks.txt")
    print(f"jotter-ticker: writing to {ticks}", flush=True)
    while not stop.is_set():
        with open(ticks, "a", encoding="utf-8") as fh:
            fh.write(datetime.now(UTC).isoformat(timespec="seconds") + "\n")
        stop.wait(INTERVAL)
    print("jotter-ticker: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
