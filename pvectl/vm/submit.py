"""Run a plan: create, wait, serial console, HA fallback, start -- and report what really happened.

Writes are never sent twice. When an answer is lost the server is asked (pvectl.vm.reconcile); Ctrl-C while
waiting leaves the task running and says so (kind ``interrupted``, with the UPID and the commands to finish).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pvectl.guest.outcome import CONNECTION  # the server unreachable
from pvectl.sdk import ApiError, PveError, TaskFailed, TaskTimeout
from pvectl.sdk._core.answers import UnexpectedAnswer
from pvectl.sdk._core.task import MAX_POLL, TRANSIENT_FOR, Task, TaskLost
from pvectl.sdk._core.upid import is_upid
from pvectl.vm import reconcile
from pvectl.vm.actions import enable_serial_console, is_ha_request, wait_real_state
from pvectl.vm.cloudinit import set_password
from pvectl.vm.outcome import REMEDIES, WHAT, Outcome, follow, remedy
from pvectl.vm.plan import Plan, PlannedRequest, make_plan

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient

__all__ = ["REMEDIES", "WHAT", "Event", "Outcome", "Submitter"]

MAX_VMID_TRIES = 20  # automatic ids: candidates tried before giving up
VMID_JITTER = 8  # the next candidate is 1..VMID_JITTER above the taken one: racers spread out
MAX_VMID = 999_999_999
FLAG_REMEDY = "choose another --vmid, or leave it out to take the next free one"  # the wizards say it their way
_TAKEN = re.compile(r"already exists", re.I)

StepState = Literal["pending", "running", "done", "failed"]


@dataclass(frozen=True)
class Event:
    """Progress of one planned request, for spinners and the TUI's submit screen."""

    step: str
    state: StepState
    detail: str = ""


