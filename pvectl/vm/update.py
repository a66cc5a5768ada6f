"""The update engine of ``vm set`` (and ``apply``): desired PVE parameters vs the live config -> the minimal change.

    live = GET /nodes/{node}/qemu/{vmid}/config          (digest included)
    plan = plan_update(live, desired, remove=["net1"])   # pure: nothing sent
    plan.refused                                         # changes PVE cannot make in place, with the reason
    result = apply_update(client, ref, plan, digest=live["digest"])

``desired`` holds PVE parameters in the encoding of ``vm create`` (pvectl.vm.encode): a new disk is allocation
syntax (``local-lvm:32,ssd=1``), an attached one a volume (``local-lvm:vm-100-disk-0,size=32G``). Values are
compared as PVE reads them: property strings parsed (key order, spellings and default values do not count),
booleans as 0/1, tags as a set. ``params_from_fields`` / ``params_from_flags`` turn VM-file keys or ``vm set``
flags into such parameters for only the fields given (pvectl.vm.desired.params_from_fields/params_from_flags).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pvectl.sdk._core import propstring
from pvectl.vm.outcome import Outcome, OutcomeKind

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef

UPDATE = "PUT /nodes/{node}/qemu/{vmid}/config"
DRIVE = re.compile(r"(ide|sata|scsi|virtio)(\d+)|efidisk0|tpmstate0")
# qemu-server's NEW_DISK_RE (PVE/API2/Qemu.pm): ``[STORAGE:]SIZE`` allocates a new volume of SIZE GiB.
NEW_DISK = re.compile(r"(?:([^/:\s]+):)?(\d+(?:\.\d+)?)")
SIZE = re.compile(r"(\d+(?:\.\d+)?)([KMGT]?)")
# Keys GET …/config shows that are no settings (the digest) or that PVE keeps itself.
NOT_SETTINGS = frozenset({"digest", "lock", "meta", "vmgenid", "smbios1"})
# Drive options that are true when absent (qemu-server Drive.pm: backup and replicate default to 1).
TRUE_BY_DEFAULT = frozenset({"backup", "replicate"})
# Drive options that the disk's volume decides, not its config line: compared separately or not at all.
VOLUME_OPTIONS = frozenset({"file", "size", "format", "import-from"})
# PVE's answers to a stale ``digest``. The VM config update (qemu-server src/PVE/API2/Qemu.pm update_vm_api,
# ``$load_and_check_config``) says "checksum mismatch (file change by other user?)", spelled "missmatch" before
# qemu-server's 2024 typo fix (be8c868f); it runs before the fork (HTTP 500) and again inside the task (the task
# fails with it); ``resize_vm`` says the same. Other digest-guarded writes (move disk, reassign, ...) use pve-common
# src/PVE/Tools.pm assert_if_modified: "detected modified configuration - file changed by other user? Try again."
# Neither text decides alone: the config read after the refusal does (``_conflict``).
DIGEST_CONFLICT = re.compile(r"checksum mis+match \(file change by other user\?\)|detected modified configuration")


class UpdateError(ValueError):
    """Input ``vm set``/``apply`` cannot turn into a change; the message names the flag or key."""


@dataclass
class UpdatePlan:
    """The minimal change from the live config to the desired one; nothing in it has been sent.

    ``set``: PVE parameter -> encoded value for the one ``PUT …/config``; ``delete``: keys for its ``delete=``;
    ``resize``: (disk, new size like ``64G``) for ``PUT …/resize`` after the config write (PVE grows disks only
    through resize); ``refused``: (key, reason) for changes PVE cannot make in place (nothing is sent while there
    are any); ``unchanged``: desired keys that already have their value; ``live``: the config it was planned on.
    """

    set: dict[str, str] = field(default_factory=dict)
    delete: list[str] = field(default_factory=list)
    resize: list[tuple[str, str]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    live: dict[str, str] = field(default_factory=dict)

    def is_empty(self) -> bool:
        """Nothing to send (refusals aside)."""
        return not (self.set or self.delete or self.resize)

    @property
    def changed(self) -> list[str]:
        """Every key the plan changes, in the order of the requests (set, delete, resize)."""
        out = [*self.set, *self.delete]
        out += [disk for disk, _ in self.resize if disk not in out]
        return out

    def allocates(self) -> bool:
        """True when the write creates a volume (a new disk): PVE's async ``POST …/config`` suits it better."""
        return any(_is_drive(k) and _new_disk(_drive_file(k, v)) is not None for k, v in self.set.items())

    def config_params(self, digest: str | None) -> dict[str, str]:
        """The parameters of the ``…/config`` write: the values, ``delete=`` and the ``digest`` read before."""
        params = dict(self.set)
        if self.delete:
            params["delete"] = ",".join(self.delete)
        if digest and (self.set or self.delete):
            params["digest"] = digest  # PVE refuses the write when the config changed since it was read
        return params

    def requests(
        self, node: str, vmid: int, digest: str | None, *, running: bool = False
    ) -> list[tuple[str, str, dict[str, str]]]:
        """The writes ``apply_update`` sends, in order: (method, path, params).

        The config write is the async ``POST`` (a task) when it allocates a volume or the VM runs (hotplug), the
        sync ``PUT`` otherwise: PVE's schema says of the PUT "You should consider using the POST method instead
        for any actions involving hotplug or storage allocation."
        """
        path = f"/nodes/{node}/qemu/{vmid}"
        out: list[tuple[str, str, dict[str, str]]] = []
        if self.set or self.delete:
            method = "POST" if self.allocates() or running else "PUT"
            out.append((method, f"{path}/config", self.config_params(digest)))
        out += [("PUT", f"{path}/resize", {"disk": disk, "size": size}) for disk, size in self.resize]
        return out

    def waits_for_reboot(self, *, running: bool) -> list[str]:
        """The changed keys that PVE will keep pending on a running VM (its ``hotplug`` setting decides)."""
        if not running:
            return []
        from pvectl.vm.pending import hotpluggable

        after = {**self.live, **self.set}
        keys = [*self.set, *self.delete]  # a resize alone is live on every bus (qemu-server qemu_block_resize)
        return [k for k in keys if not hotpluggable(k, self.live, after, deleting=k in self.delete)]

    def to_json(self) -> dict[str, Any]:
        return {
            "set": dict(self.set),
            "delete": list(self.delete),
            "resize": [{"disk": d, "size": s} for d, s in self.resize],
            "refused": [{"key": k, "reason": r} for k, r in self.refused],
            "unchanged": list(self.unchanged),
        }


