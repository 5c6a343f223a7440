"""The host-side modules of app_deploy: the deploy lock and the deploy state reader."""

import json

from deploy_lock import create_lock, read_lock
from deploy_state import describe_release, list_ids, read_json, sha1


def test_lock_is_taken_once(tmp_path):
    path = str(tmp_path / "lock")
    assert create_lock(path, {"holder": "a", "token": "1", "since": "t"})
    assert not create_lock(path, {"holder": "b", "token": "2", "since": "t"})
    assert read_lock(path) == {"holder": "a", "token": "1", "since": "t"}


def test_missing_and_unreadable_locks(tmp_path):
    assert read_lock(str(tmp_path / "none")) is None
    (tmp_path / "bad").write_text("not json")
    assert read_lock(str(tmp_path / "bad"))["holder"].startswith("unknown")


def test_releases_are_listed_with_their_marks(tmp_path):
    built, failed, partial = "0123456789ab", "ba9876543210", "aaaaaaaaaaaa"
    for name in (built, failed, partial, "blue", "not-a-release"):
        (tmp_path / name).mkdir()
    (tmp_path / "green").symlink_to(built)
    (tmp_path / built / ".release.json").write_text(
        json.dumps({"version": "1", "requirements": "r"})
    )
    (tmp_path / failed / ".release.json").write_text(json.dumps({"version": "2"}))
    (tmp_path / failed / ".failed.json").write_text(json.dumps({"check": "health"}))
    assert list_ids(str(tmp_path)) == sorted([partial, built, failed])
    assert describe_release(str(tmp_path / built)) == {
        "built": True,
        "failed": None,
        "version": "1",
        "requirements": "r",
    }
    assert describe_release(str(tmp_path / failed))["failed"] == {"check": "health"}
    assert describe_release(str(tmp_path / partial))["built"] is False


def test_state_and_checksums(tmp_path):
    assert read_json(str(tmp_path / "state.json"), {}) == {}
    (tmp_path / "f").write_text("x")
    assert sha1(str(tmp_path / "f")) == "11f6ad8ec52a2984abaafd7c3b516503785c2072"
    assert sha1(str(tmp_path / "missing")) is None
