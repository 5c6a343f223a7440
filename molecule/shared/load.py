"""Load during a test: loadgen.py run in the background inside a test host.

`with load(...) as stats:` keeps the clients busy meanwhile; when the block ends the clients
stop and `stats` holds their counts (loadgen.py's JSON line), which are also printed."""

import base64
import contextlib
import json
import time
from pathlib import Path

LOADGEN = Path(__file__).with_name("loadgen.py")


def load_runner(host, target="127.0.0.1", path="/api/v1/version", options=""):
    """A `load(clients=24)` context manager for loadgen.py on `host`, against `target`;
    `options`: more of loadgen.py's command line (HTTPS: --cafile FILE)."""
    encoded = base64.b64encode(LOADGEN.read_bytes()).decode()
    host.run_test(f"echo {encoded} | base64 -d > /root/loadgen.py")

    @contextlib.contextmanager
    def running(clients=24):
        stop, output = "/root/loadgen.stop", "/root/loadgen.json"
        host.run(f"rm -f {stop} {output}")
        host.run(
            f"nohup python3 /root/loadgen.py --clients {clients} --seconds 900 "
            f"--target {target} --path {path} --stop-file {stop} {options} > {output} 2>&1 &"
        )
        stats = {}
        time.sleep(2)  # the clients are running before what the test does
        try:
            yield stats
        finally:
            host.run(f"touch {stop}")
            for _ in range(120):
                text = host.file(output).content_string if host.file(output).exists else ""
                if text.strip().startswith("{"):
                    stats.update(json.loads(text))
                    break
                time.sleep(0.5)
            else:
                stats["unfinished"] = host.file(output).content_string
        print(f"load: {stats}")

    return running


def assert_no_failed_request(stats, at_least=100):
    """Every request sent was answered 2xx, and there were at least `at_least`."""
    failed = {key: count for key, count in stats.items() if key.startswith(("status", "error"))}
    assert failed == {}, stats
    assert "unfinished" not in stats, stats
    assert stats["sent"] == stats["ok"] >= at_least, stats
