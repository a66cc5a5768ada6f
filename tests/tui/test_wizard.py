"""The wizard driven with Pilot against the simulator: login, every step, confirm, submit and its outcomes."""

from __future__ import annotations

import json

import httpx
from textual.widgets import Button, Input, Select, Static

from pvectl.tui.screens.quit import QuitScreen
from pvectl.tui.services import Session
from pvectl.vm.config import VmConfig
from tests.tui.conftest import GatedSession, SimConnector, empty_sim, make_app, password_of, settle, sim_client, until
from tests.tui.helpers import answer, app_of, focus, next_, row, to_step
from tests.vm.conftest import SimCli

SIZE = (80, 24)


def _vm_config(cli: SimCli, vmid: int) -> dict[str, str]:
    run = cli("api", "get", f"/nodes/pve1/qemu/{vmid}/config", "-o", "json")
    assert run.code == 0, run.stderr
    data: dict[str, str] = run.json()
    return data


async def _create(pilot: object, *, walk: bool = False) -> None:
    """Go to Confirm (step by step, or straight there) and create the VM."""
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    if walk:
        await to_step(pilot, "confirm")
    else:
        app_of(pilot).go("confirm")
    await until(pilot, lambda: not pilot.app.screen.query_one("#create", Button).disabled)
    await pilot.press("ctrl+s")
    await until(pilot, lambda: app_of(pilot).outcome is not None)
    await settle(pilot)


async def test_full_default_run_with_login(cli: SimCli) -> None:
    connector = SimConnector(cli.sim)
    app = make_app(cli.sim, session=Session(connector=connector))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#realm", Select).value == "pam"  # the server's default realm
        app.screen.query_one("#password", Input).value = password_of(cli.sim)
        await pilot.press("ctrl+l")
        await until(pilot, lambda: app.step == "general")
        await settle(pilot)
        assert connector.logins == [("root", "pam", None)]
        await _create(pilot, walk=True)
        assert app.outcome is not None and app.outcome.kind == "created", app.outcome
        vmid = app.outcome.vmid
        assert vmid is not None
        config = _vm_config(cli, vmid)
        assert (config["serial0"], config["vga"]) == ("socket", "serial0")
        assert config["ide2"].startswith("cephfs:iso/nixos-minimal-25.05")
        await pilot.press("escape")  # Close
    assert app.return_value == 0


async def test_login_errors_are_inline_and_a_second_factor_is_asked_for(cli: SimCli) -> None:
    connector = SimConnector(cli.sim, otp="123456")
    app = make_app(cli.sim, session=Session(connector=connector))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not app.screen.query_one("#line-otp").display
        app.screen.query_one("#password", Input).value = password_of(cli.sim)
        await pilot.press("ctrl+l")
        await until(pilot, lambda: app.screen.query_one("#line-otp").display)
        assert "second factor" in str(app.screen.query_one("#login-error", Static).render())
        app.screen.query_one("#otp", Input).value = "123456"
        await pilot.press("ctrl+l")
        await until(pilot, lambda: app.step == "general")
    connector = SimConnector(cli.sim)
    app = make_app(cli.sim, session=Session(connector=connector))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#password", Input).value = "wrong"
        await pilot.press("ctrl+l")
        await until(pilot, lambda: app.screen.query_one("#login-error").display)
        assert "401" in str(app.screen.query_one("#login-error", Static).render())
        assert app.step == "login"


async def test_customised_run(cli: SimCli) -> None:
    app = make_app(cli.sim)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await answer(pilot, "general.name", "web7")
        await next_(pilot)
        await answer(pilot, "os.media", "none")
        assert row(pilot, "os.iso").control.disabled
        await next_(pilot, 2)
        assert app.step == "disks"
        await pilot.press("ctrl+n")
        await settle(pilot)
        await answer(pilot, "disks[1].size_gib", 100)
        await answer(pilot, "disks[1].storage", "local")
        assert row(pilot, "disks[1].format").known == {"raw", "qcow2", "vmdk"}  # a dir storage
        await answer(pilot, "disks[1].storage", "local-lvm")
        assert row(pilot, "disks[1].format").known == {"raw"}  # thin LVM stores raw only
        assert "scsi1" in str(app.screen.query("DiskBox").last().border_title)
        await next_(pilot, 2)
        await answer(pilot, "memory.ballooning", False)
        await next_(pilot)
        await answer(pilot, "network.vlan", 20)
        await _create(pilot, walk=True)
        outcome = app.outcome
        assert outcome is not None and outcome.kind == "created", outcome
        assert outcome.plan is not None
        params = outcome.plan.requests[0].params
        assert params["ide2"] == "none,media=cdrom"
        assert params["scsi0"].startswith("ceph-pool:32,") and params["scsi1"].startswith("local-lvm:100,")
        assert params["balloon"] == "0"
        assert "tag=20" in params["net0"]
        assert params["name"] == "web7"