# --- comparing values as PVE reads them ---------------------------------------------------------------------------


@functools.cache
def _schema(key: str) -> Mapping[str, Any] | None:
    from pvectl.sdk._core.spec import load_spec

    params = load_spec().op(UPDATE).params
    found: Mapping[str, Any] | None = params.get(key) or params.get(re.sub(r"\d+$", "[n]", key))
    return found


def _format(key: str) -> propstring.Format | None:
    schema = _schema(key)
    fmt: propstring.Format | None = schema.get("property_string") if schema else None
    return fmt


def _is_drive(key: str) -> bool:
    return DRIVE.fullmatch(key) is not None


def _parse(key: str, value: str) -> dict[str, str]:
    fmt = _format(key)
    if fmt is None:
        raise propstring.PropertyStringError(f"{key} is no property string")
    return propstring.parse(value, fmt)


def _drive_file(key: str, value: str) -> str:
    try:
        return _parse(key, value).get("file", "")
    except propstring.PropertyStringError:
        return value.split(",", 1)[0]


def _new_disk(file: str) -> re.Match[str] | None:
    return NEW_DISK.fullmatch(file)


def _options(key: str, values: Mapping[str, str], *, skip: frozenset[str] = frozenset()) -> dict[str, str]:
    """Sub-keys with booleans as 0/1 and values equal to their default left out (absent = default)."""
    fmt = _format(key) or {}
    out: dict[str, str] = {}
    for name, value in values.items():
        if name in skip:
            continue
        schema = fmt.get(name, {})
        if schema.get("type") == "boolean":
            value = propstring.parse_boolean(value)
            default = "1" if schema.get("default") is True or (_is_drive(key) and name in TRUE_BY_DEFAULT) else "0"
            if value == default:
                continue
        elif "default" in schema and str(schema["default"]) == value:
            continue
        out[name] = value
    return out


