#!/usr/bin/python
"""Build a release folder and check that it loads, in one call on the host."""

DOCUMENTATION = r"""
module: release_build
short_description: Build a release of an app and check that it loads, as the app user
description:
  - >-
    Unpacks the wheelhouse when the host has no complete one (its archive given), clears the
    release folder and unpacks the source into it, makes its virtualenv and installs the
    locked requirements (or, from O(venv_from), hard-links a copy of a built virtualenv of the
    same requirements), links its writable paths to the app's storage, compiles its Python files
    (on every core), runs the check command as the app user, and writes .release.json last:
    a folder without it is an unfinished build.
  - Fails with RV(check) C(build) or C(import), the step, and its output; the caller marks
    the release failed. Meant for the release_build action, which ships the archives.
options:
  release:
    description: The release folder.
    type: path
    required: true
  source_archive:
    description: The source archive (tar.gz), on the host.
    type: path
    required: true
  wheelhouse:
    description: The wheelhouse folder; it holds requirements.lock (and the wheels).
    type: path
    required: true
  wheels_archive:
    description: The wheelhouse archive, on the host; without it the wheelhouse must be complete.
    type: path
  python:
    description: The interpreter the virtualenv is made from.
    type: path
    default: /usr/bin/python3
  without_pip:
    description: Make the virtualenv without ensurepip (O(pip) runs pip from its wheel).
    type: bool
    default: false
  pip:
    description: How the virtualenv's python runs pip, for example C([-m, pip]).
    type: list
    elements: str
    required: true
  pip_args:
    description: The options of pip install (index or wheelhouse), before the requirements.
    type: list
    elements: str
    default: []
  package:
    description: Install the release folder itself as a package too.
    type: bool
    default: false
  venv_from:
    description:
      - >-
        A built release of the same requirements whose virtualenv this one starts from: a copy
        made of hard links (its files are never written again), with the paths that name the
        folder rewritten (console scripts, activate scripts, pyvenv.cfg). No pip runs, and its
        .pyc files are valid as they are.
      - Ignored, and pip runs, when that release's .release.json names other requirements, it
        is marked failed, or O(package) is set (the package is the new source).
    type: str
    default: ""
  storage:
    description: The app's persistent storage folder, the app user's; it outlives releases.
    type: path
    required: true
  links:
    description: The links - path (in the release), storage (in O(storage)), type.
    type: list
    elements: dict
    default: []
  owner:
    description: The app user, who owns the storage and runs the check.
    type: str
    required: true
  group:
    description: The app group.
    type: str
    required: true
  check:
    description: The command that loads the release, run as O(owner) in O(release).
    type: list
    elements: str
    required: true
  info:
    description: What .release.json records; built_at is added.
    type: dict
    required: true
"""

RETURN = r"""
check:
  description: On failure, the check that failed - build or import.
  type: str
  returned: failure
seconds:
  description: Seconds each step took.
  type: dict
  returned: success
venv_from:
  description: The release whose virtualenv was copied, or null when pip made it.
  type: str
  returned: success
"""

import grp
import json
import os
import pwd
import shutil
import subprocess
import tarfile
import time

from ansible.module_utils.basic import AnsibleModule

# The path a sudo login has; the check gets the environment a `sudo -u` shell would.
SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class StepFailed(Exception):
    """A step of the build failed: check is build or import."""

    def __init__(self, check, step, msg, **details):
        super().__init__(msg)
        self.check, self.step, self.details = check, step, details


def safe_members(archive, dest):
    """The archive's members, owned by root, refusing any that would land outside dest."""
    root = os.path.realpath(dest)
    for member in archive.getmembers():
        target = os.path.realpath(os.path.join(root, member.name))
        if target != root and not target.startswith(root + os.sep):
            raise ValueError(f"{member.name} would land outside {dest}")
        if member.islnk() or member.isdev():
            raise ValueError(f"{member.name}: hard links and devices are not unpacked")
        member.uid = member.gid = 0
        member.uname = member.gname = "root"
        member.mode &= 0o755
        yield member


def unpack(path, dest):
    """Unpack a tar archive (any compression) into dest, every file root's."""
    with tarfile.open(path) as archive:
        members = list(safe_members(archive, dest))
        if hasattr(tarfile, "tar_filter"):  # Python 3.12+, 3.11.4+
            archive.extractall(dest, members=members, filter="tar")
        else:
            archive.extractall(dest, members=members)


