"""CPU models, flags and CPU units from the node (#15): the simulator's answers, the fallbacks, the flag checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from pvectl.sdk import ProxmoxClient
from pvectl.sim.core import Simulator
from pvectl.sim.store import Store
from pvectl.vm.config import VmConfig
from pvectl.vm.cpu import BUILTIN_FLAGS, CpuUnits, builtin_catalog, flag_names
from pvectl.vm.reference import ReferenceData
from pvectl.vm.rules import check
from tests.conftest import FakeClock
from tests.support.simcli import sim_client, use_client

V1_NODES = [{"name": "pve1", "cgroup_mode": 1}, "pve2"]


def _sim(tmp_path: Path, **seed: Any) -> Simulator:
    return Simulator(Store(tmp_path / "state.json", {"task_seconds": 0, **seed}))


def _client(sim: Simulator, log: list[str] | None = None) -> ProxmoxClient:
    def note(request: httpx.Request) -> None:
        if log is not None:
            log.append(f"{request.method} {request.url.path.removeprefix('/api2/json')}")

    return sim_client(sim, hook=note, clock=FakeClock())


def test_the_node_lists_models_flags_and_its_cgroup_mode(tmp_path: Path) -> None:
    ref = ReferenceData(_client(_sim(tmp_path)))
    catalog = ref.cpu("pve1").value
    assert catalog is not None and catalog.notes == ()
    by_name = {m.name: m for m in catalog.models}
    assert by_name["EPYC-Rome"].vendor == "AuthenticAMD" and not by_name["EPYC-Rome"].custom
    assert by_name["EPYC-Rome"].label == "EPYC-Rome (AMD)"
    assert {"host", "x86-64-v2-AES", "Skylake-Client", "max"} <= set(by_name)
    assert set(catalog.flags) == set(BUILTIN_FLAGS)
    assert catalog.units == CpuUnits(2) and catalog.units.describe() == "1-10000, default 100 (cgroup v2)"


def test_a_cgroup_v1_node(tmp_path: Path) -> None:
    ref = ReferenceData(_client(_sim(tmp_path, nodes=V1_NODES)))
    v1 = ref.cpu("pve1").get(builtin_catalog("pve1", "")).units
    assert (v1.cgroup, v1.low, v1.high, v1.default) == (1, 2, 262144, 1024)
    assert ref.cpu("pve2").get(builtin_catalog("pve2", "")).units.cgroup == 2


def test_before_9_0_the_flags_are_pvectls_own_and_nothing_is_asked(tmp_path: Path) -> None:
    log: list[str] = []
    ref = ReferenceData(_client(_sim(tmp_path, version="8.4.0"), log))
    catalog = ref.cpu("pve1").value
    assert catalog is not None and catalog.flags == BUILTIN_FLAGS
    assert catalog.notes == ("PVE 8.4.0 has no CPU flag list (new in 9.0): using pvectl's built-in list",)
    assert "GET /nodes/pve1/capabilities/qemu/cpu" in log
    assert not any("cpu-flags" in line for line in log)  # the version table says so before sending


def test_the_sim_refuses_cpu_flags_on_an_older_release(tmp_path: Path) -> None:
    sim = _sim(tmp_path, version="8.4.0")
    client = _client(sim)
    with pytest.raises(Exception, match="501"):
        client.raw_request("GET", "/nodes/pve1/capabilities/qemu/cpu-flags")


def test_rules_use_the_catalog() -> None:
    catalog = builtin_catalog("pve1", "offline")
    cfg = VmConfig()
    cfg.cpu.type, cfg.cpu.flags, cfg.cpu.cpuunits = "Skylake-Client", "+aes;-nope", 20000
    found = {p.field: p.message for p in check(cfg, cpu=catalog)}
    assert found["cpu.type"].startswith("CPU type 'Skylake-Client' is not offered by node pve1")
    assert found["cpu.flags"].startswith("CPU flag nope not allowed for a VM on pve1")
    assert found["cpu.cpuunits"] == "CPU units must be 1..10000 on pve1 (cgroup v2), got 20000"
    assert not {p.field for p in check(cfg)} & {"cpu.type", "cpu.flags", "cpu.cpuunits"}  # no node lists: union range
    assert flag_names("+aes;-pcid") == ["aes", "pcid"]


@pytest.mark.parametrize(
    ("seed", "flags", "message"),
    [
        ({}, ["--cpu", "bogus"], "error: --cpu: CPU type 'bogus' is not offered by node pve1"),
        ({}, ["--cpu", "Skylake-Clinet"], "did you mean 'Skylake-Client'?"),
        ({}, ["--cpu-flags", "+aes;-foo"], "error: --cpu-flags: CPU flag foo not allowed for a VM on pve1"),
        ({}, ["--cpuunits", "20000"], "error: --cpuunits: CPU units must be 1..10000 on pve1 (cgroup v2)"),
        ({"nodes": V1_NODES}, ["--cpuunits", "1"], "error: --cpuunits: CPU units must be 2..262144 on pve1"),
        ({"version": "8.4.0"}, ["--cpu-flags", "+nested-virt"], "CPU flag nested-virt not allowed"),
    ],
)
def test_flags_the_node_does_not_take_send_nothing(
    seeded: Any, seed: dict[str, Any], flags: list[str], message: str
) -> None:
    cli = seeded(**seed)
    run = cli("vm", "create", "--node", "pve1", *flags)
    assert run.code == 2
    assert message in run.stderr and run.stderr.count("\n") == 1, run.stderr  # one line
    assert cli.writes() == []


@pytest.mark.parametrize(
    ("seed", "flags", "expected"),
    [
        ({}, ["--cpu", "EPYC-Rome", "--cpu-flags", "+aes;-pcid"], {"cpu": "EPYC-Rome,flags=+aes;-pcid"}),
        ({"nodes": V1_NODES}, ["--cpuunits", "200000"], {"cpuunits": "200000"}),
        ({}, ["--cpuunits", "10000"], {"cpuunits": "10000"}),
    ],
)
def test_what_the_node_offers_is_sent(seeded: Any, seed: dict[str, Any], flags: list[str], expected: Any) -> None:
    cli = seeded(**seed)
    run = cli("vm", "create", "--node", "pve1", "--dry-run", "-o", "json", *flags)
    assert run.code == 0, run.stderr
    params = run.json()["requests"][0]["params"]
    assert expected.items() <= params.items()


def test_the_default_path_does_not_ask_for_cpu_lists(seeded: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    cli = seeded()
    log: list[str] = []
    client = _client(cli.sim, log)
    use_client(monkeypatch, client)
    run = cli("vm", "create", "--node", "pve1", "--dry-run")
    assert run.code == 0, run.stderr
    assert log and not any("capabilities" in line for line in log)
    client.close()


def test_an_older_server_s_flags_are_checked_against_pvectls_list_and_it_says_so(seeded: Any) -> None:
    cli = seeded(version="8.4.0")
    run = cli("vm", "create", "--node", "pve1", "--cpu-flags", "+aes", "--no-ha", "--no-ksm")
    assert run.code == 0, run.stderr
    assert "note: PVE 8.4.0 has no CPU flag list (new in 9.0): using pvectl's built-in list" in run.stderr
