"""``pvectl backup restore VOLID``: a VM back from its backup, to its id or a new one."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pvectl.cli import completers
from pvectl.cli.commands.backup.common import VolidArg
from pvectl.cli.errors import reported

if TYPE_CHECKING:
    from pvectl.backup.plan import Guest, RestoreRequest
    from pvectl.sdk import ProxmoxClient


def restore(
    ctx: typer.Context,
    volid: VolidArg,
    vmid: Annotated[
        int | None,
        typer.Option("--vmid", help="Restore as this id (default: the id in the backup).", show_default=False),
    ] = None,
    node: Annotated[
        str | None,
        typer.Option(
            "--node",
            help="Restore on this node (default: the node of the guest it replaces, else one that has the storage).",
            show_default=False,
            autocompletion=completers.node,
        ),
    ] = None,
    storage: Annotated[
        str | None,
        typer.Option(
            "--storage",
            help="Put every disk on this storage (default: the storages in the backup).",
            show_default=False,
            autocompletion=completers.storage,
        ),
    ] = None,
    unique: Annotated[
        bool, typer.Option("--unique", help="New MAC addresses (for a copy beside the original).")
    ] = False,
    start: Annotated[bool, typer.Option("--start", help="Start the guest once restored.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing guest of that id (its disks are replaced).")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the request; send nothing.")] = False,
    timeout: Annotated[
        str | None,
        typer.Option("--timeout", metavar="DURATION", help="How long to wait (default 1h).", show_default=False),
    ] = None,
) -> None:
    """Restore a backup; an existing guest of the same id is replaced only with --force."""
    with reported():
        from pvectl.backup.plan import Refused, plan_restore
        from pvectl.backup.volid import VolidError, parse
        from pvectl.cli.commands.backup.common import find
        from pvectl.cli.duration import parse_duration
        from pvectl.cli.errors import USAGE, CliError

        try:
            parsed = parse(volid)
        except VolidError as exc:
            raise CliError(f"VOLID: {exc}", USAGE) from None
        if vmid is not None and not 100 <= vmid <= 999_999_999:
            raise CliError(f"--vmid: must be between 100 and 999999999, got {vmid}", USAGE)
        if parsed.kind == "lxc":
            raise CliError(f"{volid} holds a container; pvectl restores VMs only so far", USAGE)
        seconds = parse_duration(timeout, "--timeout") if timeout else 3600.0
        client = ctx.obj.client()
        backup = find(client, volid, None)
        target = vmid if vmid is not None else (backup.vmid or parsed.vmid)
        existing = _guest(client, target) if target is not None else None
        where = node or (existing.node if existing is not None and force else backup.node)
        try:
            request = plan_restore(
                parsed,
                node=where,
                vmid=vmid,
                existing=existing,
                force=force,
                storage=storage,
                unique=unique,
                start=start,
            )
        except Refused as exc:
            raise CliError(str(exc), USAGE) from None
        if dry_run:
            _dry_run(ctx, request)
            return
        outcome = submit(client, request, seconds)
        _report(ctx, outcome)


def _guest(client: ProxmoxClient, vmid: int) -> Guest | None:
    """The guest (VM or container) that has ``vmid`` now, from /cluster/resources."""
    from pvectl.backup.plan import Guest

    for row in client.request("GET", "/cluster/resources", {"type": "vm"}) or []:
        if isinstance(row, dict) and int(row.get("vmid", 0)) == vmid:
            return Guest(vmid, str(row.get("node")), str(row.get("type", "qemu")), str(row.get("name") or ""))
    return None


def _dry_run(ctx: typer.Context, request: RestoreRequest) -> None:
    from pvectl.cli.output import show

    params = " ".join(f"{k}={v}" for k, v in request.params.items())
    human = f"would restore {request.label} on {request.node}:\n  POST {request.path} {params}"
    if request.overwrites is not None:
        human += f"\n  (replaces {request.overwrites.label})"
    show(ctx, {"request": f"POST {request.path}", "params": dict(request.params)}, human=human, piped="text")


def submit(client: ProxmoxClient, request: RestoreRequest, seconds: float) -> dict[str, Any]:
    """Send the restore once; after a lost answer, look for its task; then wait. Returns the outcome object."""
    from pvectl.backup.run import _server_time
    from pvectl.cli.errors import UNKNOWN, CliError
    from pvectl.sdk._core.errors import PveError
    from pvectl.sdk._core.upid import is_upid
    from pvectl.vm.reconcile import ambiguous, describe_loss

    base = {"vmid": request.vmid, "node": request.node, "volid": request.params.get("archive")}
    since = _server_time(client, request.node)
    try:
        answer = client.request("POST", request.path, dict(request.params))
    except PveError as exc:
        if not ambiguous(exc):
            raise
        upid = _find_restore_task(client, request, since)
        if upid is None:
            raise CliError(
                f"unknown: {describe_loss(exc)}, and {request.node} shows no restore task for {request.label}",
                UNKNOWN,
                [
                    f"checked: GET /nodes/{request.node}/tasks (qmrestore, vmid {request.vmid})",
                    f"check: pvectl task list --node {request.node}; pvectl vm show {request.vmid}",
                ],
            ) from None
        print(f"the answer was lost; found the restore task: {upid}", file=sys.stderr)
        answer = upid
    if not (isinstance(answer, str) and is_upid(answer)):
        raise CliError(f"unknown: PVE answered {answer!r} instead of a task id", UNKNOWN)
    return {**base, **_wait(client, request, answer, seconds)}


def _find_restore_task(client: ProxmoxClient, request: RestoreRequest, since: int | None) -> str | None:
    from pvectl.backup.run import RECONCILE_DELAYS
    from pvectl.sdk._core.errors import PveError

    ttype = "qmrestore" if request.kind == "qemu" else "vzrestore"
    for delay in RECONCILE_DELAYS:
        if delay:
            client.clock.sleep(delay)
        try:
            rows = client.request(
                "GET", f"/nodes/{request.node}/tasks", {"vmid": request.vmid, "typefilter": ttype, "source": "all"}
            )
        except PveError:
            continue
        found = [
            r
            for r in rows or []
            if isinstance(r, dict)
            and r.get("type") == ttype
            and str(r.get("id")) == str(request.vmid)
            and (since is None or int(r.get("starttime", 0)) >= since - 2)
        ]
        if found:
            return str(max(found, key=lambda r: int(r.get("starttime", 0)))["upid"])
    return None


def _wait(client: ProxmoxClient, request: RestoreRequest, upid: str, seconds: float) -> dict[str, Any]:
    from pvectl.cli.errors import FAILURE, INTERRUPTED, CliError
    from pvectl.cli.tasks import wait_for
    from pvectl.sdk import TaskFailed

    try:
        wait_for(client, upid, seconds)
    except TaskFailed as exc:
        tail = [line for line in exc.log_tail if line][-3:]
        raise CliError(f"restore of {request.label} failed: {exc.exitstatus}", FAILURE, tail) from None
    except KeyboardInterrupt:
        raise CliError(
            f"interrupted: {request.label} is being restored; the task goes on on the server: {upid}",
            INTERRUPTED,
            [f"follow it with: pvectl task wait '{upid}'"],
        ) from None
    started = " and started" if request.params.get("start") else ""
    replaced = " (replaced the existing one)" if request.overwrites is not None else ""
    return {
        "outcome": "restored",
        "upid": upid,
        "message": f"restored {request.label} on {request.node}{started}{replaced}",
    }


def _report(ctx: typer.Context, outcome: dict[str, Any]) -> None:
    from pvectl.cli.output import show

    show(ctx, outcome, human=str(outcome["message"]))
