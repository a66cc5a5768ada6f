"""Snapshots of guests of either kind: create (``--keep N`` retention after it), delete, rollback; each a plan of
writes on the typed SDK, run by the one write runner (pvectl.guest.run), single or bulk.

PVE's worker types, found in the node's task list after an ambiguous answer: qemu-server
``src/PVE/API2/Qemu.pm`` snapshot forks ``qmsnapshot``, delsnapshot ``qmdelsnapshot``, rollback ``qmrollback``;
pve-container ``src/PVE/API2/LXC/Snapshot.pm`` snapshot ``vzsnapshot``, delsnapshot ``vzdelsnapshot``, rollback
``vzrollback``. How the server shows the act when no task is found: the snapshot list (qemu-server snapshot_list,
pve-container Snapshot.pm list) names each snapshot, with ``snapstate`` while a task still prepares or deletes it;
a created snapshot is listed without it, a deleted one is gone. A rollback leaves nothing a reader could tell from
before: only its task decides.

Retention (``create --keep N``, :class:`KeepNewest`): after the create succeeded, the oldest snapshots pvectl made
with the prefix beyond N (pvectl.vm.snapshots.expired) are deleted one by one, each a write of its own through
the runner (reconciled on an ambiguous answer, never resent). The guest's outcome says that the snapshot was
created and, per old snapshot, deleted / still being deleted (UPID) / not started / failed / unknown.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pvectl.guest.outcome import Outcome, follow, noun, word
from pvectl.guest.run import Job, State, Step, Write, decided, execute, outcome
from pvectl.guest.wire import typed

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef

TASK_TYPES = {
    ("qemu", "create"): "qmsnapshot",
    ("qemu", "delete"): "qmdelsnapshot",
    ("qemu", "rollback"): "qmrollback",
    ("lxc", "create"): "vzsnapshot",
    ("lxc", "delete"): "vzdelsnapshot",
    ("lxc", "rollback"): "vzrollback",
}


def _kind(ref: VmRef) -> str:
    return "lxc" if ref.kind == "lxc" else "qemu"


def _snapshot_api(client: ProxmoxClient, ref: VmRef) -> Any:
    from pvectl.guest.api import guest_api

    return guest_api(client, ref.node, ref.vmid, _kind(ref)).snapshot


def base(ref: VmRef) -> str:
    return f"/nodes/{ref.node}/{_kind(ref)}/{ref.vmid}/snapshot"


def listed(client: ProxmoxClient, ref: VmRef) -> dict[str, str] | None:
    """The guest's snapshots, each with its ``snapstate`` ("" when settled); None when the list cannot be read."""
    from pvectl.sdk._core.answers import plain
    from pvectl.sdk._core.errors import PveError

    try:
        rows = plain(_snapshot_api(client, ref).list())
    except PveError:
        return None
    if not isinstance(rows, list):
        return None
    names = {str(r.get("name")): str(r.get("snapstate") or "") for r in rows if isinstance(r, dict)}
    names.pop("current", None)  # PVE's name for the present state, always listed
    return names


@dataclass
class SnapshotWrite(Write):
    """A snapshot write: says which snapshot a task left running is about."""

    snapname: str = ""

    def going_on(self, upid: str) -> str:
        if self.action == "snapshot rollback":
            return super().going_on(upid)
        doing = "created" if self.action == "snapshot create" else "deleted"
        who = f"{word(self.ref.kind)} {self.ref.vmid}"
        going = "the task goes on on the server"
        return f"interrupted: snapshot '{self.snapname}' of {who} is being {doing}; {going}: {upid}"


def create_write(ref: VmRef, name: str, *, description: str | None = None, vmstate: bool = False) -> SnapshotWrite:
    params: dict[str, Any] = {"snapname": name}
    if description:
        params["description"] = description
    if vmstate and _kind(ref) == "qemu":  # only QEMU saves RAM (pve-container's snapshot has no vmstate)
        params["vmstate"] = True

    def reached(client: ProxmoxClient, ref: VmRef) -> bool | None:
        names = listed(client, ref)
        return None if names is None else names.get(name) == ""  # listed, and no task still prepares it

    def send(client: ProxmoxClient) -> Any:
        return typed(_snapshot_api(client, ref).create, params)

    return SnapshotWrite(ref, "snapshot create", "POST", base(ref), f"snapshot '{name}' created",
                         (TASK_TYPES[_kind(ref), "create"],), params=params, reached=reached, send=send,
                         snapname=name)  # fmt: skip


