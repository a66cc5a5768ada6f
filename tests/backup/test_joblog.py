"""A vzdump task log read into one result per guest (line shapes of pve-manager PVE/VZDump.pm)."""

from __future__ import annotations

from typing import Any

from pvectl.backup.joblog import parse

THREE_ONE_FAILS = """\
INFO: starting new backup job: vzdump 100 101 102 --storage nfs --mode snapshot --compress zstd
INFO: Starting Backup of VM 100 (qemu)
INFO: Backup started at 2025-01-31 02:00:00
INFO: status = running
INFO: creating vzdump archive '/mnt/pve/nfs/dump/vzdump-qemu-100-2025_01_31-02_00_00.vma.zst'
INFO:  12% (1.9 GiB of 16.0 GiB) in 3s, read: 650.2 MiB/s, write: 611.0 MiB/s
INFO: 100% (16.0 GiB of 16.0 GiB) in 25s, read: 650.2 MiB/s, write: 611.0 MiB/s
INFO: Finished Backup of VM 100 (00:00:27)
INFO: Backup finished at 2025-01-31 02:00:27
INFO: Starting Backup of VM 101 (qemu)
INFO: Backup started at 2025-01-31 02:00:27
ERROR: Backup of VM 101 failed - VM is locked (snapshot)
INFO: Failed at 2025-01-31 02:00:27
INFO: Starting Backup of VM 102 (qemu)
INFO: Backup started at 2025-01-31 02:00:27
INFO: creating vzdump archive '/mnt/pve/nfs/dump/vzdump-qemu-102-2025_01_31-02_00_27.vma.zst'
INFO: Finished Backup of VM 102 (00:00:10)
INFO: Backup finished at 2025-01-31 02:00:37
INFO: Backup job finished with errors
TASK ERROR: job errors
""".splitlines()


def test_one_of_three_fails() -> None:
    log = parse(THREE_ONE_FAILS, [100, 101, 102])
    log.settle(ended=True, complete=True, exitstatus="job errors")
    states = {vmid: (g.state, g.error) for vmid, g in log.guests.items()}
    assert states == {100: ("done", None), 101: ("failed", "VM is locked (snapshot)"), 102: ("done", None)}
    assert log.guests[100].archive == "/mnt/pve/nfs/dump/vzdump-qemu-100-2025_01_31-02_00_00.vma.zst"
    assert log.guests[100].took == "00:00:27"


def test_progress_names_the_guest_and_its_percentage() -> None:
    log = parse(THREE_ONE_FAILS[:6], [100, 101, 102])
    assert log.current == 100 and log.guests[100].percent == 12
    assert log.guests[101].state == "pending"


def test_a_log_read_only_in_part_leaves_the_rest_unknown() -> None:
    log = parse(THREE_ONE_FAILS[:9], [100, 101, 102])
    log.settle(ended=True, complete=False)
    assert [log.guests[v].state for v in (100, 101, 102)] == ["done", "unknown", "unknown"]


def test_a_task_stopped_in_the_middle_fails_the_guests_it_did_not_finish() -> None:
    log = parse([*THREE_ONE_FAILS[:6], "TASK ERROR: interrupted by signal"], [100, 101])
    log.settle(ended=True, complete=True, exitstatus="interrupted by signal")
    assert log.guests[100].state == "failed" and "during its backup" in (log.guests[100].error or "")
    assert log.guests[101].state == "failed" and log.guests[101].error == "interrupted by signal"


def test_a_job_failure_before_any_guest_fails_them_all_with_its_reason() -> None:
    lines = ["INFO: starting new backup job: vzdump 100", "ERROR: Backup job failed - storage 'nfs' is offline"]
    log = parse(lines, [100])
    log.settle(ended=True, complete=True, exitstatus="storage 'nfs' is offline")
    assert (log.guests[100].state, log.guests[100].error) == ("failed", "storage 'nfs' is offline")