def canonical(key: str, value: str) -> object:
    """A form of ``value`` that is equal for every text PVE reads as the same setting."""
    schema = _schema(key) or {}
    fmt = _format(key)
    if fmt is not None:
        try:
            values = propstring.parse(value, fmt)
        except propstring.PropertyStringError:
            return value
        return tuple(sorted(_options(key, values).items()))
    kind = schema.get("type")
    if kind == "boolean":
        return propstring.parse_boolean(value)
    if kind in ("integer", "number"):
        try:
            return float(value)
        except ValueError:
            return value
    if key == "tags":
        return tuple(sorted({t for t in re.split(r"[;, ]+", value) if t}))
    if schema.get("format") in ("pve-vm-cpu-conf", "pve-startup-order"):
        head, *rest = value.split(",")
        return (head, *sorted(rest)) if "=" not in head else tuple(sorted(value.split(",")))
    return value


def _is_default(key: str, value: str) -> bool:
    schema = _schema(key) or {}
    if "default" not in schema:
        return False
    default = schema["default"]
    text = ("1" if default else "0") if isinstance(default, bool) else str(default)
    return canonical(key, text) == canonical(key, value)


def same(key: str, live: str | None, desired: str) -> bool:
    """Whether ``desired`` is what ``live`` already is (an absent live key is its schema default)."""
    if live is None:
        return _is_default(key, desired)
    return canonical(key, live) == canonical(key, desired)


# --- planning -----------------------------------------------------------------------------------------------------


def plan_update(live: Mapping[str, Any], desired: Mapping[str, str], remove: Sequence[str] = ()) -> UpdatePlan:
    """The minimal change from ``live`` (GET …/config) to ``desired`` (PVE params), removing ``remove``.

    Pure; never raises for a change PVE cannot make: it lands in ``refused`` with the reason.
    """
    current = {str(k): str(v) for k, v in live.items() if k not in NOT_SETTINGS}
    plan = UpdatePlan(live=dict(current))
    for key, want in desired.items():
        if key in remove:
            plan.refused.append((key, "both set and removed"))
        elif _is_drive(key):
            _plan_drive(plan, key, want, current)
        elif re.fullmatch(r"net\d+", key):
            _plan_plain(plan, key, _keep_mac(key, current.get(key), want), current)
        else:
            _plan_plain(plan, key, want, current)
    for key in remove:
        if key in desired:
            continue
        if key not in current:
            plan.refused.append((key, f"the VM has no {key}"))
        else:
            plan.delete.append(key)
    return plan


def _plan_plain(plan: UpdatePlan, key: str, want: str, live: Mapping[str, str]) -> None:
    if same(key, live.get(key), want):
        plan.unchanged.append(key)
    else:
        plan.set[key] = want


def _keep_mac(key: str, live: str | None, want: str) -> str:
    """A NIC without ``macaddr`` keeps its MAC: PVE would generate a new one (a new NIC to the guest)."""
    if live is None:
        return want
    try:
        have, wanted = _parse(key, live), _parse(key, want)
    except propstring.PropertyStringError:
        return want
    if "macaddr" in wanted or "macaddr" not in have:
        return want
    wanted["macaddr"] = have["macaddr"]
    return propstring.render(wanted, _format(key) or {})


