"""The GUI-parity fields: the variants of gui-wizard-reference.md §14 (what PVE's web GUI sends), parameter by
parameter, through the flags; and one scenario with every new field through flags, ``-i`` and ``--tui``.

The expected parameters are written out here (the project never reads the reference at test time). Where
vm-create.md decides differently from the GUI, the difference is named: the project's default disk sends
``format=raw`` and ``aio=io_uring`` explicitly, and ``pre-enrolled-keys`` is off by default.
"""

from __future__ import annotations

from typing import Any

import pytest
from prompt_toolkit.input import PipeInput

from pvectl.cli.commands.vm.flags import apply_flags
from pvectl.vm.config import VmConfig
from pvectl.vm.workflow import check_and_plan
from tests.prompts.keys import ENTER, answers, pick, typed
from tests.tui.conftest import make_app, settle, sim_client, until
from tests.tui.helpers import answer, app_of
from tests.vm.conftest import SimCli

TRUE, FALSE = {"1", "on", "yes", "true"}, {"0", "off", "no", "false"}


def prop(value: str) -> tuple[str, dict[str, str]]:
    """A property string as (default key, {key: value}) with booleans as 1/0: order and spelling aside."""
    head, *rest = value.split(",")
    pairs = dict(p.split("=", 1) for p in rest)
    return head, {k: "1" if v in TRUE else "0" if v in FALSE else v for k, v in pairs.items()}


def same(params: dict[str, str], expected: dict[str, str]) -> None:
    """Each expected parameter, compared as a property string where it is one."""
    for key, want in expected.items():
        assert key in params, f"{key} is not sent"
        assert prop(params[key]) == prop(want), f"{key}: sent {params[key]!r}, the GUI sends {want!r}"


def dry_run(cli: SimCli, *args: str) -> dict[str, str]:
    run = cli("vm", "create", "--node", "pve1", "--name", "web7", "--dry-run", "-o", "json", *args)
    assert run.code == 0, run.stderr
    params: dict[str, str] = run.json()["requests"][0]["params"]
    return params


VIRTIO_ISO = "local:iso/virtio-win-0.1.266.iso"
CPU_FLAGS = ("--cpu-flags", "+aes;-pcid")
WIN_REST = ("--memory", "4096", "--iso", "cephfs:iso/debian-12.8.0-amd64-netinst.iso")
DISK_ALL = "ceph-pool:32,backup=0,replicate=0,discard=1,ssd=1,iothread=1,ro=1,cache=writeback,aio=native"
DISK_ALL += ",mbps_rd=100,mbps_rd_max=200,iops_wr=1000"

