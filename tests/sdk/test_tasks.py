"""Tasks: UPIDs parsed, wait() follows the status endpoint, failures carry exit status and log tail."""

from __future__ import annotations

import httpx
import pytest
from pytest_httpx import HTTPXMock

from pvectl.sdk import AsyncProxmoxClient, ProxmoxClient, Task, TaskFailed, TaskTimeout, parse_upid
from pvectl.sdk._core.answers import UnexpectedAnswer
from pvectl.sdk._core.task import TaskLost
from tests.conftest import BASE, FakeClock

UPID = "UPID:pve1:0000A1B2:0001C3D4:6740AB12:qmcreate:101:root@pam:"
STATUS_URL = f"{BASE}/nodes/pve1/tasks/{UPID.replace(':', '%3A').replace('@', '%40')}/status"


def statuses(httpx_mock: HTTPXMock, *answers: dict[str, object]) -> None:
    for answer in answers:
        httpx_mock.add_response(method="GET", url=STATUS_URL, json={"data": answer})


def test_parse_upid() -> None:
    upid = parse_upid(UPID)
    assert (upid.node, upid.type, upid.id, upid.user, upid.pid) == ("pve1", "qmcreate", "101", "root@pam", 0xA1B2)
    with pytest.raises(ValueError, match="UPID"):
        parse_upid("UPID:nope")


def test_wait_polls_until_stopped(client: ProxmoxClient, httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    httpx_mock.add_response(method="POST", json={"data": UPID})
    statuses(httpx_mock, {"status": "running"}, {"status": "running"}, {"status": "stopped", "exitstatus": "OK"})
    seen: list[str] = []
    task = client.nodes("pve1").qemu(101).status.start()
    final = task.wait(timeout=60, poll=2, on_progress=lambda s: seen.append(str(s["status"])))
    assert final["exitstatus"] == "OK"
    assert seen == ["running", "running", "stopped"]
    assert clock.sleeps == [0.1, pytest.approx(0.15)]  # polling starts fast and backs off (to 2 s)


def test_warnings_count_as_success(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    statuses(httpx_mock, {"status": "stopped", "exitstatus": "WARNINGS: 2"})
    from pvectl.sdk import Task

    assert Task(client, UPID).wait()["exitstatus"] == "WARNINGS: 2"


def test_failure_raises_with_log_tail(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    statuses(httpx_mock, {"status": "stopped", "exitstatus": "unable to create VM 101 - storage full"})
    lines = [{"n": i, "t": f"line {i}"} for i in range(1, 31)]
    log_url = httpx.URL(STATUS_URL.replace("/status", "/log"), params={"start": 0, "limit": 5000})
    httpx_mock.add_response(method="GET", url=log_url, json={"data": lines})
    from pvectl.sdk import Task

    with pytest.raises(TaskFailed) as info:
        Task(client, UPID).wait()
    assert info.value.exitstatus == "unable to create VM 101 - storage full"
    assert info.value.log_tail[-1] == "line 30"
    assert len(info.value.log_tail) == 20


def test_timeout(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="GET", url=STATUS_URL, json={"data": {"status": "running"}}, is_reusable=True)
    from pvectl.sdk import Task

    with pytest.raises(TaskTimeout):
        Task(client, UPID).wait(timeout=5, poll=1)


async def test_async_wait(aclient: AsyncProxmoxClient, httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    httpx_mock.add_response(method="DELETE", json={"data": UPID})
    statuses(httpx_mock, {"status": "running"}, {"status": "stopped", "exitstatus": "OK"})
    task = await aclient.nodes("pve1").qemu(101).delete()
    assert (await task.wait(poll=0.5))["status"] == "stopped"
    assert clock.sleeps == [0.1]


async def test_async_failure(aclient: AsyncProxmoxClient, httpx_mock: HTTPXMock) -> None:
    statuses(httpx_mock, {"status": "stopped", "exitstatus": "command failed"})
    httpx_mock.add_response(method="GET", json={"data": [{"n": 1, "t": "boom"}]})
    from pvectl.sdk import AsyncTask

    with pytest.raises(TaskFailed) as info:
        await AsyncTask(aclient, UPID).wait()
    assert info.value.log_tail == ["boom"]


def test_backoff_is_capped_by_poll(client: ProxmoxClient, httpx_mock: HTTPXMock, clock: FakeClock) -> None:
    running: list[dict[str, object]] = [{"status": "running"}] * 12
    statuses(httpx_mock, *running, {"status": "stopped", "exitstatus": "OK"})
    Task(client, UPID).wait(poll=2)
    assert clock.sleeps[0] == 0.1 and max(clock.sleeps) == 2 and clock.sleeps == sorted(clock.sleeps)


def test_status_without_status_is_an_error_after_a_few_tries(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="GET", url=STATUS_URL, json={"data": {"pid": 1}}, is_reusable=True)
    with pytest.raises(UnexpectedAnswer, match="unexpected answer from the server"):
        Task(client, UPID).wait()
    assert len(httpx_mock.get_requests()) == 3


def test_one_transient_500_while_polling_is_retried(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    client.retries = 0  # the task's own retry policy, not the transport's
    httpx_mock.add_response(method="GET", url=STATUS_URL, status_code=500, json={"data": None, "message": "busy"})
    statuses(httpx_mock, {"status": "stopped", "exitstatus": "OK"})
    assert Task(client, UPID).wait()["exitstatus"] == "OK"


def test_transient_errors_give_up_after_the_budget(
    client: ProxmoxClient, httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    client.retries = 0
    httpx_mock.add_response(method="GET", url=STATUS_URL, status_code=595, is_reusable=True)
    with pytest.raises(TaskLost) as info:
        Task(client, UPID).wait(transient_for=10)
    assert info.value.upid == UPID
    assert 10 <= sum(clock.sleeps) <= 13


def test_permission_denied_while_polling_is_not_retried(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="GET", url=STATUS_URL, status_code=403, json={"data": None, "message": "no"})
    from pvectl.sdk import PermissionDenied

    with pytest.raises(PermissionDenied):
        Task(client, UPID).wait()
