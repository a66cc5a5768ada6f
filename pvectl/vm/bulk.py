"""Run one action on many VMs: the guest runner (pvectl.guest.run.run_many) for callers that submit by callable.

Each VM gets an :class:`~pvectl.guest.outcome.Outcome`: ``done``, ``failed`` (refused, or its task failed),
``unknown`` (an answer was lost and the server could not tell, or the wait ended), or after Ctrl-C
``interrupted`` (still running, with its UPID, or not started). Writes are never retried. The run's exit code is
0 when every VM succeeded, ``SOME_FAILED`` (8) otherwise, 130 after Ctrl-C.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from pvectl.guest.outcome import Outcome, bulk_exit_code

if TYPE_CHECKING:
    from pvectl.guest.run import Reached
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
    return bulk_exit_code([r.outcome for r in results])


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
    action: str = "",
    task_types: Callable[[VmRef], tuple[str, ...]] | None = None,
    reached: Reached | None = None,
) -> list[Result]:
    """``submit`` every VM of ``refs`` and wait for its task (unless not ``wait_tasks``); results in ``refs`` order.

    The run is pvectl.guest.run.run_many: an ambiguous answer is reconciled from the node's task list when
    ``task_types`` names PVE's worker types for the write (else it is ``unknown``, never "refused"); an odd answer
    or error affects only its VM (``reached``: does the server show it done, asked after such an answer); Ctrl-C
    follows the guest runner's policy. ``then`` runs for each VM whose task
    succeeded (e.g. snapshot retention); what it did lands in the outcome's ``done``, an error in it makes the
    outcome ``partial``. ``on_result`` is called in the calling thread as each VM finishes.
    """
    from pvectl.guest.run import Write, run_many

    by_id = {ref.vmid: ref for ref in refs}
    steps = [
        Write(
            ref,
            action or past.split(" ")[0],
            "POST",
            "",
            past,
            task_types(ref) if task_types is not None else (),
            reached=reached,
            send=_sender(submit, ref),
            then=(lambda _client, ref: then(ref)) if then is not None else None,
        )
        for ref in refs
    ]
    outcomes = run_many(
        client,
        steps,
        parallel=parallel,
        wait=wait_tasks,
        timeout=timeout,
        on_result=(lambda o: on_result(Result(by_id[o.vmid or 0], o))) if on_result is not None else None,
    )
    return [Result(ref, outcome) for ref, outcome in zip(refs, outcomes, strict=True)]


def _sender(submit: Submit, ref: VmRef) -> Callable[[ProxmoxClient], str | Waiter]:
    return lambda _client: submit(ref)
