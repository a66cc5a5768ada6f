"""``pvectl vm clone SRC NEW_NAME``: clone a VM or template (full or linked), optionally start it and wait."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pvectl.cli.commands.vm import ci_flags
from pvectl.cli.commands.vm.wait import VmArg
from pvectl.cli.errors import USAGE, CliError, reported

if TYPE_CHECKING:
    from pvectl.vm.clone import CloneRequest

WAITS = ("ready", "agent", "ip")


def _opt(flag: str, text: str, metavar: str | None = None) -> Any:
    return typer.Option(flag, help=text, metavar=metavar, show_default=False)


def clone(
    ctx: typer.Context,
    source: VmArg,
    new_name: Annotated[str, typer.Argument(help="Name of the new VM.", show_default=False)],
    vmid: Annotated[int | None, _opt("--vmid", "Id of the new VM (default: the next free one).")] = None,
    target: Annotated[
        str | None,
        _opt("--target", "Node of the new VM; PVE needs every source volume, CD images too, and --storage shared."),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Copy every disk (default for VMs that are not templates).")
    ] = False,
    linked: Annotated[
        bool, typer.Option("--linked", help="Share the template's disks (default for templates).")
    ] = False,
    storage: Annotated[str | None, _opt("--storage", "Storage for the copied disks (full clones).")] = None,
    fmt: Annotated[str | None, _opt("--format", "Disk format of the copies: raw, qcow2 or vmdk.", "FORMAT")] = None,
    pool: Annotated[str | None, _opt("--pool", "Add the new VM to this pool.")] = None,
    snapshot: Annotated[str | None, _opt("--snapshot", "Clone this snapshot of the source.")] = None,
    description: Annotated[str | None, _opt("--description", "Description of the new VM.")] = None,
    start: Annotated[bool, typer.Option("--start", help="Start the new VM after cloning.")] = False,
    wait: Annotated[
        str, typer.Option("--wait", metavar="ready|agent|ip", help="ready: the clone task; agent/ip: start and wait.")
    ] = "ready",
    timeout: Annotated[
        str | None, _opt("--timeout", "How long to wait for each task and for --wait (default 10m).", "DURATION")
    ] = None,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Print the clone task's id instead of waiting.")] = False,
    ci_user: ci_flags.CiUser = None,
    ci_password: ci_flags.CiPassword = False,
    ci_password_stdin: ci_flags.CiPasswordStdin = False,
    ssh_key: ci_flags.SshKey = None,
    ipconfig: ci_flags.IpConfig = None,
    nameserver: ci_flags.Nameserver = None,
    searchdomain: ci_flags.Searchdomain = None,
    ci_upgrade: ci_flags.CiUpgrade = None,
    cloudinit_storage: ci_flags.CloudinitStorage = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check, then print the requests; send nothing.")] = False,
) -> None:
    """Clone a VM or template; linked for templates where the storage allows, full otherwise."""
    with reported():
        from pvectl.cli.commands.vm.daily import _find, _wait_seconds
        from pvectl.cli.commands.vm.report import outcome_lines, outcome_printed
        from pvectl.vm.clone import CloneProblem, plan_clone, run_clone

        _check(full=full, linked=linked, wait=wait, no_wait=no_wait, start=start)
        seconds = _wait_seconds(ctx, timeout)
        given = (ci_user, ci_password, ci_password_stdin, ssh_key, ipconfig, nameserver, searchdomain, ci_upgrade,
                 cloudinit_storage)  # fmt: skip
        cloud = ci_flags.with_env_password(ci_flags.cloud_init(dict(zip(CI_KEYS, given, strict=True))))
        client = ctx.obj.client()
        ref = _find(client, source)
        try:
            req = plan_clone(
                client,
                ref,
                new_name,
                vmid=vmid,
                full=True if full else False if linked else None,
                target=target,
                storage=storage,
                fmt=fmt,
                pool=pool,
                snapshot=snapshot,
                description=description,
                start=start or wait != "ready",
                cloud=cloud,
            )
        except CloneProblem as exc:
            raise CliError(str(exc), USAGE) from None
        if dry_run:
            _show_plan(ctx, req, wait)
            return
        if no_wait:  # through the runner: a lost answer is looked up (qmclone task), never sent again
            from pvectl.cli.writes import run_one
            from pvectl.vm.clone import clone_write

            write = clone_write(ref, req, "clone sent")
            run_one(ctx, client, write, no_wait=True, seconds=seconds)
            return

        def progress(line: str) -> None:
            if sys.stderr.isatty() or ctx.obj.options.verbose:
                print(f"  {line}", file=sys.stderr)

        outcome = run_clone(client, req, timeout=seconds, on_progress=progress)
        if not outcome.ok or wait in ("ready",):
            error = outcome_printed(ctx, outcome)
            if error is not None:
                raise error
            return
        from pvectl.cli.commands.vm.wait import wait_for_vm
        from pvectl.vm.lookup import VmRef

        print(outcome_lines(outcome)[0], file=sys.stderr)
        new = VmRef(req.newid, outcome.node or req.node, new_name, "running", (), {})
        wait_for_vm(ctx, client, new, wait, timeout=seconds)


CI_KEYS = ("ci_user", "ci_password", "ci_password_stdin", "ssh_key", "ipconfig", "nameserver", "searchdomain",
           "ci_upgrade", "cloudinit_storage")  # fmt: skip


def _show_plan(ctx: typer.Context, req: CloneRequest, wait: str) -> None:
    """``--dry-run``: the requests (secrets redacted) and what would be waited for."""
    from pvectl.cli.output import show
    from pvectl.sdk._core.redact import redact

    data = {"vmid": req.newid, "requests": req.requests(), "notes": req.notes}
    lines = [f"Plan for VM {req.newid} cloned from VM {req.source} on {req.node}:"]
    for i, r in enumerate(req.requests(), start=1):
        lines.append(f"  {i}. {r['method']} {r['path']}")
        lines += [f"       {k}={v}" for k, v in r["params"].items()]
    lines += [f"  note: {n}" for n in req.notes]
    if wait != "ready":
        lines.append(f"  then wait for {wait} (pvectl vm wait {req.newid} --for {wait})")
    show(ctx, json.loads(redact(json.dumps(data))), human=redact("\n".join(lines)), piped="text")


def _check(*, full: bool, linked: bool, wait: str, no_wait: bool, start: bool) -> None:
    """Flag combinations that cannot work: usage errors before anything is sent."""
    if full and linked:
        raise CliError("--full and --linked exclude each other", USAGE)
    if wait not in WAITS:
        raise CliError(f"--wait: expected one of {', '.join(WAITS)}, got '{wait}'", USAGE)
    if no_wait and (start or wait != "ready"):
        raise CliError("--no-wait cannot be combined with --start or --wait", USAGE)
