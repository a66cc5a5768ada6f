"""``pvectl backup list`` and ``pvectl backup show VOLID``."""

from __future__ import annotations

from typing import Annotated

import typer

from pvectl.cli import completers
from pvectl.cli.commands.backup.common import LIST_COLUMNS, WIDE_COLUMNS, NodeOpt, VolidArg
from pvectl.cli.errors import reported


def list_backups(
    ctx: typer.Context,
    vm: Annotated[
        str | None,
        typer.Option(
            "--vm", help="Only backups of this guest (id, or the name of an existing VM).", show_default=False
        ),
    ] = None,
    storage: Annotated[
        str | None,
        typer.Option("--storage", help="Only this storage.", show_default=False, autocompletion=completers.storage),
    ] = None,
    node: Annotated[
        str | None,
        typer.Option(
            "--node",
            help="Only storages this node has (its local ones and the shared ones).",
            show_default=False,
            autocompletion=completers.node,
        ),
    ] = None,
) -> None:
    """Every backup on every storage with backup content, newest first (PBS included).

    A storage that is not active or cannot be read is named on stderr; one that could not be read exits 1 after
    the backups of the others are listed.
    """
    with reported():
        import sys

        from pvectl.backup.catalog import BackupStorage, backup_storages, offline_nodes
        from pvectl.backup.catalog import list_backups as read
        from pvectl.cli.commands.backup.common import row
        from pvectl.cli.errors import FAILURE, USAGE, CliError
        from pvectl.cli.output import show

        client = ctx.obj.client()
        vmid = _vmid(client, vm) if vm is not None else None
        _check_node(client, node)
        inactive: list[BackupStorage] = []
        places = backup_storages(client, node=node, storage=storage, inactive=inactive)
        if storage is not None and not places and not inactive:
            where = f"on {node}" if node else "in this cluster"
            raise CliError(f"--storage: no storage '{storage}' with backup content {where}", USAGE)
        for st in inactive:
            print(f"storage '{st.storage}' on {st.node} is not active: its backups are not listed", file=sys.stderr)
        for name in [] if node else offline_nodes(client):
            print(f"node {name} is offline: the backups on its own storages are not listed", file=sys.stderr)
        unread: dict[str, str] = {}
        names = _names(client)
        found = read(client, node=node, storage=storage, vmid=vmid, unread=unread)
        rows = [{"vmid": b.vmid, "name": names.get((b.vmid or 0, b.kind or ""), ""), **row(b)} for b in found]
        show(ctx, rows, columns=LIST_COLUMNS, wide=WIDE_COLUMNS)
        if unread:
            failed = "; ".join(f"storage {where} ({why})" for where, why in unread.items())
            raise CliError(f"could not read {failed}: its backups are not listed", FAILURE)


def _names(client: object) -> dict[tuple[int, str], str]:
    """The name of each guest there is now, by id and kind (a destroyed guest's backups have none, also when its id
    went to a guest of the other kind): one read, the list goes on without names when it fails."""
    from pvectl.guest.select import guests
    from pvectl.sdk._core.errors import PveError

    try:
        return {(g.vmid, g.kind): g.name for g in guests(client)}  # type: ignore[arg-type]
    except PveError:
        return {}


def _vmid(client: object, text: str) -> int:
    """A guest id as given, or the id of the VM of that name (a deleted guest's backups need its id)."""
    from pvectl.cli.errors import NOT_FOUND, USAGE, CliError
    from pvectl.guest.select import VmAmbiguous, VmNotFound, find

    if text.isdigit():
        return int(text)
    try:
        return find(client, text, ("qemu", "lxc")).vmid  # type: ignore[arg-type]
    except VmNotFound as exc:
        raise CliError(f"--vm: {exc}", USAGE if isinstance(exc, VmAmbiguous) else NOT_FOUND) from None


def _check_node(client: object, node: str | None) -> None:
    from pvectl.backup.catalog import online_nodes
    from pvectl.cli.errors import USAGE, CliError

    if node is not None:
        known = online_nodes(client)  # type: ignore[arg-type]
        if node not in known:
            raise CliError(f"--node: no online node '{node}' in this cluster (online: {', '.join(known)})", USAGE)


def show(ctx: typer.Context, volid: VolidArg, node: NodeOpt = None) -> None:
    """A backup: where it is, its notes and protection, and the guest configuration it holds."""
    with reported():
        from pvectl.backup.catalog import archive_config
        from pvectl.cli.commands.backup.common import find, row
        from pvectl.cli.output import show as render

        client = ctx.obj.client()
        backup = find(client, volid, node)
        # pve-manager PVE/API2/VZDump.pm extractconfig: the config file inside the archive, as text
        config = client.nodes(backup.node).vzdump.extractconfig(volume=volid)
        data = {**row(backup), "config": archive_config(config)}

        def human() -> str:
            shown = {k: ("yes" if v else "no") if isinstance(v, bool) else v for k, v in row(backup).items()}
            head = [f"{k}: {v}" for k, v in shown.items() if v not in (None, "")]
            return "\n".join([*head, "config:", *("  " + line for line in config.splitlines())])

        render(ctx, data, human=human)
