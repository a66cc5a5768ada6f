"""Import hygiene in a fresh interpreter: help and TAB read the index only; a command imports one module."""

from __future__ import annotations

import pytest

from tests.cli._subproc import bash_complete, pvectl

HEAVY = ("pydantic", "httpx", "textual", "questionary", "rich", "yaml", "pvectl.sdk")


def heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in HEAVY or m.startswith(HEAVY)]


def generated(modules: list[str]) -> list[str]:
    return [m for m in modules if m.startswith("pvectl.cli.api.") and m != "pvectl.cli.api._index"]


@pytest.mark.parametrize(
    "args",
    [("--help",), ("api", "--help"), ("api", "nodes", "--help"), ("api", "nodes", "qemu", "--help")],
    ids=["root", "api", "nodes", "nodes-qemu"],
)
def test_help_imports_nothing_heavy(args: tuple[str, ...]) -> None:
    run = pvectl(*args)
    assert run.code == 0, run.stderr
    assert heavy(run.modules) == []
    assert generated(run.modules) == []
    assert run.seconds < 10  # loose: a broken lazy tree costs seconds, not milliseconds


def test_tab_on_a_group_imports_nothing_heavy() -> None:
    run = bash_complete("pvectl api nodes qemu ", process=True)
    assert run.code == 0, run.stderr
    assert "config" in run.stdout.split()
    assert heavy(run.modules) == []
    assert generated(run.modules) == []


def test_leaf_help_and_option_tab_import_one_module() -> None:
    run = pvectl("api", "nodes", "qemu", "config", "set", "--help")
    assert run.code == 0, run.stderr
    assert generated(run.modules) == ["pvectl.cli.api.nodes_qemu_config"]
    assert heavy(run.modules) == []
    run = bash_complete("pvectl api nodes qemu status start --", process=True)
    assert "--vmid" in run.stdout.split()
    assert generated(run.modules) == ["pvectl.cli.api.nodes_qemu_status"]
    assert heavy(run.modules) == []


def test_running_a_command_imports_exactly_one_generated_module() -> None:
    run = pvectl("api", "nodes", "qemu", "config", "set", "--node", "pve1", "--vmid", "100", "--cores", "0")
    assert run.code == 2
    assert run.stderr.startswith("error: --cores:")
    assert generated(run.modules) == ["pvectl.cli.api.nodes_qemu_config"]
    assert [m for m in run.modules if m.startswith(("pvectl.sdk.models", "pvectl.sdk.resources"))] == []
