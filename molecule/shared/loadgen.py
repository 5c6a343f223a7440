"""Load for the scenarios' tests, run inside a test host against nginx: its own on loopback
(upgrade), or the web host of the cluster from another container on its network (cluster),
over HTTP or HTTPS (tls).

CLIENTS threads each send GET requests, one new connection per request, at most one every
INTERVAL seconds (a sender's local ports last; see client()), until STOP_FILE
exists, or SECONDS pass, or MAX_REQUESTS are sent in all. Prints one JSON line: requests
sent, answered 2xx, other statuses, connection errors, and which versions and hosts answered
(the "version" and "host" keys of a JSON answer). Stdlib only: it runs on the host's python3.
"""

import argparse
import collections
import errno
import http.client
import json
import os
import ssl
import threading
import time


def client(args, deadline, counts, lock):
    next_start = time.monotonic()
    while time.monotonic() < deadline and not os.path.exists(args.stop_file):
        # Paced: each closed connection holds a local port for a minute (TIME_WAIT), and an
        # unpaced client would run the sender out of ports, which is no failure of the target.
        time.sleep(max(0.0, next_start - time.monotonic()))
        next_start = time.monotonic() + args.interval
        with lock:
            if counts["sent"] >= args.max_requests:
                return
            counts["sent"] += 1
        if args.cafile:
            connection = http.client.HTTPSConnection(
                args.target, args.port or 443, timeout=30, context=args.context
            )
        else:
            connection = http.client.HTTPConnection(args.target, args.port or 80, timeout=30)
        try:
            connection.request("GET", args.path)
            response = connection.getresponse()
            body = response.read()
            key = "ok" if 200 <= response.status < 300 else f"status {response.status}"
            answer = json.loads(body) if key == "ok" else {}
        except (OSError, http.client.HTTPException, ValueError) as error:
            code = errno.errorcode.get(getattr(error, "errno", None) or 0, "")
            key, answer = f"error {type(error).__name__} {code}".rstrip(), {}
        finally:
            connection.close()
        with lock:
            counts[key] += 1
            for name in ("version", "host"):
                if answer.get(name):
                    counts[f"{name} {answer[name]}"] += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument(
        "--interval",
        type=float,
        default=0.1,
        help="seconds from one request of a client to its next",
    )
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--path", default="/api/v1/version")
    parser.add_argument("--target", default="127.0.0.1", help="the nginx to load")
    parser.add_argument("--stop-file", required=True)
    parser.add_argument("--port", type=int, help="default: 80, or 443 with --cafile")
    parser.add_argument("--cafile", help="HTTPS, trusting this CA bundle (names checked too)")
    args = parser.parse_args()
    args.context = ssl.create_default_context(cafile=args.cafile) if args.cafile else None
    counts, lock = collections.Counter(), threading.Lock()
    deadline = time.monotonic() + args.seconds
    start = time.monotonic()
    threads = [
        threading.Thread(target=client, args=(args, deadline, counts, lock))
        for _ in range(args.clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({**counts, "seconds": round(time.monotonic() - start, 1)}), flush=True)


if __name__ == "__main__":
    main()