def _plan_drive(plan: UpdatePlan, key: str, want: str, live: Mapping[str, str]) -> None:
    try:
        wanted = _parse(key, want)
        current = _parse(key, live[key]) if key in live else None
    except propstring.PropertyStringError as exc:
        plan.refused.append((key, f"'{want}': {exc}"))
        return
    file = wanted.get("file", "")
    if current is None:
        holder = _holder(file, key, live)
        if holder:
            plan.refused.append(
                (key, f"{file} is attached as {holder}; PVE cannot move a disk to another bus in place")
            )
        else:
            plan.set[key] = want
        return
    have_file = current.get("file", "")
    if file.endswith(":cloudinit"):
        # The create encoding asks for a cloud-init drive as STORAGE:cloudinit; qemu-server names the volume
        # vm-VMID-cloudinit (PVE/API2/Qemu.pm create_disks), so the same storage means the same drive.
        if "cloudinit" in have_file and have_file.split(":", 1)[0] == file.split(":", 1)[0]:
            plan.unchanged.append(key)
        else:
            plan.refused.append((key, f"{key} holds {have_file}; remove it first to add a cloud-init drive there"))
        return
    cdrom = (current.get("media") == "cdrom", wanted.get("media") == "cdrom")
    if cdrom[0] or cdrom[1]:
        if cdrom[0] != cdrom[1]:
            plan.refused.append((key, f"{key} is a {'CD drive' if cdrom[0] else 'disk'}; remove it first"))
        else:
            _plan_plain(plan, key, want, live)
        return
    new = _new_disk(file)
    if new is not None:
        storage = new.group(1) or ""
        if storage and storage != have_file.split(":", 1)[0]:
            reason = f"{key} is on {have_file.split(':', 1)[0]}; moving it to {storage} is a disk move, not in place"
            plan.refused.append((key, reason))
            return
        # The size of a new EFI or TPM state volume is a placeholder: PVE sizes it by its type.
        size = "" if key in ("efidisk0", "tpmstate0") else f"{new.group(2)}G"
    elif file != have_file:
        plan.refused.append((key, f"{key} holds {have_file}; another volume there would detach it: remove it first"))
        return
    else:
        size = wanted.get("size", "")
    if not _plan_size(plan, key, size, current.get("size", "")):
        return
    if _options(key, wanted, skip=VOLUME_OPTIONS) == _options(key, current, skip=VOLUME_OPTIONS):
        if not any(d == key for d, _ in plan.resize):
            plan.unchanged.append(key)
        return
    merged = {k: v for k, v in wanted.items() if k not in VOLUME_OPTIONS}
    merged.update({k: current[k] for k in ("file", "size", "format") if k in current})
    # With a resize too, the new line carries the new size: on a running VM it may wait in [PENDING], and
    # applied after the resize it would otherwise write the old size back.
    for disk, grown in plan.resize:
        if disk == key:
            merged["size"] = grown
    plan.set[key] = propstring.render(merged, _format(key) or {})


def _plan_size(plan: UpdatePlan, key: str, want: str, have: str) -> bool:
    """Add the resize ``want`` asks for; False (and a refusal) when PVE cannot make it."""
    if not want:
        return True
    new, old = _bytes(want), _bytes(have)
    if new is None:
        plan.refused.append((key, f"size '{want}' is not a size like 64G"))
        return False
    if old is not None and new < old:
        plan.refused.append((key, f"{key} is {have}; PVE cannot shrink disks (asked for {want})"))
        return False
    if old is not None and new > old:
        from pvectl.vm.resize import human

        plan.resize.append((key, human(new)))
    return True


def measure_resizes(client: ProxmoxClient, node: str, plan: UpdatePlan) -> None:
    """Check the planned growths against each volume's real size: qemu-server src/PVE/API2/Qemu.pm ``resize_vm``
    measures the volume (``PVE::Storage::volume_size_info``), not the config's ``size=``, which lags when a volume
    grew outside PVE. Smaller than the volume: refused (PVE: "shrinking disks is not supported"); the same size:
    nothing to send (PVE returns without resizing); the volume unreadable: the config's size stands."""
    from pvectl.vm.resize import human, volume_size

    kept: list[tuple[str, str]] = []
    for disk, size in plan.resize:
        want, real = _bytes(size), volume_size(client, node, str(plan.live.get(disk, "")))
        if want is None or real is None or want > real:
            kept.append((disk, size))
        elif want < real:
            said = _parse(disk, str(plan.live.get(disk, ""))).get("size") or "no size"
            plan.refused.append(
                (disk, f"{disk} is {human(real)} on its storage (its config says {said}); PVE cannot shrink disks")
            )
        elif disk not in plan.set:
            plan.unchanged.append(disk)
    plan.resize = kept


