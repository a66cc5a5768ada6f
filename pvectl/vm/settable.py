"""Which ``vm create`` fields ``vm set`` and ``apply`` change on an existing VM (light: read when the CLI starts)."""

from __future__ import annotations

from pvectl.vm.fields import FIELDS

# Fields of ``vm create`` that an existing VM does not change through its config, and what does.
NOT_SETTABLE = {
    "node": "the node is changed by a migration (pvectl vm migrate)",
    "vmid": "the id of a VM cannot change",
    "pool": "pool membership is not part of the VM config (PUT /pools/{poolid})",
    "ha": "HA is not part of the VM config (pvectl api cluster ha resources ...)",
    "iso-storage": "give --iso with the volume id instead",
    "efidisk": "EFI disks are added at creation",
    "efi-storage": "EFI disks are added at creation",
    "secure-boot": "EFI disks are added at creation",
    "tpm": "TPM state volumes are added at creation",
    "tpm-storage": "TPM state volumes are added at creation",
    "tpm-version": "TPM state volumes are added at creation",
    "virtio-iso": "give the driver CD as --disk-less ide0 with pvectl api, or at creation",
    "serial-console": "pvectl vm serial-console enable",
    "start": "pvectl vm start",
}


def settable_flags() -> list[str]:
    """The ``vm create`` flags that ``vm set`` takes (``--disk`` aside)."""
    return [s.flag for s in FIELDS if s.cli and s.flag not in NOT_SETTABLE]
