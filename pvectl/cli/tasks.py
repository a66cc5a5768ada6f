"""Following a PVE task from the CLI: a spinner on a terminal, silence when piped, TaskFailed on failure.

Waiting ends: a task whose status cannot be read for a while, or that outlives ``--timeout``, is reported as
unknown (exit 7) with its UPID and the command to follow it; Ctrl-C says the task goes on (exit 130).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    import typer
    from rich.status import Status

    from pvectl.cli.taskview import SpinnerLine
    from pvectl.sdk import ProxmoxClient

POLL_SECONDS = 2.0  # the longest pause between two status reads (polling starts at 0.1 s and backs off)
TASK_TIMEOUT = 600.0  # --timeout default of vm start|stop|shutdown|reboot|delete and vm create


class TaskSpinner:
    """The one spinner of a task wait, on stderr when it is a terminal (nothing otherwise, and never on stdout):
    ``waiting for task qmstart 102 on pve1 (3s): <the task's latest log line, control characters escaped>``.

    ``on_state`` is the write runner's hook (``guest.run.execute``): a spinner from the moment the task's UPID is
    known (or a task-less waiter's label, such as an HA move), gone when a follow-up step runs; ``progress`` is
    ``Task.wait``'s ``on_progress`` (elapsed time and log line, refreshed at each status read); ``stop`` at the end.
    """

    def __init__(self, client: ProxmoxClient, stream: TextIO | None = None) -> None:
        self.client = client
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty()
        self._status: Status | None = None
        self._line: SpinnerLine | None = None

    def on_state(self, phase: str, what: str) -> None:
        self.stop()
        if not self.enabled or phase not in ("task", "waiter"):
            return
        from rich.console import Console
        from rich.text import Text

        from pvectl.cli.safe_text import safe_cell
        from pvectl.cli.taskview import SpinnerLine

        if phase == "task":
            from pvectl.sdk._core.upid import parse_upid

            task = parse_upid(what)
            label = f"{task.type} {task.id}".strip() if task.id else task.type
            self._line = SpinnerLine(self.client, task.node, what, f"waiting for task {label} on {task.node}")
            text = self._line()
        else:
            text = f"waiting for {safe_cell(what)}"  # no status reads to refresh it: no elapsed time either
        # as Text: a log line or a label is never read as rich markup
        self._status = Console(file=self.stream).status(Text(text))
        self._status.start()

    def progress(self, status: Mapping[str, Any] | None = None) -> None:
        if self._status is not None and self._line is not None:
            from rich.text import Text

            self._status.update(Text(self._line(status)))

    def stop(self) -> None:
        if self._status is not None:
            self._status.stop()
        self._status, self._line = None, None


def wait_for(
    client: ProxmoxClient, upid: str, timeout: float | None = None, *, verbose: bool = False
) -> dict[str, Any]:
    """Wait for ``upid``; returns its final status plus the UPID. Raises TaskFailed (log tail), or CliError
    (exit 7, unknown) when the wait ends without an answer."""
    from pvectl.cli.errors import UNKNOWN, CliError
    from pvectl.sdk import Task, TaskTimeout
    from pvectl.sdk._core.answers import UnexpectedAnswer
    from pvectl.sdk._core.task import TaskLost
    from pvectl.sdk._core.upid import is_upid
    from pvectl.vm.outcome import follow

    if not is_upid(upid):  # a write answered something that looks like, but is not, a task id
        raise UnexpectedAnswer("the write", upid, "a task id (UPID)")
    from pvectl.cli.safe_text import safe_text
    from pvectl.cli.taskview import LogTail

    task = Task(client, upid)
    try:
        if verbose:  # -v: the task's log as it grows (what `task log --follow` prints), on stderr
            tail = LogTail(client, task.node, upid)

            def stream(_status: Mapping[str, Any] | None = None) -> None:
                with contextlib.suppress(Exception):  # the log is decoration; the status decides
                    for line in tail.poll():
                        print(safe_text(line), file=sys.stderr)

            status = task.wait(timeout=timeout, poll=POLL_SECONDS, on_progress=stream)
            stream()
        elif not sys.stderr.isatty():
            status = task.wait(timeout=timeout, poll=POLL_SECONDS)
        else:
            spinner = TaskSpinner(client)
            try:
                spinner.on_state("task", upid)
                status = task.wait(timeout=timeout, poll=POLL_SECONDS, on_progress=spinner.progress)
            finally:
                spinner.stop()
    except (TaskLost, TaskTimeout) as exc:
        why = "its status could not be read" if isinstance(exc, TaskLost) else f"it still runs after {timeout:g}s"
        raise CliError(
            f"unknown: {why}; the task goes on on the server: {upid}",
            UNKNOWN,
            [str(exc), f"follow it with: {follow(upid)}"],
        ) from None
    return {"upid": upid, **status}


def wait_and_report(
    ctx: typer.Context,
    client: ProxmoxClient,
    upid: str,
    *,
    timeout: float | None,
    doing: str,
    step: str | None = None,
    vmid: int | None = None,
    node: str | None = None,
) -> dict[str, Any]:
    """``wait_for`` for commands that own the wait: Ctrl-C prints an ``interrupted`` outcome (text, or the
    object with -o json/yaml) naming ``doing`` ("VM 106 is being started"), the UPID and how to follow it."""
    from pvectl.cli.commands.vm.report import outcome_printed
    from pvectl.vm.outcome import Outcome, follow

    try:
        return wait_for(client, upid, timeout, verbose=bool(ctx.obj.options.verbose))
    except KeyboardInterrupt:
        outcome = Outcome(
            "interrupted",
            vmid,
            node,
            f"interrupted: {doing}; the task goes on on the server: {upid}",
            upid=upid,
            missing=[step] if step else [],
            remedies=[follow(upid)],
        )
    error = outcome_printed(ctx, outcome)
    assert error is not None  # an interrupted outcome is never ok
    raise error
