"""Printing results: ``-o auto|table|json|yaml|text``. JSON and YAML are never truncated, wrapped or decorated.

``auto`` is a table on a terminal and JSON when piped. rich and yaml are imported only when used.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from pvectl.cli.errors import USAGE, CliError

FORMATS = ("auto", "table", "json", "yaml", "text")
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


def resolve(fmt: str) -> str:
    """The concrete format: ``auto`` becomes table on a terminal, JSON otherwise."""
    fmt = (fmt or "auto").lower()
    if fmt not in FORMATS:
        raise CliError(f"-o/--output: {fmt!r} is not one of {', '.join(FORMATS)}", USAGE)
    if fmt == "auto":
        return "table" if sys.stdout.isatty() else "json"
    return fmt


def emit(data: Any, fmt: str, columns: Sequence[str] | None = None, *, ordered: bool = False) -> None:
    """Print ``data`` to stdout in ``fmt``; ``ordered``: table rows keep the given order (e.g. newest first)."""
    kind = resolve(fmt)
    if kind == "json":
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif kind == "yaml":
        import yaml

        sys.stdout.write(
            yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=2**31 - 1, default_flow_style=False)
        )
    elif kind == "text":
        sys.stdout.write(text(data, columns))
    else:
        table(data, columns, ordered=ordered)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (Mapping, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


BYTES = frozenset({"mem", "maxmem", "disk", "maxdisk", "size", "used", "avail", "total", "free", "swap", "maxswap"})


def human(key: str, value: Any) -> str:
    """Table cells for people: sizes in KiB/MiB/GiB, uptime as days and hours, CPU load in percent."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return cell(value)
    if key in BYTES:
        amount = float(value)
        for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
            if abs(amount) < 1024 or unit == "TiB":
                return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
            amount /= 1024
    if key == "uptime":
        days, rest = divmod(int(value), 86400)
        return f"{days}d {rest // 3600}h" if days else f"{rest // 3600}h {rest % 3600 // 60}m"
    if key == "cpu" and isinstance(value, float):
        return f"{value * 100:.1f}%"
    return cell(value)


def pick_columns(rows: Sequence[Mapping[str, Any]], limit: int = MAX_COLUMNS) -> list[str]:
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


def text(data: Any, columns: Sequence[str] | None = None) -> str:
    """Plain text: rows as tab-separated lines under a header, mappings as ``key<TAB>value``."""
    if _is_rows(data):
        cols = list(columns or pick_columns(data))
        lines = ["\t".join(cols)] + ["\t".join(cell(r.get(c)) for c in cols) for r in data]
        return "\n".join(lines) + "\n"
    if isinstance(data, Mapping):
        return "".join(f"{k}\t{cell(v)}\n" for k, v in data.items())
    if isinstance(data, list):
        return "".join(f"{cell(v)}\n" for v in data)
    return "" if data is None else f"{cell(data)}\n"


def table(data: Any, columns: Sequence[str] | None = None, *, ordered: bool = False) -> None:
    """A rich table for lists of objects, a two-column table for one object, the bare value otherwise."""
    if not _is_rows(data) and not isinstance(data, Mapping):
        sys.stdout.write(text(data))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if _is_rows(data):
        cols = list(columns or pick_columns(data))
        t = Table(box=None, header_style="bold", pad_edge=False)
        for c in cols:
            t.add_column(c.upper(), overflow="fold")
        for row in data if ordered else sorted(data, key=_row_key):
            t.add_row(*(human(c, row.get(c)) for c in cols))
    else:
        t = Table(box=None, show_header=False, pad_edge=False)
        t.add_column("key", style="bold")
        t.add_column("value", overflow="fold")
        for k, v in sorted(data.items()):
            t.add_row(str(k), human(str(k), v))
    console.print(t)


def _row_key(row: Mapping[str, Any]) -> tuple[str, ...]:
    out = []
    for k in ("node", "vmid", "name", "id"):
        v = row.get(k)
        out.append(f"{v:>12}" if isinstance(v, int) else str(v or ""))
    return tuple(out)
