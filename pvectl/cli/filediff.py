"""What ``diff -f`` and ``apply -f`` share: reading the file, comparing it with the cluster, and the diff as people
read it (``- live``, ``+ desired``; pvectl.vm.diff computes it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from pvectl.cli.errors import USAGE, CliError

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.diff import Change, Context, VmDiff

FileOpt = Annotated[
    str,
    typer.Option(
        "-f",
        "--filename",
        metavar="FILE",
        help="VM file: one VM, a YAML list, or several YAML documents; - reads standard input.",
        show_default=False,
    ),
]
MARKS = {"set": "~", "remove": "-", "resize": "~", "refused": "!", "skipped": "!"}
COLOURS = {"-": "31", "+": "32", "!": "33", "~": "36"}


def read_file(path: str) -> str:
    from pvectl.vm.fileload import FileLoadError, read_bounded

    try:
        return read_bounded(path, f"-f {path}")
    except FileLoadError as exc:
        raise CliError(str(exc), USAGE) from None


def compute(
    client: ProxmoxClient, path: str, *, base: Any = None, labels: tuple[str, ...] = ()
) -> tuple[Context, list[VmDiff]]:
    """Every document of the file compared with the cluster; a bad document is a usage error (exit 2)."""
    from pvectl.ct.filediff import compare_any
    from pvectl.vm.diff import Context, DocError, read_documents
    from pvectl.vm.lookup import cluster_vms

    try:
        docs = read_documents(read_file(path), "-f " + path)
        ctx = Context.read(client, base=base, labels=labels)
        cts = cluster_vms(client, "lxc")  # a document may describe a container (kind: ct)
        return ctx, [compare_any(client, ctx, doc, cts) for doc in docs]
    except DocError as exc:
        raise CliError(str(exc), USAGE) from None


def refusals(client: ProxmoxClient, diffs: list[VmDiff]) -> CliError | None:
    """apply's checks (pvectl.vm.apply.prepare, GETs only) as the error diff exits with after showing the diff:
    what apply would refuse, diff reports too (exit 2), so exit 1 always means "apply would do this"."""
    from pvectl.vm.apply import ApplyRefused, prepare

    try:
        prepare(client, diffs)
    except ApplyRefused as exc:
        message = str(exc).replace("(nothing was sent)", "(apply would refuse it)")
        return CliError(message, USAGE, exc.details)
    return None


def label_tags(labels: list[str]) -> tuple[str, ...]:
    """The tags ``--label`` adds (a usage error names the bad one)."""
    from pvectl.vm.diff import DocError, label_tag

    try:
        return tuple(label_tag(text) for text in labels)
    except DocError as exc:
        raise CliError(str(exc), USAGE) from None


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else "[]"
    return "(none)" if value is None else str(value)


def _paint(mark: str, line: str, colour: bool) -> str:
    from pvectl.cli.safe_text import safe_cell

    line = safe_cell(line)  # live values and names are server text, desired ones a file's
    return f"\033[{COLOURS[mark]}m{line}\033[0m" if colour else line


def change_lines(change: Change, colour: bool) -> list[str]:
    """``- key: live`` / ``+ key: desired``, then the note; refused and skipped changes are marked ``!``."""
    note = f"  ({change.note})" if change.note else ""
    if change.kind in ("refused", "skipped"):
        line = f"  ! {change.key}: {_value(change.live)} -> {_value(change.desired)}{note}"
        return [_paint("!", line, colour)]
    lines = []
    if change.live is not None:
        lines.append(_paint("-", f"  - {change.key}: {_value(change.live)}", colour))
    if change.kind != "remove":
        lines.append(_paint("+", f"  + {change.key}: {_value(change.desired)}{note}", colour))
    elif note:
        lines[-1] += note
    return lines


def human(diffs: list[VmDiff], colour: bool) -> str:
    from pvectl.cli.safe_text import safe_cell

    out = []
    for diff in diffs:
        if diff.action == "unchanged":
            out.append(f"{safe_cell(diff.title)}: unchanged")
            continue
        n = len(diff.changes)
        what = "create" if diff.action == "create" else f"{n} change{'s' if n != 1 else ''}"
        out.append(f"{safe_cell(diff.title)}: {what}")
        for change in diff.changes:
            out += change_lines(change, colour) if diff.action != "create" else _created(change, colour)
    return "\n".join(out)


def _created(change: Change, colour: bool) -> list[str]:
    if change.kind == "skipped":
        return change_lines(change, colour)
    return [_paint("+", f"  + {change.key}: {_value(change.desired)}", colour)]
