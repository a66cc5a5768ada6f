"""``GET /nodes/{node}/capabilities/qemu/cpu`` and ``.../cpu-flags``: the CPU models and VM-specific flags.

Shapes as PVE answers them (schema returns of 9.1.3; the server code is qemu-server's API2/Qemu/CPU.pm and
CPUFlags.pm): models are ``{name, vendor, custom}`` with ``custom`` 0/1 (a Perl boolean), built-in QEMU models
plus PVE's ``x86-64-v2``..``-v4`` profiles whose vendor is that of their reported model ``qemu64`` ("default");
flags are ``{name, description}``. The model and flag names are those of qemu-server's CPUConfig.pm
(``$cpu_vendor_list``, ``$builtin_models``, ``$supported_cpu_flags``; github.com/proxmox/qemu-server,
src/PVE/QemuServer/CPUConfig.pm at 0538c83c, less the models added after 9.1); the descriptions are ours. No
recorded answer of either method was found to compare with. A world seeded with a release before 9.0 answers 501
for cpu-flags (core._check_release, from the version table), as pveproxy does for a method it lacks.
"""

from __future__ import annotations

from typing import Any

from pvectl.sim.routes import Ctx, route

_INTEL = [
    "486",
    "pentium",
    "pentium2",
    "pentium3",
    "coreduo",
    "core2duo",
    "Conroe",
    "Penryn",
    "Nehalem",
    "Nehalem-IBRS",
    "Westmere",
    "Westmere-IBRS",
    "SandyBridge",
    "SandyBridge-IBRS",
    "IvyBridge",
    "IvyBridge-IBRS",
    "Haswell",
    "Haswell-IBRS",
    "Haswell-noTSX",
    "Haswell-noTSX-IBRS",
    "Broadwell",
    "Broadwell-IBRS",
    "Broadwell-noTSX",
    "Broadwell-noTSX-IBRS",
    "Skylake-Client",
    "Skylake-Client-IBRS",
    "Skylake-Client-noTSX-IBRS",
    "Skylake-Client-v4",
    "Skylake-Server",
    "Skylake-Server-IBRS",
    "Skylake-Server-noTSX-IBRS",
    "Skylake-Server-v4",
    "Skylake-Server-v5",
    "Cascadelake-Server",
    "Cascadelake-Server-v2",
    "Cascadelake-Server-noTSX",
    "Cascadelake-Server-v4",
    "Cascadelake-Server-v5",
    "Cooperlake",
    "Cooperlake-v2",
    "KnightsMill",
    "Icelake-Server",
    "Icelake-Server-noTSX",
    "Icelake-Server-v3",
    "Icelake-Server-v4",
    "Icelake-Server-v5",
    "Icelake-Server-v6",
    "SapphireRapids",
]
_AMD = [
    "athlon",
    "phenom",
    "Opteron_G1",
    "Opteron_G2",
    "Opteron_G3",
    "Opteron_G4",
    "Opteron_G5",
    "EPYC",
    "EPYC-IBPB",
    "EPYC-v3",
    "EPYC-v4",
    "EPYC-Rome",
    "EPYC-Rome-v2",
    "EPYC-Milan",
    "EPYC-Milan-v2",
    "EPYC-Genoa",
]
_GENERIC = ["host", "kvm32", "kvm64", "qemu32", "qemu64", "max"]
_PROFILES = ("x86-64-v2", "x86-64-v2-AES", "x86-64-v3", "x86-64-v4")  # reported model qemu64: vendor "default"

FLAGS = (
    ("md-clear", "Tells the guest whether MDS is mitigated."),
    ("pcid", "Cheaper Meltdown mitigation on Westmere, Sandy Bridge and Ivy Bridge."),
    ("spec-ctrl", "Better Spectre mitigation on Intel CPUs."),
    ("ssbd", "Speculative Store Bypass protection on Intel models."),
    ("ibpb", "Better Spectre mitigation on AMD CPUs."),
    ("virt-ssbd", "Speculative Store Bypass protection on AMD models."),
    ("amd-ssbd", "Faster Spectre mitigation on AMD CPUs (with virt-ssbd)."),
    ("amd-no-ssb", "Tells the guest the AMD host is not vulnerable to Speculative Store Bypass."),
    ("pdpe1gb", "1 GiB pages for the guest, if the host has them."),
    ("hv-tlbflush", "Faster overcommitted Windows guests; may crash them on old CPUs."),
    ("hv-evmcs", "Faster nested virtualization (Intel only)."),
    ("aes", "AES instructions for hardware-accelerated encryption."),
)


def models() -> list[dict[str, Any]]:
    out = [{"name": n, "vendor": "GenuineIntel", "custom": 0} for n in _INTEL]
    out += [{"name": n, "vendor": "AuthenticAMD", "custom": 0} for n in _AMD]
    out += [{"name": n, "vendor": "default", "custom": 0} for n in (*_GENERIC, *_PROFILES)]
    return out


@route("GET /nodes/{node}/capabilities/qemu/cpu")
def cpu_models(ctx: Ctx) -> list[dict[str, Any]]:
    return models()


@route("GET /nodes/{node}/capabilities/qemu/cpu-flags")
def cpu_flags(ctx: Ctx) -> list[dict[str, Any]]:
    return [{"name": name, "description": text} for name, text in FLAGS]
