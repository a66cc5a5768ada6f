"""SVG snapshots of every screen (pytest-textual-snapshot), at 80x24 and one larger size.

Update them after a deliberate change with ``pytest tests/tui --snapshot-update``; they live in
``tests/tui/__snapshots__/``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input

from pvectl.tui.services import Session
from tests.tui.conftest import GatedSession, SimConnector, empty_sim, make_app, settle, sim_client, until
from tests.tui.helpers import answer, app_of, focus
from tests.vm.conftest import SimCli

Snap = Callable[..., bool]
SIZE = (80, 24)


def at(step: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        if step != "general":
            app_of(pilot).go(step)
            await settle(pilot)
        if step == "confirm":
            await until(pilot, lambda: getattr(pilot.app.screen, "review", None) is not None)
            await settle(pilot)
        await pilot.pause(0.2)  # the focused field's label style lands after the focus event

    return run_before


async def _submitted(pilot: Pilot[Any]) -> None:
    await at("confirm")(pilot)
    await until(pilot, lambda: not pilot.app.screen.query_one("#create", Button).disabled)
    await pilot.press("ctrl+s")
    await until(pilot, lambda: app_of(pilot).outcome is not None)
    await settle(pilot)


@pytest.mark.parametrize("step", ["general", "os", "system", "disks", "cpu", "memory", "network", "confirm"])
def test_step_default(snap_compare: Snap, cli: SimCli, step: str) -> None:
    assert snap_compare(make_app(cli.sim), terminal_size=SIZE, run_before=at(step))


@pytest.mark.parametrize("step", ["general", "os", "system", "disks", "cpu", "memory", "network", "confirm"])
def test_step_large(snap_compare: Snap, cli: SimCli, step: str) -> None:
    assert snap_compare(make_app(cli.sim), terminal_size=(120, 40), run_before=at(step))


ADVANCED_STEPS = ["general", "os", "system", "disks", "cpu", "memory", "network"]


def advanced_app(cli: SimCli) -> Any:
    app = make_app(cli.sim)
    app.advanced.update(dict.fromkeys(ADVANCED_STEPS, True))  # as if the user turned the switch on everywhere
    return app


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("step", ADVANCED_STEPS)
def test_step_advanced(snap_compare: Snap, cli: SimCli, step: str, size: tuple[int, int]) -> None:
    assert snap_compare(advanced_app(cli), terminal_size=size, run_before=at(step))


def test_login(snap_compare: Snap, cli: SimCli) -> None:
    app = make_app(cli.sim, session=Session(connector=SimConnector(cli.sim)))
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


def test_login_error(snap_compare: Snap, cli: SimCli) -> None:
    class Down(SimConnector):
        def realms(self, server: str) -> list[dict[str, Any]]:
            raise ConnectionError(f"cannot connect to {server}: connection refused")

    async def run_before(pilot: Pilot[Any]) -> None:
        # states, not time: on a loaded machine the realms may fail after a first settle
        await until(pilot, lambda: getattr(pilot.app.screen, "realm_state", "") == "error")
        await settle(pilot)
        pilot.app.screen.query_one("#password", Input).value = "secret"
        await pilot.press("ctrl+l")
        await until(pilot, lambda: bool(pilot.app.screen.query_one("#login-error").display))
        await settle(pilot)

    app = make_app(cli.sim, session=Session(connector=Down(cli.sim, otp="1")))
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_loading(snap_compare: Snap, cli: SimCli, monkeypatch: pytest.MonkeyPatch) -> None:
    session = GatedSession(sim_client(cli.sim))
    app = make_app(cli.sim, session=session)
    exit_app = app.exit

    def open_the_gate_and_exit(*args: Any, **kwargs: Any) -> None:  # the screenshot is taken: let the loads end
        session.gate.set()
        exit_app(*args, **kwargs)

    monkeypatch.setattr(app, "exit", open_the_gate_and_exit)

    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
    finally:
        session.gate.set()


def test_empty_isos(snap_compare: Snap) -> None:
    assert snap_compare(make_app(empty_sim()), terminal_size=SIZE, run_before=at("os"))


def test_error_bridges(snap_compare: Snap, cli: SimCli) -> None:
    cli.sim.inject("fail:path=/nodes/{node}/network,method=GET,status=500,message=network config unreadable")
    assert snap_compare(make_app(cli.sim), terminal_size=SIZE, run_before=at("network"))


def test_invalid_field(snap_compare: Snap, cli: SimCli) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await answer(pilot, "general.name", "bad_name!")
        await focus(pilot, pilot.app.screen.query_one("#next"))

    assert snap_compare(make_app(cli.sim), terminal_size=SIZE, run_before=run_before)


def test_confirm_with_problems(snap_compare: Snap, cli: SimCli) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        app_of(pilot).wizard.config.memory.min_memory = 9999
        await at("confirm")(pilot)

    assert snap_compare(make_app(cli.sim), terminal_size=SIZE, run_before=run_before)


def test_outcome_success(snap_compare: Snap, cli: SimCli) -> None:
    assert snap_compare(make_app(cli.sim), terminal_size=SIZE, run_before=_submitted)


def test_outcome_partial(snap_compare: Snap, cli: SimCli) -> None:
    cli.sim.inject("fail:path=/nodes/{node}/qemu/{vmid}/config,method=PUT,status=500,message=config locked")
    assert snap_compare(make_app(cli.sim), terminal_size=SIZE, run_before=_submitted)


def test_outcome_failure(snap_compare: Snap, cli: SimCli) -> None:
    def refuse(request: httpx.Request) -> httpx.Response | None:
        if request.method == "POST" and request.url.path.endswith("/nodes/pve1/qemu"):
            errors = {"net0": "bridge 'vmbr9' is not usable", "memory": "value must be at least 16"}
            return httpx.Response(
                400, json={"data": None, "message": "Parameter verification failed.", "errors": errors}
            )
        return None

    assert snap_compare(make_app(cli.sim, hook=refuse), terminal_size=SIZE, run_before=_submitted)


def test_quit_dialog(snap_compare: Snap, cli: SimCli) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()

    assert snap_compare(make_app(cli.sim), terminal_size=SIZE, run_before=run_before)


def test_two_disks_with_a_problem(snap_compare: Snap, cli: SimCli) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await at("disks")(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await answer(pilot, "disks[1].bus", "virtio")
        await settle(pilot)  # the bus's Select.Changed lands after the first settle
        await answer(pilot, "disks[1].ssd", True)  # set by hand: virtio has no SSD emulation (a default is dropped)

    assert snap_compare(make_app(cli.sim), terminal_size=SIZE, run_before=run_before)


def test_focus_on_a_switch(snap_compare: Snap, cli: SimCli) -> None:
    """The focus style of a switch (the step snapshots show a focused text field or choice)."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await at("system")(pilot)
        from tests.tui.helpers import row

        await focus(pilot, row(pilot, "system.efidisk").control)
        await pilot.pause(0.2)

    assert snap_compare(make_app(cli.sim), terminal_size=SIZE, run_before=run_before)


def test_windows_11_defaults_noted(snap_compare: Snap, cli: SimCli) -> None:
    """After the guest OS changed: the OS step says what followed it, the Disks step why its bus is IDE."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await at("os")(pilot)
        await answer(pilot, "os.ostype", "win11")
        await at("disks")(pilot)

    assert snap_compare(make_app(cli.sim), terminal_size=SIZE, run_before=run_before)
