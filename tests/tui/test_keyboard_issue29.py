"""Keyboard-driven defects of issue 29, each driven through Textual's Pilot against the simulator."""

from __future__ import annotations

from textual.widgets import Static

from pvectl.tui.widgets.field import FieldRow
from tests.tui.conftest import make_app, settle
from tests.tui.helpers import answer, app_of
from tests.vm.conftest import SimCli

SIZE = (80, 24)


async def test_every_cloud_init_field_can_be_focused(cli: SimCli) -> None:
    """Help text with brackets (``ip=IP/CIDR[,gw=IP]``) is shown as it is, never read as markup."""
    app = make_app(cli.sim, dry_run=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app_of(pilot).go("cloudinit")
        await settle(pilot)
        await answer(pilot, "cloudinit.enabled", True)
        rows = list(app.screen.query(FieldRow))
        assert len(rows) > 5
        for field in rows:
            field.control.focus()
            await pilot.pause()
            help_text = str(app.screen.query_one("#help", Static).render())
            assert help_text == field.spec.help, field.key
        ipconfig = next(r for r in rows if r.key == "cloudinit.ipconfig")
        assert "[" in ipconfig.spec.help
        for _ in range(len(rows) + 3):  # Tab and Shift-Tab through the whole step, the buttons included
            await pilot.press("tab")
        for _ in range(len(rows) + 3):
            await pilot.press("shift+tab")
        assert app.is_running
