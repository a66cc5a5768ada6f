"""Hypothesis: random changes to a VM file -> apply -> diff shows no differences, and applying again sends only
GETs (bounded: a few dozen examples on one simulated VM)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pvectl.vm.fields import CPU_TYPES, NET_MODELS, OSTYPES
from tests.vm.conftest import SimCli

CHANGES: dict[str, st.SearchStrategy[Any]] = {
    "memory": st.integers(512, 16384),
    "cores": st.integers(1, 8),
    "sockets": st.integers(1, 2),
    "cpu": st.sampled_from(CPU_TYPES),
    "numa": st.booleans(),
    "onboot": st.booleans(),
    "agent": st.booleans(),
    "ostype": st.sampled_from(OSTYPES),
    "tag": st.lists(st.sampled_from(["web", "db", "prod", "lab", "x-1"]), unique=True, max_size=3),
    "startup-order": st.integers(1, 20),
    "bridge": st.sampled_from(["vmbr0", "vmbr9"]),
    "net-model": st.sampled_from(NET_MODELS),
    "firewall": st.booleans(),
    "vlan": st.integers(1, 4094),
    "link-down": st.booleans(),
    "min-memory": st.integers(256, 512),
    "grow": st.integers(0, 3),  # GiB added to the disk (PVE only grows)
    "description": st.text("abc xyz", min_size=1, max_size=12).map(str.strip).filter(bool),
}


def _doc(vmid: int, size: int, changes: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {"vmid": vmid}
    for key, value in changes.items():
        if key == "grow":
            doc["disk"] = [f"scsi0:local-lvm:{size + value}"]
        elif key == "description":
            doc["extra"] = {"description": value}
        else:
            doc[key] = value
    return doc


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(st.sampled_from(sorted(CHANGES)), st.none(), min_size=1, max_size=6).flatmap(
    lambda keys: st.fixed_dictionaries({k: CHANGES[k] for k in keys})
))  # fmt: skip
def test_apply_then_diff_shows_no_differences(cli: SimCli, tmp_path: Path, changes: dict[str, Any]) -> None:
    path = tmp_path / "vm.yaml"
    if not (tmp_path / "created").exists():
        path.write_text(yaml.safe_dump({"vmid": 500, "name": "prop1", "node": "pve1", "disk": ["scsi0:local-lvm:4"]}))
        assert cli("apply", "-f", str(path)).code == 0
        (tmp_path / "created").write_text("4")
    size = int((tmp_path / "created").read_text())
    doc = _doc(500, size, changes)
    path.write_text(yaml.safe_dump(doc))
    applied = cli("apply", "-f", str(path))
    assert applied.code == 0, (doc, applied.stderr)
    (tmp_path / "created").write_text(str(size + changes.get("grow", 0)))
    diff = cli("diff", "-f", str(path))
    assert diff.code == 0, (doc, diff.stdout, diff.stderr)
    before = len(cli.requests)
    assert cli("apply", "-f", str(path)).code == 0
    assert {r.method for r in cli.requests[before:]} == {"GET"}, doc
