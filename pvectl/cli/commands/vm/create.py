"""``pvectl vm create``: flags (or a file) -> VmConfig -> the shared workflow (pvectl.vm.workflow) -> outcome."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import typer

from pvectl.cli.commands.vm.flags import with_vm_flags
from pvectl.cli.errors import AUTH, USAGE, CliError, reported
from pvectl.cli.runner import output_format

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.config import VmConfig
    from pvectl.vm.outcome import Outcome
    from pvectl.vm.plan import Plan

TASK_TIMEOUT = 600.0  # --timeout default of vm create: how long each task of the plan is waited for


def load_file(path: str, base: VmConfig | None = None) -> VmConfig:
    """A VmConfig from a YAML or JSON VM file (flat flag-named keys over ``base``, e.g. ``[vm.defaults]``; or the
    whole config in the nested step form; pvectl.vm.vmfile); errors name the file and the key."""
    from pvectl.vm.fileload import FileLoadError, json_document, read_bounded, yaml_document
    from pvectl.vm.vmfile import VmFileError, load

    source = f"--from-file {path}"
    try:
        text = read_bounded(path, source, dash_is_stdin=False)
        yaml_file = path.endswith((".yaml", ".yml"))
        data: Any = yaml_document(text, source) if yaml_file else json_document(text, source)
    except FileLoadError as exc:
        raise CliError(str(exc), USAGE) from None
    if isinstance(data, dict) and isinstance(data.get("vm"), dict) and "requests" in data:
        data = data["vm"]  # what `vm create --dry-run -o json|yaml` prints: its VM file part
    try:
        return load(data, base)
    except VmFileError as exc:
        raise CliError(f"--from-file {path}: {exc}", USAGE) from exc


@with_vm_flags
def create(ctx: typer.Context, **values: Any) -> None:
    """Create a VM: defaults from vm-create.md, then the config file's [vm.defaults], --from-file, and flags."""
    with reported():
        _create(ctx, values)


def _create(ctx: typer.Context, values: dict[str, Any]) -> None:
    from pvectl.cli.commands.vm.flags import FlagError, apply_flags
    from pvectl.cli.output import resolve

    resolve(output_format(ctx))  # a bad -o / PVECTL_OUTPUT is a usage error before anything is sent
    timeout = task_timeout(values.get("timeout"))
    app = ctx.obj
    config = app.vm_defaults_config()
    if values.get("from_file"):
        config = load_file(str(values["from_file"]), base=config)
    try:
        config = apply_flags(config, values)  # with -i/--tui, flags pre-fill the answers
    except FlagError as exc:
        raise CliError(str(exc), USAGE) from exc
    from pvectl.cli.commands.vm import ci_flags

    config.cloudinit = ci_flags.onto(config.cloudinit, values)
    from pvectl.vm.osdefaults import apply_os_presets

    # the OS presets apply to what was not given; -i and --tui apply them too, and show the notes their way
    presets = [] if values.get("interactive") or values.get("tui") else apply_os_presets(config).notes()
    wait = guest_wait(config, values)
    dry_run = bool(values.get("dry_run"))
    console = bool(values.get("console")) and not dry_run
    if console:
        config = _console_checks(ctx, config, values)
    if values.get("interactive"):
        from pvectl.prompts.flow import run_prompts

        return run_prompts(ctx, config, dry_run=dry_run, allow_duplicate_name=bool(values.get("allow_duplicate_name")))
    if values.get("tui"):
        from pvectl.tui import run_wizard

        return run_wizard(ctx, config, dry_run=dry_run)
    from pvectl.cli.commands.vm.report import Progress, outcome_printed, print_plan
    from pvectl.vm.workflow import check_and_plan, submit

    client = app.client()
    resolution, plan = check_and_plan(client, config, strict=True, **_checks(values))  # as a real run's
    resolution.notes[:0] = _context_node_note(ctx, config, values)
    if wait is not None:
        plan.notes.append(f"then wait for {wait}: pvectl vm wait {plan.vmid} --for {wait}")
    _notes(presets)  # what the OS chose for the values not given, also before a dry run's plan
    if dry_run:  # what a real run says on stderr (the node chosen, each default replaced) is part of the plan
        plan.notes[:0] = resolution.notes
        print_plan(ctx, plan, resolution.config)
        return
    _notes([*resolution.notes, *plan.notes])  # e.g. pvectl's own CPU flag list checked an older server
    if console:  # the node is known now: its qemu-server decides whether a token passes termproxy's login
        _refuse_console_token(ctx, resolution.config.general.node)
    progress = Progress(verbose=app.options.verbose > 0)
    outcome = submit(client, resolution, on_event=progress, timeout=timeout)
    if wait is None or not outcome.ok:
        error = outcome_printed(ctx, outcome)
        if error is not None:
            raise error
        if console and outcome.vmid is not None and outcome.node is not None:
            _attach_console(ctx, outcome.vmid, outcome.node, resolution.config.general.name or "")
        return
    _wait_for_guest(ctx, client, outcome, plan, config, wait, timeout, console)


def _notes(notes: list[str]) -> None:
    for note in notes:
        print(f"note: {note}", file=sys.stderr)


