"""Render the generated CLI: ``pvectl/cli/api/_index.py`` (import-free tree), one module per CLI group, and the
shell completion scripts. Names come from the same IR (and naming function) as the SDK.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment

from codegen.ir import Api, Operation
from codegen.naming import attr_ident

CLI_PKG = "pvectl/cli/api"
COMPLETIONS = {"bash": "completions/pvectl.bash", "zsh": "completions/_pvectl", "fish": "completions/pvectl.fish"}
# Hand-written subcommands of `pvectl api` (pvectl/cli/commands/api.py); generated names must not take them.
API_RESERVED = ("get", "set", "create", "delete", "usage")
# Option idents the generated functions use for themselves.
_RESERVED_IDENTS = {"ctx", "no_wait", "wait_timeout", "app", "typer"}
FAMILY_METAVAR = "N=VALUE"  # = pvectl.cli.command_types.FAMILY_METAVAR

# PVE formats (and a few parameter names) whose values the shell can complete from the server.
COMPLETER_BY_FORMAT = {
    "pve-node": "node",
    "pve-vmid": "vmid",
    "pve-storage-id": "storage",
    "pve-poolid": "pool",
    "pve-realm": "realm",
    "pve-iface": "iface",
    "pve-bridge-id": "bridge",
}
COMPLETER_BY_NAME = {
    "bridge": "bridge",
    "iso": "iso",
    "cdrom": "iso",
    "iface": "iface",
    "snapname": "snapshot",
    "upid": "upid",
}


@dataclass(frozen=True)
class CliOption:
    pve: str  # option name without dashes (family: `net`)
    ident: str
    kind: str  # path | value | bool | list | array | family
    required: bool
    help: str
    metavar: str
    completer: str | None
    choices: tuple[str, ...]


@dataclass(frozen=True)
class CliCommand:
    name: str
    func: str
    key: str
    verb: str
    path: str
    help: str
    short_help: str
    task: bool
    options: tuple[CliOption, ...]
    hidden: bool = False  # websocket upgrades and internal-use endpoints: runnable, listed by --list only


@dataclass
class CliGroup:
    tokens: tuple[str, ...]
    module: str = ""
    help: str = ""
    groups: set[str] = field(default_factory=set)
    commands: list[CliCommand] = field(default_factory=list)

    @property
    def key(self) -> str:
        return " ".join(self.tokens)


def first_sentence(text: str, limit: int | None = None) -> str:
    """The first sentence, whole by default: help listings wrap it, `api --list -o json` prints it untruncated."""
    text = " ".join(text.split())
    m = re.match(r"(.+?[.!?])(\s|$)", text)
    out = m.group(1) if m else text
    out = out.rstrip(".")
    return out if limit is None or len(out) <= limit else out[: limit - 3].rstrip() + "..."


def module_name(tokens: tuple[str, ...]) -> str:
    return "_".join(re.sub(r"\W", "_", t) for t in tokens) or "root"


def _bound(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _since(bits: str | None, releases: list[str], pin: str | None = None) -> str | None:
    """The release that introduced something, or None when it is in the oldest release of the table. ``pin``:
    the release a changelog names; without one, only a range is known (after the last release without it)."""
    if not bits or "1" not in bits:
        return None
    first = bits.index("1")
    if first == 0:
        return None
    return pin or f"{releases[first]} (or earlier, after {releases[first - 1]})"


def _kind(name: str, s: Mapping[str, Any], path_params: set[str]) -> str:
    if name in path_params:
        return "path"
    if name.endswith("[n]"):
        return "family"
    if s.get("type") == "boolean":
        return "bool"
    if s.get("type") == "array":
        return "array"
    if s.get("type") == "string" and str(s.get("format", "")).endswith("-list"):
        return "list"
    return "value"


def _type_text(s: Mapping[str, Any]) -> str:
    t = str(s.get("type", "string"))
    if s.get("property_string") is not None or (s.get("typetext", "").startswith("[")):
        return f"property string {s.get('typetext', '')}".strip()
    if t == "array":
        items = s.get("items") or {}
        return f"array of {_type_text(items)}" if items else "array"
    if s.get("enum"):
        return "one of " + ", ".join(str(v) for v in s["enum"])
    if t == "boolean":
        return "boolean (1/0, true/false, yes/no, on/off)"
    text = t
    if "minimum" in s or "maximum" in s:
        low = _bound(s["minimum"]) if "minimum" in s else "-N"
        high = _bound(s["maximum"]) if "maximum" in s else "N"
        text += f" {low}..{high}"
    if isinstance(s.get("format"), str):
        text += f", format {s['format']}"
    return text


def _metavar(kind: str, s: Mapping[str, Any]) -> str:
    if kind == "family":
        return FAMILY_METAVAR
    if kind == "bool":
        return "BOOL"
    if s.get("enum") and len("|".join(map(str, s["enum"]))) <= 30:
        return "[" + "|".join(str(v) for v in s["enum"]) + "]"
    if s.get("property_string") is not None:
        return "PROPS"
    t = s.get("type")
    if kind == "array":
        t = (s.get("items") or {}).get("type", "string")
    return {"integer": "INTEGER", "number": "NUMBER"}.get(str(t), "TEXT")


def option_help(name: str, kind: str, s: Mapping[str, Any], since: str | None, option: str = "") -> str:
    desc = " ".join(str(s.get("description", "")).split())
    parts = [_type_text(s)]
    if kind == "family":
        low, high = s.get("index_range", (0, 0))
        base = name[:-3]
        parts.append(f"as --{option or base} N=VALUE (repeatable) or --{base}N VALUE, N in {low}..{high}")
    elif kind == "list":
        parts.append("repeat the option or give a comma list")
    elif kind == "array":
        parts.append("repeat the option for several values")
    if s.get("pattern"):
        parts.append(f"pattern {s['pattern']}")
    if "max_length" in s:
        parts.append(f"at most {s['max_length']} characters")
    if "default" in s:
        default = s["default"]
        if isinstance(default, bool):
            default = int(default)
        parts.append(f"PVE default: {default} (not sent)")
    if s.get("requires"):
        parts.append(f"requires --{s['requires']}")
    if since:
        parts.append(f"since PVE {since}")
    return (desc + " " if desc else "") + "[" + "; ".join(parts) + "]"


def _completer(pve: str, s: Mapping[str, Any]) -> str | None:
    fmt = s.get("format")
    if isinstance(fmt, str) and fmt in COMPLETER_BY_FORMAT:
        return COMPLETER_BY_FORMAT[fmt]
    return COMPLETER_BY_NAME.get(pve)


def check_text(check: Any) -> str:
    """PVE's permission check expression in words: ``["perm", "/vms/{vmid}", ["VM.Audit"]]`` ->
    ``VM.Audit on /vms/{vmid}``."""
    if not isinstance(check, list) or not check:
        return str(check)
    head, rest = check[0], check[1:]
    if head == "perm" and len(rest) >= 2:
        privs = [str(p) for p in rest[1]] if isinstance(rest[1], list) else [str(rest[1])]
        joiner = " or " if "any" in rest[2:] else " and "
        text = f"{joiner.join(privs)} on {rest[0]}"
        return text + (" (or the user's own)" if "require-param" in rest[2:] else "")
    if head in ("and", "or"):
        return "(" + f" {head} ".join(check_text(c) for c in rest) + ")"
    if head == "perm-modify" and rest:
        return f"permission to modify {rest[0]}"
    if head == "userid-param":
        return (
            "the user named by the userid parameter" if rest == ["self"] else f"userid-param {' '.join(map(str, rest))}"
        )
    if head == "userid-group":
        return f"user/group privileges {', '.join(map(str, rest[0])) if rest and isinstance(rest[0], list) else ''}"
    return " ".join(str(x) for x in check)


def permissions_text(method: Mapping[str, Any]) -> str:
    perms = method.get("permissions") or {}
    parts: list[str] = []
    if perms.get("description"):
        parts.append(" ".join(str(perms["description"]).split()))
    if perms.get("check"):
        parts.append("Check: " + check_text(perms["check"]) if parts else check_text(perms["check"]))
    if not parts:
        parts.append({"all": "any authenticated user", "world": "anyone"}.get(str(perms.get("user")), "none declared"))
    return " ".join(parts)


def is_hidden(path: str, method: Mapping[str, Any]) -> bool:
    """Endpoints no one calls by hand: websocket upgrades and those PVE documents as internal."""
    return path.endswith("websocket") or "internal use" in str(method.get("description", "")).lower()


def command_help(op: Operation, method: Mapping[str, Any], since: str | None) -> str:
    desc = str(method.get("description", "")).strip() or op.pve_name
    lines = [
        f"HTTP:        {op.verb} {op.path}",
        f"PVE method:  {op.pve_name}",
        f"Permissions: {permissions_text(method)}",
    ]
    lines.append(f"Since:       PVE {since}" if since else "Since:       PVE 7.4 or earlier")
    if op.task:
        lines.append("Task:        waits for the task it starts (use --no-wait to print the UPID)")
    if op.path.endswith("/upload"):
        lines.append("Note:        a multipart file upload; pvectl cannot send files through this command")
    if is_hidden(op.path, method):
        lines.append("Note:        hidden from group help and TAB (websocket or internal use)")
    if "no-token" in op.flags:
        lines.append("Auth:        needs a password login (API tokens are refused)")
    # 78: Click indents the block by 2, and help fits 80 columns
    wrapped = [textwrap.fill(line, width=78, subsequent_indent=" " * 13, break_on_hyphens=False) for line in lines]
    return desc + "\n\n\b\n" + "\n".join(wrapped)


def build_cli(api: Api, schema: Mapping[str, Any], history: Mapping[str, Any]) -> dict[str, CliGroup]:
    """Every CLI group (keyed by its space-joined tokens) with its commands and subgroups."""
    nodes = {n["path"]: n for n in schema["paths"]}
    releases = list(history["versions"])
    pins: Mapping[str, str] = history.get("since", {})
    groups: dict[str, CliGroup] = {}

    def group(tokens: tuple[str, ...]) -> CliGroup:
        key = " ".join(tokens)
        if key not in groups:
            groups[key] = CliGroup(tokens, module_name(tokens))
            if tokens:
                group(tokens[:-1]).groups.add(tokens[-1])
        return groups[key]

    group(())
    for op in api.operations:
        method = nodes[op.path]["methods"][op.verb]
        hist = history["methods"].get(op.key, {})
        props = method["parameters"]["properties"]
        path_params = set(op.path_params)
        used = set(_RESERVED_IDENTS)
        options: list[CliOption] = []
        ordered = [*op.path_params, *sorted(n for n in props if n not in path_params)]
        for name in ordered:
            s = props[name]
            kind = _kind(name, s, path_params)
            pve = name
            if kind == "family":
                # `--net N=VALUE`; `--numa-n N=VALUE` where a plain `numa` exists as well (qemu: numa, numa[n])
                pve = name[:-3] if name[:-3] not in props else name[:-3] + "-n"
            ident = attr_ident(pve)
            while ident in used:
                ident += "_"
            used.add(ident)
            since = _since(hist.get("params", {}).get(name), releases, pins.get(f"{op.key} {name}"))
            required = kind == "path" or (not s.get("optional") and kind != "family" and kind != "bool")
            choices = tuple(str(v) for v in s.get("enum") or ())
            if kind == "bool":
                choices = ("1", "0")
            options.append(
                CliOption(
                    pve=pve,
                    ident=ident,
                    kind=kind,
                    required=required,
                    help=option_help(name, kind, s, since, pve),
                    metavar=_metavar(kind, s),
                    completer=_completer(pve, s),
                    choices=choices,
                )
            )
        pves = [o.pve for o in options]
        if len(pves) != len(set(pves)) or "no-wait" in pves or "wait-timeout" in pves or "help" in pves:
            raise ValueError(f"CLI option clash in {op.key}: {pves}")
        since = _since(hist.get("in"), releases, pins.get(op.key))
        g = group(op.names.cli_group)
        g.commands.append(
            CliCommand(
                name=op.names.cli_command,
                func=attr_ident(op.names.cli_command.replace("-", "_")),
                key=op.key,
                verb=op.verb,
                path=op.path,
                help=command_help(op, method, since),
                short_help=first_sentence(str(method.get("description", "")) or op.pve_name),
                task=op.task,
                options=tuple(options),
                hidden=is_hidden(op.path, method),
            )
        )
    _describe_groups(groups, nodes)
    top = {c.name for c in groups[""].commands} | groups[""].groups
    clash = top & set(API_RESERVED)
    if clash:
        raise ValueError(f"generated `pvectl api` names clash with hand-written ones: {sorted(clash)}")
    modules = [g.module for g in groups.values() if g.commands]
    if len(modules) != len(set(modules)):
        raise ValueError("two CLI groups map to one module name")
    return groups


def _describe_groups(groups: dict[str, CliGroup], nodes: Mapping[str, Any]) -> None:
    """Group help: the description of the group's own listing, else the API path it covers."""
    for g in groups.values():
        g.commands.sort(key=lambda c: c.name)
        if not g.tokens:
            g.help = "Every Proxmox VE API method as a command."
            continue
        gets = {c.name: c for c in g.commands if c.verb == "GET"}
        listing = gets.get("list") or gets.get("index")
        if listing is not None:
            text = first_sentence(str(nodes[listing.path]["methods"]["GET"].get("description", "")))
            if text and not text.lower().startswith("directory index"):
                g.help = text
                continue
        sample = _sample_path(g, groups)
        g.help = f"Operations under {sample}" if sample else "Operations"


