"""The disks step: each disk's fields from DISK_FIELDS, then "add another disk?"; device names by the builder."""

from __future__ import annotations

from pvectl.prompts.ask import confirm, say
from pvectl.prompts.live import image_storages
from pvectl.prompts.questions import Session, Target, ask_choice, ask_field
from pvectl.vm.config import MAX_INDEX, Disk, assign_devices
from pvectl.vm.fields import DISK_FIELDS
from pvectl.vm.labels import options as labelled

MAX_DISKS = sum(n + 1 for n in MAX_INDEX.values()) - 1  # every bus full (ide2 is the CD drive)


def device_of(session: Session, index: int) -> str:
    return assign_devices(session.config.disks)[index].device or "?"


def ask_disk(session: Session, index: int) -> None:
    disk = session.config.disks[index]
    say(f"Disk {index + 1} ({device_of(session, index)})")
    advanced = []
    for spec in DISK_FIELDS:
        target = Target(spec, index)
        if spec.advanced:
            advanced.append(target)
            continue
        if spec.path == "ssd" and disk.bus == "virtio":
            disk.ssd = False  # not available on virtio
            continue
        if spec.path == "iothread" and disk.bus not in ("scsi", "virtio"):
            disk.iothread = False  # scsi and virtio only
            continue
        if spec.path == "bus":
            before = disk.bus
            ask_field(session, target)
            if disk.bus != before:
                disk.index = None  # the builder numbers it on its new bus
        elif spec.path == "storage":
            storages = image_storages(session)
            ask_choice(
                session, target, [(s.storage, f"{s.storage} ({s.type})") for s in storages], what=f"on {session.node}"
            )
        elif spec.path == "format":
            formats = next((s.formats for s in image_storages(session) if s.storage == disk.storage), ("raw",))
            ask_choice(session, target, labelled("format", formats), what=f"on {disk.storage}")
        else:
            ask_field(session, target)
    fresh = Disk()
    preset = any(t.get(session.config) != getattr(fresh, t.attr) for t in advanced)
    if advanced and confirm(f"Customise advanced options of {device_of(session, index)}?", preset):
        for target in advanced:
            ask_field(session, target)
    disk = session.config.disks[index]
    say(f"Disk {index + 1} is {device_of(session, index)}: {disk.storage}, {disk.size_gib} GiB")


def ask_disks(session: Session) -> None:
    say("-- Disks --")
    if not session.config.disks:
        session.config.disks = [Disk()]
    index = 0
    while index < len(session.config.disks):
        ask_disk(session, index)
        index += 1
        last = index == len(session.config.disks)
        if last and len(session.config.disks) < MAX_DISKS and confirm("Add another disk?", False):
            session.config.disks.append(Disk())
