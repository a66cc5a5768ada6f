"""``pvectl vm create -i`` driven through real questionary prompts (pipe input) against the simulator."""

from __future__ import annotations

import pytest
from prompt_toolkit.input import PipeInput

from pvectl.cli.commands.vm.flags import apply_flags
from pvectl.cli.context import AppContext, GlobalOptions
from pvectl.prompts.flow import collect
from pvectl.vm.config import VmConfig
from pvectl.vm.reference import ReferenceData
from tests.prompts.keys import CTRL_C, DOWN, ENTER, ESC, answers, disk, pick, typed
from tests.vm.conftest import Run, SimCli

NIXOS = "cephfs:iso/nixos-minimal-25.05.802216.55d1f923c480-x86_64-linux.iso"


def prompts(cli: SimCli, term: PipeInput, keys: str, *flags: str) -> Run:
    """Type ``keys`` ahead, then run ``vm create -i``; running out of keys ends like Ctrl-D (exit 130)."""
    term.send_text(keys)
    term.close()
    return cli("vm", "create", "-i", *flags)


def create_params(run: Run) -> dict[str, str]:
    assert run.code == 0, run.stderr
    params: dict[str, str] = run.json()["requests"][0]["params"]
    return params


# -- two runs with the same answers: flags and prompts -------------------------------------------------------

CUSTOM_KEYS = answers(
    name=typed("web5"),
    add_disk="y" + disk(storage=pick("local-lvm"), size=typed("100"), ssd="n"),
    memory_advanced="y" + ENTER + "n" + ENTER,  # minimum memory (follows), ballooning off, KSM
    network_advanced="y" + typed("20") + ENTER * 5,  # VLAN 20; MTU, rate, queues, MAC, link down as they are
    upto="confirm",
)
CUSTOM_FLAGS = {"name": "web5", "disk": ["ceph-pool:32", "local-lvm:100,ssd=0"], "balloon": False, "vlan": 20}
CUSTOM_ARGS = ("--name", "web5", "--disk", "ceph-pool:32", "--disk", "local-lvm:100,ssd=0", "--no-balloon", "--vlan", "20")  # fmt: skip
CASES = {
    "defaults": (answers(upto="confirm"), {}, ()),
    "customised": (CUSTOM_KEYS, CUSTOM_FLAGS, CUSTOM_ARGS),
}


@pytest.mark.parametrize("case", CASES)
def test_prompts_and_flags_plan_the_same_requests(cli: SimCli, term: PipeInput, case: str) -> None:
    keys, _, args = CASES[case]
    by_flags = cli("vm", "create", "--node", "pve1", "--dry-run", "-o", "json", *args)
    assert by_flags.code == 0, by_flags.stderr
    by_prompts = prompts(cli, term, keys, "--dry-run", "-o", "json")
    assert by_prompts.code == 0, by_prompts.stderr
    # the plans are the same; the VM file part may spell a default out (the prompts answer iothread/ssd)
    assert {**by_prompts.json(), "vm": None} == {**by_flags.json(), "vm": None}
    assert cli.writes() == []


@pytest.mark.parametrize("case", CASES)
def test_prompts_and_flags_build_the_same_config(cli: SimCli, term: PipeInput, case: str) -> None:
    keys, flags, _ = CASES[case]
    client = AppContext(GlobalOptions()).client()  # the fixture's simulator client
    term.send_text(keys)
    term.close()
    from_prompts = collect(VmConfig(), ReferenceData(client))
    from_flags = apply_flags(VmConfig(), {"node": "pve1", **flags})
    assert from_prompts == from_flags


# -- whole runs ------------------------------------------------------------------------------------------------


def test_accept_all_defaults_creates_the_vm_after_the_dry_run_summary(cli: SimCli, term: PipeInput) -> None:
    dry = cli("vm", "create", "--node", "pve1", "--dry-run")
    run = prompts(cli, term, answers())
    assert run.code == 0, run.stderr
    vmid = int(dry.stdout.split()[3].rstrip(":"))
    assert run.stdout == dry.stdout + f"VM {vmid} created on pve1\n"  # the summary is the --dry-run text
    assert cli.writes() == ["POST /nodes/pve1/qemu", f"PUT /nodes/pve1/qemu/{vmid}/config"]
    assert "[ok] create: VM" in run.stderr and "[ok] serial" in run.stderr  # progress of each request
    assert "Loading ISO images on cephfs..." in run.stderr
    config = cli("vm", "show", str(vmid), "-o", "json").json()
    assert config["ide2"] == f"{NIXOS},media=cdrom"


