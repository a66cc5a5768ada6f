"""``pvectl api``: the generated tree (from the index), ``--list``, pvesh-style ``get|set|create|delete PATH``
and ``usage PATH``."""

# No `from __future__ import annotations`: Typer would re-evaluate string annotations on every run.

from typing import Annotated, Any

import typer

from pvectl.cli.command_types import OutputCommand
from pvectl.cli.lazy import ApiGroup

app = typer.Typer(
    cls=ApiGroup,
    help="Every Proxmox VE API method as a command (`pvectl api nodes qemu list --node pve1`), "
    "or pvesh-style by path (`pvectl api get /nodes/pve1/qemu`).",
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode=None,
)

PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": ["-h", "--help"]}


@app.callback()
def api(
    ctx: typer.Context,
    list_: Annotated[
        bool, typer.Option("--list", help="Every command with its HTTP verb and path (-o json/yaml: also its help).")
    ] = False,
) -> None:
    """Every Proxmox VE API method as a command, or pvesh-style access by path."""
    if ctx.invoked_subcommand is not None:
        return
    if list_:
        list_commands(ctx)
        raise typer.Exit()
    typer.echo(ctx.get_help())
    raise typer.Exit()


def all_commands() -> list[dict[str, str]]:
    """Every generated command, straight from the index."""
    from pvectl.cli.lazy import api_index

    rows: list[dict[str, str]] = []
    for key, (_help, _groups, _module, commands) in api_index().items():
        for name, (verb, path, short) in commands.items():
            rows.append({"command": f"{key} {name}".strip(), "method": verb, "path": path, "help": short})
    return sorted(rows, key=lambda r: r["command"])


def list_commands(ctx: typer.Context) -> None:
    """Every command with its verb and path; piped without -o it stays text lines, for grep."""
    from pvectl.cli import output

    output.show(ctx, all_commands(), columns=["command", "method", "path"], piped="text")


def _pairs(args: list[str]) -> dict[str, list[str]]:
    """``--k v``, ``--k=v`` and repeated options -> {k: [v, ...]}; a bare ``--flag`` means 1."""
    from pvectl.cli.errors import USAGE, CliError

    out: dict[str, list[str]] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--") or len(arg) < 3:
            raise CliError(f"unexpected argument {arg!r}: give parameters as --name value", USAGE)
        name, sep, value = arg[2:].partition("=")
        if not sep:
            if i + 1 < len(args) and not args[i + 1].startswith("--"):
                value = args[i + 1]
                i += 1
            else:
                value = "1"
        out.setdefault(name, []).append(value)
        i += 1
    return out


def _by_path(ctx: typer.Context, method: str, path: str, no_wait: bool) -> None:
    from pvectl.cli.errors import CliError, describe, exit_code_for, reported
    from pvectl.cli.runner import execute

    with reported():
        from pvectl.sdk._core.errors import ApiError
        from pvectl.sdk._core.spec import load_spec

        spec = load_spec()
        found = spec.match(path)
        if found is None or method not in spec.by_path.get(found[0], {}):
            close = similar_paths(path, [t for t, methods in spec.by_path.items() if method in methods])
            try:
                _unvalidated(ctx, method, path, no_wait, spec.version)
            except ApiError as exc:
                if not close:
                    raise
                message, details = describe(exc)  # a mistyped path: the server's answer, then the likely one
                raise CliError(message, exit_code_for(exc), [*details, f"did you mean {', '.join(close)}?"]) from None
            return
        template, values = found
        op = spec.by_path[template][method]
        raw: dict[str, Any] = dict(_pairs(list(ctx.args)))
        for name, value in values.items():
            raw[name] = value
    execute(ctx, op.key, raw, no_wait=no_wait)


def similar_paths(path: str, templates: list[str], n: int = 3) -> list[str]:
    """Concrete paths close to ``path``: each template of the same depth, its ``{placeholders}`` filled with the
    segments the user gave (``/nodes/pve1/qemuu`` -> ``/nodes/pve1/qemu``)."""
    import difflib

    given = [seg for seg in path.strip("/").split("/") if seg]
    concrete: dict[str, None] = {}
    for template in templates:
        segs = template.strip("/").split("/")
        if len(segs) == len(given):
            concrete.setdefault("/" + "/".join(g if t.startswith("{") else t for t, g in zip(segs, given, strict=True)))
    wanted = "/" + "/".join(given)
    return difflib.get_close_matches(wanted, list(concrete), n=n, cutoff=0.8)


