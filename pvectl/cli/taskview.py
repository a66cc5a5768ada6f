"""How tasks look to people: short ids, human times and durations, a log that follows a running task, and the
spinner line (elapsed time and the current step) for anything that waits on a task.

No SDK import at module level: `pvectl task <TAB>` and `--help` stay light.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TextIO

from pvectl.cli.safe_text import safe_cell, safe_text

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient

SHORT_LEN = 8
SHORT_ID = re.compile(r"[0-9a-f]{4,40}")
COLUMNS = ("id", "node", "type", "target", "user", "status", "started", "duration")
WIDE_COLUMNS = (*COLUMNS, "upid")
TABLE_WIDTH = 80  # `task list` as a table: a long failure status is shortened to fit (-o wide/json: whole)


def fit_status(rows: list[dict[str, Any]], width: int = TABLE_WIDTH) -> list[dict[str, Any]]:
    """``rows`` with the status cut (ending in "...") so that the table of COLUMNS fits ``width`` columns."""
    if not rows:
        return rows
    others = sum(max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in COLUMNS if c != "status")
    room = max(width - others - 2 * (len(COLUMNS) - 1), len("STATUS"), 12)
    return [
        {**r, "status": str(r["status"])[: room - 3] + "..."} if len(str(r.get("status", ""))) > room else r
        for r in rows
    ]


POLL_SECONDS = 1.0
LOG_PAGE = 500
# PVE answers a range without lines (a running task's log read up to its end) with one placeholder line, for the
# GUI's ExtJS store (PVE::Tools::dump_logfile in pve-common): it is not part of the log.
NO_CONTENT = "no content"


def short_id(upid: str) -> str:
    """A fixed-width handle for a UPID (like a short commit hash); ``task show|log`` accept it."""
    return hashlib.sha1(upid.encode(), usedforsecurity=False).hexdigest()[:SHORT_LEN]


def duration(seconds: float) -> str:
    """``42s``, ``3m05s``, ``2h04m``, ``3d05h``."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def started(epoch: float, now: float) -> str:
    """Local time: ``14:03:27`` today, ``11-26 14:03`` this year, else ``2025-11-26``."""
    when, today = time.localtime(epoch), time.localtime(now)
    if when[:3] == today[:3]:
        return time.strftime("%H:%M:%S", when)
    if when.tm_year == today.tm_year:
        return time.strftime("%m-%d %H:%M", when)
    return time.strftime("%Y-%m-%d", when)


def newest_first(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return sorted((dict(r) for r in rows), key=lambda r: -int(r.get("starttime") or 0))


def human_rows(rows: Iterable[Mapping[str, Any]], now: float) -> list[dict[str, Any]]:
    """Rows for tables: short id, human start time, duration (so far, for running tasks), the full UPID last."""
    out = []
    for r in rows:
        begin, end = float(r.get("starttime") or 0), float(r.get("endtime") or 0)
        running = not end
        out.append(
            {
                "id": short_id(str(r.get("upid", ""))),
                "node": r.get("node", ""),
                "type": r.get("type", ""),
                "target": r.get("id", ""),
                "user": r.get("user", ""),
                "status": "running" if running else r.get("status", ""),
                "started": started(begin, now) if begin else "",
                "duration": duration((now if running else end) - begin) if begin else "",
                "upid": r.get("upid", ""),
            }
        )
    return out


def resolve_upid(client: ProxmoxClient, text: str) -> str:
    """A UPID as given, or the one whose short id starts with ``text`` (from the cluster's task list).

    Raises LookupError (no match, or several)."""
    if text.startswith("UPID:"):
        return text
    from pvectl.sdk._core.answers import plain

    found = [str(r["upid"]) for r in plain(client.cluster.tasks()) or [] if short_id(str(r["upid"])).startswith(text)]
    if len(found) != 1:
        raise LookupError(
            f"no task with id {text}" if not found else f"task id {text} is ambiguous: {len(found)} tasks"
        )
    return found[0]


def log_lines(client: ProxmoxClient, node: str, upid: str, start: int, limit: int = LOG_PAGE) -> list[str]:
    """Lines ``start``.. of a task log (``start`` is PVE's 0-based line offset)."""
    from pvectl.sdk._core.answers import plain

    items = plain(client.nodes(node).tasks(upid).log(start=start, limit=limit)) or []
    return [str(i.get("t", "")) if isinstance(i, Mapping) else str(i) for i in items]


class LogTail:
    """Reads a task log incrementally: each ``poll()`` returns the lines added since the last one."""

    def __init__(self, client: ProxmoxClient, node: str, upid: str, start: int = 0) -> None:
        self.client, self.node, self.upid, self.offset = client, node, upid, start
        self.last: str | None = None

    def poll(self) -> list[str]:
        new: list[str] = []
        while True:
            page = log_lines(self.client, self.node, self.upid, self.offset)
            if page == [NO_CONTENT]:
                page = []
            self.offset += len(page)
            new += page
            if len(page) < LOG_PAGE:
                break
        if new:
            self.last = new[-1]
        return new


def follow(
    client: ProxmoxClient,
    node: str,
    upid: str,
    out: TextIO | None = None,
    *,
    start: int = 0,
    poll: float = POLL_SECONDS,
) -> dict[str, Any]:
    """Print the task's log as it grows until the task ends (``kubectl logs -f``); returns the final status.
    A lost connection or a 5xx is asked again (for up to the task wait's TRANSIENT_FOR seconds in a row)."""
    from pvectl.sdk._core.answers import plain
    from pvectl.sdk._core.backoff import Poll, poll_until
    from pvectl.sdk._core.task import TRANSIENT_FOR

    stream = out or sys.stdout
    tail = LogTail(client, node, upid, start)

    def probe() -> dict[str, Any] | None:
        status = plain(client.nodes(node).tasks(upid).status()) or {}
        for line in tail.poll():  # after the status: a task that ended has written its whole log
            print(safe_text(line), file=stream, flush=True)
        return None if status.get("status") == "running" else dict(status)

    final = poll_until(probe, Poll(client.clock, first=poll, cap=poll, transient_for=TRANSIENT_FOR))
    assert final is not None  # no deadline: the loop ends with the task (or an error)
    return final


def spinner_text(label: str, elapsed: float, step: str | None = None) -> str:
    """One spinner line: ``waiting for task qmcreate 101 on pve1 (12s): Formatting 'vm-101-disk-0'``."""
    text = f"{safe_cell(label)} ({duration(elapsed)})"
    return f"{text}: {safe_cell(' '.join(step.split()))}" if step else text


class SpinnerLine:
    """What a spinner shows while waiting on a task: ``label (elapsed): last log line``.

    Call it with each polled status (``Task.wait(on_progress=...)``); it reads only the log lines added since the
    previous call. For pvectl/cli/tasks.py: ``spinner.update(line(status))``.
    """

    def __init__(
        self, client: ProxmoxClient, node: str, upid: str, label: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.label, self.clock, self.begin = label, clock, clock()
        self.tail = LogTail(client, node, upid)

    def __call__(self, status: Mapping[str, Any] | None = None) -> str:
        with contextlib.suppress(Exception):  # the step is decoration: an unreadable log keeps the last one
            self.tail.poll()
        return spinner_text(self.label, self.clock() - self.begin, self.tail.last)