def _wait_for_guest(
    ctx: typer.Context,
    client: ProxmoxClient,
    outcome: Outcome,
    plan: Plan,
    config: VmConfig,
    wait: str,
    timeout: float,
    console: bool,
) -> None:
    """``--wait agent|ip`` after a create that went well (then ``--console`` attaches)."""
    from pvectl.cli.commands.vm.report import outcome_lines
    from pvectl.cli.commands.vm.wait import wait_for_vm
    from pvectl.vm.lookup import VmRef

    print(outcome_lines(outcome)[0], file=sys.stderr)  # stdout carries what was waited for (the address)
    ref = VmRef(plan.vmid, outcome.node or plan.node, config.general.name or "", "running", (), {})
    wait_for_vm(ctx, client, ref, wait, timeout=timeout)
    if console:
        _attach_console(ctx, ref.vmid, ref.node, ref.name)


def _context_node_note(ctx: typer.Context, config: VmConfig, values: dict[str, Any]) -> list[str]:
    """The note when the context's node stood in for --node (the GUI's wizard starts from its own host)."""
    taken = ctx.obj.context_node
    if taken is None or values.get("node") is not None or config.general.node != taken[0]:
        return []  # no context node, or --node / the file named one
    return [f"no node given; using '{taken[0]}' (the node of context {taken[1]})"]


def _checks(values: dict[str, Any]) -> dict[str, bool]:
    """--strict-defaults (or the config file's) and --allow-duplicate-name, as check_and_plan takes them."""
    return {
        "strict_defaults": bool(values.get("strict_defaults")) or strict_defaults_configured(),
        "allow_duplicate_name": bool(values.get("allow_duplicate_name")),
    }


def strict_defaults_configured() -> bool:
    """``strict-defaults = true`` in the config file's ``[vm]`` table (the default of --strict-defaults)."""
    from pvectl.config.file import ConfigError, load

    try:
        table = load().other.get("vm", {})
    except ConfigError as exc:
        raise CliError(str(exc), USAGE) from None
    value = table.get("strict-defaults", False) if isinstance(table, dict) else False
    if not isinstance(value, bool):
        raise CliError(f"[vm] strict-defaults: expected true or false, got {value!r}", USAGE)
    return value


GUEST_WAITS = ("agent", "ip")


def guest_wait(config: VmConfig, values: dict[str, Any]) -> str | None:
    """``--wait agent|ip``: the condition to wait for after the create (the VM is started for it); None for
    ``ready`` (the tasks only). Checked before anything is sent."""
    wait = values.get("wait")
    if wait is None or wait == "ready":
        return None
    if wait not in GUEST_WAITS:
        raise CliError(f"--wait: expected one of ready, {', '.join(GUEST_WAITS)}, got '{wait}'", USAGE)
    if values.get("interactive") or values.get("tui"):
        raise CliError(f"--wait {wait}: only with flags, not with -i/--tui (then: pvectl vm wait)", USAGE)
    if not config.system.agent:
        raise CliError(f"--wait {wait}: needs the guest agent, but --no-agent was given", USAGE)
    config.start = True  # waiting for the guest needs it running
    return str(wait)


def task_timeout(text: object) -> float:
    """``--timeout`` of the waiting commands: a duration, TASK_TIMEOUT when not given."""
    from pvectl.cli.duration import parse_duration

    return TASK_TIMEOUT if text is None else parse_duration(str(text), "--timeout")


def _refuse_console_token(ctx: typer.Context, node: str | None) -> None:
    """An API token on a node whose termproxy refuses tokens: refused before the VM is created (exit 3)."""
    from pvectl.cli.attach import console_client
    from pvectl.console.connect import ConsoleError, refuse_token

    try:
        refuse_token(console_client(ctx), node or None)
    except ConsoleError as exc:
        raise CliError(f"--console: {exc}", AUTH, [f"remedy: {exc.remedy}"]) from None


def _console_checks(ctx: typer.Context, config: VmConfig, values: dict[str, Any]) -> VmConfig:
    """``--console``: refusals before anything is sent (the console needs a terminal or pipe of its own, and a
    password login); the VM starts after creation."""

    if values.get("interactive") or values.get("tui"):
        raise CliError("--console: not with -i/--tui (attach afterwards with pvectl vm console)", USAGE)
    if output_format(ctx) in ("json", "yaml"):
        raise CliError("--console: not with -o json/yaml (the console writes to standard output)", USAGE)
    _refuse_console_token(ctx, config.general.node)
    if not config.serial_console:
        why = "Windows guests get none unless --serial-console" if config.os.ostype.startswith("w") else ""
        raise CliError(f"--console: the VM would get no serial port ({why or 'drop --no-serial-console'})", USAGE)
    return config.model_copy(update={"start": True})


def _attach_console(ctx: typer.Context, vmid: int, node: str, name: str) -> None:
    from pvectl.cli.attach import console_client
    from pvectl.cli.commands.vm.console import attach
    from pvectl.vm.lookup import VmRef

    code = attach(console_client(ctx), VmRef(vmid, node, name, "running", (), {}), None)
    if code:
        raise typer.Exit(code)