def _unvalidated(ctx: typer.Context, method: str, path: str, no_wait: bool, schema_version: str) -> None:
    """A method the schema does not know (a newer PVE has it, or the path is mistyped): sent as given,
    with a note on stderr; the server's answer (404/501 for a wrong path) decides."""
    import sys

    from pvectl.cli import output
    from pvectl.cli.errors import INTERRUPTED, USAGE, CliError
    from pvectl.cli.runner import app_context, output_format

    params: dict[str, Any] = {k: v[0] if len(v) == 1 else v for k, v in _pairs(list(ctx.args)).items()}
    fmt = output_format(ctx)
    client = app_context(ctx).client()
    print(
        f"note: {method} {path} is not in the PVE {schema_version} API schema pvectl knows; "
        "sent as given, nothing was validated",
        file=sys.stderr,
    )
    try:
        # raw request: pvesh-style `api get|set|create|delete PATH`: the user's verb and path, unknown ones too
        data = client.raw_request(method, path, params)
    except ValueError as exc:  # not a bare API path
        raise CliError(f"PATH: {exc}", USAGE) from None
    if isinstance(data, str) and data.startswith("UPID:") and not no_wait:
        from pvectl.cli.tasks import wait_for

        try:
            data = wait_for(client, data)
        except KeyboardInterrupt:
            raise CliError(
                f"interrupted; the task goes on: {data}", INTERRUPTED, [f"follow it with: pvectl task wait '{data}'"]
            ) from None
    output.emit(data, fmt)


def complete_path(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """TAB for API paths: the next segment of every matching path; node, VM and storage names from the server."""
    from pvectl.cli import completers
    from pvectl.cli.lazy import api_index

    templates = {path for _h, _g, _m, cmds in api_index().values() for _v, path, _s in cmds.values()}
    done, _, partial = incomplete.rpartition("/")
    given = [seg for seg in done.split("/") if seg]
    found: dict[str, str] = {}
    for template in templates:
        segs = template.strip("/").split("/")
        if len(segs) <= len(given):
            continue
        if all(t == g or t.startswith("{") for t, g in zip(segs, given, strict=False)):
            found.setdefault(segs[len(given)], template)
    out: list[tuple[str, str]] = []
    live = {"{node}": "node", "{vmid}": "vmid", "{storage}": "storage"}
    for seg in sorted(found):
        values = completers.lookup(ctx, live[seg]) if seg in live else [] if seg.startswith("{") else [(seg, "")]
        out += [(f"{done}/{v}", h) for v, h in values if v.startswith(partial)]
    return out


PathArg = Annotated[
    str,
    typer.Argument(
        help="API path, e.g. /nodes/pve1/qemu/100/config.",
        show_default=False,
        autocompletion=complete_path,
        metavar="PATH",
    ),
]
NoWait = Annotated[bool, typer.Option("--no-wait", help="For task-starting calls: print the UPID, do not wait.")]


@app.command("get", cls=OutputCommand, context_settings=PASS_THROUGH)
def get(ctx: typer.Context, path: PathArg, no_wait: NoWait = False) -> None:
    """GET a path, pvesh-style: pvectl api get /nodes/pve1/qemu [--full 1]."""
    _by_path(ctx, "GET", path, no_wait)


@app.command("set", cls=OutputCommand, context_settings=PASS_THROUGH)
def set_(ctx: typer.Context, path: PathArg, no_wait: NoWait = False) -> None:
    """PUT a path, pvesh-style: pvectl api set /nodes/pve1/qemu/100/config --memory 4096."""
    _by_path(ctx, "PUT", path, no_wait)


@app.command("create", cls=OutputCommand, context_settings=PASS_THROUGH)
def create(ctx: typer.Context, path: PathArg, no_wait: NoWait = False) -> None:
    """POST to a path, pvesh-style: pvectl api create /nodes/pve1/qemu/100/status/start."""
    _by_path(ctx, "POST", path, no_wait)


@app.command("delete", cls=OutputCommand, context_settings=PASS_THROUGH)
def delete(ctx: typer.Context, path: PathArg, no_wait: NoWait = False) -> None:
    """DELETE a path, pvesh-style: pvectl api delete /nodes/pve1/qemu/100."""
    _by_path(ctx, "DELETE", path, no_wait)


@app.command("usage")
def usage(
    ctx: typer.Context,
    path: PathArg,
    command: Annotated[
        str | None, typer.Option("--command", help="Only this HTTP verb (GET, POST, PUT, DELETE).")
    ] = None,
) -> None:
    """Show the schema of a path's methods (like pvesh usage): each command's full help."""
    from pvectl.cli.errors import NOT_FOUND, CliError, reported
    from pvectl.cli.lazy import api_index, load_api_command

    with reported():
        template = _template(path)
        shown = 0
        for key, (_help, _groups, module, commands) in sorted(api_index().items()):
            for name, (verb, cmd_path, _short) in sorted(commands.items()):
                if cmd_path != template or (command and verb != command.upper()):
                    continue
                cmd = load_api_command(module, name)
                title = f"pvectl api {key} {name}".replace("  ", " ")
                with cmd.make_context(title, [], resilient_parsing=True) as sub:
                    typer.echo(f"== {verb} {cmd_path}\n{cmd.get_help(sub)}\n")
                shown += 1
        if not shown:
            raise CliError(f"no API method at {path}" + (f" for {command.upper()}" if command else ""), NOT_FOUND)


def _template(path: str) -> str:
    """A template (``/nodes/{node}/qemu``) or a concrete path (``/nodes/pve1/qemu``) -> the template."""
    if "{" in path:
        return "/" + path.strip("/")
    from pvectl.sdk._core.spec import load_spec

    found = load_spec().match(path)
    return found[0] if found else "/" + path.strip("/")
