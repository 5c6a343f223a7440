"""`ansible-playbook site.yml --check --diff` on the converged host: every task runs (the fast
path is off: test_fast_path.py covers it) and none changes anything."""

from playbooks import run


def test_check_diff_reports_no_change():
    check = run("site.yml", "--check", "--diff", extra_vars={"converged_fast_path": False})
    assert check.returncode == 0, check
    assert check.recaps and all(counts == (0, 0, 0) for counts in check.recaps), check
