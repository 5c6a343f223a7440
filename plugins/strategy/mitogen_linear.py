"""The mitogen strategy (PyPI's mitogen, in requirements.txt), found by the name Ansible looks
it up under (ansible.cfg: strategy_plugins):
    ANSIBLE_STRATEGY=mitogen_linear ansible-playbook site.yml -i prod
Optional: README, "Performance"."""

from ansible_mitogen.plugins.strategy.mitogen_linear import StrategyModule  # noqa: F401
