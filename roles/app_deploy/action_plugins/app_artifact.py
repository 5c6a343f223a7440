# Managed by the flask toolkit: the app_deploy role's app_artifact, run on the control node.
"""Build an app's release artifacts on the control node, for the hosts' own interpreters, in
the run's own process (library/app_artifact.py documents the options and what it returns)."""

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

# The oldest gunicorn the toolkit runs (wsgi_app in the config file, `module:factory()`).
# It is one of the requirements: an app that names gunicorn keeps its own version; an app
# that does not gets the newest.
GUNICORN_FLOOR = "gunicorn>=20.1"
# pip itself is in every wheelhouse: hosts make venvs without ensurepip and run pip from it.
ALWAYS = [GUNICORN_FLOOR, "pip"]
# What pip builds a setup.py-only sdist with (PEP 517's fallback), plus wheel for old setuptools.
DEFAULT_BUILD_REQUIRES = ["setuptools>=40.8.0", "wheel"]
# Highest glibc uv knows as a resolver platform; a newer host resolves as this one (the
# resolution does not change with it), and downloads with its own full tag list.
UV_MAX_GLIBC = 40
SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz")
# Written into every release.
LAYOUT_FILE = ".flask-toolkit/layout.json"
LOCK_NAME = "requirements.lock"
# Lines of a requirements file that install the project itself (uv export, pip-tools -e .).
SELF_REFERENCE = re.compile(r"^(-e\s+|--editable\s+)?(\.|\./|file:\.?/?)(\[[^\]]*\])?\s*(#.*)?$")


def _sha(data):
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------- the source


def source_files(src, exclude):
    """Relative paths of the files to pack, sorted, without the excluded names."""
    found = []
    for folder, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if d not in exclude)
        for name in files:
            if name in exclude or name.endswith(".pyc"):
                continue
            found.append(os.path.relpath(os.path.join(folder, name), src))
    return sorted(found)


def _add_bytes(tar, name, data, mode):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = 0
    tar.addfile(info, io.BytesIO(data))


def pack_source(src, files, extra):
    """A tar.gz of `files` plus the `extra` {name: bytes}, the same bytes for the same content."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in files:
            path = os.path.join(src, rel)
            if os.path.islink(path):
                info = tarfile.TarInfo(rel)
                info.type = tarfile.SYMTYPE
                info.linkname = os.readlink(path)
                info.mtime = 0
                tar.addfile(info)
                continue
            with open(path, "rb") as handle:
                data = handle.read()
            _add_bytes(tar, rel, data, 0o755 if os.access(path, os.X_OK) else 0o644)
        for name, data in sorted(extra.items()):
            _add_bytes(tar, name, data, 0o644)
    packed = io.BytesIO()
    with gzip.GzipFile(fileobj=packed, mode="wb", mtime=0) as zipped:
        zipped.write(raw.getvalue())
    return packed.getvalue()


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


def is_package(src):
    """A package has setup.py, or a pyproject.toml with [project] or [build-system]."""
    if os.path.isfile(os.path.join(src, "setup.py")):
        return True
    pyproject = os.path.join(src, "pyproject.toml")
    if not os.path.isfile(pyproject):
        return False
    data = tomllib.loads(_read(pyproject).decode())
    return "project" in data or "build-system" in data


def package_build_requires(pyproject_text):
    """What the package's build backend needs (PEP 518), or pip's fallback for setup.py."""
    if pyproject_text is None:
        return list(DEFAULT_BUILD_REQUIRES)
    system = tomllib.loads(pyproject_text).get("build-system") or {}
    return list(system.get("requires") or DEFAULT_BUILD_REQUIRES)


def clean_requirements(text):
    """The requirements file without the lines that install the project itself."""
    kept = []
    for line in text.splitlines():
        if SELF_REFERENCE.match(line.strip()):
            continue
        kept.append(line)
    return "\n".join(kept) + "\n"


def metadata_files(src):
    """The package metadata that decides its dependencies, as {name: bytes}."""
    return {
        name: _read(os.path.join(src, name))
        for name in ("pyproject.toml", "setup.cfg", "setup.py")
        if os.path.isfile(os.path.join(src, name))
    }


def inputs_key(requirements_text, metadata, extra, resolve_args):
    """Id of everything in the requirement inputs that is the same for every target."""
    parts = [b"requirements", requirements_text or b""]
    for name, data in sorted(metadata.items()):
        parts += [name.encode(), data]
    parts += [b"extra", "\n".join(list(extra) + ALWAYS).encode()]
    parts += [b"args", "\n".join(resolve_args).encode()]
    return _sha(b"\0".join(parts))[:16]


def wheelhouse_id(inputs, target, wheels):
    """Id of a wheelhouse: the inputs, the target interpreter, and whether it holds wheels."""
    return _sha(f"{inputs} {target['key']} {'wheels' if wheels else 'lock'}".encode())[:12]


def release_id(archive_bytes, inputs):
    return _sha((_sha(archive_bytes) + inputs).encode())[:12]


# ---------------------------------------------------------------------------- the target


def uv_platform(target):
    """uv's --python-platform for a target."""
    arch, glibc = target["arch"], target.get("glibc")
    if arch in ("x86_64", "aarch64") and glibc:
        minor = min(int(glibc.split(".")[1]), UV_MAX_GLIBC)
        return f"{arch}-manylinux_2_{minor}"
    return "linux"


