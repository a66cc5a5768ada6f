"""Client-side validation from the schema: errors name the parameter, nothing is sent."""

from __future__ import annotations

import pytest
from pytest_httpx import HTTPXMock

from pvectl.sdk import ProxmoxClient, ValidationError


@pytest.mark.parametrize(
    ("kwargs", "param", "message"),
    [
        ({"cores": 0}, "cores", "value must have a minimum value of 1"),
        ({"ostype": "beos"}, "ostype", "does not have a value in the enumeration"),
        ({"name": "bad name!"}, "name", "invalid format"),
        ({"net": {0: "virtio,bogus=1"}}, "net0", "invalid key in comma-separated list property: bogus"),
        ({"net": {0: "virtio,mtu=70000"}}, "net0", "net0.mtu: value must have a maximum value of 65520"),
        ({"net": {40: "virtio"}}, "net40", "property is not defined in schema"),
        ({"scsi": {0: "local:32,format=exe"}}, "scsi0", "scsi0.format"),
        ({"description": "x" * 9000}, "description", "may only be 8192 characters long"),
        ({"memory": "lots"}, "memory", "invalid format"),
    ],
)
def test_invalid_values_are_refused_before_sending(
    client: ProxmoxClient, httpx_mock: HTTPXMock, kwargs: dict[str, object], param: str, message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        client.nodes("pve1").qemu.create(vmid=100, **kwargs)  # type: ignore[arg-type]
    assert param in info.value.errors
    assert message in info.value.errors[param]
    assert param in str(info.value)
    assert httpx_mock.get_requests() == []


def test_unknown_keyword_is_refused(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    with pytest.raises(ValidationError) as info:
        client.request("POST", "/nodes/pve1/qemu", {"vmid": 100, "colour": "red"})
    assert "colour" in info.value.errors
    assert httpx_mock.get_requests() == []


def test_path_values_are_validated_too(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    with pytest.raises(ValidationError) as info:
        client.nodes("pve1").qemu(42).config.get()
    assert "vmid" in info.value.errors
    assert httpx_mock.get_requests() == []


def test_wrong_python_type_names_the_parameter(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    with pytest.raises(ValidationError) as info:
        client.nodes("pve1").qemu.create(vmid=100, name=["a", "b"])  # type: ignore[arg-type]
    assert set(info.value.errors) == {"name"}
    assert httpx_mock.get_requests() == []


def test_required_parameter_missing(client: ProxmoxClient, httpx_mock: HTTPXMock) -> None:
    with pytest.raises(ValidationError) as info:
        client.request("POST", "/pools", {})
    assert info.value.errors == {"poolid": "property is missing and it is not optional"}