async def test_back_and_next_keep_every_answer_and_min_memory_follows(cli: SimCli) -> None:
    app = make_app(cli.sim)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await answer(pilot, "general.name", "keep-me")
        await answer(pilot, "general.pool", "lab")
        await next_(pilot)
        await answer(pilot, "os.ostype", "win11")
        await to_step(pilot, "memory")
        await answer(pilot, "memory.memory", 4096)
        min_input = row(pilot, "memory.min_memory").control
        assert isinstance(min_input, Input) and min_input.value == "4096"  # follows memory
        assert app.wizard.config.memory.min_memory is None
        await answer(pilot, "memory.min_memory", 1024)
        await answer(pilot, "memory.memory", 8192)
        assert min_input.value == "1024"  # edited: stops following
        for _ in range(5):
            await pilot.press("escape")
            await settle(pilot)
        assert app.step == "general"
        name = row(pilot, "general.name").control
        assert isinstance(name, Input) and name.value == "keep-me"
        assert row(pilot, "general.pool").control.value == "lab"  # type: ignore[attr-defined]
        await next_(pilot)
        assert row(pilot, "os.ostype").control.value == "win11"  # type: ignore[attr-defined]
        memory = app.wizard.config.memory.model_dump()
        assert (memory["memory"], memory["min_memory"]) == (8192, 1024)


async def test_validation_blocks_next(cli: SimCli) -> None:
    app = make_app(cli.sim)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await answer(pilot, "general.name", "bad_name!")
        assert row(pilot, "general.name").has_class("-invalid")
        assert "not a valid DNS name" in row(pilot, "general.name").status_text
        assert app.screen.query_one("#next", Button).disabled
        await pilot.press("enter")
        await settle(pilot)
        assert app.step == "general"
        await answer(pilot, "general.vmid", "abc")
        assert "not a whole number" in row(pilot, "general.vmid").status_text
        await answer(pilot, "general.vmid", "100")  # taken by dns1
        assert "already in use" in row(pilot, "general.vmid").status_text
        await answer(pilot, "general.vmid", "")
        await answer(pilot, "general.name", "good-name")
        assert not app.screen.query_one("#next", Button).disabled
        app.go("memory")
        await settle(pilot)
        await answer(pilot, "memory.min_memory", 4096)
        assert "must not exceed memory" in row(pilot, "memory.min_memory").status_text
        assert app.screen.query_one("#next", Button).disabled


async def test_loading_error_then_retry(cli: SimCli) -> None:
    cli.sim.inject("fail:path=/nodes/{node}/network,method=GET,status=500,message=network config unreadable")
    app = make_app(cli.sim)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.go("network")
        await settle(pilot)
        bridge = row(pilot, "network.bridge")
        assert bridge.state == "error"
        assert "network config unreadable" in bridge.status_text
        retry = bridge.query_one(".retry", Button)
        await focus(pilot, retry)
        await pilot.press("enter")
        await until(pilot, lambda: bridge.state == "ready")  # the reload runs in a worker: wait for it, not a pause
        assert not bridge.query(".retry")


