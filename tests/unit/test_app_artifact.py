"""The control-node artifact builder: deterministic archives, content-derived ids, and
wheelhouses resolved for the hosts' own interpreter."""

import gzip
import io
import json
import sys
import tarfile

import pytest
from conftest import load_plugin
from deploy_lock import describe

app_artifact = load_plugin("app_deploy", "action_plugins", "app_artifact")
LAYOUT_FILE = app_artifact.LAYOUT_FILE
Builder = app_artifact.Builder
clean_requirements = app_artifact.clean_requirements
inputs_key = app_artifact.inputs_key
is_package = app_artifact.is_package
pack_source = app_artifact.pack_source
package_build_requires = app_artifact.package_build_requires
pinned_version = app_artifact.pinned_version
pip_platforms = app_artifact.pip_platforms
sdist_build_requires = app_artifact.sdist_build_requires
source_files = app_artifact.source_files
uv_platform = app_artifact.uv_platform
wheelhouse_id = app_artifact.wheelhouse_id
wheelhouse_ok = app_artifact.wheelhouse_ok


def make_source(tmp_path, files):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_source_files_are_sorted_and_excluded(tmp_path):
    src = make_source(
        tmp_path,
        {"b.py": "", "a/x.py": "", ".git/HEAD": "", "a/__pycache__/x.pyc": "", "c.pyc": ""},
    )
    assert source_files(str(src), {".git", "__pycache__"}) == ["a/x.py", "b.py"]


def test_same_content_gives_the_same_bytes(tmp_path):
    one = make_source(tmp_path / "one", {"app.py": "print(1)\n", "VERSION": "1\n"})
    two = make_source(tmp_path / "two", {"VERSION": "1\n", "app.py": "print(1)\n"})
    (two / "app.py").touch()  # another mtime
    packed = [pack_source(str(src), source_files(str(src), set()), {}) for src in (one, two)]
    assert packed[0] == packed[1]


def test_other_content_gives_other_bytes(tmp_path):
    one = make_source(tmp_path / "one", {"app.py": "print(1)\n"})
    two = make_source(tmp_path / "two", {"app.py": "print(2)\n"})
    packed = [pack_source(str(src), source_files(str(src), set()), {}) for src in (one, two)]
    assert packed[0] != packed[1]


def test_archive_holds_the_files_and_the_layout(tmp_path):
    src = make_source(tmp_path, {"requirements.txt": "flask==3.1.3\n", "wsgi.py": "app = 1\n"})
    layout = {LAYOUT_FILE: b'{"package": false}\n'}
    data = pack_source(str(src), source_files(str(src), set()), layout)
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as tar:
        names = tar.getnames()
        assert json.load(tar.extractfile(LAYOUT_FILE)) == {"package": False}
        assert {member.mtime for member in tar.getmembers()} == {0}
    assert names == ["requirements.txt", "wsgi.py", LAYOUT_FILE]


# The cache key: everything that changes a wheelhouse's content changes its id.


def debian(version, glibc):
    """The target record of a Debian host's python3, as deploy_lock describes it."""
    major, minor = (int(part) for part in version.split(".")[:2])
    probe = {"implementation": "cpython", "version": version, "version_info": [major, minor]}
    return describe({**probe, "arch": "x86_64", "libc": ["glibc", glibc]})


BOOKWORM = debian("3.11.2", "2.36")
TRIXIE = debian("3.13.5", "2.41")


def test_target_record_of_a_host():
    assert BOOKWORM == {
        "implementation": "cp",
        "version": "3.11.2",
        "abi": "cp311",
        "arch": "x86_64",
        "glibc": "2.36",
        "key": "cp3.11.2-x86_64-glibc2.36",
    }


def test_a_python_other_than_cpython_is_refused():
    with pytest.raises(ValueError, match="pypy"):
        describe({"implementation": "pypy", "version_info": [3, 10], "libc": ["", ""]})


BASE = {"requirements": b"flask==3.1.3\n", "metadata": {}, "extra": [], "args": []}


def key(**changes):
    parts = {**BASE, **changes}
    return inputs_key(parts["requirements"], parts["metadata"], parts["extra"], parts["args"])


@pytest.mark.parametrize(
    "change",
    [
        {"requirements": b"flask==3.1.2\n"},
        {"requirements": None},
        {"metadata": {"pyproject.toml": b"[project]\nname = 'x'\n"}},
        {"extra": ["sentry-sdk"]},
        {"args": ["--index-url", "https://mirror.invalid/simple"]},
    ],
)
def test_every_input_changes_the_key(change):
    assert key(**change) != key()


def test_the_same_inputs_give_the_same_key():
    assert key() == key()


def test_the_target_and_the_kind_change_the_wheelhouse_id():
    other_patch = {**BOOKWORM, "key": BOOKWORM["key"].replace("3.11.2", "3.11.7")}
    ids = {
        wheelhouse_id(key(), BOOKWORM, True),
        wheelhouse_id(key(), other_patch, True),
        wheelhouse_id(key(), TRIXIE, True),
        wheelhouse_id(key(), BOOKWORM, False),
    }
    assert len(ids) == 4
    assert wheelhouse_id(key(), BOOKWORM, True) == wheelhouse_id(key(), dict(BOOKWORM), True)


# The target's platform, for the resolver and for the downloads.


