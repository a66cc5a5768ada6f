"""A vzdump task's log read into one result per guest.

vzdump runs the guests of one node in turn inside one task and writes, per guest (pve-manager
``PVE/VZDump.pm exec_backup_task``, lines prefixed ``INFO:``/``ERROR:`` by ``PVE::VZDump::Plugin::debugmsg``):

- ``INFO: Starting Backup of VM 100 (qemu)`` (containers too say "VM": ``(lxc)``),
- ``INFO: creating vzdump archive '/…/vzdump-qemu-100-….vma.zst'`` (``Proxmox Backup Server archive
  'vm/100/…Z'`` on PBS),
- progress lines ``INFO:  42% (…)`` (qemu-server ``src/PVE/VZDump/QemuServer.pm``),
- ``INFO: Finished Backup of VM 100 (00:01:02)`` or ``ERROR: Backup of VM 100 failed - REASON``;

and for the job ``INFO: skip external VMs: 101, 102`` (guests on other nodes), ``ERROR: Backup job failed -
REASON`` (nothing after it runs), then the task ends ``OK`` or with ``job errors`` (``exec_backup``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

State = Literal["pending", "running", "done", "failed", "unknown"]

_START = re.compile(r"Starting Backup of VM (\d+) \((\w+)\)")
_FINISH = re.compile(r"Finished Backup of VM (\d+) \(([\d:]+)\)")
_FAIL = re.compile(r"ERROR: Backup of VM (\d+) failed - (.*)")
_JOB_FAIL = re.compile(r"ERROR: Backup job failed - (.*)")
_ARCHIVE = re.compile(r"creating (?:vzdump|Proxmox Backup Server|.+) archive '([^']+)'")
_PERCENT = re.compile(r"INFO:\s+(\d{1,3})% \(")
_SKIP = re.compile(r"skip external VMs: ([\d, ]+)")


@dataclass
class GuestBackup:
    vmid: int
    state: State = "pending"
    kind: str | None = None
    error: str | None = None
    archive: str | None = None
    percent: int | None = None
    took: str | None = None


@dataclass
class JobLog:
    guests: dict[int, GuestBackup]
    skipped: list[int] = field(default_factory=list)
    job_error: str | None = None
    current: int | None = None  # the guest being backed up when the log was read

    def settle(self, *, ended: bool, complete: bool, exitstatus: str | None = None) -> None:
        """What the guests not finished in the log became.

        ``ended``: the task stopped; ``complete``: the whole log was read. A guest never finished in a complete
        log of an ended task failed (the task stopped in it or before it); without the whole log it is unknown.
        """
        for guest in self.guests.values():
            if guest.state in ("done", "failed"):
                continue
            if ended and complete:
                guest.error = guest.error or self.job_error or _why_stopped(guest, exitstatus)
                guest.state = "failed"
            else:
                guest.state = "unknown"


def _why_stopped(guest: GuestBackup, exitstatus: str | None) -> str:
    status = exitstatus or "unknown"
    if guest.state == "running":
        return f"the task stopped during its backup ({status})"
    if status not in ("job errors", "unknown"):
        return status  # the job failed before any guest (PVE/VZDump.pm new: storage errors), with this reason
    return f"the task stopped before its backup ({status})"


def parse(lines: Iterable[str], expected: Sequence[int] = ()) -> JobLog:
    """Per-guest results of a vzdump log; ``expected`` are the ids the request named (in the order PVE runs them)."""
    log = JobLog({vmid: GuestBackup(vmid) for vmid in sorted(expected)})
    for line in lines:
        if m := _START.search(line):
            guest = log.guests.setdefault(int(m.group(1)), GuestBackup(int(m.group(1))))
            guest.state, guest.kind, log.current = "running", m.group(2), guest.vmid
        elif m := _FINISH.search(line):
            guest = log.guests.setdefault(int(m.group(1)), GuestBackup(int(m.group(1))))
            guest.state, guest.took, guest.percent = "done", m.group(2), 100
            log.current = None
        elif m := _FAIL.search(line):
            guest = log.guests.setdefault(int(m.group(1)), GuestBackup(int(m.group(1))))
            guest.state, guest.error = "failed", m.group(2).strip()
            log.current = None
        elif m := _JOB_FAIL.search(line):
            log.job_error = m.group(1).strip()
        elif m := _SKIP.search(line):
            log.skipped = [int(v) for v in m.group(1).replace(" ", "").split(",") if v]
            for vmid in log.skipped:
                log.guests.pop(vmid, None)
        elif log.current is not None:
            guest = log.guests[log.current]
            if m := _PERCENT.search(line):
                guest.percent = min(int(m.group(1)), 100)
            elif m := _ARCHIVE.search(line):
                guest.archive = m.group(1)
    return log
