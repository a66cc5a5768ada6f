"""Run one action on many VMs: at most ``parallel`` at a time, all sharing one client (and its connection pool).

Each VM gets an :class:`~pvectl.vm.outcome.Outcome`: ``done``, ``nothing-created`` (the server refused the
request: nothing was started), ``task-failed``, ``unknown`` (an answer was lost or the wait ended), or after
Ctrl-C ``interrupted`` (the task goes on; its UPID is named) / ``nothing-created`` "not started". Writes are never
retried. The run's exit code is 0 when every VM succeeded, ``SOME_FAILED`` otherwise, 130 after Ctrl-C.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from pvectl.guest.outcome import INTERRUPTED, SOME_FAILED, Outcome, follow

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef

DEFAULT_PARALLEL = 4


class Waiter(Protocol):
    """Work the server does without a task id of its own (an HA move): ``label`` names it in messages."""

    label: str

    def wait(self, timeout: float | None) -> None: ...  # raises TaskFailed / TaskTimeout like Task.wait


Submit = Callable[["VmRef"], "str | Waiter"]  # sends the write for one VM: its UPID, or a Waiter
Then = Callable[["VmRef"], list[str]]  # follow-up work after the task succeeded; returns what it did


@dataclass(frozen=True)
class Result:
    ref: VmRef
    outcome: Outcome


def exit_code(results: Sequence[Result]) -> int:
    if any(r.outcome.kind == "interrupted" for r in results):
        return INTERRUPTED
    return 0 if all(r.outcome.ok for r in results) else SOME_FAILED


def run(
    client: ProxmoxClient,
    refs: Sequence[VmRef],
    submit: Submit,
    *,
    past: str,
    parallel: int = DEFAULT_PARALLEL,
    timeout: float | None = None,
    wait_tasks: bool = True,
    then: Then | None = None,
    on_result: Callable[[Result], None] | None = None,
) -> list[Result]:
    """``submit`` every VM of ``refs`` and wait for its task (unless not ``wait_tasks``); results in ``refs`` order.

    ``then`` runs for each VM whose task succeeded (e.g. snapshot retention); what it did lands in the outcome's
    ``done``, and an error in it makes the outcome ``partial``. ``on_result`` is called in the calling thread as
    each VM finishes (the progress line). Ctrl-C (a KeyboardInterrupt in the calling thread) stops starting new
    VMs; those whose task runs are reported ``interrupted`` with their UPID, those never started as not started.
    """
    from pvectl.sdk._core.upid import is_upid

    if parallel < 1:
        raise ValueError("parallel must be at least 1")
    stop = threading.Event()
    running: dict[int, str | None] = {}  # vmid -> UPID of tasks not yet finished (None: the write is on its way)
    lock = threading.Lock()

    def one(ref: VmRef) -> Outcome:
        with lock:
            if stop.is_set():
                return _not_started(ref)
            running[ref.vmid] = None
        outcome = _act(client, ref, submit, past if wait_tasks else None, timeout, running, lock)
        if then is None or outcome.kind != "done" or not wait_tasks:
            return outcome
        return _then(ref, outcome, then)

    results: dict[int, Result] = {}
    pool = ThreadPoolExecutor(max_workers=min(parallel, max(1, len(refs))), thread_name_prefix="pvectl-bulk")
    futures: dict[Future[Outcome], VmRef] = {pool.submit(one, ref): ref for ref in refs}
    pending = set(futures)
    try:
        while pending:
            finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for future in finished:
                ref = futures[future]
                result = Result(ref, future.result())
                results[ref.vmid] = result
                if on_result is not None:
                    on_result(result)
    except KeyboardInterrupt:
        with lock:
            stop.set()
        for future in pending:
            future.cancel()
        inflight = _settled(running, lock)
        for future, ref in futures.items():
            if ref.vmid in results:
                continue
            if future.done() and not future.cancelled():
                results[ref.vmid] = Result(ref, future.result())
            elif ref.vmid in inflight and inflight[ref.vmid] is None:
                results[ref.vmid] = Result(
                    ref,
                    Outcome(
                        "unknown",
                        ref.vmid,
                        ref.node,
                        f"unknown: VM {ref.vmid}: interrupted while its request was being sent",
                        remedies=[f"pvectl vm show {ref.vmid}"],
                    ),
                )
            elif ref.vmid in inflight:
                label = str(inflight[ref.vmid])
                task = is_upid(label)
                results[ref.vmid] = Result(
                    ref,
                    Outcome(
                        "interrupted",
                        ref.vmid,
                        ref.node,
                        f"interrupted: VM {ref.vmid} still running {'its task' if task else 'on the server'}: {label}",
                        upid=label if task else None,
                        remedies=[follow(label) if task else f"pvectl vm show {ref.vmid}"],
                    ),
                )
            else:
                results[ref.vmid] = Result(ref, _not_started(ref))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return [results[ref.vmid] for ref in refs]


def _settled(running: dict[int, str | None], lock: threading.Lock, patience: float = 5.0) -> dict[int, str | None]:
    """The tasks in flight after Ctrl-C; writes on their way get ``patience`` seconds to answer their UPID."""
    import time

    deadline = time.monotonic() + patience
    while True:
        with lock:
            inflight = dict(running)
        if all(upid is not None for upid in inflight.values()) or time.monotonic() > deadline:
            return inflight
        time.sleep(0.02)


def _then(ref: VmRef, outcome: Outcome, then: Then) -> Outcome:
    from pvectl.sdk._core.errors import PveError

    try:
        outcome.done.extend(then(ref))
    except PveError as exc:
        outcome.kind = "partial"
        outcome.message = f"{outcome.message}, then: {exc}"
        outcome.missing.append(str(exc))
    return outcome


def _not_started(ref: VmRef) -> Outcome:
    return Outcome("nothing-created", ref.vmid, ref.node, f"VM {ref.vmid}: not started (interrupted)")


def _act(
    client: ProxmoxClient,
    ref: VmRef,
    submit: Submit,
    past: str | None,
    timeout: float | None,
    running: dict[int, str | None],
    lock: threading.Lock,
) -> Outcome:
    from pvectl.sdk import Task, TaskTimeout
    from pvectl.sdk._core.errors import ApiError, TaskFailed, TransportError
    from pvectl.sdk._core.task import TaskLost

    label = f"VM {ref.vmid} ({ref.name or 'no name'})"
    try:
        sent = submit(ref)
    except ApiError as exc:  # the server answered: it refused, nothing was started
        with lock:
            running.pop(ref.vmid, None)
        return Outcome("nothing-created", ref.vmid, ref.node, f"{label}: refused: {exc}")
    except TransportError as exc:  # the answer was lost: the write may or may not have happened
        with lock:
            running.pop(ref.vmid, None)
        return Outcome(
            "unknown",
            ref.vmid,
            ref.node,
            f"{label}: unknown: the answer was lost ({exc})",
            remedies=[f"pvectl vm show {ref.vmid}"],
        )
    upid = sent if isinstance(sent, str) else None
    shown = sent if isinstance(sent, str) else sent.label
    with lock:
        if past is None:  # --no-wait: the task was sent, its UPID is the result
            running.pop(ref.vmid, None)
            return Outcome("done", ref.vmid, ref.node, f"{label}: task sent: {shown}", upid=upid)
        running[ref.vmid] = shown
    try:
        if isinstance(sent, str):
            Task(client, sent).wait(timeout=timeout)
        else:
            sent.wait(timeout)
    except TaskFailed as exc:
        return Outcome(
            "task-failed",
            ref.vmid,
            ref.node,
            f"{label}: failed: {exc.exitstatus}",
            upid=exc.upid,
            log_tail=exc.log_tail,
        )
    except (TaskLost, TaskTimeout, TransportError) as exc:
        return Outcome(
            "unknown",
            ref.vmid,
            ref.node,
            f"{label}: unknown: the task goes on on the server ({exc})",
            upid=upid,
            remedies=[follow(upid) if upid else f"pvectl vm show {ref.vmid}"],
        )
    finally:
        with lock:
            running.pop(ref.vmid, None)
    return Outcome("done", ref.vmid, ref.node, f"{label} {past}", upid=upid)
