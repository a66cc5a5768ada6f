"""Following a PVE task from the CLI: a spinner on a terminal, silence when piped, TaskFailed on failure."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient

POLL_SECONDS = 1.0


def wait_for(client: ProxmoxClient, upid: str, timeout: float | None = None) -> dict[str, Any]:
    """Wait for ``upid``; returns its final status plus the UPID. Raises TaskFailed (log tail) or TaskTimeout."""
    from pvectl.sdk import Task

    task = Task(client, upid)
    if not sys.stderr.isatty():
        status = task.wait(timeout=timeout, poll=POLL_SECONDS)
    else:
        from rich.console import Console

        console = Console(stderr=True)
        label = f"{task.upid.type} {task.upid.id}".strip() if task.upid.id else task.upid.type
        with console.status(f"waiting for task {label} on {task.node}") as spinner:

            def progress(status: Mapping[str, Any]) -> None:
                spinner.update(f"waiting for task {label} on {task.node}: {status.get('status', '?')}")

            status = task.wait(timeout=timeout, poll=POLL_SECONDS, on_progress=progress)
    return {"upid": upid, **status}
