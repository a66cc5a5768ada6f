"""`vm create -i` when the VM ID the user typed is taken between the question and the create request (issue 29
item 6): the request was sent and refused (exit 1, not 2), and the words are the prompts', not a flag's."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.support.answers import Script
from tests.support.simcli import sim_client, use_client
from tests.vm.conftest import SimCli


def test_a_vm_id_taken_meanwhile_says_so_in_the_prompts_words(
    cli: SimCli, scripted: Callable[..., Script], monkeypatch: pytest.MonkeyPatch
) -> None:
    stolen: list[int] = []

    def steal(request: httpx.Request) -> None:
        if request.method == "POST" and request.url.path.endswith("/qemu") and not stolen:
            stolen.append(555)  # another client takes the id between the question and the create request
            sim_client(cli.sim).request("POST", "/nodes/pve1/qemu", {"vmid": 555, "name": "other"})

    use_client(monkeypatch, sim_client(cli.sim, hook=steal))
    scripted(**{"VM ID": "555"})
    run = cli("vm", "create", "-i")
    assert stolen
    assert run.code == 1, run.stderr  # sent and refused (2 would say nothing was sent)
    assert "555" in run.stderr and "already exists" in run.stderr
    assert "choose another VM ID" in run.stderr and "--vmid" not in run.stderr
    nextid = cli("vm", "create", "--dry-run", "-o", "json").json()["vmid"]
    assert f"the next free one (now {nextid})" in run.stderr  # proposed, as the TUI's General does
