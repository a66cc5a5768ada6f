"""Driving the wizard from tests: answer a field as a user would, move between steps."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Button, Input, Select

from pvectl.tui.app import WizardApp
from pvectl.tui.widgets.field import FieldRow
from pvectl.tui.widgets.toggle import Toggle
from tests.tui.conftest import settle


def app_of(pilot: Pilot[Any]) -> WizardApp:
    assert isinstance(pilot.app, WizardApp)
    return pilot.app


def row(pilot: Pilot[Any], key: str) -> FieldRow:
    return next(r for r in pilot.app.screen.query(FieldRow) if r.key == key)


async def answer(pilot: Pilot[Any], key: str, value: Any) -> None:
    """Set a control the way typing or choosing would (its Changed message reaches the screen)."""
    control = row(pilot, key).control
    if isinstance(control, Toggle):
        control.value = bool(value)
    elif isinstance(control, Select):
        control.value = value
    else:
        assert isinstance(control, Input)
        control.value = str(value)
    # The change reaches the screen in two message hops (control, then its row): on a loaded machine a short
    # pause is not enough, so wait until the control, its row and the screen have nothing left to handle.
    pumps = [control, row(pilot, key), pilot.app.screen]
    for _ in range(250):
        await pilot.pause(0.01)
        if all(pump._message_queue.empty() for pump in pumps):
            break
    await settle(pilot)


async def next_(pilot: Pilot[Any], times: int = 1) -> None:
    for _ in range(times):
        button = pilot.app.screen.query_one("#next", Button)
        assert not button.disabled, row_errors(pilot)
        await pilot.press("enter")
        await settle(pilot)


def row_errors(pilot: Pilot[Any]) -> dict[str, str]:
    return {r.key: r.status_text for r in pilot.app.screen.query(FieldRow) if r.has_class("-invalid")}


async def to_step(pilot: Pilot[Any], step: str) -> None:
    while app_of(pilot).step != step:
        await next_(pilot)


async def focus(pilot: Pilot[Any], widget: Widget) -> None:
    """Focus a widget and wait until it has the focus: ``focus()`` only schedules it, a step's own first focus may
    land after it, and a key pressed before it lands goes elsewhere (on a loaded machine that happens)."""
    widget.focus()
    if not widget.focusable:  # disabled: focus() does nothing, the key goes where the focus is (as a user's would)
        return
    for _ in range(250):
        await pilot.pause(0.02)
        if pilot.app.screen.focused is widget:
            return
        widget.focus()
    raise AssertionError(f"{widget!r} never got the focus ({pilot.app.screen.focused!r} has it)")
