"""The benchmark: how long the toolkit takes, reached as users reach servers (SSH, as a sudo
user), against what the same work costs by hand. Run through scripts/bench.

Each round starts fresh hosts (containers of molecule/image/Dockerfile.ssh) and measures, in
an order that alternates from round to round:
  floor            apt-get install of the packages + ship the wheels + venv and pip install
  cold, no-op      site.yml on a fresh host, then again (changed=0)
  deploy           deploy.yml of the live version (changed=0) and of changed code, and that
                   deploy's floor: ship the code, make a venv from the wheels on the host,
                   start gunicorn, get a 200 from its health check
  peer             the hand-written playbook bench/peer/site.yml, cold and no-op
  mitogen          site.yml cold and no-op, and the changed-code deploy, under mitogen
  cluster          site.yml on 8 app hosts behind one web host (with redis and the database),
                   cold and no-op, and the floor run on all of them at once
It prints the medians and the ratios against the goals, and writes them as JSON (--json).
--serving instead sweeps gunicorn settings with wrk (serving_round).
A benchmark, not a test: every run must succeed, but no figure fails it.
"""

import argparse
import concurrent.futures
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NETWORK = "flask-toolkit-bench"
PREFIX = "flask-toolkit-bench-"
# Made by scripts/setup (molecule/image/build.sh bookworm-ssh).
IMAGE = "flask-toolkit/debian12-ssh:latest"
PACKAGES = (
    "python3 python3-venv python3-apt sudo acl ca-certificates supervisor nginx logrotate "
    "redis-server nftables"
)
RECAP = re.compile(r"changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")
DOCKER_RUN = [
    "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN",
    "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
    "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
    "--tmpfs", "/run", "--tmpfs", "/run/lock",
]  # fmt: skip
SSH_OPTIONS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "LogLevel=ERROR", "-o", "BatchMode=yes"]  # fmt: skip
# The goals of the benchmark: (label, numerator, denominator or None for seconds, limit).
GOALS = [
    ("cold converge / hand-written playbook", "cold", "peer_cold", 0.8),
    ("cold converge / raw floor", "cold", "floor", 1.5),
    ("no-op run (s)", "noop", None, 5.0),
    ("changed-code deploy / its floor", "deploy_changed", "deploy_floor", 1.5),
    ("under mitogen: cold converge / hand-written playbook", "mitogen_cold", "peer_cold", 0.8),
    ("under mitogen: cold converge / raw floor", "mitogen_cold", "floor", 1.5),
    (
        "under mitogen: changed-code deploy / its floor",
        "mitogen_deploy_changed",
        "deploy_floor",
        1.5,
    ),
    ("8 app hosts / one host, cold", "cluster_cold", "cold", 1.5),
    ("8 app hosts / one host, no-op", "cluster_noop", "noop", 1.5),
]
LABELS = {
    "floor": "raw floor: apt-get install + ship wheels + venv/pip",
    "cold": "site.yml, cold converge",
    "noop": "site.yml, no-op run",
    "deploy_same": "deploy.yml, unchanged code",
    "deploy_changed": "deploy.yml, changed code",
    "deploy_floor": "changed-code floor: ship code + venv + start + health",
    "peer_cold": "hand-written playbook, cold",
    "peer_noop": "hand-written playbook, no-op",
    "mitogen_cold": "site.yml under mitogen, cold converge",
    "mitogen_noop": "site.yml under mitogen, no-op run",
    "mitogen_deploy_changed": "deploy.yml under mitogen, changed code",
    "cluster_floor": "8 app hosts + web: raw floor on every host at once",
    "cluster_cold": "8 app hosts + web: site.yml, cold converge",
    "cluster_noop": "8 app hosts + web: site.yml, no-op run",
}


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def sh(*command, check=True, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if check and result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)}: exit {result.returncode}\n{result.stderr[-3000:]}"
        )
    return result


