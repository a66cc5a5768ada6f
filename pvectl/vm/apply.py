"""Apply VM files (``pvectl apply``): create the VMs that are missing (the create workflow: same checks, outcome
model, serial console and HA as ``vm create``), update the ones that differ (the update engine, as ``vm set``), and
with a selector prune the matching VMs the file does not name.

Everything is checked first and only GETs are sent until then: a document that cannot be read, a create that
``vm create`` would refuse, or a change PVE cannot make in place stops the run with nothing sent. A VM already as
the file says gets no request at all, so a second apply of the same file sends only GETs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pvectl.sdk._core.errors import ApiError
from pvectl.vm.bulk import Result
from pvectl.vm.lookup import VmRef
from pvectl.vm.outcome import Outcome

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.diff import VmDiff
    from pvectl.vm.resolve import Resolution
    from pvectl.vm.submit import Event


class ApplyRefused(ValueError):
    """Something in the file cannot be applied; nothing was sent. ``details``: one line per problem."""

    def __init__(self, message: str, details: list[str]) -> None:
        super().__init__(message)
        self.details = details


@dataclass
class Step:
    """One VM of the file and what applying it takes."""

    diff: VmDiff
    resolution: Resolution | None = None  # a create, checked and planned
    ct_create: Any = None  # a container's create, checked and planned: (CtConfig, CtPlan, auto id)

    @property
    def ref(self) -> VmRef:
        """The VM, or for a create the one it will be (its id as resolved)."""
        if self.diff.ref is not None:
            return self.diff.ref
        if self.ct_create is not None:
            ct = self.ct_create[0]
            return VmRef(int(ct.vmid or 0), str(ct.node or ""), str(ct.hostname or ""), "", tuple(ct.tags), {}, "lxc")
        config = self.resolution.config if self.resolution else self.diff.config
        g = config.general if config else None
        return VmRef(
            vmid=int(g.vmid or 0) if g else 0,
            node=str(g.node or "") if g else "",
            name=str(g.name or "") if g else "",
            status="",
            tags=tuple(g.tags) if g else (),
            raw={},
        )


@dataclass
class Prepared:
    steps: list[Step]
    prune: list[VmRef] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def writes(self) -> bool:
        return bool(self.prune) or any(s.diff.action == "create" or _has_writes(s.diff) for s in self.steps)


def _has_writes(diff: VmDiff) -> bool:
    from pvectl.ct.filediff import CtDiff, has_writes

    if isinstance(diff, CtDiff):
        return has_writes(diff)
    return diff.plan is not None and not diff.plan.is_empty()


def prepare(client: ProxmoxClient, diffs: Sequence[VmDiff], prune: Sequence[VmRef] = ()) -> Prepared:
    """Check every VM of the file (GETs only); ApplyRefused lists every problem when one cannot be applied."""
    from pvectl.vm.workflow import WorkflowError, check_and_plan

    problems: list[str] = []
    steps: list[Step] = []
    notes: list[str] = []
    for diff in diffs:
        notes += [f"{diff.title}: {c.key}: {c.note}" for c in diff.changes if c.kind == "skipped"]
        problems += [f"{diff.title}: {c.key}: {c.note}" for c in diff.refused]
        step = Step(diff)
        ct_config = getattr(diff, "ct_config", None)
        if diff.action == "create" and ct_config is not None:  # a container: ct create's checks
            from pvectl.ct.workflow import check_and_plan as check_ct

            try:
                step.ct_create = check_ct(client, ct_config)
                notes += [f"{diff.title}: {note}" for note in step.ct_create[1].notes]
            except WorkflowError as exc:
                problems += [f"{diff.title}: {exc}", *(f"{diff.title}: {d}" for d in exc.details)]
        elif diff.action == "create" and diff.config is not None:
            try:
                step.resolution, plan = check_and_plan(client, diff.config, strict=True)
                notes += [f"{diff.title}: {note}" for note in plan.notes]
            except WorkflowError as exc:
                problems += [f"{diff.title}: {exc}", *(f"{diff.title}: {d}" for d in exc.details)]
        elif diff.action == "change":
            problems += [f"{diff.title}: {problem}" for problem in _invalid_params(client, _writes(diff))]
        steps.append(step)
    if problems:
        raise ApplyRefused("the file cannot be applied as it is (nothing was sent)", problems)
    return Prepared(steps, list(prune), notes)


def _writes(diff: VmDiff) -> list[tuple[str, str, dict[str, Any]]]:
    """The writes a change of an existing guest sends: (method, path, params)."""
    ref, change = diff.ref, getattr(diff, "ct_change", None)
    if ref is None:
        return []
    if change is not None:  # a container: ct set's one config write
        from pvectl.ct.ops import update

        write = update(ref, change.params, change.delete, diff.digest)
        return [(write.method, write.path, write.params)]
    if diff.plan is None:
        return []
    return [
        (m, p, dict(params))
        for m, p, params in diff.plan.requests(ref.node, ref.vmid, diff.digest, running=ref.status == "running")
    ]


def _invalid_params(client: ProxmoxClient, writes: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    """What PVE's schema refuses in the writes a change would send (``memory: -5``, ``name: bad_vm!``), checked
    as the SDK checks them before sending, so apply refuses them up front (and diff reports them) instead of the
    write failing mid-run."""
    from pvectl.sdk._core.errors import ValidationError
    from pvectl.sdk._core.request import prepare

    out: list[str] = []
    for method, path, params in writes:
        found = client.spec.match(path)
        if found is None:
            continue
        template, values = found
        op = client.spec.op(f"{method} {template}")
        try:
            prepare(op, [values[name] for name in op.path_params], params)
        except ValidationError as exc:
            out += [f"{key}: {' '.join(problem.split())}" for key, problem in exc.errors.items()]
    return out


def run_step(
    client: ProxmoxClient, step: Step, *, timeout: float, on_event: Callable[[Event], None] | None = None
) -> Outcome:
    """Create or update one VM; the Outcome says what is true on the server (never raises for server trouble)."""
    from pvectl.vm.update import apply_update
    from pvectl.vm.workflow import submit

    diff, ref = step.diff, step.ref
    if step.resolution is not None:
        return submit(client, step.resolution, timeout=timeout, on_event=on_event)
    if step.ct_create is not None or getattr(diff, "ct_change", None) is not None:
        return _run_ct(client, step, timeout=timeout, on_event=on_event)
    if diff.plan is None or diff.plan.is_empty():
        return Outcome("done", ref.vmid, ref.node, f"{diff.title}: unchanged")
    return apply_update(client, ref, diff.plan, digest=diff.digest, timeout=timeout)


def _run_ct(client: ProxmoxClient, step: Step, *, timeout: float, on_event: Callable[[Event], None] | None) -> Outcome:
    """A container of the file: ct create's workflow, or ct set's one digest-guarded config write."""
    from pvectl.ct import ops
    from pvectl.ct.workflow import submit
    from pvectl.guest.run import execute

    if step.ct_create is not None:
        config, plan, auto = step.ct_create
        return submit(client, config, plan, auto_vmid=auto, on_event=on_event, timeout=timeout)
    change, ref = getattr(step.diff, "ct_change", None), step.ref
    if change is None or change.empty:
        return Outcome("done", ref.vmid, ref.node, f"{step.diff.title}: unchanged", guest="lxc")
    return execute(client, ops.update(ref, change.params, change.delete, step.diff.digest), timeout=timeout)


def run(
    client: ProxmoxClient,
    steps: Sequence[Step],
    *,
    parallel: int,
    timeout: float,
    on_result: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Run every step, at most ``parallel`` at a time, results in file order (pvectl.guest.run.run_many: Ctrl-C
    starts no further VM and leaves at once; the ones under way are reported interrupted, named by the step they
    were in; ``pvectl diff -f`` the file again shows what is left)."""
    from pvectl.guest.run import Job, run_many

    if parallel < 1:
        raise ValueError("parallel must be at least 1")

    def job(step: Step) -> Job:
        def work(client: ProxmoxClient, state: Callable[[str, str], None]) -> Outcome:
            def seen(event: Event) -> None:
                state("job", f"{event.step}: {event.detail}".rstrip(": "))

            return run_step(client, step, timeout=timeout, on_event=seen)

        action = "create" if step.resolution is not None or step.ct_create is not None else "update"
        return Job(step.ref, action, work, title=step.diff.title, remedy="pvectl diff -f FILE (what is left to do)")

    def report(i: int, outcome: Outcome) -> None:
        if on_result is not None:
            on_result(Result(_ref_of(steps[i], outcome), outcome))

    outcomes = run_many(client, [job(step) for step in steps], parallel=parallel, timeout=timeout, on_step=report)
    return [Result(_ref_of(step, outcome), outcome) for step, outcome in zip(steps, outcomes, strict=True)]