def _bytes(text: str) -> int | None:
    m = SIZE.fullmatch(text)
    if not m:
        return None
    return int(float(m.group(1)) * 1024 ** " KMGT".index(m.group(2) or " "))


def _holder(file: str, key: str, live: Mapping[str, str]) -> str | None:
    """The other drive key that has ``file`` attached (a volume reference, not a new allocation)."""
    if not file or _new_disk(file) is not None or ":" not in file:
        return None
    for other, value in live.items():
        if other != key and _is_drive(other) and _drive_file(other, value) == file:
            return other
    return None


def refuse_unsupported(plan: UpdatePlan, version: str) -> None:
    """Move the settings the server's release lacks from ``set`` into ``refused`` (with the first release that has
    them): the SDK would refuse to send the write, and the rest of it should not go alone."""
    from pvectl.sdk import _versions
    from pvectl.sdk._core.versions import check_supported

    for key in list(plan.set):
        name = key if key in _versions.TABLE.get(UPDATE, ("", {}))[1] else re.sub(r"\d+$", "[n]", key)
        problem = check_supported(UPDATE, [name], version, _versions.RELEASES, _versions.TABLE)
        if problem is not None:
            since = f"first in PVE {problem.since}" if problem.since else "in no release pvectl knows"
            plan.refused.append((key, f"PVE {version} has no {key} ({since})"))
            del plan.set[key]


# --- outcome ------------------------------------------------------------------------------------------------------


@dataclass
class UpdateOutcome(Outcome):
    """An Outcome of ``vm set``/``apply`` with what went live and what waits for a reboot."""

    applied: list[str] = field(default_factory=list)  # changed keys that are live now
    pending: list[str] = field(default_factory=list)  # changed keys that wait for a reboot (GET …/pending)
    update: UpdatePlan | None = None

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        out["applied"] = list(self.applied)
        out["pending"] = list(self.pending)
        if self.update is not None:
            out["changes"] = self.update.to_json()
        return out


Wait = Callable[[str, float], Mapping[str, Any]]


def _default_wait(client: ProxmoxClient) -> Wait:
    from pvectl.sdk import Task

    def wait(upid: str, timeout: float) -> Mapping[str, Any]:
        return Task(client, upid).wait(timeout=timeout)

    return wait


def send_write(client: ProxmoxClient, ref: VmRef, method: str, path: str, params: Mapping[str, Any]) -> Any:
    """One write of ``UpdatePlan.requests`` through its typed SDK method: ``PUT …/resize``, the async
    ``POST …/config`` (a task) or the sync ``PUT …/config``."""
    from pvectl.guest.api import guest_api
    from pvectl.guest.wire import typed

    vm = guest_api(client, ref.node, ref.vmid)
    if path.endswith("/resize"):
        return typed(vm.resize, params)
    return typed(vm.config.create if method == "POST" else vm.config.set, params)