class Bench:
    def __init__(self, work, cluster_size):
        self.work = Path(work)
        self.key = self.work / "id_ed25519"
        self.cluster_size = cluster_size
        self.control = self.work / "control"

    # ------------------------------------------------------------------------- the hosts

    def start(self, names):
        """Fresh hosts, reachable over SSH as deploy: {name: address}."""
        self.remove(names)
        for name in names:
            sh("docker", "run", "-d", "--name", PREFIX + name, "--hostname", name,
               "--network", NETWORK, *DOCKER_RUN, IMAGE)  # fmt: skip
        addresses = {}
        for name in names:
            container = PREFIX + name
            sh("docker", "exec", container, "systemctl", "is-system-running", "--wait", check=False)
            sh("docker", "cp", f"{self.key}.pub", f"{container}:/home/deploy/.ssh/authorized_keys")
            sh("docker", "exec", container, "chown", "deploy:deploy",
               "/home/deploy/.ssh/authorized_keys")  # fmt: skip
            addresses[name] = sh(
                "docker", "inspect", "-f",
                "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container,
            ).stdout.strip()  # fmt: skip
        for address in addresses.values():
            for _ in range(60):
                if self.ssh(address, "sudo -n true", check=False).returncode == 0:
                    break
                time.sleep(0.5)
            else:
                raise RuntimeError(f"no SSH to {address}")
        return addresses

    def remove(self, names):
        containers = [PREFIX + name for name in names]
        sh("docker", "rm", "-f", *containers, check=False)

    def ssh(self, address, command, check=True):
        return sh("ssh", "-i", str(self.key), *SSH_OPTIONS, f"deploy@{address}", command,
                  check=check)  # fmt: skip

    def scp(self, address, source, target):
        sh("scp", "-q", "-i", str(self.key), *SSH_OPTIONS, str(source),
           f"deploy@{address}:{target}")  # fmt: skip

    # ------------------------------------------------------------------------ the runs

    def inventory(self, name, groups, addresses):
        folder = self.work / f"inventory-{name}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        (folder / "group_vars").symlink_to(ROOT / "inventories" / "prod" / "group_vars")
        hosts = {
            "all": {
                "vars": {
                    "ansible_user": "deploy",
                    "ansible_ssh_private_key_file": str(self.key),
                    "ansible_ssh_common_args": " ".join(SSH_OPTIONS),
                },
                "children": {
                    group: {"hosts": {host: {"ansible_host": addresses[host]} for host in members}}
                    for group, members in groups.items()
                },
            }
        }
        (folder / "hosts.yml").write_text(json.dumps(hosts, indent=1))
        return folder

    def playbook(self, playbook, inventory, *args, want_changed=None, label="", mitogen=False):
        """Seconds of one ansible-playbook run, from a fresh SSH connection per host (no
        ControlPersist master left from an earlier run)."""
        control = Path(tempfile.mkdtemp(dir=self.work, prefix="cp-"))
        environment = {
            **os.environ,
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control),
        }
        if mitogen:
            # mitogen checks host keys itself, whatever the SSH options say.
            environment.update(ANSIBLE_STRATEGY="mitogen_linear", ANSIBLE_HOST_KEY_CHECKING="False")
        start = time.monotonic()
        result = subprocess.run(
            ["ansible-playbook", playbook, "-i", str(inventory), *args],
            cwd=ROOT, env=environment, capture_output=True, text=True, check=False,
        )  # fmt: skip
        seconds = time.monotonic() - start
        for socket in control.glob("*"):
            sh("ssh", "-o", f"ControlPath={socket}", "-O", "exit", "x", check=False)
        output = result.stdout + result.stderr
        (self.work / f"{label or Path(playbook).stem}.log").write_text(output)
        recaps = [tuple(map(int, counts)) for counts in RECAP.findall(output)]
        failed = result.returncode != 0 or not recaps or any(c[1] or c[2] for c in recaps)
        if failed or (want_changed == 0 and any(c[0] for c in recaps)):
            raise RuntimeError(f"{label}: {playbook} did not run as expected:\n{output[-4000:]}")
        return seconds

    def floor(self, addresses):
        """apt-get install of the same packages, then ship the wheels and make a venv from
        them, on every host at once."""

        def one(address):
            self.ssh(address, f"sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive "
                              f"apt-get install -y -qq {PACKAGES} >/dev/null")  # fmt: skip
            self.scp(address, self.wheels_tar, "/tmp/wheels.tar")
            self.scp(address, ROOT / "sample_app" / "requirements.txt", "/tmp/requirements.txt")
            self.ssh(address, "cd /tmp && tar xf wheels.tar && python3 -m venv /tmp/venv && "
                              "/tmp/venv/bin/pip install -q --no-index --find-links /tmp/wheels "
                              "-r /tmp/requirements.txt")  # fmt: skip

        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(len(addresses)) as pool:
            list(pool.map(one, addresses.values()))
        return time.monotonic() - start

    def deploy_floor(self, address):
        """What a deploy of changed code costs at least: ship the code, make a venv from the
        wheels already on the host, start gunicorn (on the app's migrated database), get a
        200 from the health check."""
        start = time.monotonic()
        self.scp(address, self.changed_tar, "/tmp/code.tar.gz")
        self.ssh(address, (
            "set -e; rm -rf /tmp/floor && mkdir -p /tmp/floor/app && "
            "tar xzf /tmp/code.tar.gz -C /tmp/floor/app && "
            "python3 -m venv /tmp/floor/venv && /tmp/floor/venv/bin/pip install -q --no-index "
            "--find-links /tmp/wheels -r /tmp/floor/app/requirements.txt && "
            "cd /tmp/floor/app && sudo env SECRET_KEY=bench APP_DATA_DIR=/projects/demo/web/data "
            "/tmp/floor/venv/bin/gunicorn --daemon --pid /tmp/floor/pid --bind 127.0.0.1:9000 "
            "wsgi:app && for i in $(seq 300); do "
            "curl -fs -o /dev/null http://127.0.0.1:9000/healthz && break; sleep 0.1; done && "
            "curl -fs -o /dev/null http://127.0.0.1:9000/healthz"
        ))  # fmt: skip
        seconds = time.monotonic() - start
        self.ssh(address, "sudo kill $(cat /tmp/floor/pid)", check=False)
        return seconds

    # ----------------------------------------------------------------------- the rounds

    def prepare(self):
        self.work.mkdir(parents=True, exist_ok=True)
        if not self.key.exists():
            sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.key))
        sh("docker", "network", "create", NETWORK, check=False)
        log("building the wheelhouse of the sample app")
        wheels = self.work / "wheels"
        # Debian 12's Python (3.11.2) is older than 3.11.3, for which redis wants
        # async-timeout: the toolkit resolves that per host; here it is simply added.
        sh(sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(wheels),
           "-r", str(ROOT / "sample_app" / "requirements.txt"), "async-timeout>=4.0.3")  # fmt: skip
        self.wheels_tar = self.work / "wheels.tar"
        with tarfile.open(self.wheels_tar, "w") as archive:
            archive.add(wheels, arcname="wheels")
        self.source_tar = self.pack(ROOT / "sample_app", "sample_app.tar.gz")
        # Changed code: a copy of the sample app with another version.
        changed = self.work / "changed"
        shutil.rmtree(changed, ignore_errors=True)
        shutil.copytree(ROOT / "sample_app", changed, ignore=shutil.ignore_patterns("__pycache__"))
        (changed / "VERSION").write_text("1.0.1-bench\n")
        self.changed_dir = changed
        self.changed_tar = self.pack(changed, "changed.tar.gz")
        entry = json.loads(sh(sys.executable, "-c", (
            "import json, yaml; print(json.dumps(yaml.safe_load("
            f"open('{ROOT}/roles/flask/defaults/main.yml'))['flask_apps'][0]))"
        )).stdout)  # fmt: skip
        self.entry = entry
        self.changed_vars = self.work / "changed.json"
        self.changed_vars.write_text(
            json.dumps({"flask_apps": [{**entry, "source": {"path": str(changed)}}]})
        )

    def pack(self, folder, name):
        path = self.work / name
        with tarfile.open(path, "w:gz") as archive:
            for item in sorted(folder.iterdir()):
                if item.name not in {"__pycache__", "tests"}:
                    archive.add(item, arcname=item.name)
        return path

    def mitogen_round(self, times):
        """The toolkit under the optional mitogen strategy: cold, no-op, changed code."""
        addresses = self.start(["one"])
        inventory = self.inventory("one", {"app": ["one"], "web": ["one"], "redis": ["one"]},
                                   addresses)  # fmt: skip
        times["mitogen_cold"].append(self.playbook("site.yml", inventory, label="mitogen_cold",
                                                   mitogen=True))  # fmt: skip
        times["mitogen_noop"].append(self.playbook("site.yml", inventory, want_changed=0,
                                                   label="mitogen_noop", mitogen=True))  # fmt: skip
        times["mitogen_deploy_changed"].append(self.playbook(
            "playbooks/deploy.yml", inventory, "-e", f"@{self.changed_vars}",
            label="mitogen_deploy_changed", mitogen=True,
        ))  # fmt: skip
        self.remove(["one"])

    def toolkit_round(self, times):
        addresses = self.start(["one"])
        inventory = self.inventory("one", {"app": ["one"], "web": ["one"], "redis": ["one"]},
                                   addresses)  # fmt: skip
        times["cold"].append(self.playbook("site.yml", inventory, label="cold"))
        times["noop"].append(self.playbook("site.yml", inventory, want_changed=0, label="noop"))
        times["deploy_same"].append(self.playbook("playbooks/deploy.yml", inventory,
                                                  want_changed=0, label="deploy_same"))  # fmt: skip
        times["deploy_changed"].append(self.playbook(
            "playbooks/deploy.yml", inventory, "-e", f"@{self.changed_vars}", label="deploy_changed"
        ))  # fmt: skip
        version = self.ssh(addresses["one"], "curl -fs http://127.0.0.1/healthz").stdout
        if "1.0.1-bench" not in version:
            raise RuntimeError(f"the changed code is not live: {version}")
        # The wheels are on the host already (the toolkit's converge shipped them).
        self.scp(addresses["one"], self.wheels_tar, "/tmp/wheels.tar")
        self.ssh(addresses["one"], "tar xf /tmp/wheels.tar -C /tmp")
        times["deploy_floor"].append(self.deploy_floor(addresses["one"]))
        self.remove(["one"])

    def peer_round(self, times):
        addresses = self.start(["peer"])
        inventory = self.inventory("peer", {"app": ["peer"]}, addresses)
        extra = ["-e", f"peer_source={self.source_tar}", "-e", f"peer_wheels={self.wheels_tar}"]
        times["peer_cold"].append(self.playbook("bench/peer/site.yml", inventory, *extra,
                                                label="peer_cold"))  # fmt: skip
        times["peer_noop"].append(self.playbook("bench/peer/site.yml", inventory, *extra,
                                                want_changed=0, label="peer_noop"))  # fmt: skip
        self.remove(["peer"])

    def floor_round(self, times):
        addresses = self.start(["floor"])
        times["floor"].append(self.floor(addresses))
        self.remove(["floor"])

    def cluster_round(self, times):
        apps = [f"app{index}" for index in range(1, self.cluster_size + 1)]
        names = ["web1", *apps]
        addresses = self.start(names)
        groups = {"web": ["web1"], "redis": ["web1"], "db": ["web1"], "app": apps}
        inventory = self.inventory("cluster", groups, addresses)
        times["cluster_cold"].append(self.playbook("site.yml", inventory, label="cluster_cold"))
        times["cluster_noop"].append(self.playbook("site.yml", inventory, want_changed=0,
                                                   label="cluster_noop"))  # fmt: skip
        self.remove(names)
        addresses = self.start(names)
        times["cluster_floor"].append(self.floor(addresses))
        self.remove(names)


