from conftest import run_cli


def test_version_and_help_exit_zero() -> None:
    assert run_cli("--version").exit_code == 0
    res = run_cli("--help")
    assert res.exit_code == 0
    assert "Seat and role policy" in res.stdout


def test_unknown_command_is_a_usage_error_not_a_traceback() -> None:
    res = run_cli("no-such-command")
    assert res.exit_code == 1  # 2 means "changes present"
    assert "No such command" in res.stderr