def apply_update(
    client: ProxmoxClient,
    ref: VmRef,
    plan: UpdatePlan,
    *,
    digest: str | None,
    reboot: bool = False,
    timeout: float = 600.0,
    wait: Wait | None = None,
) -> UpdateOutcome:
    """Send ``plan``: one ``…/config`` write guarded by ``digest``, the resizes, then read ``…/pending``.

    ``reboot`` reboots a running VM that has pending changes and waits. ``wait(upid, timeout)`` follows a task
    (default: the SDK's Task.wait; the CLI passes its spinner). Never retries a write.
    """
    from pvectl.guest.answers import ambiguous
    from pvectl.sdk._core.errors import (
        ApiError,
        PveError,
        TaskFailed,
        TransportError,
        UnsupportedByServer,
        ValidationError,
    )

    if plan.refused:
        raise UpdateError("; ".join(f"{k}: {r}" for k, r in plan.refused))
    follow = wait or _default_wait(client)
    name = f"VM {ref.vmid}"
    out = UpdateOutcome("done", ref.vmid, ref.node, f"{name}: nothing to change", update=plan)
    if plan.is_empty():
        # Nothing to send; the desired values may still wait for a reboot from an earlier change.
        waiting = _waiting(client, ref, out) or set()
        out.pending = [k for k in plan.unchanged if k in waiting]
        if out.pending:
            out.message += f"; waiting for a reboot already: {', '.join(out.pending)}"
        return out
    writes = plan.requests(ref.node, ref.vmid, digest, running=ref.status == "running")
    step = "config"
    try:
        for method, path, params in writes:
            step = "config" if path.endswith("/config") else f"resize {params['disk']}"
            if step != "config":
                grown = _resize(client, ref, params, timeout)
                out.checked += grown.checked
                if grown.kind == "unknown":
                    out.kind, out.message = "unknown", f"{name}: {step}: {grown.message.partition(': ')[2]}"
                    out.upid, out.remedies = grown.upid or out.upid, grown.remedies
                    return out
                if not grown.ok:
                    return _partial(out, name, step, grown.message.partition(": ")[2], plan)
                out.done.append(step)
                continue
            answer = send_write(client, ref, method, path, params)
            if isinstance(answer, str) and answer.startswith("UPID:"):
                out.upid = answer
                follow(answer, timeout)
            out.done.append(step)
    except ApiError as exc:
        if step == "config" and _stored(client, ref, out, digest, exc):
            if plan.resize:  # the resizes were not sent after the ambiguous answer
                return _partial(out, name, "resize", "not sent after the config write's answer went missing", plan)
            return _report(client, ref, out, reboot=reboot, timeout=timeout, wait=follow)
        if step == "config" and _conflict(client, ref, out, digest, exc.message):
            return out
        if step == "config":
            out.errors = exc.errors
            return _failed_write(client, ref, out, digest, "nothing-created", f"PVE refused: {exc}")
        return _partial(out, name, step, str(exc), plan)
    except TaskFailed as exc:
        out.log_tail = exc.log_tail
        if step == "config" and _conflict(client, ref, out, digest, f"{exc.exitstatus}\n" + "\n".join(exc.log_tail)):
            return out
        if step == "config":
            return _failed_write(client, ref, out, digest, "task-failed", f"the config task failed: {exc.exitstatus}")
        return _partial(out, name, step, exc.exitstatus, plan)
    except UnsupportedByServer as exc:  # the SDK checks the release before sending: nothing went out
        out.kind, out.message, out.code = "nothing-created", f"VM {ref.vmid}: {exc}; nothing was sent", 2
        return out
    except ValidationError as exc:  # the SDK checks PVE's schema before sending: this write did not go out
        if step != "config":
            return _partial(out, name, step, f"not sent: {exc}", plan)
        out.kind, out.message, out.code = "nothing-created", f"{name}: {exc}; nothing was sent", 2
        return out
    except (TransportError, PveError) as exc:
        if step == "config" and _stored(client, ref, out, digest, exc):
            if plan.resize:  # the resizes were not sent after the ambiguous answer
                return _partial(out, name, "resize", "not sent after the config write's answer went missing", plan)
            return _report(client, ref, out, reboot=reboot, timeout=timeout, wait=follow)
        if step == "config" and ambiguous(exc) and _conflict(client, ref, out, digest, ""):
            return out  # someone else changed the config and this write left no trace: its digest can never pass
        out.kind, out.message = "unknown", f"{name}: {step}: no answer ({exc}); whether it applied is unknown"
        out.checked.append(f"{step}: {exc}")
        out.remedies = [f"pvectl api get /nodes/{ref.node}/qemu/{ref.vmid}/pending"]
        return out
    return _report(client, ref, out, reboot=reboot, timeout=timeout, wait=follow)


