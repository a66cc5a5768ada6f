"""CPU models, VM-specific CPU flags and CPU units as the node offers them, with pvectl's built-in fallbacks.

The GUI's CPU tab lists the models of ``GET /nodes/{node}/capabilities/qemu/cpu`` (every release we know) and the
flags of ``GET /nodes/{node}/capabilities/qemu/cpu-flags`` (first in the 9.0.9 dump, see the version table), and
sizes CPU units by the node's cgroup mode (gui-wizard-reference.md §7). Pure data and rules: no IO here.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

# What the help suggests, and the model list when the server's cannot be read. All exist on PVE 7.4+
# (qemu-server PVE/QemuServer/CPUConfig.pm: $cpu_vendor_list and $builtin_models).
COMMON_MODELS = ("host", "x86-64-v2-AES", "x86-64-v3", "x86-64-v4", "kvm64", "qemu64", "max")

# The flags a VM's own `cpu` option may set (qemu-server CPUConfig.pm $supported_cpu_flags; validate_vm_cpu_conf
# refuses any other with "VM-specific CPU flags must be a subset of: ..."). Used where the server has no
# cpu-flags method (before 9.0): this set is what those releases accept.
BUILTIN_FLAGS = (
    "md-clear",
    "pcid",
    "spec-ctrl",
    "ssbd",
    "ibpb",
    "virt-ssbd",
    "amd-ssbd",
    "amd-no-ssb",
    "pdpe1gb",
    "hv-tlbflush",
    "hv-evmcs",
    "aes",
)


@dataclass(frozen=True)
class CpuModel:
    name: str
    vendor: str = ""
    custom: bool = False

    @property
    def label(self) -> str:
        if self.custom:
            return f"{self.name} (custom)"
        vendor = {"GenuineIntel": "Intel", "AuthenticAMD": "AMD"}.get(self.vendor)
        return f"{self.name} ({vendor})" if vendor else self.name


@dataclass(frozen=True)
class CpuUnits:
    """The CPU weight a node takes (gui-wizard-reference.md §7; the `cpuunits` schema text: "cgroup v1: 1024,
    cgroup v2: 100", "clamped to [1, 10000] in cgroup v2"); the GUI field's range is 2-262144 on v1."""

    cgroup: int  # 1 or 2
    known: bool = True  # False: the node did not say; PVE 7+ boots cgroup v2 unless told otherwise

    @property
    def low(self) -> int:
        return 1 if self.cgroup == 2 else 2

    @property
    def high(self) -> int:
        return 10000 if self.cgroup == 2 else 262144

    @property
    def default(self) -> int:
        return 100 if self.cgroup == 2 else 1024

    def describe(self) -> str:
        where = f"cgroup v{self.cgroup}" + ("" if self.known else ", assumed")
        return f"{self.low}-{self.high}, default {self.default} ({where})"


@dataclass(frozen=True)
class CpuCatalog:
    """What one node offers for the CPU step; ``notes`` say what came from pvectl's lists instead."""

    node: str
    models: tuple[CpuModel, ...]
    flags: tuple[str, ...]
    units: CpuUnits
    notes: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.models)

    def model_problem(self, name: str) -> str | None:
        if name in self.names:
            return None
        close = difflib.get_close_matches(name, self.names, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f" (e.g. {', '.join(COMMON_MODELS[:4])})"
        return f"CPU type '{name}' is not offered by node {self.node}{hint}"

    def flag_problem(self, flags: str) -> str | None:
        unknown = [name for name in flag_names(flags) if name not in self.flags]
        if not unknown:
            return None
        what = "flags" if len(unknown) > 1 else "flag"
        return f"CPU {what} {', '.join(unknown)} not allowed for a VM on {self.node} (allowed: {', '.join(self.flags)})"

    def units_problem(self, value: int) -> str | None:
        u = self.units
        if u.low <= value <= u.high:
            return None
        return f"CPU units must be {u.low}..{u.high} on {self.node} (cgroup v{u.cgroup}), got {value}"


def model_order(model: CpuModel) -> tuple[bool, int, str]:
    """Sort key of a model list: the common models first (in COMMON_MODELS' order), then by name, custom last."""
    common = COMMON_MODELS.index(model.name) if model.name in COMMON_MODELS else len(COMMON_MODELS)
    return model.custom, common, model.name.lower()


def flag_names(flags: str) -> list[str]:
    """``+aes;-pcid`` -> ``["aes", "pcid"]`` (the sign is the action, not the name)."""
    return [part.strip()[1:] for part in flags.split(";") if part.strip()[:1] in ("+", "-")]


def builtin_catalog(node: str, why: str) -> CpuCatalog:
    """The catalog when the node cannot be asked; ``why`` says so."""
    models = tuple(CpuModel(name) for name in COMMON_MODELS)
    return CpuCatalog(node, models, BUILTIN_FLAGS, CpuUnits(2, known=False), (why,))


def needs_server(type_: str, flags: str | None, cpuunits: int | None) -> bool:
    """Whether checking these values needs the node's lists (the common models need none)."""
    return type_ not in COMMON_MODELS or flags is not None or cpuunits is not None