def _sample_path(g: CliGroup, groups: dict[str, CliGroup]) -> str:
    if g.commands:
        return _prefix(g.commands[0].path, len(g.tokens))
    for sub in sorted(g.groups):
        child = groups[" ".join((*g.tokens, sub))]
        found = _sample_path(child, groups)
        if found:
            return _prefix(found, len(g.tokens))
    return ""


def _prefix(path: str, literals: int) -> str:
    """``/nodes/{node}/qemu/{vmid}/config`` with 2 literal segments -> ``/nodes/{node}/qemu``."""
    out: list[str] = []
    count = 0
    for seg in path.strip("/").split("/"):
        if count == literals:
            break
        if not seg.startswith("{"):
            count += 1
        out.append(seg)
    return "/" + "/".join(out)


def render_cli(env: Environment, api: Api, schema: Mapping[str, Any], history: Mapping[str, Any]) -> dict[str, str]:
    """Generated CLI files by path relative to the project root (unformatted)."""
    groups = build_cli(api, schema, history)
    env.filters["py"] = repr
    common = {"version": api.version, "sha": api.schema_sha}
    files: dict[str, str] = {}
    header = env.get_template("_header.jinja").render(**common)
    files[f"{CLI_PKG}/__init__.py"] = header + '"""Generated CLI tree; modules load on first use."""\n'
    ordered = [groups[k] for k in sorted(groups)]
    files[f"{CLI_PKG}/_index.py"] = env.get_template("cli_index.py.jinja").render(
        groups=ordered,
        count=sum(len(g.commands) for g in ordered),
        hidden=sorted(f"{g.key} {c.name}".strip() for g in ordered for c in g.commands if c.hidden),
        **common,
    )
    module_t = env.get_template("cli_group.py.jinja")
    for g in ordered:
        if g.commands:
            files[f"{CLI_PKG}/{g.module}.py"] = module_t.render(group=g, family_metavar=FAMILY_METAVAR, **common)
    files.update(completion_scripts())
    return files


def completion_scripts() -> dict[str, str]:
    """The shell scripts that hook ``pvectl`` into bash, zsh and fish (Typer's protocol)."""
    from pvectl.cli.completion_classes import script

    return {path: script(shell) for shell, path in COMPLETIONS.items()}