def _ref_of(step: Step, outcome: Outcome) -> VmRef:
    """A created VM's id is known only from its outcome (an automatic id may have moved on)."""
    ref = step.ref
    if step.diff.ref is None and outcome.vmid is not None and outcome.vmid != ref.vmid:
        return VmRef(outcome.vmid, outcome.node or ref.node, ref.name, ref.status, ref.tags, ref.raw, ref.kind)
    return ref


def prune_candidates(vms: Sequence[VmRef], selector: str, diffs: Sequence[VmDiff]) -> list[VmRef]:
    """The VMs ``selector`` (``-l`` terms) matches that no document of the file names."""
    from pvectl.vm.selector import Selector

    named = {d.ref.vmid for d in diffs if d.ref is not None}
    return [vm for vm in Selector.build(selectors=[selector]).select(vms) if vm.vmid not in named]


class NotStopped(ApiError):
    """A VM to prune that could not be stopped first (so it was not deleted)."""

    def __init__(self, message: str) -> None:
        super().__init__(0, message)

    def __str__(self) -> str:
        return self.message


def prune(
    client: ProxmoxClient,
    refs: Sequence[VmRef],
    *,
    parallel: int,
    timeout: float,
    on_result: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Delete ``refs`` and their disks. PVE refuses to destroy a running VM ("VM is running - destroy failed",
    qemu-server destroy_vm) and an HA-managed one without purge: a running VM is stopped first (the user agreed
    to delete it), an HA-managed one purged."""
    from pvectl.sdk._core.errors import TaskFailed, TaskTimeout
    from pvectl.sdk._core.task import TaskLost
    from pvectl.vm import bulk
    from pvectl.vm.actions import destroy, is_ha_request, power, wait_real_state

    def submit(ref: VmRef) -> str:
        if ref.status == "running":
            try:
                task = power(client, ref.node, ref.vmid, "stop")
                task.wait(timeout=timeout)
                if is_ha_request(task.upid.raw):  # 'hastop' only asked: destroy refuses a VM still running
                    wait_real_state(client, ref.node, ref.vmid, "stopped", timeout)
            except (TaskFailed, TaskTimeout, TaskLost) as exc:  # nothing deleted: reported as refused
                raise NotStopped(f"not deleted: stopping it first did not end ({exc})") from exc
        return destroy(client, ref.node, ref.vmid, purge=bool(ref.raw.get("hastate"))).upid.raw

    from pvectl.guest.ops.power import task_types

    vms = [r for r in refs if r.kind != "lxc"]
    results = bulk.run(
        client,
        vms,
        submit,
        past="deleted (pruned)",
        parallel=parallel,
        timeout=timeout,
        on_result=on_result,
        action="delete",
        # after an ambiguous answer to the destroy, its qmdestroy task (qemu-server destroy_vm) is looked up
        task_types=lambda ref: task_types(ref, "delete"),
    )
    cts = [r for r in refs if r.kind == "lxc"]
    return results + (_prune_cts(client, cts, parallel=parallel, timeout=timeout, on_result=on_result) if cts else [])


def _prune_cts(
    client: ProxmoxClient,
    refs: Sequence[VmRef],
    *,
    parallel: int,
    timeout: float,
    on_result: Callable[[Result], None] | None,
) -> list[Result]:
    """Containers to prune: a running one is stopped first (pve-container src/PVE/API2/LXC.pm destroy_vm refuses
    a running CT), then deleted with its volumes, on the write runner (the delete of ``ct delete``)."""
    from pvectl.guest.ops.power import delete_write, power_write
    from pvectl.guest.run import Job, execute, run_many

    def job(ref: VmRef) -> Job:
        def work(client: ProxmoxClient, state: Callable[[str, str], None]) -> Outcome:
            if ref.status == "running":
                stopped = execute(client, power_write(ref, "stop"), timeout=timeout, on_state=state)
                if not stopped.ok:
                    stopped.message = f"{stopped.message}; not deleted"
                    return stopped
            return execute(client, delete_write(ref), timeout=timeout, on_state=state)

        return Job(ref, "delete", work)

    def report(i: int, outcome: Outcome) -> None:
        if on_result is not None:
            on_result(Result(refs[i], outcome))

    outcomes = run_many(client, [job(r) for r in refs], parallel=parallel, timeout=timeout, on_step=report)
    return [Result(ref, outcome) for ref, outcome in zip(refs, outcomes, strict=True)]
