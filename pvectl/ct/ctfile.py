"""Container files and flags: one flat mapping of flag-named keys -> CtConfig.

``ct create --from-file web.yaml`` and ``ct create --hostname web …`` fill the same mapping (flags over the
file), so both give the same requests. Keys are the flag names without dashes: ``node``, ``vmid``, ``hostname``,
``template``, ``pull``, ``template-storage``, ``pool``, ``tag`` (list), ``description``, ``onboot``,
``unprivileged``, ``ssh-key`` (key files, list), ``disk`` (``STORAGE:SIZE``), ``mp`` (list of
``STORAGE:SIZE,mp=/PATH``), ``cores``, ``cpulimit``, ``cpuunits``, ``memory``, ``swap``, ``net`` (list of
``bridge=…,ip=…``), ``nameserver``, ``searchdomain``, ``nesting``, ``keyctl``, ``fuse``, ``mknod``, ``mount``
(list: nfs, cifs), ``ostype``, ``start``, ``extra`` (PVE parameters as given), ``kind`` (``ct``: what
``ct export`` writes, so that ``pvectl diff/apply -f`` tell containers from VMs). A password is never read from a
file (``--password``/``--password-stdin``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pvectl.ct.config import CtConfig, SpecError, parse_disk, parse_mp, parse_net

SCALARS = {
    "node": "node",
    "vmid": "vmid",
    "hostname": "hostname",
    "template": "template",
    "pull": "pull",
    "template-storage": "template_storage",
    "pool": "pool",
    "description": "description",
    "onboot": "onboot",
    "unprivileged": "unprivileged",
    "cores": "cores",
    "cpulimit": "cpulimit",
    "cpuunits": "cpuunits",
    "memory": "memory",
    "swap": "swap",
    "nameserver": "nameserver",
    "searchdomain": "searchdomain",
    "ostype": "ostype",
    "start": "start",
}
FEATURES = ("nesting", "keyctl", "fuse", "mknod", "mount")
LISTS = ("tag", "mp", "net", "ssh-key", "mount")
KEYS = ("kind", *SCALARS, "tag", "disk", "mp", "net", "ssh-key", *FEATURES[:-1], "mount", "extra")


class CtFileError(ValueError):
    """A key or value a container file (or flag) cannot hold; the message names the key."""


def _list(key: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        return [str(v) for v in value]
    raise CtFileError(f"{key}: expected a value or a list of values")


def load(data: Any, base: CtConfig | None = None, *, read_key: Any = None) -> CtConfig:
    """``data`` (a file's mapping, or the flags given) over ``base``; ``read_key(path) -> text`` reads
    ``ssh-key`` files (the caller's, so that this module does no IO)."""
    if not isinstance(data, Mapping):
        raise CtFileError("a container file is a mapping of keys (node: pve1, hostname: web1, ...)")
    if "password" in data:
        raise CtFileError("password: not read from files (use --password or --password-stdin)")
    if "kind" in data and str(data["kind"]).lower() not in ("ct", "lxc"):  # a VM file's document (kind: vm)
        raise CtFileError(f"kind: '{data['kind']}' is no container (kind: ct)")
    unknown = [str(k) for k in data if k not in KEYS]
    if unknown:
        raise CtFileError(f"{unknown[0]}: unknown key (known: {', '.join(KEYS)})")
    config = (base or CtConfig()).model_copy(deep=True)
    updates: dict[str, Any] = {}
    for key, field in SCALARS.items():
        if data.get(key) is not None:
            updates[field] = data[key]
    if data.get("tag") is not None:
        updates["tags"] = _list("tag", data["tag"])
    try:
        if data.get("disk") is not None:
            updates["rootfs"] = parse_disk(str(data["disk"]))
    except SpecError as exc:
        raise CtFileError(f"disk: {exc}") from None
    for key, field, parse in (("mp", "mountpoints", parse_mp), ("net", "nets", parse_net)):
        if data.get(key) is not None:
            try:
                updates[field] = [parse(v) for v in _list(key, data[key])]
            except SpecError as exc:
                raise CtFileError(f"{key}: {exc}") from None
    if data.get("ssh-key") is not None:
        if read_key is None:
            raise CtFileError("ssh-key: no reader for key files")
        from pvectl.vm.cloudinit import joined_keys

        updates["ssh_keys"] = joined_keys([read_key(path) for path in _list("ssh-key", data["ssh-key"])])
    features = config.features.model_dump()
    for key in FEATURES[:-1]:
        if data.get(key) is not None:
            features[key] = data[key]
    if data.get("mount") is not None:
        features["mount"] = _list("mount", data["mount"])
    updates["features"] = features
    if data.get("extra") is not None:
        if not isinstance(data["extra"], Mapping):
            raise CtFileError("extra: expected a mapping of PVE parameters")
        updates["extra"] = dict(data["extra"])
    try:
        return CtConfig.model_validate({**config.model_dump(), **_dumped(updates)})
    except ValueError as exc:
        raise CtFileError(_pydantic_message(exc)) from None


def _dumped(updates: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in updates.items():
        if isinstance(value, list):
            out[key] = [v.model_dump() if hasattr(v, "model_dump") else v for v in value]
        elif hasattr(value, "model_dump"):
            out[key] = value.model_dump()
        else:
            out[key] = value
    return out


FIELD_KEYS = {v: k for k, v in SCALARS.items()} | {"tags": "tag", "rootfs": "disk", "mountpoints": "mp", "nets": "net"}


def _pydantic_message(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc)
    first = errors()[0]
    loc = [str(p) for p in first.get("loc", ())]
    key = FIELD_KEYS.get(loc[0], loc[0]) if loc else "?"
    if loc and loc[0] == "features":
        key = loc[1] if len(loc) > 1 else "features"
    from pvectl.guest.validation_text import plain_validation

    return f"{key}: {plain_validation(str(first.get('msg')))} (got {first.get('input')!r})"


def dump(config: CtConfig) -> dict[str, Any]:
    """The file form of a config (what ``--dry-run -o yaml`` prints; ``--from-file`` reads it back)."""
    from pvectl.ct.encode import mountpoint

    out: dict[str, Any] = {}
    for key, field in SCALARS.items():
        value = getattr(config, field)
        if value is not None and value != CtConfig.model_fields[field].default:
            out[key] = value
    if config.tags:
        out["tag"] = list(config.tags)
    if config.rootfs.storage is not None:
        size = config.rootfs.size_gib
        out["disk"] = f"{config.rootfs.storage}:{int(size) if float(size).is_integer() else size}"
    if config.mountpoints:
        out["mp"] = [mountpoint(mp) for mp in config.mountpoints]
    from pvectl.ct.encode import net

    out["net"] = [net(n, i).replace(f"name=eth{i},", "", 1) for i, n in enumerate(config.nets)]
    for key in FEATURES[:-1]:
        value = getattr(config.features, key)
        if value not in (None, False):
            out[key] = value
    if config.features.mount:
        out["mount"] = list(config.features.mount)
    if config.extra:
        out["extra"] = dict(config.extra)
    return out
