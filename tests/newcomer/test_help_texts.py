"""Help that tells the truth (issue 28): positional arguments by their usage names, which verbs ask, what
config list marks, the faults sim status shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pvectl.cli.app import app


def helptext(*args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(app, [*args, "--help"] if args[-1:] != ("status",) else list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize(
    ("command", "usage", "arguments"),
    [
        (("vm", "show"), "pvectl vm show [OPTIONS] VM", ["VM"]),
        (("vm", "resize"), "pvectl vm resize [OPTIONS] VM DISK SIZE", ["VM", "DISK", "SIZE"]),
        (("vm", "stop"), "pvectl vm stop [OPTIONS] [VMS]...", ["[VMS]..."]),
    ],
)
def test_positional_arguments_are_named_as_in_the_usage(
    command: tuple[str, ...], usage: str, arguments: list[str]
) -> None:
    text = helptext(*command)
    assert f"Usage: {usage}\n" in text
    assert "{" not in text.split("\n\n")[0]
    section = text.split("Arguments:\n", 1)[1].split("\n\n", 1)[0]
    assert [line.split()[0] for line in section.splitlines() if not line.startswith("    ")] == arguments
    options = text.split("Options:\n", 1)[1].split("\n\n", 1)[0]
    assert not re.search(r"^\s+(vm|vms|DISK|SIZE) ", options, re.MULTILINE)


def test_vm_help_says_which_verbs_ask() -> None:
    text = " ".join(helptext("vm").split())
    assert "always asks first unless --yes" in text  # delete asks also for one named VM
    assert text.count("a selection asks first unless --yes") == 5  # stop, shutdown, reboot, suspend, migrate
    rest = text.replace("a selection asks first unless --yes", "").replace("always asks first unless --yes", "")
    assert "asks first" not in rest


def test_ct_help_says_which_verbs_ask() -> None:
    text = " ".join(helptext("ct").split())
    assert "always asks first unless --yes" in text  # delete asks also for one named container
    assert text.count("a selection asks first unless --yes") == 4  # stop, shutdown, reboot, suspend
    rest = text.replace("a selection asks first unless --yes", "").replace("always asks first unless --yes", "")
    assert "asks first" not in rest


def test_config_list_help_matches_the_table() -> None:
    assert "yes in tables" in " ".join(helptext("config", "list").split())


def test_sim_status_shows_the_faults_of_the_environment(tmp_path: Path) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path), "PVECTL_SIM_FAULTS": "task-slow:seconds=5"}
    text = helptext("sim", "status", env=env)
    assert "PVECTL_SIM_FAULTS: task-slow:seconds=5 (for --sim while it is set)" in text