def test_customised_run_two_disks_vlan_no_ballooning(cli: SimCli, term: PipeInput) -> None:
    run = prompts(cli, term, CUSTOM_KEYS + ENTER)
    assert run.code == 0, run.stderr
    assert "Disk 2 is scsi1: local-lvm, 100 GiB" in run.stderr  # the builder names the devices
    shown = cli("vm", "show", "web5", "-o", "json")
    assert shown.code == 0, shown.stderr
    config = shown.json()
    assert config["scsi1"].startswith("local-lvm:vm-")
    assert "tag=20" in config["net0"]
    assert str(config["balloon"]) == "0"


def test_flags_pre_fill_the_answers(cli: SimCli, term: PipeInput) -> None:
    # --vlan is advanced: the "customise advanced options?" question now defaults to yes and shows it
    keys = answers(network_advanced=ENTER * 7, upto="confirm")
    run = prompts(cli, term, keys, "--name", "web7", "--memory", "4096", "--vlan", "30", "--dry-run", "-o", "json")
    params = create_params(run)
    assert (params["name"], params["memory"]) == ("web7", "4096")
    assert "tag=30" in params["net0"]


def test_pre_filled_tags_keep_their_order(cli: SimCli, term: PipeInput) -> None:
    flags = ("--tag", "web", "--tag", "prod", "--tag", "brand-new", "--dry-run", "-o", "json")
    by_flags = cli("vm", "create", "--node", "pve1", *flags)
    by_prompts = prompts(cli, term, answers(upto="confirm"), *flags)
    assert create_params(by_prompts)["tags"] == create_params(by_flags)["tags"] == "web;prod;brand-new"


def test_answers_that_make_a_pre_filled_value_meaningless_drop_it(cli: SimCli, term: PipeInput) -> None:
    # --secure-boot needs OVMF, --mtu a virtio NIC: choosing SeaBIOS and e1000 drops them instead of failing
    skipped = {"efidisk": "", "efi_storage": "", "secure_boot": ""}  # not asked on SeaBIOS
    keys = answers(bios=pick("SeaBIOS"), net_model=pick("e1000"), **skipped, upto="confirm")
    run = prompts(cli, term, keys, "--secure-boot", "--mtu", "9000", "--dry-run", "-o", "json")
    params = create_params(run)
    assert (params["bios"], params.get("efidisk0")) == ("seabios", None)
    assert params["net0"] == "e1000,bridge=vmbr9,firewall=1"


def test_a_default_the_server_lacks_is_replaced_with_a_note(cli: SimCli, term: PipeInput) -> None:
    run = prompts(cli, term, answers(upto="confirm"), "--bridge", "vmbr7", "--dry-run", "-o", "json")
    assert create_params(run)["net0"] == "virtio,bridge=vmbr0,firewall=1"
    assert "note: bridge 'vmbr7' does not exist on pve1; preselected 'vmbr0'" in run.stderr


def test_an_offline_node_cannot_be_chosen(cli: SimCli, term: PipeInput) -> None:
    cli.sim.inject("node-offline:node=pve2")
    run = prompts(cli, term, answers(upto="confirm"), "--node", "pve2", "--dry-run", "-o", "json")
    assert create_params(run)
    assert run.json()["requests"][0]["path"] == "/nodes/pve1/qemu"
    assert "note: node 'pve2' is offline; preselected 'pve1'" in run.stderr


def test_typing_filters_a_list_and_picks(cli: SimCli, term: PipeInput) -> None:
    keys = answers(node=pick("pve2"), pool=pick("lab"), tags=DOWN + " " + ENTER, new_tags=typed("new1"), upto="confirm")
    run = prompts(cli, term, keys, "--dry-run", "-o", "json")
    params = create_params(run)
    assert run.json()["requests"][0]["path"] == "/nodes/pve2/qemu"
    assert params["pool"] == "lab"
    assert params["tags"] == "lab;new1"  # existing tags: infra, lab, prod, web


