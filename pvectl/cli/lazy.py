"""Lazily loaded command groups: ``pvectl --help`` lists them without importing their modules.

Subclasses ``typer.core.TyperGroup`` (Typer >= 0.26 vendors Click; never import click directly).
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
import typer.core
import typer.main

# name -> (module holding a Typer app called `app`, one-line help shown by `pvectl --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "vm": ("pvectl.cli.commands.vm", "Create and manage virtual machines."),
    "sim": ("pvectl.cli.commands.sim", "Run the embedded PVE simulator."),
    "login": ("pvectl.cli.commands.login", "Log in with a password (and second factor); caches the ticket."),
    "logout": ("pvectl.cli.commands.logout", "Forget cached login tickets."),
    "config": ("pvectl.cli.commands.config", "Contexts: list, show, use, set, delete, add (with cert pinning)."),
}


class LazyCommand(typer.core.TyperGroup):
    """A stand-in for a command group that imports its module only when it is entered."""

    def __init__(self, name: str, module: str, short_help: str) -> None:
        super().__init__(name=name, help=short_help, short_help=short_help)
        self._module = module
        self._real: Any = None

    def _load(self) -> Any:
        if self._real is None:
            app = importlib.import_module(self._module).app
            self._real = typer.main.get_command(app)
            self._real.name = self.name
        return self._real

    def get_short_help_str(self, limit: int = 45) -> str:
        return self.short_help or ""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self._load().list_commands(ctx))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return self._load().get_command(ctx, cmd_name)

    def invoke(self, ctx: Any) -> Any:
        return self._load().invoke(ctx)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        real = self._load()
        ctx.command = real
        return list(real.parse_args(ctx, args))

    def get_help(self, ctx: Any) -> str:
        ctx.command = self._load()
        return str(self._load().get_help(ctx))

    def shell_complete(self, ctx: Any, incomplete: str) -> Any:
        return self._load().shell_complete(ctx, incomplete)

    def get_params(self, ctx: Any) -> Any:
        return self._load().get_params(ctx)


class RootGroup(typer.core.TyperGroup):
    """The root group: regular Typer commands plus the lazy groups of COMMANDS."""

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in COMMANDS:
            module, short_help = COMMANDS[cmd_name]
            return LazyCommand(cmd_name, module, short_help)
        return super().get_command(ctx, cmd_name)
