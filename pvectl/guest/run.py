"""The one write runner: submit → wait for the task → on an ambiguous answer read the server → an Outcome.

Every write on a guest, single or bulk, goes through :func:`execute`; a bulk run is :func:`run_many`, the same
runner on ``parallel`` worker threads sharing one client. Writes are never sent twice:

- PVE refused (4xx, 500: its API handler died before forking a task): ``failed``, nothing happened.
- The request never left (no connection): ``failed`` with exit code 5 (CONNECTION), nothing happened.
- Ambiguous (lost answer, read timeout, 502/503/504, a 2xx that is not a UPID such as ``{"data": null}``):
  the runner asks the server, in bounded backed-off rounds: is there a task of the write's type for this guest
  in the node's task list, started since the write went out (PVE's ``fork_worker`` registers the task before
  the UPID is answered, pve-common ``src/PVE/RESTEnvironment.pm fork_worker``)? Then that task is followed as
  if its UPID had been answered. Otherwise, does the guest show the target state (``done``)? When the task list
  was readable every round and shows no task, the write did not happen (``failed``, verified); else ``unknown``.
- Waiting: ``Task.wait`` (the SDK's one bounded poll/backoff loop); a task that fails is ``failed`` with its log
  tail, one that outlives ``timeout`` or whose status cannot be read is ``unknown`` with its UPID.

Ctrl-C in a bulk run (a KeyboardInterrupt in the calling thread): nothing new starts, every wait stops within
``CANCEL_CHECK`` seconds, and the outcomes say what is done, what still runs (``interrupted`` with the UPID)
and what was not started (``interrupted`` without UPID, ``missing`` the action); a second Ctrl-C ends the
process at once, quietly, with 130. Workers are daemon threads: the process never waits for them at exit.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pvectl.guest.outcome import CONNECTION, USAGE, GuestKind, Outcome, check, follow, label, word
from pvectl.guest.wire import answer_of

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef

DEFAULT_PARALLEL = 4
RECONCILE_DELAYS = (0.0, 0.3, 0.7, 1.5)  # between rounds of reading the server after an ambiguous answer
RECONCILE_BUDGET = 5.0  # seconds of reading before the answer is unknown
INTERRUPT_BUDGET = 1.0  # the same, after Ctrl-C while the write was in flight
CLOCK_SKEW = 30.0  # seconds a task's starttime (the server's clock) may lie before our send time
GRACE = 0.8  # seconds after Ctrl-C for running waits to stop and name their UPIDs

Reached = Callable[["ProxmoxClient", "VmRef"], "bool | None"]  # is the guest in the target state? None: cannot tell
Then = Callable[["ProxmoxClient", "VmRef"], list[str]]  # follow-up work after the task; returns what it did
State = Callable[[str, str], None]  # (phase, what): "task" UPID, "waiter" label, "then" UPID of the main task


@dataclass
class Write:
    """One planned write on one guest: what is sent (data, shown by --dry-run) and how to judge its answer."""

    ref: VmRef
    action: str  # "start", "delete", "snapshot": names the action in outcomes
    method: str
    path: str
    past: str  # "started": the done message
    task_types: tuple[str, ...]  # PVE's worker types ("qmstart", "hastart"); (): the write answers without a task
    params: dict[str, Any] = field(default_factory=dict)
    reached: Reached | None = None
    then: Then | None = None
    # sends it: the typed SDK call of method/path/params (guest.wire.typed), or a waiter's start (an HA move)
    send: Callable[[ProxmoxClient], Any] = field(kw_only=True)
    sync: bool = False  # PVE answers the write itself (no task): any answer but an error means done
    hint: Callable[[BaseException], list[str]] | None = None  # what to do about a refusal, in words
    # UPIDs of earlier writes of the same workflow (of the same type, on the same guest, moments before): never
    # taken for this write's task after an ambiguous answer (PVE's UPIDs do not say which snapshot a task is about)
    exclude: frozenset[str] = frozenset()

    @property
    def request(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def label(self) -> str:
        return label(self.ref.kind, self.ref.vmid, self.ref.name)

    def going_on(self, upid: str) -> str:
        """The interrupted message: ``interrupted: VM 102 is being started; the task goes on on the server: UPID``."""
        doing = self.past.split(" (")[0]
        who = f"{word(self.ref.kind)} {self.ref.vmid}"
        return f"interrupted: {who} is being {doing}; the task goes on on the server: {upid}"


@dataclass
class Job:
    """A step that is a workflow of its own (a create, a config update): ``run(client, on_state)`` returns its
    outcome and never raises for server trouble; bulk runs give it the same pool and Ctrl-C policy as writes.
    ``on_state("task", UPID)`` lets a Ctrl-C name the task it left running."""

    ref: VmRef
    action: str
    run: Callable[[ProxmoxClient, State], Outcome]
    title: str = ""  # how messages name it (default: the guest's label)
    remedy: str = ""  # what to run after Ctrl-C caught it midway

    @property
    def label(self) -> str:
        return self.title or label(self.ref.kind, self.ref.vmid, self.ref.name)

    def start(self, client: ProxmoxClient, on_state: State, cancelled: Callable[[], bool] | None) -> Outcome:
        """Runs the job; a job that stops its own waits after Ctrl-C (``cancelled`` turns true) overrides this."""
        return self.run(client, on_state)

    def stopped(self, phase: str, what: str) -> Outcome | None:
        """What Ctrl-C left, said by the job itself when it did not report in time (None: the runner's words)."""
        return None


Step = Write | Job | Outcome  # a plan's step: a write, a workflow, or an outcome decided without sending


def outcome(write: Write | Job, kind: Any, message: str, *, bare: bool = False, **fields: Any) -> Outcome:
    """An Outcome about ``write``'s guest; ``message`` follows the guest's label (unless ``bare``)."""
    ref = write.ref
    kind_of: GuestKind = "lxc" if ref.kind == "lxc" else "qemu"
    return Outcome(
        kind,
        ref.vmid,
        ref.node,
        message if bare else f"{write.label}: {message}",
        guest=kind_of,
        action=write.action,
        name=ref.name or None,
        **fields,
    )


def decided(ref: VmRef, action: str, kind: Any, message: str) -> Outcome:
    """An outcome a plan decides without sending anything (``already``, ``skipped``)."""
    kind_of: GuestKind = "lxc" if ref.kind == "lxc" else "qemu"
    return Outcome(
        kind,
        ref.vmid,
        ref.node,
        f"{label(ref.kind, ref.vmid, ref.name)}: {message}",
        guest=kind_of,
        action=action,
        name=ref.name or None,
    )


# -- one write ----------------------------------------------------------------------------------------------------


def execute(
    client: ProxmoxClient,
    step: Step,
    *,
    wait: bool = True,
    timeout: float | None = None,
    cancelled: Callable[[], bool] | None = None,
    on_state: State | None = None,
    budget: float = RECONCILE_BUDGET,
    on_progress: Callable[[Mapping[str, Any]], None] | None = None,
) -> Outcome:
    """Run one step: send the write once, wait for its task, and say what happened (never raises PveError).

    ``send`` may answer a UPID, or a waiter (an object with ``label`` and ``wait(timeout)``: work PVE does without
    a task of its own, such as an HA move). ``on_state(phase, what)`` tells a bulk run where the step is: "task"
    (its UPID), "waiter" (its label), "then" (the follow-up runs); ``on_progress`` gets each status read of the
    task (a spinner's refresh)."""
    from pvectl.guest.answers import ambiguous, not_sent
    from pvectl.sdk._core.errors import PveError, ValidationError
    from pvectl.sdk._core.upid import is_upid

    if isinstance(step, Outcome):
        return step
    if isinstance(step, Job):
        return step.start(client, on_state or (lambda phase, what: None), cancelled)
    write = step
    sent_at = time.time()
    try:
        answer = answer_of(write.send(client))
    except KeyboardInterrupt as exc:
        return _after_loss(client, write, exc, sent_at, INTERRUPT_BUDGET, interrupted=True)
    except PveError as exc:
        if isinstance(exc, ValidationError):  # checked against the schema before sending: nothing left
            return outcome(write, "failed", f"not sent: {exc}", code=USAGE)
        if not_sent(exc):
            return outcome(write, "failed", f"could not reach the server; nothing was sent ({exc})", code=CONNECTION)
        if not ambiguous(exc):
            hints = write.hint(exc) if write.hint is not None else []
            return outcome(write, "failed", f"refused: {exc}", hints=hints)
        return _after_loss(client, write, exc, sent_at, budget, wait=wait, timeout=timeout, cancelled=cancelled)
    if write.sync:
        return _finish(client, write, outcome(write, "done", write.past), on_state)
    if not isinstance(answer, str) and hasattr(answer, "wait") and hasattr(answer, "label"):
        return _follow_waiter(client, write, answer, timeout=timeout, wait=wait, on_state=on_state)
    if not is_upid(answer):
        from pvectl.sdk._core.answers import UnexpectedAnswer

        odd = UnexpectedAnswer(write.request, answer, "a task id (UPID)")
        return _after_loss(client, write, odd, sent_at, budget, wait=wait, timeout=timeout, cancelled=cancelled)
    upid = str(answer)
    if on_state is not None:
        on_state("task", upid)
    if not wait:
        return outcome(write, "done", f"task sent: {upid}", upid=upid, remedies=[follow(upid)])
    return follow_task(
        client, write, upid, timeout=timeout, cancelled=cancelled, on_state=on_state, on_progress=on_progress
    )


def _follow_waiter(
    client: ProxmoxClient, write: Write, waiter: Any, *, timeout: float | None, wait: bool, on_state: State | None
) -> Outcome:
    """Wait for work PVE does without a task id (``waiter``); it cannot be cancelled, only abandoned."""
    from pvectl.sdk._core.errors import PveError, TaskFailed, TaskTimeout

    label = str(waiter.label)
    if on_state is not None:
        on_state("waiter", label)
    if not wait:
        return outcome(write, "done", f"sent: {label}", remedies=[check(write.ref.kind, write.ref.vmid)])
    try:
        waiter.wait(timeout)
    except KeyboardInterrupt:
        return outcome(write, "interrupted", f"interrupted; it goes on on the server: {label}",
                       missing=[write.action], remedies=[check(write.ref.kind, write.ref.vmid)])  # fmt: skip
    except TaskFailed as exc:
        return outcome(
            write, "failed", f"{write.action} failed: {exc.exitstatus}", upid=exc.upid, log_tail=exc.log_tail
        )
    except TaskTimeout as exc:
        return outcome(write, "unknown", f"{label} still goes on after {exc.timeout:g}s",
                       remedies=[check(write.ref.kind, write.ref.vmid)])  # fmt: skip
    except PveError as exc:
        return outcome(write, "unknown", f"{label}: could not follow it ({exc})",
                       remedies=[check(write.ref.kind, write.ref.vmid)])  # fmt: skip
    return _finish(client, write, outcome(write, "done", write.past), on_state)


def follow_task(
    client: ProxmoxClient,
    write: Write,
    upid: str,
    *,
    timeout: float | None,
    cancelled: Callable[[], bool] | None = None,
    checked: Sequence[str] = (),
    on_state: State | None = None,
    on_progress: Callable[[Mapping[str, Any]], None] | None = None,
) -> Outcome:
    """Wait for ``upid`` (the SDK's bounded poll loop) and turn how it ended into an outcome."""
    from pvectl.sdk import Task
    from pvectl.sdk._core.errors import PveError, TaskFailed, TaskTimeout
    from pvectl.sdk._core.task import WaitCancelled
    from pvectl.vm.actions import settle

    try:
        Task(client, upid).wait(timeout=timeout, cancelled=cancelled, on_progress=on_progress)
        settle(client, upid, timeout, kind=write.ref.kind)  # an HA start/stop task only filed the request
    except (WaitCancelled, KeyboardInterrupt):
        return outcome(
            write,
            "interrupted",
            write.going_on(upid),
            bare=True,
            upid=upid,
            missing=[write.action],
            remedies=[follow(upid)],
            checked=list(checked),
        )
    except TaskFailed as exc:
        return outcome(write, "failed", f"{write.action} failed: {exc.exitstatus}", upid=upid, log_tail=exc.log_tail)
    except TaskTimeout as exc:
        why = f"the task still runs after {exc.timeout:g}s; it goes on on the server"
        return outcome(write, "unknown", why, upid=upid, remedies=[follow(upid)], checked=list(checked))
    except PveError as exc:  # TaskLost, an unreadable status: the task may have ended either way
        why = f"its task's status could not be read ({exc}); it may go on on the server"
        return outcome(write, "unknown", why, upid=upid, remedies=[follow(upid)], checked=list(checked))
    done = outcome(write, "done", write.past, upid=upid, checked=list(checked))
    return _finish(client, write, done, on_state)


def _finish(client: ProxmoxClient, write: Write, done: Outcome, on_state: State | None = None) -> Outcome:
    """``write.then`` after the task succeeded: what it did lands in ``done``; an error in it makes it partial."""
    from pvectl.sdk._core.errors import PveError

    if write.then is None:
        return done
    if on_state is not None:
        on_state("then", done.upid or "")
    try:
        done.done.extend(write.then(client, write.ref))
    except PveError as exc:
        done.kind = "partial"
        done.message = f"{done.message}, then: {exc}"
        done.missing.append(str(exc))
    return done


# -- after an ambiguous answer: read the server, never send again -------------------------------------------------


@dataclass
class Found:
    verdict: Literal["task", "reached", "absent", "unknown"]
    upid: str | None = None
    checked: list[str] = field(default_factory=list)


def find_task(client: ProxmoxClient, write: Write, since: float, checked: list[str]) -> str | Literal[False] | None:
    """The newest task of ``write``'s types for its guest started since ``since``; None if there is none,
    False if a task list could not be read."""
    found: str | Literal[False] | None = None
    for task_type in write.task_types:
        upid = _find_task(client, write, task_type, since, checked)
        if isinstance(upid, str):
            return upid
        if upid is False:
            found = False
    return found


def _find_task(
    client: ProxmoxClient, write: Write, task_type: str, since: float, checked: list[str]
) -> str | Literal[False] | None:
    from pvectl.sdk._core.errors import PveError
    from pvectl.sdk._core.upid import is_upid

    ref = write.ref
    path = f"/nodes/{ref.node}/tasks"
    try:
        rows = client.nodes(ref.node).tasks.list(vmid=ref.vmid, typefilter=task_type, source="all", limit=50)
    except PveError as exc:
        checked.append(f"GET {path}: {exc}")
        return False
    if not isinstance(rows, list):  # the SDK hands back what it could not read as rows: not a task list
        checked.append(f"GET {path}: an answer that is not a task list")
        return False
    ours = [
        (str(row.upid), _number(row.starttime))
        for row in rows
        if getattr(row, "type_", None) == task_type
        and str(getattr(row, "id_", "")) == str(ref.vmid)
        and is_upid(getattr(row, "upid", None))
        and str(row.upid) not in write.exclude
        and _number(getattr(row, "starttime", None)) >= since - CLOCK_SKEW
    ]
    if not ours:
        checked.append(f"GET {path}: no {task_type} task for {ref.vmid} since the write")
        return None
    newest = max(ours, key=lambda pair: pair[1])[0]
    checked.append(f"GET {path}: {task_type} task {newest}")
    return newest


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def reconcile(client: ProxmoxClient, write: Write, since: float, budget: float) -> Found:
    """Read the server in bounded, backed-off rounds until it tells whether ``write`` happened."""
    from pvectl.sdk._core.backoff import Poll

    checked: list[str] = []
    if not write.task_types and write.reached is None:
        return Found("unknown", checked=["nothing tells whether this write happened: no task type, no state"])
    absent_every_round = True
    # the first round at once, the next ones after RECONCILE_DELAYS[1:], none that would end past the budget
    rounds = Poll(
        client.clock, timeout=budget, delays=RECONCILE_DELAYS[1:], tries=len(RECONCILE_DELAYS), last_look=False
    )
    while rounds.next_try():
        found = find_task(client, write, since, checked) if write.task_types else None
        if isinstance(found, str):
            return Found("task", found, checked)
        absent_every_round = absent_every_round and found is None
        if write.reached is not None:
            reached = write.reached(client, write.ref)
            checked.append(
                f"{write.ref.kind} {write.ref.vmid} {'is' if reached else 'is not'} {write.past}"
                if reached is not None
                else f"the state of {write.ref.vmid} could not be read"
            )
            if reached:
                return Found("reached", checked=checked)
    if write.task_types and absent_every_round:
        return Found("absent", checked=checked)
    return Found("unknown", checked=checked)


def _after_loss(
    client: ProxmoxClient,
    write: Write,
    exc: BaseException,
    since: float,
    budget: float,
    *,
    interrupted: bool = False,
    wait: bool = True,
    timeout: float | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Outcome:
    from pvectl.guest.answers import describe_loss

    loss = describe_loss(exc)
    found = reconcile(client, write, since, budget)
    found.checked.insert(0, loss)
    if found.verdict == "task" and found.upid is not None:
        if interrupted:
            message = write.going_on(found.upid)
            return outcome(write, "interrupted", message, bare=True, upid=found.upid, checked=found.checked,
                           missing=[write.action], remedies=[follow(found.upid)])  # fmt: skip
        if not wait:
            message = f"task sent: {found.upid}"
            return outcome(
                write, "done", message, upid=found.upid, checked=found.checked, remedies=[follow(found.upid)]
            )
        return follow_task(client, write, found.upid, timeout=timeout, cancelled=cancelled, checked=found.checked)
    if found.verdict == "reached":
        return _finish(
            client, write, outcome(write, "done", f"{write.past} ({loss}; the server shows it)", checked=found.checked)
        )
    if found.verdict == "absent" and not interrupted:
        types = " or ".join(write.task_types)
        message = f"not {write.past}: {loss}, and the server shows no {types} task for it (nothing happened)"
        return outcome(write, "failed", message, checked=found.checked)
    kind = "interrupted" if interrupted and found.verdict == "absent" else "unknown"
    message = f"{loss}; the server could not tell whether it was {write.past}"
    if kind == "interrupted":
        message = f"not {write.past}: interrupted before the server started a task"
    return outcome(
        write,
        kind,
        message,
        checked=found.checked,
        missing=[write.action] if kind == "interrupted" else [],
        remedies=[check(write.ref.kind, write.ref.vmid)],
    )


# -- many writes ---------------------------------------------------------------------------------------------------


def run_many(
    client: ProxmoxClient,
    steps: Sequence[Step],
    *,
    parallel: int = DEFAULT_PARALLEL,
    wait: bool = True,
    timeout: float | None = None,
    on_result: Callable[[Outcome], None] | None = None,
    budget: float = RECONCILE_BUDGET,
    on_step: Callable[[int, Outcome], None] | None = None,
) -> list[Outcome]:
    """Run ``steps`` at most ``parallel`` at a time; one outcome per step, in ``steps`` order.

    An error or odd answer affects only its own step. ``on_result`` is called in the calling thread as each step
    finishes (``on_step`` with the step's index). Ctrl-C: see the module doc.
    """
    if parallel < 1:
        raise ValueError("parallel must be at least 1")
    results: list[Outcome | None] = [s if isinstance(s, Outcome) else None for s in steps]
    for ready in results:
        if ready is not None and on_result is not None:
            on_result(ready)
    todo: queue.Queue[int] = queue.Queue()
    for i, slot in enumerate(results):
        if slot is None:
            todo.put(i)
    finished: queue.Queue[tuple[int, Outcome]] = queue.Queue()
    cancel = threading.Event()
    lock = threading.Lock()
    inflight: dict[int, tuple[str, str]] = {}  # step index -> (phase, what): ("sending", ""), ("task", UPID), ...

    def worker() -> None:
        while not cancel.is_set():
            try:
                i = todo.get_nowait()
            except queue.Empty:
                return
            with lock:
                if cancel.is_set():
                    return
                inflight[i] = ("sending", "")

            def seen(phase: str, what: str, i: int = i) -> None:
                with lock:
                    inflight[i] = (phase, what)

            try:
                result = execute(
                    client, steps[i], wait=wait, timeout=timeout, cancelled=cancel.is_set, on_state=seen, budget=budget
                )
            except Exception as exc:  # a bug or an odd answer nobody foresaw: this guest only, the run goes on
                write = steps[i]
                assert not isinstance(write, Outcome)
                result = outcome(
                    write,
                    "unknown",
                    f"internal error: {type(exc).__name__}: {exc}",
                    remedies=[check(write.ref.kind, write.ref.vmid)],
                )
            with lock:
                inflight.pop(i, None)
            finished.put((i, result))

    pending = todo.qsize()
    threads = [
        threading.Thread(target=worker, daemon=True, name=f"pvectl-run-{n}")
        for n in range(min(parallel, max(1, pending)))
    ]
    for thread in threads:
        thread.start()
    try:
        while pending:
            try:
                i, result = finished.get(timeout=0.2)
            except queue.Empty:
                continue
            results[i] = result
            pending -= 1
            if on_result is not None:
                on_result(result)
            if on_step is not None:
                on_step(i, result)
    except KeyboardInterrupt:
        cancel.set()
        with _second_interrupt_exits():
            _collect(results, finished, inflight, lock)
            for i, slot in enumerate(results):
                if slot is None:
                    results[i] = _stopped(steps[i], inflight.get(i, ("not started", "")))
    return [r for r in results if r is not None]


def _collect(
    results: list[Outcome | None],
    finished: queue.Queue[tuple[int, Outcome]],
    inflight: dict[int, tuple[str, str]],
    lock: threading.Lock,
) -> None:
    """After Ctrl-C: the outcomes of waits that stop within ``GRACE`` (they name their UPIDs)."""
    deadline = time.monotonic() + GRACE
    while time.monotonic() < deadline:
        try:
            i, result = finished.get(timeout=0.05)
        except queue.Empty:
            with lock:
                if not inflight:
                    break
            continue
        results[i] = result


def _stopped(step: Step, state: tuple[str, str]) -> Outcome:
    """The outcome of a step Ctrl-C caught: not started, on its way, running its task, or in its follow-up."""
    assert not isinstance(step, Outcome)
    phase, what = state
    unsure = [check(step.ref.kind, step.ref.vmid)]
    if isinstance(step, Job):
        return _job_stopped(step, phase, what)
    if phase == "not started":
        return outcome(step, "interrupted", "not started (interrupted); nothing was sent", missing=[step.action])
    if phase == "task":
        return outcome(step, "interrupted", step.going_on(what), bare=True, upid=what, missing=[step.action],
                       remedies=[follow(what)])  # fmt: skip
    if phase == "waiter":
        return outcome(step, "interrupted", f"interrupted; it goes on on the server: {what}", missing=[step.action],
                       remedies=unsure)  # fmt: skip
    if phase == "then":
        message = f"{step.past}; interrupted during the follow-up work, which may go on"
        return outcome(step, "interrupted", message, upid=what or None, done=[step.action], missing=["follow-up"],
                       remedies=unsure)  # fmt: skip
    message = "interrupted while its request was being sent; the server may have started it"
    return outcome(step, "unknown", message, remedies=unsure)


def _job_stopped(job: Job, phase: str, what: str) -> Outcome:
    own = job.stopped(phase, what)
    if own is not None:
        return own
    ref = job.ref
    kind: GuestKind = "lxc" if ref.kind == "lxc" else "qemu"
    remedies = [job.remedy] if job.remedy else [check(ref.kind, ref.vmid)]
    if phase == "not started":
        message, upid = f"{job.label}: not started (interrupted); nothing was sent", None
    elif phase == "task":
        message, upid = f"{job.label}: interrupted; its task goes on on the server: {what}", what
        remedies.insert(0, follow(what))
    else:
        message, upid = f"{job.label}: interrupted while being applied{f' ({what})' if what else ''}", None
    return Outcome("interrupted", ref.vmid, ref.node, message, upid=upid, missing=[job.action], remedies=remedies,
                   guest=kind, action=job.action, name=ref.name or None)  # fmt: skip


class _second_interrupt_exits:
    """While the outcomes are gathered after Ctrl-C, a second Ctrl-C ends the process at once, quietly (130)."""

    def __enter__(self) -> None:
        import signal

        self.previous: Any = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, _exit_now)

    def __exit__(self, *exc: object) -> None:
        import signal

        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def _exit_now(signum: int, frame: object) -> None:
    import os

    os._exit(130)
