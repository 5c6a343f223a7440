#!/usr/bin/python
"""Build an app's release artifacts on the control node."""

DOCUMENTATION = r"""
module: app_artifact
short_description: Build a Flask app's release artifacts on the control node
description:
  - Packs the app source into a deterministic archive and, unless told not to, builds a
    wheelhouse of its requirements with pip, so that targets never need a package index.
  - Both are named by a hash of their content and kept in a cache; an artifact that is
    already there is not built again. The release id is derived from both hashes, so the
    same code and requirements give the same release id on every host and in every run.
options:
  src:
    description: The app source folder.
    type: path
    required: true
  cache:
    description: Folder that keeps the artifacts.
    type: path
    required: true
  requirements:
    description: The requirements file, relative to O(src).
    type: str
    default: requirements.txt
  extra_requirements:
    description: Requirement lines installed in every release besides the app's own (gunicorn).
    type: list
    elements: str
    default: []
  wheels:
    description: Build the wheelhouse. Without it, targets install from a package index.
    type: bool
    default: true
  python:
    description: Interpreter whose pip builds the wheels; its version must match the targets'.
    type: path
  pip_args:
    description: Extra arguments for C(pip wheel), such as an index URL or a CA bundle.
    type: list
    elements: str
    default: []
  exclude:
    description: Names of files and folders left out of the archive, at any depth.
    type: list
    elements: str
    default: [.git, __pycache__, .pytest_cache, .ruff_cache, .venv, venv, .mypy_cache]
  version:
    description: Human label of the release (a git commit); default the source's VERSION file.
    type: str
"""

RETURN = r"""
release:
  description: The release id, the same for the same code and requirements.
  type: str
  returned: always
version:
  description: Human label of the release.
  type: str
  returned: always
code_archive:
  description: Path of the source archive (tar.gz) on the control node.
  type: str
  returned: always
requirements_id:
  description: Id of the requirement set; names the wheelhouse on the targets.
  type: str
  returned: always
wheels_archive:
  description: Path of the wheelhouse archive (tar), or null when O(wheels) is false.
  type: str
  returned: always
pip_wheel:
  description: File name of the pip wheel in the wheelhouse, or null without one.
  type: str
  returned: always
python_version:
  description: Major.minor version of the Python that built the wheels.
  type: str
  returned: always
"""

import gzip
import hashlib
import io
import os
import shutil
import sys
import tarfile
import tempfile

from ansible.module_utils.basic import AnsibleModule

# Prints "<major>.<minor> <platform>" of the interpreter that builds the wheels.
PYTHON_TAG_SCRIPT = (
    "import sys, sysconfig; print('%d.%d' % sys.version_info[:2], sysconfig.get_platform())"
)

# Every wheelhouse also carries pip itself: targets make venvs without ensurepip (seconds
# faster) and run pip from its wheel.
WHEELHOUSE_EXTRAS = ["pip"]

# Written into every release: the app's requirements plus the toolkit's extra lines.
RELEASE_REQUIREMENTS = ".flask-toolkit/requirements.txt"


def _sha(data):
    return hashlib.sha256(data).hexdigest()


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


def release_requirements(requirements, extra_requirements):
    """The requirements file each release installs: the app's file and the extra lines."""
    lines = [f"-r ../{requirements}"] + list(extra_requirements)
    return ("\n".join(lines) + "\n").encode()


