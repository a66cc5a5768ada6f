"""Run one API call from the command line: strings -> validated SDK call -> output, waiting for tasks.

Shared by the generated commands (``pvectl api nodes qemu config set ...``) and the pvesh-style ones
(``pvectl api set /nodes/pve1/qemu/100/config ...``). Heavy imports stay inside the functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import typer

from pvectl.cli.command_types import OUTPUT_KEY, ApiCommand, OutputCommand, family_base, is_family
from pvectl.cli.errors import INTERRUPTED, USAGE, CliError, reported

if TYPE_CHECKING:
    from pvectl.cli.context import AppContext
    from pvectl.sdk import ProxmoxClient
    from pvectl.sdk._core.spec import OpSpec

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

RawValue = str | Sequence[str]

# commands/vm imports these
__all__ = ["ApiCommand", "OutputCommand", "execute", "output_format", "print_upid", "run_generated"]


def app_context(ctx: typer.Context) -> AppContext:
    from pvectl.cli.context import AppContext, GlobalOptions

    found = ctx.find_object(AppContext)
    return found if found is not None else AppContext(GlobalOptions())


def output_format(ctx: typer.Context) -> str:
    """The format asked for: the root's ``-o`` (given anywhere, or PVECTL_OUTPUT; checked before the command ran).

    ``-o`` in ``ctx.meta`` comes from :class:`OutputCommand` when a command runs outside the root app."""
    from pvectl.cli.output import check_format

    fmt = ctx.meta.get(OUTPUT_KEY)
    return check_format(str(fmt)) if fmt else app_context(ctx).options.output


def run_generated(ctx: typer.Context, key: str, no_wait: bool, wait_timeout: str | None = None) -> None:
    """Body of every generated command: the options it was given, by PVE name, to :func:`execute`.

    ``--wait-timeout`` rather than ``--timeout``: PVE's own ``timeout`` parameter exists on task methods
    (``POST /nodes/{node}/qemu/{vmid}/status/shutdown`` in the 9.1.3 schema)."""
    timeout = None
    if wait_timeout is not None:
        from pvectl.cli.duration import parse_duration

        with reported():
            timeout = parse_duration(wait_timeout, "--wait-timeout")
    raw: dict[str, RawValue] = {}
    for param in ctx.command.params:
        if not param.opts or param.name in (None, "no_wait", "wait_timeout"):
            continue
        value = ctx.params.get(param.name)
        if value is None or (isinstance(value, (list, tuple)) and not value):
            continue
        name = param.opts[0][2:]
        raw[f"{family_base(name)}[n]" if is_family(param) else name] = value
    if "node" not in raw and any(p.name == "node" for p in ctx.command.params):
        with reported():
            node = default_node(ctx)
        if node is not None:
            raw["node"] = node
    execute(ctx, key, raw, no_wait=no_wait, timeout=timeout)


def default_node(ctx: typer.Context) -> str | None:
    """The context's default node for a command that needs --node and got none (said on stderr with -v)."""
    import sys

    options = app_context(ctx).options
    if options.sim:
        return None  # a context's node belongs to its cluster, not to the simulator
    from pvectl.cli.connection import resolve

    settings = resolve(options)
    if settings.node is not None and options.verbose:
        where = f"context {settings.context}" if settings.context else "the config file"
        print(f"using node {settings.node} from {where} (no --node given)", file=sys.stderr)
    return settings.node


def execute(
    ctx: typer.Context, key: str, raw: Mapping[str, RawValue], *, no_wait: bool = False, timeout: float | None = None
) -> None:
    """Convert, validate (nothing is sent on a bad value), call, then print the result or follow the task."""
    with reported():
        from pvectl.sdk._core.spec import load_spec

        op = load_spec().op(key)
        path_values, params, indexed = convert(op, raw)
        check(op, path_values, params, indexed)
        client = app_context(ctx).client()
        # raw request: the generated pvesh-style commands call the operation their command is generated from
        data = client._call(key, path_values, params, indexed)
        show_result(ctx, client, op, data, no_wait=no_wait, timeout=timeout)


def show_result(
    ctx: typer.Context, client: ProxmoxClient, op: OpSpec, data: Any, *, no_wait: bool, timeout: float | None = None
) -> None:
    from pvectl.cli import output

    if op.task and isinstance(data, str) and data.startswith("UPID:"):
        if no_wait:
            print_upid(ctx, data)
            return
        from pvectl.cli.tasks import wait_for

        try:
            status = wait_for(client, data, timeout, verbose=bool(app_context(ctx).options.verbose))
        except KeyboardInterrupt:
            raise CliError(
                f"interrupted; the task goes on: {data}", INTERRUPTED, [f"follow it with: pvectl task wait '{data}'"]
            ) from None
        output.show(ctx, status)
        return
    output.show(ctx, data)


