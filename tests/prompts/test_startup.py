"""The prompts load only for ``-i``: help and the flags path never import questionary or prompt_toolkit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli._subproc import pvectl

PROMPT_MODULES = ("questionary", "prompt_toolkit", "pvectl.prompts")


def prompt_modules(modules: list[str]) -> list[str]:
    return [m for m in modules if m.startswith(PROMPT_MODULES)]


@pytest.mark.parametrize("args", [("--help",), ("vm", "--help"), ("vm", "create", "--help")])
def test_help_does_not_import_the_prompts(args: tuple[str, ...]) -> None:
    run = pvectl(*args)
    assert run.code == 0, run.stderr
    assert prompt_modules(run.modules) == []


def test_vm_create_help_mentions_interactive() -> None:
    run = pvectl("vm", "create", "--help")
    assert "--interactive" in run.stdout and "-i" in run.stdout


def test_flags_path_does_not_import_the_prompts(tmp_path: Path) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path / "state")}
    run = pvectl("--sim", "vm", "create", "--node", "pve1", "--dry-run", env=env)
    assert run.code == 0, run.stderr
    assert prompt_modules(run.modules) == []


def test_interactive_without_a_terminal_exits_2_with_one_line(tmp_path: Path) -> None:
    env = {"XDG_STATE_HOME": str(tmp_path / "state")}
    run = pvectl("--sim", "vm", "create", "-i", env=env)
    assert run.code == 2
    assert run.stderr.count("\n") == 1
    assert run.stderr.startswith("error: -i/--interactive needs a terminal; give the fields as flags")
