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
    """Recent tasks, newest first: a short id (the full UPID in -o wide, text, JSON and YAML), human times."""
    import time

    from pvectl.cli import output, taskview
    from pvectl.cli.errors import reported

    with reported():
        client, fmt = _setup(ctx)
        from pvectl.sdk._core.answers import plain

        if node:  # the rows as PVE sent them (plain): -o json shows the server's own fields
            _known_node(client, node)
            rows = plain(client.nodes(node).tasks.list(limit=limit, source="active" if running else None))
        else:
            rows = plain(client.cluster.tasks())
            if running:
                rows = [r for r in rows if not r.get("endtime")]
        rows = taskview.newest_first(rows)[:limit]
        kind = "wide" if fmt == "wide" else output.resolve(fmt)
        if kind in ("json", "yaml"):
            output.emit(rows, kind)
            return
        human = taskview.human_rows(rows, time.time())
        if kind == "table":
            output.emit(taskview.fit_status(human), kind, columns=taskview.COLUMNS, ordered=True)
        else:  # text (for scripts) and wide: the full UPID too
            output.emit(human, "text" if kind == "text" else "table", columns=taskview.WIDE_COLUMNS, ordered=True)


def _known_node(client: Any, node: str) -> None:
    """A --node the cluster lacks is a usage error, as in every selector. PVE answers 500 for it: the proxy looks
    the node up (pve-cluster src/PVE/Cluster.pm remote_node_ip) and, not finding it in the cluster's node list,
    falls back to resolving the name by DNS (pve-common PVE::Network get_ip_from_hostname), which fails."""
    from pvectl.cli.errors import USAGE, CliError
    from pvectl.sdk._core.answers import as_rows

    known = sorted(str(n["node"]) for n in as_rows("GET /nodes", client.nodes.list()))
    if node not in known:
        raise CliError(f"--node: no node '{node}' in this cluster (known: {', '.join(known)})", USAGE)


@app.command("show", cls=OutputCommand)
def show(ctx: typer.Context, upid: Upid) -> None:
    """A task's status."""
    from pvectl.cli import output
    from pvectl.cli.errors import reported

    with reported():
        upid, node, client, fmt = _resolve(ctx, upid)
        from pvectl.sdk._core.answers import plain

        output.emit(plain(client.nodes(node).tasks(upid).status()), fmt)


@app.command("wait", cls=OutputCommand)
def wait(
    ctx: typer.Context,
    upid: Upid,
    timeout: Annotated[
        str | None,
        typer.Option(
            "--timeout",
            metavar="DURATION",
            help="Stop waiting after this long (90s, 10m; default: until the task ends). The task goes on (exit 7).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Wait for a task to end; exit 1 (with the log tail) if it failed, 130 on Ctrl-C (the task goes on)."""
    from pvectl.cli import output
    from pvectl.cli.errors import reported
    from pvectl.cli.tasks import wait_and_report

    with reported():
        seconds = None
        if timeout is not None:
            from pvectl.cli.duration import parse_duration

            seconds = parse_duration(timeout, "--timeout")
        from pvectl.cli.runner import output_format

        output.resolve(output_format(ctx))
        upid, node, client, fmt = _resolve(ctx, upid)  # a UPID, or the short id `task list` prints
        output.emit(wait_and_report(ctx, client, upid, timeout=seconds, doing="the task runs", node=node), fmt)


@app.command("log", cls=OutputCommand)
def log(
    ctx: typer.Context,
    upid: Upid,
    start: Annotated[int, typer.Option("--start", help="First line.")] = 0,
    limit: Annotated[int, typer.Option("--limit", help="At most this many lines.")] = 5000,
    follow: Annotated[
        bool,
        typer.Option("--follow", "-f", help="Keep printing new lines until the task ends (exit 1 if it failed)."),
    ] = False,
) -> None:
    """A task's log; with --follow, streamed until the task ends."""
    from pvectl.cli import taskview
    from pvectl.cli.errors import FAILURE, CliError, reported

    with reported():
        upid, node, client, _fmt = _resolve(ctx, upid)
        if follow:
            status = taskview.follow(client, node, upid, start=start)
            exit_status = str(status.get("exitstatus", "OK"))
            if exit_status != "OK" and not exit_status.startswith("WARNINGS"):
                raise CliError(f"task failed: {exit_status}", FAILURE)
            return
        from pvectl.cli.safe_text import safe_text

        for line in taskview.log_lines(client, node, upid, start, limit):
            typer.echo(safe_text(line))


def _resolve(ctx: typer.Context, text: str) -> tuple[str, str, Any, str]:
    """(UPID, node, client, output format) for a UPID or a short task id from `task list`."""
    from pvectl.cli import taskview
    from pvectl.cli.errors import NOT_FOUND, USAGE, CliError

    if not text.startswith("UPID:"):
        if not taskview.SHORT_ID.fullmatch(text):
            raise CliError(f"UPID: '{text}' is neither a UPID (UPID:node:...) nor a task id from `task list`", USAGE)
        client, fmt = _setup(ctx)
        try:
            upid = taskview.resolve_upid(client, text)
        except LookupError as exc:
            raise CliError(str(exc), NOT_FOUND) from None
        return upid, _node(upid), client, fmt
    node = _node(text)
    client, fmt = _setup(ctx)
    return text, node, client, fmt