# -- states: empty, error -------------------------------------------------------------------------------------


def _empty_local_isos(cli: SimCli) -> None:
    removed = cli("api", "delete", "/nodes/pve1/storage/local/content/local:iso/virtio-win-0.1.266.iso")
    assert removed.code == 0, removed.stderr
    cli.requests.clear()


def test_empty_iso_list_offers_the_physical_drive(cli: SimCli, term: PipeInput) -> None:
    _empty_local_isos(cli)
    keys = answers(iso_storage=pick("local"), iso=pick("physical"), upto="confirm")
    run = prompts(cli, term, keys, "--dry-run", "-o", "json")
    assert create_params(run)["ide2"] == "cdrom,media=cdrom"
    assert "No ISO images on storage 'local'." in run.stderr


def test_empty_iso_list_offers_another_storage(cli: SimCli, term: PipeInput) -> None:
    _empty_local_isos(cli)
    keys = answers(iso_storage=pick("local"), iso=pick("another") + pick("cephfs") + ENTER, upto="confirm")
    run = prompts(cli, term, keys, "--dry-run", "-o", "json")
    assert create_params(run)["ide2"] == f"{NIXOS},media=cdrom"


def test_no_media(cli: SimCli, term: PipeInput) -> None:
    run = prompts(cli, term, answers(media=pick("No media"), upto="confirm"), "--dry-run", "-o", "json")
    assert create_params(run)["ide2"] == "none,media=cdrom"


def test_loading_error_then_retry(cli: SimCli, term: PipeInput) -> None:
    cli.sim.inject("fail:path=/nodes/{node}/storage/{storage}/content,method=GET,status=500,message=ceph is slow")
    keys = answers(iso=ENTER + ENTER, upto="confirm")  # "Retry" (the default), then the ISO
    run = prompts(cli, term, keys, "--dry-run", "-o", "json")
    assert create_params(run)["ide2"] == f"{NIXOS},media=cdrom"
    assert "error: cannot load ISO images on cephfs: " in run.stderr
    assert "ceph is slow" in run.stderr
    contents = [r for r in cli.requests if r.url.path.endswith("/storage/cephfs/content")]
    assert len(contents) >= 2  # asked again


def test_loading_error_then_abort_sends_nothing(cli: SimCli, term: PipeInput) -> None:
    cli.sim.inject("fail:path=/nodes/{node}/storage/{storage}/content,method=GET,status=500")
    run = prompts(cli, term, answers(iso=pick("Abort")))
    assert run.code == 130
    assert run.stderr.endswith("\ninterrupted: nothing was sent\n")  # leaving is no error (as --tui)
    assert cli.writes() == []


# -- validation as typed ---------------------------------------------------------------------------------------


def test_invalid_numbers_are_refused_until_valid(cli: SimCli, term: PipeInput) -> None:
    keys = answers(
        vmid=typed("100") + typed("12") + typed("4242"),  # 100 is taken, 12 is out of range
        disk_size=typed("0") + typed("many") + typed("40"),
        memory=typed("lots") + typed("8") + typed("4096"),
        memory_advanced="y" + typed("9000") + typed("1024") + ENTER * 3,  # minimum > memory is refused; shares
        network_advanced="y" + typed("5000") + typed("20") + ENTER * 5,
        upto="confirm",
    )
    params = create_params(prompts(cli, term, keys, "--dry-run", "-o", "json"))
    assert params["vmid"] == "4242"
    assert params["scsi0"].startswith("ceph-pool:40,")
    assert (params["memory"], params["balloon"]) == ("4096", "1024")
    assert "tag=20" in params["net0"]


# -- leaving ---------------------------------------------------------------------------------------------------


