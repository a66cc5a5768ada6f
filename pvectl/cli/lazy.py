"""Lazily loaded command groups: ``pvectl --help`` lists them without importing their modules.

- ``COMMANDS``: hand-written groups, each imported when entered.
- ``pvectl api``: the generated tree. Groups and short help come from the import-free index
  (``pvectl/cli/api/_index.py``); a command's module is imported, and only that command built, when it runs,
  shows its own help or completes its options.
- Typer 0.29 coerces every option through pydantic; plain options here bypass that (see
  ``_install_plain_coercion``), so help and TAB never import pydantic.

Subclasses ``typer.core.TyperGroup`` (Typer >= 0.26 vendors Click; never import click directly). Typer's private
internals are touched here and in ``completion_classes.py`` only.
"""

from __future__ import annotations

import enum
import functools
import importlib
from typing import Any

import typer
import typer.core
import typer.main

# name -> (module holding a Typer app called `app`, one-line help shown by `pvectl --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "api": ("pvectl.cli.commands.api", "Every PVE API method as a command; pvesh-style get/set/create/delete."),
    "task": ("pvectl.cli.commands.task", "Follow PVE tasks: list, show, wait, log."),
    "completion": ("pvectl.cli.commands.completion", "Shell completion scripts for bash, zsh and fish."),
    "vm": ("pvectl.cli.commands.vm", "Create and manage virtual machines."),
    "ct": ("pvectl.cli.commands.ct", "Create and manage LXC containers (no `ct exec`: see `ct --help`)."),
    "guest": ("pvectl.cli.commands.guest", "VMs and containers together: guest list (with a kind column)."),
    "sim": ("pvectl.cli.commands.sim", "Run the embedded PVE simulator."),
    "node": ("pvectl.cli.commands.node", "Cluster nodes: list, show, drain (move every running VM off one)."),
    "login": ("pvectl.cli.commands.login", "Log in with a password (and second factor); caches the ticket."),
    "logout": ("pvectl.cli.commands.logout", "Forget cached login tickets."),
    "config": ("pvectl.cli.commands.config", "Contexts: list, show, use, set, delete, add (with cert pinning)."),
    "apply": ("pvectl.cli.commands.apply", "Make the cluster's VMs what a VM file says (create, change, --prune)."),
    "diff": ("pvectl.cli.commands.diff", "What apply -f FILE would change on the cluster's VMs (exit 1: differences)."),
    "backup": (
        "pvectl.cli.commands.backup",
        "Backups of VMs and containers: create, list, show, restore, prune; jobs.",
    ),
}


def _plain_coercion() -> Any:
    """A Typer runtime coercion for str/int/float (and lists of them) that needs no pydantic.

    Typer 0.29 coerces every parameter, given or not, through a pydantic TypeAdapter built on first use; for the
    plain options of pvectl that costs pydantic's import plus one adapter per option on every help, TAB and run.
    """
    global _PLAIN
    if _PLAIN is None:
        from typer._click.exceptions import BadParameter
        from typer._coercion import RuntimeParam

        class PlainCoercion(RuntimeParam):
            def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
                if isinstance(value, (list, tuple)):
                    return [self._one(v, param, ctx) for v in value]
                return self._one(value, param, ctx)

            def _one(self, value: Any, param: Any, ctx: Any) -> Any:
                kind = _element(self.annotation)
                if isinstance(kind, type) and issubclass(kind, enum.Enum):
                    if isinstance(value, kind):
                        return value
                    for member in kind:
                        if str(member.value) == str(value):
                            return member
                    names = ", ".join(str(m.value) for m in kind)
                    raise BadParameter(f"{value!r} is not one of {names}.", ctx=ctx, param=param)
                if kind is bool and not isinstance(value, bool):
                    text = str(value).strip().lower()
                    if text not in _BOOLS:
                        raise BadParameter(f"{value!r} is not a valid boolean.", ctx=ctx, param=param)
                    return _BOOLS[text]
                try:
                    return kind(value)
                except (TypeError, ValueError):
                    name = {int: "integer", float: "number"}.get(kind, "text")
                    raise BadParameter(f"{value!r} is not a valid {name}.", ctx=ctx, param=param) from None

        _PLAIN = PlainCoercion
    return _PLAIN


_PLAIN: Any = None
_SCALARS = (str, int, float, bool)
_BOOLS = {"1": True, "true": True, "yes": True, "on": True, "y": True, "t": True}
_BOOLS |= {"0": False, "false": False, "no": False, "off": False, "n": False, "f": False, "": False}


def _element(annotation: Any) -> Any:
    args = getattr(annotation, "__args__", None)
    return args[0] if getattr(annotation, "__origin__", None) is list and args else annotation


