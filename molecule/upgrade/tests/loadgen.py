"""Load for the upgrade scenario, run inside the host against its own nginx on loopback.

CLIENTS threads each send GET requests, one new connection per request, until STOP_FILE
exists, or SECONDS pass, or MAX_REQUESTS are sent in all. Prints one JSON line: requests
sent, answered 2xx, other statuses, connection errors, and which versions answered
(/api/v1/version). Stdlib only: it runs on the host's own python3.
"""

import argparse
import collections
import http.client
import json
import os
import threading
import time


def client(args, deadline, counts, lock):
    while time.monotonic() < deadline and not os.path.exists(args.stop_file):
        with lock:
            if counts["sent"] >= args.max_requests:
                return
            counts["sent"] += 1
        connection = http.client.HTTPConnection("127.0.0.1", 80, timeout=30)
        try:
            connection.request("GET", args.path)
            response = connection.getresponse()
            body = response.read()
            key = "ok" if 200 <= response.status < 300 else f"status {response.status}"
            version = json.loads(body).get("version") if key == "ok" else None
        except (OSError, http.client.HTTPException, ValueError) as error:
            key, version = f"error {type(error).__name__}", None
        finally:
            connection.close()
        with lock:
            counts[key] += 1
            if version:
                counts[f"version {version}"] += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--path", default="/api/v1/version")
    parser.add_argument("--stop-file", required=True)
    args = parser.parse_args()
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
