"""What the backup commands share: the VOLID argument, --node, --timeout/--no-wait of the vzdump runs, finding a
backup, errors as exit codes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from pvectl.cli import completers
from pvectl.cli.errors import NOT_FOUND, USAGE, CliError

if TYPE_CHECKING:
    from pvectl.backup.catalog import Backup
    from pvectl.sdk import ProxmoxClient

VolidArg = Annotated[
    str,
    typer.Argument(
        metavar="VOLID",
        help="The backup's volume id, as backup list shows it (STORAGE:backup/NAME).",
        show_default=False,
    ),
]
TimeoutOpt = Annotated[
    str | None,
    typer.Option(
        "--timeout",
        metavar="DURATION",
        help="How long to wait for the backups (default 6h); they go on after it (exit 7).",
        show_default=False,
    ),
]
NoWaitOpt = Annotated[bool, typer.Option("--no-wait", help="Print each node's task id instead of waiting.")]
NodeOpt = Annotated[
    str | None,
    typer.Option(
        "--node",
        help="Read the storage on this node (default: the first online node that has it).",
        show_default=False,
        autocompletion=completers.node,
    ),
]
LIST_COLUMNS = ("vmid", "name", "kind", "time", "size", "notes", "protected", "storage")
WIDE_COLUMNS = ("vmid", "name", "kind", "time", "size", "notes", "protected", "storage", "node", "format", "volid")


def find(client: ProxmoxClient, volid: str, node: str | None) -> Backup:
    """The backup, or a one-line error: a malformed id is a usage error (2), a missing backup not found (4)."""
    from pvectl.backup.catalog import BackupNotFound, locate
    from pvectl.backup.volid import VolidError

    try:
        return locate(client, volid, node=node)
    except VolidError as exc:
        raise CliError(f"VOLID: {exc}", USAGE) from None
    except BackupNotFound as exc:
        raise CliError(str(exc), NOT_FOUND) from None


def when(ctime: int) -> str:
    """A backup's time as people read it (UTC, with the zone: nodes may be in another one)."""
    import time

    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(ctime)) if ctime else ""


def row(b: Backup) -> dict[str, object]:
    return {
        "vmid": b.vmid,
        "kind": "ct" if b.kind == "lxc" else "vm" if b.kind == "qemu" else "",
        "time": when(b.ctime),
        "ctime": b.ctime,
        "size": b.size,
        "notes": b.notes,
        "protected": b.protected,
        "storage": b.storage,
        "node": b.node,
        "format": b.format,
        "volid": b.volid,
    }