def _resize(client: ProxmoxClient, ref: VmRef, params: Mapping[str, str], timeout: float) -> Outcome:
    """One disk growth through the write runner: after a lost, 5xx or odd answer it looks for the qmresize task,
    then at the config's size (never sent twice)."""
    from pvectl.guest.ops.simple import resize_write
    from pvectl.guest.run import execute

    disk, want = params["disk"], _bytes(params["size"]) or 0

    def done(config: dict[str, Any]) -> bool:
        have = _bytes(_parse(disk, str(config.get(disk, ""))).get("size", ""))
        return have is not None and have >= want

    return execute(client, resize_write(ref, dict(params), done), timeout=timeout)


def _current_config(client: ProxmoxClient, ref: VmRef, out: UpdateOutcome) -> dict[str, Any]:
    """The config as GET …/config shows it (pending values and removals included); {} when it cannot be read."""
    from pvectl.sdk._core.answers import as_object
    from pvectl.sdk._core.errors import PveError

    path = f"/nodes/{ref.node}/qemu/{ref.vmid}/config"
    try:
        return dict(as_object(f"GET {path}", client.nodes(ref.node).qemu(ref.vmid).config.get()))
    except PveError as exc:
        out.checked.append(f"GET {path}: {exc}")
        return {}


def _current_digest(client: ProxmoxClient, ref: VmRef, out: UpdateOutcome) -> str:
    return str(_current_config(client, ref, out).get("digest") or "")


def _untouched(plan: UpdatePlan | None, config: Mapping[str, Any]) -> bool:
    """Every key this write changes still reads as it did when planned (GET …/config shows pending values and
    hides pending removals, so a stored change shows even where it waits for a reboot): this write left no
    trace, whoever changed the digest."""
    if plan is None or not plan.live or not (plan.set or plan.delete):
        return False
    keys = [*plan.set, *plan.delete]
    return all(str(config.get(k)) == str(plan.live.get(k)) if k in plan.live else k not in config for k in keys)


def _stored(client: ProxmoxClient, ref: VmRef, out: UpdateOutcome, digest: str | None, exc: BaseException) -> bool:
    """An ambiguous answer to the config write (lost, 502/504, timeout) after which the config's digest is no
    longer the one sent: PVE stored the change (update_vm_api writes the config under its lock and the digest
    guard refuses a write on a changed config, qemu-server src/PVE/API2/Qemu.pm update_vm_api), so the write is
    done, not refused; it is never sent again."""
    from pvectl.guest.answers import ambiguous, describe_loss

    if not digest or not ambiguous(exc):
        return False
    config = _current_config(client, ref, out)
    now = str(config.get("digest") or "")
    if not now or now == digest or _untouched(out.update, config):
        return False  # the same config, or someone else's change: whether this write lands is not known
    out.done.append("config")
    path = f"/nodes/{ref.node}/qemu/{ref.vmid}/config"
    out.checked.append(f"config: {describe_loss(exc)}; GET {path}: the digest is no longer the one sent")
    return True


def _conflict(client: ProxmoxClient, ref: VmRef, out: UpdateOutcome, digest: str | None, said: str) -> bool:
    """A refused digest-guarded write that was a conflict: the config's digest is no longer the one sent (read
    now), and PVE named a stale digest or every key of this write still reads as planned (the text differs
    between releases and functions, so it is not needed). Fills ``out`` and says True then."""
    if not digest:
        return False
    config = _current_config(client, ref, out)
    now = str(config.get("digest") or "")
    if not now or now == digest:
        return False  # not what the text claims: the generic path reads and reports
    if not DIGEST_CONFLICT.search(said):
        if not _untouched(out.update, config):
            return False  # this write may have been stored before it failed: the generic path reports it
        if said.strip():
            out.checked.append(f"PVE said: {said.strip().splitlines()[0]}")
    out.kind = "nothing-created"
    out.message = f"VM {ref.vmid}: the VM changed since it was read; nothing was applied"
    out.checked.append(f"GET /nodes/{ref.node}/qemu/{ref.vmid}/config: the digest differs from the one sent")
    return True


