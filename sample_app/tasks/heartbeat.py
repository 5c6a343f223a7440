"""Heartbeat task: writes a Heartbeat row every HEARTBEAT_INTERVAL seconds.

Run by supervisor as ``python -m tasks.heartbeat`` from the app directory. It stops with
exit status 0 on SIGTERM (supervisor's stop signal) or SIGINT, within a moment even in the
middle of the sleep between beats. ``--once`` writes a single beat and exits.
"""

import argparse
import logging
import os
import signal
import socket
import sys

from sqlalchemy.exc import SQLAlchemyError

from app import create_app
from app.extensions import db
from app.models import Heartbeat, as_utc

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

# Named explicitly: under `python -m` this module is "__main__".
log = logging.getLogger("tasks.heartbeat")


def beat() -> Heartbeat:
    """Insert and commit one heartbeat row (needs an app context)."""
    heartbeat = Heartbeat(pid=os.getpid(), hostname=socket.gethostname())
    db.session.add(heartbeat)
    db.session.commit()
    log.info(
        "heartbeat %d at %s (pid %d on %s)",
        heartbeat.id,
        as_utc(heartbeat.beat_at).isoformat(),
        heartbeat.pid,
        heartbeat.hostname,
    )
    return heartbeat


def run_forever(interval: float) -> None:
    """Beat every ``interval`` seconds until SIGTERM or SIGINT arrives.

    The stop signals are blocked and collected with sigtimedwait, which doubles as the
    sleep: a signal ends the wait at once, and one that arrives during a database write is
    held until the write is done, so the process never stops half-way through a beat.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    log.info("heartbeat task started, interval %.1f s", interval)
    while True:
        try:
            beat()
        except SQLAlchemyError:
            # Keep running (e.g. the database is locked or not migrated yet); retry next time.
            db.session.rollback()
            log.exception("heartbeat failed")
        received = signal.sigtimedwait(STOP_SIGNALS, interval)
        if received is not None:
            log.info("received %s, stopping", signal.Signals(received.si_signo).name)
            return


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tasks.heartbeat", description=__doc__)
    parser.add_argument("--once", action="store_true", help="write a single heartbeat and exit")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    app = create_app(os.environ.get("FLASK_CONFIG", "default"), log_name="heartbeat")
    with app.app_context():
        if args.once:
            beat()
        else:
            run_forever(app.config["HEARTBEAT_INTERVAL"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
