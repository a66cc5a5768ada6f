"""One-request writes on one guest (template, disk resize, serial console): the Write each sends, with PVE's
worker type for finding its task after an ambiguous answer, and how the server shows it done.

Worker types: qemu-server ``src/PVE/API2/Qemu.pm`` template forks ``qmtemplate``, resize_vm ``qmresize`` (PVE 8.0
and later; 7.4 resizes inside the request and answers null), rollback ``qmrollback``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pvectl.guest.api import guest_api
from pvectl.guest.ops.power import base
from pvectl.guest.run import Write
from pvectl.guest.wire import typed

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.lookup import VmRef


def config_of(client: ProxmoxClient, ref: VmRef) -> dict[str, Any] | None:
    from pvectl.guest.api import guest_api
    from pvectl.sdk._core.answers import plain
    from pvectl.sdk._core.errors import PveError

    try:
        # as PVE wrote it: compared key by key
        data = plain(guest_api(client, ref.node, ref.vmid, ref.kind).config.get())
    except PveError:
        return None
    return dict(data) if isinstance(data, dict) else None


def template_write(ref: VmRef) -> Write:
    def reached(client: ProxmoxClient, ref: VmRef) -> bool | None:
        config = config_of(client, ref)
        return None if config is None else str(config.get("template", 0)) == "1"

    return Write(ref, "template", "POST", f"{base(ref)}/template", "is now a template", ("qmtemplate",),
                 reached=reached, send=lambda client: typed(_api(client, ref).template))  # fmt: skip


def resize_write(ref: VmRef, params: dict[str, Any], done: Callable[[dict[str, Any]], bool]) -> Write:
    """``done(config)``: the config shows the new size (the plan made from it has nothing left to do)."""

    def reached(client: ProxmoxClient, ref: VmRef) -> bool | None:
        config = config_of(client, ref)
        if config is None:
            return None
        try:
            return done(config)
        except ValueError:
            return None

    body = dict(params)
    return Write(ref, "resize", "PUT", f"{base(ref)}/resize", "resized", ("qmresize",), params=body,
                 reached=reached, send=lambda client: typed(_api(client, ref).resize, body))  # fmt: skip


def serial_write(ref: VmRef, digest: str) -> Write:
    """``serial0=socket`` and ``vga=serial0`` through the sync ``PUT …/config`` (qemu-server src/PVE/API2/Qemu.pm
    update_vm: runs update_vm_api in the request and answers null, no task), guarded by ``digest``. After an
    ambiguous answer the config decides: GET …/config shows pending values by default (its ``current`` flag
    off), so a running VM's pending pair counts too."""
    body: dict[str, Any] = {"serial0": "socket", "vga": "serial0"}
    if digest:
        body["digest"] = digest  # PVE refuses the write if someone changed the config meanwhile

    def reached(client: ProxmoxClient, ref: VmRef) -> bool | None:
        config = config_of(client, ref)
        return None if config is None else (config.get("serial0"), config.get("vga")) == ("socket", "serial0")

    return Write(ref, "serial-console", "PUT", f"{base(ref)}/config", "serial console enabled (serial0=socket, "
                 "vga=serial0)", (), params=body, reached=reached, sync=True,
                 send=lambda client: typed(_api(client, ref).config.set, body))  # fmt: skip


def _api(client: ProxmoxClient, ref: VmRef) -> Any:
    return guest_api(client, ref.node, ref.vmid, ref.kind)
