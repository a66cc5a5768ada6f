"""Root options anywhere: before or after curated and generated commands; a command's own option wins."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer

from pvectl.cli.app import app
from pvectl.cli.context import AppContext
from pvectl.cli.global_options import hoist
from tests.cli.conftest import MockPve, Result


def _hoist(*args: str) -> list[str]:
    root = typer.main.get_command(app)
    with root.make_context("pvectl", ["--help"], resilient_parsing=True) as ctx:
        return hoist(root, ctx, list(args))


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (("vm", "list", "-v"), ["-v", "vm", "list"]),
        (("vm", "list", "--sim", "-c", "lab"), ["--sim", "-c", "lab", "vm", "list"]),
        (("-o", "json", "vm", "show", "web1", "-o", "yaml"), ["-o", "json", "-o", "yaml", "vm", "show", "web1"]),
        (("vm", "show", "web1", "--output=yaml", "-vv"), ["--output=yaml", "-vv", "vm", "show", "web1"]),
        (("api", "--list", "-ojson"), ["-ojson", "api", "--list"]),
        (("api", "nodes", "list", "--host", "pve9"), ["--host", "pve9", "api", "nodes", "list"]),
        (("api", "version", "--request-timeout", "5"), ["--request-timeout", "5", "api", "version"])
        if "--request-timeout" in {o for p in typer.main.get_command(app).params for o in p.opts}
        else (("api", "version", "-v"), ["-v", "api", "version"]),
        (("api", "get", "/nodes", "--sim"), ["--sim", "api", "get", "/nodes"]),
        (("task", "list", "--node", "pve1", "--no-headers"), ["--no-headers", "task", "list", "--node", "pve1"]),
    ],
    ids=["-v", "sim+context", "both-places", "attached", "group-option", "generated", "transport", "pvesh", "flag"],
)
def test_root_options_move_before_the_command(given: tuple[str, ...], expected: list[str]) -> None:
    assert _hoist(*given) == expected


@pytest.mark.parametrize(
    "given",
    [
        ("sim", "serve", "--host", "127.0.0.2", "-v"),  # the server's own --host and --verbose
        ("config", "add", "lab", "--host", "pve1", "--user", "root@pam", "--fingerprint", "AA"),
        ("api", "nodes", "hardware", "pci", "list", "--node", "pve1", "--verbose", "0"),  # PVE's parameter
        ("vm", "create", "--name", "-o"),  # a value, not an option
        ("api", "get", "/nodes", "--", "--sim"),  # after --
        ("vm", "list", "-o"),  # TAB: the value is being typed
    ],
    ids=["sim-serve", "config-add", "pve-verbose", "value", "double-dash", "value-being-typed"],
)
def test_a_commands_own_option_stays_with_it(given: tuple[str, ...]) -> None:
    assert _hoist(*given) == list(given)


def test_generated_command_sees_root_options_given_after_it(
    run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, pve: MockPve
) -> None:
    seen: list[Any] = []
    original = AppContext.client

    def spy(self: AppContext) -> Any:
        seen.append(self.options)
        return original(self)

    monkeypatch.setattr(AppContext, "client", spy)
    pve.routes["GET /version"] = {"version": "9.1.3", "release": "9.1", "repoid": "x"}
    result = run("api", "version", "-c", "lab", "-v", "-o", "yaml", "--host", "pve7")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("version: 9.1.3")
    options = seen[0]
    assert (options.context, options.verbose, options.output, options.host) == ("lab", 1, "yaml", "pve7")


def test_curated_command_sees_root_options_given_after_it(run: Callable[..., Result], pve: MockPve) -> None:
    pve.routes["GET /cluster/resources"] = [
        {"type": "qemu", "vmid": 100, "name": "dns1", "node": "pve1", "status": "running", "maxmem": 2 << 30},
        {"type": "qemu", "vmid": 101, "name": "web1", "node": "pve2", "status": "stopped", "maxmem": 4 << 30},
    ]
    result = run("vm", "list", "-o", "text", "--no-headers", "--sort-by", "name", "--columns", "name,status")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "dns1\trunning\nweb1\tstopped\n"


def test_root_help_lists_global_options_once_with_their_variables(run: Callable[..., Result]) -> None:
    out = run("--help").stdout
    for opt, var in [("--output", "PVECTL_OUTPUT"), ("--context", "PVECTL_CONTEXT"), ("--host", "PVECTL_HOST")]:
        assert len(re.findall(rf"^  (?:-\w, )?{opt} ", out, re.MULTILINE)) == 1, opt
        assert var in out
    leaf = run("vm", "list", "--help").stdout
    assert "--output" in leaf and "PVECTL_OUTPUT" not in leaf  # named in the note, defined once at the root


def test_bare_pvectl_prints_help_and_succeeds(run: Callable[..., Result]) -> None:
    result = run()
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: ") and "Commands:" in result.stdout


def test_config_add_keeps_its_own_host(run: Callable[..., Result], tmp_path: Path) -> None:
    env = {"PVECTL_CONFIG": str(tmp_path / "config.toml")}
    added = run("config", "add", "lab", "--host", "pve5:8006", "--no-fetch-fingerprint", env=env)
    assert added.exit_code == 0, added.stderr
    shown = run("config", "show", "lab", "-o", "json", env=env)
    assert shown.json()["host"] == "pve5"
