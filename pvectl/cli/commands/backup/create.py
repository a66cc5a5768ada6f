"""``pvectl backup create``: back up guests (ids, names, selectors or --all), one vzdump task per node."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from pvectl.cli import completers, options
from pvectl.cli.commands.backup.common import NoWaitOpt, TimeoutOpt
from pvectl.cli.errors import USAGE, CliError, reported
from pvectl.cli.options import Selection

if TYPE_CHECKING:
    from pvectl.backup.plan import Guest, Options, VzdumpRequest
    from pvectl.backup.run import NodeJob
    from pvectl.guest.outcome import Outcome
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.selector import Selector

MODES = ("snapshot", "suspend", "stop")
COMPRESSORS = ("zstd", "gzip", "lzo", "0")
OUTCOME_COLUMNS = ("vmid", "name", "node", "outcome", "message")
BACKUP_TIMEOUT = 6 * 3600.0  # a backup of big disks takes hours; the task goes on after the wait anyway


@options.selection("guest")
def create(
    ctx: typer.Context,
    selection: Selection,
    storage: Annotated[
        str | None,
        typer.Option(
            "--storage",
            help="Backup storage (default: the node's vzdump default, 'local' unless /etc/vzdump.conf says).",
            show_default=False,
            autocompletion=completers.storage,
        ),
    ] = None,
    mode: Annotated[
        str, typer.Option("--mode", help="snapshot (live), suspend, or stop (shuts the guest down for the backup).")
    ] = "snapshot",
    compress: Annotated[
        str, typer.Option("--compress", help="zstd, gzip, lzo, or 0 for none (PBS compresses by itself).")
    ] = "zstd",
    notes_template: Annotated[
        str | None,
        typer.Option(
            "--notes-template",
            metavar="TEXT",
            help="Notes of each backup; {{guestname}}, {{vmid}}, {{node}}, {{cluster}} are filled in.",
            show_default=False,
        ),
    ] = None,
    protected: Annotated[
        bool, typer.Option("--protected", help="Protect the new backups from prune and delete.")
    ] = False,
    bwlimit: Annotated[
        int | None,
        typer.Option(
            "--bwlimit", metavar="KIB/S", help="Limit the I/O bandwidth (KiB/s; 0: none).", show_default=False
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the vzdump requests per node; send nothing.")
    ] = False,
    timeout: TimeoutOpt = None,
    no_wait: NoWaitOpt = False,
) -> None:
    """Back up guests: one vzdump task per node, the guests in turn; one outcome per guest.

    Exit 0 when every guest was backed up, 8 when any failed, 7 when the log could not be read to the end
    (or the wait ran out), 130 after Ctrl-C (the tasks go on; the guests already done are named).
    """
    with reported():
        from pvectl.backup.plan import Options, Refused, plan_create
        from pvectl.cli.duration import parse_duration

        if mode not in MODES:
            raise CliError(f"--mode: '{mode}' is not one of {', '.join(MODES)}", USAGE)
        if compress not in COMPRESSORS:
            raise CliError(f"--compress: '{compress}' is not one of {', '.join(COMPRESSORS)}", USAGE)
        seconds = parse_duration(timeout, "--timeout") if timeout else BACKUP_TIMEOUT
        sel = selection.selector()
        if sel.empty:
            raise CliError("backup create: name guests, or select them (-l, --pool, --node, --name), or --all", USAGE)
        options = Options(
            storage=storage,
            mode=mode,
            compress=compress,
            notes_template=notes_template,
            protected=protected,
            bwlimit=bwlimit,
        )
        try:
            plan_create([], options)  # the flags alone, before anything is read
        except Refused as exc:
            raise CliError(str(exc), USAGE) from None
        client = ctx.obj.client()
        guests = _guests(client, sel)
        if not guests:
            print(f"no guest matches ({sel.describe()}); nothing to do", file=sys.stderr)
            return
        requests = plan_create(guests, options)
        if storage is not None:
            _check_storage(client, storage, sorted({r.node for r in requests}))
        if dry_run:
            _dry_run(ctx, requests)
            return
        run(ctx, client, requests, None if no_wait else seconds)


def _check_storage(client: ProxmoxClient, storage: str, nodes: list[str]) -> None:
    """vzdump refuses a storage that does not exist or holds no backups (pve-manager PVE/VZDump.pm storage_info:
    "wrong content type"); the node's list of backup storages says so before anything is sent. It lists every
    storage the user may write to (pve-storage API2/Storage/Status.pm index checks Datastore.AllocateSpace)."""
    for node in nodes:
        names = [str(st.storage) for st in client.nodes(node).storage.list(content="backup") if st.enabled is not False]
        if storage not in names:
            known = ", ".join(sorted(names)) or "none"
            raise CliError(f"--storage: no backup storage '{storage}' on {node} (backup storages: {known})", USAGE)


def _guests(client: ProxmoxClient, sel: Selector) -> list[Guest]:
    """The selected guests, VMs and containers (vzdump backs up both kinds in one task)."""
    from pvectl.backup.plan import Guest
    from pvectl.cli.writes import resolve

    return [Guest(r.vmid, r.node, r.kind, r.name) for r in resolve(client, sel, ("qemu", "lxc"))]


def _dry_run(ctx: typer.Context, requests: list[VzdumpRequest]) -> None:
    from pvectl.cli.output import show

    rows = [
        {"node": r.node, "request": f"POST {r.path}", "params": dict(r.params), "guests": [g.vmid for g in r.guests]}
        for r in requests
    ]
    lines = [f"would start {len(requests)} vzdump task{'s' if len(requests) != 1 else ''} (one per node):"]
    for r in requests:
        params = " ".join(f"{k}={v}" for k, v in r.params.items())
        lines.append(f"  POST {r.path} {params}")
        lines += [f"    {g.label}" for g in r.guests]
    show(ctx, rows, columns=("node", "request", "guests"), human="\n".join(lines), piped="text")


def run(ctx: typer.Context, client: ProxmoxClient, requests: list[VzdumpRequest], seconds: float | None) -> None:
    """Start every node's task, follow them all (``seconds`` None: print the task ids instead), print one outcome
    per guest; the exit code says how it went."""
    from pvectl.backup import run as runner

    jobs = [runner.NodeJob(r) for r in requests]
    progress = _Progress()
    interrupted = False
    sending: runner.NodeJob | None = None
    try:
        for job in jobs:
            sending = job
            runner.start(client, job)
            sending = None
            if job.upid:
                print(f"started vzdump on {job.request.node}: {job.upid}", file=sys.stderr, flush=True)
        if seconds is None:
            _print_upids(ctx, jobs)
            return
        runner.follow(client, jobs, timeout=seconds, on_progress=progress)
    except KeyboardInterrupt:
        interrupted = True
        for job in jobs:
            if job.upid is None and job.error is None:
                if job is sending:  # PVE may have started it: the task list tells (pvectl task list --node N)
                    job.error, job.error_kind = "interrupted while its request was being sent", "unknown"
                else:
                    job.error, job.error_kind = "not started (interrupted); nothing was sent", "interrupted"
    finally:
        progress.clear()
    report(ctx, runner.outcomes(jobs, interrupted=interrupted))


def _print_upids(ctx: typer.Context, jobs: list[NodeJob]) -> None:
    """``--no-wait``: one task id per line (``-o json``: node, task id and guests of each)."""
    from pvectl.cli.output import show

    rows = [
        {"node": j.request.node, "upid": j.upid, "vmids": [g.vmid for g in j.request.guests], "error": j.error}
        for j in jobs
    ]
    human = "\n".join(str(r["upid"]) for r in rows if r["upid"])
    show(ctx, rows, human=human, piped="text")
    failed = [r for r in rows if r["error"]]
    if failed:
        from pvectl.cli.errors import CliError
        from pvectl.guest.outcome import SOME_FAILED

        raise CliError(
            f"{len(failed)} of {len(rows)} nodes started no backup",
            SOME_FAILED,
            [f"{r['node']}: {r['error']}" for r in failed],
        )


class _Progress:
    """One status line on a terminal (the guest being backed up and its percentage), nothing when piped."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = ""

    def __call__(self, text: str) -> None:
        if self.tty and text != self.last:
            import shutil

            # one line only: a line wider than the terminal wraps, and \r then clears only its last row
            line = f"backing up: {text}"
            width = max(20, shutil.get_terminal_size().columns - 1)
            line = line if len(line) <= width else line[: width - 3] + "..."
            print(f"\r\x1b[2K{line}", end="", file=sys.stderr, flush=True)
            self.last = text

    def clear(self) -> None:
        if self.tty and self.last:
            print("\r\x1b[2K", end="", file=sys.stderr, flush=True)