def _write_atomic(path, data):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def build_wheels(module, python, requirements_file, extra_requirements, pip_args, archive):
    """Run pip wheel into a temporary folder and tar the wheels into `archive`."""
    work = tempfile.mkdtemp(dir=os.path.dirname(archive))
    try:
        wheel_dir = os.path.join(work, "wheels")
        cmd = [
            python,
            "-m",
            "pip",
            "wheel",
            "--disable-pip-version-check",
            "--quiet",
            "--wheel-dir",
            wheel_dir,
            "-r",
            requirements_file,
            *extra_requirements,
            *WHEELHOUSE_EXTRAS,
            *pip_args,
        ]
        rc, out, err = module.run_command(cmd)
        if rc != 0:
            module.fail_json(
                msg=f"pip wheel failed for {requirements_file}", cmd=cmd, stdout=out, stderr=err
            )
        tmp_archive = os.path.join(work, "wheels.tar")
        with tarfile.open(tmp_archive, "w", format=tarfile.PAX_FORMAT) as tar:
            for name in sorted(os.listdir(wheel_dir)):
                tar.add(os.path.join(wheel_dir, name), arcname=name)
        os.replace(tmp_archive, archive)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def find_pip_wheel(archive):
    """File name of the pip wheel in a wheelhouse archive."""
    with tarfile.open(archive) as tar:
        for name in tar.getnames():
            if name.startswith("pip-") and name.endswith(".whl"):
                return name
    raise ValueError(f"{archive} has no pip wheel")


def read_version(src):
    """The first line of the source's VERSION file, if it has one."""
    path = os.path.join(src, "VERSION")
    if not os.path.isfile(path):
        return None
    with open(path) as handle:
        return handle.readline().strip() or None


def python_tag(module, python):
    rc, out, err = module.run_command([python, "-c", PYTHON_TAG_SCRIPT])
    if rc != 0:
        module.fail_json(msg=f"cannot run {python}", stderr=err)
    version, platform = out.split()
    return version, platform


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type="path", required=True),
            cache=dict(type="path", required=True),
            requirements=dict(type="str", default="requirements.txt"),
            extra_requirements=dict(type="list", elements="str", default=[]),
            wheels=dict(type="bool", default=True),
            python=dict(type="path"),
            pip_args=dict(type="list", elements="str", default=[]),
            exclude=dict(
                type="list",
                elements="str",
                default=[
                    ".git",
                    "__pycache__",
                    ".pytest_cache",
                    ".ruff_cache",
                    ".venv",
                    "venv",
                    ".mypy_cache",
                ],
            ),
            version=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    src = params["src"]
    requirements_file = os.path.join(src, params["requirements"])
    if not os.path.isdir(src):
        module.fail_json(msg=f"the app source {src} is not a folder on the control node")
    if not os.path.isfile(requirements_file):
        module.fail_json(msg=f"the requirements file {requirements_file} does not exist")
    os.makedirs(params["cache"], exist_ok=True)
    python = params["python"] or sys.executable

    with open(requirements_file, "rb") as handle:
        requirements_text = handle.read()
    extra = params["extra_requirements"]
    python_version, platform = python_tag(module, python)
    requirements_id = _sha(
        requirements_text
        + "\n".join(extra + WHEELHOUSE_EXTRAS).encode()
        + f"{python_version}-{platform}".encode()
    )[:12]

    files = source_files(src, set(params["exclude"]))
    archive_bytes = pack_source(
        src, files, {RELEASE_REQUIREMENTS: release_requirements(params["requirements"], extra)}
    )
    release = _sha((_sha(archive_bytes) + requirements_id).encode())[:12]

    version = params["version"] or read_version(src) or release

    changed = False
    code_archive = os.path.join(params["cache"], f"code-{release}.tar.gz")
    if not os.path.exists(code_archive):
        _write_atomic(code_archive, archive_bytes)
        changed = True
    wheels_archive = pip_wheel = None
    if params["wheels"]:
        wheels_archive = os.path.join(params["cache"], f"wheels-{requirements_id}.tar")
        if not os.path.exists(wheels_archive):
            build_wheels(
                module, python, requirements_file, extra, params["pip_args"], wheels_archive
            )
            changed = True
        pip_wheel = find_pip_wheel(wheels_archive)

    module.exit_json(
        changed=changed,
        release=release,
        version=version,
        code_archive=code_archive,
        requirements_id=requirements_id,
        wheels_archive=wheels_archive,
        pip_wheel=pip_wheel,
        python_version=python_version,
        files=len(files),
    )


if __name__ == "__main__":
    main()
