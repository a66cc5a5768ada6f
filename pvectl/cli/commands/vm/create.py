"""``pvectl vm create``: flags (or a file) -> VmConfig -> checks -> plan -> submit."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from pvectl.cli.commands.vm.flags import with_vm_flags
from pvectl.cli.errors import FAILURE, PARTIAL, USAGE, CliError, reported
from pvectl.cli.runner import output_format

if TYPE_CHECKING:
    from collections.abc import Callable

    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.config import VmConfig
    from pvectl.vm.plan import Plan
    from pvectl.vm.resolve import Resolution
    from pvectl.vm.submit import Event, Outcome


def load_file(path: str, base: VmConfig | None = None) -> VmConfig:
    """A VmConfig from a YAML or JSON VM file (flat flag-named keys over ``base``, e.g. ``[vm.defaults]``; or the
    whole config in the nested step form; pvectl.vm.vmfile); errors name the file and the key."""
    from pvectl.vm.vmfile import VmFileError, load

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"--from-file {path}: {exc.strerror or exc}", USAGE) from exc
    import yaml

    try:
        data: Any = yaml.safe_load(text) if path.endswith((".yaml", ".yml")) else json.loads(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise CliError(
            f"--from-file {path}: not valid {'YAML' if path.endswith(('.yaml', '.yml')) else 'JSON'}: {exc}", USAGE
        ) from exc
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

    app = ctx.obj
    config = app.vm_defaults_config()
    if values.get("from_file"):
        config = load_file(str(values["from_file"]), base=config)
    try:
        config = apply_flags(config, values)  # with -i/--tui, flags pre-fill the answers
    except FlagError as exc:
        raise CliError(str(exc), USAGE) from exc
    dry_run = bool(values.get("dry_run"))
    if values.get("interactive"):
        from pvectl.prompts.flow import run_prompts

        return run_prompts(ctx, config, dry_run=dry_run)
    if values.get("tui"):
        from pvectl.tui import run_wizard

        return run_wizard(ctx, config, dry_run=dry_run)
    client = app.client()
    resolution, plan = check_and_plan(client, config, strict=True)
    if dry_run:
        print_plan(ctx, plan, resolution.config)
        return
    submit_and_report(ctx, client, resolution)


def check_and_plan(client: ProxmoxClient, config: VmConfig, *, strict: bool) -> tuple[Resolution, Plan]:
    """Resolve derived values, apply every rule, and plan the requests; CliError (nothing sent) on a problem."""
    from pvectl.vm.plan import make_plan
    from pvectl.vm.reference import ReferenceData
    from pvectl.vm.resolve import ResolveError, resolve
    from pvectl.vm.rules import check

    ref = ReferenceData(client)
    try:
        resolution = resolve(config, ref, strict=strict)
    except ResolveError as exc:
        raise CliError(str(exc), FAILURE) from exc
    if resolution.missing:
        raise CliError("the server lacks what this VM needs (nothing was sent)", USAGE, resolution.missing)
    # an automatically chosen id that gets taken meanwhile is the submitter's business (it takes the next one)
    taken = set() if resolution.auto_vmid else {g.vmid for g in ref.guests().get([])}
    problems = check(resolution.config, taken_vmids=taken)
    if problems:
        raise CliError("invalid VM configuration (nothing was sent)", USAGE, [str(p) for p in problems])
    return resolution, make_plan(resolution.config, resolution.server_version)


def print_plan(ctx: typer.Context, plan: Plan, config: VmConfig | None = None) -> None:
    """The --dry-run output: the plan as text for people, the plan's data in JSON (secrets redacted); with
    -o yaml the VM file (flat keys, `--from-file` reads it back) followed by the plan as comments."""
    from pvectl.cli.commands.vm.report import plan_json, plan_text
    from pvectl.cli.output import show

    if config is not None and output_format(ctx) == "yaml":
        from pvectl.vm.vmfile import dump_yaml

        print(dump_yaml(config, comment=plan_text(plan)), end="")
        return
    show(ctx, json.loads(plan_json(plan)), human=plan_text(plan), piped="text")


def submit_and_report(
    ctx: typer.Context, client: ProxmoxClient, resolution: Resolution, on_event: Callable[[Event], None] | None = None
) -> Outcome:
    """Run the plan through the shared submitter, print the outcome; CliError with the exit code unless success."""
    from pvectl.cli.commands.vm.report import Progress, outcome_lines
    from pvectl.vm.plan import make_plan
    from pvectl.vm.submit import Submitter

    for note in make_plan(resolution.config, resolution.server_version).notes:
        print(f"note: {note}", file=sys.stderr)
    events = on_event or Progress(verbose=ctx.obj.options.verbose > 0)
    outcome = Submitter(client, on_event=events).submit(
        resolution.config, resolution.server_version, auto_vmid=resolution.auto_vmid
    )
    if output_format(ctx) == "json":
        summary = {
            "outcome": outcome.kind,
            "vmid": outcome.vmid,
            "node": outcome.node,
            "message": outcome.message,
            "missing": outcome.missing,
            "remedies": outcome.remedies,
            "errors": outcome.errors,
        }
        print(json.dumps(summary, indent=2))
    lines = outcome_lines(outcome)
    if outcome.ok:
        if output_format(ctx) != "json":
            print(lines[0])
        return outcome
    code = PARTIAL if outcome.kind == "partial" else FAILURE
    raise CliError(lines[0], code, lines[1:])
