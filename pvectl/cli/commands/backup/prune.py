"""``pvectl backup prune``: remove old backups of guests by PVE's retention rules, never a protected one."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from pvectl.cli import completers, options
from pvectl.cli.errors import reported
from pvectl.cli.options import Selection

if TYPE_CHECKING:
    from pvectl.backup.catalog import BackupStorage
    from pvectl.backup.plan import PrunePlan
    from pvectl.sdk import ProxmoxClient
    from pvectl.sdk._core.errors import PveError
    from pvectl.vm.selector import Selector

MARK_COLUMNS = ("vmid", "time", "mark", "storage", "volid")


@options.selection("guest")
def prune(
    ctx: typer.Context,
    selection: Selection,
    storage: Annotated[
        str | None,
        typer.Option(
            "--storage",
            help="Only this storage (default: every storage with backups).",
            show_default=False,
            autocompletion=completers.storage,
        ),
    ] = None,
    keep_last: Annotated[int | None, typer.Option("--keep-last", metavar="N", help="Keep the N newest.")] = None,
    keep_hourly: Annotated[
        int | None, typer.Option("--keep-hourly", metavar="N", help="Keep one per hour, N hours.")
    ] = None,
    keep_daily: Annotated[
        int | None, typer.Option("--keep-daily", metavar="N", help="Keep one per day, N days.")
    ] = None,
    keep_weekly: Annotated[
        int | None, typer.Option("--keep-weekly", metavar="N", help="Keep one per ISO week.")
    ] = None,
    keep_monthly: Annotated[int | None, typer.Option("--keep-monthly", metavar="N", help="Keep one per month.")] = None,
    keep_yearly: Annotated[int | None, typer.Option("--keep-yearly", metavar="N", help="Keep one per year.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show PVE's marks (keep/remove/protected/renamed).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Prune guests' backups: without --keep-* each storage's own prune-backups setting applies.

    A destroyed guest's backups are pruned by its id. Without --keep-* and --storage, a storage that has no
    prune-backups setting is skipped (with a note). The marks are PVE's (GET …/prunebackups); the removal is
    PVE's (DELETE …/prunebackups), which removes exactly the backups marked remove: protected ones and ones not
    named by vzdump stay.
    """
    with reported():
        from pvectl.backup.catalog import backup_storages, offline_nodes
        from pvectl.backup.plan import Refused, keep_text
        from pvectl.cli.errors import FAILURE, NOT_FOUND, USAGE, CliError
        from pvectl.cli.writes import confirm

        keep = {
            "keep-last": keep_last,
            "keep-hourly": keep_hourly,
            "keep-daily": keep_daily,
            "keep-weekly": keep_weekly,
            "keep-monthly": keep_monthly,
            "keep-yearly": keep_yearly,
        }
        try:
            retention = keep_text(keep)
        except Refused as exc:
            raise CliError(str(exc), USAGE) from None
        sel = selection.selector()
        if sel.empty:
            raise CliError("backup prune: name guests, or select them (-l, --pool, --node, --name), or --all", USAGE)
        client = ctx.obj.client()
        targets = _targets(client, sel)
        places = backup_storages(client, storage=storage)
        if storage is not None and not places:
            raise CliError(f"--storage: no storage '{storage}' with backup content", USAGE)
        for name in offline_nodes(client):
            print(f"node {name} is offline: the backups on its own storages are not pruned", file=sys.stderr)
        plans, unset = _plans(client, places, targets, retention)
        if unset and (storage is not None or unset == {p.storage for p in places}):
            raise CliError(
                f"storage '{min(unset)}' has no prune-backups setting; give --keep-last/--keep-daily/…", FAILURE
            )
        for sid in sorted(unset):  # only without --storage and --keep-*: the other storages' own settings apply
            print(f"storage '{sid}' has no prune-backups setting: skipped (--keep-* prunes it too)", file=sys.stderr)
        plans = [p for p in plans if p.marks]
        unknown = sorted({vmid for vmid, kind in targets if kind is None} - {p.vmid for p in plans})
        if unknown and not unset:
            ids = ", ".join(map(str, unknown))
            raise CliError(f"no guest and no backup has id {ids} (pvectl backup list)", NOT_FOUND)
        _show(ctx, plans)
        removes = [m for p in plans for m in p.removes]
        if dry_run or not removes:
            if not removes:
                print("nothing to remove", file=sys.stderr)
            return
        if not yes:
            confirm(f"Remove {len(removes)} backups?", f"refusing to remove {len(removes)} backups")
        for plan in plans:
            if plan.removes:
                _remove(ctx, client, plan, retention)


class _NoRetention(Exception):
    """The storage has no prune-backups setting and no --keep-* was given (pve-storage Storage.pm prune_backups)."""


def _targets(client: ProxmoxClient, sel: Selector) -> list[tuple[int, str | None]]:
    """(vmid, kind) of each guest to prune; an id no guest has any more is pruned by its backups of either kind
    (its backups stay when the guest is destroyed, and ``backup list --vm`` lists them)."""
    import dataclasses

    from pvectl.cli.writes import resolve
    from pvectl.guest.select import guests

    present = {g.vmid for g in guests(client)}
    gone = [int(k) for k in sel.keys if k.isdigit() and int(k) not in present]
    rest = dataclasses.replace(sel, keys=tuple(k for k in sel.keys if not (k.isdigit() and int(k) in gone)))
    refs = [] if gone and rest.empty else resolve(client, rest, ("qemu", "lxc"))
    return [(r.vmid, r.kind) for r in refs] + [(vmid, None) for vmid in gone]


