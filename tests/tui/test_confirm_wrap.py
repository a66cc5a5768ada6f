"""Confirm at 80x24 (issue 29 item 14): a value longer than the line (the default NixOS ISO's volume id, a disk
with limits) wraps under itself inside the plan's width, in the configuration and in the requests; nothing is left
for the terminal to wrap at column 1."""

from __future__ import annotations

import pytest
from textual.containers import VerticalScroll
from textual.widgets import Static

from pvectl.tui.text import wrap_under
from tests.tui.conftest import make_app, settle, until
from tests.tui.helpers import app_of
from tests.vm.conftest import SimCli


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_confirm_lines_fit_the_plan_and_wrap_under_themselves(cli: SimCli, size: tuple[int, int]) -> None:
    app = make_app(cli.sim, dry_run=True)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app_of(pilot).go("confirm")
        await until(pilot, lambda: getattr(app.screen, "review", None) is not None)
        await settle(pilot)
        width = app.screen.query_one("#form", VerticalScroll).scrollable_content_region.width
        for name in ("summary", "plan"):
            widget = app.screen.query_one(f"#{name}", Static)
            text = str(widget.render())
            assert "nixos-minimal" in text  # the default ISO's volume id: longer than an 80-column line
            lines = text.splitlines()
            assert max(len(line) for line in lines) <= width, (name, width)
            assert widget.size.height == len(lines)  # the terminal wrapped none of them
        plan = str(app.screen.query_one("#plan", Static).render()).splitlines()
        iso = next(i for i, line in enumerate(plan) if line.lstrip().startswith("ide2="))
        assert plan[iso + 1].startswith(" " * 9) or plan[iso].endswith("media=cdrom")  # under itself


def test_wrap_under_breaks_after_commas_and_indents_the_rest() -> None:
    line = "       scsi0=ceph-pool:32,aio=io_uring,format=raw,iothread=1,ssd=1,mbps_rd=100,mbps_wr=100,iops_rd=5000"
    wrapped = wrap_under(line, 40).splitlines()
    assert all(len(part) <= 40 for part in wrapped)
    assert wrapped[0].startswith("       scsi0=") and all(part.startswith(" " * 9) for part in wrapped[1:])
    assert "".join(part.strip() for part in wrapped) == line.strip()  # nothing lost or added but the indent
    assert all(part.endswith(",") for part in wrapped[:-1])  # broken after a comma, never inside a key=value
    assert wrap_under("short\n  also short", 40) == "short\n  also short"
    purpose = (
        "  2. PUT /nodes/pve1/qemu/103/config  # serial console (the digest of the config read just before guards)"
    )
    parts = wrap_under(purpose, 50).splitlines()
    assert all(len(part) <= 50 for part in parts) and all(part.startswith(" " * 4) for part in parts[1:])
    assert " ".join(" ".join(parts).split()) == " ".join(purpose.split())  # broken between words only
    long_word = "x" * 100
    assert "".join(p.strip() for p in wrap_under(long_word, 30).splitlines()) == long_word


async def test_a_long_help_line_is_shown_whole_at_80_columns(cli: SimCli) -> None:
    """The help line under the form takes a second row for the longest helps (the ISO's, the VirtIO CD's)."""
    from pvectl.vm.config import VmConfig
    from tests.tui.helpers import focus, row

    app = make_app(cli.sim, VmConfig(os={"ostype": "win11"}), dry_run=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app_of(pilot).go("os")
        await settle(pilot)
        for key in ("os.iso", "os.virtio_iso"):
            field = row(pilot, key)
            if not field.display:
                app.screen.show_advanced(True)  # type: ignore[attr-defined]
                await settle(pilot)
            await focus(pilot, field.control)
            help_line = app.screen.query_one("#help", Static)
            await until(pilot, lambda h=help_line, f=field: str(h.render()) == f.spec.help)  # type: ignore[misc]
            await pilot.pause(0.05)
            assert len(field.spec.help) > 78 and help_line.size.height == 2, (key, help_line.size)
