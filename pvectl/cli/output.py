"""Printing results, the one place for every command: ``-o auto|table|wide|json|yaml|text`` and the shaping
options ``--query``, ``--columns``, ``--sort-by``, ``--no-headers`` (root options, given anywhere on the line).

- ``auto`` is a table on a terminal and JSON when piped (a command may choose text when piped, see :func:`show`).
- JSON and YAML are never truncated, wrapped or decorated; ``--query`` (JMESPath), ``--sort-by`` and ``--columns``
  (rows keep only those keys) apply to every format, ``--no-headers`` to tables and text.
- Tables are plain padded columns (bold header and coloured states on a terminal): a row costs about what its JSON
  costs (tests/bench/bench_table.py). rich, yaml and jmespath are imported only when used.

Commands call :func:`show` (``show(ctx, data, columns=..., wide=..., human=...)``); :func:`emit` is the same with an
explicit format, for callers without a Typer context.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pvectl.cli.errors import USAGE, CliError
from pvectl.cli.safe_text import raw_in_yaml, safe_cell, safe_json, safe_text

FORMATS = ("auto", "table", "wide", "json", "yaml", "text")
MAX_COLUMNS = 8
# Columns that identify a row come first when a list has many keys.
PRIORITY = (
    "vmid",
    "name",
    "node",
    "id",
    "type",
    "status",
    "storage",
    "volid",
    "content",
    "upid",
    "userid",
    "realm",
    "poolid",
    "iface",
    "active",
    "uptime",
    "cpu",
    "maxcpu",
    "mem",
    "maxmem",
    "disk",
    "maxdisk",
    "size",
    "format",
    "comment",
)
# ANSI colours of well-known states in tables on a terminal (JSON/YAML/text never carry colour).
STATE_COLOURS = {"running": "32", "ok": "32", "online": "32", "stopped": "31", "error": "31", "offline": "31"}
STATE_COLOURS |= {"paused": "33", "suspended": "33", "unknown": "33"}


@dataclass(frozen=True)
class Shape:
    """How the root options ask for output to look."""

    fmt: str = "auto"
    query: str | None = None
    columns: tuple[str, ...] | None = None
    sort_by: str | None = None
    no_headers: bool = False


def check_format(fmt: str | None) -> str:
    """The format in lower case; a usage error (exit 2, before anything is sent) if it is not one of FORMATS."""
    value = (fmt or "auto").strip().lower()
    if value not in FORMATS:
        raise CliError(f"-o/--output: '{fmt}' is not a format; use one of {', '.join(FORMATS)}", USAGE)
    return value


def check_query(expr: str | None) -> None:
    """A usage error if ``expr`` is not a JMESPath expression."""
    if expr is None:
        return
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        jmespath.compile(expr)
    except JMESPathError as exc:
        detail = " ".join(str(exc).split())
        raise CliError(f"--query: not a JMESPath expression: {detail}", USAGE) from None


def parse_columns(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    names = tuple(c.strip() for c in text.split(",") if c.strip())
    if not names:
        raise CliError("--columns: give column names separated by commas (e.g. --columns vmid,name,status)", USAGE)
    return names


def resolve(fmt: str, piped: str = "json") -> str:
    """The concrete format: ``auto`` becomes table on a terminal, ``piped`` (JSON) otherwise."""
    kind = check_format(fmt)
    if kind == "auto":
        return "table" if sys.stdout.isatty() else piped
    return kind


def current_shape(fmt: str | None = None) -> Shape:
    """The shape the root options of the running command ask for (``fmt`` overrides its format)."""
    from typer._click.globals import get_current_context

    from pvectl.cli.context import AppContext

    ctx = get_current_context(silent=True)
    found = ctx.find_object(AppContext) if ctx is not None else None
    if found is None:
        return Shape(fmt=fmt or "auto")
    o = found.options
    return Shape(
        fmt=fmt or o.output,
        query=o.query,
        columns=parse_columns(o.columns),
        sort_by=o.sort_by,
        no_headers=o.no_headers,
    )


Human = str | Callable[[], str] | None


def show(
    ctx: Any,
    data: Any,
    *,
    columns: Sequence[str] | None = None,
    wide: Sequence[str] | None = None,
    human: Human = None,
    piped: str = "json",
) -> None:
    """Print a command's result in the requested shape.

    ``columns``: the table's columns (default: identifying keys first, at most 8); ``wide``: the columns of
    ``-o wide`` (default: every scalar key); ``human``: the text people read in table, wide and text formats
    (e.g. one outcome line) instead of the generic rendering; ``piped``: what ``auto`` means when stdout is not a
    terminal (json, or text for listings made for grep).
    """
    from pvectl.cli.runner import output_format

    render(data, current_shape(output_format(ctx)), columns=columns, wide=wide, human=human, piped=piped)


def emit(data: Any, fmt: str, columns: Sequence[str] | None = None, *, ordered: bool = True) -> None:
    """Print ``data`` to stdout in ``fmt`` (with the running command's --query/--columns/--sort-by/--no-headers).

    Rows print in the order given in every format (``ordered`` is accepted for callers written for the former
    renderer, which sorted table rows)."""
    render(data, current_shape(fmt), columns=columns)


def render(
    data: Any,
    shape: Shape,
    *,
    columns: Sequence[str] | None = None,
    wide: Sequence[str] | None = None,
    human: Human = None,
    piped: str = "json",
) -> None:
    kind = resolve(shape.fmt, piped)
    if shape.query is not None:
        data, human, columns, wide = queried(shape.query, data)
    if shape.sort_by is not None and _is_rows(data):
        data = sort_rows(data, shape.sort_by)
    write = sys.stdout.write
    if kind in ("json", "yaml") and shape.columns is not None and _is_rows(data):
        cols = _columns(data, shape, columns, wide, kind) or []
        data = [{c: row.get(c) for c in cols} for row in data]  # --columns picks the keys of JSON/YAML rows too
    if kind == "json":
        write(json_text(data) + "\n")
    elif kind == "yaml":
        write(yaml_text(data))
    elif human is not None and shape.columns is None:
        out = safe_text(human() if callable(human) else human)  # server text: control characters escaped
        write(out if out.endswith("\n") or not out else out + "\n")
    elif kind == "text":
        write(text(data, _columns(data, shape, columns, wide, kind), headers=not shape.no_headers))
    else:
        table_cols = _columns(data, shape, columns, wide, kind)
        write(table_text(data, table_cols, headers=not shape.no_headers, colour=_colour()))


def queried(expr: str, data: Any) -> tuple[Any, None, list[str] | None, None]:
    """``--query``: the data the expression returns, and its table columns: the keys of its rows in the order the
    expression gives them (``[].{id:vmid,n:name}``: ID, N), never the command's own columns or text."""
    import jmespath

    result = jmespath.search(expr, data)
    return result, None, (all_columns(result) if _is_rows(result) else None), None


def whole(value: Any, unit: int = 1) -> Any:
    """A count from the server in ``unit``s for a listing (0 when absent); a value that is not a number is shown
    as it came (a broken server's ``"uptime": "y"`` stopped the listing with 'internal error')."""
    try:
        return int(value or 0) // unit
    except (TypeError, ValueError, OverflowError):
        return value


def json_text(data: Any) -> str:
    """Indented JSON; orjson writes the same text as ``json.dumps(indent=2)`` about 15x faster (10k rows)."""
    try:
        import orjson

        return safe_json(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode())
    except (ImportError, TypeError):  # ints beyond 64 bits, odd types: the stdlib writer says what it can
        return safe_json(json.dumps(data, indent=2, ensure_ascii=False))


def yaml_text(data: Any) -> str:
    """Block-style YAML through libyaml's emitter when PyYAML has it (2x faster), else the pure one."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text: str = yaml.dump(
        data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=2**31 - 1, default_flow_style=False
    )
    if not text.isascii() and raw_in_yaml(text):  # YAML counts direction overrides printable: escape them too
        text = yaml.dump(
            data, Dumper=dumper, sort_keys=False, allow_unicode=False, width=2**31 - 1, default_flow_style=False
        )
    return text


def _columns(
    data: Any, shape: Shape, columns: Sequence[str] | None, wide: Sequence[str] | None, kind: str
) -> list[str] | None:
    if data == []:  # no rows: the header alone, when the command names its columns
        return list(shape.columns or (wide if kind == "wide" and wide else columns) or []) or None
    if not _is_rows(data):
        return None
    if shape.columns is not None:
        known = set(all_columns(data))
        unknown = [c for c in shape.columns if c not in known]
        if unknown:
            raise CliError(
                f"--columns: no column {', '.join(repr(c) for c in unknown)} (columns: {', '.join(all_columns(data))})",
                USAGE,
            )
        return list(shape.columns)
    if kind == "wide":
        return list(wide) if wide is not None else pick_columns(data, limit=None)
    return list(columns) if columns is not None else pick_columns(data)


def sort_rows(rows: Sequence[Mapping[str, Any]], field: str) -> list[Mapping[str, Any]]:
    """Rows by ``field``: numbers numerically, then text; rows without it last. Unknown field: usage error."""
    if not any(field in r for r in rows):
        raise CliError(f"--sort-by: no field '{field}' (fields: {', '.join(all_columns(rows))})", USAGE)

    def key(row: Mapping[str, Any]) -> tuple[int, float, str]:
        v = row.get(field)
        if v is None:
            return (2, 0.0, "")
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return (0, float(v), "")
        return (1, 0.0, cell(v))

    return sorted(rows, key=key)


def cell(value: Any) -> str:
    """A value as one cell of a table or text listing; server text has its control characters escaped."""
    kind = type(value)
    if kind is str:
        return safe_cell(value)
    if kind is int:
        return str(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (Mapping, list)):  # json escapes C0 but writes DEL and C1 as they are
        return safe_cell(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    return safe_cell(str(value))


BYTES = frozenset({"mem", "maxmem", "disk", "maxdisk", "size", "used", "avail", "total", "free", "swap", "maxswap"})


def human_cell(key: str, value: Any) -> str:
    """Table cells for people: yes/no, sizes in KiB/MiB/GiB, uptime as days and hours, CPU load in percent."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, (int, float)):
        return cell(value)
    if key in BYTES:
        amount = float(value)
        for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
            if abs(amount) < 1024 or unit == "TiB":
                return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
            amount /= 1024
    if key == "uptime":
        if not value:
            return "-"  # not running (PVE reports 0), not "0h 0m" of a guest that just started
        days, rest = divmod(int(value), 86400)
        return f"{days}d {rest // 3600}h" if days else f"{rest // 3600}h {rest % 3600 // 60}m"
    if key == "cpu" and isinstance(value, float):
        return f"{value * 100:.1f}%"
    return cell(value)


human = human_cell  # the name other modules import
_HUMAN_KEYS = BYTES | {"uptime", "cpu"}


def _converter(key: str) -> Callable[[Any], str]:
    """The cell function of one column: units for sizes, uptime and CPU, plain text for the rest."""
    if key in _HUMAN_KEYS:
        return lambda value: human_cell(key, value)
    return lambda value: ("yes" if value else "no") if value is True or value is False else cell(value)


def all_columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every key of the rows, in first-seen order."""
    keys: dict[str, None] = {}
    for row in rows:
        for k in row:
            keys.setdefault(k, None)
    return list(keys)


def pick_columns(rows: Sequence[Mapping[str, Any]], limit: int | None = MAX_COLUMNS) -> list[str]:
    """Identifying columns first (vmid, name, node, status, ...), then the other scalar keys, at most ``limit``."""
    keys: dict[str, None] = {}
    for row in rows:
        for k, v in row.items():
            if not isinstance(v, (Mapping, list)):
                keys.setdefault(k, None)
    first = [k for k in PRIORITY if k in keys]
    rest = sorted(k for k in keys if k not in first)
    return (first + rest)[:limit]


def _is_rows(data: Any) -> bool:
    return isinstance(data, list) and bool(data) and all(isinstance(r, Mapping) for r in data)


def text(data: Any, columns: Sequence[str] | None = None, headers: bool = True) -> str:
    """Plain text: rows as tab-separated lines under a header, mappings as ``key<TAB>value``."""
    if _is_rows(data) or (data == [] and columns):
        cols = list(columns or pick_columns(data))
        lines = ["\t".join(safe_cell(c) for c in cols)] if headers else []
        lines += ["\t".join(cell(r.get(c)) for c in cols) for r in data]
        return "\n".join(lines) + "\n" if lines else ""
    if isinstance(data, Mapping):
        return "".join(f"{safe_cell(str(k))}\t{cell(v)}\n" for k, v in data.items())
    if isinstance(data, list):
        return "".join(f"{cell(v)}\n" for v in data)
    return "" if data is None else f"{cell(data)}\n"


def _colour() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def table_text(data: Any, columns: Sequence[str] | None = None, *, headers: bool = True, colour: bool = False) -> str:
    """Aligned columns for lists of objects, ``key  value`` lines for one object, the bare value otherwise."""
    if _is_rows(data) or (data == [] and columns):
        cols = list(columns or pick_columns(data))
        convert = [_converter(c) for c in cols]
        body = [[f(r.get(c)) for c, f in zip(cols, convert, strict=True)] for r in data]
        head = [safe_cell(c.upper()) for c in cols]
        return _aligned(head if headers else None, body, cols, colour)
    if isinstance(data, Mapping):
        body = [[safe_cell(str(k)), human_cell(str(k), v)] for k, v in data.items()]
        return _aligned(None, body, ["key", "value"], colour, bold_first=True)
    return text(data)


def _aligned(
    head: list[str] | None, body: list[list[str]], keys: Sequence[str], colour: bool, bold_first: bool = False
) -> str:
    rows = [head, *body] if head is not None else body
    if not rows:
        return ""
    widths = [max(map(len, column)) for column in zip(*rows, strict=True)]
    widths[-1] = 0  # no padding after the last column
    status = keys.index("status") if colour and "status" in keys else -1
    lines: list[str] = []
    for n, row in enumerate(rows):
        cells = [v.ljust(w) for v, w in zip(row, widths, strict=True)]
        if colour:
            if n == 0 and head is not None:
                cells = [f"\x1b[1m{c}\x1b[0m" for c in cells]
            else:
                if bold_first:
                    cells[0] = f"\x1b[1m{cells[0]}\x1b[0m"
                if status >= 0 and row[status] in STATE_COLOURS:
                    cells[status] = f"\x1b[{STATE_COLOURS[row[status]]}m{cells[status]}\x1b[0m"
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def table(data: Any, columns: Sequence[str] | None = None, *, ordered: bool = True) -> None:
    """Print :func:`table_text` (kept for callers of the former rich renderer)."""
    sys.stdout.write(table_text(data, columns, colour=_colour()))