def _plans(
    client: ProxmoxClient, places: list[BackupStorage], targets: list[tuple[int, str | None]], retention: str | None
) -> tuple[list[PrunePlan], set[str]]:
    """Each storage's marks for each guest, and the storages that have no retention to apply."""
    plans: list[PrunePlan] = []
    unset: set[str] = set()
    for where in places:
        try:
            plans += [_plan(client, where, vmid, kind, retention) for vmid, kind in targets]
        except _NoRetention:
            unset.add(where.storage)
    return plans, unset


def _plan(client: ProxmoxClient, where: BackupStorage, vmid: int, kind: str | None, retention: str | None) -> PrunePlan:
    from pvectl.backup.plan import PrunePlan
    from pvectl.sdk._core.answers import plain
    from pvectl.sdk._core.errors import ApiError

    try:
        # PruneBackups.pm: type qemu or lxc (optional: both kinds of the id)
        prune = client.nodes(where.node).storage(where.storage).prunebackups
        marks = plain(prune.get(vmid=vmid, type=cast(Any, kind), prune_backups=retention or None))
    except ApiError as exc:
        if "no prune-backups options configured" in exc.message:  # pve-storage Storage.pm prune_backups
            raise _NoRetention(where.storage) from None
        raise
    return PrunePlan(where.storage, where.node, tuple(m for m in marks or [] if isinstance(m, dict)), kind, vmid)


def _show(ctx: typer.Context, plans: list[PrunePlan]) -> None:
    from pvectl.backup.plan import rows_for
    from pvectl.cli.commands.backup.common import when
    from pvectl.cli.output import show

    rows = [{**r, "time": when(int(r["ctime"] or 0)), "storage": p.storage} for p in plans for r in rows_for(p.marks)]
    show(ctx, rows, columns=MARK_COLUMNS)


def _remove(ctx: typer.Context, client: ProxmoxClient, plan: PrunePlan, retention: str | None) -> None:
    from pvectl.cli.errors import FAILURE, CliError
    from pvectl.cli.tasks import wait_for
    from pvectl.sdk import TaskFailed
    from pvectl.sdk._core.errors import PveError

    vmid = plan.removes[0].get("vmid")
    guest = {"qemu": "VM", "lxc": "CT"}.get(str(plan.kind), "guest")
    prune = client.nodes(plan.node).storage(plan.storage).prunebackups
    try:
        upid = prune.delete(vmid=vmid, type=cast(Any, plan.kind), prune_backups=retention or None).upid.raw
    except PveError as exc:
        _settle(client, plan, exc)
        return
    try:
        wait_for(client, str(upid), verbose=bool(ctx.obj.options.verbose))
    except TaskFailed as exc:
        raise CliError(
            f"pruning {guest} {vmid} on {plan.storage} failed: {exc.exitstatus}", FAILURE, exc.log_tail[-3:]
        ) from None
    _report(client, plan, str(upid))


def _report(client: ProxmoxClient, plan: PrunePlan, upid: str) -> None:
    """What the prune task removed, from its log: PVE marks the backups again inside the task (pve-storage
    src/PVE/API2/Storage/PruneBackups.pm delete), so a backup made or protected since the marks were read changes
    what goes; each removal is logged "removing backup 'VOLID'" (src/PVE/Storage/Plugin.pm prune_backups)."""
    from pvectl.backup.plan import pruned
    from pvectl.sdk._core.answers import plain
    from pvectl.sdk._core.errors import PveError

    planned = [str(m.get("volid")) for m in plan.removes]
    try:
        rows = plain(client.nodes(plan.node).tasks(upid).log(start=0, limit=5000))
        removed = pruned(str(r.get("t", "")) for r in rows or [] if isinstance(r, dict))
    except PveError:
        for volid in planned:
            print(f"removed {volid} (the prune task ended OK; its log could not be read)", file=sys.stderr)
        return
    for volid in removed:
        extra = "" if volid in planned else " (PVE's marks changed since they were read)"
        print(f"removed {volid}{extra}", file=sys.stderr)
    for volid in planned:
        if volid not in removed:
            print(f"kept {volid}: PVE's marks changed since they were read", file=sys.stderr)


def _settle(client: ProxmoxClient, plan: PrunePlan, exc: PveError) -> None:
    """A failed DELETE …/prunebackups: a refusal is raised as it is; after an ambiguous answer (lost, 5xx, odd)
    the storage's backup list decides: the backups marked remove are gone (done), or not all (unknown: exit 7,
    the prune is not sent again; its task may still run)."""
    from pvectl.backup.catalog import BackupNotFound, locate
    from pvectl.cli.errors import UNKNOWN, CliError
    from pvectl.guest.answers import ambiguous, describe_loss

    if not ambiguous(exc):
        raise exc
    loss = describe_loss(exc)
    left = []
    for mark in plan.removes:
        volid = str(mark.get("volid"))
        try:
            locate(client, volid, node=plan.node)
        except BackupNotFound:
            continue
        except PveError:
            pass
        left.append(volid)
    if left:
        raise CliError(
            f"pruning on {plan.storage}: {loss}; still listed: {', '.join(left)}; not sent again",
            UNKNOWN,
            [f"check with: pvectl backup list --storage {plan.storage}"],
        )
    for mark in plan.removes:
        print(f"removed {mark.get('volid')} ({loss}; the storage no longer lists it)", file=sys.stderr)
