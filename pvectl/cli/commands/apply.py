"""``pvectl apply -f FILE``: make the cluster's VMs what the file says (pvectl.vm.apply); ``pvectl diff -f FILE``
shows beforehand what it does."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from pvectl.cli.errors import USAGE, CliError, reported
from pvectl.cli.filediff import FileOpt
from pvectl.cli.fleet import YesOpt
from pvectl.cli.options import Timeout
from pvectl.cli.runner import output_format
from pvectl.vm.bulk import DEFAULT_PARALLEL

if TYPE_CHECKING:
    from pvectl.vm.diff import VmDiff
    from pvectl.vm.lookup import VmRef

app = typer.Typer(name="apply", add_completion=False, rich_markup_mode=None, subcommand_metavar="")

ParallelOpt = Annotated[int, typer.Option("--parallel", metavar="N", help="VMs created or changed at the same time.")]
DryRunOpt = Annotated[
    bool,
    typer.Option("--dry-run", help="Show what would change (as pvectl diff) and what --prune deletes; send nothing."),
]
PruneOpt = Annotated[
    bool,
    typer.Option(
        "--prune",
        help="Delete the guests -l selects that the file does not name, of the kinds it describes (asks unless --yes).",
    ),
]
LabelOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--label",
        metavar="KEY=VALUE",
        help="Tag every VM of the file: tag=X adds the tag X (found by -l tag=X), KEY=VALUE the tag KEY-VALUE.",
        show_default=False,
    ),
]
SelectorOpt = Annotated[
    str | None,
    typer.Option(
        "-l",
        "--selector",
        metavar="KEY=VAL,KEY!=VAL",
        help="With --prune: the VMs this apply manages (tag=fleet-web; keys tag, pool, node, name, status).",
        show_default=False,
    ),
]


@app.callback(invoke_without_command=True)
def apply(
    ctx: typer.Context,
    filename: FileOpt,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    parallel: ParallelOpt = DEFAULT_PARALLEL,
    prune: PruneOpt = False,
    selector: SelectorOpt = None,
    label: LabelOpt = None,
    timeout: Timeout = None,
) -> None:
    """Create the file's VMs that are missing, change the ones that differ (minimal, digest-guarded), and with
    --prune -l SELECTOR delete the selected VMs the file does not name. Everything is checked before the first
    write; a VM already as the file says gets no request. Per-VM outcomes; exit 8 when some VMs failed.

    A document with kind: ct (as ct export writes it) is a container: created as ct create does, changed as
    ct set does (one write, guarded by the config's digest). --prune deletes only guests of the kinds the file
    describes (a file of VMs never prunes a container)."""
    with reported():
        _apply(ctx, filename, dry_run=dry_run, yes=yes, parallel=parallel, prune=prune, selector=selector,
               labels=label or [], timeout=timeout)  # fmt: skip


def _apply(
    ctx: typer.Context,
    filename: str,
    *,
    dry_run: bool,
    yes: bool,
    parallel: int,
    prune: bool,
    selector: str | None,
    labels: list[str],
    timeout: str | None,
) -> None:
    from pvectl.cli import fleet as select
    from pvectl.cli import options
    from pvectl.cli.filediff import compute, label_tags
    from pvectl.cli.output import check_format
    from pvectl.cli.safe_text import safe_text
    from pvectl.vm import apply
    from pvectl.vm.selector import SelectorError, parse_terms

    fmt = check_format(output_format(ctx))
    seconds = options.wait_seconds(ctx, timeout)
    if parallel < 1:
        raise CliError("--parallel: must be at least 1", USAGE)
    if prune != (selector is not None):
        raise CliError("--prune needs -l SELECTOR (which VMs this apply manages), and -l is only for --prune", USAGE)
    tags = label_tags(labels)
    try:
        if selector is not None:
            parse_terms(selector)
    except SelectorError as exc:
        raise CliError(str(exc), USAGE) from None
    client = ctx.obj.client()
    context, diffs = compute(client, filename, base=ctx.obj.vm_defaults_config(), labels=tags)
    doomed: list[VmRef] = []
    if selector is not None:
        from pvectl.vm.lookup import cluster_vms

        # only the kinds the file describes: a file of VMs never prunes a container that shares the VMs' tag
        # (and the other way round); each kind is deleted through its own API
        kinds = {"lxc" if getattr(d, "ct_config", None) or getattr(d, "ct_change", None) else "qemu" for d in diffs}
        guests = [*(context.vms if "qemu" in kinds else []), *(cluster_vms(client, "lxc") if "lxc" in kinds else [])]
        doomed = apply.prune_candidates(guests, selector, diffs)
    try:
        prepared = apply.prepare(client, diffs, doomed)
    except apply.ApplyRefused as exc:
        raise CliError(str(exc), USAGE, exc.details) from None
    if dry_run:
        _print_dry_run(fmt, diffs, doomed)
        return
    for note in prepared.notes:
        print(f"note: {note}", file=sys.stderr)
    if doomed and not yes:
        listing = "\n".join(
            f"  {'CT' if vm.kind == 'lxc' else 'VM'} {vm.vmid} {vm.name or '(no name)'} on {vm.node} ({vm.status})"
            for vm in doomed
        )
        text = f"--prune: the file does not name these guests that -l {selector} selects:\n{listing}"
        print(safe_text(text), file=sys.stderr)  # names are server text
        n = select.count(len(doomed))
        select.confirm(f"Delete {n} and their disks?", f"refusing to prune {n}")
    results = apply.run(client, prepared.steps, parallel=parallel, timeout=seconds, on_result=select.progress_line)
    if doomed and all(r.outcome.kind != "interrupted" for r in results):
        results += apply.prune(client, doomed, parallel=parallel, timeout=seconds, on_result=select.progress_line)
    select.report(ctx, results)


def _print_dry_run(fmt: str, diffs: list[VmDiff], doomed: list[VmRef]) -> None:
    from pvectl.cli.filediff import human
    from pvectl.cli.output import json_text, yaml_text
    from pvectl.cli.safe_text import safe_cell

    data = {
        "vms": [d.to_json() for d in diffs],
        "prune": [
            {
                "kind": "ct" if vm.kind == "lxc" else "vm",
                "vmid": vm.vmid,
                "name": vm.name,
                "node": vm.node,
                "status": vm.status,
            }
            for vm in doomed
        ],
    }
    if fmt in ("json", "yaml"):
        print(json_text(data) if fmt == "json" else yaml_text(data), end="\n" if fmt == "json" else "")
        return
    lines = [human(diffs, colour=sys.stdout.isatty())]
    lines += [  # names are server text
        safe_cell(f"prune: {'CT' if vm.kind == 'lxc' else 'VM'} {vm.vmid} ({vm.name or 'no name'}) on {vm.node}")
        + ": delete"
        for vm in doomed
    ]
    lines.append("dry run: nothing was sent")
    print("\n".join(lines))