def ensure_storage(root, rel, kind, uid, gid):
    """Make root/rel (and its missing parents) as the app's; returns the paths made."""
    made = []
    parts = rel.split("/")
    for depth in range(1, len(parts) + (1 if kind == "directory" else 0)):
        folder = os.path.join(root, *parts[:depth])
        if not os.path.isdir(folder):
            os.mkdir(folder, 0o750)
            os.chown(folder, uid, gid)
            made.append(folder)
    path = os.path.join(root, rel)
    if kind == "file" and not os.path.exists(path):
        with open(path, "a"):
            pass
        os.chown(path, uid, gid)
        os.chmod(path, 0o640)
        made.append(path)
    return made


def place_link(release, rel, target):
    """Make release/rel a link to target, replacing what the release shipped there."""
    path = os.path.join(release, rel)
    if os.path.islink(path):
        if os.readlink(path) == target:
            return False
        os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.unlink(path)
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    os.symlink(target, path)
    return True


def link_storage(release, storage, links, uid, gid):
    """Each writable path of the release as a link into the app's storage (made when new)."""
    made = ensure_storage(
        os.path.dirname(storage), os.path.basename(storage), "directory", uid, gid
    )
    for link in links:
        made += ensure_storage(storage, link["storage"], link["type"], uid, gid)
        place_link(release, link["path"], os.path.join(storage, link["storage"]))
    return made


def as_user(name):
    """subprocess arguments that run a command as the user name, with a login's environment."""
    entry = pwd.getpwnam(name)
    env = {
        "PATH": SAFE_PATH,
        "HOME": entry.pw_dir,
        "USER": name,
        "LOGNAME": name,
        "SHELL": entry.pw_shell,
        "LANG": "C.UTF-8",
    }
    if os.getuid() == entry.pw_uid:
        return {"env": env}
    groups = os.getgrouplist(name, entry.pw_gid)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": groups, "env": env}


