"""The version table refuses what the server's release lacks, before sending."""

from __future__ import annotations

import pytest
from pytest_httpx import HTTPXMock

from pvectl.sdk import AsyncProxmoxClient, ProxmoxClient, UnsupportedByServer
from pvectl.sdk._versions import RELEASES, TABLE
from tests.conftest import BASE, TOKEN

UPID = "UPID:pve1:0000A1B2:0001C3D4:6740AB12:qmcreate:101:root@pam:"


def test_table_covers_eight_releases_and_all_methods() -> None:
    # pve-manager releases (GET /version), not the pve-docs labels of the dumps (schemas/releases.toml)
    assert RELEASES == ("7.4-3", "8.0.5", "8.1.8", "8.2.10", "8.3.5", "8.4.0", "9.0.17", "9.1.9")
    assert sum(1 for present, _ in TABLE.values() if present[-1] == "1") == 649
    _, params = TABLE["POST /nodes/{node}/qemu"]
    assert params["ha-managed"] == "00000011"
    assert params["memory"] == "11111111"


def test_param_refused_on_older_server(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{BASE}/version", json={"data": {"version": "8.4.0", "release": "8.4"}})
    with ProxmoxClient("pve1", token=TOKEN) as client, pytest.raises(UnsupportedByServer) as info:
        client.nodes("pve1").qemu.create(vmid=101, ha_managed=True)
    assert info.value.name == "ha-managed"
    assert info.value.since == "9.0.17"
    assert "ha-managed" in str(info.value) and "9.0.17" in str(info.value) and "8.4.0" in str(info.value)
    assert [r.url.path for r in httpx_mock.get_requests()] == ["/api2/json/version"]


def test_method_refused_on_older_server(httpx_mock: HTTPXMock) -> None:
    with (
        ProxmoxClient("pve1", token=TOKEN, server_version="8.4.0") as client,
        pytest.raises(UnsupportedByServer) as info,
    ):
        client.request("GET", "/cluster/ha/rules")
    assert info.value.since == "9.0.17"
    assert httpx_mock.get_requests() == []


def test_version_is_fetched_once(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=f"{BASE}/version", json={"data": {"version": "9.1.3"}})
    httpx_mock.add_response(url=f"{BASE}/nodes", json={"data": []}, is_reusable=True)
    with ProxmoxClient("pve1", token=TOKEN) as client:
        client.nodes.list()
        client.nodes.list()
        assert client.server_version == "9.1.3"
    assert len(httpx_mock.get_requests()) == 3


def test_opt_out_for_newer_or_unknown_servers(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": UPID})
    with ProxmoxClient("pve1", token=TOKEN, check_version=False) as client:
        client.nodes("pve1").qemu.create(vmid=101, ha_managed=True)
    assert len(httpx_mock.get_requests()) == 1


async def test_async_refusal(httpx_mock: HTTPXMock) -> None:
    async with AsyncProxmoxClient("pve1", token=TOKEN, server_version="8.0.5") as client:
        with pytest.raises(UnsupportedByServer):
            await client.nodes("pve1").qemu.create(vmid=101, ha_managed=True)
    assert httpx_mock.get_requests() == []


def test_newer_server_is_checked_against_newest_known(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": UPID})
    with ProxmoxClient("pve1", token=TOKEN, server_version="9.3.1") as client:
        client.nodes("pve1").qemu.create(vmid=101, ha_managed=True)


def test_the_schemas_own_release_has_everything_the_schema_names() -> None:
    # what lets a client of a 9.1.3 (or newer) server skip loading the table for calls with schema parameters
    from pvectl.sdk._core.spec import load_spec

    spec = load_spec()
    assert RELEASES[-1] == spec.version
    for key, (present, by_param) in TABLE.items():
        if key not in spec.ops:
            continue
        assert present[-1] == "1", key
        for name in spec.op(key).params:
            assert by_param.get(name, "1")[-1] == "1", (key, name)


def test_a_call_to_the_schemas_release_does_not_load_the_table() -> None:
    import subprocess
    import sys

    code = """
import sys, httpx
from pvectl.sdk import ProxmoxClient
t = httpx.MockTransport(lambda r: httpx.Response(200, json={"data": {"vmid": 100, "status": "running"}}))
c = ProxmoxClient("pve1", token="root@pam!b=s", server_version=sys.argv[1], transport=t)
assert c.nodes("pve1").qemu(100).status.current().vmid == 100
print("pvectl.sdk._versions" in sys.modules)
"""
    loaded = {
        version: subprocess.run(
            [sys.executable, "-c", code, version], capture_output=True, text=True, check=True
        ).stdout.strip()
        for version in ("9.1.9", "9.2.1", "8.4.0")
    }
    assert loaded == {"9.1.9": "False", "9.2.1": "False", "8.4.0": "True"}
