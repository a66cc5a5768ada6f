"""``ct set``: the flags given -> the one config write that changes only what differs (pure: no IO).

Values are compared as PVE stores them, so an unchanged value is not sent. A NIC given again keeps its MAC
(``hwaddr``) unless the flag names one. What PVE cannot change in place is refused before anything is sent:
``unprivileged`` is read-only once created (pve-container src/PVE/LXC/Config.pm update_pct_config "unable to
modify read-only option"); the root disk is grown with ``ct resize``, never replaced; ``memory``, ``rootfs`` and
``ostype`` cannot be removed (update_pct_config "unable to delete required option").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pvectl.ct.config import Features, parse_mp, parse_net
from pvectl.ct.encode import mountpoint, net

REQUIRED = ("memory", "rootfs", "ostype")
SIMPLE = ("hostname", "cores", "cpulimit", "cpuunits", "memory", "swap", "nameserver", "searchdomain",
          "description", "ostype")  # fmt: skip


@dataclass
class Change:
    params: dict[str, str] = field(default_factory=dict)
    delete: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.params and not self.delete


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _pairs(text: str) -> dict[str, str]:
    return dict(part.partition("=")[::2] for part in str(text).split(",") if part)


def _same(current: Any, wanted: str) -> bool:
    return current is not None and _text(current) == wanted


def _features(current: str | None, values: Mapping[str, Any]) -> str | None:
    """The merged ``features`` string, or None when no feature flag was given."""
    given = {k: values[k] for k in ("nesting", "keyctl", "fuse", "mknod", "mount") if values.get(k) is not None}
    if not given:
        return None
    feats = _pairs(current or "")
    for key, value in given.items():
        if key == "mount":
            Features(mount=list(value))  # checks the names (nfs, cifs)
            feats.pop("mount", None)
            if value:
                feats["mount"] = ";".join(value)
        elif value:
            feats[key] = "1"
        else:
            feats.pop(key, None)
    return ",".join(f"{k}={v}" for k, v in sorted(feats.items()))


def plan_set(current: Mapping[str, Any], values: Mapping[str, Any]) -> Change:
    """``values``: flag names -> given values (None: not given); ``net`` as ``N:SPEC`` or ``SPEC`` (net0), ``mp``
    as specs of new mount points, ``remove`` as config keys, ``tag`` a list that replaces the tags."""
    change = Change()
    for key in SIMPLE:
        value = values.get(key)
        if value is not None and not _same(current.get(key), _text(value)):
            change.params[key] = _text(value)
    if values.get("onboot") is not None:
        wanted = _text(bool(values["onboot"]))
        if _text(current.get("onboot", 0)) != wanted:
            change.params["onboot"] = wanted
    if values.get("tag") is not None:
        wanted = ";".join(values["tag"])
        if str(current.get("tags", "")) != wanted:
            if wanted:
                change.params["tags"] = wanted
            elif current.get("tags"):
                change.delete.append("tags")
    if values.get("unprivileged") is not None:
        change.problems.append("--privileged/--unprivileged: fixed when a container is created (PVE: read-only)")
    feats = _features(current.get("features"), values)
    if feats is not None and feats != str(current.get("features", "")):
        if feats:
            change.params["features"] = feats
        else:
            change.delete.append("features")
    _nets(current, values.get("net") or [], change)
    _mountpoints(current, values.get("mp") or [], change)
    for key in values.get("remove") or []:
        if key in REQUIRED:
            change.problems.append(f"--remove {key}: PVE needs it (it can be changed, not removed)")
        elif key not in current:
            change.problems.append(f"--remove {key}: the container has no '{key}'")
        elif key in change.params:
            change.problems.append(f"--remove {key}: also set by another flag")
        else:
            change.delete.append(key)
    return change


def _nets(current: Mapping[str, Any], specs: Sequence[str], change: Change) -> None:
    for spec in specs:
        index, sep, rest = spec.partition(":")
        if sep and index.isdigit():
            key, text = f"net{index}", rest
        else:
            key, text = "net0", spec
        try:
            wanted = parse_net(text)
        except ValueError as exc:
            change.problems.append(f"--net: {exc}")
            continue
        old = _pairs(str(current.get(key, "")))
        if wanted.hwaddr is None and old.get("hwaddr"):
            wanted = wanted.model_copy(update={"hwaddr": old["hwaddr"]})
        n = int(key[3:])
        if wanted.name is None and old.get("name"):
            wanted = wanted.model_copy(update={"name": old["name"]})
        rendered = net(wanted, n)
        if _pairs(rendered) != {k: v for k, v in old.items() if k != "type"}:
            change.params[key] = rendered


def _mountpoints(current: Mapping[str, Any], specs: Sequence[str], change: Change) -> None:
    taken = {k for k in current if k.startswith("mp") and k[2:].isdigit()}
    paths = {_pairs("x," + str(v).split(",", 1)[-1]).get("mp") for k, v in current.items() if k in taken}
    for spec in specs:
        try:
            mp = parse_mp(spec)
        except ValueError as exc:
            change.problems.append(f"--mp: {exc}")
            continue
        if mp.path in paths:
            change.problems.append(f"--mp: {mp.path} is mounted already (grow it with ct resize)")
            continue
        index = next(i for i in range(256) if f"mp{i}" not in taken)
        taken.add(f"mp{index}")
        paths.add(mp.path)
        change.params[f"mp{index}"] = mountpoint(mp)
