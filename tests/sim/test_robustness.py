"""Whatever a client sends, the simulator answers like PVE would (200/400/500), never with its own crash."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from pvectl.sim.core import Simulator
from pvectl.sim.store import Store
from pvectl.sim.world import credentials_of

SIM = Simulator(Store(None, {"task_seconds": 0}))
_CREDS = credentials_of(SIM.store.snapshot())
HEADERS = {
    "Authorization": f"PVEAPIToken=root@pam!{_CREDS['token_id']}={_CREDS['token_secret']}",
    "Content-Type": "application/x-www-form-urlencoded",
}
KEYS = ["scsi0", "virtio1", "ide2", "efidisk0", "net0", "memory", "boot", "tags", "cdrom", "delete", "name"]
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["ceph-pool:8", "local:1.5,format=qcow2", "cephfs:iso/x.iso,media=cdrom", "none,media=cdrom"]),
    st.builds(
        lambda a, b: f"{a},{b}", st.sampled_from(["virtio", "local-lvm:4", "e1000=BC:24:11:00:00:01"]), st.text()
    ),
)


def answer_is_pve_like(method: str, path: str, params: dict[str, str]) -> None:
    body = "&".join(f"{quote(k)}={quote(v)}" for k, v in params.items()).encode()
    answer = SIM.handle(method, path, headers=HEADERS, body=body)
    assert answer.status in (200, 400, 500), (answer.status, answer.reason)
    assert "internal simulator error" not in answer.reason, answer.reason


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=5), st.integers(100, 130))
def test_create_with_arbitrary_values(params: dict[str, str], vmid: int) -> None:
    answer_is_pve_like("POST", "/api2/json/nodes/pve1/qemu", {"vmid": str(vmid), **params})


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=5))
def test_config_update_with_arbitrary_values(params: dict[str, str]) -> None:
    answer_is_pve_like("PUT", "/api2/json/nodes/pve2/qemu/102/config", params)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60), st.text(max_size=60))
def test_arbitrary_paths_and_queries(path: str, query: str) -> None:
    answer = SIM.handle("GET", "/api2/json/" + quote(path), query, HEADERS)
    assert answer.status in (200, 400, 500, 501), (answer.status, answer.reason)
    assert "internal simulator error" not in answer.reason, answer.reason
