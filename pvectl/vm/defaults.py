"""Reading and writing VmConfig fields by their spec path, and ``[vm.defaults]`` from the config file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from pvectl.guest.validation_text import plain_validation
from pvectl.vm.cloudinit import FILE_KEYS as CI_KEYS
from pvectl.vm.cloudinit import CloudInitFileError
from pvectl.vm.cloudinit import from_file as ci_from_file
from pvectl.vm.config import IOTHREAD_BUSES, SSD_BUSES, Disk, VmConfig
from pvectl.vm.fields import BY_FLAG, DISK_BY_FLAG


class DefaultsError(ValueError):
    """A ``[vm.defaults]`` entry that does not fit."""


def get_value(config: VmConfig, path: str) -> Any:
    obj: Any = config
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def set_value(config: VmConfig, path: str, value: Any) -> None:
    """Assign one field (validated by pydantic); raises ValueError naming the field."""
    *parents, last = path.split(".")
    obj: BaseModel = config
    for part in parents:
        obj = getattr(obj, part)
    try:
        setattr(obj, last, value)
    except PydanticValidationError as exc:
        raise ValueError(f"{path}: {plain_validation(exc.errors()[0]['msg'])}") from exc


def apply_defaults(config: VmConfig, defaults: Mapping[str, Any]) -> VmConfig:
    """A copy of ``config`` with ``[vm.defaults]`` applied; disk keys are prefixed ``disk-`` (``disk-size``)."""
    out = config.model_copy(deep=True)
    disk_values: dict[str, Any] = {}
    cloudinit = {k: v for k, v in defaults.items() if k in CI_KEYS or k == "ci-password"}
    if cloudinit:
        try:
            out.cloudinit = ci_from_file(cloudinit, out.cloudinit)
        except CloudInitFileError as exc:
            raise DefaultsError(f"[vm.defaults] {exc.key}: {exc}") from exc
    for key, value in defaults.items():
        if key in cloudinit:
            continue
        if key.startswith("disk-") and key[5:] in DISK_BY_FLAG:
            disk_values[DISK_BY_FLAG[key[5:]].path] = value
            continue
        spec = BY_FLAG.get(key)
        if spec is None:
            known = ", ".join(sorted([*BY_FLAG, *(f"disk-{k}" for k in DISK_BY_FLAG), *CI_KEYS]))
            raise DefaultsError(f"[vm.defaults] {key}: unknown key (known: {known})")
        try:
            set_value(out, spec.path, list(value) if spec.kind == "tags" else value)
        except ValueError as exc:  # set_value names the field by its path; the file knows it by its key
            raise DefaultsError(f"[vm.defaults] {key}: {str(exc).removeprefix(f'{spec.path}: ')}") from exc
    if disk_values:
        try:
            out.disks = [_disk_defaults(d, disk_values) for d in out.disks]
        except PydanticValidationError as exc:
            raise DefaultsError(f"[vm.defaults] disk: {plain_validation(exc.errors()[0]['msg'])}") from exc
    return out


def _disk_defaults(disk: Disk, values: Mapping[str, Any]) -> Disk:
    """``disk`` with ``[vm.defaults]`` disk values; IO thread and SSD emulation only where the bus has them."""
    data = {**disk.model_dump(exclude_unset=True), **values}
    for key, buses in (("iothread", IOTHREAD_BUSES), ("ssd", SSD_BUSES)):
        if key in values and key not in disk.model_fields_set and disk.bus not in buses:
            data.pop(key)
    return Disk.model_validate(data)
