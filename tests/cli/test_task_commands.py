"""`pvectl task list|show|wait|log` against a mock transport."""

from __future__ import annotations

from collections.abc import Callable

from tests.cli.conftest import UPID, MockPve, Result

Run = Callable[..., Result]
STATUS = f"GET /nodes/pve1/tasks/{UPID}/status"
LOG = f"GET /nodes/pve1/tasks/{UPID}/log"


def test_list_cluster_and_node(pve: MockPve, run: Run) -> None:
    pve.routes["GET /cluster/tasks"] = [
        {"upid": UPID, "node": "pve1", "type": "qmcreate", "status": "OK", "endtime": 2},
        {"upid": UPID + "x", "node": "pve1", "type": "qmstart"},
    ]
    result = run("task", "list")
    assert result.exit_code == 0, result.stderr
    assert len(result.json()) == 2
    assert len(run("task", "list", "--running").json()) == 1
    pve.routes["GET /nodes/pve1/tasks"] = [{"upid": UPID, "node": "pve1"}]
    pve.routes["GET /nodes"] = [{"node": "pve1", "status": "online"}]  # --node is checked against the cluster
    result = run("task", "list", "--node", "pve1", "--limit", "5")
    assert result.json() == [{"upid": UPID, "node": "pve1"}]
    assert dict(pve.requests[-1].url.params) == {"limit": "5"}


def test_show_and_log(pve: MockPve, run: Run) -> None:
    pve.routes[STATUS] = {"status": "running", "upid": UPID}
    pve.routes[LOG] = [{"n": 1, "t": "line one"}, {"n": 2, "t": "line two"}]
    assert run("task", "show", UPID).json()["status"] == "running"
    assert run("task", "log", UPID).stdout == "line one\nline two\n"


def test_wait_success_and_failure(pve: MockPve, run: Run) -> None:
    pve.routes[STATUS] = {"status": "stopped", "exitstatus": "OK"}
    assert run("task", "wait", UPID).json()["exitstatus"] == "OK"
    pve.routes[STATUS] = {"status": "stopped", "exitstatus": "command failed"}
    pve.routes[LOG] = [{"n": 1, "t": "boom"}]
    result = run("task", "wait", UPID)
    assert result.exit_code == 1
    assert "task failed: command failed" in result.stderr
    assert "boom" in result.stderr


def test_bad_upid_is_a_usage_error(pve: MockPve, run: Run) -> None:
    result = run("task", "show", "not-a-upid")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: UPID")
    assert pve.requests == []


def test_output_option_after_a_task_command(pve: MockPve, run: Run) -> None:
    pve.routes[STATUS] = {"status": "running", "upid": UPID}
    result = run("task", "show", UPID, "-o", "yaml")
    assert result.exit_code == 0, result.stderr
    assert "status: running\n" in result.stdout


def test_plain_option_coercion_errors_are_usage_errors(pve: MockPve, run: Run) -> None:
    result = run("task", "list", "--limit", "many")
    assert result.exit_code == 2
    assert "'many' is not a valid integer" in result.stderr
    assert pve.requests == []


def test_group_help_has_no_typer_completion_flags(run: Run) -> None:
    for group in ("task", "completion", "api"):
        result = run(group, "--help")
        assert result.exit_code == 0
        assert "--install-completion" not in result.stdout  # `pvectl completion install` does that
