"""Responses are lenient: string numbers, extra keys, undeclared shapes never break a call or lose data."""

from __future__ import annotations

import logging
import warnings

import pytest
from pytest_httpx import HTTPXMock

from pvectl.sdk import AsyncProxmoxClient, ProxmoxClient
from pvectl.sdk.models.formats import MemoryFormat, QemuNetFormat

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
    "template": "",
    "undocumented-by-pve": {"x": 1},
}


@pytest.fixture
def debug_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="pvectl.sdk")
    return caplog


def test_real_looking_qemu_config(
    client: ProxmoxClient, httpx_mock: HTTPXMock, debug_log: pytest.LogCaptureFixture
) -> None:
    httpx_mock.add_response(json={"data": QEMU_CONFIG})
    config = client.nodes("pve1").qemu(101).config.get()
    assert config.cores == 2 and config.numa is False and config.template is False
    assert config.memory == MemoryFormat(current=2048)  # the property string, parsed
    assert config.agent is not None and config.agent.enabled is True
    assert config.indexed("net") == {0: QEMU_CONFIG["net0"], 1: QEMU_CONFIG["net1"]}
    assert config.indexed("scsi") == {0: QEMU_CONFIG["scsi0"]}
    assert config.model_extra is not None and config.model_extra["undocumented-by-pve"] == {"x": 1}
    net0 = config.parsed("net0")
    assert isinstance(net0, QemuNetFormat)
    assert (net0.model, net0.macaddr, net0.bridge, net0.firewall) == ("virtio", "BC:24:11:2A:7F:01", "vmbr9", True)
    assert config.indexed("net", parse=True)[1].bridge == "vmbr0"
    assert config.parsed("net7") is None
    assert not [r for r in debug_log.records if "kept raw" in r.getMessage()]


def test_pve8_integer_memory_is_parsed(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": {"memory": 4096, "balloon": "0"}})
    config = client.nodes("pve1").qemu(101).config.get()
    assert config.memory == MemoryFormat(current=4096) and config.balloon == 0
    assert config.model_dump(by_alias=True, exclude_unset=True) == {"memory": {"current": 4096}, "balloon": 0}


def test_parsed_rejects_keys_that_are_not_property_strings(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": {"name": "a", "net0": "model=nonsense-no-such-key,zzz=1"}})
    config = client.nodes("pve1").qemu(101).config.get()
    with pytest.raises(KeyError):
        config.parsed("name")
    with pytest.raises(ValueError):
        config.parsed("net0")


async def test_async_list_with_string_numbers(aclient: AsyncProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": [{"vmid": "100", "status": "running", "maxmem": "2147483648", "x": 1}]})
    (vm,) = await aclient.nodes("pve1").qemu.list()
    assert vm.vmid == 100 and vm.maxmem == 2147483648 and vm.model_extra == {"x": 1}


def test_field_of_unexpected_shape_keeps_raw_value_quietly(
    client: ProxmoxClient, httpx_mock: HTTPXMock, debug_log: pytest.LogCaptureFixture
) -> None:
    httpx_mock.add_response(json={"data": [{"vmid": 100, "maxmem": "lots", "name": "a"}]})
    (vm,) = client.nodes("pve1").qemu.list()
    assert vm.maxmem == "lots"  # type: ignore[comparison-overlap]
    assert vm.vmid == 100 and vm.name == "a"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no serializer warning for the value kept as sent
        assert vm.model_dump(exclude_unset=True) == {"vmid": 100, "maxmem": "lots", "name": "a"}
        assert '"maxmem":"lots"' in vm.model_dump_json(exclude_unset=True)
    (record,) = [r for r in debug_log.records if "kept raw" in r.getMessage()]
    assert record.levelno == logging.DEBUG and "maxmem" in record.getMessage()


def test_nothing_on_stderr_without_logging_configured(
    client: ProxmoxClient, httpx_mock: HTTPXMock, capsys: pytest.CaptureFixture[str]
) -> None:
    httpx_mock.add_response(json={"data": {"cpus": "many", "maxmem": []}})
    assert client.nodes("pve1").qemu(100).status.current().cpus == "many"  # type: ignore[comparison-overlap]
    assert capsys.readouterr().err == ""
    assert any(isinstance(h, logging.NullHandler) for h in logging.getLogger("pvectl.sdk").handlers)


def test_object_where_list_declared_is_kept(
    client: ProxmoxClient, httpx_mock: HTTPXMock, debug_log: pytest.LogCaptureFixture
) -> None:
    httpx_mock.add_response(json={"data": {"100": {"vmid": 100}}})
    got = client.nodes("pve1").qemu.list()
    assert got == {"100": {"vmid": 100}}  # type: ignore[comparison-overlap]
    assert any("kept raw" in r.getMessage() for r in debug_log.records)


def test_list_where_object_declared_is_kept(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": [{"status": "running"}]})
    assert client.nodes("pve1").qemu(100).status.current() == [{"status": "running"}]  # type: ignore[comparison-overlap]


def test_empty_list_for_an_object_is_an_empty_object(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": {"status": "running", "ha": []}})
    current = client.nodes("pve1").qemu(100).status.current()
    assert current.ha == {} and current.status == "running"


def test_object_sent_as_property_string(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": [{"id": "backup-1", "prune-backups": "keep-daily=7,keep-weekly=4"}]})
    (job,) = client.cluster.backup.list()
    assert job.prune_backups is not None
    assert (job.prune_backups.keep_daily, job.prune_backups.keep_weekly) == (7, 4)


@pytest.mark.parametrize(
    ("sent", "expected"), [("", False), (0, False), (1, True), ("0", False), ("1", True), (True, True)]
)
def test_booleans(client: ProxmoxClient, httpx_mock: HTTPXMock, sent: object, expected: bool) -> None:
    httpx_mock.add_response(json={"data": {"template": sent}})
    assert client.nodes("pve1").qemu(100).status.current().template is expected


def test_numbers_where_strings_declared(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": {"name": 123, "tags": 5}})
    current = client.nodes("pve1").qemu(100).status.current()
    assert current.name == "123" and current.tags == "5"


def test_untyped_return_is_plain_json(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    realm = {"type": "ldap", "server1": "ldap.example.com", "base_dn": "dc=example,dc=com", "digest": "ab"}
    httpx_mock.add_response(json={"data": realm})
    assert client.access.domains("corp").get() == realm


def test_null_return(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": None})
    client.nodes("pve1").qemu(101).config.set(cores=4)
    assert httpx_mock.get_requests()[0].method == "PUT"
