"""``-i``: the guest OS pushes the GUI's defaults into later questions; the CPU questions use the node's lists."""

from __future__ import annotations

from typing import Any

from prompt_toolkit.input import PipeInput

from pvectl.prompts.questions import Session, Target, problem
from pvectl.vm.config import VmConfig
from pvectl.vm.cpu import builtin_catalog
from pvectl.vm.fields import BY_FLAG
from tests.prompts.keys import ENTER, answers, pick, typed
from tests.vm.conftest import Run, SimCli
from tests.vm.test_cpu_catalog import V1_NODES

WIN11_ARGS = (
    "--ostype",
    "win11",
    "--disk",
    "ceph-pool:32,bus=ide",
    "--net-model",
    "e1000",
    "--tpm",
    "--memory",
    "4096",
)
# Windows asks two more questions (advanced OS options: the VirtIO driver ISO; the TPM's storage and the
# advanced System options) and one fewer for the IDE disk (no IO thread): all answered with Enter.
WIN_EXTRA = ENTER * 3


def prompts(cli: SimCli, term: PipeInput, keys: str, *flags: str) -> Run:
    term.send_text(keys)
    term.close()
    return cli("vm", "create", "-i", "--dry-run", "-o", "json", *flags)


def test_windows_11_defaults_follow_and_the_plan_is_the_flags_one(cli: SimCli, term: PipeInput) -> None:
    by_flags = cli("vm", "create", "--node", "pve1", "--dry-run", "-o", "json", *WIN11_ARGS)
    assert by_flags.code == 0, by_flags.stderr
    run = prompts(cli, term, answers(ostype=pick("Windows 11"), upto="confirm") + WIN_EXTRA)
    assert run.code == 0, run.stderr
    assert {**run.json(), "vm": None} == {**by_flags.json(), "vm": None}  # the plans ("vm": the VM file)
    assert "note: Windows 11/2022/2025 defaults: disk 1 bus ide, NIC model e1000, TPM on, memory 4096 MiB" in (
        run.stderr
    )


def test_a_pre_filled_value_is_kept_with_a_note(cli: SimCli, term: PipeInput) -> None:
    run = prompts(cli, term, answers(ostype=pick("Windows 10"), upto="confirm") + ENTER * 2, "--net-model", "vmxnet3")
    assert run.code == 0, run.stderr
    assert "note: kept your NIC model vmxnet3; Windows 10/2016/2019 default is e1000" in run.stderr
    params = run.json()["requests"][0]["params"]
    assert params["net0"].startswith("vmxnet3,") and "ide0" in params  # the disk followed, the NIC did not


def test_the_cpu_type_is_one_the_node_lists(cli: SimCli, term: PipeInput) -> None:
    run = prompts(cli, term, answers(cpu=pick("EPYC-Rome"), upto="confirm"))
    assert run.code == 0, run.stderr
    assert run.json()["requests"][0]["params"]["cpu"] == "EPYC-Rome"  # not among pvectl's built-in seven


def test_cpu_units_of_a_cgroup_v1_node(seeded: Any, term: PipeInput) -> None:
    cli = seeded(nodes=V1_NODES)
    cpu_advanced = "y" + ENTER * 2 + typed("20000") + ENTER * 3  # vCPUs, limit; units 20000; affinity, NUMA, flags
    run = prompts(cli, term, answers(cpu_advanced=cpu_advanced, upto="confirm"))
    assert run.code == 0, run.stderr
    assert run.json()["requests"][0]["params"]["cpuunits"] == "20000"  # 2..262144 on cgroup v1


def test_answers_are_checked_against_the_node_catalog() -> None:
    session = Session(VmConfig(), ref=None, cpu=builtin_catalog("pve1", "test"))  # type: ignore[arg-type]
    units, flags, type_ = (Target(BY_FLAG[f]) for f in ("cpuunits", "cpu-flags", "cpu"))
    assert problem(session, units, 20000) == "CPU units must be 1..10000 on pve1 (cgroup v2), got 20000"
    assert problem(session, units, 10000) is None
    assert (problem(session, flags, "+aes;-bogus") or "").startswith("CPU flag bogus not allowed")
    assert (problem(session, type_, "EPYC") or "").startswith("CPU type 'EPYC' is not offered by node pve1")


def test_windows_11_with_the_virtio_cd_is_the_gui_variant(cli: SimCli, term: PipeInput) -> None:
    """gui-wizard-reference.md §14 "Windows 11 + VirtIO ISO": two answers, the rest follows the guest OS."""
    from tests.prompts.test_gui_parity import VARIANTS, VIRTIO_ISO, same

    keys = answers(ostype=pick("Windows 11") + "y" + typed(VIRTIO_ISO), upto="confirm") + ENTER * 3
    run = prompts(cli, term, keys)
    params = run.json()["requests"][0]["params"]
    expected = {k: v for k, v in VARIANTS["windows11-virtio-iso"][1].items() if k != "ide2"}  # ISO: as offered
    same(params, expected | {"scsi0": "ceph-pool:32,aio=io_uring,format=raw,iothread=1,ssd=1"})
    assert params["net0"].startswith("virtio,")


def test_cpu_models_that_cannot_be_loaded_can_be_skipped(cli: SimCli, term: PipeInput) -> None:
    cli.sim.inject("fail:path=/nodes/{node}/capabilities/qemu/cpu,method=GET,status=500,message=qmp timeout")
    run = prompts(cli, term, answers(cpu=pick("Skip") + pick("x86-64-v3"), upto="confirm"))
    assert run.code == 0, run.stderr
    assert "error: cannot load CPU models of pve1: 500 qmp timeout" in run.stderr
    assert "note: CPU models of pve1 not loaded: pvectl's common models and flags" in run.stderr
    assert run.json()["requests"][0]["params"]["cpu"] == "x86-64-v3"
