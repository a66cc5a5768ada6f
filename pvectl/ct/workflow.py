"""The ``ct create`` workflow: check -> resolve -> plan -> submit -> Outcome, as ``vm create``'s
(pvectl.vm.workflow): everything that can be checked is checked before the first write, so a WorkflowError means
nothing was sent; the submitter is the VM one with the guest kind set to lxc (same reconcile-on-ambiguity)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pvectl.ct.config import CtConfig
from pvectl.ct.plan import CtPlan, make_plan, pull_request
from pvectl.guest.outcome import FAILURE, USAGE
from pvectl.sdk._core.errors import PveError
from pvectl.vm.submit import Submitter
from pvectl.vm.workflow import WorkflowError, _prepare

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.outcome import Outcome
    from pvectl.vm.plan import Plan
    from pvectl.vm.submit import Event

__all__ = ["CtSubmitter", "WorkflowError", "check_and_plan", "pick_node", "submit"]

WHAT = {"create": "CT", "start": "CT start", "pull": "template download"}
PARAM_FLAGS = {
    "vmid": "--vmid",
    "hostname": "--hostname",
    "ostemplate": "--template",
    "pool": "--pool",
    "tags": "--tag",
    "rootfs": "--disk",
    "memory": "--memory",
    "swap": "--swap",
    "cores": "--cores",
    "nameserver": "--nameserver",
    "searchdomain": "--searchdomain",
    "password": "--password",
    "ssh-public-keys": "--ssh-key",
    "features": "--nesting/--keyctl/--fuse/--mknod/--mount",
}


class CtSubmitter(Submitter):
    """The create submitter for containers: ``/nodes/{node}/lxc``, a ``vzcreate`` task, ``hostname``."""

    kind = "lxc"
    noun = "CT"
    command = "ct"

    def make_plan(self, config: Any, server_version: str) -> Plan:
        return make_plan(config, server_version)

    def with_vmid(self, config: Any, vmid: int) -> Any:
        return config.model_copy(update={"vmid": vmid})

    def what(self, step: str) -> str:
        return WHAT[step]

    def remedy(self, step: str, vmid: int, node: str) -> str:
        return f"pvectl ct start {vmid}"  # start is the only follow-up step of the create


def _get(path: str, call: Callable[[], Any]) -> Any:
    """A typed read's answer as PVE sent it; WorkflowError naming ``path`` when it cannot be read."""
    from pvectl.sdk._core.answers import plain

    try:
        return plain(call())
    except PveError as exc:
        raise WorkflowError(f"cannot read {path}: {exc}", FAILURE) from exc


def pick_node(client: ProxmoxClient, given: str | None, notes: list[str]) -> str:
    """The given node, else vm create's rule (pvectl.vm.resolve._default_node): the node the API is served from
    (the ``local`` entry of ``GET /cluster/status``, where the GUI's Create CT wizard starts too), else the only
    node, with a note saying which. The context's node was applied by the command before (as ``vm create`` does).
    Used by ``ct create`` and ``ct template list|pull``, so a pull without --node lands where a create goes."""
    from pvectl.vm.reference import ReferenceData
    from pvectl.vm.resolve import _default_node

    rows = _get("/nodes", lambda: client.nodes.list())
    names = sorted(str(r["node"]) for r in rows if isinstance(r, dict) and r.get("node"))
    if given is None:
        chosen, why = _default_node(ReferenceData(client), names)
        if chosen is None:
            raise WorkflowError(
                f"--node: no node given (available: {', '.join(names) or 'none'}); give --node, "
                "or set the context's node: pvectl config set CONTEXT node=NODE",
                USAGE,
            )
        notes.append(f"no node given; using '{chosen}' ({why})")
        return chosen
    if given not in names:
        raise WorkflowError(f"--node: node '{given}' does not exist (available: {', '.join(names)})", USAGE)
    return given