def pip_platforms(target):
    """Every platform tag the target accepts, newest first (pip download --platform)."""
    arch, glibc = target["arch"], target.get("glibc")
    tags = []
    if glibc:
        major, minor = (int(part) for part in glibc.split(".")[:2])
        tags += [f"manylinux_{major}_{m}_{arch}" for m in range(minor, 4, -1)]
        legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
        tags += [f"{name}_{arch}" for floor, name in legacy.items() if minor >= floor]
    return tags + [f"linux_{arch}"]


def pinned_version(lock_text, name):
    """The version `name` is pinned to in a lock (name==version lines), or None."""
    wanted = re.sub(r"[-_.]+", "-", name).lower()
    for line in lock_text.splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", line.strip())
        if match and re.sub(r"[-_.]+", "-", match.group(1)).lower() == wanted:
            return match.group(2)
    return None


# ---------------------------------------------------------------------------- the builds


class Builder:
    """Runs the resolver and the downloads for one app on the control node."""

    def __init__(self, python, resolve_args):
        self.python, self.resolve_args = python, resolve_args

    def run(self, cmd, what):
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise AnsibleActionFail(
                f"{what} failed: {done.stderr.strip()[-2000:]}",
                result={"cmd": cmd, "stdout": done.stdout},
            )
        return done.stdout

    def compile(self, inputs, target, output, what):
        """uv pip compile: the exact pins of `inputs` for the target interpreter."""
        self.run(
            [self.python, "-m", "uv", "pip", "compile", "--quiet", "--no-header", "--no-annotate"]
            + ["--python-version", target["version"], "--python-platform", uv_platform(target)]
            + self.resolve_args
            + ["--output-file", output, *inputs],
            what,
        )
        with open(output) as handle:
            return handle.read()

    def download(self, lock, target, dest):
        """pip download of each pin: a wheel that fits the target, else the sdist."""
        cmd = [self.python, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"]
        cmd += ["--no-deps", "--dest", dest, "--requirement", lock]
        cmd += ["--python-version", target["version"], "--implementation", "cp"]
        cmd += ["--abi", target["abi"]]
        for platform in pip_platforms(target):
            cmd += ["--platform", platform]
        self.run(cmd + self.resolve_args, f"downloading the packages of {os.path.basename(lock)}")


def _sdist_pyproject(path):
    """The text of an sdist's top-level pyproject.toml, or None."""
    if path.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.count("/") == 1 and name.endswith("/pyproject.toml"):
                    return archive.read(name).decode()
        return None
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            if member.name.count("/") == 1 and member.name.endswith("/pyproject.toml"):
                return tar.extractfile(member).read().decode()
    return None


def sdist_build_requires(path):
    """The build requirements an sdist declares (or pip's fallback for setup.py)."""
    return package_build_requires(_sdist_pyproject(path))


def sdists_in(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith(SDIST_SUFFIXES))


def wheelhouse_ok(path):
    """A finished wheelhouse archive: readable to its end, with its lock."""
    try:
        with tarfile.open(path) as tar:
            return LOCK_NAME in tar.getnames()
    except (OSError, tarfile.TarError):
        return False


def _tar_folder(folder, archive):
    tmp = archive + ".part"
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(os.listdir(folder)):
            tar.add(os.path.join(folder, name), arcname=name)
    os.replace(tmp, archive)


def build_wheelhouse(builder, work, src, package, requirements_text, extra, target, wheels):
    """Resolve and download one wheelhouse into `work`; returns (lock text, sdists)."""
    inputs = []
    if requirements_text is not None:
        path = os.path.join(work, "app-requirements.txt")
        with open(path, "w") as handle:
            handle.write(clean_requirements(requirements_text.decode()))
        inputs.append(path)
    pyproject = os.path.join(src, "pyproject.toml")
    has_pyproject = os.path.isfile(pyproject)
    if package:
        inputs.append(pyproject if has_pyproject else os.path.join(src, "setup.py"))
    toolkit = os.path.join(work, "toolkit-requirements.txt")
    with open(toolkit, "w") as handle:
        handle.write("\n".join(list(extra) + ALWAYS) + "\n")
    inputs.append(toolkit)
    what = f"resolving the requirements for Python {target['version']} ({target['key']})"
    lock_path = os.path.join(work, "wheels", LOCK_NAME)
    os.makedirs(os.path.dirname(lock_path))
    lock = builder.compile(inputs, target, lock_path, what)
    if not wheels:
        return lock, []
    wheel_dir = os.path.dirname(lock_path)
    builder.download(lock_path, target, wheel_dir)
    # What the hosts build with: the app's own build backend (a package is built from its
    # release on the host) and the backends of the sdists that have no wheel for the target.
    build_requires = []
    if package:
        build_requires += package_build_requires(
            _read(pyproject).decode() if has_pyproject else None
        )
    sdists = sdists_in(wheel_dir)
    for name in sdists:
        build_requires += sdist_build_requires(os.path.join(wheel_dir, name))
    if build_requires:
        build_in = os.path.join(work, "build-requirements.in")
        with open(build_in, "w") as handle:
            handle.write("\n".join(sorted(set(build_requires))) + "\n")
        build_lock = os.path.join(work, "build-requirements.txt")
        builder.compile([build_in], target, build_lock, "resolving the build requirements")
        builder.download(build_lock, target, wheel_dir)
        late = sorted(set(sdists_in(wheel_dir)) - set(sdists))
        if late:
            raise AnsibleActionFail(
                f"build requirements with no wheel for Python {target['version']}: "
                + ", ".join(late)
            )
    return lock, sdists


def pip_wheel_name(names):
    for name in names:
        if name.startswith("pip-") and name.endswith(".whl"):
            return name
    return None


def read_version(src):
    """The first line of the source's VERSION file, if it has one."""
    path = os.path.join(src, "VERSION")
    if not os.path.isfile(path):
        return None
    with open(path) as handle:
        return handle.readline().strip() or None


def _write_atomic(path, data):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def wheelhouse_for(builder, params, context, target):
    """The wheelhouse of one target: built, cached or pending a host build."""
    cache, wheels = params["cache"], params["wheels"]
    requirements_id = wheelhouse_id(context["inputs"], target, wheels)
    archive = os.path.join(cache, f"wheels-{requirements_id}.tar")
    pending = os.path.join(cache, f"pending-{requirements_id}.tar")
    meta_path = os.path.join(cache, f"wheels-{requirements_id}.json")
    result = {"requirements_id": requirements_id, "archive": archive, "pending": None}
    if wheelhouse_ok(archive) and os.path.isfile(meta_path):
        if os.path.exists(pending):  # built on a host and fetched since
            os.unlink(pending)
        return False, {**result, **json.loads(_read(meta_path))}
    if not (os.path.isfile(pending) and os.path.isfile(meta_path)):
        work = tempfile.mkdtemp(dir=cache)
        try:
            lock, sdists = build_wheelhouse(
                builder,
                work,
                params["src"],
                context["package"],
                context["requirements_text"],
                params["extra_requirements"],
                target,
                wheels,
            )
            folder = os.path.join(work, "wheels")
            meta = {
                "gunicorn": pinned_version(lock, "gunicorn"),
                "pip_wheel": pip_wheel_name(os.listdir(folder)),
                "sdists": sdists,
                "target": target["key"],
            }
            _tar_folder(folder, pending if sdists else archive)
            _write_atomic(meta_path, (json.dumps(meta, sort_keys=True) + "\n").encode())
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if not sdists:
            return True, {**result, **meta}
    meta = json.loads(_read(meta_path))
    return True, {**result, **meta, "pending": pending}


ARGUMENT_SPEC = {
    "src": {"type": "path", "required": True},
    "cache": {"type": "path", "required": True},
    "requirements": {"type": "str", "default": "requirements.txt"},
    "package": {"type": "bool"},
    "extra_requirements": {"type": "list", "elements": "str", "default": []},
    "links": {"type": "list", "elements": "dict", "default": []},
    "wheels": {"type": "bool", "default": True},
    "python": {"type": "path"},
    "resolve_args": {"type": "list", "elements": "str", "default": []},
    "targets": {"type": "list", "elements": "dict", "required": True},
    "exclude": {"type": "list", "elements": "str", "default": []},
    "version": {"type": "str"},
}


def build(params):
    """The artifacts of one app (the module's RETURN, with changed)."""
    src = params["src"]
    if not os.path.isdir(src):
        raise AnsibleActionFail(f"the app source {src} is not a folder on the control node")
    package = params["package"] if params["package"] is not None else is_package(src)
    requirements_file = os.path.join(src, params["requirements"] or "")
    requirements_text = None
    if params["requirements"] and os.path.isfile(requirements_file):
        requirements_text = _read(requirements_file)
    elif not package:
        raise AnsibleActionFail(
            f"the requirements file {requirements_file} does not exist, and {src} is not a "
            "package (no pyproject.toml with [project] or [build-system], no setup.py)"
        )
    os.makedirs(params["cache"], exist_ok=True)
    metadata = metadata_files(src) if package else {}
    inputs = inputs_key(
        requirements_text, metadata, params["extra_requirements"], params["resolve_args"]
    )

    layout = {"package": package, "links": params["links"]}
    files = source_files(src, set(params["exclude"]))
    archive_bytes = pack_source(
        src, files, {LAYOUT_FILE: (json.dumps(layout, sort_keys=True) + "\n").encode()}
    )
    release = release_id(archive_bytes, inputs)
    changed = False
    code_archive = os.path.join(params["cache"], f"code-{release}.tar.gz")
    if not os.path.exists(code_archive):
        _write_atomic(code_archive, archive_bytes)
        changed = True

    builder = Builder(params["python"] or sys.executable, params["resolve_args"])
    context = {"inputs": inputs, "package": package, "requirements_text": requirements_text}
    wheelhouses = {}
    for target in params["targets"]:
        built, wheelhouses[target["key"]] = wheelhouse_for(builder, params, context, target)
        changed = changed or built

    return {
        "changed": changed,
        "release": release,
        "version": params["version"] or read_version(src) or release,
        "code_archive": code_archive,
        "package": package,
        "wheelhouses": wheelhouses,
        "files": len(files),
    }


class ActionModule(ActionBase):
    """Works in the run's own process: no module to ship to the control node and start."""

    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _, params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        result.update(build(params))
        return result
