"""``pvectl vm create --tui``: the flags pre-fill the wizard; its outcome becomes the exit code and a summary."""

from __future__ import annotations

from typing import Any

import pytest

from pvectl.cli.commands.vm.flags import apply_flags
from pvectl.tui.app import WizardApp
from pvectl.vm.config import VmConfig
from pvectl.vm.outcome import Outcome
from tests.tui.test_equivalence import ARGS, FLAGS
from tests.vm.conftest import SimCli


def test_the_tui_flag_runs_the_wizard_prefilled_by_the_flags(cli: SimCli, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_run(self: WizardApp) -> int:
        seen["config"], seen["dry_run"] = self.wizard.config, self.dry_run
        return 130

    monkeypatch.setattr(WizardApp, "run", fake_run)
    monkeypatch.setattr("pvectl.tui.has_terminal", lambda: True)
    run = cli("vm", "create", "--tui", *ARGS)
    assert run.code == 130
    assert seen["config"] == apply_flags(VmConfig(), FLAGS)
    assert seen["dry_run"] is False
    assert cli.writes() == []


def test_the_outcome_is_printed_and_becomes_the_exit_code(cli: SimCli, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_run(self: WizardApp) -> int:
        self.outcome = Outcome(
            "partial",
            104,
            "pve1",
            "VM 104 exists on pve1, but the serial console step failed: locked",
            missing=["serial console"],
            remedies=["pvectl vm serial-console enable 104"],
        )
        return self.exit_code()

    monkeypatch.setattr(WizardApp, "run", fake_run)
    monkeypatch.setattr("pvectl.tui.has_terminal", lambda: True)
    run = cli("vm", "create", "--tui")
    assert run.code == 6
    assert "finish with: pvectl --sim vm serial-console enable 104" in run.stdout  # on --sim: copyable as is


@pytest.mark.parametrize("args", [("--help",), ("vm", "create", "--help")])
def test_help_does_not_load_the_wizard(args: tuple[str, ...]) -> None:
    from tests.cli._subproc import pvectl

    run = pvectl(*args)
    assert run.code == 0, run.stderr
    assert not [m for m in run.modules if m.split(".")[0] == "textual" or m.startswith("pvectl.tui")]
    if "create" in args:
        assert "--tui" in run.stdout
