"""``-i`` details of issue 29: a name already in use gets a note; more NICs; leaving words (test_flow)."""

from __future__ import annotations

from prompt_toolkit.input import PipeInput

from tests.prompts.keys import answers, nic, typed
from tests.prompts.test_flow import create_params, prompts
from tests.vm.conftest import SimCli


def test_an_existing_name_gets_a_note(cli: SimCli, term: PipeInput) -> None:
    assert cli("vm", "create", "--node", "pve1", "--name", "twin").code == 0
    # the note comes at the name; the plan refuses a taken name unless --allow-duplicate-name (issue 28's rule,
    # which issue 29 item 12 defers to)
    keys = answers(name=typed("twin"), upto="confirm")
    run = prompts(cli, term, keys, "--dry-run", "-o", "json", "--allow-duplicate-name")
    assert "is named 'twin' already: both would share the name" in run.stderr
    assert create_params(run)["name"] == "twin"  # allowed: PVE itself accepts it


def test_a_second_nic_is_asked_after_the_network_step(cli: SimCli, term: PipeInput) -> None:
    keys = answers(add_nic="y" + nic(net_model="Intel E1000\r", firewall="n", vlan=typed("30")), upto="confirm")
    params = create_params(prompts(cli, term, keys, "--dry-run", "-o", "json"))
    assert params["net1"] == "e1000,bridge=vmbr9,tag=30"
