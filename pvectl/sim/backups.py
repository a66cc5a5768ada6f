"""Backup archives as PVE names, lists and prunes them (the simulator's model, pure functions).

Sources (pve-storage 0c56bad8b2a7, pve-manager 14a22df35955):

- names: ``PVE/VZDump.pm exec_backup_task`` builds ``vzdump-<type>-<vmid>-YYYY_MM_DD-HH_MM_SS`` (local time),
  ``.vma`` for qemu, ``.tar`` for lxc, plus the compressor's extension (``compressor_info``: zstd ``.zst``,
  gzip ``.gz``, lzo or 1 ``.lzo``); on a PBS storage the snapshot is ``vm/<vmid>/<ISO time>Z`` (UTC).
- listing: ``src/PVE/Storage/Plugin.pm get_subdir_files`` (volid ``<sid>:backup/<file>``, format ``vma.zst``,
  ``subtype``, ``vmid``, ``notes`` from the ``.notes`` file, ``protected`` from the ``.protected`` file, ctime
  parsed from the name by ``src/PVE/Storage.pm archive_info``).
- prune: ``src/PVE/Storage/Plugin.pm prune_backups`` (groups per ``type/vmid``; names not in the standard
  scheme are marked ``renamed``, protected ones ``protected``) and ``src/PVE/Storage.pm
  prune_mark_backup_group`` with its ``$prune_mark`` helper (keep-last, then hourly, daily, weekly (ISO week),
  monthly, yearly; each rule keeps the newest backup of each of the N newest periods not yet covered).
"""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

KEEP_RULES = ("keep-last", "keep-hourly", "keep-daily", "keep-weekly", "keep-monthly", "keep-yearly")
COMPRESS_EXT = {"zstd": "zst", "gzip": "gz", "lzo": "lzo", "1": "lzo"}
STD_NAME = re.compile(
    r"vzdump-(qemu|lxc|openvz)-([1-9][0-9]{2,8})-(\d{4})_(\d{2})_(\d{2})-(\d{2})_(\d{2})_(\d{2})\.(tgz|(?:tar|vma)(?:\.(?:gz|lzo|zst|bz2))?)"
)
ANY_NAME = re.compile(r"vzdump-(qemu|lxc|openvz)-.+\.(tgz|(?:tar|vma)(?:\.(?:gz|lzo|zst|bz2))?)")
PBS_NAME = re.compile(r"(vm|ct)/([1-9][0-9]{2,8})/(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)")


def archive_name(kind: str, vmid: int, when: float, compress: str | None) -> str:
    """The file vzdump writes (the simulator's local time is UTC)."""
    stamp = time.strftime("%Y_%m_%d-%H_%M_%S", time.gmtime(when))
    ext = ".vma" if kind == "qemu" else ".tar"
    comp = COMPRESS_EXT.get(compress or "0")
    return f"vzdump-{kind}-{vmid}-{stamp}{ext}{'.' + comp if comp else ''}"


def pbs_name(kind: str, vmid: int, when: float) -> str:
    return f"{'vm' if kind == 'qemu' else 'ct'}/{vmid}/{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(when))}"


def archive_info(volname: str) -> dict[str, Any] | None:
    """type, vmid, ctime (when the name is standard) and format of a backup file name; None if not one."""
    base = volname.rsplit("/", 1)[-1]
    std = STD_NAME.fullmatch(base)
    if std:
        y, mo, d, h, mi, s = (int(x) for x in std.groups()[2:8])
        ctime = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
        return {"type": std.group(1), "vmid": int(std.group(2)), "ctime": ctime, "format": std.group(9), "std": True}
    other = ANY_NAME.fullmatch(base)
    if other:
        return {"type": other.group(1), "format": other.group(2), "std": False}
    pbs = PBS_NAME.fullmatch(volname.removeprefix("backup/"))
    if pbs:
        ctime = calendar.timegm(time.strptime(pbs.group(3), "%Y-%m-%dT%H:%M:%SZ"))
        kind = "qemu" if pbs.group(1) == "vm" else "lxc"
        return {"type": kind, "vmid": int(pbs.group(2)), "ctime": ctime, "format": f"pbs-{pbs.group(1)}", "std": True}
    return None


def _periods() -> dict[str, Callable[[int], object]]:
    def parts(ctime: int) -> time.struct_time:
        return time.gmtime(ctime)  # PVE uses localtime; the simulator's local time is UTC

    return {
        "keep-last": lambda c: c,
        "keep-hourly": lambda c: time.strftime("%Y/%m/%d/%H", parts(c)),
        "keep-daily": lambda c: time.strftime("%Y/%m/%d", parts(c)),
        "keep-weekly": lambda c: time.strftime("%G/%V", parts(c)),  # ISO week and its year, as PVE
        "keep-monthly": lambda c: time.strftime("%Y/%m", parts(c)),
        "keep-yearly": lambda c: time.strftime("%Y", parts(c)),
    }