VARIANTS: dict[str, tuple[list[str], dict[str, str], list[str]]] = {
    # name: (flags, the GUI's parameters (§14), parameters the variant must not send)
    "cpu-advanced": (
        [*("--vcpus", "2", "--cpulimit", "1.5", "--affinity", "0-3", "--cpuunits", "200", "--numa"), *CPU_FLAGS],
        {"vcpus": "2", "cpulimit": "1.5", "affinity": "0-3", "cpuunits": "200", "numa": "1"}
        | {"cpu": "host,flags=+aes;-pcid"},
        [],
    ),
    "disk-all-options": (
        ["--disk", DISK_ALL],
        {  # + format=raw: the project's explicit default (vm-create.md §3)
            "scsi0": "ceph-pool:32,format=raw,backup=0,replicate=no,discard=on,ssd=on,iothread=on,ro=on"
            ",cache=writeback,aio=native,mbps_rd=100,mbps_rd_max=200,iops_wr=1000"
        },
        [],
    ),
    "windows11-virtio-iso": (
        [*("--ostype", "win11", "--virtio-iso", VIRTIO_ISO, "--tpm", "--tpm-storage", "ceph-pool"), *WIN_REST],
        {
            "ostype": "win11",
            "ide0": f"{VIRTIO_ISO},media=cdrom",
            "ide2": "cephfs:iso/debian-12.8.0-amd64-netinst.iso,media=cdrom",
            "machine": "q35",
            "bios": "ovmf",
            "efidisk0": "ceph-pool:1,efitype=4m,pre-enrolled-keys=1",  # Windows 11 preset, as the GUI's EFI disk
            "tpmstate0": "ceph-pool:1,version=v2.0",
            "boot": "order=scsi0;ide2;ide0;net0",
            "memory": "4096",
        },
        [],
    ),
    "memory-shares": (
        ["--min-memory", "1024", "--shares", "500"],
        {"memory": "2048", "balloon": "1024", "shares": "500"},
        [],
    ),
    "default-numa-off": (
        [],
        {"numa": "0"},
        ["vcpus", "cpulimit", "cpuunits", "affinity", "shares", "tpmstate0", "boot"],
    ),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_gui_variants_parameter_by_parameter(cli: SimCli, variant: str) -> None:
    flags, expected, absent = VARIANTS[variant]
    params = dry_run(cli, *flags)
    same(params, expected)
    assert not set(absent) & set(params)


def test_mtu_below_576_is_refused_by_the_flags(cli: SimCli) -> None:
    run = cli("vm", "create", "--node", "pve1", "--dry-run", "--mtu", "100")
    assert run.code == 2
    assert "MTU must be 576..65520, or 1" in run.stderr
    assert cli.writes() == []


# -- one scenario with every new field: flags, -i and --tui -------------------------------------------------

ALL_DISK = "scsi3:ceph-pool:32,cache=writeback,discard=1,ro=1,replicate=0,mbps_rd=100,iops_wr=1000"
ALL_FLAGS: dict[str, Any] = {
    "node": "pve1",
    "name": "every1",
    "disk": [ALL_DISK],
    "cpu": "EPYC-Rome",  # from the node's list, not pvectl's built-in seven
    "vcpus": 2,
    "cpulimit": 1.5,
    "cpuunits": 200,
    "affinity": "0-3",
    "numa": True,
    "cpu_flags": "+aes;-pcid",
    "min_memory": 1024,
    "shares": 500,
    "tpm": True,
    "tpm_version": "v1.2",
    "serial_console": False,
    "vga": "qxl",
    "mtu": 9000,
}
ALL_ARGS = ["--node", "pve1", "--name", "every1", "--disk", ALL_DISK, "--cpu", "EPYC-Rome"]
ALL_ARGS += ["--vcpus", "2", "--cpulimit", "1.5", "--cpuunits", "200"]
ALL_ARGS += ["--affinity", "0-3", "--numa", "--cpu-flags", "+aes;-pcid", "--min-memory", "1024", "--shares", "500"]
ALL_ARGS += ["--tpm", "--tpm-version", "v1.2", "--no-serial-console", "--vga", "qxl", "--mtu", "9000"]


def test_every_new_field_through_flags_prompts_and_wizard_alike(cli: SimCli, term: PipeInput) -> None:
    client = sim_client(cli.sim)
    _, by_flags = check_and_plan(client, apply_flags(VmConfig(), ALL_FLAGS), strict=True)
    params = by_flags.requests[0].params
    assert (params["vga"], params["scsi3"], params["net0"].endswith("mtu=9000")) == (
        "qxl",
        "ceph-pool:32,aio=io_uring,cache=writeback,discard=on,format=raw,iops_wr=1000,iothread=1,mbps_rd=100"
        ",replicate=0,ro=1,ssd=1",
        True,
    )

    disk_advanced = "y" + pick("Write back") + "y" + typed("3") + "y" + "n"  # cache, discard, device, ro, replicate
    disk_advanced += typed("100") + ENTER * 5 + typed("1000") + ENTER  # read MB/s ... write ops/s
    keys = answers(
        name=typed("every1"),
        tpm="y" + ENTER,  # TPM on; its storage as offered
        # serial console off; "Customise advanced System options?" yes: TPM version, graphic card
        serial_console="n" + "y" + pick("v1.2") + pick("SPICE"),
        disk_advanced=disk_advanced,
        cpu=pick("EPYC-Rome"),
        cpu_advanced="y" + typed("2") + typed("1.5") + typed("200") + typed("0-3") + "y" + typed("+aes;-pcid"),
        memory_advanced="y" + typed("1024") + ENTER + ENTER + typed("500"),
        network_advanced="y" + ENTER + typed("9000") + ENTER * 4,  # VLAN; MTU 9000; rate, queues, MAC, link
        upto="confirm",
    )
    term.send_text(keys)
    term.close()
    run = cli("vm", "create", "-i", "--dry-run", "-o", "json")
    assert run.code == 0, run.stderr
    assert {k: v for k, v in run.json().items() if k != "vm"} == by_flags.as_dict()  # the plan (vm: the file)
    assert {**cli("vm", "create", "--dry-run", "-o", "json", *ALL_ARGS).json(), "vm": None} == {
        **by_flags.as_dict(),
        "vm": None,
    }


async def test_every_new_field_through_the_wizard(cli: SimCli) -> None:
    from textual.widgets import Button

    from pvectl.tui.screens.confirm import ConfirmScreen
    from pvectl.tui.widgets.field import FieldRow

    client = sim_client(cli.sim)
    resolution, by_flags = check_and_plan(client, apply_flags(VmConfig(), ALL_FLAGS), strict=True)
    app = make_app(cli.sim, dry_run=True)
    steps: list[tuple[str, list[tuple[str, Any]]]] = [
        ("general", [("general.name", "every1")]),
        ("system", [("system.tpm", True), ("serial_console", False), ("system.tpm_version", "v1.2")]),
        ("system", [("system.vga", "qxl")]),  # offered once the serial console is off
        ("disks", [("disks[0].cache", "writeback"), ("disks[0].discard", True), ("disks[0].index", "3")]),
        ("disks", [("disks[0].ro", True), ("disks[0].replicate", False)]),
        ("disks", [("disks[0].mbps_rd", "100"), ("disks[0].iops_wr", "1000")]),
        ("cpu", [("cpu.type", "EPYC-Rome"), ("cpu.vcpus", "2"), ("cpu.cpulimit", "1.5"), ("cpu.cpuunits", "200")]),
        ("cpu", [("cpu.affinity", "0-3"), ("cpu.numa", True), ("cpu.flags", "+aes;-pcid")]),
        ("memory", [("memory.min_memory", "1024"), ("memory.shares", "500")]),
        ("network", [("network.mtu", "9000")]),
    ]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for step, values in steps:
            if app_of(pilot).step != step:
                app_of(pilot).go(step)
                await settle(pilot)
            for key, value in values:
                await answer(pilot, key, value)
            # the advanced fields stay hidden (switch off) and are still sent
            assert not any(r.display for r in app.screen.query(FieldRow) if r.spec.advanced)
        app_of(pilot).go("confirm")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        await until(pilot, lambda: not screen.query_one("#create", Button).disabled)
        review = screen.review
        assert review is not None and review.resolution is not None
        assert review.resolution.config == resolution.config
        assert review.plan == by_flags
