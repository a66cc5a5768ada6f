"""A second NIC (issue 29): ``--net`` repeated, the VM file's ``net:`` list, checks on every NIC."""

from __future__ import annotations

from pathlib import Path

from tests.vm.conftest import SimCli
from tests.vm.test_cli_create import plan_params

TWO = ("--net", "virtio,bridge=vmbr9,firewall=1", "--net", "e1000,bridge=vmbr9,tag=20")


def test_net_repeated_makes_net0_and_net1(cli: SimCli) -> None:
    params = plan_params(cli, *TWO)
    assert params["net0"] == "virtio,bridge=vmbr9,firewall=1"
    assert params["net1"] == "e1000,bridge=vmbr9,tag=20"
    assert "net2" not in params


def test_net_and_a_net0_shorthand_contradict(cli: SimCli) -> None:
    run = cli("vm", "create", "--node", "pve1", "--dry-run", "--net", "virtio,bridge=vmbr9", "--vlan", "5")
    assert run.code == 2 and "--net: sets net0 itself; drop --vlan" in run.stderr
    assert cli.writes() == []


def test_bad_net_specs_name_the_value(cli: SimCli) -> None:
    for spec, words in (
        ("bogus,bridge=vmbr9", "the model must come first"),
        ("virtio", "bridge= is needed"),
        ("virtio,bridge=vmbr9,speed=9", "unknown NIC option 'speed'"),
        ("virtio,bridge=vmbr9,tag=9999", "VLAN tag must be 1..4094"),
    ):
        run = cli("vm", "create", "--node", "pve1", "--dry-run", "--net", "virtio,bridge=vmbr9", "--net", spec)
        assert run.code == 2, spec
        assert words in run.stderr, run.stderr


def test_a_second_nic_on_a_missing_bridge_is_refused(cli: SimCli) -> None:
    run = cli(
        "vm", "create", "--node", "pve1", "--dry-run", "--net", "virtio,bridge=vmbr9", "--net", "e1000,bridge=nope"
    )
    assert run.code == 2 and "NIC 2: bridge 'nope' does not exist" in run.stderr


def test_the_vm_file_round_trips_two_nics(cli: SimCli, tmp_path: Path) -> None:
    run = cli("vm", "create", "--node", "pve1", "--dry-run", "-o", "yaml", *TWO)
    assert run.code == 0, run.stderr
    path = tmp_path / "vm.yaml"
    path.write_text(run.stdout)
    again = plan_params(cli, "--from-file", str(path))
    assert again["net0"] == "virtio,bridge=vmbr9,firewall=1" and again["net1"] == "e1000,bridge=vmbr9,tag=20"


def test_two_nics_are_created(cli: SimCli) -> None:
    run = cli("vm", "create", "--node", "pve1", "--name", "twonics", *TWO)
    assert run.code == 0, run.stderr
    config = cli("vm", "show", "twonics", "-o", "json").json()
    assert config["net1"].startswith("e1000=") and "tag=20" in config["net1"]