def _template(client: ProxmoxClient, config: CtConfig, node: str, notes: list[str]) -> tuple[str, Any]:
    """(the template volume, the pull request or None)."""
    from pvectl.ct import templates

    wanted = str(config.template)
    try:
        storages = templates.template_storages(client, node)
        local = templates.on_node(client, node, storages)
    except PveError as exc:
        raise WorkflowError(f"cannot list the templates on {node}: {exc}", FAILURE) from exc
    if templates.is_volume(wanted):
        if any(t.volid == wanted for t in local):
            return wanted, None
        listing = ", ".join(t.volid for t in local) or "none"
        raise WorkflowError(f"--template: '{wanted}' does not exist on {node} (templates there: {listing})", USAGE)
    found = templates.pick_local(wanted, local)
    if found is not None:
        if found.filename != wanted:
            notes.append(f"template '{wanted}' is {found.volid}")
        return found.volid, None
    try:
        appliance = templates.pick_appliance(wanted, templates.index(client, node))
    except PveError as exc:
        raise WorkflowError(f"cannot read the appliance index of {node}: {exc}", FAILURE) from exc
    if appliance is None:
        raise WorkflowError(
            f"--template: no template on {node} and none in the appliance index fits '{wanted}'"
            " (pvectl ct template list)",
            USAGE,
        )
    if not config.pull:
        raise WorkflowError(
            f"--template: '{wanted}' is not on {node}; {appliance.template} can be downloaded: add --pull, or run"
            f" pvectl ct template pull {appliance.template} --node {node}",
            USAGE,
        )
    storage = config.template_storage or (storages[0] if storages else None)
    if storage is None or storage not in storages:
        what = f"'{storage}' holds no templates" if storage else "no storage holds templates"
        raise WorkflowError(f"--template-storage: {what} on {node} (available: {', '.join(storages) or 'none'})")
    return f"{storage}:vztmpl/{appliance.template}", pull_request(node, storage, appliance.template)


def _storages(client: ProxmoxClient, config: CtConfig, node: str, notes: list[str]) -> CtConfig:
    from pvectl.ct import templates

    try:
        rootdir = templates.rootdir_storages(client, node)
    except PveError as exc:
        raise WorkflowError(f"cannot list the storages of {node}: {exc}", FAILURE) from exc
    problems = []
    storage = config.rootfs.storage
    if storage is None:
        if not rootdir:
            raise WorkflowError(f"--disk: no storage on {node} takes container disks (content 'rootdir')", USAGE)
        storage = rootdir[0]
        notes.append(f"root disk on {storage} (the first storage of {node} for containers; --disk STORAGE:SIZE)")
    if storage not in rootdir:
        problems.append(
            f"--disk: storage '{storage}' takes no container disks on {node}"
            f" (available: {', '.join(rootdir) or 'none'})"
        )
    for i, mp in enumerate(config.mountpoints):
        if mp.storage not in rootdir:
            problems.append(f"--mp #{i + 1}: storage '{mp.storage}' takes no container disks on {node}")
    if problems:
        raise WorkflowError(problems[0] + " (nothing was sent)", USAGE, problems[1:])
    return config.model_copy(update={"rootfs": config.rootfs.model_copy(update={"storage": storage})})


def _server_problems(client: ProxmoxClient, config: CtConfig, node: str) -> list[str]:
    problems = []
    bridges = {
        str(r.get("iface"))
        for r in _get(f"/nodes/{node}/network", lambda: client.nodes(node).network.list(type="any_bridge"))
        if isinstance(r, dict)
    }
    for i, n in enumerate(config.nets):
        if n.bridge not in bridges:
            problems.append(
                f"--net #{i + 1}: bridge '{n.bridge}' does not exist on {node}"
                f" (available: {', '.join(sorted(bridges))})"
            )
    if config.pool:
        pools = [str(r.get("poolid")) for r in _get("/pools", lambda: client.pools.list()) if isinstance(r, dict)]
        if config.pool not in pools:
            problems.append(
                f"--pool: pool '{config.pool}' does not exist (available: {', '.join(sorted(pools)) or 'none'})"
            )
    return problems


def _vmid(client: ProxmoxClient, config: CtConfig) -> tuple[int, bool]:
    if config.vmid is not None:
        rows = _get("/cluster/resources", lambda: client.cluster.resources(type="vm"))
        taken = {int(r["vmid"]) for r in rows if isinstance(r, dict) and r.get("vmid") is not None}
        if config.vmid in taken:
            raise WorkflowError(f"--vmid: {config.vmid} is taken (VMs and containers share ids)", USAGE)
        return config.vmid, False
    return int(_get("/cluster/nextid", lambda: client.cluster.nextid())), True


