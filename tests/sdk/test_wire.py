"""Exact wire format of typed calls: URL, method, form body; only what the caller set is sent."""

from __future__ import annotations

from urllib.parse import parse_qsl

import httpx
import pytest
from pytest_httpx import HTTPXMock

from pvectl.sdk import AsyncProxmoxClient, ProxmoxClient, Task
from pvectl.sdk.models.formats import QemuNetFormat, QemuScsiFormat
from tests.conftest import BASE, TOKEN

UPID = "UPID:pve1:0000A1B2:0001C3D4:6740AB12:qmcreate:101:root@pam:"


def form(request: httpx.Request) -> list[tuple[str, str]]:
    return parse_qsl(request.content.decode(), keep_blank_values=True)


def create_kwargs() -> dict[str, object]:
    return {
        "vmid": 101,
        "name": "web1",
        "memory": "2048",
        "ostype": "l26",
        "agent": "1",
        "onboot": False,
        "tags": "prod;web",
        "net": {0: QemuNetFormat(model="virtio", bridge="vmbr9", firewall=True, tag=20)},
        "scsi": {0: QemuScsiFormat(file="ceph-pool:32", iothread=True, ssd=True, aio="io_uring", format_="raw")},
        "ide2": "cephfs:iso/nixos.iso,media=cdrom",
    }


EXPECTED = [
    ("vmid", "101"),
    ("agent", "1"),
    ("memory", "2048"),
    ("name", "web1"),
    ("net0", "virtio,bridge=vmbr9,firewall=1,tag=20"),
    ("onboot", "0"),
    ("ostype", "l26"),
    ("scsi0", "ceph-pool:32,aio=io_uring,format=raw,iothread=1,ssd=1"),
    ("tags", "prod;web"),
    ("ide2", "cephfs:iso/nixos.iso,media=cdrom"),
]


def test_create_sends_exact_form(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=f"{BASE}/nodes/pve1/qemu", json={"data": UPID})
    task = client.nodes("pve1").qemu.create(**create_kwargs())  # type: ignore[arg-type]
    request = httpx_mock.get_requests()[0]
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["Authorization"] == f"PVEAPIToken={TOKEN}"
    assert form(request) == EXPECTED
    assert isinstance(task, Task) and task.upid.type == "qmcreate" and task.node == "pve1"


async def test_async_create_sends_the_same_form(aclient: AsyncProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=f"{BASE}/nodes/pve1/qemu", json={"data": UPID})
    task = await aclient.nodes("pve1").qemu.create(**create_kwargs())  # type: ignore[arg-type]
    assert form(httpx_mock.get_requests()[0]) == EXPECTED
    assert task.upid.raw == UPID


def test_indexed_keywords_and_raw_strings(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": UPID})
    client.nodes("pve1").qemu.create(vmid=102, net1="e1000,bridge=vmbr0", scsi={3: "local-lvm:10"})
    assert form(httpx_mock.get_requests()[0]) == [
        ("vmid", "102"),
        ("scsi3", "local-lvm:10"),
        ("net1", "e1000,bridge=vmbr0"),
    ]


def test_only_set_parameters_are_sent_and_get_uses_query(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": []}, is_reusable=True)
    client.nodes("pve1").qemu.list()
    client.nodes("pve1").qemu.list(full=True)
    first, second = httpx_mock.get_requests()
    assert str(first.url) == f"{BASE}/nodes/pve1/qemu" and first.content == b""
    assert str(second.url) == f"{BASE}/nodes/pve1/qemu?full=1"


def test_path_parameters_are_percent_encoded_and_not_in_body(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": None})
    client.nodes("pve1").storage("cephfs").content("cephfs:iso/nixos minimal.iso").delete()
    request = httpx_mock.get_requests()[0]
    assert (
        request.url.raw_path.decode()
        == "/api2/json/nodes/pve1/storage/cephfs/content/cephfs%3Aiso%2Fnixos%20minimal.iso"
    )
    assert request.content == b""


def test_list_formats_are_joined_and_semicolons_escaped(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": None})
    client.nodes("pve1").qemu(101).config.set(delete=["net1", "scsi2"], tags="a;b")
    body = httpx_mock.get_requests()[0].content.decode()
    assert "delete=net1%2Cscsi2" in body
    assert "tags=a%3Bb" in body  # PVE splits form pairs on ';' too


def test_array_parameters_repeat_the_key(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": {"pid": 42}})
    client.nodes("pve1").qemu(101).agent.exec(command=["ls", "-l"])
    assert form(httpx_mock.get_requests()[0]) == [("command", "ls"), ("command", "-l")]


@pytest.mark.parametrize(("value", "wire"), [(True, "1"), (False, "0")])
def test_booleans_are_one_and_zero(client: ProxmoxClient, httpx_mock: HTTPXMock, value: bool, wire: str) -> None:
    httpx_mock.add_response(json={"data": UPID})
    client.nodes("pve1").qemu(101).status.start(skiplock=value)
    assert form(httpx_mock.get_requests()[0]) == [("skiplock", wire)]


def test_pvesh_style_request_resolves_the_path(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": "105"})
    assert client.request("GET", "/cluster/nextid") == "105"


def test_string_number_return_is_coerced(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": "105"})  # PVE returns nextid as a JSON string
    assert client.cluster.nextid() == 105
