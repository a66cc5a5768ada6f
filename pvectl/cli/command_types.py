"""The command classes of `pvectl api`: option parsing extras and a fast help layout.

Generated commands use :class:`ApiCommand`: it takes ``--net0 VALUE`` for the ``--net N=VALUE`` family options
and ``-o/--output`` after the command's own options. Kept free of heavy imports (it is loaded for every help).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import typer
import typer.core

FAMILY_METAVAR = "N=VALUE"  # marks an indexed-family option (--net N=VALUE); codegen uses the same text
OUTPUT_KEY = "pvectl.output"  # ctx.meta key of an -o given after the command
_FAMILY_ARG = re.compile(r"--([A-Za-z_-]+?)(\d+)(?:=(.*))?", re.DOTALL)


class OutputCommand(typer.core.TyperCommand):
    """A command that also takes the root's ``-o/--output`` after its own options (``pvectl task list -o json``)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        args, fmt = take_output_option(args)
        if fmt is not None:
            ctx.meta[OUTPUT_KEY] = fmt
        return list(super().parse_args(ctx, args))


class ApiCommand(OutputCommand):
    """A generated command. Also accepts ``--net0 VALUE`` for its ``--net N=VALUE`` family options."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        families = {family_base(p.opts[0][2:]): p.opts[0] for p in self.params if is_family(p)}
        return list(super().parse_args(ctx, rewrite_family_args(args, families) if families else args))

    def format_options(self, ctx: Any, formatter: Any) -> None:
        """Click's option list, with a plain greedy wrap (textwrap costs ~10 ms on a 200-option command);
        positional arguments apart, under their usage names (VM, DISK), as the usage line shows them."""
        args: list[tuple[str, str]] = []
        rows: list[tuple[str, str]] = []
        for p in self.get_params(ctx):
            rv = p.get_help_record(ctx)
            if rv is None:
                continue
            if p.param_type_name == "argument":
                args.append((argument_name(p), rv[1]))
            else:
                rows.append(rv)
        width = min(max((len(first) for first, _ in [*args, *rows]), default=0), 30)
        for title, section in (("Arguments", args), ("Options", rows)):
            if section:
                with formatter.section(title):
                    write_dl(formatter, section, width=width)


def argument_name(param: Any) -> str:
    """A positional argument as help shows it: ``VM``, ``DISK``, ``[NAME]``, ``VMS...``."""
    name = str(param.metavar or param.name or "").upper()
    if not param.required:
        name = f"[{name}]"
    return name + ("..." if param.nargs != 1 else "")


def install_argument_names() -> None:
    """Usage lines name positional arguments as the Arguments section does (Typer 0.29 writes ``{vm}``)."""
    cls: Any = getattr(typer.core, "TyperArgument", None)
    if cls is not None and hasattr(cls, "_usage_display_name"):
        cls._usage_display_name = argument_name


def write_dl(
    formatter: Any, rows: list[tuple[str, str]], col_max: int = 30, col_spacing: int = 2, width: int | None = None
) -> None:
    """``HelpFormatter.write_dl`` for single-paragraph help texts, same layout (``width``: a first column shared
    by several sections)."""
    indent = formatter.current_indent
    first_col = (width if width is not None else min(max(len(first) for first, _ in rows), col_max)) + col_spacing
    text_width = max(formatter.width - first_col - 2, 10)
    pad = " " * (first_col + indent)
    out: list[str] = []
    for first, second in rows:
        out.append(" " * indent + first)
        if not second:
            out.append("\n")
            continue
        if len(first) <= first_col - col_spacing:
            out.append(" " * (first_col - len(first)))
        else:
            out.append("\n" + pad)
        lines = wrap(second, text_width)
        out.append(lines[0] + "\n")
        out.extend(f"{pad}{line}\n" for line in lines[1:])
    formatter.write("".join(out))


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap; a word longer than ``width`` gets a line of its own."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    lines.append(current)
    return lines


def take_output_option(args: list[str]) -> tuple[list[str], str | None]:
    """Accept the root's ``-o/--output`` after a command too (no PVE parameter is called ``o`` or ``output``)."""
    out: list[str] = []
    fmt: str | None = None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            out += args[i:]
            break
        if arg in ("-o", "--output") and i + 1 < len(args):
            fmt = args[i + 1]
            i += 2
            continue
        if arg.startswith("--output="):
            fmt = arg.partition("=")[2]
        elif arg.startswith("-o") and len(arg) > 2 and not arg.startswith("--"):
            fmt = arg[2:]
        else:
            out.append(arg)
        i += 1
    return out, fmt


def is_family(param: Any) -> bool:
    return bool(getattr(param, "metavar", None) == FAMILY_METAVAR and param.opts)


def family_base(option: str) -> str:
    """``net`` -> ``net``; ``numa-n`` (the family beside a plain ``numa``) -> ``numa``."""
    return option[:-2] if option.endswith("-n") else option


def rewrite_family_args(args: list[str], families: Mapping[str, str]) -> list[str]:
    """``--net0 V`` / ``--net0=V`` -> ``--net 0=V`` (``families``: family base -> its option)."""
    out: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            out += args[i:]
            break
        m = _FAMILY_ARG.fullmatch(arg)
        if m and m.group(1) in families:
            option = families[m.group(1)]
            if m.group(3) is not None:
                out += [option, f"{m.group(2)}={m.group(3)}"]
            elif i + 1 < len(args):
                out += [option, f"{m.group(2)}={args[i + 1]}"]
                i += 1
            else:
                out.append(arg)
        else:
            out.append(arg)
        i += 1
    return out
