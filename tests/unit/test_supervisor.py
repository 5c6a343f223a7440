"""How long systemd waits for supervisord to stop its programs."""

from supervisor_programs import supervisor_stop_timeout


def app(tasks=(), graceful=None):
    return {
        "tasks": [{"stop_timeout": timeout} for timeout in tasks],
        "gunicorn": {} if graceful is None else {"graceful_timeout": graceful},
    }


def test_the_longest_stop_wait_of_any_program_plus_a_margin():
    assert supervisor_stop_timeout([], 10, 30, 10) == 40 + 30
    assert supervisor_stop_timeout([app(tasks=[None, 600])], 10, 30, 10) == 600 + 30
    assert supervisor_stop_timeout([app(graceful=120)], "10", "30", "10") == 130 + 30