# typed ahead, a lone Esc would wait for the rest of an escape sequence; a key after it makes it a plain Esc
@pytest.mark.parametrize(
    ("key", "at"),  # a list, the multi-select, a yes/no, a text answer, the final confirmation
    [(CTRL_C, "node"), (CTRL_C, "tags"), (ESC + "qy", "ha"), (CTRL_C, "disk_size"), (ESC + "qy", "disk_size"), (ESC + "qy", "review")],
    ids=["ctrl-c-list", "ctrl-c-multi", "esc-yes-no", "ctrl-c-text", "esc-text", "esc-review"],
)  # fmt: skip
def test_interrupt_at_any_question_sends_nothing(cli: SimCli, term: PipeInput, key: str, at: str) -> None:
    """Ctrl-C stops at once; Esc asks "Discard your answers?" first (here answered yes)."""
    run = prompts(cli, term, answers(upto=at) + key)
    assert run.code == 130
    ending = "interrupted" if key == CTRL_C else "discarded"
    assert run.stderr.splitlines()[-1] == f"{ending}: nothing was sent"  # the words --tui prints
    assert "Traceback" not in run.stderr
    assert cli.writes() == []


def test_declining_at_the_summary_returns_to_the_review(cli: SimCli, term: PipeInput) -> None:
    run = prompts(cli, term, answers(confirm="n") + pick("Discard"))
    assert run.code == 130
    assert "Plan for VM" in run.stdout
    assert "Not created; back to the review (nothing was sent)." in run.stderr
    assert run.stderr.splitlines()[-1] == "discarded: nothing was sent"
    assert cli.writes() == []


def test_esc_asks_and_no_asks_the_step_again(cli: SimCli, term: PipeInput) -> None:
    # Esc at "Add to HA", "no" to discarding: General is asked again from its start, then all goes on
    keys = answers(upto="ha") + ESC + "qn" + answers(name=typed("again"), upto="review") + ENTER + ENTER
    params = create_params(prompts(cli, term, keys, "--dry-run", "-o", "json"))
    assert params["name"] == "again"
    assert params["ha-managed"] == "1"  # the keys lined up: every question of General was asked again


def test_review_menu_edits_an_earlier_step(cli: SimCli, term: PipeInput) -> None:
    # at the review: pick General, change the name (other answers kept as defaults), then go on
    general = ENTER * 2 + typed("edited") + ENTER * 6
    keys = answers(name=typed("first"), upto="review") + pick("General") + general + ENTER
    run = prompts(cli, term, keys, "--dry-run", "-o", "json")
    params = create_params(run)
    assert params["name"] == "edited"
    assert params["net0"] == "virtio,bridge=vmbr9,firewall=1"  # the steps after it kept their answers


def test_declining_create_and_changing_a_step_then_creating(cli: SimCli, term: PipeInput) -> None:
    cpu = typed("2") + typed("6") + ENTER + ENTER  # sockets, cores, type, no advanced options
    keys = answers(confirm="n") + pick("CPU") + cpu + ENTER + "y"
    run = prompts(cli, term, keys)
    assert run.code == 0, run.stderr
    (create,) = [r for r in cli.requests if r.method == "POST" and r.url.path.endswith("/qemu")]
    assert b"cores=6" in create.content and b"sockets=2" in create.content


def test_without_a_terminal_it_suggests_flags(cli: SimCli) -> None:
    run = cli("vm", "create", "-i")
    assert run.code == 2
    assert len(run.stderr.splitlines()) == 1
    assert "needs a terminal" in run.stderr and "flags" in run.stderr
    assert cli.requests == []


def test_partial_success_names_the_remedy(cli: SimCli, term: PipeInput) -> None:
    cli.sim.inject("fail:path=/nodes/{node}/qemu/{vmid}/config,method=PUT,status=500,message=VM is locked")
    run = prompts(cli, term, answers(name=typed("half")))
    assert run.code == 6
    assert "[!!] serial: VM is locked" in run.stderr
    assert "finish with: pvectl vm serial-console enable" in run.stderr


def test_tag_order_is_kept(cli: SimCli, term: PipeInput) -> None:
    # "web" is in use on the server (offered in the list), "zeta" is new (typed): the order given stays
    run = prompts(cli, term, answers(upto="confirm"), "--tag", "zeta", "--tag", "web", "--dry-run", "-o", "json")
    assert create_params(run)["tags"] == "zeta;web"
