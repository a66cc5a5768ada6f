"""``pvectl task list|show|wait|log``: any PVE task, by UPID (the node is read from the UPID)."""

# No `from __future__ import annotations`: Typer would re-evaluate string annotations on every run.

from typing import Annotated, Any

import typer

from pvectl.cli import completers
from pvectl.cli.command_types import OutputCommand

app = typer.Typer(
    help="Follow PVE tasks: list, show, wait, log.", no_args_is_help=True, add_completion=False, rich_markup_mode=None
)

Upid = Annotated[
    str,
    typer.Argument(help="The task's UPID (UPID:node:...).", show_default=False, autocompletion=completers.upid),
]


def _setup(ctx: typer.Context) -> tuple[Any, str]:
    from pvectl.cli.runner import app_context, output_format

    return app_context(ctx).client(), output_format(ctx)


def _node(upid: str) -> str:
    from pvectl.cli.errors import USAGE, CliError
    from pvectl.sdk import parse_upid

    try:
        return parse_upid(upid).node
    except ValueError as exc:
        raise CliError(f"UPID: {exc}", USAGE) from None


@app.command("list", cls=OutputCommand)
def list_(
    ctx: typer.Context,
    node: Annotated[
        str | None,
        typer.Option(
            "--node", help="Only tasks of this node (default: whole cluster).", autocompletion=completers.node
        ),
    ] = None,
    running: Annotated[bool, typer.Option("--running", help="Only running tasks.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="At most this many tasks (per node).")] = 50,
) -> None:
    """Recent tasks of the cluster or of one node."""
    from pvectl.cli import output
    from pvectl.cli.errors import reported

    with reported():
        client, fmt = _setup(ctx)
        if node:
            params: dict[str, Any] = {"limit": str(limit)}
            if running:
                params["source"] = "active"
            rows = client._call("GET /nodes/{node}/tasks", (node,), params)
        else:
            rows = client._call("GET /cluster/tasks", (), {})
            if running:
                rows = [r for r in rows if not r.get("endtime")]
            rows = rows[:limit]
        cols = ["node", "type", "id", "user", "status", "starttime", "endtime", "upid"]
        output.emit(rows, fmt, columns=cols)


@app.command("show", cls=OutputCommand)
def show(ctx: typer.Context, upid: Upid) -> None:
    """A task's status."""
    from pvectl.cli import output
    from pvectl.cli.errors import reported

    with reported():
        node = _node(upid)
        client, fmt = _setup(ctx)
        output.emit(client._call("GET /nodes/{node}/tasks/{upid}/status", (node, upid), {}), fmt)


@app.command("wait", cls=OutputCommand)
def wait(
    ctx: typer.Context,
    upid: Upid,
    timeout: Annotated[float | None, typer.Option("--timeout", help="Give up after this many seconds.")] = None,
) -> None:
    """Wait for a task to end; exit 1 (with the log tail) if it failed."""
    from pvectl.cli import output
    from pvectl.cli.errors import reported
    from pvectl.cli.tasks import wait_for

    with reported():
        _node(upid)
        client, fmt = _setup(ctx)
        output.emit(wait_for(client, upid, timeout=timeout), fmt)


@app.command("log", cls=OutputCommand)
def log(
    ctx: typer.Context,
    upid: Upid,
    start: Annotated[int, typer.Option("--start", help="First line.")] = 0,
    limit: Annotated[int, typer.Option("--limit", help="At most this many lines.")] = 5000,
) -> None:
    """A task's log."""
    from pvectl.cli.errors import reported

    with reported():
        node = _node(upid)
        client, _fmt = _setup(ctx)
        lines = client._call("GET /nodes/{node}/tasks/{upid}/log", (node, upid), {"start": start, "limit": limit})
        for item in lines or []:
            typer.echo(item.get("t", "") if isinstance(item, dict) else str(item))
