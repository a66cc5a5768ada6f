"""Type-level tests of the SDK: checked by mypy (CI runs it over tests/), never executed.

Positive cases pin the inferred types with ``assert_type``; negative cases are mistakes that must stay
type errors: each carries the ``# type: ignore[code]`` mypy needs, and strict mode's ``warn_unused_ignores``
turns CI red the day one of them stops being an error.
"""

from __future__ import annotations

from typing import Any, assert_type

from pvectl.sdk import AsyncProxmoxClient, JsonValue, ProxmoxClient, Task
from pvectl.sdk.models.formats import MemoryFormat, QemuNetFormat, QemuScsi2Format, QemuScsiFormat


def config_writes(client: ProxmoxClient) -> None:
    vm = client.nodes("pve1").qemu(100)
    vm.config.set(cores=2, memory=2048, net0="virtio,bridge=vmbr0", scsi1="local-lvm:8")
    vm.config.set(memory="2048", net={0: QemuNetFormat(model="virtio", bridge="vmbr0")}, net31="e1000")
    vm.config.set(scsi0=QemuScsiFormat(file="local-lvm:vm-100-disk-0"), unused3="local-lvm:vm-100-disk-9")
    assert_type(client.nodes("pve1").qemu.create(vmid=101, memory=512, ide2="none,media=cdrom"), Task)


def config_write_mistakes(client: ProxmoxClient) -> None:
    vm = client.nodes("pve1").qemu(100)
    vm.config.set(corse=2)  # type: ignore[call-arg]
    client.nodes("pve1").qemu.create(vmid=1, memroy="512")  # type: ignore[call-arg]
    vm.config.set(net32="virtio")  # type: ignore[call-arg]
    vm.config.set(scsi31="local-lvm:8")  # type: ignore[call-arg]
    vm.config.set(cores="two")  # type: ignore[arg-type]
    vm.config.set(net0=2048)  # type: ignore[arg-type]
    client.nodes("pve1").lxc(200).config.set(mp256="local:8,mp=/srv")  # type: ignore[call-arg]


def answers(client: ProxmoxClient) -> None:
    cfg = client.nodes("pve1").qemu(100).config.get()
    assert_type(cfg.memory, MemoryFormat | None)
    assert_type(cfg.parsed("net0"), QemuNetFormat | None)
    assert_type(cfg.indexed("net", parse=True), dict[int, QemuNetFormat])
    assert_type(cfg.indexed("net"), dict[int, Any])
    assert_type(client.access.domains("corp").get(), JsonValue)
    assert_type(client.cluster.ha.groups("g1").get(), JsonValue)
    (task,) = client.cluster.tasks()
    assert_type(task.status, str | None)
    assert_type(task.starttime, int | None)
    (node,) = client.nodes.list()
    assert_type(node.maxdisk, int | None)
    (storage,) = client.storage.list()
    assert_type(storage.shared, bool | None)


def answer_mistakes(client: ProxmoxClient) -> None:
    cfg = client.nodes("pve1").qemu(100).config.get()
    cfg.corse  # type: ignore[attr-defined]  # noqa: B018
    bridge: int = cfg.parsed("net0").bridge  # type: ignore[union-attr, assignment]
    del bridge


async def async_calls(client: AsyncProxmoxClient) -> None:
    vm = client.nodes("pve1").qemu(100)
    assert_type((await vm.config.get()).parsed("scsi0"), QemuScsi2Format | None)
    await vm.config.set(memory=4096)
    await vm.config.set(memroy=4096)  # type: ignore[call-arg]
    assert_type(await client.access.domains("corp").get(), JsonValue)
