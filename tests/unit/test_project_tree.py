"""project_tree: the folders of every app's tree, made and set in one module call."""

import grp
import importlib.util
import os
import pwd
import stat
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location(
    "project_tree", ROOT / "roles" / "project" / "library" / "project_tree.py"
)
project_tree = importlib.util.module_from_spec(spec)
spec.loader.exec_module(project_tree)

OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def folder(path, mode):
    return {"path": path, "owner": OWNER, "group": GROUP, "mode": mode}


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_plan_puts_the_roots_and_trees_before_their_folders():
    wanted = project_tree.plan(
        ["/projects", "/projects/shop"],
        ["/projects/shop/api", "/projects/shop/web"],
        [folder("config", "0750"), folder("log", "0750")],
    )
    assert [entry["path"] for entry in wanted] == [
        "/projects",
        "/projects/shop",
        "/projects/shop/api",
        "/projects/shop/web",
        "/projects/shop/api/config",
        "/projects/shop/api/log",
        "/projects/shop/web/config",
        "/projects/shop/web/log",
    ]
    assert wanted[0] == {"owner": "root", "group": "root", "mode": "0755", "path": "/projects"}
    assert wanted[-1]["mode"] == "0750"


def test_missing_folders_are_made_and_a_second_pass_changes_nothing(tmp_path):
    wanted = [folder(str(tmp_path / "a"), "0755"), folder(str(tmp_path / "a" / "run"), "2750")]
    changes = project_tree.ensure(wanted, check=False)
    assert [path for path, _, _ in changes] == [entry["path"] for entry in wanted]
    assert changes[0][1] == "absent"
    assert mode_of(tmp_path / "a" / "run") == 0o2750
    assert project_tree.ensure(wanted, check=False) == []


def test_a_wrong_mode_is_set_back(tmp_path):
    (tmp_path / "log").mkdir(mode=0o777)
    os.chmod(tmp_path / "log", 0o777)
    changes = project_tree.ensure([folder(str(tmp_path / "log"), "0750")], check=False)
    assert changes == [(str(tmp_path / "log"), f"{OWNER}:{GROUP} 0777", f"{OWNER}:{GROUP} 0750")]
    assert mode_of(tmp_path / "log") == 0o750


def test_check_mode_reports_and_leaves_the_host_alone(tmp_path):
    wanted = [
        {"path": str(tmp_path / "x"), "owner": "no-such-user", "group": "nogroup", "mode": "0750"}
    ]
    changes = project_tree.ensure(wanted, check=True)
    assert changes == [(str(tmp_path / "x"), "absent", "no-such-user:nogroup 0750")]
    assert not (tmp_path / "x").exists()


def test_a_file_where_a_folder_belongs_fails(tmp_path):
    (tmp_path / "data").write_text("")
    with pytest.raises(ValueError, match="is not a folder"):
        project_tree.ensure([folder(str(tmp_path / "data"), "0750")], check=False)


def test_a_folder_linked_elsewhere_counts_as_the_folder(tmp_path):
    (tmp_path / "disk").mkdir(mode=0o750)
    os.chmod(tmp_path / "disk", 0o750)
    (tmp_path / "data").symlink_to(tmp_path / "disk")
    assert project_tree.ensure([folder(str(tmp_path / "data"), "0750")], check=False) == []
