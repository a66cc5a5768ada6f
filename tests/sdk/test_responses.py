"""Responses are lenient: string numbers, extra keys, undeclared shapes never break a call."""

from __future__ import annotations

import logging

import pytest
from pytest_httpx import HTTPXMock

from pvectl.sdk import AsyncProxmoxClient, ProxmoxClient
from pvectl.sdk.models.formats import QemuNetFormat

QEMU_CONFIG = {
    "boot": "order=scsi0;ide2;net0",
    "cores": "2",
    "memory": "2048",
    "name": "web1",
    "net0": "virtio=BC:24:11:2A:7F:01,bridge=vmbr9,firewall=1",
    "net1": "e1000=BC:24:11:2A:7F:02,bridge=vmbr0",
    "scsi0": "ceph-pool:vm-101-disk-0,iothread=1,size=32G,ssd=1",
    "scsihw": "virtio-scsi-single",
    "digest": "0f3c9b0d5f1e1f2b9c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9",
    "agent": "1",
    "numa": 0,
    "undocumented-by-pve": {"x": 1},
}


def test_real_looking_qemu_config(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": QEMU_CONFIG})
    config = client.nodes("pve1").qemu(101).config.get()
    assert config.cores == 2 and config.memory == "2048" and config.numa is False
    assert config.indexed("net") == {0: QEMU_CONFIG["net0"], 1: QEMU_CONFIG["net1"]}
    assert config.indexed("scsi") == {0: QEMU_CONFIG["scsi0"]}
    assert config.model_extra is not None and config.model_extra["undocumented-by-pve"] == {"x": 1}
    net0 = QemuNetFormat.parse(config.indexed("net")[0])
    assert (net0.model, net0.macaddr, net0.bridge, net0.firewall) == ("virtio", "BC:24:11:2A:7F:01", "vmbr9", True)


async def test_async_list_with_string_numbers(aclient: AsyncProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": [{"vmid": "100", "status": "running", "maxmem": "2147483648", "x": 1}]})
    (vm,) = await aclient.nodes("pve1").qemu.list()
    assert vm.vmid == 100 and vm.maxmem == 2147483648 and vm.model_extra == {"x": 1}


def test_field_of_unexpected_shape_keeps_raw_value(
    client: ProxmoxClient, httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture
) -> None:
    httpx_mock.add_response(json={"data": [{"vmid": 100, "maxmem": "lots", "name": "a"}]})
    with caplog.at_level(logging.WARNING, logger="pvectl.sdk"):
        (vm,) = client.nodes("pve1").qemu.list()
    assert vm.maxmem == "lots"  # type: ignore[comparison-overlap]
    assert vm.vmid == 100 and vm.name == "a"
    assert "maxmem" in caplog.text


def test_untyped_return_is_plain_json(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": {"anything": [1, 2]}})
    assert client.request("GET", "/nodes/pve1/qemu/101/agent/get-osinfo") == {"anything": [1, 2]}


def test_null_return(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": None})
    client.nodes("pve1").qemu(101).config.set(cores=4)
    assert httpx_mock.get_requests()[0].method == "PUT"
