"""Property strings: PVE's parse/print rules (default key, aliases, keyAlias, booleans, commas)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pvectl.sdk._core import propstring
from pvectl.sdk._core.spec import load_spec
from pvectl.sdk.models.formats import AgentFormat, QemuEfidisk0Format, QemuNetFormat

NET = load_spec().op("POST /nodes/{node}/qemu").params["net[n]"]["property_string"]


def test_key_alias_prints_model_equals_mac() -> None:
    net = QemuNetFormat(model="virtio", macaddr="BC:24:11:00:00:01", bridge="vmbr9", firewall=True)
    assert net.to_pve() == "virtio=BC:24:11:00:00:01,bridge=vmbr9,firewall=1"


def test_key_alias_parses_back() -> None:
    assert propstring.parse("e1000=BC:24:11:00:00:01,bridge=vmbr0", NET) == {
        "model": "e1000",
        "macaddr": "BC:24:11:00:00:01",
        "bridge": "vmbr0",
    }


def test_default_key_and_lenient_booleans() -> None:
    agent = AgentFormat.parse("yes,fstrim_cloned_disks=on")
    assert agent.enabled is True
    assert agent.fstrim_cloned_disks is True
    assert agent.to_pve() == "1,fstrim_cloned_disks=1"


def test_efidisk_alias_volume_is_file() -> None:
    disk = QemuEfidisk0Format.parse("volume=ceph-pool:1,efitype=4m")
    assert disk.file == "ceph-pool:1"
    assert disk.to_pve() == "ceph-pool:1,efitype=4m"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("virtio,virtio", "duplicate key"),
        ("virtio,nope=1", "invalid key"),
        ("=x", "missing key"),
        ("bridge=a,bridge=b", "duplicate key"),
    ],
)
def test_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(propstring.PropertyStringError, match=message):
        propstring.parse(text, NET)


def test_commas_in_values_cannot_be_printed() -> None:
    with pytest.raises(propstring.PropertyStringError, match="commas"):
        propstring.render({"model": "virtio", "bridge": "a,b"}, NET)


def test_list_values_use_semicolons() -> None:
    assert propstring.render({"model": "virtio", "trunks": [10, 20]}, NET) == "virtio,trunks=10;20"


bridges = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # first example builds the model
@given(
    model=st.sampled_from(["virtio", "e1000", "rtl8139", "vmxnet3"]),
    bridge=bridges,
    firewall=st.booleans(),
    tag=st.integers(min_value=1, max_value=4094),
    queues=st.none() | st.integers(min_value=0, max_value=64),
)
def test_round_trip(model: str, bridge: str, firewall: bool, tag: int, queues: int | None) -> None:
    net = QemuNetFormat(model=model, bridge=bridge, firewall=firewall, tag=tag, queues=queues)
    assert QemuNetFormat.parse(net.to_pve()) == net
