"""The create workflow every front-end shares: check -> plan -> validate -> submit -> Outcome.

Flags (``pvectl vm create``), prompts (``-i``) and the TUI call these; each renders the Outcome its own way.
Everything that can be checked is checked before the first write, so a problem here means nothing was sent:
``WorkflowError`` carries the exit code (2 for input, 1 when the server could not be read).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from pvectl.guest.outcome import FAILURE, USAGE
from pvectl.sdk._core.errors import PveError

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.config import VmConfig
    from pvectl.vm.cpu import CpuCatalog
    from pvectl.vm.outcome import Outcome
    from pvectl.vm.plan import Plan, PlannedRequest
    from pvectl.vm.reference import ReferenceData
    from pvectl.vm.resolve import Resolution
    from pvectl.vm.rules import Problem
    from pvectl.vm.submit import Event


# PVE parameter of POST /nodes/{node}/qemu -> the flag that sets it (what the user typed).
PARAM_FLAGS = {
    "vmid": "--vmid",
    "node": "--node",
    "name": "--name",
    "pool": "--pool",
    "tags": "--tag",
    "onboot": "--onboot",
    "startup": "--startup-order/--startup-delay/--shutdown-timeout",
    "ha-managed": "--ha",
    "ide2": "--iso",
    "ostype": "--ostype",
    "machine": "--machine",
    "bios": "--bios",
    "scsihw": "--scsihw",
    "agent": "--agent",
    "efidisk0": "--efi-storage",
    "sockets": "--sockets",
    "cores": "--cores",
    "cpu": "--cpu",
    "memory": "--memory",
    "balloon": "--min-memory",
    "allow-ksm": "--ksm",
    "sid": "--ha",
    "state": "--start",
    "ciuser": "--ci-user",
    "sshkeys": "--ssh-key",
    "nameserver": "--nameserver",
    "searchdomain": "--searchdomain",
    "ciupgrade": "--ci-upgrade",
}
NET_FLAGS = {
    "model": "--net-model",
    "bridge": "--bridge",
    "macaddr": "--mac",
    "firewall": "--firewall",
    "tag": "--vlan",
    "mtu": "--mtu",
    "rate": "--rate",
    "queues": "--queues",
    "link_down": "--link-down",
}


class WorkflowError(PveError):
    """A problem found before anything was sent; ``exit_code`` and ``details`` are for the CLI."""

    def __init__(self, message: str, exit_code: int = USAGE, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.details = list(details or [])


def disk_capacity_problems(config: VmConfig) -> list[str]:
    """More disks on a bus than it has slots (scsi0-30, virtio0-15, sata0-5, ide0-3 less the CD drive)."""
    from pvectl.vm.config import MAX_INDEX

    counts = Counter(disk.bus for disk in config.disks)
    problems = []
    for bus, count in sorted(counts.items()):
        slots = MAX_INDEX[bus] + 1 - (1 if bus == "ide" else 0)  # ide2 is the CD drive
        if count > slots:
            problems.append(f"--disk: {count} {bus} disks, but the {bus} bus holds at most {slots}")
    return problems


def _flag_for(param: str, config: VmConfig, detail: str) -> str:
    if param in config.extra:
        return f"extra.{param}"  # the VM file's map of PVE parameters
    if param in PARAM_FLAGS:
        return PARAM_FLAGS[param]
    if param.startswith("ipconfig"):
        return "--ipconfig"
    if param.startswith("net"):
        sub = detail.split(f"{param}.", 1)[1].split(":", 1)[0] if f"{param}." in detail else ""
        return NET_FLAGS.get(sub, "--bridge/--net-model")
    for i, disk in enumerate(config.disks, start=1):
        if disk.device == param:
            return f"--disk #{i} ({param})"
    return param


def cloudinit_problems(config: VmConfig, server_version: str) -> list[str]:
    """What keeps the cloud-init settings from being planned: no storage for the drive, a release without
    ``ciupgrade`` (the version table)."""
    from pvectl.vm.encode import CREATE
    from pvectl.vm.plan import server_has

    ci = config.cloudinit
    if not ci.on:
        return []
    problems = []
    if ci.storage is None and not config.disks:
        problems.append("--cloudinit-storage: the VM has no disk to take the storage from; name one")
    if ci.upgrade is not None and not server_has("ciupgrade", server_version):
        from pvectl.sdk import _versions
        from pvectl.sdk._core.versions import check_supported

        why = check_supported(CREATE, ["ciupgrade"], server_version, _versions.RELEASES, _versions.TABLE)
        problems.append(f"--ci-upgrade: {why}")
    return problems


def request_problems(plan: Plan, config: VmConfig, client: ProxmoxClient) -> list[str]:
    """What the SDK's schema check would refuse in each planned request, named by the flag that set it."""
    from pvectl.sdk._core.errors import ValidationError

    problems: list[str] = []
    for request in plan.requests:
        if request.step not in ("create", "ha"):
            continue  # the serial console and start requests carry fixed values
        try:
            _prepare(client, request)
        except ValidationError as exc:
            for param, text in exc.errors.items():
                detail = " ".join(text.replace("invalid format - format error", "").split())
                value = request.params.get(param)
                shown = f" '{value}'" if value is not None and param not in ("net0",) else ""
                flag = "--cloudinit-storage" if str(value).endswith(":cloudinit") else _flag_for(param, config, detail)
                problems.append(f"{flag}:{shown} {detail} (PVE parameter {param})")
    return problems