# The sweep of gunicorn settings (--serving), besides the toolkit's default (sync, twice the
# CPUs plus one workers): (worker class, workers, threads).
SWEEP = [
    *[("sync", workers, 1) for workers in (1, 2, 3, 8)],
    *[("gthread", workers, threads) for workers, threads in ((2, 4), (3, 4), (5, 2), (5, 4))],
]
WRK = re.compile(r"Requests/sec:\s+([0-9.]+)")


def serving_round(bench, seconds, only=None):
    """Requests per second of the sample app's JSON endpoint (GET /api/v1/notes, 20 notes)
    through nginx, by wrk inside the host on its loopback, for each gunicorn setting, each
    rendered by site.yml. The app entry leaves websockets out: an app with websockets runs
    one worker by design."""
    addresses = bench.start(["serving"])
    address = addresses["serving"]
    groups = {"app": ["serving"], "web": ["serving"], "redis": ["serving"]}
    inventory = bench.inventory("serving", groups, addresses)
    entry = {key: value for key, value in bench.entry.items() if key != "websockets"}
    entry["source"] = {"path": str(ROOT / "sample_app")}
    results = []
    sweep = [item for item in SWEEP if only in (None, item[0])]
    for worker_class, workers, threads in [("default", None, None), *sweep]:
        gunicorn = {}
        if worker_class != "default":
            gunicorn = {"worker_class": worker_class, "threads": threads}
            if workers is not None:
                gunicorn["workers"] = workers
        variables = bench.work / "serving.json"
        variables.write_text(json.dumps({"flask_apps": [{**entry, "gunicorn": gunicorn}]}))
        bench.playbook("site.yml", inventory, "-e", f"@{variables}", label="serving")
        if not results:
            bench.ssh(address, "sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk "
                               ">/dev/null && for i in $(seq 20); do curl -fs -o /dev/null "
                               "-H 'Content-Type: application/json' -d '{\"body\": \"note\"}' "
                               "http://127.0.0.1/api/v1/notes; done")  # fmt: skip
        bench.ssh(address, "curl -fs -o /dev/null http://127.0.0.1/api/v1/notes")  # warm
        conf = "/projects/demo/web/config/gunicorn.conf.py"
        config = bench.ssh(address, f"sudo grep -E '^(workers|threads|worker_class) ' {conf}")
        config = config.stdout
        output = bench.ssh(
            address, f"wrk -t2 -c32 -d{seconds}s http://127.0.0.1/api/v1/notes"
        ).stdout
        if "Non-2xx" in output:
            raise RuntimeError(f"wrk saw failed requests for {gunicorn}:\n{output}")
        rate = float(WRK.search(output).group(1))
        # wrk's timeouts (no answer within 2 s), reported next to the rate.
        timeouts = int((re.search(r"timeout (\d+)", output) or [0, 0])[1])
        setting = dict(re.findall(r"^(\w+) = (.+)$", config, re.M))
        results.append({"setting": worker_class if worker_class == "default" else setting,
                        "rendered": setting, "requests_per_second": rate,
                        "timeouts": timeouts})  # fmt: skip
        log(f"serving: {setting} {rate:.0f} req/s, {timeouts} timeouts")
    bench.remove(["serving"])
    return results