def _install_plain_coercion() -> None:
    """Route Typer's coercion of plain options (str/int/float/bool and lists of them) around pydantic."""
    cls: Any = getattr(typer.core, "_TyperParameter", None)
    original = getattr(cls, "get_runtime_param", None)
    if original is None or getattr(original, "_pvectl", False):
        return  # another Typer version (no pydantic coercion), or already installed

    def get_runtime_param(self: Any) -> Any:
        kind = _element(self.type_descriptor.annotation)
        plain = kind in _SCALARS or (isinstance(kind, type) and issubclass(kind, enum.Enum))
        if self._runtime_param is None and plain:
            self._runtime_param = _plain_coercion()(
                parameter_info=self.type_descriptor.parameter_info, annotation=self.type_descriptor.annotation
            )
        return original(self)

    get_runtime_param._pvectl = True  # type: ignore[attr-defined]
    cls.get_runtime_param = get_runtime_param


_install_plain_coercion()


def _readable_type(self: Any, ctx: Any) -> str:
    """Help metavars people read (TEXT, INTEGER, [a|b|c]) instead of Typer 0.29's ``<str>``/``<list[str]>``."""
    desc = self.type_descriptor
    if desc.is_choice and desc.choices:
        label = "|".join(str(getattr(c, "value", c)) for c in desc.choices)
        return f"[{label}]" if len(label) <= 30 else "CHOICE"
    if desc.is_path:
        return "PATH"
    kind = _element(desc.annotation)
    return {int: "INTEGER", float: "NUMBER", bool: "BOOLEAN"}.get(kind, "TEXT")


def _install_readable_metavars() -> None:
    cls: Any = getattr(typer.core, "_TyperParameter", None)
    if cls is not None and hasattr(cls, "display_type"):
        cls.display_type = _readable_type


_install_readable_metavars()


def _install_argument_names() -> None:
    from pvectl.cli.command_types import install_argument_names

    install_argument_names()


_install_argument_names()


def _install_bare_group_help() -> None:
    """One rule for every group given no command (``pvectl vm``, ``pvectl api nodes``): its help on stdout and
    exit 0, as bare ``pvectl``; Click's ``no_args_is_help`` would print it as a usage error (exit 2)."""
    original = typer.core.TyperGroup.parse_args

    def parse_args(self: Any, ctx: Any, args: list[str]) -> list[str]:
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            typer.echo(ctx.get_help())
            ctx.exit(0)
        result: list[str] = original(self, ctx, args)
        return result

    typer.core.TyperGroup.parse_args = parse_args  # type: ignore[method-assign]


_install_bare_group_help()


def _install_examples() -> None:
    from pvectl.cli.examples import install

    install()


_install_examples()


class LazyCommand(typer.core.TyperGroup):
    """A stand-in for a command group that imports its module only when it is entered."""

    def __init__(self, name: str, module: str, short_help: str) -> None:
        super().__init__(name=name, help=short_help, short_help=short_help)
        self._module = module
        self._real: Any = None

    def _load(self) -> Any:
        if self._real is None:
            from pvectl.cli.examples import decorate

            app = importlib.import_module(self._module).app
            self._real = typer.main.get_command(app)
            self._real.name = self.name
            decorate(self._real, self.name or "")
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
    """The root group: regular Typer commands plus the lazy groups of COMMANDS; root options anywhere."""

    _lazy: dict[str, LazyCommand] | None = None

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        from pvectl.cli.global_options import hoist

        if not args and not ctx.resilient_parsing:  # bare `pvectl`: the help, and success
            typer.echo(ctx.get_help())
            ctx.exit(0)
        return list(super().parse_args(ctx, hoist(self, ctx, list(args))))

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        from typer._click.exceptions import UsageError

        try:
            return super().resolve_command(ctx, args)
        except UsageError as exc:
            suggest(exc, args, self.list_commands(ctx))
            raise

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        from pvectl.cli.examples import EXAMPLES, format_epilog

        self.pvectl_epilog = (EXAMPLES[""], "")
        format_epilog(self, formatter)

    def _main_shell_completion(self, ctx_args: Any, prog_name: str, complete_var: str | None = None) -> None:
        import os

        if os.environ.get(complete_var or "_PVECTL_COMPLETE"):
            from pvectl.cli.completion_classes import register

            register()  # bash/zsh/fish classes that keep a TAB free of rich
        super()._main_shell_completion(ctx_args, prog_name, complete_var)

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in COMMANDS:
            if self._lazy is None:
                self._lazy = {}
            if cmd_name not in self._lazy:
                module, short_help = COMMANDS[cmd_name]
                self._lazy[cmd_name] = LazyCommand(cmd_name, module, short_help)
            return self._lazy[cmd_name]
        return super().get_command(ctx, cmd_name)


# -- `pvectl api`: the generated tree, driven by pvectl/cli/api/_index.py ---------------------------------------

