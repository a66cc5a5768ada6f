"""Every one of the 649 methods of the 9.1.3 schema answers, validated, with data shaped by its ``returns``."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from pvectl.sdk._core.spec import OpSpec, load_spec
from pvectl.sdk._core.upid import is_upid
from pvectl.sim.core import Simulator

SPEC = load_spec()
PATH_VALUES = {
    "node": "pve1",
    "vmid": "100",
    "storage": "local",
    "userid": "root@pam",
    "realm": "pam",
    "poolid": "prod",
    "iface": "vmbr0",
    "sid": "vm:100",
    "volume": "local:iso/virtio-win-0.1.266.iso",
    "upid": "UPID:pve1:00001000:000F5240:6B023394:qmcreate:100:root@pam:",
}
TYPES: dict[str, Any] = {"object": dict, "array": list, "string": str, "boolean": int, "integer": int, "number": float}


def concrete(op: OpSpec) -> str:
    path = op.path
    for name in op.path_params:
        path = path.replace("{" + name + "}", quote(PATH_VALUES.get(name, "x1"), safe=""))
    return path


def shape_ok(returns: dict[str, Any], data: Any) -> bool:
    rtype = returns.get("type") or ("object" if "properties" in returns else None)
    if data is None:
        return rtype in (None, "null") or bool(returns.get("optional")) or rtype == "object"
    if rtype in (None, "any", "null"):
        return True
    if rtype == "number":
        return isinstance(data, (int, float))
    return isinstance(data, TYPES[rtype])


def ticket_headers(sim: Simulator, password: str) -> dict[str, str]:
    body = f"username=root@pam&password={quote(password)}".encode()
    data = sim.handle("POST", "/api2/json/access/ticket", body=body).json()["data"]
    return {"Cookie": f"PVEAuthCookie={data['ticket']}", "CSRFPreventionToken": data["CSRFPreventionToken"]}


def test_every_method_answers(sim: Simulator, password: str) -> None:
    assert len(SPEC.ops) == 649
    # A ticket, not a token: five methods refuse tokens.
    headers = ticket_headers(sim, password)
    statuses: dict[int, int] = {}
    for key, op in sorted(SPEC.ops.items()):
        answer = sim.handle(op.method, "/api2/json" + concrete(op), headers=headers)
        statuses[answer.status] = statuses.get(answer.status, 0) + 1
        body = answer.json()
        assert answer.status in (200, 400, 500), (key, answer.status, answer.reason)
        assert "internal simulator error" not in answer.reason, (key, answer.reason)
        if answer.status == 400:
            missing = {n for n, s in op.params.items() if not s.get("optional") and n not in op.path_params}
            # optional in the schema, yet one of a set must be given (Backup.pm $schedule_param_check,
            # VZDump.pm verify_vzdump_parameters)
            missing |= {"POST /cluster/backup": {"schedule"}, "POST /nodes/{node}/vzdump": {"vmid"}}.get(key, set())
            assert set(body["errors"]) <= missing | set(op.path_params), (key, body["errors"])
        elif answer.status == 200:
            if op.task and body["data"] is not None:
                assert is_upid(body["data"]), key
            elif key != "GET /cluster/nextid":  # PVE answers nextid as a string
                assert shape_ok(dict(op.returns), body["data"]), (key, body["data"])
    assert statuses[200] > 300  # most methods answer with data, not just an error


@pytest.mark.parametrize(
    "key", ["GET /nodes/{node}/capabilities/qemu", "GET /cluster/ceph/metadata", "GET /nodes/{node}/apt/update"]
)
def test_generic_answers_follow_the_schema(sim: Simulator, token: str, key: str) -> None:
    op = SPEC.ops[key]
    answer = sim.handle("GET", "/api2/json" + concrete(op), headers={"Authorization": f"PVEAPIToken={token}"})
    assert answer.status == 200
    data = answer.json()["data"]
    if op.returns.get("type") == "object":
        required = {k for k, v in op.returns.get("properties", {}).items() if not v.get("optional")}
        assert required <= set(data)
    else:
        assert data == []


def test_generic_task_methods_start_tasks_that_finish(sim: Simulator, token: str) -> None:
    headers = {"Authorization": f"PVEAPIToken={token}"}
    answer = sim.handle("POST", "/api2/json/nodes/pve1/qemu/100/snapshot", body=b"snapname=before", headers=headers)
    upid = answer.json()["data"]
    assert answer.status == 200 and is_upid(upid)
    status = sim.handle("GET", f"/api2/json/nodes/pve1/tasks/{quote(upid)}/status", headers=headers).json()["data"]
    assert status["status"] == "stopped" and status["exitstatus"] == "OK"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/nodes/pve1/qemu/999/snapshot", "Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist"),
        ("/nodes/pve1/qemu/101/snapshot", "Configuration file 'nodes/pve1/qemu-server/101.conf' does not exist"),
        ("/nodes/pve1/lxc/100/config", "Configuration file 'nodes/pve1/lxc/100.conf' does not exist"),
    ],
)
def test_guest_sub_resources_need_the_guest(sim: Simulator, token: str, path: str, message: str) -> None:
    answer = sim.handle("GET", f"/api2/json{path}", headers={"Authorization": f"PVEAPIToken={token}"})
    assert answer.status == 500 and answer.reason == message
