"""``pvectl ct create``: flags (or a container file) -> CtConfig -> the shared workflow (pvectl.ct.workflow)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pvectl.cli import completers
from pvectl.cli.errors import USAGE, CliError, reported
from pvectl.cli.runner import output_format

if TYPE_CHECKING:
    from pvectl.ct.config import CtConfig

TASK_TIMEOUT = 600.0
WAITS = ("ready", "ip")

Str = Annotated[str | None, typer.Option(show_default=False)]


def _opt(*names: str, help: str, metavar: str | None = None, complete: Any = None) -> Any:
    return typer.Option(*names, help=help, metavar=metavar, show_default=False, autocompletion=complete)


def create(
    ctx: typer.Context,
    node: Annotated[
        str | None,
        _opt(
            "--node",
            help="Node to create it on (default: the context's node, else the node the API is served from,"
            " else the only node).",
            complete=completers.node,
        ),
    ] = None,
    vmid: Annotated[int | None, _opt("--vmid", help="Container id (default: the next free one).")] = None,
    hostname: Annotated[str | None, _opt("--hostname", "--name", help="Host name (default CT<id>).")] = None,
    template: Annotated[
        str | None,
        _opt(
            "--template",
            help="A vztmpl volume (local:vztmpl/debian-12-standard_...) or a short name (debian-12, alpine): "
            "the newest matching template on the node.",
            metavar="VOLUME|NAME",
            complete=completers.ct_template,
        ),
    ] = None,
    pull: Annotated[
        bool | None, _opt("--pull", help="Download the template from the appliance index when the node lacks it.")
    ] = None,
    template_storage: Annotated[
        str | None,
        _opt("--template-storage", help="Where --pull puts the template.", complete=completers.vztmpl_storage),
    ] = None,
    unprivileged: Annotated[
        bool | None,
        typer.Option(
            "--unprivileged/--privileged",
            help="Unprivileged (default, as the GUI) or privileged container.",
            show_default=False,
        ),
    ] = None,
    password: Annotated[
        bool, typer.Option("--password", help="Ask for root's password (never printed).", show_default=False)
    ] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read root's password from standard input.", show_default=False)
    ] = False,
    ssh_key: Annotated[
        list[str] | None, _opt("--ssh-key", help="Public key file for root (repeatable).", metavar="FILE")
    ] = None,
    disk: Annotated[
        str | None,
        _opt(
            "--disk",
            help="Root disk STORAGE:SIZE_GIB (default 8 GiB).",
            metavar="STORAGE:SIZE",
            complete=completers.ct_disk,
        ),
    ] = None,
    mp: Annotated[
        list[str] | None,
        _opt(
            "--mp",
            help="Mount point STORAGE:SIZE_GIB,mp=/PATH[,backup=1][,ro=1] (repeatable).",
            metavar="SPEC",
            complete=completers.ct_disk,
        ),
    ] = None,
    cores: Annotated[int | None, _opt("--cores", help="CPU cores (default 1).")] = None,
    cpulimit: Annotated[float | None, _opt("--cpulimit", help="CPU time limit in cores (0: none).")] = None,
    cpuunits: Annotated[int | None, _opt("--cpuunits", help="CPU weight.")] = None,
    memory: Annotated[int | None, _opt("--memory", help="Memory in MiB (default 512).")] = None,
    swap: Annotated[int | None, _opt("--swap", help="Swap in MiB (default 512).")] = None,
    net: Annotated[
        list[str] | None,
        _opt(
            "--net",
            help="NIC: bridge=vmbr0,ip=dhcp|CIDR,gw=IP,tag=VLAN, also ip6, gw6, firewall, mtu, rate, name "
            "(repeatable; default one NIC on vmbr0 with DHCP).",
            metavar="SPEC",
        ),
    ] = None,
    nameserver: Annotated[str | None, _opt("--nameserver", help="DNS servers (default: the host's).")] = None,
    searchdomain: Annotated[str | None, _opt("--searchdomain", help="DNS search domain.")] = None,
    nesting: Annotated[
        bool | None,
        typer.Option("--nesting/--no-nesting", help="Nesting (default: on when unprivileged).", show_default=False),
    ] = None,
    keyctl: Annotated[bool | None, _opt("--keyctl", help="Allow keyctl() (unprivileged only).")] = None,
    fuse: Annotated[bool | None, _opt("--fuse", help="Allow FUSE file systems.")] = None,
    mknod: Annotated[bool | None, _opt("--mknod", help="Allow mknod() of some devices (experimental).")] = None,
    mount: Annotated[
        list[str] | None,
        _opt(
            "--mount",
            help="Allow mounting nfs or cifs (privileged only; repeatable).",
            complete=completers.choices(("nfs", "cifs")),
        ),
    ] = None,
    ostype: Annotated[str | None, _opt("--ostype", help="OS type (default: from the template).")] = None,
    onboot: Annotated[bool | None, _opt("--onboot", help="Start when the node boots.")] = None,
    tag: Annotated[list[str] | None, _opt("--tag", help="Tag (repeatable).", complete=completers.tag)] = None,
    pool: Annotated[str | None, _opt("--pool", help="Resource pool.", complete=completers.pool)] = None,
    description: Annotated[str | None, _opt("--description", help="Notes.")] = None,
    start: Annotated[bool | None, _opt("--start", help="Start it after creating.")] = None,
    from_file: Annotated[
        str | None, _opt("--from-file", help="Container file (YAML/JSON, flag-named keys); flags override it.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the exact requests; send nothing.")] = False,
    interactive: Annotated[
        bool,
        typer.Option(
            "-i", "--interactive", help="Ask each field (the GUI wizard's steps), review, then create; flags pre-fill."
        ),
    ] = False,
    allow_duplicate_name: Annotated[
        bool,
        typer.Option(
            "--allow-duplicate-name",
            help="Create it even when another guest has this hostname (lookups by it are then ambiguous).",
        ),
    ] = False,
    wait: Annotated[
        str | None,
        _opt(
            "--wait",
            help="ready (the tasks) or ip (start it and print its address).",
            complete=completers.choices(WAITS),
        ),
    ] = None,
    timeout: Annotated[
        str | None, _opt("--timeout", help="How long to wait for each task (default 10m).", metavar="DURATION")
    ] = None,
) -> None:
    """Create an LXC container from a template (defaults of the GUI's Create CT wizard: unprivileged with
    nesting, 8 GiB root disk, 1 core, 512 MiB memory and swap, eth0 on vmbr0 with DHCP)."""
    values = {k: v for k, v in locals().items() if k != "ctx"}
    with reported():
        _create(ctx, values)


FLAG_KEYS = {
    "template_storage": "template-storage",
    "ssh_key": "ssh-key",
}
NOT_FILE_KEYS = (
    "password",
    "password_stdin",
    "from_file",
    "dry_run",
    "wait",
    "timeout",
    "allow_duplicate_name",
    "interactive",
)


def flag_values(values: dict[str, Any]) -> dict[str, Any]:
    """The given flags as container-file keys (unset flags are left out, so a file's values stay)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in NOT_FILE_KEYS or value is None or value == []:
            continue
        out[FLAG_KEYS.get(key, key)] = value
    return out


def load_file(path: str) -> dict[str, Any]:
    # read as VM files are (pvectl.vm.fileload): size, UTF-8, depth and alias bounds, duplicate keys refused
    from pvectl.vm.fileload import FileLoadError, json_document, read_bounded, yaml_document

    source = f"--from-file {path}"
    try:
        text = read_bounded(path, source, dash_is_stdin=False)
        data = json_document(text, source) if path.endswith(".json") else yaml_document(text, source)  # JSON is YAML
    except FileLoadError as exc:
        raise CliError(str(exc), USAGE) from None
    if not isinstance(data, dict):
        raise CliError(
            f"--from-file {path}: expected a mapping of keys (hostname: web1, template: debian-12, ...)", USAGE
        )
    return data


def build(values: dict[str, Any]) -> CtConfig:
    """Flags over the file -> CtConfig; errors name the flag or key."""
    from pvectl.ct.ctfile import CtFileError, load
    from pvectl.vm.cloudinit import CloudInitProblem, read_key_file

    data = load_file(str(values["from_file"])) if values.get("from_file") else {}
    where = f"--from-file {values['from_file']}: " if values.get("from_file") else ""
    flags = flag_values(values)
    try:
        load(data, read_key=read_key_file)  # the file alone first: its problems name the file
    except CtFileError as exc:
        raise CliError(f"{where}{exc}", USAGE) from None
    except CloudInitProblem as exc:
        raise CliError(f"{where}ssh-key: {exc}", USAGE) from None
    try:
        return load({**data, **flags}, read_key=read_key_file)
    except CtFileError as exc:
        raise CliError(f"--{exc}", USAGE) from None
    except CloudInitProblem as exc:
        raise CliError(f"--ssh-key: {exc}", USAGE) from None


def read_password(values: dict[str, Any]) -> str | None:
    """``--password`` asks twice on the terminal; ``--password-stdin`` reads one line. Never echoed."""
    if values.get("password") and values.get("password_stdin"):
        raise CliError("--password and --password-stdin: give one of them", USAGE)
    if values.get("password_stdin"):
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise CliError("--password-stdin: standard input held no password", USAGE)
        return line
    if not values.get("password"):
        return None
    if not sys.stdin.isatty():
        raise CliError("--password: no terminal to ask on (use --password-stdin)", USAGE)
    import getpass

    first = getpass.getpass("Root password for the container: ")
    if first != getpass.getpass("Again: "):
        raise CliError("--password: the two entries differ; nothing was sent", USAGE)
    return first


def _create(ctx: typer.Context, values: dict[str, Any]) -> None:
    from pvectl.cli.output import resolve

    resolve(output_format(ctx))
    timeout = _timeout(values.get("timeout"))
    wait = values.get("wait")
    if wait is not None and wait not in WAITS:
        raise CliError(f"--wait: expected one of {', '.join(WAITS)}, got '{wait}'", USAGE)
    config = build(values)
    if config.node is None:  # neither flag nor file: the context's node, as vm create takes it
        from pvectl.cli.runner import default_node

        config = config.model_copy(update={"node": default_node(ctx)})
    secret = read_password(values)
    if secret is not None:
        config = config.model_copy(update={"password": secret})
    if wait == "ip":
        config = config.model_copy(update={"start": True})  # an address needs it running
    from pvectl.ct.workflow import check_and_plan

    duplicates = bool(values["allow_duplicate_name"])
    if values.get("interactive"):
        from pvectl.prompts.ct import run_ct_prompts

        def finish(client: Any, resolved: CtConfig, plan: Any, auto: bool) -> None:
            _submit(ctx, client, resolved, plan, auto, wait="ip" if wait == "ip" else None, timeout=timeout)

        def show_plan(plan: Any, resolved: CtConfig) -> None:
            _print_plan(ctx, plan, resolved)

        dry = bool(values.get("dry_run"))
        return run_ct_prompts(
            ctx, config, dry_run=dry, allow_duplicate_name=duplicates, show_plan=show_plan, finish=finish
        )
    client = ctx.obj.client()
    resolved, plan, auto = check_and_plan(client, config, allow_duplicate_name=duplicates)
    if wait == "ip":
        plan.notes.append(f"then wait for its address: GET /nodes/{plan.node}/lxc/{plan.vmid}/interfaces")
    if values.get("dry_run"):
        _print_plan(ctx, plan, resolved)
        return
    _submit(ctx, client, resolved, plan, auto, wait=wait, timeout=timeout)


def _submit(
    ctx: typer.Context, client: Any, resolved: CtConfig, plan: Any, auto: bool, *, wait: str | None, timeout: float
) -> None:
    """Run the plan and report; ``--wait ip`` then prints the address."""
    from pvectl.ct.workflow import submit

    for note in plan.notes:
        print(f"note: {note}", file=sys.stderr)
    from pvectl.cli import render

    progress = render.Progress(verbose=ctx.obj.options.verbose > 0)
    outcome = submit(client, resolved, plan, auto_vmid=auto, on_event=progress, timeout=timeout)
    if wait != "ip" or not outcome.ok:
        render.one(ctx, outcome)
        return
    print(render.lines_of(outcome)[0], file=sys.stderr)
    from pvectl.cli.commands.ct.ip import wait_for_ip

    wait_for_ip(ctx, client, plan.node, plan.vmid, timeout=timeout)


def _timeout(text: object) -> float:
    from pvectl.cli.duration import parse_duration

    return TASK_TIMEOUT if text is None else parse_duration(str(text), "--timeout")


def _print_plan(ctx: typer.Context, plan: Any, config: CtConfig) -> None:
    """--dry-run: the requests as text, their data in JSON (password masked); -o yaml: the container file
    (``--from-file`` reads it back) with the plan as comments."""
    import json

    from pvectl.cli.output import show
    from pvectl.sdk._core.redact import redact

    data = plan.as_dict()
    lines = [f"Plan for CT {plan.vmid} on {plan.node} (PVE {plan.plan.server_version}):"]
    for i, request in enumerate(data["requests"], start=1):
        lines.append(f"  {i}. {request['method']} {request['path']}  # {request['purpose']}")
        lines += [f"       {key}={value}" for key, value in request["params"].items()]
    lines += [f"  note: {note}" for note in data["notes"]]
    text = redact("\n".join(lines))
    if output_format(ctx) == "yaml":
        import yaml

        from pvectl.ct.ctfile import dump

        body = yaml.safe_dump(dump(config), sort_keys=False)
        print("".join(f"# {line}\n" for line in text.splitlines()) + body, end="")
        return
    show(ctx, json.loads(redact(json.dumps(data))), human=text, piped="text")
