"""``pvectl ct clone|migrate|resize|set`` and ``ct template convert``: one container's writes on the guest
core's runner (migrate also takes selectors). Checks that need only the config run before anything is sent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from pvectl.cli import completers, options
from pvectl.cli.commands.ct.daily import CtArg
from pvectl.cli.errors import USAGE, CliError, reported
from pvectl.cli.options import Bulk, Selection, Waiting

if TYPE_CHECKING:
    from pvectl.guest.run import Step
    from pvectl.sdk import ProxmoxClient


def _o(*names: str, help: str, complete: Any = None, metavar: str | None = None) -> Any:
    return typer.Option(*names, help=help, show_default=False, autocompletion=complete, metavar=metavar)


NewId = Annotated[int | None, _o("--newid", "--vmid", help="Id of the copy (default: the next free one).")]
Hostname = Annotated[str | None, _o("--hostname", "--name", help="Host name of the copy.")]
Full = Annotated[
    bool | None, _o("--full/--linked", help="Full copy (default for a CT) or linked clone (default for a template).")
]
Storage = Annotated[
    str | None, _o("--storage", help="Storage of a full copy's volumes.", complete=completers.rootdir_storage)
]
Target = Annotated[str | None, _o("--target", help="Node of the copy (shared storage only).", complete=completers.node)]
Pool = Annotated[str | None, _o("--pool", help="Pool of the copy.", complete=completers.pool)]
Snapshot = Annotated[str | None, _o("--snapshot", help="Clone this snapshot (a running CT's full copy needs one).")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print the request; send nothing.")]
Timeout = Annotated[str | None, _o("--timeout", metavar="DURATION", help="How long to wait (default 10m).")]
To = Annotated[str, _o("--to", help="Target node.", complete=completers.node)]
ShutdownTimeout = Annotated[
    int | None,
    _o("--timeout", metavar="SECONDS", help="How long a running CT may take to shut down (restart mode; PVE: 180)."),
]
Disk = Annotated[str, typer.Argument(help="rootfs or mpN.", show_default=False)]
Size = Annotated[str, typer.Argument(help="+SIZE grows by (+4G), SIZE sets (16G); G when no unit.", show_default=False)]


def _one(
    ctx: typer.Context,
    step: Step,
    *,
    dry_run: bool,
    seconds: float | None,
    verb: str,
    new: tuple[int, str | None, str] | None = None,
) -> None:
    """Run one step; ``new`` (id, name, node): the outcome is the guest the step makes (a clone), as ``vm clone``'s."""
    from pvectl.cli import render
    from pvectl.guest.run import execute

    if dry_run:
        render.plan(ctx, [step], verb, request=lambda s: f"{getattr(s, 'request', '')} {_params(s)}".rstrip())
        return
    outcome = execute(ctx.obj.client(), step, timeout=seconds)
    if new is not None and outcome.kind != "failed":  # refused or never sent: no new guest to name
        outcome.vmid, outcome.name, outcome.node = new
    render.one(ctx, outcome)


def _params(step: Step) -> str:
    params = getattr(step, "params", {}) or {}
    return " ".join(f"{k}={v}" for k, v in params.items())


def clone(
    ctx: typer.Context,
    ct: CtArg,
    newid: NewId = None,
    hostname: Hostname = None,
    full: Full = None,
    storage: Storage = None,
    target: Target = None,
    pool: Pool = None,
    snapshot: Snapshot = None,
    dry_run: DryRun = False,
    timeout: Timeout = None,
) -> None:  # fmt: skip
    """Copy a container: full (its own volumes) or linked (on a template's base volumes)."""
    with reported():
        from pvectl.cli.commands.ct.daily import find
        from pvectl.ct import ops

        seconds = Waiting(False, timeout).seconds(ctx)
        client = ctx.obj.client()
        ref = find(client, ct)
        is_template = bool(ref.raw.get("template"))
        # pve-container clone_vm: full unless the source is a template; 'storage' only for full copies; a
        # linked clone needs a template's base volumes; a running CT's full copy needs a snapshot
        if full is False and not is_template:
            raise CliError(f"--linked: CT {ref.vmid} is no template (pvectl ct template convert {ref.vmid})", USAGE)
        if storage is not None and (full is False or (full is None and is_template)):
            raise CliError("--storage: only for a full copy (add --full)", USAGE)
        if ref.status == "running" and full is not False and not is_template and snapshot is None:
            raise CliError(
                f"CT {ref.vmid} runs: PVE copies a running container only from a snapshot (--snapshot NAME)", USAGE
            )
        if target is not None:  # clone_vm checks it (PVE::Cluster::check_node_exists), after sending
            _check_node(client, target, "--target")
        given = {"hostname": hostname, "storage": storage, "target": target, "pool": pool, "snapname": snapshot}
        params: dict[str, str | int] = {k: v for k, v in given.items() if v is not None}
        if full is not None:
            params["full"] = int(full)
        from pvectl.sdk._core.answers import plain

        _clone_checks(client, ref, newid, target, storage, snapshot)
        vmid = newid if newid is not None else int(plain(client.cluster.nextid()))
        _one(ctx, ops.clone(ref, vmid, params), dry_run=dry_run, seconds=seconds, verb="clone",
             new=(vmid, hostname, target or ref.node))  # fmt: skip


