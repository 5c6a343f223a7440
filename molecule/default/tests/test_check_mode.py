"""`ansible-playbook site.yml --check --diff` on the converged host: it runs and changes nothing."""

from playbooks import run


def test_check_diff_reports_no_change():
    check = run("site.yml", "--check", "--diff")
    assert check.returncode == 0, check
    assert check.recaps and all(counts == (0, 0, 0) for counts in check.recaps), check
