"""After the Network step: further NICs (net1, net2, ...), each with bridge, model, firewall and VLAN, then
"add another network device?" -- as the disks step adds disks."""

from __future__ import annotations

from pvectl.prompts.ask import confirm, say
from pvectl.prompts.live import ask_live
from pvectl.prompts.questions import Session, Target, ask_field
from pvectl.vm.fields import FIELDS
from pvectl.vm.nics import MAX_NICS

NIC_FIELDS = [f for f in FIELDS if f.path in ("network.bridge", "network.model", "network.firewall", "network.vlan")]


def ask_nic(session: Session, index: int) -> None:
    say(f"NIC {index + 2} (net{index + 1})")
    for spec in NIC_FIELDS:
        ask_field(session, Target(spec, nic=index), ask_live)


def ask_more_nics(session: Session) -> None:
    """Ask the further NICs given already (flags, VM file), then offer one more until the user says no."""
    config = session.config
    for index in range(len(config.more_nics)):
        ask_nic(session, index)
    while 1 + len(config.more_nics) < MAX_NICS and confirm("Add another network device?", False):
        net0 = config.network
        nic = net0.model_copy(update={"vlan": None, "mac": None, "mtu": None, "rate": None, "queues": None})
        config.more_nics = [*config.more_nics, nic]
        ask_nic(session, len(config.more_nics) - 1)