def print_upid(ctx: typer.Context, upid: str) -> None:
    """What ``--no-wait`` prints: the bare UPID (auto/text/table, also when piped) or ``{"upid": ...}`` (JSON/YAML),
    so that ``pvectl task wait "$(pvectl ... --no-wait)"`` works."""
    from pvectl.cli import output

    output.show(ctx, {"upid": upid}, human=upid, piped="text")


def to_bool(option: str, value: str) -> str:
    text = value.strip().lower()
    if text in _TRUE:
        return "1"
    if text in _FALSE:
        return "0"
    raise CliError(f"--{option}: expected a boolean (1/0, true/false, yes/no, on/off), got {value!r}", USAGE)


def _single(option: str, value: RawValue) -> str:
    if isinstance(value, str):
        return value
    values = list(value)
    if len(values) != 1:
        raise CliError(f"--{option}: given {len(values)} times, accepts one value", USAGE)
    return values[0]


def _many(value: RawValue) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def convert(op: OpSpec, raw: Mapping[str, RawValue]) -> tuple[list[str], dict[str, Any], dict[str, str]]:
    """Command-line strings by PVE name -> (path values, params, indexed family members), in wire form."""
    from pvectl.sdk._core.validate import family_of

    path_values: list[str] = []
    for name in op.path_params:
        if name not in raw:
            raise CliError(f"--{name}: missing (path parameter of {op.path})", USAGE)
        path_values.append(_single(name, raw[name]))
    params: dict[str, Any] = {}
    indexed: dict[str, str] = {}
    for name, value in raw.items():
        if name in op.path_params:
            continue
        schema = op.params.get(name)
        if name.endswith("[n]") or (schema is None and f"{name}[n]" in op.params):
            family = name.removesuffix("[n]")
            for item in _many(value):
                index, sep, member = item.partition("=")
                if not sep or not index.isdigit():
                    raise CliError(f"--{family}: expected N=VALUE (e.g. --{family} 0=...), got {item!r}", USAGE)
                indexed[f"{family}{int(index)}"] = member
            continue
        if schema is None:
            if family_of(name, op.params) is not None:
                indexed[name] = _single(name, value)
            else:
                params[name] = value if isinstance(value, str) else list(value)  # rejected by validation
            continue
        stype = schema.get("type")
        if stype == "boolean":
            params[name] = to_bool(name, _single(name, value))
        elif stype == "array":
            params[name] = _many(value)
        elif stype == "string" and str(schema.get("format", "")).endswith("-list"):
            params[name] = ",".join(_many(value))
        else:
            params[name] = _single(name, value)
    return path_values, params, indexed


def check(op: OpSpec, path_values: list[str], params: Mapping[str, Any], indexed: Mapping[str, str]) -> None:
    """Client-side validation with the schema; a problem becomes one line naming the option, exit 2."""
    from pvectl.sdk._core.errors import ValidationError
    from pvectl.sdk._core.request import prepare

    try:
        prepare(op, path_values, params, indexed)
    except ValidationError as exc:
        lines = [problem_line(op, name, message) for name, message in exc.errors.items()]
        raise CliError(lines[0], USAGE, lines[1:]) from None


def problem_line(op: OpSpec, name: str, message: str) -> str:
    """``--cores: value must have a minimum value of 1 (accepts integer 1..N)``."""
    from pvectl.sdk._core.validate import family_of

    text = "; ".join(line.strip() for line in message.strip().splitlines() if line.strip())
    base = name.split(".", 1)[0].split("[", 1)[0]
    schema = op.params.get(base)
    if schema is None:
        fam = family_of(base, op.params)
        schema = fam[1] if fam else None
    if schema is None:
        return f"--{base}: {text} (not an option of {op.method} {op.path})"
    return f"--{base}: {text} (accepts {accepts(schema)})"


def accepts(schema: Mapping[str, Any]) -> str:
    """What a parameter accepts, in a few words (the runtime spec carries no descriptions)."""
    stype = str(schema.get("type", "string"))
    if schema.get("property_string") is not None:
        keys = ", ".join(k for k, v in schema["property_string"].items() if not v.get("alias"))
        return f"a property string key=value,... with keys {keys}"
    if schema.get("enum"):
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    if stype == "boolean":
        return "1/0, true/false, yes/no, on/off"
    if stype == "array":
        return "repeated values"
    text = {"integer": "an integer", "number": "a number"}.get(stype, "a string")
    if "minimum" in schema or "maximum" in schema:
        text += f" in {_bound(schema.get('minimum', '-N'))}..{_bound(schema.get('maximum', 'N'))}"
    if isinstance(schema.get("format"), str):
        text += f" of format {schema['format']}"
    if schema.get("pattern"):
        text += f" matching {schema['pattern']}"
    if "max_length" in schema:
        text += f", at most {schema['max_length']} characters"
    return text


def _bound(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
