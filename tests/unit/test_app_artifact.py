"""The control-node artifact builder: deterministic archives, content-derived ids."""

import gzip
import io
import tarfile

from app_artifact import pack_source, release_requirements, source_files


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


def test_archive_holds_the_files_and_the_extra_requirements(tmp_path):
    src = make_source(tmp_path, {"requirements.txt": "flask==3.1.3\n", "wsgi.py": "app = 1\n"})
    extra = {
        ".flask-toolkit/requirements.txt": release_requirements("requirements.txt", ["gunicorn"])
    }
    data = pack_source(str(src), source_files(str(src), set()), extra)
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as tar:
        names = tar.getnames()
        toolkit = tar.extractfile(".flask-toolkit/requirements.txt").read().decode()
        assert {member.mtime for member in tar.getmembers()} == {0}
    assert names == ["requirements.txt", "wsgi.py", ".flask-toolkit/requirements.txt"]
    assert toolkit == "-r ../requirements.txt\ngunicorn\n"