API_PACKAGE = "pvectl.cli.api"
GLOBAL_NOTE = "Global options (-o, --query, -c, -v, --sim, --host, ...; see pvectl --help) work here too."


def api_index() -> dict[str, tuple[str, tuple[str, ...], str, dict[str, tuple[str, str, str]]]]:
    """The generated, import-free index of `pvectl api` (loading it costs one .pyc unmarshal)."""
    from pvectl.cli.api._index import GROUPS

    return GROUPS


@functools.cache
def load_api_command(module: str, name: str) -> Any:
    """The real command ``name`` of one generated module; only that command is converted by Typer."""
    mod = importlib.import_module(f"{API_PACKAGE}.{module}")
    if name in mod.COMMANDS and not any(info.name == name for info in mod.app.registered_commands):
        mod.COMMANDS[name]()  # defines and registers just this command
    for info in mod.app.registered_commands:
        if info.name == name:
            single = typer.Typer(rich_markup_mode=None, add_completion=False)
            single.registered_commands.append(info)
            command = typer.main.get_command(single)
            command.pvectl_epilog = ((), GLOBAL_NOTE)  # type: ignore[attr-defined]
            choices = getattr(mod, "CHOICES", {}).get(name, {})
            for param in command.params:
                if param.name in choices:
                    param._custom_shell_complete = _complete_choices(choices[param.name])
                if param.name == "node" and param.required:
                    # filled from the context's default node when not given (pvectl.cli.runner.default_node)
                    param.required = False
                    param.help = f"{param.help} Default: the context's node."  # type: ignore[attr-defined]
            return command
    raise LookupError(f"{API_PACKAGE}.{module} has no command {name!r} (index and modules disagree)")


def suggest(exc: Any, args: list[str], names: list[str]) -> None:
    """Add "Did you mean ...?" from the index (Typer suggests from its own, here empty, command table)."""
    import difflib

    if args and "Did you mean" not in exc.message:
        matches = difflib.get_close_matches(args[0], names)
        if matches:
            exc.message = f"{exc.message.rstrip('.')}. Did you mean {', '.join(repr(m) for m in matches)}?"


def _complete_choices(values: tuple[str, ...]) -> Any:
    """TAB values of an enum/boolean option (plain options, so a bad value gets pvectl's one-line error)."""
    from typer._click.shell_completion import CompletionItem

    def complete(ctx: Any, param: Any, incomplete: str) -> list[Any]:
        return [CompletionItem(v) for v in values if v.startswith(incomplete)]

    return complete


class _LeafStub(typer.core.TyperCommand):
    """What group help and TAB see of a generated command: its name and short help, nothing imported."""

    def __init__(self, name: str, short_help: str) -> None:
        super().__init__(name, help=short_help, short_help=short_help, rich_markup_mode=None)

    def get_short_help_str(self, limit: int = 45) -> str:
        return self.short_help or ""


class IndexGroupMixin:
    """List and resolve children from the index: stubs for listing, the real command only when resolved."""

    index_key = ""
    _resolving = False

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        from typer._click.exceptions import UsageError

        self._resolving = True
        try:
            return super().resolve_command(ctx, args)  # type: ignore[misc]
        except UsageError as exc:
            suggest(exc, args, self.index_commands())
            raise
        finally:
            self._resolving = False

    def _entry(self) -> tuple[str, tuple[str, ...], str, dict[str, tuple[str, str, str]]]:
        return api_index()[self.index_key]

    def index_commands(self) -> list[str]:
        _help, groups, _module, commands = self._entry()
        return [*groups, *commands]

    def index_command(self, cmd_name: str) -> Any:
        _help, groups, module, commands = self._entry()
        if cmd_name in groups:
            return IndexGroup(f"{self.index_key} {cmd_name}".strip(), cmd_name)
        if cmd_name in commands:
            if self._resolving:
                return load_api_command(module, cmd_name)
            from pvectl.cli.api._index import HIDDEN

            stub = _LeafStub(cmd_name, commands[cmd_name][2])
            stub.hidden = f"{self.index_key} {cmd_name}".strip() in HIDDEN
            return stub
        return None


class IndexGroup(IndexGroupMixin, typer.core.TyperGroup):
    """A group of `pvectl api` built from its index entry."""

    def __init__(self, key: str, name: str) -> None:
        self.index_key = key
        short_help = self._entry()[0]
        super().__init__(name=name, help=short_help, short_help=short_help, no_args_is_help=True, rich_markup_mode=None)

    def get_short_help_str(self, limit: int = 45) -> str:
        return self.short_help or ""

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted(self.index_commands())

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return self.index_command(cmd_name)


class ApiGroup(IndexGroupMixin, typer.core.TyperGroup):
    """``pvectl api``: the hand-written pvesh-style commands plus the generated tree's top level."""

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.index_commands()})

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return super().get_command(ctx, cmd_name) or self.index_command(cmd_name)