def delete_write(ref: VmRef, name: str, *, exclude: frozenset[str] = frozenset()) -> SnapshotWrite:
    def reached(client: ProxmoxClient, ref: VmRef) -> bool | None:
        names = listed(client, ref)
        return None if names is None else name not in names

    def send(client: ProxmoxClient) -> Any:
        return typed(_snapshot_api(client, ref)(name).delete)

    return SnapshotWrite(ref, "snapshot delete", "DELETE", f"{base(ref)}/{name}", f"snapshot '{name}' deleted",
                         (TASK_TYPES[_kind(ref), "delete"],), reached=reached, send=send, exclude=exclude,
                         snapname=name)  # fmt: skip


def rollback_write(ref: VmRef, name: str, *, start: bool = False) -> SnapshotWrite:
    params: dict[str, Any] = {"start": True} if start else {}

    def send(client: ProxmoxClient) -> Any:
        return typed(_snapshot_api(client, ref)(name).rollback, params)

    return SnapshotWrite(ref, "snapshot rollback", "POST", f"{base(ref)}/{name}/rollback", f"rolled back to '{name}'",
                         (TASK_TYPES[_kind(ref), "rollback"],), params=params, send=send,
                         snapname=name)  # fmt: skip


def plan_create(
    refs: Sequence[VmRef],
    name: str,
    *,
    description: str | None = None,
    vmstate: bool = False,
    keep: int | None = None,
    timeout: float | None = None,
) -> list[Step]:
    """One create per guest; with ``keep``, ``name`` is the prefix: the snapshot is ``NAME-YYYYMMDD-HHMMSS``
    (the same stamp on every guest), its description marked, and the retention follows it (KeepNewest)."""
    from pvectl.vm import snapshots

    if keep is None:
        return [create_write(ref, name, description=description, vmstate=vmstate) for ref in refs]
    if keep < 1:
        raise ValueError("keep must be at least 1")
    stamped, marked = snapshots.stamped(name), snapshots.description(description)
    return [
        KeepNewest(create_write(ref, stamped, description=marked, vmstate=vmstate), name, keep, timeout) for ref in refs
    ]


def plan_delete(refs: Sequence[VmRef], name: str) -> list[Step]:
    return [delete_write(ref, name) for ref in refs]


def plan_rollback(refs: Sequence[VmRef], name: str, *, start: bool = False) -> list[Step]:
    return [rollback_write(ref, name, start=start) for ref in refs]


def snapshottable(
    client: ProxmoxClient, refs: Sequence[VmRef], say: Callable[[str], None]
) -> tuple[list[VmRef], list[tuple[VmRef, str]]]:
    """The guests PVE can snapshot and the others with why (see pvectl.vm.snapshots.why_no_snapshot)."""
    from pvectl.vm.snapshots import snapshottable as qemu_snapshottable

    return qemu_snapshottable(client, refs, say)


def with_skipped(refs: Sequence[VmRef], planned: Sequence[Step], skipped: Sequence[tuple[VmRef, str]]) -> list[Step]:
    """The planned creates and, in the selection's order, a ``skipped`` outcome (exit 0) for each guest PVE
    cannot snapshot: shown per guest on stderr, in the table and under -o json, never counted as a failure."""
    why = {ref.vmid: reason for ref, reason in skipped}
    queue = iter(planned)
    return [
        decided(r, "snapshot", "skipped", f"skipped: {why[r.vmid]}") if r.vmid in why else next(queue) for r in refs
    ]


# -- retention ------------------------------------------------------------------------------------------------------