def summary(times, rounds):
    medians = {name: statistics.median(values) for name, values in times.items() if values}
    goals = []
    for label, numerator, denominator, limit in GOALS:
        if numerator not in medians or (denominator and denominator not in medians):
            continue
        value = medians[numerator] / medians[denominator] if denominator else medians[numerator]
        goals.append({"goal": label, "value": round(value, 2), "limit": limit,
                      "met": value <= limit})  # fmt: skip
    return {
        "rounds": rounds,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "ansible": sh("ansible", "--version").stdout.splitlines()[0],
        },
        "seconds": {name: [round(value, 2) for value in values] for name, values in times.items()},
        "medians": {name: round(value, 2) for name, value in medians.items()},
        "goals": goals,
    }


def table(result):
    heading = f"measure (median of {result['rounds']} rounds)"
    lines = [f"{heading:<58} {'seconds':>8}  runs"]
    for name, median in result["medians"].items():
        runs = " ".join(f"{value:.1f}" for value in result["seconds"][name])
        lines.append(f"{LABELS[name]:<58} {median:>8.1f}  {runs}")
    lines.append("")
    lines.append(f"{'goal':<58} {'value':>8}  limit  met")
    for goal in result["goals"]:
        lines.append(f"{goal['goal']:<58} {goal['value']:>8.2f}  {goal['limit']:<5}  "
                     f"{'yes' if goal['met'] else 'NO'}")  # fmt: skip
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cluster-size", type=int, default=8)
    parser.add_argument("--no-cluster", action="store_true", help="leave the cluster out")
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument("--serving", action="store_true",
                        help="only the sweep of gunicorn settings with wrk")  # fmt: skip
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--worker-class", help="sweep only this worker class (and the default)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="flask-toolkit-bench-"))
    bench = Bench(work, args.cluster_size)
    bench.prepare()
    if args.serving:
        sweep = serving_round(bench, args.wrk_seconds, args.worker_class)
        best = max(sweep, key=lambda item: item["requests_per_second"])
        default = sweep[0]
        print(f"{'gunicorn setting (rendered)':<58} {'req/s':>8}")
        for item in sweep:
            label = ("default: " if item is default else "") + " ".join(
                f"{key}={value}" for key, value in item["rendered"].items()
            )
            print(f"{label:<58} {item['requests_per_second']:>8.0f}  {item['timeouts']} timeouts")
        ratio = default["requests_per_second"] / best["requests_per_second"]
        print(f"default / best: {ratio:.2f} (goal >= 0.95)")
        if args.json:
            Path(args.json).write_text(
                json.dumps({"sweep": sweep, "default_over_best": round(ratio, 3)}, indent=2) + "\n"
            )
        bench.remove(["serving"])
        return
    times = {name: [] for name in LABELS}
    steps = [bench.floor_round, bench.toolkit_round, bench.peer_round, bench.mitogen_round]
    try:
        for number in range(args.rounds):
            # A B, then B A: drift of the machine during a round falls on both sides.
            order = steps if number % 2 == 0 else steps[::-1]
            if not args.no_cluster:
                order = [*order, bench.cluster_round]
            for step in order:
                log(f"round {number + 1}/{args.rounds}: {step.__name__}")
                step(times)
    finally:
        names = ["one", "peer", "floor", "web1", "serving"] + [
            f"app{index}" for index in range(1, args.cluster_size + 1)
        ]
        bench.remove(names)
    result = summary({name: values for name, values in times.items() if values}, args.rounds)
    print(table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
