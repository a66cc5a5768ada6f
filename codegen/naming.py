"""The one place naming rules live: Python identifiers, class names, and the operation names that the SDK and
the CLI share (scheme S4b of the schema notes, with a small override table).

The operation rule, applied in order to every (verb, path):

1. Tokens are the literal path segments; path parameters are not tokens (they become arguments / options).
2. Action leaf: a literal leaf with exactly one method becomes a *command named after the segment* in its
   parent's group (``POST .../status/start`` -> ``nodes qemu status start``; SDK ``...status.start()``).
3. Nested collection: an item that is itself a collection of a nested ``{param}`` puts its GET and POST into
   a sub-group named after the nested param (CLI only; the SDK navigates ``groups("g")(pos)`` instead).
4. Verbs: GET lists a node that has a ``{param}`` child (``list``), indexes a literal branch (``index``), and
   otherwise reads (``get``); POST ``create``, PUT ``set``, DELETE ``delete``.
5. Collection-level PUT/DELETE take the kebab-cased PVE ``name``.
6. Any remaining duplicate takes the kebab-cased PVE ``name`` for every member.
7. Overrides (below) rename non-CRUD ``create``/``set`` commands, each with its reason.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from pvectl.sdk._core.names import attr_ident as attr_ident  # shared with the runtime (pve_call)
from pvectl.sdk._core.names import snake as snake

VERB_NAMES = {"POST": "create", "PUT": "set", "DELETE": "delete"}

# (verb, path) -> CLI command name, for operations whose pvesh-style verb misleads. SDK names keep the rule:
# they mirror the URL, and `create`/`set` there simply mean POST/PUT.
CLI_OVERRIDES: dict[tuple[str, str], tuple[str, str]] = {
    ("POST", "/nodes/{node}/qemu/{vmid}/config"): (
        "update-async",
        "PVE update_vm_async: POST applies the change in a task",
    ),
    ("POST", "/nodes/{node}/qemu/{vmid}/migrate"): ("start", "PVE migrate_vm starts a migration task"),
    ("POST", "/nodes/{node}/lxc/{vmid}/migrate"): ("start", "PVE migrate_vm starts a migration task"),
    ("POST", "/nodes/{node}/status"): ("command", "PVE node_cmd: reboot or shut down the node"),
    ("POST", "/nodes/{node}/apt/update"): ("refresh", "PVE update_database: refresh the package index"),
    ("POST", "/nodes/{node}/subscription"): ("update", "PVE update: re-check the subscription"),
    ("PUT", "/nodes/{node}/subscription"): ("set-key", "PVE set: store a subscription key"),
    ("POST", "/nodes/{node}/aplinfo"): ("download", "PVE apl_download: download an appliance template"),
    ("POST", "/nodes/{node}/apt/repositories"): (
        "change",
        "PVE change_repository: enable/disable a repository",
    ),
    ("PUT", "/nodes/{node}/apt/repositories"): ("add", "PVE add_repository: add a standard repository"),
    ("POST", "/nodes/{node}/hosts"): ("write", "PVE write_etc_hosts: replace /etc/hosts"),
    ("DELETE", "/nodes/{node}/tasks/{upid}"): ("stop", "PVE stop_task: DELETE stops a running task"),
    ("PUT", "/cluster/sdn"): ("apply", "PVE reload: apply the pending SDN configuration"),
    ("POST", "/cluster/config/join"): ("join", "PVE join: join this node to a cluster"),
    ("POST", "/nodes/{node}/qemu/{vmid}/agent"): ("command", "PVE agent: run a generic guest agent command"),
}

_PARAM = re.compile(r"^\{(.+)\}$")
# Attribute names pydantic's BaseModel already uses; a field by that name would shadow them.
_MODEL_ATTRS = {
    "copy",
    "dict",
    "json",
    "schema",
    "construct",
    "validate",
    "fields",
    "model_config",
    "model_fields",
    "parse_obj",
    "parse_raw",
    "parse_file",
    "from_orm",
    "schema_json",
    "update_forward_refs",
}
_RESERVED = set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(builtins)) | _MODEL_ATTRS


def param_of(segment: str) -> str | None:
    """``{vmid}`` -> ``vmid``; a literal segment -> None."""
    m = _PARAM.match(segment)
    return m.group(1) if m else None


def py_ident(name: str) -> str:
    """A Python identifier for a PVE parameter, field or segment name.

    ``-``, ``.``, ``[n]`` and ``{}`` map to ``_``; keywords, builtins and ``BaseModel`` attributes get a
    trailing ``_``; a leading digit gets a leading ``n``.
    """
    ident = snake(name)
    if ident[0].isdigit():
        ident = "n" + ident
    if ident in _RESERVED:
        ident += "_"
    return ident


def pascal(*parts: str) -> str:
    """``("nodes", "exec-status")`` -> ``NodesExecStatus``."""
    words: list[str] = []
    for part in parts:
        words += [w for w in re.split(r"[^0-9A-Za-z]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", part)) if w]
    return "".join(w[:1].upper() + w[1:] for w in words) or "Root"


def kebab(name: str) -> str:
    return name.replace("_", "-")


@dataclass(frozen=True)
class OpName:
    """Where an operation lives in the SDK and in the CLI."""

    cli_group: tuple[str, ...]  # tokens after `pvectl api`, without the command
    cli_command: str
    sdk_owner: str  # path of the node whose class carries the method
    sdk_method: str
    rule: str

    @property
    def cli(self) -> str:
        return " ".join((*self.cli_group, self.cli_command))


class PathTree:
    """The set of API paths with the structural facts the naming needs."""

    def __init__(self, paths: Iterable[str], methods: dict[str, list[str]]) -> None:
        self.paths = set(paths)
        self.methods = methods  # path -> verbs
        self.children: dict[str, list[str]] = defaultdict(list)
        for p in sorted(self.paths):
            parent = p.rsplit("/", 1)[0]
            if parent:
                self.children[parent].append(p)

    @staticmethod
    def last(path: str) -> str:
        return path.rsplit("/", 1)[1]

    def param_child(self, path: str) -> str | None:
        for child in self.children.get(path, []):
            if param_of(self.last(child)):
                return child
        return None

    def is_leaf(self, path: str) -> bool:
        return not self.children.get(path)

    def is_action_leaf(self, path: str) -> bool:
        return (
            param_of(self.last(path)) is None
            and self.is_leaf(path)
            and len(self.methods.get(path, [])) == 1
            and path.count("/") > 0
        )

    def tokens(self, path: str) -> tuple[str, ...]:
        return tuple(kebab(s) for s in path.strip("/").split("/") if s and not param_of(s))

    def get_verb(self, path: str) -> str:
        if self.param_child(path):
            return "list"
        if param_of(self.last(path)) is None and not self.is_leaf(path):
            return "index"
        return "get"

    def base_verb(self, verb: str, path: str) -> str:
        return self.get_verb(path) if verb == "GET" else VERB_NAMES[verb]


def name_operations(tree: PathTree, pve_names: dict[tuple[str, str], str]) -> dict[tuple[str, str], OpName]:
    """Apply the rules of this module to every operation of ``tree``."""
    names: dict[tuple[str, str], OpName] = {}
    for path in sorted(tree.paths):
        last = tree.last(path)
        parent = path.rsplit("/", 1)[0]
        for verb in tree.methods.get(path, []):
            pve = pve_names[(verb, path)]
            base = tree.base_verb(verb, path)
            if tree.is_action_leaf(path):
                group = tree.tokens(parent)
                names[(verb, path)] = OpName(group, kebab(last), parent, attr_ident(last), "action-leaf")
                continue
            group = tree.tokens(path)
            command, rule = base, "verb"
            is_item = param_of(last) is not None
            nested = tree.param_child(path) if is_item else None
            if nested and verb in ("GET", "POST"):
                group = (*group, kebab(param_of(tree.last(nested)) or ""))
                rule = "nested"
            elif is_item and param_of(tree.last(parent)) is not None:
                # item of a nested collection (/groups/{group}/{pos}): lives in the nested sub-group
                group = (*group, kebab(param_of(last) or ""))
                rule = "nested"
            elif not is_item and tree.param_child(path) and verb in ("PUT", "DELETE"):
                command, rule = kebab(pve), "collection-put-delete"
            names[(verb, path)] = OpName(group, command, path, base, rule)
    # Rule 6: duplicates fall back to the PVE name for every member.
    by_cli: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key, n in names.items():
        by_cli[n.cli].append(key)
    for keys in by_cli.values():
        if len(keys) > 1:
            for key in keys:
                n = names[key]
                names[key] = OpName(n.cli_group, kebab(pve_names[key]), n.sdk_owner, n.sdk_method, "fallback")
    for key, (command, _reason) in CLI_OVERRIDES.items():
        if key in names:
            n = names[key]
            names[key] = OpName(n.cli_group, command, n.sdk_owner, n.sdk_method, "override")
    return names


def collisions(names: dict[tuple[str, str], OpName], tree: PathTree) -> list[str]:
    """Every naming conflict: duplicate CLI commands, group/command clashes, SDK attribute clashes."""
    problems: list[str] = []
    seen: dict[str, tuple[str, str]] = {}
    groups: set[tuple[str, ...]] = set()
    for key, n in names.items():
        if n.cli in seen:
            problems.append(f"CLI `{n.cli}`: {seen[n.cli]} and {key}")
        seen[n.cli] = key
        for i in range(1, len(n.cli_group) + 1):
            groups.add(n.cli_group[:i])
    for key, n in names.items():
        if (*n.cli_group, n.cli_command) in groups:
            problems.append(f"CLI `{n.cli}` is both a command and a group ({key})")
    # SDK: per owner class, method names and child navigation attributes must be distinct.
    members: dict[str, dict[str, str]] = defaultdict(dict)
    for key, n in names.items():
        where = members[n.sdk_owner]
        if n.sdk_method in where:
            problems.append(f"SDK {n.sdk_owner}.{n.sdk_method}: {where[n.sdk_method]} and {key}")
        where[n.sdk_method] = f"{key}"
    for path in tree.paths:
        if param_of(tree.last(path)) or tree.is_action_leaf(path):
            continue
        parent = path.rsplit("/", 1)[0]
        attr = attr_ident(tree.last(path))
        where = members[parent]
        if attr in where:
            problems.append(f"SDK {parent}.{attr}: child resource and {where[attr]}")
        where[attr] = f"child {path}"
    return problems