def _mark(entries: Sequence[dict[str, Any]], count: int, period: Callable[[int], object]) -> None:
    """One keep rule over a newest-first list (Storage.pm ``$prune_mark``)."""
    if not count:
        return
    covered = {period(e["ctime"]) for e in entries if e.get("mark") == "keep"}
    new: set[object] = set()
    for entry in entries:
        pid = period(entry["ctime"])
        if entry.get("mark") is not None or pid in covered:
            continue
        if pid not in new:
            if len(new) >= count:
                break  # PVE stops this rule here: later entries stay unmarked for the next rule
            new.add(pid)
            entry["mark"] = "keep"
        else:
            entry["mark"] = "remove"


def mark_group(group: list[dict[str, Any]], keep: Mapping[str, int]) -> None:
    """Mark one backup group in place (Storage.pm ``prune_mark_backup_group``)."""
    positive = [k for k in KEEP_RULES if int(keep.get(k, 0) or 0) > 0]
    if keep.get("keep-all") or not positive:
        for entry in group:
            if entry.get("mark") and entry["mark"] != "remove":
                continue  # protected stays protected
            entry["mark"] = "keep"
        return
    ordered = sorted(group, key=lambda e: -e["ctime"])
    periods = _periods()
    for rule in KEEP_RULES:
        _mark(ordered, int(keep.get(rule, 0) or 0), periods[rule])
    for entry in ordered:
        entry.setdefault("mark", "remove")


def prune_marks(backups: Iterable[Mapping[str, Any]], keep: Mapping[str, int]) -> list[dict[str, Any]]:
    """The marks of ``GET …/prunebackups`` for a storage's backups (Plugin.pm ``prune_backups``)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    out: list[dict[str, Any]] = []
    for vol in backups:
        info = archive_info(vol["volid"].split(":", 1)[1]) or {}
        entry: dict[str, Any] = {"volid": vol["volid"], "ctime": vol["ctime"], "type": info.get("type", "unknown")}
        vmid = info.get("vmid", vol.get("vmid"))
        if vmid is not None:
            entry["vmid"] = int(vmid)
        if info.get("std"):
            entry["ctime"] = info["ctime"]
            groups.setdefault(f"{entry['type']}/{vmid}", []).append(entry)
        else:
            entry["mark"] = "renamed"
        if vol.get("protected"):
            entry["mark"] = "protected"
        out.append(entry)
    for group in groups.values():
        mark_group(group, keep)
    return out


def parse_keep(text: str) -> dict[str, int]:
    """``keep-last=3,keep-daily=7`` (PVE's prune-backups property string) as a mapping."""
    out: dict[str, int] = {}
    for part in filter(None, text.split(",")):
        key, _, value = part.partition("=")
        out[key.strip()] = int(value)
    return out


def config_text(config: Mapping[str, Any]) -> str:
    """A guest config as PVE writes its file (``key: value`` lines; the description as ``#`` lines first)."""
    lines = [f"#{line}" for line in str(config.get("description", "")).splitlines()]
    skip = {"description", "digest", "lock"}
    lines += [f"{k}: {v}" for k, v in sorted(config.items()) if k not in skip and not isinstance(v, dict)]
    return "\n".join(lines) + "\n"


def parse_config_text(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    description = [line[1:] for line in text.splitlines() if line.startswith("#")]
    for line in text.splitlines():
        key, sep, value = line.partition(": ")
        if sep and not line.startswith("#"):
            out[key] = value
    if description:
        out["description"] = "\n".join(description)
    return out


def notes_from_template(template: str, values: Mapping[str, str]) -> str:
    """``{{cluster}}``, ``{{guestname}}``, ``{{node}}``, ``{{vmid}}`` replaced (PVE/VZDump.pm ``$generate_notes``);
    ``\\n`` becomes a line break and ``\\\\`` a backslash."""
    out = re.sub(r"\{\{(\w+)\}\}", lambda m: values.get(m.group(1), m.group(0)), template)
    return out.replace("\\n", "\n").replace("\\\\", "\\")


def seeded_backup(entry: dict[str, Any], name: str, seed: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A seed's backup volume: type, vmid and ctime from its name (as PVE reads them), notes, protected, config."""
    from pvectl.sim.world import SeedError

    info = archive_info(name)
    if info is None:
        raise SeedError(f"{where}.name: '{name}' is not a backup archive name (vzdump-qemu-VMID-DATE.vma...)")
    out = {**entry, "format": info["format"], "subtype": info["type"]}
    if "vmid" in info:
        out["vmid"] = info["vmid"]
    if info.get("std") and "ctime" not in seed:
        out["ctime"] = info["ctime"]
    if seed.get("notes"):
        out["notes"] = str(seed["notes"])
    if seed.get("protected"):
        out["protected"] = True
    config = seed.get("config") or {"name": f"VM{out.get('vmid', '')}", "memory": "2048"}
    out["config"] = config_text({str(k): str(v) for k, v in dict(config).items()})
    return out