def _clone_checks(
    client: ProxmoxClient, ref: Any, newid: int | None, target: str | None, storage: str | None, snapshot: str | None
) -> None:
    """Refusals PVE's clone_vm would answer, found before sending (pvectl.ct.clone); reads only what they need."""
    from pvectl.ct.clone import problems
    from pvectl.sdk._core.answers import as_object, as_rows

    ct = client.nodes(ref.node).lxc(ref.vmid)
    config = as_object(f"GET /nodes/{ref.node}/lxc/{ref.vmid}/config", ct.config.get())
    snaps = as_rows(f"GET /nodes/{ref.node}/lxc/{ref.vmid}/snapshot", ct.snapshot.list()) if snapshot else []
    away = target is not None and target != ref.node
    rows = as_rows("GET /storage", client.storage.list()) if away else []
    guests = as_rows("GET /cluster/resources", client.cluster.resources(type="vm")) if newid is not None else []
    found = problems(
        ref.vmid,
        ref.node,
        config,
        snapshots={str(r.get("name")) for r in snaps if r.get("name") != "current"},
        shared={str(r.get("storage")): str(r.get("shared", 0)) == "1" for r in rows},
        taken={int(r["vmid"]) for r in guests if r.get("vmid") is not None},
        newid=newid,
        target=target,
        storage=storage,
        snapshot=snapshot,
    )
    if found:
        raise CliError(f"{found[0]} (nothing was sent)", USAGE, found[1:])


def convert(
    ctx: typer.Context,
    ct: CtArg,
    dry_run: DryRun = False,
) -> None:
    """Turn a stopped container without snapshots into a template (linked clones then share its volumes)."""
    with reported():
        from pvectl.cli.commands.ct.daily import find
        from pvectl.ct import ops
        from pvectl.guest.run import decided

        client = ctx.obj.client()
        ref = find(client, ct)
        step: Step = ops.template(ref)
        if ref.raw.get("template"):
            step = decided(ref, "template", "already", "a template already; nothing sent")
        _one(ctx, step, dry_run=dry_run, seconds=None, verb="convert")


@options.selection("CT")
@options.bulk("CT")
def migrate(
    ctx: typer.Context,
    selection: Selection,
    bulk: Bulk,
    to: To,
    timeout: ShutdownTimeout = None,
) -> None:  # fmt: skip
    """Move containers to another node: a running one in restart mode (shut down, moved, started: PVE has no
    live migration for containers), a stopped one offline."""
    with reported():
        from pvectl.cli import render
        from pvectl.cli.commands.ct.power import selected
        from pvectl.cli.writes import run_steps
        from pvectl.ct import ops
        from pvectl.guest.run import decided

        sel = selection.selector()
        bulk.check()
        if timeout is not None and timeout < 1:
            raise CliError("--timeout: must be at least 1 second", USAGE)
        client = ctx.obj.client()
        _check_node(client, to)
        refs = selected(client, sel, "migrate")
        steps: list[Step] = [
            decided(r, "migrate", "already", f"on {to} already; nothing sent") if r.node == to
            else ops.migrate(r, to, timeout=timeout) for r in refs
        ]  # fmt: skip
        if steps and bulk.dry_run:  # the parameters too: restart mode and its shutdown timeout are the point
            render.plan(ctx, steps, "migrate", request=lambda s: f"{getattr(s, 'request', '')} {_params(s)}".rstrip())
            return
        if steps:
            wait = 600.0 + (timeout or ops.RESTART_TIMEOUT)
            ask = None if sel.single else (lambda n: f"Migrate {n} CT{'' if n == 1 else 's'} to {to}?")
            run_steps(ctx, client, steps, single=sel.single, bulk=bulk, waiting=None, seconds=wait, verb="migrate",
                      question=ask)  # fmt: skip


def _check_node(client: ProxmoxClient, node: str, flag: str = "--to") -> None:
    from pvectl.sdk._core.answers import plain

    rows = plain(client.nodes.list()) or []
    names = sorted(str(r.get("node")) for r in rows)
    if node not in names:
        raise CliError(f"{flag}: no node '{node}' in this cluster (known: {', '.join(names)})", USAGE)
    if not any(r.get("node") == node and r.get("status") == "online" for r in rows):
        raise CliError(f"{flag}: node '{node}' is offline", USAGE)


def resize(
    ctx: typer.Context,
    ct: CtArg,
    disk: Disk,
    size: Size,
    dry_run: DryRun = False,
) -> None:  # fmt: skip
    """Grow a container's root disk or a mount point (PVE cannot shrink them)."""
    with reported():
        from pvectl.cli.commands.ct.daily import find
        from pvectl.ct import ops
        from pvectl.ct.resize import plan_resize, pve_size
        from pvectl.guest.run import decided

        client = ctx.obj.client()
        ref = find(client, ct)
        from pvectl.sdk._core.answers import plain
        from pvectl.vm.resize import volume_size

        config = plain(client.nodes(ref.node).lxc(ref.vmid).config.get()) or {}
        actual = volume_size(client, ref.node, str(config.get(disk, ""))) if disk in config else None
        problem, current, new = plan_resize(config, disk, size, actual=actual)
        if problem is not None:
            raise CliError(problem, USAGE)
        step: Step = ops.resize(ref, disk, pve_size(size), new)
        if new == current:
            step = decided(ref, "resize", "already", f"{disk} has that size already; nothing sent")
        _one(ctx, step, dry_run=dry_run, seconds=None, verb="resize")
