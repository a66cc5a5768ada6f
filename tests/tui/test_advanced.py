"""The Advanced switch (gui-wizard-reference.md §2): it shows and hides the advanced fields of a step, the step
remembers it, and a value set while they were shown is still sent after they are hidden again."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from pvectl.tui.widgets.field import FieldRow
from pvectl.tui.widgets.toggle import Toggle
from tests.tui.conftest import make_app, settle
from tests.tui.helpers import answer, app_of, focus


def shown(pilot: Pilot[Any]) -> set[str]:
    return {r.key for r in pilot.app.screen.query(FieldRow) if r.display}


async def press_switch(pilot: Pilot[Any]) -> None:
    switch = pilot.app.screen.query_one(".advanced-line Toggle", Toggle)
    await focus(pilot, switch)
    await pilot.press("space")
    await settle(pilot)


async def test_the_switch_shows_hides_and_is_remembered(cli: Any) -> None:
    app = make_app(cli.sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app_of(pilot).go("cpu")
        await settle(pilot)
        basic = {"cpu.sockets", "cpu.cores", "cpu.type"}
        assert shown(pilot) == basic
        await press_switch(pilot)
        assert shown(pilot) == basic | {
            f"cpu.{k}" for k in ("vcpus", "cpulimit", "cpuunits", "affinity", "numa", "flags")
        }
        await answer(pilot, "cpu.cpuunits", "300")
        await press_switch(pilot)
        assert shown(pilot) == basic
        app_of(pilot).go("memory")
        await settle(pilot)
        assert shown(pilot) == {"memory.memory"}  # another step: its own switch, off
        app_of(pilot).go("cpu")
        await settle(pilot)
        assert shown(pilot) == basic  # as the user left it
        review = app_of(pilot).session.review(app_of(pilot).wizard.config)
        assert review.plan is not None and review.plan.requests[0].params["cpuunits"] == "300"  # hidden, still sent
