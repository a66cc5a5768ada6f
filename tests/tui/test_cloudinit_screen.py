"""The optional Cloud-Init step of ``vm create --tui`` (Pilot, the simulator on a mock transport)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote

import httpx
from textual.widgets import Button, Input, Static

from pvectl.vm.config import VmConfig
from tests.tui.conftest import make_app, settle, until
from tests.tui.helpers import answer, app_of, next_, row, row_errors, to_step
from tests.vm.conftest import SimCli
from tests.vm.test_cli_cloudinit import KEYS, SECRET

SIZE = (100, 40)


async def test_cloud_init_step_is_off_by_default_and_creates_with_it_on(cli: SimCli, tmp_path: Path) -> None:
    keyfile = tmp_path / "id.pub"
    keyfile.write_text(KEYS)
    sent: list[httpx.Request] = []
    app = make_app(cli.sim, hook=lambda request: sent.append(request))  # records, the simulator answers
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await to_step(pilot, "cloudinit")
        assert not row(pilot, "cloudinit.user").display  # off: only the switch shows
        assert "Cloud-Init (optional)" in str(app.screen.query_one("Stepper").render())
        await answer(pilot, "cloudinit.enabled", True)
        assert row(pilot, "cloudinit.user").display
        password = row(pilot, "cloudinit.password").control
        assert isinstance(password, Input) and password.password  # masked while typed
        await answer(pilot, "cloudinit.user", "admin")
        await answer(pilot, "cloudinit.password", SECRET)
        await answer(pilot, "cloudinit.ssh_keys", str(tmp_path / "missing.pub"))
        assert "cloudinit.ssh_keys" in row_errors(pilot)  # a file that cannot be read blocks Next
        assert app.screen.query_one("#next", Button).disabled
        await answer(pilot, "cloudinit.ssh_keys", str(keyfile))
        await answer(pilot, "cloudinit.ipconfig", "dhcp")
        assert "cloudinit.ipconfig" in row_errors(pilot)
        await answer(pilot, "cloudinit.ipconfig", "ip=10.0.0.9/24,gw=10.0.0.1")
        await next_(pilot)
        assert app_of(pilot).step == "confirm"
        await until(pilot, lambda: not app.screen.query_one("#create", Button).disabled)
        shown = str(app.screen.query_one("#summary", Static).render()) + str(
            app.screen.query_one("#plan", Static).render()
        )
        assert "Password: set" in shown and SECRET not in shown
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app_of(pilot).outcome is not None)
        await settle(pilot)
        outcome = app.outcome
        assert outcome is not None and outcome.kind == "created", outcome
        assert outcome.done == ["create", "serial", "cipassword", "cloudinit"]
        config = cli("vm", "show", str(outcome.vmid), "-o", "json").json()
        assert unquote(config["sshkeys"]) == KEYS and config["ciuser"] == "admin"
        assert config["ipconfig0"] == "ip=10.0.0.9/24,gw=10.0.0.1" and config["cipassword"] == "**********"
        (update,) = [parse_qs(r.content.decode()) for r in sent if r.method == "PUT" and b"cipassword" in r.content]
        assert update["cipassword"] == [SECRET] and update["digest"]  # the whole password, typed once, sent once
        (create,) = [r for r in sent if r.method == "POST" and r.url.path.endswith("/qemu")]
        assert b"cipassword" not in create.content


async def test_switching_off_leaves_cloud_init_out(cli: SimCli) -> None:
    config = VmConfig()
    config.cloudinit.user = "pre"  # pre-filled by a flag: the switch starts on
    app = make_app(cli.sim, config, dry_run=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app_of(pilot).go("cloudinit")
        await settle(pilot)
        assert row(pilot, "cloudinit.user").display
        await answer(pilot, "cloudinit.enabled", False)
        assert not app.wizard.config.cloudinit.on
        await answer(pilot, "cloudinit.enabled", True)  # back on: the settings return
        assert app.wizard.config.cloudinit.user == "pre"
        await answer(pilot, "cloudinit.enabled", False)
        await next_(pilot)
        await until(pilot, lambda: not app.screen.query_one("#create", Button).disabled)
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert app.plan_to_print is not None
    params = app.plan_to_print.requests[0].params
    assert not [k for k in params if k.startswith("ci") or "cloudinit" in params[k]]