def _prepare(client: ProxmoxClient, request: PlannedRequest) -> None:
    """The SDK's own encode + schema check of one request (pure: nothing is sent)."""
    from pvectl.sdk._client import _resolve

    key, values = _resolve(client, request.method, request.path)
    client._prepare(key, values, dict(request.params), None)


def server_problems(config: VmConfig, ref: ReferenceData) -> list[str]:
    """What the planned create names that the server lacks: the pool, an explicit ISO volume, the driver ISO."""
    problems: list[str] = []
    node = config.general.node
    if config.general.pool:
        pools = ref.pools()
        if pools.error:
            raise WorkflowError(f"cannot list pools: {pools.error}", FAILURE)
        names = pools.get([])
        if config.general.pool not in names:
            listing = ", ".join(names) or "none"
            problems.append(f"--pool: pool '{config.general.pool}' does not exist (available: {listing})")
    iso = config.os.iso
    if node and config.os.media == "iso" and iso and ":" in iso:
        problem = iso_problem(iso, node, ref)
        if problem:
            problems.append(f"--iso: {problem}")
    virtio = config.os.virtio_iso
    if node and virtio:
        problem = iso_problem(virtio, node, ref)
        if problem:
            problems.append(f"--virtio-iso: {problem}")
    return problems


def iso_problem(volid: str, node: str, ref: ReferenceData) -> str | None:
    """Why an ISO volume (``cephfs:iso/x.iso``) cannot go into a CD drive on ``node``, or None when it can; PVE
    itself refuses an unknown volume only when the create task runs (qemu-server ``create_disks``)."""
    if ":" not in volid:
        return f"'{volid}' is not a volume id like local:iso/virtio-win.iso"
    storage = volid.split(":", 1)[0]
    storages = ref.iso_storages(node)
    if storages.error:
        raise WorkflowError(f"cannot list ISO storages on {node}: {storages.error}", FAILURE)
    if storage not in storages.get([]):
        listing = ", ".join(storages.get([])) or "none"
        return f"storage '{storage}' holds no ISO images on {node} (available: {listing})"
    isos = ref.isos(node, storage)
    if isos.error:
        raise WorkflowError(f"cannot list ISOs on {storage}: {isos.error}", FAILURE)
    if volid.split(",", 1)[0] not in [i.volid for i in isos.get([])]:
        listing = ", ".join(i.filename for i in isos.get([])) or "none"
        return f"'{volid}' does not exist on {node} (available on {storage}: {listing})"
    return None


def _named(problem: Problem) -> str:
    """A rule's problem under the flag that sets the field (``--cpuunits: ...``), else its field path."""
    from pvectl.vm.fields import FIELDS

    flag = next((f.flag for f in FIELDS if f.path == problem.field and f.cli), None)
    return f"--{flag}: {problem.message}" if flag else str(problem)


def cpu_catalog(config: VmConfig, ref: ReferenceData) -> CpuCatalog | None:
    """The node's CPU models, flags and units range when the config needs them checked (None: the common models
    and no flags or units, which every release takes, so nothing is asked)."""
    from pvectl.vm.cpu import needs_server

    c, node = config.cpu, config.general.node
    if not node or not needs_server(c.type, c.flags, c.cpuunits):
        return None
    loaded = ref.cpu(node)
    if loaded.value is None:
        raise WorkflowError(f"cannot load the CPU models of {node}: {loaded.error}", FAILURE)
    return loaded.value