def _schema_problems(client: ProxmoxClient, plan: Plan) -> list[str]:
    from pvectl.sdk._core.errors import ValidationError

    out = []
    for request in plan.requests:
        try:
            _prepare(client, request)
        except ValidationError as exc:
            for param, text in exc.errors.items():
                flag = PARAM_FLAGS.get(
                    param, "--net" if param.startswith("net") else "--mp" if param.startswith("mp") else param
                )
                out.append(f"{flag}: {' '.join(text.split())} (PVE parameter {param})")
    return out


def _duplicate_name(client: ProxmoxClient, config: CtConfig) -> None:
    """A hostname another guest of the cluster has is refused, as vm create refuses a name
    (pvectl.vm.workflow.duplicate_name_check): PVE allows it, but every lookup by that name is then ambiguous."""
    name = config.hostname
    if not name:
        return
    rows = _get("/cluster/resources", lambda: client.cluster.resources(type="vm"))
    same = sorted(
        (int(r["vmid"]), "CT" if r.get("type") == "lxc" else "VM")
        for r in rows
        if isinstance(r, dict) and r.get("name") == name and r.get("vmid") is not None
    )
    if same:
        raise WorkflowError(
            f"--hostname: '{name}' is already the name of {', '.join(f'{k} {i}' for i, k in same)} (nothing was sent)",
            USAGE,
            ["give another --hostname, or --allow-duplicate-name to create a second guest with it"],
        )


def check_and_plan(
    client: ProxmoxClient, config: CtConfig, *, allow_duplicate_name: bool = False
) -> tuple[CtConfig, CtPlan, bool]:
    """Resolve node, id, template and storages; apply every rule; plan. Returns (resolved config, plan,
    whether the id was chosen automatically). WorkflowError (nothing sent) on a problem; a hostname another
    guest has is one unless ``allow_duplicate_name``."""
    from pvectl.ct.rules import check

    problems = check(config)
    if problems:
        raise WorkflowError(
            f"{problems[0]} (nothing was sent)"
            if len(problems) == 1
            else "invalid container configuration (nothing was sent)",
            USAGE,
            problems if len(problems) > 1 else [],
        )
    if not allow_duplicate_name:
        _duplicate_name(client, config)
    notes: list[str] = []
    node = pick_node(client, config.node, notes)
    config = config.model_copy(update={"node": node})
    template, pull = _template(client, config, node, notes)
    config = _storages(client, config.model_copy(update={"template": template}), node, notes)
    problems = _server_problems(client, config, node)
    if problems:
        raise WorkflowError(problems[0] + " (nothing was sent)", USAGE, problems[1:])
    vmid, auto = _vmid(client, config)
    config = config.model_copy(update={"vmid": vmid})
    version = str(_get("/version", lambda: client.version()).get("version", "0"))
    plan = make_plan(config, version)
    rejected = _schema_problems(client, plan)
    if rejected:
        raise WorkflowError(rejected[0] + " (nothing was sent)", USAGE, rejected[1:])
    return config, CtPlan(plan, pull, notes), auto


def submit(
    client: ProxmoxClient,
    config: CtConfig,
    plan: CtPlan,
    *,
    auto_vmid: bool,
    on_event: Callable[[Event], None] | None = None,
    timeout: float | None = 600,
) -> Outcome:
    """Run the plan: the template download (when planned), then the create and start; the Outcome says what
    exists on the server (never raises for server trouble or Ctrl-C)."""
    if plan.pull is not None:
        from pvectl.ct.pull import pull

        failed = pull(client, plan.pull, plan.vmid, on_event=on_event, timeout=timeout)
        if failed is not None:
            return failed
    submitter = CtSubmitter(client, on_event=on_event, task_timeout=timeout)
    outcome = submitter.submit(config, plan.plan.server_version, auto_vmid=auto_vmid)
    outcome.guest, outcome.action, outcome.name = "lxc", "create", config.hostname
    return outcome
