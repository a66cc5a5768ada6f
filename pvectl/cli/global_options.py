"""Root options anywhere on the line: ``pvectl vm list -o json -c lab`` = ``pvectl -o json -c lab vm list``.

The root command's own parameters are the only definition (pvectl/cli/app.py). Before the root parses its
arguments, :func:`hoist` walks the command path the arguments name and moves every root option that appears after a
(sub)command to the front, unless that command has an option of the same name: a command's own option wins
(``pvectl sim serve --host 127.0.0.2`` is the server's address, ``pvectl config add lab --host pve1`` the context's
host, ``pvectl api nodes hardware pci list --verbose 0`` PVE's parameter). Everything after ``--`` stays in place.

Import-light: runs on every start, help and TAB (only the command modules of the named path are loaded).
"""

from __future__ import annotations

from typing import Any

# Options that are never moved: each command answers its own help.
_NOT_GLOBAL = frozenset({"--help", "-h", "--version"})


class _Options:
    """The option strings one command declares, and which of them take a value."""

    def __init__(self, params: list[Any]) -> None:
        self.takes_value: dict[str, bool] = {}
        for param in params:
            if getattr(param, "param_type_name", "") != "option":
                continue
            flag = bool(getattr(param, "is_flag", False) or getattr(param, "count", False))
            for opt in (*param.opts, *getattr(param, "secondary_opts", ())):
                self.takes_value[opt] = not flag

    def __contains__(self, opt: str) -> bool:
        return opt in self.takes_value


def _split(token: str) -> tuple[str, str | None]:
    """``--output=json`` -> (``--output``, ``json``); ``-ojson`` -> (``-o``, ``json``); ``-v`` -> (``-v``, None)."""
    if token.startswith("--"):
        name, sep, value = token.partition("=")
        return name, value if sep else None
    return token[:2], token[2:] or None


def hoist(root: Any, ctx: Any, args: list[str]) -> list[str]:
    """``args`` with root options given after a command moved before it (see the module docstring)."""
    roots = _Options(root.get_params(ctx))
    i = _skip_options(roots, args, 0)
    prefix, moved, kept = args[:i], [], []
    command: Any = root
    current = roots
    is_group = True
    while i < len(args):
        arg = args[i]
        if arg == "--":
            kept += args[i:]
            break
        if arg.startswith("-") and len(arg) > 1:
            name, attached = _split(arg)
            if name in current or name in _NOT_GLOBAL or name not in roots:
                kept.append(arg)
                if name in current and current.takes_value[name] and attached is None and i + 1 < len(args):
                    kept.append(args[i + 1])
                    i += 1
                i += 1
                continue
            if not roots.takes_value[name] and attached is not None and not arg.startswith("--"):
                # a cluster of short flags (-vv): moved only when every letter is a root flag
                letters = [f"-{c}" for c in arg[1:]]
                if not all(opt in roots and not roots.takes_value[opt] and opt not in current for opt in letters):
                    kept.append(arg)
                    i += 1
                    continue
            if roots.takes_value[name] and attached is None:
                if i + 1 == len(args):  # its value is still being typed (TAB): leave it where it is
                    kept.append(arg)
                    break
                moved.append(args[i + 1])
                i += 1
                moved.insert(len(moved) - 1, arg)
            else:
                moved.append(arg)
            i += 1
            continue
        kept.append(arg)
        i += 1
        if is_group and command is not None:
            command = _subcommand(command, ctx, arg)
            if command is None:  # unknown command: Click reports it (with suggestions)
                kept += args[i:]
                break
            current = _Options(_params_of(command, ctx))
            is_group = hasattr(command, "list_commands")
    if not moved:
        return args
    return [*prefix, *moved, *kept]


def _skip_options(options: _Options, args: list[str], i: int) -> int:
    """Index of the first argument that is not one of ``options`` (or their values)."""
    while i < len(args) and args[i].startswith("-") and args[i] != "--":
        name, attached = _split(args[i])
        if name not in options:
            break
        i += 2 if options.takes_value[name] and attached is None else 1
    return i


def _subcommand(group: Any, ctx: Any, name: str) -> Any:
    """The command ``name`` of ``group`` as it will run (a generated leaf resolved to its real command)."""
    try:
        if hasattr(group, "_load"):  # a lazily imported group of pvectl/cli/lazy.py
            group = group._load()
        if hasattr(group, "_resolving"):  # the index-driven groups of `pvectl api`
            group._resolving = True
            try:
                return group.get_command(ctx, name)
            finally:
                group._resolving = False
        return group.get_command(ctx, name)
    except Exception:  # a broken module is reported when the command runs, not here
        return None


def _params_of(command: Any, ctx: Any) -> list[Any]:
    try:
        return list(command.get_params(ctx))
    except Exception:
        return []
