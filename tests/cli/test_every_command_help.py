"""Every generated command's --help runs, and the index and the generated modules agree both ways."""

from __future__ import annotations

import importlib
import pkgutil

from typer.testing import CliRunner

import pvectl.cli.api
from pvectl.cli.api._index import HIDDEN
from pvectl.cli.app import app
from pvectl.cli.lazy import api_index

EXPECTED_COMMANDS = 649  # PVE 9.1.3


def _leaves() -> list[tuple[str, str, str, str, str]]:
    """(group key, command, module, verb, path) for every indexed command."""
    return [
        (key, name, module, verb, path)
        for key, (_help, _groups, module, commands) in api_index().items()
        for name, (verb, path, _short) in commands.items()
    ]


def test_index_has_every_method_once() -> None:
    leaves = _leaves()
    assert len(leaves) == EXPECTED_COMMANDS
    assert len({(verb, path) for *_rest, verb, path in leaves}) == EXPECTED_COMMANDS
    assert len({f"{key} {name}" for key, name, *_rest in leaves}) == EXPECTED_COMMANDS


def test_every_command_help_runs() -> None:
    runner = CliRunner()
    failures: list[str] = []
    for key, name, _module, verb, path in _leaves():
        args = [*key.split(), name, "--help"]
        result = runner.invoke(app, ["api", *args])
        if result.exit_code != 0 or f"HTTP:        {verb} {path}" not in result.stdout:
            failures.append(f"{' '.join(args)}: exit {result.exit_code} {result.stderr[-200:]}")
    assert failures == []


def test_every_group_help_runs() -> None:
    runner = CliRunner()
    for key, (_short_help, groups, _module, commands) in api_index().items():
        result = runner.invoke(app, ["api", *key.split(), "--help"])
        assert result.exit_code == 0, key
        for child in (*groups, *commands):
            if f"{key} {child}".strip() in HIDDEN:
                assert f"  {child} " not in result.stdout, (key, child)
                continue
            assert f"  {child} " in result.stdout or f"  {child}\n" in result.stdout, (key, child)


def test_index_and_modules_agree_both_ways() -> None:
    by_module: dict[str, set[str]] = {}
    for _key, name, module, _verb, _path in _leaves():
        by_module.setdefault(module, set()).add(name)
    found: dict[str, set[str]] = {}
    for info in pkgutil.iter_modules(pvectl.cli.api.__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"pvectl.cli.api.{info.name}")
        already = {c.name for c in mod.app.registered_commands}
        for name, register in mod.COMMANDS.items():
            if name not in already:
                register()
        found[info.name] = {c.name or "" for c in mod.app.registered_commands}
        assert len(mod.app.registered_commands) == len(found[info.name]) == len(mod.COMMANDS)
        assert set(mod.CHOICES) <= found[info.name]
    assert found == by_module


def test_subgroups_exist_in_the_index() -> None:
    index = api_index()
    for key, (_help, groups, _module, _commands) in index.items():
        for sub in groups:
            assert f"{key} {sub}".strip() in index
