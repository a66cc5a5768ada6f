"""A newcomer's `vm create` (issue 28): the node chosen as the GUI does, a stock PVE's own storages and bridge
instead of the built-in defaults it lacks, and a name that is taken refused."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pvectl.sim.world import STOCK_SEED
from pvectl.vm.config import VmConfig
from pvectl.vm.reference import NodeInfo, Ref
from pvectl.vm.resolve import _default_node
from tests.vm.conftest import SimCli, sim_cli


@pytest.fixture
def stock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimCli]:
    yield from sim_cli(tmp_path, monkeypatch, **STOCK_SEED)


def test_no_node_given_takes_the_node_the_api_is_served_from(cli: SimCli) -> None:
    run = cli("vm", "create", "--name", "fresh", "--memory", "4096")
    assert run.code == 0, run.stderr
    assert "note: no node given; using 'pve1' (the node the API is served from)" in run.stderr
    assert cli.writes()[0] == "POST /nodes/pve1/qemu"


def test_the_contexts_node_comes_first_with_a_note(cli: SimCli) -> None:
    from tests.support.simcli import invoke

    path = Path(os.environ["XDG_CONFIG_HOME"]) / "pvectl" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('current-context = "lab"\n\n[contexts.lab]\nhost = "127.0.0.1"\nnode = "pve2"\n')
    run = invoke("vm", "create", "--name", "fresh", "--dry-run", "-o", "json")  # the lab context (no --sim)
    assert run.code == 0, run.stderr
    document = run.json()
    assert document["node"] == "pve2"
    assert document["notes"][0] == "no node given; using 'pve2' (the node of context lab)"
    given = invoke("vm", "create", "--name", "fresh", "--node", "pve2", "--dry-run", "-o", "json").json()
    assert given["node"] == "pve2" and given["notes"] == []
    real = invoke("vm", "create", "--name", "fresh")
    assert real.code == 0 and "note: no node given; using 'pve2' (the node of context lab)" in real.stderr
    assert cli.writes()[0] == "POST /nodes/pve2/qemu"


class _OneNode:
    def local_node(self) -> Ref[str]:
        return Ref(value="")


def test_without_a_local_entry_the_only_node_is_taken_and_two_are_an_error() -> None:
    assert _default_node(_OneNode(), ["pve7"]) == ("pve7", "the only node")  # type: ignore[arg-type]
    assert _default_node(_OneNode(), ["pve1", "pve2"])[0] is None  # type: ignore[arg-type]
    assert NodeInfo("pve7", "online").node == "pve7"


def test_stock_pve_gets_its_own_storage_and_bridge_with_one_note_each(stock: SimCli) -> None:
    run = stock("vm", "create", "--name", "web1", "--memory", "4096")
    assert run.code == 0, run.stderr
    notes = [line for line in run.stderr.splitlines() if line.startswith("note: ")]
    assert notes == [
        "note: no node given; using 'pve' (the node the API is served from)",
        "note: ISO storage 'cephfs' (a built-in default) does not exist on pve; using 'local'",
        "note: NixOS minimal ISO on 'local' (a built-in default) does not exist on pve; creating the VM without an ISO",
        "note: disk storage 'ceph-pool' (a built-in default) does not exist on pve; using 'local-lvm'",
        "note: bridge 'vmbr9' (a built-in default) does not exist on pve; using 'vmbr0'",
    ]
    config = stock("vm", "show", "web1", "-o", "json").json()
    assert config["scsi0"].startswith("local-lvm:")
    assert config["efidisk0"].startswith("local-lvm:")
    assert "bridge=vmbr0" in config["net0"]
    assert config["ide2"] == "none,media=cdrom"


def test_a_dry_run_shows_the_same_notes_as_a_real_run(stock: SimCli) -> None:
    real = stock("vm", "create", "--name", "web1", "--memory", "4096", "--dry-run")
    notes = [line.strip() for line in real.stdout.splitlines() if line.strip().startswith("note: ")]
    assert real.code == 0 and len(notes) == 5, real.stdout
    assert notes[0] == "note: no node given; using 'pve' (the node the API is served from)"
    assert "note: bridge 'vmbr9' (a built-in default) does not exist on pve; using 'vmbr0'" in notes
    document = stock("vm", "create", "--name", "web1", "--memory", "4096", "--dry-run", "-o", "json").json()
    assert [f"note: {note}" for note in document["notes"]] == notes
    assert stock.writes() == []


def test_efi_and_tpm_follow_the_first_disk_unless_given(cli: SimCli) -> None:
    run = cli("vm", "create", "--name", "w11", "--disk", "local-lvm:32", "--tpm", "--dry-run", "-o", "json")
    assert run.code == 0, run.stderr
    params = run.json()["requests"][0]["params"]
    assert params["efidisk0"].startswith("local-lvm:")
    assert params["tpmstate0"].startswith("local-lvm:")
    run = cli("vm", "create", "--name", "w11", "--disk", "local-lvm:32", "--efi-storage", "ceph-pool", "--dry-run")
    assert run.code == 0, run.stderr
    assert "efidisk0=ceph-pool:1" in run.stdout.replace(" ", "")


def test_a_given_value_the_node_lacks_is_still_an_error(stock: SimCli) -> None:
    run = stock("vm", "create", "--name", "x", "--disk", "ceph-pool:32")
    assert run.code == 2
    assert "disk storage 'ceph-pool' does not exist (available: local-lvm)" in run.stderr
    assert stock.writes() == []


def test_strict_defaults_is_one_error_naming_each_default_and_how_to_set_it(stock: SimCli) -> None:
    run = stock("vm", "create", "--name", "web1", "--strict-defaults")
    assert run.code == 2
    assert stock.writes() == []
    assert run.stderr.startswith("error: the server lacks what this VM needs (nothing was sent)\n")
    for default, how in (
        ("ISO storage 'cephfs'", 'iso-storage = "STORAGE" in [vm.defaults]'),
        ("disk storage 'ceph-pool'", 'disk-storage = "STORAGE" in [vm.defaults]'),
        ("bridge 'vmbr9'", 'bridge = "BRIDGE" in [vm.defaults]'),
    ):
        assert any(default in line and how in line for line in run.stderr.splitlines()), run.stderr


def test_strict_defaults_from_the_config_file(stock: SimCli) -> None:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "pvectl" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[vm]\nstrict-defaults = true\n")
    run = stock("vm", "create", "--name", "web1")
    assert run.code == 2 and "(a built-in default)" in run.stderr
    assert stock.writes() == []
    path.write_text('[vm]\nstrict-defaults = "yes"\n')
    run = stock("vm", "create", "--name", "web1")
    assert run.code == 2 and "[vm] strict-defaults: expected true or false" in run.stderr


def test_a_taken_name_is_refused_unless_allowed(cli: SimCli, tmp_path: Path) -> None:
    assert cli("vm", "create", "--name", "demo").code == 0
    writes = len(cli.writes())
    again = cli("vm", "create", "--name", "demo")
    assert again.code == 2
    assert "--name: 'demo' is already the name of VM" in again.stderr
    assert "--allow-duplicate-name" in again.stderr
    assert len(cli.writes()) == writes  # nothing sent
    vmfile = tmp_path / "dns.yaml"
    vmfile.write_text("name: dns1\n")
    assert cli("vm", "create", "--from-file", str(vmfile), "--dry-run").code == 2
    assert cli("vm", "create", "--name", "demo", "--allow-duplicate-name").code == 0
    assert len([v for v in cli("vm", "list", "-o", "json").json() if v["name"] == "demo"]) == 2


def test_resolve_leaves_defaults_unset_so_they_still_read_as_defaults() -> None:
    assert "efi_storage" not in VmConfig().system.model_fields_set


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("vm", "stop", "--status", "runing", "--yes"), "--status: 'runing' is not one of running, stopped, paused"),
        (("vm", "shutdown", "--node", "pve3", "--all", "--yes"), "--node: no node 'pve3' in this cluster (known: pve1"),
        (("vm", "start", "-l", "status=runing"), "-l/--selector: 'runing' is not one of running, stopped"),
        (("vm", "snapshot", "create", "-l", "node=pve9", "nightly"), "--node: no node 'pve9' in this cluster"),
        (("vm", "stop", "100", "-l", "tag=lab"), "100: ids or names cannot be combined with -l/--selector"),
        (("ct", "stop", "190", "-l", "tag=lab"), "190: ids or names cannot be combined with -l/--selector"),
        (("ct", "stop", "-l", "tag=infra"), "refusing to stop 1 CT without confirmation"),
        (("vm", "stop", "-l", "tag=prod"), "refusing to stop 2 VMs without confirmation"),
        (("vm", "delete", "scratch", "--pool", "lab", "--yes"), "cannot be combined with -l/--selector, --pool"),
        (("vm", "list", "--node", "pve3"), "--node: no node 'pve3' in this cluster (known: pve1, pve2)"),
        (("vm", "clone", "100", "c1", "--target", "pve3"), "--target: no node 'pve3' in this cluster (known: pve1"),
        (("vm", "clone", "100", "c1", "--storage", "nosuch"), "--storage: no storage 'nosuch' in this cluster"),
        (("vm", "clone", "100", "c1", "--storage", "cephfs"), "--storage: 'cephfs' holds no VM disks (for disks: "),
        (("vm", "set", "102", "--disk", "nosuch:10"), "--disk: no disk storage 'nosuch' on pve2 (available: "),
        (("vm", "migrate", "102", "--to", "pve1", "--target-storage", "local-lvm:nosuch"), "no storage 'nosuch'"),
        (("ct", "clone", "191", "--target", "pve3"), "--target: no node 'pve3' in this cluster (known: pve1"),
        (("guest", "list", "--node", "pve3"), "--node: no node 'pve3' in this cluster (known: pve1, pve2)"),
        (("task", "list", "--node", "pve3"), "--node: no node 'pve3' in this cluster (known: pve1, pve2)"),
        (("guest", "list", "--status", "runing"), "--status: 'runing' is not one of running, stopped, paused"),
    ],
)
def test_selector_typos_are_usage_errors_everywhere(cli: SimCli, args: tuple[str, ...], message: str) -> None:
    run = cli(*args)
    assert run.code == 2, run.stderr
    assert message in run.stderr
    assert cli.writes() == []


def test_a_query_shapes_the_table_too(cli: SimCli) -> None:
    run = cli("vm", "list", "-o", "table", "--query", "[?status=='running'].{id:vmid,n:name}")
    assert run.code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["ID", "N"]
    assert [line.split() for line in lines[1:]] == [["100", "dns1"], ["101", "web1"]]
    names = cli("vm", "list", "-o", "table", "--query", "[].name")
    assert names.stdout.split() == ["dns1", "web1", "scratch"]


def test_a_suspended_vm_is_listed_paused_and_selectable(cli: SimCli) -> None:
    assert cli("vm", "suspend", "web1").code == 0
    listed = {v["name"]: v["status"] for v in cli("vm", "list", "-o", "json").json()}
    assert listed["web1"] == "paused"
    paused = cli("vm", "list", "--status", "paused", "-o", "json")
    assert paused.code == 0, paused.stderr
    assert [v["name"] for v in paused.json()] == ["web1"]
    guests = cli("guest", "list", "--status", "paused", "-o", "json")
    assert guests.code == 0, guests.stderr
    assert [(g["kind"], g["name"]) for g in guests.json()] == [("vm", "web1")]
    resumed = cli("vm", "resume", "--status", "paused")
    assert resumed.code == 0, resumed.stderr
    assert {v["name"]: v["status"] for v in cli("vm", "list", "-o", "json").json()}["web1"] == "running"


def test_wide_vm_list_adds_template_ha_lock_uptime_pool_and_memory_with_unit(cli: SimCli) -> None:
    run = cli("vm", "list", "-o", "wide")
    assert run.code == 0, run.stderr
    header = run.stdout.splitlines()[0].split()
    assert header == [
        "VMID", "NAME", "NODE", "STATUS", "POOL", "TAGS", "TEMPLATE", "HA", "LOCK", "CPUS", "MAXMEM", "UPTIME"
    ]  # fmt: skip
    dns1 = next(line for line in run.stdout.splitlines() if " dns1 " in line)
    assert "2.0 GiB" in dns1 and "started" in dns1 and "prod" in dns1
    scratch = next(line for line in run.stdout.splitlines() if " scratch " in line)
    assert scratch.split()[-1] == "-"  # a stopped VM has no uptime (was "0h 0m")
    assert max(map(len, run.stdout.splitlines())) <= 100


def test_task_wait_takes_the_short_id_task_list_prints(cli: SimCli) -> None:
    assert cli("vm", "start", "scratch").code == 0
    short = cli("task", "list", "-o", "table").stdout.splitlines()[1].split()[0]
    assert not short.startswith("UPID:")
    for verb in ("wait", "show"):
        run = cli("task", verb, short, "-o", "json")
        assert run.code == 0, run.stderr
        assert run.json()["exitstatus"] == "OK"


def test_vm_wait_for_stopped_is_status_stopped(cli: SimCli) -> None:
    run = cli("vm", "wait", "scratch", "--for", "stopped", "-o", "json")
    assert run.code == 0, run.stderr
    assert run.json()["condition"] == "status=stopped"
    assert cli("vm", "wait", "scratch", "--for", "stoped").code == 2


def test_deleting_a_running_vm_says_so_before_asking_and_stop_does_it(cli: SimCli) -> None:
    run = cli("vm", "delete", "dns1", "--yes")
    assert run.code == 2
    assert "VM 100 (dns1) is running: PVE deletes only stopped VMs (nothing was sent)" in run.stderr
    assert "pvectl vm delete 100 --stop" in run.stderr
    assert cli.writes() == []
    run = cli("vm", "delete", "dns1", "--stop", "--yes", "--purge")
    assert run.code == 0, run.stderr
    assert cli.writes() == ["POST /nodes/pve1/qemu/100/status/stop", "DELETE /nodes/pve1/qemu/100"]


def test_dry_run_prints_one_document_in_every_format_and_from_file_reads_it(cli: SimCli, tmp_path: Path) -> None:
    import yaml

    flags = ("vm", "create", "--name", "doc1", "--memory", "4096", "--disk", "local-lvm:20", "--dry-run")
    as_json = cli(*flags, "-o", "json")
    as_yaml = cli(*flags, "-o", "yaml")
    assert as_json.code == as_yaml.code == 0, as_json.stderr + as_yaml.stderr
    document = as_json.json()
    assert yaml.safe_load(as_yaml.stdout) == document
    assert document["vm"]["name"] == "doc1" and document["vm"]["memory"] == 4096
    assert document["requests"][0]["path"] == "/nodes/pve1/qemu"
    for suffix, text in ((".json", as_json.stdout), (".yaml", as_yaml.stdout)):
        saved = tmp_path / f"plan{suffix}"
        saved.write_text(text)
        again = cli("vm", "create", "--from-file", str(saved), "--dry-run", "-o", "json")
        assert again.code == 0, again.stderr
        assert again.json()["requests"] == document["requests"]
    vm_only = tmp_path / "vm.yaml"
    vm_only.write_text(yaml.safe_dump(document["vm"]))
    again = cli("vm", "create", "--from-file", str(vm_only), "--dry-run", "-o", "json").json()
    assert document.pop("notes") == ["no node given; using 'pve1' (the node the API is served from)"]
    assert again.pop("notes") == []  # the file names the node the first run chose
    assert again == document


def test_exit_codes_follow_one_rule_each(cli: SimCli) -> None:
    # a node named as the argument that does not exist: not found (4), in node show and node drain alike
    assert cli("node", "show", "pve9").code == 4
    drain = cli("node", "drain", "pve9", "--dry-run")
    assert drain.code == 4 and "no node 'pve9' in this cluster" in drain.stderr
    # one VM named: its own outcome's code; 8 is for bulk runs
    one = cli("vm", "snapshot", "delete", "web1", "nosuch", "--yes")
    assert one.code == 1, one.stderr
    many = cli("vm", "snapshot", "delete", "-l", "tag=web", "nosuch", "--yes")
    assert many.code == 8, many.stderr
    # a group without a command: its help, and success, as bare pvectl
    for group in (("vm",), ("vm", "snapshot"), ("node",), ("api", "nodes")):
        bare = cli(*group)
        assert bare.code == 0 and bare.stdout.startswith("Usage: "), group


def test_migrating_to_where_it_is_says_so(cli: SimCli) -> None:
    run = cli("vm", "migrate", "100", "--to", "pve1")
    assert run.code == 0
    assert run.stderr.strip() == "already on pve1: 100; nothing to do"


def test_long_lines_fit_80_columns(cli: SimCli) -> None:
    from pvectl.cli.commands.vm.wait import status_line

    line = status_line("ip", 103, "VM 103 qmp command 'guest-network-get-interfaces' failed - got timeout")
    assert line == "waiting for ip on VM 103: the guest agent does not answer yet"
    assert len(status_line("ip", 103, "x" * 300)) <= 79
    # a failed task's status, a drain plan with a VM that stays, api usage's permissions
    assert cli("vm", "create", "--name", "big", "--disk", "local-lvm:8", "--start").code == 0
    # a failed task in the list (a start of a running VM sends nothing now: the guest core's "already")
    cli.sim.inject("task-fail:message=start failed: QEMU exited with code 1 - see the journal of the node for why")
    assert cli("vm", "start", "scratch").code != 0
    tasks = cli("task", "list", "-o", "table")
    assert tasks.code == 0 and any("..." in line for line in tasks.stdout.splitlines())
    drain = cli("node", "drain", "pve1", "--dry-run", "-o", "table")
    assert drain.code == 0
    from pvectl.cli.commands.node import plan_line

    why = "needs 64.0 GiB free memory; the most any other node has is pve2 with 5.2 GiB free (of 8.0 GiB)"
    stays = plan_line(
        {"kind": "vm", "vmid": 104, "name": "big", "memory": "64.0 GiB", "target": None, "mode": "-", "reason": why}
    )
    assert "need" in stays and max(len(line) for line in stays.splitlines()) <= 80
    usage = cli("api", "usage", "/nodes/{node}/qemu", "--command", "POST")
    assert "Permissions: You need 'VM.Allocate'" in usage.stdout
    for run in (tasks, drain, usage):
        long = [line for line in run.stdout.splitlines() if len(line) > 80 and " " in line.strip()]
        assert long == [], long


def test_delete_stop_on_a_selection_stops_each_running_vm_first(cli: SimCli) -> None:
    plan = cli("vm", "delete", "-l", "tag=prod", "--stop", "--dry-run", "-o", "json").json()
    assert [row["request"] for row in plan][
        1
    ] == "POST /nodes/pve2/qemu/101/status/stop, then DELETE /nodes/pve2/qemu/101"
    refused = cli("vm", "delete", "-l", "tag=web", "--yes")  # PVE refuses a running VM: the hint is --stop
    assert refused.code == 8 and "pvectl vm delete 101 --stop" in refused.stderr + refused.stdout
    run = cli("vm", "delete", "-l", "tag=prod", "--stop", "--yes", "-o", "json")
    assert run.code == 0, run.stderr
    assert [o["outcome"] for o in run.json()] == ["done", "done"]
    assert {w for w in cli.writes() if "/101" in w} >= {
        "POST /nodes/pve2/qemu/101/status/stop",
        "DELETE /nodes/pve2/qemu/101",
    }
    assert cli("vm", "list", "-l", "tag=prod", "-o", "json").json() == []