async def test_loading_state_is_shown_while_waiting(cli: SimCli) -> None:
    session = GatedSession(sim_client(cli.sim))
    app = make_app(cli.sim, session=session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert row(pilot, "general.node").state == "loading"
        assert "loading nodes" in row(pilot, "general.node").status_text
        session.gate.set()
        await settle(pilot)
        assert row(pilot, "general.node").state == "ready"


async def test_empty_iso_list(cli: SimCli) -> None:
    sim = empty_sim()
    app = make_app(sim)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await next_(pilot)
        iso = row(pilot, "os.iso")
        assert iso.state == "empty"
        assert "no ISO images on cephfs" in iso.status_text
        assert app.screen.query_one("#next", Button).disabled  # an ISO is needed ...
        await answer(pilot, "os.media", "none")
        assert not app.screen.query_one("#next", Button).disabled  # ... unless there is no media


async def test_create_failure_with_per_field_errors(cli: SimCli) -> None:
    def refuse(request: httpx.Request) -> httpx.Response | None:
        if request.method == "POST" and request.url.path.endswith("/nodes/pve1/qemu"):
            body = {
                "data": None,
                "message": "Parameter verification failed.",
                "errors": {"net0": "bridge 'vmbr9' is not usable"},
            }
            return httpx.Response(400, json=body)
        return None

    app = make_app(cli.sim, hook=refuse)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _create(pilot)
        assert app.outcome is not None and app.outcome.kind == "nothing-created"
        text = str(app.screen.query_one("#outcome", Static).render())
        assert "Parameter verification failed" in text and "net0: bridge 'vmbr9' is not usable" in text
        fix = next(b for b in app.screen.query(Button) if b.name == "network")
        await focus(pilot, fix)
        await pilot.press("enter")
        await settle(pilot)
        assert app.step == "network"
    assert app.return_value == 130 or app.return_value is None or app.return_value == 1


async def test_partial_success_and_retry_of_the_serial_step(cli: SimCli) -> None:
    cli.sim.inject("fail:path=/nodes/{node}/qemu/{vmid}/config,method=PUT,status=500,message=config locked")
    app = make_app(cli.sim)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _create(pilot)
        outcome = app.outcome
        assert outcome is not None and outcome.kind == "partial"
        text = str(app.screen.query_one("#outcome", Static).render())
        assert "serial console" in text and f"pvectl vm serial-console enable {outcome.vmid}" in text
        retry = app.screen.query_one("#retry-serial", Button)
        await focus(pilot, retry)
        await pilot.press("enter")
        await until(pilot, lambda: outcome.kind == "created")
        await settle(pilot)
        assert "Success" in str(app.screen.query_one("#outcome", Static).render())
        config = _vm_config(cli, outcome.vmid or 0)
        assert config["serial0"] == "socket"
        await pilot.press("q")
    assert app.return_value == 0


async def test_quit_asks_and_sends_nothing(cli: SimCli) -> None:
    app = make_app(cli.sim)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, QuitScreen)
        await pilot.press("ctrl+c")
        await pilot.pause()
        await pilot.press("y")
    assert app.return_value == 130
    assert cli.writes() == []


async def test_dry_run_exits_with_the_plan(cli: SimCli) -> None:
    app = make_app(cli.sim, dry_run=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.go("confirm")
        await until(pilot, lambda: not app.screen.query_one("#create", Button).disabled)
        plan_text = str(app.screen.query_one("#plan", Static).render())
        assert "POST /nodes/pve1/qemu" in plan_text
        await pilot.press("ctrl+s")
    assert app.return_value == 0 and app.plan_to_print is not None
    assert json.dumps(app.plan_to_print.as_dict())


async def test_flags_prefill_the_wizard(cli: SimCli) -> None:
    config = VmConfig()
    config.general.name = "from-flags"
    config.cpu.cores = 8
    app = make_app(cli.sim, config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        name = row(pilot, "general.name").control
        assert isinstance(name, Input) and name.value == "from-flags"
        app.go("cpu")
        await settle(pilot)
        cores = row(pilot, "cpu.cores").control
        assert isinstance(cores, Input) and cores.value == "8"


async def test_a_default_the_server_lacks_becomes_its_first_choice_with_a_note(cli: SimCli) -> None:
    config = VmConfig()
    config.network.bridge = "vmbr7"  # e.g. from [vm.defaults] or --bridge
    app = make_app(cli.sim, config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.go("network")
        await settle(pilot)
        assert app.wizard.config.network.bridge == "vmbr0"
        assert "Bridge 'vmbr7' does not exist; using 'vmbr0'" in str(app.screen.query_one("#notes", Static).render())
        assert row(pilot, "network.bridge").control.value == "vmbr0"  # type: ignore[attr-defined]
