"""Fault injection: make the simulator misbehave the way real clusters do, on purpose.

From Python: ``sim.inject(FailCall("/nodes/{node}/qemu", method="POST", nth=2, status=500))``. From the
command line (``pvectl sim serve --faults SPEC``, repeatable) or a seed's ``faults`` list, as
``KIND[:key=value,key=value...]`` (values cannot contain commas):

``fail:path=P[,method=M,nth=N,count=C,status=S,message=T]``  the Nth call (default 1st) to path P (concrete,
    or a schema template like ``/nodes/{node}/qemu``) and the C-1 calls after it answer status S
    (default 500) with message T.
``task-fail[:type=T,message=M,count=C]``   tasks (of type T, e.g. ``qmcreate``) end with exit status M.
``task-slow:seconds=S[,type=T]``           tasks (of type T) run S seconds.
``expire-tickets``                         every ticket issued so far stops being valid.
``steal-vmid[:count=C]``                   the id the next ``/cluster/nextid`` answers is taken by another VM
                                           right after it answers (a race between nextid and create).
``lock-vm:vmid=N[,lock=L]``                the VM's config gets ``lock: L`` (default backup).
``node-offline:node=N``                    the node stops answering (595) and shows as offline.
``latency:seconds=S[,path=P]``             every request (to P) waits S seconds first.
``agent:vmid=N,state=down|no-exec``        VM N's guest agent never answers, or answers but has
                                           ``guest-exec`` disabled (qemu-guest-agent's default since 9.x).
``backup-fail:vmid=N[,message=T]``        vzdump's backup of guest N fails with message T (the job goes on with
                                           the next guest and ends with ``job errors``, as PVE's does).
``console:vmid=N[,state=refused]``         termproxy refuses the login line of VM N's serial console: the
                                           websocket opens, then closes without ``OK`` (as PVE does for an
                                           expired ticket or an API token's user).
"""

from __future__ import annotations

import dataclasses
import math
import threading
from dataclasses import dataclass, field
from typing import Any

from pvectl.sdk._core.errors import PveError
from pvectl.sim.wire import ApiFail


class FaultSpecError(PveError, ValueError):
    """A fault spec that cannot be parsed; the message names the culprit."""

    exit_code = 2  # bad input: a usage error for the CLI


@dataclass
class FailCall:
    path: str
    method: str | None = None
    nth: int = 1
    count: int = 1
    status: int = 500
    message: str = "simulated failure"
    seen: int = field(default=0, compare=False)


@dataclass
class TaskFail:
    type: str | None = None
    message: str = "simulated task failure"
    count: int | None = None


@dataclass
class TaskSlow:
    seconds: float
    type: str | None = None


@dataclass
class ExpireTickets:
    pass


@dataclass
class StealVmid:
    count: int = 1


@dataclass
class LockVm:
    vmid: int
    lock: str = "backup"


@dataclass
class NodeOffline:
    node: str


@dataclass
class Latency:
    seconds: float
    path: str | None = None


@dataclass
class GuestAgent:
    vmid: int
    state: str = "down"


@dataclass
class Console:
    vmid: int
    state: str = "refused"


@dataclass
class BackupFail:
    vmid: int
    message: str = "simulated backup failure"


Fault = (
    FailCall
    | TaskFail
    | TaskSlow
    | ExpireTickets
    | StealVmid
    | LockVm
    | NodeOffline
    | Latency
    | GuestAgent
    | Console
    | BackupFail
)

KINDS: dict[str, type[Any]] = {
    "fail": FailCall,
    "task-fail": TaskFail,
    "task-slow": TaskSlow,
    "expire-tickets": ExpireTickets,
    "steal-vmid": StealVmid,
    "lock-vm": LockVm,
    "node-offline": NodeOffline,
    "latency": Latency,
    "agent": GuestAgent,
    "console": Console,
    "backup-fail": BackupFail,
}
_INTS = {"nth", "count", "status", "vmid"}
_FLOATS = {"seconds"}


def parse_fault(spec: str) -> Fault:
    kind, _, rest = spec.strip().partition(":")
    cls = KINDS.get(kind)
    if cls is None:
        raise FaultSpecError(f"unknown fault kind '{kind}' in '{spec}' (known: {', '.join(KINDS)})")
    names = {f.name for f in dataclasses.fields(cls) if f.name != "seen"}
    kwargs: dict[str, Any] = {}
    for part in filter(None, rest.split(",")):
        key, eq, value = part.partition("=")
        key = key.strip()
        if not eq or key not in names:
            raise FaultSpecError(f"fault '{kind}': bad option '{part}' (options: {', '.join(sorted(names))})")
        try:
            kwargs[key] = int(value) if key in _INTS else float(value) if key in _FLOATS else value
        except ValueError:
            raise FaultSpecError(f"fault '{kind}': {key} must be a number, got '{value}'") from None
    try:
        fault: Fault = cls(**kwargs)
    except TypeError:
        required = [f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING]
        raise FaultSpecError(f"fault '{kind}' needs {', '.join(required)}") from None
    problem = _problem(fault)
    if problem is not None:
        raise FaultSpecError(f"fault '{kind}': {problem}")
    return fault


# qemu-server's `lock` property (schema: POST /nodes/{node}/qemu, parameter lock, its enum).
LOCKS = ("backup", "clone", "create", "migrate", "rollback", "snapshot", "snapshot-delete", "suspending", "suspended")
METHODS = ("GET", "POST", "PUT", "DELETE")


