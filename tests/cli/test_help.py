"""Help that helps: vm create grouped by step at 80 columns (snapshot), Examples everywhere, readable metavars.

Update the snapshot after an intended change: PVECTL_UPDATE_SNAPSHOTS=1 pytest tests/cli/test_help.py
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from pvectl.cli.app import app
from pvectl.cli.examples import EXAMPLES
from pvectl.cli.lazy import COMMANDS
from pvectl.vm.fields import FIELDS
from tests.cli.conftest import Result

SNAPSHOT = Path(__file__).parent / "snapshots" / "vm_create_help_80.txt"
STEPS = ["General:", "OS:", "System:", "Disks:", "CPU:", "Memory:", "Network:", "Input/Output:", "Examples:"]


@pytest.fixture
def help80(run: Callable[..., Result]) -> Callable[..., str]:
    def get(*args: str) -> str:
        result = run(*args, "--help", env={"COLUMNS": "80"})
        assert result.exit_code == 0, result.stderr
        return result.stdout

    return get


def test_vm_create_help_snapshot_at_80_columns(help80: Callable[..., str]) -> None:
    text = help80("vm", "create")
    if os.environ.get("PVECTL_UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(text)
    assert text == SNAPSHOT.read_text(), "vm create --help changed; see the module docstring to update the snapshot"


def test_vm_create_help_is_grouped_by_step_and_shows_every_default(help80: Callable[..., str]) -> None:
    text = help80("vm", "create")
    lines = text.splitlines()
    assert max(map(len, lines)) <= 80
    titles = [line for line in lines if line in STEPS]
    assert titles == STEPS
    for spec in (f for f in FIELDS if f.cli):
        block = _option_block(text, f"--{spec.flag}")
        assert "default" in block, f"--{spec.flag} shows no default"
    assert "[default: 2048]" in _option_block(text, "--memory")
    assert "[default: vmbr9]" in _option_block(text, "--bridge")
    assert "[default: on]" in _option_block(text, "--ha")


def _option_block(text: str, flag: str) -> str:
    """The help lines of one option: its first line and the indented continuation lines."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"  {re.escape(flag)}\b", line))
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith("      "):
            break
        block.append(line)
    return " ".join(" ".join(block).split())


def curated_paths() -> Iterator[tuple[str, Any]]:
    """Every curated command and group (the generated `api` tree excluded), by path after `pvectl`."""
    root: Any = typer.main.get_command(app)
    with root.make_context("pvectl", ["--help"], resilient_parsing=True) as ctx:
        for name in COMMANDS:
            yield from _walk(name, root.get_command(ctx, name)._load())


def _walk(path: str, command: Any) -> Iterator[tuple[str, Any]]:
    yield path, command
    for name, sub in (getattr(command, "commands", None) or {}).items():
        yield from _walk(f"{path} {name}", sub)


PATHS = [path for path, _ in curated_paths()]


@pytest.mark.parametrize("path", PATHS)
def test_every_curated_command_has_examples_and_fits_80_columns(help80: Callable[..., str], path: str) -> None:
    assert EXAMPLES.get(path), f"add examples for `pvectl {path}` to pvectl/cli/examples.py"
    text = help80(*path.split())
    section = text.split("\nExamples:\n", 1)
    assert len(section) == 2, f"`pvectl {path} --help` has no Examples section"
    assert all("pvectl " in line for line in section[1].split("\n\n")[0].splitlines())
    assert max(map(len, text.splitlines())) <= 80, path
    # (an argument taking several values ends with "..." on the usage line: COMMAND..., [VMS]...)
    summaries = re.sub(r"\b[A-Z]+\]?\.\.\.$", "", text, flags=re.MULTILINE)
    assert not re.search(r"\w\.\.\.$", summaries, re.MULTILINE), f"a summary is cut mid-sentence in `pvectl {path}`"


def test_metavars_are_readable(help80: Callable[..., str]) -> None:
    for args in (("vm", "create"), ("vm", "list"), ("task", "list"), ("sim", "serve"), ("config", "add"), ()):
        text = help80(*args)
        assert not re.search(r"<(str|int|float|list\[[a-z]+\])>", text), args


def test_root_help_has_examples_and_exit_codes(help80: Callable[..., str]) -> None:
    text = help80()
    assert "\nExamples:\n  pvectl " in text
    assert "Exit codes:" in text
