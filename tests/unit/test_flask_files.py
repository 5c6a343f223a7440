"""flask_files: a role's folders, files, links and removals in one module call."""

import base64
import grp
import os
import pwd
import stat
import subprocess

import pytest
from conftest import load_action_and_module

action, module = load_action_and_module("flask", "flask_files")

OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def run(command):
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr


def file_entry(path, text, mode="0644", **more):
    return {
        "path": str(path),
        "content_b64": base64.b64encode(text.encode()).decode(),
        "owner": OWNER,
        "group": GROUP,
        "mode": mode,
        **more,
    }


def apply(entries, check=False):
    files = module.Files(check, run)
    files.apply(entries)
    return files


def test_a_new_file_is_written_with_its_mode_and_a_second_pass_changes_nothing(tmp_path):
    entries = [
        {"path": str(tmp_path / "d"), "state": "directory", "owner": OWNER, "group": GROUP,
         "mode": "0750"},
        file_entry(tmp_path / "d" / "site.conf", "listen 80;\n", mode="0640"),
    ]  # fmt: skip
    files = apply(entries)
    assert files.changed == [entries[0]["path"], entries[1]["path"]]
    assert (tmp_path / "d" / "site.conf").read_text() == "listen 80;\n"
    assert stat.S_IMODE(os.stat(tmp_path / "d" / "site.conf").st_mode) == 0o640
    assert apply(entries).changed == []


def test_the_diff_shows_the_old_and_new_content(tmp_path):
    (tmp_path / "a.conf").write_text("old\n")
    os.chmod(tmp_path / "a.conf", 0o644)
    files = apply([file_entry(tmp_path / "a.conf", "new\n")])
    assert files.diff == [
        {
            "before_header": str(tmp_path / "a.conf"),
            "after_header": str(tmp_path / "a.conf"),
            "before": "old\n",
            "after": "new\n",
        }
    ]


def test_only_a_wrong_mode_is_set_back_without_a_rewrite(tmp_path):
    (tmp_path / "a.conf").write_text("same\n")
    os.chmod(tmp_path / "a.conf", 0o600)
    inode = os.stat(tmp_path / "a.conf").st_ino
    files = apply([file_entry(tmp_path / "a.conf", "same\n")])
    assert files.diff[0]["after"] == f"{OWNER}:{GROUP} 0644\n"
    assert os.stat(tmp_path / "a.conf").st_ino == inode
    assert stat.S_IMODE(os.stat(tmp_path / "a.conf").st_mode) == 0o644


def test_a_file_that_fails_its_validate_leaves_the_old_one_live(tmp_path):
    (tmp_path / "a.conf").write_text("ok\n")
    entry = file_entry(tmp_path / "a.conf", "broken\n", validate="grep -qx ok %s")
    files = module.Files(False, run)
    with pytest.raises(ValueError, match="validate .grep -qx ok %s. failed"):
        files.apply([entry])
    assert files.changed == []
    assert (tmp_path / "a.conf").read_text() == "ok\n"
    assert sorted(os.listdir(tmp_path)) == ["a.conf"]  # no temporary copy left


def test_validate_runs_on_the_new_content(tmp_path):
    entry = file_entry(tmp_path / "a.conf", "ok\n", validate="grep -qx ok %s")
    assert apply([entry]).changed == [str(tmp_path / "a.conf")]


def test_links_are_made_and_pointed_again(tmp_path):
    entry = {"path": str(tmp_path / "enabled.conf"), "state": "link", "target": "/etc/a.conf"}
    assert apply([entry]).changed == [entry["path"]]
    assert os.readlink(tmp_path / "enabled.conf") == "/etc/a.conf"
    assert apply([entry]).changed == []
    assert apply([{**entry, "target": "/etc/b.conf"}]).changed == [entry["path"]]
    assert os.readlink(tmp_path / "enabled.conf") == "/etc/b.conf"


def test_absent_removes_files_links_and_folders(tmp_path):
    (tmp_path / "gone.conf").write_text("x")
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "f").write_text("x")
    entries = [
        {"path": str(tmp_path / "gone.conf"), "state": "absent"},
        {"path": str(tmp_path / "tree"), "state": "absent"},
        {"path": str(tmp_path / "never"), "state": "absent"},
    ]
    assert apply(entries).changed == [entries[0]["path"], entries[1]["path"]]
    assert os.listdir(tmp_path) == []


def test_check_mode_reports_every_change_and_touches_nothing(tmp_path):
    entries = [
        {"path": str(tmp_path / "d"), "state": "directory", "owner": "no-such-user",
         "group": GROUP, "mode": "0755"},
        file_entry(tmp_path / "d" / "a.conf", "x\n"),
        {"path": str(tmp_path / "l"), "state": "link", "target": "/x"},
    ]  # fmt: skip
    files = apply(entries, check=True)
    assert files.changed == [entry["path"] for entry in entries]
    assert os.listdir(tmp_path) == []


def test_a_folder_where_a_file_belongs_fails(tmp_path):
    (tmp_path / "a.conf").mkdir()
    with pytest.raises(ValueError, match="is not a file"):
        apply([file_entry(tmp_path / "a.conf", "x")])


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"state": "file"}, "needs a path"),
        ({"path": "/a", "template": "t.j2", "src": "s", "mode": "0644"}, "a template or a src"),
        ({"path": "/a", "src": "s"}, "give a mode"),
        ({"path": "/a", "state": "link"}, "give a target"),
        ({"path": "/a", "state": "gone"}, "not one of"),
        ({"path": "/a", "state": "absent", "moed": "0644"}, "unknown keys"),
    ],
)
def test_the_action_names_a_wrong_entry(entry, problem):
    assert problem in action.check_entry(entry)


def test_the_action_takes_each_kind_of_entry():
    for entry in [
        {"path": "/a", "template": "/t.j2", "mode": "0644", "vars": {"app": {}}},
        {"path": "/a", "src": "usr/local/bin/x", "mode": "0755", "validate": "x %s"},
        {"path": "/d", "state": "directory", "mode": "0755"},
        {"path": "/l", "state": "link", "target": "/a"},
        {"path": "/g", "state": "absent"},
    ]:
        assert action.check_entry(entry) is None


def test_a_folder_linked_elsewhere_counts_as_the_folder(tmp_path):
    (tmp_path / "disk").mkdir()
    os.chmod(tmp_path / "disk", 0o750)
    (tmp_path / "data").symlink_to(tmp_path / "disk")
    entry = {"path": str(tmp_path / "data"), "state": "directory", "owner": OWNER,
             "group": GROUP, "mode": "0750"}  # fmt: skip
    assert apply([entry]).changed == []


def test_a_setgid_folder_keeps_its_bit(tmp_path):
    entry = {"path": str(tmp_path / "run"), "state": "directory", "owner": OWNER,
             "group": GROUP, "mode": "2750"}  # fmt: skip
    assert apply([entry]).changed == [entry["path"]]
    assert stat.S_IMODE(os.stat(tmp_path / "run").st_mode) == 0o2750
    assert apply([entry]).changed == []
