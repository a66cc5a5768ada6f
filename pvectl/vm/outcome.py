"""The create workflow's steps and their remedies; the Outcome itself and the exit codes live in
:mod:`pvectl.guest.outcome` (re-exported here for the create workflow's callers)."""

from __future__ import annotations

from pvectl.guest.outcome import EXIT_CODES, SOME_FAILED, Outcome, OutcomeKind, follow

__all__ = ["EXIT_CODES", "REMEDIES", "SOME_FAILED", "WHAT", "Outcome", "OutcomeKind", "follow", "remedy"]

# Follow-up steps of vm create: what each is called, and the command that does it by hand.
WHAT = {
    "create": "VM",
    "serial": "serial console",
    "cipassword": "cloud-init password",
    "cloudinit": "cloud-init image",
    "ha": "HA resource",
    "start": "VM start",
}
REMEDIES = {
    "serial": "pvectl vm serial-console enable {vmid}",
    "cipassword": 'pvectl api set /nodes/{node}/qemu/{vmid}/config --cipassword "$PASSWORD"',
    "cloudinit": "pvectl api set /nodes/{node}/qemu/{vmid}/cloudinit",
    "ha": "pvectl api cluster ha resources create --sid vm:{vmid} --state stopped",
    "start": "pvectl vm start {vmid}",
}


def remedy(step: str, vmid: int | None, node: str | None = None) -> str:
    return REMEDIES[step].format(vmid=vmid, node=node or "NODE")
