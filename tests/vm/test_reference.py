"""Reference data states (ready, empty, error + retry) and the lenient resolver used by prompts and the TUI."""

from __future__ import annotations

from pvectl.sdk import ProxmoxClient
from pvectl.sim.core import Simulator
from pvectl.sim.mock import mock_transport
from pvectl.vm.config import VmConfig
from pvectl.vm.reference import Ref, ReferenceData
from pvectl.vm.resolve import resolve
from tests.vm.conftest import SimCli


def test_states() -> None:
    assert Ref(value=[1]).state == "ready"
    assert Ref(value=[]).state == "empty"
    assert Ref(error="boom").state == "error"


def test_error_is_not_cached_and_retry_succeeds(cli: SimCli) -> None:
    cli.sim.inject("fail:path=/nodes,method=GET,status=500,message=cluster not ready")
    client = ProxmoxClient("127.0.0.1", token=_token(cli.sim), transport=mock_transport(cli.sim), retries=0)
    ref = ReferenceData(client)
    first = ref.nodes()
    assert first.state == "error" and "cluster not ready" in (first.error or "")
    second = ref.nodes()
    assert second.state == "ready"
    assert [n.node for n in second.get([])] == ["pve1", "pve2"]
    assert all(n.status == "online" for n in second.get([]))


def test_reference_lists(cli: SimCli) -> None:
    ref = ReferenceData(ProxmoxClient("127.0.0.1", token=_token(cli.sim), transport=mock_transport(cli.sim)))
    assert ref.realms().get([])[0].realm in ("pam", "pve")
    assert any(r.default and r.realm == "pam" for r in ref.realms().get([]))
    isos = ref.isos("pve1", "cephfs").get([])
    assert isos[0].filename.startswith("nixos-minimal-")  # newest NixOS first
    assert {s.storage for s in ref.image_storages("pve1").get([])} >= {"ceph-pool", "local", "local-lvm"}
    local = next(s for s in ref.image_storages("pve1").get([]) if s.storage == "local")
    assert local.formats == ("raw", "qcow2", "vmdk")
    assert ref.bridges("pve1").get([]) == ["vmbr0", "vmbr9"]
    assert "prod" in ref.tags().get([])
    assert ref.next_vmid().get(0) >= 100
    assert ref.server_version().get("") == "9.1.9"
    assert ref.isos("pve1", "local").state in ("ready", "empty")


def test_lenient_resolve_picks_the_first_available_and_says_so(cli: SimCli) -> None:
    ref = ReferenceData(ProxmoxClient("127.0.0.1", token=_token(cli.sim), transport=mock_transport(cli.sim)))
    cfg = VmConfig()
    cfg.network.bridge = "vmbr7"
    res = resolve(cfg, ref, strict=False)
    assert res.missing == []
    assert res.config.general.node == "pve1"
    assert res.config.network.bridge == "vmbr0"
    assert any("bridge 'vmbr7' does not exist; using 'vmbr0'" in n for n in res.notes)
    strict = resolve(cfg, ref, strict=True)  # flags: the node the API is served from; a given bridge must exist
    assert strict.config.general.node == "pve1"
    assert strict.missing == ["bridge 'vmbr7' does not exist (available: vmbr0, vmbr9)"]


def _token(sim: Simulator) -> str:
    from pvectl.sim.world import credentials_of

    creds = credentials_of(sim.store.snapshot())
    return f"root@pam!{creds['token_id']}={creds['token_secret']}"