def _problem(fault: Fault) -> str | None:
    """What is wrong with a parsed fault's values, or None."""
    seconds = getattr(fault, "seconds", None)
    if seconds is not None and not (math.isfinite(seconds) and seconds >= 0):
        return f"seconds must be a number >= 0, got {seconds:g}"
    if isinstance(fault, FailCall):
        if not 100 <= fault.status <= 599:
            return f"status must be an HTTP status, got {fault.status}"
        if fault.nth < 1 or fault.count < 1:
            return f"nth and count must be >= 1, got nth={fault.nth}, count={fault.count}"
        if not fault.path.startswith("/"):
            return f"path must be an API path like /cluster/nextid, got '{fault.path}'"
        if fault.method is not None and fault.method.upper() not in METHODS:
            return f"method must be one of {', '.join(METHODS)}, got '{fault.method}'"
    if isinstance(fault, (TaskFail, StealVmid)) and fault.count is not None and fault.count < 1:
        return f"count must be >= 1, got {fault.count}"
    if isinstance(fault, Console) and fault.state != "refused":
        return f"state must be refused, got '{fault.state}'"
    if isinstance(fault, LockVm):
        if not 100 <= fault.vmid <= 999_999_999:
            return f"vmid must be between 100 and 999999999, got {fault.vmid}"
        if fault.lock not in LOCKS:
            return f"lock must be one of {', '.join(LOCKS)}, got '{fault.lock}'"
    return None


def apply_to_state(state: dict[str, Any], fault: Fault, now: float) -> bool:
    """Faults that are a change of the world are applied to the state once; True when ``fault`` was one."""
    if isinstance(fault, ExpireTickets):
        state["ticket_epoch"] = int(state.get("ticket_epoch", 0)) + 1
    elif isinstance(fault, LockVm):
        vm = state["vms"].get(str(fault.vmid))
        if vm is None:
            raise FaultSpecError(f"fault 'lock-vm': no VM {fault.vmid}")
        vm["config"]["lock"] = fault.lock
    elif isinstance(fault, NodeOffline):
        if fault.node not in state["nodes"]:
            raise FaultSpecError(f"fault 'node-offline': no node '{fault.node}'")
        state["nodes"][fault.node]["online"] = False
    else:
        return False
    return True


def fault_spec(fault: Fault) -> str:
    """The spec text of a fault (parse_fault's inverse; defaults left out)."""
    kind = next(k for k, cls in KINDS.items() if isinstance(fault, cls))
    parts = []
    for f in dataclasses.fields(fault):
        value = getattr(fault, f.name)
        if f.name != "seen" and value != f.default:
            parts.append(f"{f.name}={value:g}" if isinstance(value, float) else f"{f.name}={value}")
    return f"{kind}:{','.join(parts)}" if parts else kind


def revert_state(state: dict[str, Any], fault: Fault) -> None:
    """Undo a fault that changed the world (expired tickets stay expired: they were issued before)."""
    if isinstance(fault, LockVm):
        vm = state["vms"].get(str(fault.vmid))
        if vm is not None and vm["config"].get("lock") == fault.lock:
            del vm["config"]["lock"]
    elif isinstance(fault, NodeOffline) and fault.node in state["nodes"]:
        state["nodes"][fault.node]["online"] = True


def _path_matches(want: str, path: str, template: str) -> bool:
    return want.rstrip("/") in (path.rstrip("/"), template.rstrip("/"))


class FaultSet:
    """The faults in force in one simulator process (counters live here, not in the state file)."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self._lock = threading.Lock()  # requests run concurrently; counters change under this lock

    def add(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def has_steal(self) -> bool:
        return any(isinstance(f, StealVmid) and f.count > 0 for f in self.faults)

    def latency(self, path: str, template: str) -> float:
        return sum(
            f.seconds
            for f in self.faults
            if isinstance(f, Latency) and (f.path is None or _path_matches(f.path, path, template))
        )

    def check_call(self, method: str, path: str, template: str) -> ApiFail | None:
        with self._lock:
            return self._check_call(method, path, template)

    def _check_call(self, method: str, path: str, template: str) -> ApiFail | None:
        for f in self.faults:
            if not isinstance(f, FailCall) or not _path_matches(f.path, path, template):
                continue
            if f.method is not None and f.method.upper() != method:
                continue
            f.seen += 1
            if f.nth <= f.seen < f.nth + f.count:
                return ApiFail(f.status, f.message)
        return None

    def task_outcome(self, task_type: str) -> tuple[str | None, float | None]:
        """(failure message or None, run time in seconds or None) for a task about to start."""
        with self._lock:
            return self._task_outcome(task_type)

    def _task_outcome(self, task_type: str) -> tuple[str | None, float | None]:
        failure: str | None = None
        seconds: float | None = None
        for f in self.faults:
            if isinstance(f, TaskFail) and f.type in (None, task_type) and failure is None and f.count != 0:
                failure = f.message
                if f.count is not None:
                    f.count -= 1
            elif isinstance(f, TaskSlow) and f.type in (None, task_type):
                seconds = max(seconds or 0.0, f.seconds)
        return failure, seconds

    def guest_agent(self, vmid: int) -> str | None:
        """``down`` or ``no-exec`` when an ``agent`` fault covers VM ``vmid``."""
        return next((f.state for f in self.faults if isinstance(f, GuestAgent) and f.vmid == vmid), None)

    def console_refused(self, vmid: int) -> bool:
        """Whether a ``console`` fault makes termproxy refuse VM ``vmid``'s login line."""
        return any(isinstance(f, Console) and f.vmid == vmid for f in self.faults)

    def backup_failure(self, vmid: int) -> str | None:
        """The message a ``backup-fail`` fault gives VM ``vmid``'s backup, or None."""
        return next((f.message for f in self.faults if isinstance(f, BackupFail) and f.vmid == vmid), None)

    def take_steal(self) -> bool:
        with self._lock:
            for f in self.faults:
                if isinstance(f, StealVmid) and f.count > 0:
                    f.count -= 1
                    return True
            return False