def duplicate_name_check(config: VmConfig, ref: ReferenceData) -> None:
    """WorkflowError (usage, nothing sent) when another guest of the cluster has the new VM's name."""
    name = config.general.name
    if not name:
        return
    guests = ref.guests()
    if guests.error:
        raise WorkflowError(f"cannot list the cluster's VMs: {guests.error}", FAILURE)
    same = sorted(g.vmid for g in guests.get([]) if g.name == name)
    if same:
        ids = ", ".join(map(str, same))
        raise WorkflowError(
            f"--name: '{name}' is already the name of VM {ids} (nothing was sent)",
            USAGE,
            ["give another --name, or --allow-duplicate-name to create a second VM with it"],
        )


def check_and_plan(
    client: ProxmoxClient,
    config: VmConfig,
    *,
    strict: bool,
    strict_defaults: bool = False,
    allow_duplicate_name: bool = False,
) -> tuple[Resolution, Plan]:
    """Resolve derived values, apply every rule, check against the server and the schema, plan the requests.

    A name another VM of the cluster has is refused unless ``allow_duplicate_name`` (PVE itself allows it, but
    then every lookup by that name is ambiguous); ``strict_defaults``: see pvectl.vm.resolve.

    WorkflowError (nothing sent) on a problem. ``--dry-run`` and a real run go through exactly this.
    """
    from pvectl.vm.plan import make_plan
    from pvectl.vm.reference import ReferenceData
    from pvectl.vm.resolve import ResolveError, resolve
    from pvectl.vm.rules import check

    capacity = disk_capacity_problems(config)
    if capacity:
        raise WorkflowError(capacity[0], USAGE, capacity[1:])
    ref = ReferenceData(client)
    try:
        resolution = resolve(config, ref, strict=strict, strict_defaults=strict_defaults)
    except ResolveError as exc:
        raise WorkflowError(str(exc), FAILURE) from exc
    if resolution.missing:
        raise WorkflowError("the server lacks what this VM needs (nothing was sent)", USAGE, resolution.missing)
    if not allow_duplicate_name:
        duplicate_name_check(resolution.config, ref)
    # an automatically chosen id that gets taken meanwhile is the submitter's business (it takes the next one)
    guests = ref.guests()
    if not resolution.auto_vmid and guests.error:
        raise WorkflowError(f"cannot list the cluster's VMs: {guests.error}", FAILURE)
    taken = set() if resolution.auto_vmid else {g.vmid for g in guests.get([])}
    cpu = cpu_catalog(resolution.config, ref)  # the rules then check type, flags and units against the node
    problems = [_named(p) for p in check(resolution.config, taken_vmids=taken, cpu=cpu)]
    problems += server_problems(resolution.config, ref)
    problems += cloudinit_problems(resolution.config, resolution.server_version)
    if cpu is not None:
        resolution.notes += cpu.notes  # e.g. an older release's flags checked against pvectl's own list
    if len(problems) == 1:
        raise WorkflowError(f"{problems[0]} (nothing was sent)", USAGE)
    if problems:
        raise WorkflowError("invalid VM configuration (nothing was sent)", USAGE, problems)
    plan = make_plan(resolution.config, resolution.server_version)
    rejected = request_problems(plan, resolution.config, client)
    if rejected:
        raise WorkflowError(rejected[0] + " (nothing was sent)", USAGE, rejected[1:])
    return resolution, plan


def submit(
    client: ProxmoxClient,
    resolution: Resolution,
    *,
    on_event: Callable[[Event], None] | None = None,
    timeout: float | None = 600,
) -> Outcome:
    """Run the plan; the Outcome says what exists on the server (never raises for server trouble or Ctrl-C)."""
    from pvectl.vm.submit import Submitter

    outcome = Submitter(client, on_event=on_event, task_timeout=timeout).submit(
        resolution.config, resolution.server_version, auto_vmid=resolution.auto_vmid
    )
    outcome.action, outcome.name = "create", resolution.config.general.name  # -o json said null for both
    return outcome
