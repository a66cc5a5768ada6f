"""``pvectl diff -f FILE``: what ``apply -f FILE`` would change, per VM and field (pvectl.vm.diff).

Exit codes as ``kubectl diff``: 0 no differences, 1 differences, 2 or more an error (an error that would exit 1
elsewhere exits 2 here, so 1 always means "differences").
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from pvectl.cli.errors import FAILURE, USAGE, reported
from pvectl.cli.filediff import FileOpt, compute, human, label_tags, refusals
from pvectl.cli.runner import output_format

if TYPE_CHECKING:
    pass

DIFFERENCES = 1
app = typer.Typer(name="diff", add_completion=False, rich_markup_mode=None, subcommand_metavar="")


@app.callback(invoke_without_command=True)
def diff(
    ctx: typer.Context,
    filename: FileOpt,
    label: Annotated[
        list[str] | None,
        typer.Option("--label", metavar="KEY=VALUE", help="Compare as apply --label KEY=VALUE would tag the VMs."),
    ] = None,
) -> None:
    """Show what apply -f FILE would change: per VM create, change (field by field: - live, + desired; which
    changes wait for a reboot, which cannot be applied in place) or unchanged. Sends only GETs. Exit 0: no
    differences, 1: differences, 2 or more: an error."""
    code = 0
    try:
        with reported():
            code = _diff(ctx, filename, label or [])
    except typer.Exit as exc:
        raise typer.Exit(USAGE if exc.exit_code == FAILURE else exc.exit_code) from None
    raise typer.Exit(code)


def _diff(ctx: typer.Context, filename: str, labels: list[str]) -> int:
    from pvectl.cli.output import check_format, json_text, yaml_text

    fmt = check_format(output_format(ctx))
    client = ctx.obj.client()
    _, diffs = compute(client, filename, labels=label_tags(labels))
    refused = refusals(client, diffs)
    if fmt == "json":
        print(json_text([d.to_json() for d in diffs]))
    elif fmt == "yaml":
        print(yaml_text([d.to_json() for d in diffs]), end="")
    else:
        print(human(diffs, colour=sys.stdout.isatty()))
    if refused is not None:
        raise refused
    return DIFFERENCES if any(d.action != "unchanged" for d in diffs) else 0
