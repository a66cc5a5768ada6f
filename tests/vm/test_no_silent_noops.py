"""Filters and flags that would do nothing are usage errors: one line naming the flag, exit 2, nothing sent."""

from __future__ import annotations

import pytest

from tests.vm.conftest import SimCli


def test_list_status_typo_names_the_choices(cli: SimCli) -> None:
    run = cli("vm", "list", "--status", "runing")
    assert run.code == 2
    assert (
        run.stderr.strip()
        .splitlines()[-1]
        .endswith("--status: 'runing' is not one of running, stopped, paused, unknown")
    )
    assert run.stdout == ""


def test_list_unknown_node_names_the_known_ones(cli: SimCli) -> None:
    run = cli("vm", "list", "--node", "nosuch")
    assert run.code == 2
    assert "--node: no node 'nosuch' in this cluster (known: pve1, pve2" in run.stderr
    assert run.stdout == ""


def test_list_valid_filters_still_work(cli: SimCli) -> None:
    assert cli("vm", "list", "--status", "running", "--node", "pve1", "-o", "json").code == 0


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--no-network", "--vlan", "20"], "--vlan: has no effect with --no-network"),
        (["--no-network", "--bridge", "vmbr0"], "--bridge: has no effect with --no-network"),
        (["--no-network", "--mtu", "1400"], "--mtu: has no effect with --no-network"),
        (["--no-efidisk", "--efi-storage", "local-lvm"], "--efi-storage: has no effect with --no-efidisk"),
        (["--no-efidisk", "--secure-boot"], "--secure-boot: has no effect with --no-efidisk"),
        (["--bios", "seabios", "--efi-storage", "local-lvm"], "--efi-storage: has no effect with --bios seabios"),
        (["--no-balloon", "--min-memory", "512"], "--min-memory: has no effect with --no-balloon"),
        (["--iso", "none", "--iso-storage", "local"], "--iso-storage: has no effect with --iso none"),
    ],
)
def test_contradictory_flags_are_usage_errors(cli: SimCli, flags: list[str], message: str) -> None:
    run = cli("vm", "create", "--node", "pve1", *flags)
    assert run.code == 2
    assert message in run.stderr
    assert cli.writes() == []


@pytest.mark.parametrize(
    "flags", [["--no-network", "--no-firewall"], ["--no-efidisk", "--no-secure-boot"], ["--bios", "seabios"]]
)
def test_switching_a_dependent_off_too_is_fine(cli: SimCli, flags: list[str]) -> None:
    run = cli("vm", "create", "--node", "pve1", "--dry-run", "-o", "json", *flags)
    assert run.code == 0, run.stderr
