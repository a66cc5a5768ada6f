"""``pvectl ct template list|pull``: container templates, as ``pveam list|available|download`` (pve-manager
PVE/API2/Nodes.pm aplinfo and apl_download)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pvectl.cli import completers
from pvectl.cli.errors import USAGE, CliError, reported
from pvectl.cli.runner import ApiCommand, output_format

app = typer.Typer(
    name="template",
    help="Container templates: list what the node has and can download, pull one.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

NodeOpt = Annotated[
    str | None,
    typer.Option(
        "--node",
        help="Node whose storages and index are read (default: as ct create picks it).",
        show_default=False,
        autocompletion=completers.node,
    ),
]


def _node(ctx: typer.Context, client: Any, node: str | None, *, say: bool) -> str:
    """--node, else the context's node, else ct create's rule (pvectl.ct.workflow.pick_node); ``say``: the note."""
    import sys

    from pvectl.cli.runner import default_node
    from pvectl.ct.workflow import WorkflowError, pick_node

    notes: list[str] = []
    try:
        where = pick_node(client, node if node is not None else default_node(ctx), notes)
    except WorkflowError as exc:
        raise CliError(str(exc), exc.exit_code) from None
    for note in notes if say else []:
        print(f"note: {note}", file=sys.stderr)
    return where


@app.command("list", cls=ApiCommand)
def list_templates(
    ctx: typer.Context,
    node: NodeOpt = None,
    available: Annotated[
        bool, typer.Option("--available", help="The appliance index instead: what can be downloaded.")
    ] = False,
) -> None:
    """Templates on the node's storages (or, with --available, the appliance index; `ct template pull` gets one)."""
    with reported():
        from pvectl.cli.output import emit
        from pvectl.ct import templates

        client = ctx.obj.client()
        where = _node(ctx, client, node, say=False)
        if available:
            local = {t.filename for t in templates.on_node(client, where)}
            rows = [
                {
                    "template": a.template,
                    "section": a.section,
                    "os": a.os,
                    "headline": a.headline,
                    "downloaded": "yes" if a.template in local else "",
                }
                for a in templates.index(client, where)
            ]
            emit(rows, output_format(ctx), ("template", "section", "os", "downloaded", "headline"))
            return
        volumes: list[dict[str, object]] = [
            {"volid": t.volid, "storage": t.storage, "size": t.size, "ctime": t.ctime}
            for t in templates.on_node(client, where)
        ]
        emit(volumes, output_format(ctx), ("volid", "storage", "size"))


@app.command("pull", cls=ApiCommand)
def pull(
    ctx: typer.Context,
    template: Annotated[
        str,
        typer.Argument(
            help="File name from the index, or a short name (debian-13).",
            show_default=False,
            autocompletion=completers.appliance,
        ),
    ],
    node: NodeOpt = None,
    storage: Annotated[
        str | None,
        typer.Option(
            "--storage",
            help="Storage with vztmpl content (default: the node's first).",
            show_default=False,
            autocompletion=completers.vztmpl_storage,
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the request; send nothing.")] = False,
) -> None:
    """Download a template from the appliance index onto a storage (a `download` task; waits for it)."""
    with reported():
        from pvectl.cli import render
        from pvectl.cli.output import show
        from pvectl.ct import templates
        from pvectl.ct.plan import pull_request
        from pvectl.ct.pull import pull as run_pull

        client = ctx.obj.client()
        where = _node(ctx, client, node, say=True)
        appliance = templates.pick_appliance(template, templates.index(client, where))
        if appliance is None:
            raise CliError(
                f"no template in the appliance index of {where} fits '{template}'"
                " (pvectl ct template list --available)",
                USAGE,
            )
        stores = templates.template_storages(client, where)
        target = storage or (stores[0] if stores else None)
        if target is None or target not in stores:
            what = "no storage holds templates" if target is None else f"'{target}' holds no templates"
            raise CliError(f"--storage: {what} on {where} (available: {', '.join(stores) or 'none'})", USAGE)
        volid = f"{target}:vztmpl/{appliance.template}"
        result = {"volid": volid, "node": where, "storage": target, "outcome": "already"}
        if any(t.volid == volid for t in templates.on_node(client, where, [target])):
            show(ctx, result, human=f"{volid} is already on {where}", piped="text")
            return
        request = pull_request(where, target, appliance.template)
        if dry_run:
            data = {"method": request.method, "path": request.path, "params": request.params}
            show(
                ctx,
                data,
                human=f"{request.method} {request.path} storage={target} template={appliance.template}",
                piped="text",
            )
            return
        outcome = run_pull(client, request, 0)
        if outcome is not None:
            render.one(ctx, outcome)
            return
        show(ctx, {**result, "outcome": "done"}, human=volid, piped="text")  # the volid alone: `ct create` takes it
