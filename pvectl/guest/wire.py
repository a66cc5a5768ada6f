"""How a planned write goes to the server: through the typed SDK method of its operation, with its parameters
exactly as planned.

A plan's requests are data (method, path, PVE-named parameters): ``--dry-run`` prints them, outcomes and the faults
tests name them. Each ``Write`` also carries the typed call that sends it (``send``); :func:`typed` calls a typed
method with the plan's PVE-named parameters (``pvectl.sdk.lib.pve_call``), so the parameters shown are the ones
sent, and tests/guest/test_typed_writes.py checks every operation's typed call against its planned method and path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

TASK_ID = "a task id (UPID)"  # what pvectl.sdk._core.resource expects of a task-starting call


def typed(method: Callable[..., Any], params: Mapping[str, Any] | None = None) -> Any:
    """Call the typed method ``method`` with the planned PVE-named ``params``; a task's answer is its UPID.

    An answer that is not the UPID a task-starting method expects (``{"data": null}``) comes back as sent: the
    caller judges it as an ambiguous answer and names the planned request (``POST /nodes/pve1/qemu/100/clone``)."""
    from pvectl.sdk._core.answers import UnexpectedAnswer
    from pvectl.sdk.lib import pve_call

    try:
        return answer_of(pve_call(method, params or {}))
    except UnexpectedAnswer as exc:
        if exc.expected == TASK_ID:
            return exc.data
        raise


def answer_of(answer: Any) -> Any:
    """A typed call's answer as the runner reads it: a Task is its UPID, anything else as it came."""
    from pvectl.sdk._core.task import AsyncTask, Task

    return answer.upid.raw if isinstance(answer, (Task, AsyncTask)) else answer
