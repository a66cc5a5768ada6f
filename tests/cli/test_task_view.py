"""`task list` (short ids, human times, newest first), `task log --follow`, short ids in `task show|log`, and the
`task wait "$(pvectl … --no-wait)"` round trip against the simulator."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from pvectl.cli import taskview
from pvectl.sdk import ProxmoxClient
from tests.cli._subproc import pvectl
from tests.cli.conftest import UPID, MockPve, Result
from tests.conftest import TOKEN, FakeClock

Run = Callable[..., Result]
OLD = "UPID:pve1:00000001:00000001:65000000:qmstart:100:root@pam:"
NEW = "UPID:pve2:00000002:00000002:65000100:qmstop:101:root@pam:"
TASKS = [
    {"upid": OLD, "node": "pve1", "type": "qmstart", "id": "100", "user": "root@pam", "status": "OK",
     "starttime": 0x65000000, "endtime": 0x65000000 + 75},
    {"upid": NEW, "node": "pve2", "type": "qmstop", "id": "101", "user": "root@pam", "starttime": 0x65000100},
]  # fmt: skip


def test_human_values() -> None:
    assert [taskview.duration(s) for s in (0, 42, 185, 7440, 270000)] == ["0s", "42s", "3m05s", "2h04m", "3d03h"]
    now = time.mktime((2026, 11, 27, 12, 0, 0, 0, 0, -1))
    assert taskview.started(now - 60, now) == time.strftime("%H:%M:%S", time.localtime(now - 60))
    assert taskview.started(now - 40 * 86400, now) == time.strftime("%m-%d %H:%M", time.localtime(now - 40 * 86400))
    assert taskview.spinner_text("waiting for task qmcreate 101 on pve1", 12, "Formatting  'x'\n") == (
        "waiting for task qmcreate 101 on pve1 (12s): Formatting 'x'"
    )


@pytest.mark.parametrize("fmt", ["json", "yaml", "text", "table"])
def test_list_is_newest_first_in_every_format(pve: MockPve, run: Run, fmt: str) -> None:
    pve.routes["GET /cluster/tasks"] = TASKS
    result = run("task", "list", "-o", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.index("qmstop") < result.stdout.index("qmstart")


def test_list_table_has_a_short_id_and_fits_80_columns(pve: MockPve, run: Run) -> None:
    pve.routes["GET /cluster/tasks"] = TASKS
    result = run("task", "list", "-o", "table", env={"COLUMNS": "80"})
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "NODE", "TYPE", "TARGET", "USER", "STATUS", "STARTED", "DURATION"]
    assert lines[1].split()[0] == taskview.short_id(NEW) and "running" in lines[1]
    assert "1m15s" in lines[2]
    assert len(lines) == 3 and max(len(line) for line in lines) <= 80
    assert "UPID:" not in result.stdout


def test_list_text_and_json_carry_the_whole_upid(pve: MockPve, run: Run) -> None:
    pve.routes["GET /cluster/tasks"] = TASKS
    assert [r["upid"] for r in run("task", "list", "-o", "json").json()] == [NEW, OLD]
    text = run("task", "list", "-o", "text").stdout.splitlines()
    assert text[0].split("\t")[-1] == "upid" and text[1].split("\t")[-1] == NEW


def test_short_ids_work_in_show_and_log(pve: MockPve, run: Run) -> None:
    pve.routes["GET /cluster/tasks"] = TASKS
    pve.routes[f"GET /nodes/pve1/tasks/{OLD}/status"] = {"status": "stopped", "exitstatus": "OK", "upid": OLD}
    pve.routes[f"GET /nodes/pve1/tasks/{OLD}/log"] = [{"n": 1, "t": "TASK OK"}]
    short = taskview.short_id(OLD)
    assert run("task", "show", short, "-o", "json").json()["upid"] == OLD
    assert run("task", "log", short[:5]).stdout == "TASK OK\n"
    missing = run("task", "show", "abcdef12")
    assert missing.exit_code == 4 and "no task with id abcdef12" in missing.stderr


def test_follow_reads_only_new_lines_until_the_task_ends() -> None:
    mock = MockPve()
    log = ["starting", "step 1"]
    polls = {"n": 0}

    def status(request: httpx.Request) -> httpx.Response:
        polls["n"] += 1
        if polls["n"] == 2:
            log.append("step 2")
        if polls["n"] == 3:
            log.append("TASK OK")
        running = polls["n"] < 3
        return httpx.Response(200, json={"data": {"status": "running" if running else "stopped", "exitstatus": "OK"}})

    def lines(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["start"])
        page = [{"n": i + 1, "t": t} for i, t in enumerate(log)][start:]
        return httpx.Response(200, json={"data": page or [{"n": start + 1, "t": "no content"}]})  # as PVE does

    mock.routes[f"GET /nodes/pve1/tasks/{UPID}/status"] = status
    mock.routes[f"GET /nodes/pve1/tasks/{UPID}/log"] = lines
    clock = FakeClock()
    client = ProxmoxClient("pve1", token=TOKEN, server_version="9.1.3", clock=clock,
                           transport=httpx.MockTransport(mock.handle))  # fmt: skip
    out = io.StringIO()
    final = taskview.follow(client, "pve1", UPID, out)
    assert out.getvalue() == "starting\nstep 1\nstep 2\nTASK OK\n"
    assert final["status"] == "stopped" and clock.sleeps == [taskview.POLL_SECONDS] * 2  # on the client's clock
    starts = [int(r.url.params["start"]) for r in mock.requests if r.url.path.endswith("/log")]
    assert starts == [0, 2, 3]


def _sim_env(tmp_path: Path, faults: str = "") -> dict[str, str]:
    env = {"PVECTL_SIM_STATE_DIR": str(tmp_path / "sim"), "PVECTL_SIM": "1"}
    if faults:
        env["PVECTL_SIM_FAULTS"] = faults
    return env


def test_task_wait_round_trip_with_no_wait(tmp_path: Path) -> None:
    started = pvectl("vm", "start", "scratch", "--no-wait", env=_sim_env(tmp_path))
    assert started.code == 0, started.stderr
    upid = started.stdout.strip()
    assert upid.startswith("UPID:pve2:") and "\n" not in upid
    waited = pvectl("task", "wait", upid, "-o", "json", env=_sim_env(tmp_path))
    assert waited.code == 0, waited.stderr
    assert json.loads(waited.stdout)["exitstatus"] == "OK"


def test_follow_a_slow_task_until_it_ends(tmp_path: Path) -> None:
    env = _sim_env(tmp_path, "task-slow:seconds=3")
    upid = pvectl("vm", "start", "scratch", "--no-wait", env=env).stdout.strip()
    followed = pvectl("task", "log", "--follow", upid, env=env)
    assert followed.code == 0, followed.stderr
    assert followed.stdout.splitlines()[-1] == "TASK OK"
    assert followed.seconds >= 2  # it stayed until the task ended
    assert json.loads(pvectl("task", "show", upid, "-o", "json", env=env).stdout)["status"] == "stopped"


def test_follow_a_failing_task_exits_1(tmp_path: Path) -> None:
    env = _sim_env(tmp_path, "task-fail:type=qmstart,message=no space left")
    upid = pvectl("vm", "start", "scratch", "--no-wait", env=env).stdout.strip()
    followed = pvectl("task", "log", "-f", upid, env=env)
    assert followed.code == 1
    assert "TASK ERROR" in followed.stdout
    assert "task failed" in followed.stderr


def test_spinner_line_shows_elapsed_time_and_the_latest_step() -> None:
    mock = MockPve()
    log = ["Formatting 'vm-101-disk-0'"]
    mock.routes[f"GET /nodes/pve1/tasks/{UPID}/log"] = lambda r: httpx.Response(
        200, json={"data": [{"n": i + 1, "t": t} for i, t in enumerate(log)][int(r.url.params["start"]) :]}
    )
    client = ProxmoxClient("pve1", token=TOKEN, server_version="9.1.3", clock=FakeClock(),
                           transport=httpx.MockTransport(mock.handle))  # fmt: skip
    now = [100.0]
    line = taskview.SpinnerLine(client, "pve1", UPID, "waiting for task qmcreate 101 on pve1", clock=lambda: now[0])
    now[0] = 103.0
    assert line({"status": "running"}) == "waiting for task qmcreate 101 on pve1 (3s): Formatting 'vm-101-disk-0'"
    log.append("TASK OK")
    now[0] = 175.0
    assert line({"status": "running"}) == "waiting for task qmcreate 101 on pve1 (1m15s): TASK OK"