def test_guests_on_other_nodes_are_skipped() -> None:
    log = parse(["INFO: skip external VMs: 101, 102", "INFO: Starting Backup of VM 100 (qemu)"], [100, 101, 102])
    assert log.skipped == [101, 102] and list(log.guests) == [100]


def test_a_container_says_vm_too() -> None:
    log = parse(["INFO: Starting Backup of VM 200 (lxc)", "INFO: Finished Backup of VM 200 (00:01:00)"], [200])
    assert (log.guests[200].kind, log.guests[200].state) == ("lxc", "done")


def test_the_progress_line_names_the_guest_and_its_percentage_per_node() -> None:
    from pvectl.backup.plan import Guest, VzdumpRequest
    from pvectl.backup.run import NodeJob, progress_text

    request = VzdumpRequest("pve1", (Guest(100, "pve1", "qemu"), Guest(101, "pve1", "qemu")), {"vmid": "100,101"})
    job = NodeJob(request, upid="UPID:pve1:0000A:0000B:0000C:vzdump::root@pam:", lines=THREE_ONE_FAILS[:6])
    assert progress_text([job]) == "pve1: VM 100 12%"
    job.lines = THREE_ONE_FAILS[:11]
    assert progress_text([job]) == "pve1: VM 101"
    # the log says "VM" for a container too: the line names it as the user knows it
    ct = VzdumpRequest("pve2", (Guest(200, "pve2", "lxc", "ns1"),), {"vmid": "200"})
    running = NodeJob(ct, upid="UPID:pve2:0000A:0000B:0000C:vzdump:200:root@pam:")
    running.lines = ["INFO: starting new backup job: vzdump 200", "INFO: Starting Backup of VM 200 (lxc)"]
    assert progress_text([job, running]) == "pve1: VM 101, pve2: CT 200 (ns1)"


class _Task:
    def __init__(self, pages: list[list[dict[str, object]]]) -> None:
        self.pages = pages
        self.starts: list[int] = []

    def status(self) -> dict[str, object]:
        return {"status": "running"}

    def log(self, start: int, limit: int) -> list[dict[str, object]]:
        self.starts.append(start)
        return self.pages.pop(0)


def test_pves_no_content_placeholder_is_not_a_log_line() -> None:
    # pve-common Tools.pm dump_logfile_by_filehandle answers an empty log with [{n: 1, t: "no content"}]
    from types import SimpleNamespace

    from pvectl.backup.plan import Guest, VzdumpRequest
    from pvectl.backup.run import NodeJob, poll

    task = _Task([[{"n": 1, "t": "no content"}], [{"n": i + 1, "t": t} for i, t in enumerate(THREE_ONE_FAILS[:6])]])
    client: Any = SimpleNamespace(nodes=lambda node: SimpleNamespace(tasks=lambda upid: task))
    request = VzdumpRequest("pve1", (Guest(100, "pve1", "qemu"),), {"vmid": "100"})
    job = NodeJob(request, upid="UPID:pve1:0000A:0000B:0000C:vzdump:100:root@pam:")
    poll(client, job)
    assert job.lines == []
    poll(client, job)
    assert task.starts == [0, 0] and job.lines == THREE_ONE_FAILS[:6]


def test_the_progress_line_fits_the_terminal(monkeypatch: Any, capsys: Any) -> None:
    import os
    import sys

    from pvectl.cli.commands.backup.create import _Progress

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setattr("shutil.get_terminal_size", lambda *a: os.terminal_size((40, 24)))
    progress = _Progress()
    progress("pve1: VM 100 (dns1) 42%, pve2: VM 101 (web1) 12%, pve3: CT 300 (cache) 7%")
    line = capsys.readouterr().err.removeprefix("\r\x1b[2K")
    assert len(line) == 39 and line.startswith("backing up: pve1: VM 100 (dns1) 42%") and line.endswith("...")