class _Stop(Exception):
    """Ends the run with an outcome (raised from deep inside a step)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome


class Submitter:
    """Runs plans against one client. ``on_event`` receives progress; ``poll`` caps the task poll interval;
    ``task_timeout`` bounds each task wait (None: no bound); ``reconcile_budget`` bounds the checks after a
    lost answer."""

    def __init__(
        self,
        client: ProxmoxClient,
        *,
        on_event: Callable[[Event], None] | None = None,
        poll: float = MAX_POLL,
        task_timeout: float | None = 600,
        transient_for: float = TRANSIENT_FOR,
        reconcile_budget: float = reconcile.BUDGET,
    ) -> None:
        self.client = client
        self.on_event = on_event or (lambda event: None)
        self.poll = poll
        self.task_timeout = task_timeout
        self.transient_for = transient_for
        self.reconcile_budget = reconcile_budget
        self._step = "create"
        self._upid: str | None = None
        self._create_upid: str | None = None
        self._done: list[str] = []

    # -- what differs between guest kinds (pvectl.ct.submit overrides these for containers) ----------------

    kind = "qemu"  # PVE's path segment and reconcile's guest kind
    noun = "VM"  # how messages name the guest
    command = "vm"  # the pvectl noun remedies name

    def make_plan(self, config: Any, server_version: str) -> Plan:
        return make_plan(config, server_version)

    def with_vmid(self, config: Any, vmid: int) -> Any:
        """A copy of ``config`` with another guest id (the automatic id was taken meanwhile)."""
        config = config.model_copy(deep=True)
        config.general.vmid = vmid
        return config

    def what(self, step: str) -> str:
        return WHAT[step]

    def remedy(self, step: str, vmid: int, node: str) -> str:
        return remedy(step, vmid, node)

    def _emit(self, step: str, state: StepState, detail: str = "") -> None:
        self.on_event(Event(step, state, detail))

    def _wait(self, step: str, upid: str) -> None:
        def progress(status: Mapping[str, Any]) -> None:
            self._emit(step, "running", str(status.get("status", "")))

        self._upid = upid
        Task(self.client, upid).wait(
            timeout=self.task_timeout, poll=self.poll, on_progress=progress, transient_for=self.transient_for
        )

    # -- the run ------------------------------------------------------------------------------------------

    def submit(self, config: Any, server_version: str, *, auto_vmid: bool) -> Outcome:
        """Create the guest described by a resolved ``config`` (a VmConfig here)."""
        plan = self.make_plan(config, server_version)
        self._step, self._upid, self._done = "create", None, []
        try:
            try:
                for attempt in range(MAX_VMID_TRIES):
                    outcome = self._create(plan)
                    if outcome is None:
                        break
                    taken = outcome.kind == "nothing-created" and _TAKEN.search(outcome.message) is not None
                    if taken and auto_vmid and attempt < MAX_VMID_TRIES - 1 and plan.vmid < MAX_VMID - VMID_JITTER:
                        # /cluster/nextid does not reserve the id and would answer the same one to every racer:
                        # take a candidate above the taken one, spread by jitter so racers stop colliding
                        candidate = plan.vmid + 1 + random.randrange(VMID_JITTER)
                        config = self.with_vmid(config, candidate)
                        plan = self.make_plan(config, server_version)
                        self._emit("create", "pending", f"{self.noun} id taken meanwhile; trying {candidate}")
                        self.client.clock.sleep(random.uniform(0, 0.02 * (attempt + 1)))
                        continue
                    if taken and not auto_vmid:
                        # the request was sent and refused: exit 1 as any refusal (2 says nothing was sent)
                        outcome.message += f" ({FLAG_REMEDY})"
                        outcome.errors.setdefault("vmid", f"VM {plan.vmid} was taken meanwhile by another VM")
                    return outcome
                self._done.append("create")
                return self._after_create(plan)
            except KeyboardInterrupt:
                return self.interrupted(plan)
        except _Stop as stop:
            return stop.outcome

    def _left(self, plan: Plan) -> tuple[list[str], list[str]]:
        """Missing things and their remedies, for the follow-up steps not done."""
        steps = [r.step for r in plan.requests if r.step != "create" and r.step not in self._done]
        return [self.what(s) for s in steps], [self.remedy(s, plan.vmid, plan.node) for s in steps]

    def send(self, plan: Plan, request: PlannedRequest) -> Any:
        """One request of the plan through its typed SDK method, with its parameters as planned: the create
        (``POST /nodes/{node}/qemu`` or ``…/lxc``), the start, the cloud-init image, the HA resource."""
        from pvectl.guest.api import guest_api
        from pvectl.guest.wire import typed

        node: Any = self.client.nodes(plan.node)
        guest = guest_api(self.client, plan.node, plan.vmid, self.kind)
        if request.step == "create":
            call = (node.lxc if self.kind == "lxc" else node.qemu).create
        elif request.step == "start":
            call = guest.status.start
        elif request.step == "cloudinit":  # QEMU only
            call = guest.cloudinit.set
        elif request.step == "ha":
            call = self.client.cluster.ha.resources.create
        else:
            raise ValueError(f"no typed call for the plan step {request.step!r}")
        return typed(call, request.params)

    # -- step 1: the create request and its task ----------------------------------------------------------

    def _create(self, plan: Plan) -> Outcome | None:
        create = plan.requests[0]
        self._step, self._upid = "create", None
        self._emit("create", "running", create.purpose)
        try:
            answer = self.send(plan, create)
            if not isinstance(answer, str) or not is_upid(answer):
                raise UnexpectedAnswer(f"{create.method} {create.path}", answer, "a task id (UPID)")
        except KeyboardInterrupt as exc:
            return self._lost_create(plan, exc)
        except PveError as exc:
            if reconcile.ambiguous(exc):
                return self._lost_create(plan, exc)
            message = exc.message if isinstance(exc, ApiError) else str(exc)
            self._emit("create", "failed", message)
            if reconcile.not_sent(exc):
                message = f"nothing was created: could not reach the server ({message})"
            outcome = Outcome(
                "nothing-created",
                None,
                plan.node,
                message,
                errors=exc.errors if isinstance(exc, ApiError) else {},
                plan=plan,
            )
            if reconcile.not_sent(exc):
                outcome.code = CONNECTION
            return outcome
        return self._follow_create(plan, answer)

    def _follow_create(self, plan: Plan, upid: str) -> Outcome | None:
        self._create_upid = upid
        try:
            self._wait("create", upid)
        except TaskFailed as exc:
            self._emit("create", "failed", exc.exitstatus)
            return Outcome(
                "task-failed",
                plan.vmid,
                plan.node,
                f"create task failed: {exc.exitstatus}",
                upid=upid,
                log_tail=exc.log_tail,
                plan=plan,
            )
        except (TaskLost, TaskTimeout, PveError) as exc:
            self._emit("create", "failed", str(exc))
            missing, remedies = self._left(plan)
            why = {
                TaskLost: "its status could not be read",
                TaskTimeout: "it was still running when the wait ended",
            }.get(type(exc), f"following it failed: {exc}")
            return Outcome(
                "unknown",
                plan.vmid,
                plan.node,
                f"{self.noun} {plan.vmid} is being created on {plan.node}, but {why}; the task goes on on the server",
                upid=upid,
                missing=[f"{self.noun} (creation not confirmed)", *missing],
                remedies=[follow(upid), *remedies],
                checked=[str(exc)],
                plan=plan,
            )
        self._emit("create", "done", f"{self.noun} {plan.vmid} created on {plan.node}")
        return None

    def _lost_create(self, plan: Plan, exc: BaseException) -> Outcome | None:
        """The create's answer is lost: ask the server what happened, then carry on from there."""
        loss = reconcile.describe_loss(exc)
        self._emit("create", "running", f"{loss}; asking the server whether VM {plan.vmid} was created")
        budget = min(self.reconcile_budget, 5.0) if isinstance(exc, KeyboardInterrupt) else self.reconcile_budget
        name = plan.requests[0].params.get(reconcile.NAME_KEY[self.kind])
        found = reconcile.find_create(self.client, plan.node, plan.vmid, name, budget=budget, kind=self.kind)
        missing, remedies = self._left(plan)
        if found.state == "foreign":
            self._emit("create", "failed", f"{self.noun} {plan.vmid} already exists (another guest)")
            return Outcome(
                "nothing-created",
                None,
                plan.node,
                f"{self.noun} {plan.vmid} already exists with another name ({loss})",
                checked=found.checked,
                plan=plan,
            )
        if found.state != "exists":
            self._emit("create", "failed", loss)
            check = [f"pvectl {self.command} show {plan.vmid}", f"pvectl task list --node {plan.node}"]
            seen = (
                f"shows no {self.noun} and no create task for it" if found.state == "absent" else "could not be asked"
            )
            outcome = Outcome(
                "unknown",
                plan.vmid,
                plan.node,
                f"the create request for {self.noun} {plan.vmid} on {plan.node} may or may not have been carried out: "
                f"{loss}; the server {seen}",
                missing=[f"{self.noun} {plan.vmid} (not confirmed)", *missing],
                remedies=check,
                checked=found.checked,
                plan=plan,
            )
            if isinstance(exc, KeyboardInterrupt):
                outcome.kind = "interrupted"
            return outcome
        if isinstance(exc, KeyboardInterrupt):
            self._upid = found.upid
            raise _Stop(self.interrupted(plan, checked=found.checked))
        if found.upid is not None:
            return self._follow_create(plan, found.upid)
        if found.locked:
            return Outcome(
                "unknown",
                plan.vmid,
                plan.node,
                f"{self.noun} {plan.vmid} exists on {plan.node} but is still locked by its create task, which was "
                f"not found ({loss})",
                missing=[f"{self.noun} (creation not confirmed)", *missing],
                remedies=[f"pvectl {self.command} show {plan.vmid}", *remedies],
                checked=found.checked,
                plan=plan,
            )
        self._emit("create", "done", f"{self.noun} {plan.vmid} created on {plan.node} (confirmed after: {loss})")
        return None

    # -- the follow-up steps ------------------------------------------------------------------------------

    def _after_create(self, plan: Plan) -> Outcome:
        for request in plan.requests[1:]:
            self._step, self._upid = request.step, None
            self._emit(request.step, "running", request.purpose)
            try:
                self._run(plan, request)
            except KeyboardInterrupt:
                raise
            except PveError as exc:
                if not (reconcile.ambiguous(exc) and self._confirmed(plan, request)):
                    return self._partial(plan, request, exc)
            self._emit(request.step, "done")
            self._done.append(request.step)
        message = f"{self.noun} {plan.vmid} created on {plan.node}"
        return Outcome(
            "created", plan.vmid, plan.node, message, upid=self._create_upid, done=list(self._done), plan=plan
        )

    def _confirmed(self, plan: Plan, request: PlannedRequest) -> bool:
        """After a lost answer to a follow-up write: did it happen? (compare, never resend)"""
        if request.step == "serial":
            return reconcile.serial_console_set(self.client, plan.node, plan.vmid) is True
        if request.step == "ha":
            return reconcile.ha_resource_exists(self.client, plan.vmid) is True
        if request.step == "start" and self._upid is None:
            return reconcile.vm_running(self.client, plan.node, plan.vmid, kind=self.kind) is True
        return False

    def _partial(self, plan: Plan, request: PlannedRequest, exc: PveError) -> Outcome:
        message = exc.message if isinstance(exc, ApiError) else str(exc)
        self._emit(request.step, "failed", message)
        missing, remedies = self._left(plan)
        if self._upid is not None and request.step == "start" and not isinstance(exc, TaskFailed):
            remedies = [follow(self._upid), *remedies[1:]]  # the start task may still be running
        verb = "could not be confirmed" if reconcile.ambiguous(exc) else "failed"
        return Outcome(
            "partial",
            plan.vmid,
            plan.node,
            f"{self.noun} {plan.vmid} exists on {plan.node}, but the {self.what(request.step)} step {verb}: {message}",
            upid=self._upid,
            done=list(self._done),
            missing=missing,
            remedies=remedies,
            errors=exc.errors if isinstance(exc, ApiError) else {},
            log_tail=exc.log_tail if isinstance(exc, TaskFailed) else [],
            plan=plan,
        )

    def _run(self, plan: Plan, request: PlannedRequest) -> None:
        if request.step == "serial":
            enable_serial_console(self.client, plan.node, plan.vmid)
            return
        if request.step == "cipassword":  # the digest is read just before, as for the serial console
            set_password(self.client, plan.node, plan.vmid, str(request.params["cipassword"]))
            return
        result = self.send(plan, request)
        if request.waits:
            if not isinstance(result, str) or not is_upid(result):
                raise UnexpectedAnswer(f"{request.method} {request.path}", result, "a task id (UPID)")
            self._wait(request.step, result)
            if request.step == "start" and is_ha_request(result):  # 'hastart' only asked the HA stack
                self._emit(request.step, "running", "waiting for the HA stack to start it")
                wait_real_state(self.client, plan.node, plan.vmid, "running", self.task_timeout)

    # -- Ctrl-C ---------------------------------------------------------------------------------------------

    def interrupted(self, plan: Plan, checked: list[str] | None = None) -> Outcome:
        """Ctrl-C while waiting: the task goes on; say what is done, what is left and how to finish."""
        missing, remedies = self._left(plan)
        upid = self._upid
        if self._step == "create":
            state = f"{self.noun} {plan.vmid} is being created on {plan.node}"
            verb = "is" if len(missing) == 1 else "are"
            what_left = f"; its {', '.join(missing)} {verb} not done yet" if missing else ""
        else:
            state = f"{self.noun} {plan.vmid} exists on {plan.node}; the {self.what(self._step)} step was under way"
            what_left = f"; not done yet: {', '.join(missing)}" if missing else ""
        goes_on = f" (the task goes on on the server: {upid})" if upid else ""
        first = [follow(upid)] if upid else [f"pvectl {self.command} show {plan.vmid}"]
        if upid and self._step != "create":
            remedies = remedies[1:]  # following the running step's task finishes it
        return Outcome(
            "interrupted",
            plan.vmid,
            plan.node,
            f"interrupted: {state}{goes_on}{what_left}",
            upid=upid,
            done=list(self._done),
            missing=missing,
            remedies=[*first, *remedies],
            checked=checked or [],
            plan=plan,
        )