def test_platforms_of_a_glibc_host():
    assert uv_platform(BOOKWORM) == "x86_64-manylinux_2_36"
    assert uv_platform(TRIXIE) == "x86_64-manylinux_2_40"  # the newest uv knows
    tags = pip_platforms(TRIXIE)
    assert tags[0] == "manylinux_2_41_x86_64"
    assert {"manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux1_x86_64"} <= set(tags)
    assert tags[-1] == "linux_x86_64"


def test_platforms_of_a_host_without_glibc():
    musl = {**BOOKWORM, "glibc": None}
    assert uv_platform(musl) == "linux"
    assert pip_platforms(musl) == ["linux_x86_64"]


# Requirement files and packages.


def test_lines_that_install_the_project_itself_are_dropped():
    text = "-e .\nflask==3.1.3 \\\n    --hash=sha256:abc\n.\n-e file:.\nredis==5.0.1\n"
    assert clean_requirements(text) == "flask==3.1.3 \\\n    --hash=sha256:abc\nredis==5.0.1\n"


def test_what_counts_as_a_package(tmp_path):
    assert not is_package(make_source(tmp_path / "plain", {"requirements.txt": ""}))
    tools_only = make_source(tmp_path / "tools", {"pyproject.toml": "[tool.ruff]\n"})
    assert not is_package(tools_only)
    assert is_package(make_source(tmp_path / "pep621", {"pyproject.toml": "[project]\n"}))
    assert is_package(make_source(tmp_path / "legacy", {"setup.py": ""}))


def test_build_requirements_of_a_package_and_of_an_sdist(tmp_path):
    declared = '[build-system]\nrequires = ["hatchling>=1.20"]\n'
    assert package_build_requires(declared) == ["hatchling>=1.20"]
    assert package_build_requires(None) == ["setuptools>=40.8.0", "wheel"]
    sdist = tmp_path / "thing-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as tar:
        data = declared.encode()
        info = tarfile.TarInfo("thing-1.0/pyproject.toml")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    assert sdist_build_requires(str(sdist)) == ["hatchling>=1.20"]


def test_pinned_version_reads_a_lock():
    lock = "Flask==3.1.3\ngunicorn==21.2.0\n    # via -r app.txt\nasync-timeout==5.0.1\n"
    assert pinned_version(lock, "gunicorn") == "21.2.0"
    assert pinned_version(lock, "async_timeout") == "5.0.1"
    assert pinned_version(lock, "redis") is None


def test_a_truncated_wheelhouse_is_not_trusted(tmp_path):
    folder = tmp_path / "wheels"
    folder.mkdir()
    (folder / "requirements.lock").write_text("flask==3.1.3\n")
    (folder / "big.whl").write_bytes(b"x" * 50000)
    archive = tmp_path / "wheels.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(folder / "big.whl", arcname="big.whl")
        tar.add(folder / "requirements.lock", arcname="requirements.lock")
    assert wheelhouse_ok(str(archive))
    archive.write_bytes(archive.read_bytes()[:30000])
    assert not wheelhouse_ok(str(archive))


# The marker case, resolved for real with uv against the package index: redis 5.0.1 needs
# async-timeout only where python_full_version <= "3.11.2". The pins must follow the host's
# full version, not the control node's.


@pytest.mark.parametrize(("version", "needs_it"), [("3.11.2", True), ("3.11.7", False)])
def test_markers_are_evaluated_for_the_hosts_full_version(tmp_path, version, needs_it):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("redis==5.0.1\n")
    target = {**BOOKWORM, "version": version}
    builder = Builder(sys.executable, [])
    lock = builder.compile([str(requirements)], target, str(tmp_path / "lock"), "resolving")
    assert pinned_version(lock, "redis") == "5.0.1"
    assert (pinned_version(lock, "async-timeout") is not None) is needs_it, lock


def params(src, cache, **overrides):
    return {
        **{key: spec.get("default") for key, spec in app_artifact.ARGUMENT_SPEC.items()},
        "src": str(src),
        "cache": str(cache),
        "targets": [],
        **overrides,
    }


def test_the_code_archive_is_written_once_and_named_by_its_release(tmp_path):
    src = make_source(tmp_path / "app", {"app.py": "x = 1\n", "requirements.txt": "flask\n"})
    first = app_artifact.build(params(src, tmp_path / "cache"))
    again = app_artifact.build(params(src, tmp_path / "cache"))
    assert first["changed"] and not again["changed"]
    assert first["release"] == again["release"]
    assert first["code_archive"] == str(tmp_path / "cache" / f"code-{first['release']}.tar.gz")
    with tarfile.open(first["code_archive"]) as archive:
        assert "app.py" in archive.getnames() and LAYOUT_FILE in archive.getnames()


def test_a_source_that_is_no_folder_is_refused(tmp_path):
    with pytest.raises(app_artifact.AnsibleActionFail, match="is not a folder on the control"):
        app_artifact.build(params(tmp_path / "missing", tmp_path / "cache"))


def test_a_source_without_requirements_that_is_no_package_is_refused(tmp_path):
    src = make_source(tmp_path / "app", {"app.py": ""})
    with pytest.raises(app_artifact.AnsibleActionFail, match="requirements.txt does not exist"):
        app_artifact.build(params(src, tmp_path / "cache"))


def test_a_failed_resolution_says_what_failed(tmp_path):
    builder = Builder(sys.executable, [])
    with pytest.raises(app_artifact.AnsibleActionFail, match="resolving failed") as failed:
        builder.run([sys.executable, "-c", "import sys; sys.exit('no such package')"], "resolving")
    assert "no such package" in str(failed.value)