@dataclass
class _Progress:
    """Where a KeepNewest job is (read by another thread after Ctrl-C)."""

    created: Outcome | None = None
    expired: list[str] = field(default_factory=list)  # the old snapshots to delete, oldest first
    results: list[tuple[str, Outcome]] = field(default_factory=list)  # per old snapshot tried, in order
    running: tuple[str, str] | None = None  # (old snapshot, UPID) of the delete task being waited for
    sending: str = ""  # the old snapshot whose delete request is on its way (no answer yet)
    listing: str = ""  # why the snapshots could not be listed after the create
    listed: bool = False  # the expired snapshots are known
    lock: threading.Lock = field(default_factory=threading.Lock)


class KeepNewest(Job):
    """``snapshot create --keep N`` on one guest: the create, then each expired snapshot's delete as a write of
    its own; a Ctrl-C or a failure in the retention never hides that the snapshot was created."""

    def __init__(self, create: SnapshotWrite, prefix: str, keep: int, timeout: float | None) -> None:
        super().__init__(create.ref, create.action, self._run)
        self.create, self.prefix, self.keep, self.timeout = create, prefix, keep, timeout
        self.progress = _Progress()

    @property
    def request(self) -> str:
        """What --dry-run shows: the create, and that the retention follows."""
        return f"{self.create.request}, then DELETE the oldest '{self.prefix}' snapshots beyond {self.keep}"

    def _run(self, client: ProxmoxClient, on_state: State) -> Outcome:
        return self.start(client, on_state, None)

    def start(self, client: ProxmoxClient, on_state: State, cancelled: Callable[[], bool] | None) -> Outcome:
        stop = cancelled or (lambda: False)
        try:
            made = execute(client, self.create, wait=True, timeout=self.timeout, cancelled=cancelled,
                           on_state=on_state)  # fmt: skip
            if not made.ok:
                return made
            with self.progress.lock:
                self.progress.created = made
            on_state("then", made.upid or "")
            self._expire(client)
            self._delete_all(client, on_state, stop)
        except KeyboardInterrupt:
            return self._stopped_now()
        return self.summary(interrupted=stop())

    def _expire(self, client: ProxmoxClient) -> None:
        from pvectl.sdk._core.errors import PveError
        from pvectl.vm.snapshots import expired, snapshots

        try:
            old = expired(snapshots(client, self.ref.node, self.ref.vmid, kind=_kind(self.ref)), self.prefix, self.keep)
        except PveError as exc:
            with self.progress.lock:
                self.progress.listing = str(exc)
            return
        with self.progress.lock:
            self.progress.expired = [snap.name for snap in old]
            self.progress.listed = True

    def _delete_all(self, client: ProxmoxClient, on_state: State, stop: Callable[[], bool]) -> None:
        progress = self.progress
        earlier = {progress.created.upid} if progress.created and progress.created.upid else set()
        for name in progress.expired:
            if stop():
                return

            def seen(phase: str, what: str, name: str = name) -> None:
                if phase == "task":
                    with progress.lock:
                        progress.running, progress.sending = (name, what), ""
                on_state(phase, what)

            with progress.lock:
                progress.sending = name
            write = delete_write(self.ref, name, exclude=frozenset(earlier))
            result = execute(client, write, wait=True, timeout=self.timeout, cancelled=stop, on_state=seen)
            with progress.lock:
                progress.running, progress.sending = None, ""
                progress.results.append((name, result))
            if result.upid:
                earlier.add(result.upid)
            if result.kind == "interrupted":
                return

    def stopped(self, phase: str, what: str) -> Outcome | None:
        """Ctrl-C, the job not reporting in time: before the create finished the runner's words do; after it,
        this job's own."""
        with self.progress.lock:
            if self.progress.created is None:
                return None
        return self.summary(interrupted=True)

    def _stopped_now(self) -> Outcome:
        """Ctrl-C in the calling thread (one guest): outside a wait, so no task of ours runs unless named."""
        if self.progress.created is None:
            message = f"interrupted while snapshot '{self.create.snapname}' was being created; it may exist"
            remedy = f"pvectl {noun(self.ref.kind)} snapshot list {self.ref.vmid}"
            return outcome(self, "interrupted", message, missing=[self.action], remedies=[remedy])
        return self.summary(interrupted=True)

    def summary(self, *, interrupted: bool) -> Outcome:
        """The guest's one outcome: the create (done), then each old snapshot's fate."""
        with self.progress.lock:
            made, expired = self.progress.created, list(self.progress.expired)
            results, running, sending = list(self.progress.results), self.progress.running, self.progress.sending
            listed, listing = self.progress.listed, self.progress.listing
        assert made is not None
        tried = {name for name, _ in results}
        deleted = [f"deleted old snapshot {name}" for name, result in results if result.ok]
        missing: list[str] = []
        remedies: list[str] = []
        checked = list(made.checked)
        upid: str | None = None
        kinds: set[str] = set()
        for name, result in results:
            if result.ok:
                continue
            kinds.add(result.kind)
            checked += result.checked
            if result.kind == "interrupted" and result.upid:
                upid = result.upid
                missing.append(f"old snapshot {name}: still being deleted; the task goes on on the server: {upid}")
                remedies.append(follow(upid))
            else:
                why = result.message.removeprefix(f"{self.label}: ")
                missing.append(f"old snapshot {name}: not deleted ({why})")
                unsure = result.kind == "unknown"
                remedies.append(follow(result.upid) if unsure and result.upid else self._remedy(name, unsure))
        if running is not None and running[0] not in tried:  # Ctrl-C caught its wait before it reported
            upid = running[1]
            kinds.add("interrupted")
            tried.add(running[0])
            missing.append(f"old snapshot {running[0]}: still being deleted; the task goes on on the server: {upid}")
            remedies.append(follow(upid))
        if sending and sending not in tried:  # Ctrl-C caught its request in flight
            kinds.add("interrupted")
            tried.add(sending)
            missing.append(f"old snapshot {sending}: interrupted while its delete was being sent; it may be deleted")
            remedies.append(self._remedy(sending, True))
        for name in expired:
            if name not in tried:
                missing.append(f"old snapshot {name}: not deleted (not started)")
                remedies.append(self._remedy(name, False))
        if interrupted and not listed and not listing:
            kinds.add("interrupted")
            missing.append("retention: not started (interrupted before the old snapshots were listed)")
            remedies.append(f"pvectl {noun(self.ref.kind)} snapshot list {self.ref.vmid}")
        if listing:
            missing.append(f"retention: the snapshots could not be listed ({listing})")
            remedies.append(f"pvectl {noun(self.ref.kind)} snapshot list {self.ref.vmid}")
        if interrupted and len(tried) < len(expired):
            kinds.add("interrupted")
        return self._outcome(made, deleted, missing, remedies, checked, upid, kinds)

    def _outcome(self, made: Outcome, deleted: list[str], missing: list[str], remedies: list[str],
                 checked: list[str], upid: str | None, kinds: set[str]) -> Outcome:  # fmt: skip
        if not missing:
            names = [line.removeprefix("deleted old snapshot ") for line in deleted]
            said = f"; deleted old snapshot{'s' if len(names) > 1 else ''} {', '.join(names)}" if names else ""
            done = outcome(self, "done", self.create.past + said, upid=made.upid, checked=checked)
            done.done = deleted
            return done
        total = len(self.progress.expired)
        counted = f"{len(deleted)} of {total} old snapshot{'' if total == 1 else 's'} deleted"
        if "interrupted" in kinds:
            kind, why = "interrupted", f"retention interrupted ({counted})"
        elif "unknown" in kinds:
            kind, why = "unknown", f"retention: whether every old snapshot was deleted is unknown ({counted})"
        else:
            kind, why = "partial", f"retention did not finish ({counted})"
        message = f"{self.create.past}; {why}"
        if kind != "interrupted":
            upid = upid or made.upid  # an interrupted outcome's UPID is a task still running, or none
        return outcome(self, kind, message, upid=upid, done=[self.create.past, *deleted],
                       missing=missing, remedies=remedies, checked=checked)  # fmt: skip

    def _remedy(self, name: str, unsure: bool) -> str:
        command = f"pvectl {noun(self.ref.kind)} snapshot"
        if unsure:
            return f"{command} list {self.ref.vmid}"
        return f"{command} delete {self.ref.vmid} {name} --yes"
