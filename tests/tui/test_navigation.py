"""Visible focus and clear navigation: a focused widget reads as focused without colour, the stepper says
where you are, Back cannot be used on the first step, and ``q`` outside a text field asks to quit."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Button, Input

from pvectl.tui.screens.quit import QuitScreen
from pvectl.tui.widgets.choice import Choice
from pvectl.tui.widgets.field import FieldRow
from pvectl.tui.widgets.stepper import Stepper
from pvectl.tui.widgets.toggle import Toggle
from tests.tui.conftest import make_app, settle
from tests.tui.helpers import app_of, focus
from tests.vm.conftest import SimCli


def attributes(pilot: Pilot[Any], widget: Widget) -> set[str]:
    """Text attributes (not colours) drawn inside ``widget``'s region."""
    strips = pilot.app.screen._compositor.render_strips()
    region = widget.region
    out: set[str] = set()
    for y in range(region.y, region.y + region.height):
        x = 0
        for segment in strips[y]:
            end = x + segment.cell_length
            if end > region.x and x < region.right and segment.text.strip() and segment.style:
                out |= {a for a in ("reverse", "underline", "bold") if getattr(segment.style, a)}
            x = end
    return out


def label_of(widget: Widget) -> Widget:
    row = next(a for a in widget.ancestors if isinstance(a, FieldRow))
    return row.query_one(".label")


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "NO_COLOR"])
async def test_every_focusable_widget_type_has_a_visible_focus(
    cli: SimCli, no_color: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(cli.sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        for kind in (Choice, Input, Toggle):
            widget = screen.query(kind).first()
            other = screen.query(kind).last()
            await focus(pilot, widget)
            await settle(pilot)
            await pilot.pause(0.1)
            assert "reverse" in attributes(pilot, label_of(widget)), kind
            assert attributes(pilot, widget) & {"reverse", "underline"}, kind
            assert "reverse" not in attributes(pilot, label_of(other)), kind  # only the focused row
        button = screen.query_one("#next", Button)
        before = attributes(pilot, button)
        await focus(pilot, button)
        await settle(pilot)
        await pilot.pause(0.1)
        assert "reverse" in attributes(pilot, button) - before


async def test_stepper_names_the_step_and_back_is_off_on_the_first(cli: SimCli) -> None:
    app = make_app(cli.sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.query_one(Stepper).heading == "1/8 General"
        assert app.screen.query_one("#back", Button).disabled
        await pilot.press("escape")
        await settle(pilot)
        assert app_of(pilot).step == "general"
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert app.screen.query_one(Stepper).heading == "3/8 System"
        assert "3/8 System" in str(app.screen.query_one(Stepper).render())
        assert not app.screen.query_one("#back", Button).disabled


async def test_q_asks_to_quit_outside_text_fields_and_types_in_them(cli: SimCli) -> None:
    app = make_app(cli.sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        name = next(r for r in app.screen.query(FieldRow) if r.key == "general.name").control
        await focus(pilot, name)
        await pilot.press("q")
        await settle(pilot)
        assert not isinstance(app.screen, QuitScreen)
        assert app.wizard.config.general.name == "q"
        await focus(pilot, app.screen.query(Toggle).first())
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("n")
        await settle(pilot)
        assert not isinstance(app.screen, QuitScreen)