def _failed_write(
    client: ProxmoxClient, ref: VmRef, out: UpdateOutcome, digest: str | None, kind: OutcomeKind, why: str
) -> UpdateOutcome:
    """A config write that failed: a running VM's write can fail after PVE stored it (a hotplug error leaves the
    change pending: update_vm_api raises the hotplug errors after writing), so the digest decides what to say."""
    name, path = f"VM {ref.vmid}", f"/nodes/{ref.node}/qemu/{ref.vmid}/config"
    now = _current_digest(client, ref, out)
    if digest and now == digest:
        out.kind, out.message = kind, f"{name}: {why}; nothing was applied"
        return out
    if not digest or not now:
        out.kind, out.message = "unknown", f"{name}: {why}; whether anything was applied is unknown"
        out.remedies = [f"pvectl api get {path.removesuffix('/config')}/pending"]
        return out
    assert out.update is not None
    changed = out.update.changed
    waiting = _waiting(client, ref, out) or set()
    out.pending = [k for k in changed if k in waiting]
    out.kind = "partial"
    out.message = f"{name}: {why}, but the config changed; waiting for a reboot: {', '.join(out.pending) or 'none'}"
    out.checked.append(f"GET {path}: the digest is no longer the one sent")
    out.remedies = [f"pvectl api get {path.removesuffix('/config')}/pending"]
    out.missing = [f"resize {d}" for d, _ in out.update.resize]
    return out


def _partial(out: UpdateOutcome, name: str, step: str, why: str, plan: UpdatePlan) -> UpdateOutcome:
    out.kind = "partial"
    out.message = f"{name}: the config was changed, {step} failed: {why}"
    left = [(d, s) for d, s in plan.resize if f"resize {d}" not in out.done]
    out.missing = [f"resize {d}" for d, _ in left]
    out.remedies = [f"pvectl vm resize {out.vmid} {d} {s}" for d, s in left]
    return out


def _waiting(client: ProxmoxClient, ref: VmRef, out: UpdateOutcome) -> set[str] | None:
    """The keys that wait for a reboot; None when ``…/pending`` cannot be read (noted in ``checked``)."""
    from pvectl.sdk._core.errors import PveError
    from pvectl.vm.pending import pending_report

    try:
        return {e.key for e in pending_report(client, ref) if e.waiting}
    except PveError as exc:
        out.checked.append(f"GET /nodes/{ref.node}/qemu/{ref.vmid}/pending: {exc}")
        return None


def _report(
    client: ProxmoxClient, ref: VmRef, out: UpdateOutcome, *, reboot: bool, timeout: float, wait: Wait
) -> UpdateOutcome:
    assert out.update is not None
    changed = out.update.changed
    waiting = _waiting(client, ref, out)
    failed = ""
    if reboot and ref.status == "running" and (waiting is None or waiting & set(changed)):
        # through the guest runner: a lost answer is looked up (qmreboot task), never sent again
        from pvectl.guest.ops.power import power_write
        from pvectl.guest.run import execute

        rebooted = execute(client, power_write(ref, "reboot"), timeout=timeout)
        out.upid, out.checked = rebooted.upid or out.upid, out.checked + rebooted.checked
        if rebooted.ok:
            out.done.append("reboot")
        else:
            failed = (rebooted.message.partition(": ")[2] or rebooted.message).removeprefix("reboot failed: ")
            out.log_tail = rebooted.log_tail
        waiting = _waiting(client, ref, out)
    if waiting is None:
        out.message = f"VM {ref.vmid}: changed ({', '.join(changed)}); what waits for a reboot could not be read"
    else:
        out.pending = [k for k in changed if k in waiting]
        out.applied = [k for k in changed if k not in waiting]
        out.message = _summary(f"VM {ref.vmid}", out.applied, out.pending)
    if failed:
        out.kind = "partial"
        out.message += f"; the reboot failed: {failed}"
        out.missing = ["reboot"]
        out.remedies = [f"pvectl vm reboot {ref.vmid}"]
    return out


def _summary(name: str, applied: list[str], pending: list[str]) -> str:
    parts = []
    if applied:
        parts.append(f"live: {', '.join(applied)}")
    if pending:
        parts.append(f"waiting for a reboot: {', '.join(pending)} (pvectl vm reboot, or --reboot)")
    return f"{name}: changed; " + "; ".join(parts)
