"""A resolved CtConfig -> the exact requests of ``ct create``: the template download when asked for, the create
call, the start; ``--dry-run`` prints them, the submitter sends them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pvectl.ct.config import MASKED, CtConfig
from pvectl.ct.encode import create_params
from pvectl.vm.plan import Plan, PlannedRequest

SECRET_PARAMS = ("password",)


@dataclass(frozen=True)
class CtPlan:
    """``pull`` (a ``POST …/aplinfo``) runs first when the template is not on the node; ``plan`` holds the create
    and the start, as the shared submitter runs them."""

    plan: Plan
    pull: PlannedRequest | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def node(self) -> str:
        return self.plan.node

    @property
    def vmid(self) -> int:
        return self.plan.vmid

    @property
    def requests(self) -> list[PlannedRequest]:
        return ([self.pull] if self.pull else []) + self.plan.requests

    def as_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "vmid": self.vmid,
            "server_version": self.plan.server_version,
            "requests": [
                {
                    "step": r.step,
                    "method": r.method,
                    "path": r.path,
                    "params": {k: MASKED if k in SECRET_PARAMS else v for k, v in r.params.items()},
                    "purpose": r.purpose,
                }
                for r in self.requests
            ],
            "notes": [*self.notes, *self.plan.notes],
        }


def make_plan(config: CtConfig, server_version: str) -> Plan:
    """The create (and start) requests of a resolved config."""
    node, vmid = config.node, config.vmid
    if node is None or vmid is None:
        raise ValueError("resolve node and id before planning")
    base = f"/nodes/{node}/lxc"
    requests = [
        PlannedRequest("create", "POST", base, create_params(config), f"create CT {vmid} on {node}", waits=True)
    ]
    if config.start:
        # separate from the create task: PVE's create_vm starts inside the same task, so a failed start would
        # report a failed create for a container that exists
        requests.append(PlannedRequest("start", "POST", f"{base}/{vmid}/status/start", {}, "start the CT", waits=True))
    return Plan(node=node, vmid=vmid, server_version=server_version, requests=requests)


def pull_request(node: str, storage: str, template: str) -> PlannedRequest:
    return PlannedRequest(
        "pull",
        "POST",
        f"/nodes/{node}/aplinfo",
        {"storage": storage, "template": template},
        f"download the template {template} to {storage} (as pveam download)",
        waits=True,
    )
