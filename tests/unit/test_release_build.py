"""release_build: a release folder built and loaded in one call, failures named by check."""

import grp
import io
import json
import os
import pwd
import subprocess
import sys
import tarfile
from pathlib import Path

import pip
import pytest
from release_build import StepFailed, as_user, build, unpack, venv_donor

OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def make_tar(path, files, compression="gz"):
    with tarfile.open(path, f"w:{compression}") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.uid, info.uname = len(data), 0o4755, 1234, "someone"
            archive.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def params(tmp_path):
    source = make_tar(tmp_path / "source.tar.gz", {
        "wsgi.py": "app = 'the app'\n",
        "app/__init__.py": "VALUE = 1\n",
        "instance/shipped.cfg": "replaced by the link\n",
    })  # fmt: skip
    wheels = make_tar(tmp_path / "wheels.tar", {"requirements.lock": "# nothing to install\n"}, "")
    return {
        "release": str(tmp_path / "releases" / "0123456789ab"),
        "source_archive": str(source),
        "wheelhouse": str(tmp_path / "requirements" / "aaaaaaaaaaaa"),
        "wheels_archive": str(wheels),
        "python": sys.executable,
        "without_pip": True,
        # pip from the test's own environment, run as a folder, as the wheel is on hosts.
        "pip": [str(Path(pip.__file__).parent)],
        "pip_args": ["--no-index"],
        "package": False,
        "venv_from": "",
        "storage": str(tmp_path / "shared"),
        "links": [{"path": "instance", "storage": "instance", "type": "directory"}],
        "owner": OWNER,
        "group": GROUP,
        "check": [sys.executable, "-c", "import os, wsgi, app; print(os.getcwd())"],
        "info": {"id": "0123456789ab", "version": "1.0", "requirements": "aaaaaaaaaaaa"},
    }


def test_a_release_is_built_linked_compiled_and_marked(params):
    seconds, warnings, donor = build(params)
    release = Path(params["release"])
    assert donor is None
    assert list(seconds) == ["wheelhouse", "source", "requirements", "links", "compile", "check"]
    assert warnings == []
    assert (Path(params["wheelhouse"]) / ".complete").exists()
    assert (release / "venv" / "bin" / "python").exists()
    assert os.readlink(release / "instance") == params["storage"] + "/instance"
    assert list((release / "app" / "__pycache__").glob("__init__.*.pyc"))
    assert (release / "wsgi.py").stat().st_mode & 0o7777 == 0o755  # no setuid from the archive
    info = json.loads((release / ".release.json").read_text())
    assert info["version"] == "1.0" and info["built_at"].endswith("Z")


def next_release(params, **more):
    release = str(Path(params["release"]).with_name("fedcba987654"))
    return {**params, "release": release, "info": {**params["info"], "id": "fedcba987654"}, **more}


def test_a_release_of_the_same_requirements_starts_from_a_linked_copy_of_its_venv(params):
    build(params)
    donor = Path(params["release"]) / "venv"
    script = donor / "bin" / "tool"
    script.write_text(f"#!{donor}/bin/python\nprint('tool')\n")
    script.chmod(0o755)
    site = next(donor.glob("lib/python*/site-packages"))
    (site / "shared_module.py").write_text("VALUE = 2\n")
    later = next_release(params, venv_from=params["release"])
    _, _, used = build(later)
    venv = Path(later["release"]) / "venv"
    assert used == params["release"]
    assert (venv / "bin" / "tool").read_text().startswith(f"#!{venv}/bin/python\n")
    assert script.read_text().startswith(f"#!{donor}/bin/python\n")  # the donor's is untouched
    assert str(donor) not in (venv / "pyvenv.cfg").read_text()
    copied = next(venv.glob("lib/python*/site-packages")) / "shared_module.py"
    assert copied.stat().st_ino == (site / "shared_module.py").stat().st_ino
    prefix = subprocess.run([venv / "bin" / "python", "-c", "import sys; print(sys.prefix)"],
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert prefix.strip() == str(venv)


def test_a_venv_of_other_requirements_or_a_failed_release_is_not_copied(params):
    build(params)
    other = next_release(params, venv_from=params["release"])
    other["info"] = {**other["info"], "requirements": "bbbbbbbbbbbb"}
    assert build(other)[2] is None
    assert venv_donor(next_release(params, venv_from=params["release"])) == params["release"]
    assert venv_donor(next_release(params, venv_from=params["release"], package=True)) is None
    (Path(params["release"]) / ".failed.json").write_text("{}")
    assert build(next_release(params, venv_from=params["release"]))[2] is None


def test_an_unfinished_release_is_cleared_and_a_complete_wheelhouse_kept(params):
    build(params)
    release = Path(params["release"])
    (release / "left-over").write_text("from a failed try")
    (Path(params["wheelhouse"]) / "kept").write_text("x")
    build({**params, "wheels_archive": None})
    assert not (release / "left-over").exists()
    assert (Path(params["wheelhouse"]) / "kept").exists()


def test_no_wheelhouse_and_no_archive_is_a_build_failure(params):
    with pytest.raises(StepFailed) as failed:
        build({**params, "wheels_archive": None})
    assert (failed.value.check, failed.value.step) == ("build", "wheelhouse")
    assert not Path(params["release"], ".release.json").exists()


def test_a_requirement_pip_cannot_install_is_a_build_failure(params, tmp_path):
    wheels = make_tar(tmp_path / "bad.tar", {"requirements.lock": "no-such-package==1.0\n"}, "")
    with pytest.raises(StepFailed) as failed:
        build({**params, "wheels_archive": str(wheels)})
    assert (failed.value.check, failed.value.step) == ("build", "pip install")
    assert "no-such-package" in failed.value.details["stderr"]
    assert not Path(params["release"], ".release.json").exists()


def test_a_release_that_does_not_load_is_an_import_failure(params):
    with pytest.raises(StepFailed) as failed:
        build({**params, "check": [sys.executable, "-c", "import missing_module"]})
    assert failed.value.check == "import"
    assert "missing_module" in failed.value.details["stderr"]
    assert not Path(params["release"], ".release.json").exists()


def test_an_archive_member_outside_the_folder_is_refused(tmp_path):
    archive = make_tar(tmp_path / "evil.tar.gz", {"../escaped": "x"})
    with pytest.raises(ValueError, match="outside"):
        unpack(str(archive), str(tmp_path / "dest"))
    assert not (tmp_path / "escaped").exists()


def test_the_check_runs_as_the_app_user():
    assert "user" not in as_user(OWNER)  # already that user: nothing to switch
    if os.getuid() == 0:
        nobody = subprocess.run(["id", "-un"], capture_output=True, text=True, **as_user("nobody"))
        assert nobody.stdout.strip() == "nobody"
