"""A second, independent client: plain httpx requests written from the PVE API documentation.

Proves the simulator speaks PVE's HTTP (tickets, cookies, CSRF, tokens, form bodies, the envelope, error
answers) and not just whatever the SDK happens to send.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.sim.conftest import SimClock

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def cookie(ticket: str) -> dict[str, str]:
    return {"Cookie": f"PVEAuthCookie={ticket}"}


def login(http: httpx.Client, password: str, **extra: str) -> dict[str, str]:
    r = http.post("/access/ticket", data={"username": "root@pam", "password": password, **extra})
    assert r.status_code == 200, r.text
    data: dict[str, str] = r.json()["data"]
    return data


def test_ticket_login_and_cookie(http: httpx.Client, password: str) -> None:
    data = login(http, password)
    assert data["username"] == "root@pam" and data["ticket"].startswith("PVE:root@pam:")
    r = http.get("/nodes", headers=cookie(data["ticket"]))
    assert r.status_code == 200 and [n["node"] for n in r.json()["data"]] == ["pve1", "pve2"]


def test_realm_may_be_given_separately(http: httpx.Client, password: str) -> None:
    r = http.post("/access/ticket", data={"username": "root", "realm": "pam", "password": password})
    assert r.status_code == 200 and r.json()["data"]["username"] == "root@pam"


def test_wrong_password_and_no_credentials_are_401(http: httpx.Client) -> None:
    r = http.post("/access/ticket", data={"username": "root@pam", "password": "wrong"})
    assert r.status_code == 401 and r.reason_phrase == "authentication failure"
    assert http.get("/nodes").status_code == 401
    assert http.get("/nodes", headers=cookie("PVE:root@pam:6560A3B2::forged")).status_code == 401
    assert http.get("/nodes", headers={"Authorization": "PVEAPIToken=root@pam!sim=wrong"}).status_code == 401


def test_writes_with_a_ticket_need_the_csrf_token(http: httpx.Client, password: str) -> None:
    data = login(http, password)
    cookies = cookie(data["ticket"])
    r = http.post("/pools", data={"poolid": "nocsrf"}, headers=cookies)
    assert r.status_code == 401 and "csrf" in r.reason_phrase.lower()
    r = http.post("/pools", data={"poolid": "badcsrf"}, headers={**cookies, "CSRFPreventionToken": "0:x"})
    assert r.status_code == 401
    r = http.post(
        "/pools", data={"poolid": "withcsrf"}, headers={**cookies, "CSRFPreventionToken": data["CSRFPreventionToken"]}
    )
    assert r.status_code == 200 and r.json() == {"data": None}
    pools = {p["poolid"] for p in http.get("/pools", headers=cookies).json()["data"]}
    assert "withcsrf" in pools and "nocsrf" not in pools


def test_token_auth_needs_no_csrf(http: httpx.Client, token: str) -> None:
    r = http.post("/pools", data={"poolid": "bytoken"}, headers={"Authorization": f"PVEAPIToken={token}"})
    assert r.status_code == 200


def test_token_refused_where_pve_wants_a_ticket(http: httpx.Client, token: str) -> None:
    r = http.put(
        "/access/password",
        data={"userid": "root@pam", "password": "newpassword"},
        headers={"Authorization": f"PVEAPIToken={token}"},
    )
    assert r.status_code == 401 and "not available with API token" in r.reason_phrase


def test_tickets_expire_after_two_hours_and_can_be_renewed(http: httpx.Client, password: str, clock: SimClock) -> None:
    data = login(http, password)
    clock.offset += 3600
    renewed = login(http, data["ticket"])  # a valid ticket as the password renews it
    assert renewed["ticket"] != data["ticket"]
    clock.offset += 3601
    assert http.get("/version", headers=cookie(data["ticket"])).status_code == 401
    assert http.get("/version", headers=cookie(renewed["ticket"])).status_code == 200


def test_nextid_is_a_json_string(http: httpx.Client, token: str) -> None:
    r = http.get("/cluster/nextid", headers={"Authorization": f"PVEAPIToken={token}"})
    assert r.status_code == 200 and r.content.replace(b" ", b"") == b'{"data":"103"}'


def test_parameter_errors_one_per_validation_kind(http: httpx.Client, token: str) -> None:
    body = "&".join(
        [
            "vmid=99",  # named format pve-vmid
            "cores=abc",  # integer type
            "onboot=true",  # top-level booleans are only 1/0
            "ostype=dos",  # enum
            "sockets=0",  # minimum
            "startdate=tomorrow",  # pattern
            "net0=virtio,bridge=vmbr9,bogus=1",  # property-string key
            "net1=virtio,tag=5000",  # property-string value
            "bogus=1",  # unknown parameter
            "memory=1024&memory=2048",  # repeated key for a scalar
        ]
    )
    r = http.post("/nodes/pve1/qemu", content=body, headers={**FORM, "Authorization": f"PVEAPIToken={token}"})
    assert r.status_code == 400 and r.reason_phrase == "Parameter verification failed."
    errors = r.json()["errors"]
    assert set(errors) == {"vmid", "cores", "onboot", "ostype", "sockets", "startdate", "net0", "net1", "bogus"} | {
        "memory"
    }
    assert errors["cores"] == "type check ('integer') failed - got 'abc'"
    assert errors["onboot"] == "type check ('boolean') failed - got 'true'"
    assert errors["ostype"].startswith("value 'dos' does not have a value in the enumeration")
    assert errors["sockets"] == "value must have a minimum value of 1"
    assert errors["startdate"] == "value does not match the regex pattern"
    assert "invalid key in comma-separated list property: bogus" in errors["net0"]
    assert "net1.tag: value must have a maximum value of 4094" in errors["net1"]
    assert errors["bogus"] == "property is not defined in schema and the schema does not allow additional properties"
    assert errors["memory"] == "type check ('string') failed - got ARRAY"


def test_missing_required_parameter(http: httpx.Client, token: str) -> None:
    r = http.post("/nodes/pve1/qemu", data={"name": "x"}, headers={"Authorization": f"PVEAPIToken={token}"})
    assert r.status_code == 400 and r.json()["errors"] == {"vmid": "property is missing and it is not optional"}


def test_form_pairs_split_on_semicolons_and_json_bodies(http: httpx.Client, token: str) -> None:
    auth = {"Authorization": f"PVEAPIToken={token}"}
    r = http.post("/pools", content="poolid=semi;comment=second", headers={**FORM, **auth})
    assert r.status_code == 200
    assert http.get("/pools", params={"poolid": "semi"}, headers=auth).json()["data"][0]["comment"] == "second"
    r = http.post("/pools", json={"poolid": "json1", "comment": "from JSON"}, headers=auth)
    assert r.status_code == 200
    r = http.post("/nodes/pve1/qemu/100/agent/exec", content="command=ls&command=-l", headers={**FORM, **auth})
    # repeated keys make an array: the parameters pass (no 400), the guest agent's own answer comes back
    assert r.status_code != 400, r.text
    assert r.status_code == 200 or "guest agent" in r.reason_phrase or "not running" in r.reason_phrase


def test_paths_routing_and_conflicts(http: httpx.Client, token: str) -> None:
    auth = {"Authorization": f"PVEAPIToken={token}"}
    r = http.get("/nodes/pve1/nonexistent", headers=auth)
    assert r.status_code == 501 and r.reason_phrase == "Method 'GET /nodes/pve1/nonexistent' not implemented"
    r = http.get("/nodes/pve1/qemu", params={"node": "pve2"}, headers=auth)
    assert r.status_code == 400 and "node" in r.json()["errors"]
    volid = quote("cephfs:iso/debian-12.8.0-amd64-netinst.iso", safe="")
    r = http.get(f"/nodes/pve1/storage/cephfs/content/{volid}", headers=auth)
    assert r.status_code == 200 and r.json()["data"]["size"] == 661_651_456
    r = http.get("/nodes/pve7/qemu", headers=auth)
    assert r.status_code == 500 and "hostname lookup 'pve7' failed" in r.reason_phrase


@pytest.mark.parametrize("sid", ["vm:101", "101"])
def test_ha_resources_create_list_delete(http: httpx.Client, token: str, sid: str) -> None:
    auth = {"Authorization": f"PVEAPIToken={token}"}
    assert http.post("/cluster/ha/resources", data={"sid": sid, "state": "stopped"}, headers=auth).status_code == 200
    again = http.post("/cluster/ha/resources", data={"sid": sid}, headers=auth)
    assert again.status_code == 500 and again.reason_phrase == "resource ID 'vm:101' already defined"
    listed = http.get("/cluster/ha/resources", headers=auth).json()["data"]
    assert {"vm:100", "vm:101"} <= {r["sid"] for r in listed}
    assert http.delete("/cluster/ha/resources/vm:101", headers=auth).status_code == 200
    assert "vm:101" not in {r["sid"] for r in http.get("/cluster/ha/resources", headers=auth).json()["data"]}


def test_task_lists_carry_a_total(http: httpx.Client, token: str) -> None:
    auth = {"Authorization": f"PVEAPIToken={token}"}
    for _ in range(3):
        assert http.post("/nodes/pve2/qemu/102/status/stop", headers=auth).status_code == 200
    body = http.get("/nodes/pve2/tasks", params={"limit": 2}, headers=auth).json()
    assert body["total"] == 3 and len(body["data"]) == 2
    assert all(t["user"] == token.split("=")[0] for t in body["data"])


def test_authentication_comes_before_parsing(http: httpx.Client, token: str) -> None:
    garbage = {"Content-Type": "application/json"}
    assert http.post("/pools", content=b"{not json", headers=garbage).status_code == 401
    r = http.post("/pools", content=b"{not json", headers={**garbage, "Authorization": f"PVEAPIToken={token}"})
    assert r.status_code == 400 and r.reason_phrase.startswith("unable to parse JSON body")
