"""`ct template list|pull`: what the node has, the appliance index, a download that is never sent twice."""

from __future__ import annotations

import pytest

from pvectl.ct.templates import Appliance, Template, matches, pick_appliance, pick_local
from tests.vm.conftest import SimCli


def test_short_names_pick_the_newest_matching_file() -> None:
    local = [Template("local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"),
             Template("local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst"),
             Template("local:vztmpl/debian-9.0-standard_9.7-1_amd64.tar.gz")]  # fmt: skip
    found = pick_local("debian-12", local)
    assert found is not None and found.filename == "debian-12-standard_12.12-1_amd64.tar.zst"  # 12 > 7
    assert pick_local("debian-1", local) is None  # a prefix must end at - _ or .
    assert matches("alpine", "alpine-3.22-default_20250617_amd64.tar.xz")
    index = [Appliance("debian-12-turnkey-nextcloud_18.1-1_amd64.tar.zst", "debian-12", "turnkeylinux", "", ""),
             Appliance("debian-12-standard_12.12-1_amd64.tar.zst", "debian-12", "system", "", "")]  # fmt: skip
    chosen = pick_appliance("debian-12", index)
    assert chosen is not None and chosen.section == "system"


def test_pull_downloads_once_and_then_says_it_is_there(cli: SimCli) -> None:
    dry = cli("ct", "template", "pull", "debian-13", "--node", "pve1", "--storage", "local", "--dry-run")
    assert dry.code == 0 and "POST /nodes/pve1/aplinfo" in dry.stdout and cli.writes() == []
    run = cli("ct", "template", "pull", "debian-13", "--node", "pve1", "--storage", "local")
    assert run.code == 0, run.stderr
    assert run.stdout.strip() == "local:vztmpl/debian-13-standard_13.1-2_amd64.tar.zst"
    again = cli("ct", "template", "pull", "debian-13", "--node", "pve1", "--storage", "local")
    assert again.code == 0 and "already on pve1" in again.stdout
    assert cli.writes() == ["POST /nodes/pve1/aplinfo"]
    shown = cli("-o", "json", "ct", "template", "pull", "debian-13", "--node", "pve1", "--storage", "local").json()
    assert shown == {"volid": run.stdout.strip(), "node": "pve1", "storage": "local", "outcome": "already"}
    index = {r["template"]: r for r in cli("-o", "json", "ct", "template", "list", "--available").json()}
    assert index["debian-13-standard_13.1-2_amd64.tar.zst"]["downloaded"] == "yes"


def test_pull_refusals_name_the_flag(cli: SimCli) -> None:
    run = cli("ct", "template", "pull", "debian-13", "--node", "pve1", "--storage", "local-lvm")
    assert run.code == 2 and "--storage: 'local-lvm' holds no templates on pve1" in run.stderr
    assert cli("ct", "template", "pull", "plan9", "--node", "pve1").code == 2
    assert cli.writes() == []


def test_without_node_pull_and_list_pick_the_node_as_ct_create_does(
    cli: SimCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not the first online node: where `ct create` without --node goes (so its --pull-less create finds it)."""
    run = cli("ct", "template", "pull", "debian-13", "--storage", "local")
    assert run.code == 0, run.stderr
    assert "note: no node given; using 'pve1' (the node the API is served from)" in run.stderr
    assert cli.writes() == ["POST /nodes/pve1/aplinfo"]
    monkeypatch.setattr("pvectl.cli.runner.default_node", lambda ctx: "pve2")  # the context's node comes first
    listed = cli("-o", "json", "ct", "template", "list", "--available").json()
    assert {r["template"]: r["downloaded"] for r in listed}["debian-13-standard_13.1-2_amd64.tar.zst"] == ""
    bad = cli("ct", "template", "list", "--node", "nope")
    assert bad.code == 2 and "--node: node 'nope' does not exist (available: pve1, pve2)" in bad.stderr