def run(check, step, argv, **kwargs):
    """Run argv; a failure raises StepFailed with its output."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    except OSError as error:
        raise StepFailed(check, step, f"{step}: {error}", cmd=argv) from error
    if done.returncode != 0:
        raise StepFailed(
            check,
            step,
            f"{step}: {argv[0]} exited with {done.returncode}",
            cmd=argv,
            rc=done.returncode,
            stdout=done.stdout,
            stderr=done.stderr,
        )
    return done


def ship_wheelhouse(params):
    wheelhouse = params["wheelhouse"]
    complete = os.path.join(wheelhouse, ".complete")
    if os.path.exists(complete):
        return
    if not params["wheels_archive"]:
        raise StepFailed("build", "wheelhouse", f"{wheelhouse} is not complete and no archive came")
    shutil.rmtree(wheelhouse, ignore_errors=True)
    os.makedirs(wheelhouse, mode=0o755)
    unpack(params["wheels_archive"], wheelhouse)
    with open(complete, "w"):
        pass


def unpack_source(params):
    """A new release folder (what an earlier try left is cleared) with the source in it."""
    release = params["release"]
    shutil.rmtree(release, ignore_errors=True)
    os.makedirs(release)
    os.chmod(release, 0o755)
    unpack(params["source_archive"], release)


def venv_donor(params):
    """The release folder whose virtualenv can be copied, or None."""
    donor = params["venv_from"]
    if not donor or params["package"] or os.path.exists(os.path.join(donor, ".failed.json")):
        return None
    try:
        with open(os.path.join(donor, ".release.json")) as handle:
            built = json.load(handle)
    except (OSError, ValueError):
        return None
    same = built.get("requirements") == params["info"].get("requirements")
    return donor if same and os.path.exists(os.path.join(donor, "venv/bin/python")) else None


def copy_venv(donor, release):
    """The donor's virtualenv as hard links; the files naming its folder are rewritten as new
    files (never through a link, which would change the donor's)."""
    source, target = os.path.join(donor, "venv"), os.path.join(release, "venv")
    run("build", "virtualenv", ["cp", "-a", "--link", source, target])
    old, new = source.encode(), target.encode()
    bin_dir = os.path.join(target, "bin")
    names = [os.path.join(bin_dir, name) for name in os.listdir(bin_dir)]
    for path in [os.path.join(target, "pyvenv.cfg"), *names]:
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        with open(path, "rb") as handle:
            data = handle.read()
        if old not in data:
            continue
        fresh = f"{path}.new"
        with open(fresh, "wb") as handle:
            handle.write(data.replace(old, new))
        shutil.copystat(path, fresh)
        os.replace(fresh, path)


def install_requirements(params):
    release, venv_python = params["release"], os.path.join(params["release"], "venv/bin/python")
    donor = venv_donor(params)
    if donor:
        copy_venv(donor, release)
        return donor
    run(
        "build",
        "virtualenv",
        [params["python"], "-m", "venv"]
        + (["--without-pip"] if params["without_pip"] else [])
        + [os.path.join(release, "venv")],
    )
    # Compiled below on every core: pip compiles on one.
    run(
        "build",
        "pip install",
        [venv_python, *params["pip"], "install", "--quiet", "--disable-pip-version-check"]
        + ["--no-compile", *params["pip_args"]]
        + ["-r", os.path.join(params["wheelhouse"], "requirements.lock")]
        + ([release] if params["package"] else []),
        cwd=release,
    )
    return None


def compile_release(params):
    """.pyc files beside every module of the release (the app user cannot write them): a
    file that does not compile is left to the check, as pip leaves it."""
    done = subprocess.run(
        [os.path.join(params["release"], "venv/bin/python"), "-m", "compileall", "-q", "-j0"]
        + [params["release"]],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip().splitlines()[-5:] if done.returncode else []


def build(params):
    """Every step in order; returns (seconds per step, warnings, the venv's donor or None)."""
    release, seconds, warnings, donor = params["release"], {}, [], []
    owner = pwd.getpwnam(params["owner"]).pw_uid
    group = grp.getgrnam(params["group"]).gr_gid
    steps = [
        ("wheelhouse", lambda: ship_wheelhouse(params)),
        ("source", lambda: unpack_source(params)),
        ("requirements", lambda: donor.append(install_requirements(params))),
        ("links", lambda: link_storage(release, params["storage"], params["links"], owner, group)),
        ("compile", lambda: warnings.extend(compile_release(params))),
        ("check", lambda: run("import", "check", params["check"], cwd=release,
                              **as_user(params["owner"]))),
    ]  # fmt: skip
    for name, step in steps:
        started = time.monotonic()
        try:
            step()
        except (OSError, ValueError, tarfile.TarError) as error:
            raise StepFailed("build", name, f"{name}: {error}") from error
        seconds[name] = round(time.monotonic() - started, 2)
    info = {**params["info"], "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with open(os.path.join(release, ".release.json"), "w") as handle:
        handle.write(json.dumps(info, indent=4) + "\n")
    return seconds, warnings, donor[0]


def main():
    module = AnsibleModule(
        argument_spec={
            "release": {"type": "path", "required": True},
            "source_archive": {"type": "path", "required": True},
            "wheelhouse": {"type": "path", "required": True},
            "wheels_archive": {"type": "path"},
            "python": {"type": "path", "default": "/usr/bin/python3"},
            "without_pip": {"type": "bool", "default": False},
            "pip": {"type": "list", "elements": "str", "required": True},
            "pip_args": {"type": "list", "elements": "str", "default": []},
            "package": {"type": "bool", "default": False},
            "venv_from": {"type": "str", "default": ""},
            "storage": {"type": "path", "required": True},
            "links": {"type": "list", "elements": "dict", "default": []},
            "owner": {"type": "str", "required": True},
            "group": {"type": "str", "required": True},
            "check": {"type": "list", "elements": "str", "required": True},
            "info": {"type": "dict", "required": True},
        },
    )
    try:
        seconds, warnings, donor = build(module.params)
    except StepFailed as failure:
        module.fail_json(
            msg=str(failure), check=failure.check, step=failure.step, **failure.details
        )
    for warning in warnings:
        module.warn(f"does not compile: {warning}")
    module.exit_json(changed=True, seconds=seconds, venv_from=donor)


if __name__ == "__main__":
    main()
