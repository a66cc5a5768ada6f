"""Run a plan: create, wait, serial console, HA fallback, start -- and report one explicit outcome."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pvectl.sdk import ApiError, PveError, Task, TaskFailed
from pvectl.vm.actions import enable_serial_console
from pvectl.vm.config import VmConfig
from pvectl.vm.plan import Plan, PlannedRequest, make_plan

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient

MAX_VMID_RETRIES = 5
_TAKEN = re.compile(r"already exists", re.I)

OutcomeKind = Literal["success", "nothing-created", "partial", "task-failed"]
StepState = Literal["pending", "running", "done", "failed"]


@dataclass(frozen=True)
class Event:
    """Progress of one planned request, for spinners and the TUI's submit screen."""

    step: str
    state: StepState
    detail: str = ""


@dataclass
class Outcome:
    kind: OutcomeKind
    vmid: int | None
    node: str | None
    message: str
    done: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    remedies: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # PVE's per-field errors
    log_tail: list[str] = field(default_factory=list)
    plan: Plan | None = None

    @property
    def ok(self) -> bool:
        return self.kind == "success"


REMEDIES = {
    "serial": "pvectl vm serial-console enable {vmid}",
    "ha": "pvectl api cluster ha resources create --sid vm:{vmid} --state stopped",
    "start": "pvectl vm start {vmid}",
}
WHAT = {"serial": "serial console", "ha": "HA resource", "start": "VM start"}


class Submitter:
    """Runs plans against one client. ``on_event`` receives progress; ``poll`` is the task poll interval."""

    def __init__(
        self,
        client: ProxmoxClient,
        *,
        on_event: Callable[[Event], None] | None = None,
        poll: float = 0.5,
        task_timeout: float | None = 600,
    ) -> None:
        self.client = client
        self.on_event = on_event or (lambda event: None)
        self.poll = poll
        self.task_timeout = task_timeout

    def _emit(self, step: str, state: StepState, detail: str = "") -> None:
        self.on_event(Event(step, state, detail))

    def _wait(self, step: str, upid: Any) -> None:
        task = Task(self.client, str(upid))

        def progress(status: Mapping[str, Any]) -> None:
            self._emit(step, "running", str(status.get("status", "")))

        task.wait(timeout=self.task_timeout, poll=self.poll, on_progress=progress)

    def submit(self, config: VmConfig, server_version: str, *, auto_vmid: bool) -> Outcome:
        """Create the VM described by a resolved ``config``."""
        plan = make_plan(config, server_version)
        for attempt in range(MAX_VMID_RETRIES + 1):
            outcome = self._create(plan)
            if outcome is None:
                break
            if outcome.kind == "nothing-created" and _TAKEN.search(outcome.message) and auto_vmid:
                if attempt == MAX_VMID_RETRIES:
                    return outcome
                # /cluster/nextid does not reserve the id: someone took it; take the next one.
                nextid = int(self.client.request("GET", "/cluster/nextid"))
                config = config.model_copy(deep=True)
                config.general.vmid = nextid
                plan = make_plan(config, server_version)
                self._emit("create", "pending", f"VM id taken meanwhile; retrying with {nextid}")
                continue
            if outcome.kind == "nothing-created" and _TAKEN.search(outcome.message):
                outcome.message += " (choose another --vmid, or leave it out to take the next free one)"
            return outcome
        return self._after_create(plan)

    def _create(self, plan: Plan) -> Outcome | None:
        create = plan.requests[0]
        self._emit("create", "running", create.purpose)
        try:
            upid = self.client.request(create.method, create.path, create.params)
        except ApiError as exc:
            self._emit("create", "failed", exc.message)
            return Outcome("nothing-created", None, plan.node, exc.message, errors=exc.errors, plan=plan)
        except PveError as exc:
            self._emit("create", "failed", str(exc))
            return Outcome("nothing-created", None, plan.node, str(exc), plan=plan)
        try:
            self._wait("create", upid)
        except TaskFailed as exc:
            self._emit("create", "failed", exc.exitstatus)
            return Outcome(
                "task-failed",
                plan.vmid,
                plan.node,
                f"create task failed: {exc.exitstatus}",
                log_tail=exc.log_tail,
                plan=plan,
            )
        except PveError as exc:
            self._emit("create", "failed", str(exc))
            return Outcome("partial", plan.vmid, plan.node, f"lost track of the create task: {exc}", plan=plan)
        self._emit("create", "done", f"VM {plan.vmid} created on {plan.node}")
        return None

    def _after_create(self, plan: Plan) -> Outcome:
        done = ["create"]
        for i, request in enumerate(plan.requests[1:], start=1):
            self._emit(request.step, "running", request.purpose)
            try:
                self._run(plan, request)
            except PveError as exc:
                message = exc.message if isinstance(exc, ApiError) else str(exc)
                self._emit(request.step, "failed", message)
                rest = [r.step for r in plan.requests[i:]]
                return Outcome(
                    "partial",
                    plan.vmid,
                    plan.node,
                    f"VM {plan.vmid} exists on {plan.node}, but the {WHAT[request.step]} step failed: {message}",
                    done=done,
                    missing=[WHAT[s] for s in rest],
                    remedies=[REMEDIES[s].format(vmid=plan.vmid) for s in rest],
                    errors=exc.errors if isinstance(exc, ApiError) else {},
                    plan=plan,
                )
            self._emit(request.step, "done")
            done.append(request.step)
        return Outcome("success", plan.vmid, plan.node, f"VM {plan.vmid} created on {plan.node}", done=done, plan=plan)

    def _run(self, plan: Plan, request: PlannedRequest) -> None:
        if request.step == "serial":
            enable_serial_console(self.client, plan.node, plan.vmid)
            return
        result = self.client.request(request.method, request.path, request.params)
        if request.waits:
            self._wait(request.step, result)
