"""``pvectl backup job list|show|run|uncovered``: the cluster's scheduled backup jobs (``/cluster/backup``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pvectl.cli.commands.backup.common import NoWaitOpt, TimeoutOpt
from pvectl.cli.errors import reported

app = typer.Typer(
    name="job",
    help="Scheduled backup jobs: list, show, run now, guests no job covers.",
    no_args_is_help=True,
    add_completion=False,
)

JobArg = Annotated[str, typer.Argument(metavar="ID", help="The job's id (pvectl backup job list).", show_default=False)]
JOB_COLUMNS = ("id", "enabled", "schedule", "next", "storage", "selection", "mode", "comment")


def _selection(job: dict[str, Any]) -> str:
    if job.get("pool"):
        return f"pool {job['pool']}"
    if job.get("vmid"):
        return f"ids {job['vmid']}"
    if str(job.get("all")) in ("1", "True", "true"):
        return f"all except {job['exclude']}" if job.get("exclude") else "all"
    return ""


def _row(job: dict[str, Any]) -> dict[str, Any]:
    from pvectl.cli.commands.backup.common import when

    enabled = str(job.get("enabled", "1")) not in ("0", "False", "false")
    # PVE/API2/Backup.pm index: next-run, computed from the schedule (an epoch), for the list only
    nxt = str(job.get("next-run") or "").split(".")[0]
    row = {**job, "enabled": enabled, "selection": _selection(job) + (f" on {job['node']}" if job.get("node") else "")}
    return {**row, "next": when(int(nxt)) if nxt.isdigit() else ""}


@app.command("list")
def list_jobs(ctx: typer.Context) -> None:
    """The scheduled backup jobs: schedule, storage, which guests."""
    with reported():
        from pvectl.cli.output import show
        from pvectl.sdk._core.answers import plain

        client = ctx.obj.client()
        jobs = plain(client.cluster.backup.list()) or []
        show(ctx, [_row(dict(j)) for j in jobs if isinstance(j, dict)], columns=JOB_COLUMNS)


def _job(client: Any, jid: str) -> dict[str, Any]:
    from pvectl.cli.errors import NOT_FOUND, CliError
    from pvectl.sdk._core.answers import plain
    from pvectl.sdk._core.errors import ApiError

    try:
        job = plain(client.cluster.backup(jid).get())
    except ApiError as exc:
        if "does not exist" in exc.message or exc.status == 404:
            raise CliError(f"no backup job '{jid}' (pvectl backup job list)", NOT_FOUND) from None
        raise
    return {"id": jid, **dict(job or {})}


def _included(client: Any, jid: str) -> list[dict[str, Any]]:
    """The guests the job backs up now (``GET /cluster/backup/{id}/included_volumes``), each with its volumes."""
    from pvectl.sdk._core.answers import plain

    tree = plain(client.cluster.backup(jid).included_volumes()) or {}
    return [dict(g) for g in tree.get("children", []) if isinstance(g, dict)]


@app.command("show")
def show_job(ctx: typer.Context, jid: JobArg) -> None:
    """A job's settings and the guests (and disks) it includes now."""
    with reported():
        from pvectl.backup.plan import job_value
        from pvectl.cli.output import show

        client = ctx.obj.client()
        job = _row(_job(client, jid))
        guests = _included(client, jid)
        data = {**job, "guests": guests}

        def human() -> str:
            shown = {k: ("yes" if v else "no") if isinstance(v, bool) else job_value(v) for k, v in job.items()}
            lines = [f"{k}: {v}" for k, v in shown.items() if v not in (None, "")]
            lines.append(f"guests ({len(guests)}):")
            for g in guests:
                lines.append(f"  {g.get('id')} {g.get('name', '')} ({g.get('type')})")
                for vol in g.get("children", []):
                    mark = "included" if vol.get("included") else "excluded"
                    lines.append(f"    {vol.get('id')}: {vol.get('name')} - {mark} ({vol.get('reason')})")
            return "\n".join(lines)

        show(ctx, data, human=human)


@app.command("uncovered")
def uncovered(ctx: typer.Context) -> None:
    """Guests no backup job includes (``GET /cluster/backup-info/not-backed-up``)."""
    with reported():
        from pvectl.cli.output import show
        from pvectl.sdk._core.answers import plain

        client = ctx.obj.client()
        rows = [dict(r) for r in plain(client.cluster.backup_info.not_backed_up()) or [] if isinstance(r, dict)]
        show(ctx, [{"vmid": r.get("vmid"), "name": r.get("name"), "type": r.get("type")} for r in rows])
        if not rows:
            import sys

            print("every guest is included in a backup job", file=sys.stderr)


@app.command("run")
def run_job(
    ctx: typer.Context,
    jid: JobArg,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the vzdump requests; send nothing.")] = False,
    timeout: TimeoutOpt = None,
    no_wait: NoWaitOpt = False,
) -> None:
    """Run a job now: its settings into one vzdump task per node; one outcome per guest (as backup create)."""
    with reported():
        from pvectl.backup.plan import Guest, plan_create
        from pvectl.cli.commands.backup.create import BACKUP_TIMEOUT, _dry_run, options_for_job, run
        from pvectl.cli.duration import parse_duration
        from pvectl.guest.select import guests as cluster_guests

        seconds = parse_duration(timeout, "--timeout") if timeout else BACKUP_TIMEOUT
        client = ctx.obj.client()
        job = _job(client, jid)
        ids = {int(g["id"]) for g in _included(client, jid)}
        guests = [
            Guest(r.vmid, r.node, r.kind, r.name) for r in cluster_guests(client, ("qemu", "lxc")) if r.vmid in ids
        ]
        if not guests:
            print(f"job {jid} includes no guest now; nothing to do")
            return
        requests = plan_create(guests, options_for_job(job))
        if dry_run:
            _dry_run(ctx, requests)
            return
        run(ctx, client, requests, None if no_wait else seconds)
