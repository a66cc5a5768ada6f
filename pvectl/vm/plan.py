"""VmConfig + the server's release -> the exact requests of vm-create.md §4, shown by --dry-run and run by
the submitter."""

from __future__ import annotations

from dataclasses import dataclass, field

from pvectl.sdk import _versions
from pvectl.sdk._core.versions import check_supported
from pvectl.vm.config import VmConfig
from pvectl.vm.encode import CREATE, create_params


@dataclass(frozen=True)
class PlannedRequest:
    """One request of the plan. ``step`` is create, serial, cipassword, cloudinit, ha or start."""

    step: str
    method: str
    path: str
    params: dict[str, str]
    purpose: str
    waits: bool = False  # returns a task the submitter waits for

    @property
    def shown_params(self) -> dict[str, str]:
        """The parameters as plans show them: the cloud-init password masked (only the submitter sends it)."""
        from pvectl.vm.cloudinit import MASKED

        return {k: MASKED if k == "cipassword" else v for k, v in self.params.items()}


@dataclass(frozen=True)
class Plan:
    node: str
    vmid: int
    server_version: str
    requests: list[PlannedRequest]
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "node": self.node,
            "vmid": self.vmid,
            "server_version": self.server_version,
            "requests": [
                {"step": r.step, "method": r.method, "path": r.path, "params": r.shown_params, "purpose": r.purpose}
                for r in self.requests
            ],
            "notes": self.notes,
        }


def server_has(param: str, version: str, op: str = CREATE) -> bool:
    """Whether the PVE release ``version`` knows ``param`` of ``op`` (from the generated version table)."""
    return check_supported(op, [param], version, _versions.RELEASES, _versions.TABLE) is None


def make_plan(config: VmConfig, server_version: str) -> Plan:
    """The requests for a resolved config (node, vmid, disk devices and ISO filled in)."""
    node, vmid = config.general.node, config.general.vmid
    if node is None or vmid is None:
        raise ValueError("resolve node and VM id before planning")
    ha_in_create = server_has("ha-managed", server_version)
    has_ksm = server_has("allow-ksm", server_version)
    notes: list[str] = []
    if not config.memory.ksm and not has_ksm:
        notes.append(f"KSM stays on: PVE {server_version} has no allow-ksm option (it arrives in 9.1)")
    base = f"/nodes/{node}/qemu"
    requests = [
        PlannedRequest(
            "create",
            "POST",
            base,
            create_params(config, ha_in_create=ha_in_create, has_ksm=has_ksm),
            f"create VM {vmid} on {node}",
            waits=True,
        )
    ]
    if config.serial_console:
        requests.append(
            PlannedRequest(
                "serial",
                "PUT",
                f"{base}/{vmid}/config",
                {"serial0": "socket", "vga": "serial0", "digest": "<read just before>"},
                "serial console (the digest of the config read just before guards against concurrent edits)",
            )
        )
    requests += cloudinit_requests(config, server_version, notes)
    if config.general.ha and not ha_in_create:
        state = "started" if config.start else "stopped"
        notes.append(f"PVE {server_version} has no ha-managed: the HA resource is added after the create task")
        requests.append(
            PlannedRequest(
                "ha",
                "POST",
                "/cluster/ha/resources",
                {"sid": f"vm:{vmid}", "state": state},
                f"add VM {vmid} to HA (state {state}; the API default 'started' would boot it)",
            )
        )
    if config.start and not (config.general.ha and not ha_in_create):
        requests.append(PlannedRequest("start", "POST", f"{base}/{vmid}/status/start", {}, "start the VM", waits=True))
    return Plan(node=node, vmid=vmid, server_version=server_version, requests=requests, notes=notes)


def cloudinit_requests(config: VmConfig, server_version: str, notes: list[str]) -> list[PlannedRequest]:
    """After the create: the cloud-init password (a config update, where PVE hashes it) and the image."""
    ci = config.cloudinit
    if not ci.on:
        return []
    base = f"/nodes/{config.general.node}/qemu/{config.general.vmid}"
    out = []
    if ci.secret:
        out.append(
            PlannedRequest(
                "cipassword",
                "PUT",
                f"{base}/config",
                {"cipassword": ci.secret, "digest": "<read just before>"},
                "cloud-init password (PVE hashes it on config updates only, never in the create request)",
            )
        )
    from pvectl.vm.cloudinit import NO_REGENERATE, regenerate_supported

    if regenerate_supported(server_version):
        out.append(PlannedRequest("cloudinit", "PUT", f"{base}/cloudinit", {}, "regenerate the cloud-init image"))
    else:
        notes.append(NO_REGENERATE)
    return out