def report(ctx: typer.Context, results: list[Outcome]) -> None:
    """The per-guest table (``-o json``: the core's outcome objects); exit 0 only when every guest was backed up,
    7 when the only ones not backed up are unknown, 8 otherwise, 130 after Ctrl-C."""
    from pvectl.backup.run import exit_code
    from pvectl.cli import render
    from pvectl.cli.errors import CliError
    from pvectl.cli.output import show

    for outcome in results:
        render.progress(outcome)
    show(ctx, [render.data_of(o) for o in results], columns=OUTCOME_COLUMNS)
    code = exit_code(results)
    if code == 0:
        return
    bad = [o for o in results if not o.ok]
    if code == 130:
        done = [o.message.split(":")[0] for o in results if o.ok]
        running = sorted({o.upid for o in bad if o.upid})
        details = [f"backed up before Ctrl-C: {', '.join(done) or 'none'}"]
        details += [f"still running: {upid} (pvectl task wait '{upid}')" for upid in running]
        raise CliError("interrupted: the backup tasks go on on the server", code, details)
    names = ", ".join(o.message.split(":")[0] for o in bad)
    details = [line for o in bad for line in o.checked]
    raise CliError(f"{len(bad)} of {len(results)} guests not backed up: {names}", code, details)


def options_for_job(job: dict[str, object]) -> Options:
    """A scheduled job's vzdump parameters (``backup job run``): its own, minus what only the scheduler reads."""
    from pvectl.backup.plan import Options, job_value

    skip = {"id", "type", "schedule", "starttime", "dow", "enabled", "comment", "repeat-missed", "next-run"}
    skip |= {"vmid", "all", "exclude", "pool", "node"}  # the selection becomes the per-node vmid lists
    # job-id is not sent: PVE/API2/VZDump.pm lets only root@pam set it
    extra = {k: job_value(v) for k, v in job.items() if k not in skip and v is not None}
    return Options(extra=extra)
