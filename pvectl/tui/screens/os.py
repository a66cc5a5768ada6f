"""OS: the CD drive's media (an ISO image, the physical drive or none), ISO storage and image, guest OS."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pvectl.tui.screens.base import StepScreen, options_of
from pvectl.tui.widgets.field import FieldRow
from pvectl.vm.fields import FieldSpec
from pvectl.vm.iso import IsoFile, latest_nixos
from pvectl.vm.reference import Ref

LATEST = "latest-nixos"


class OsScreen(StepScreen):
    STEP = "os"

    def shown_spec(self, spec: FieldSpec) -> FieldSpec:
        if spec.path == "os.virtio_iso":  # the GUI offers the ISO volumes for the driver CD: so do we
            return replace(spec, kind="choice", source="all_isos")
        return spec

    def resume(self) -> None:
        super().resume()
        iso = self.row("os.iso")
        if iso.state == "ready":
            iso.show_value(self.wizard.get("os.iso") or LATEST)

    def answer(self, row: FieldRow, raw: Any) -> None:
        if row.key == "os.iso" and raw == LATEST:
            raw = None  # "the latest NixOS minimal ISO", as --iso latest-nixos
        super().answer(row, raw)

    def changed(self, row: FieldRow) -> None:
        if row.key == "os.iso_storage":
            self.wizard.derived.pop("os.iso", None)
            self.load(self.row("os.iso"))

    def loaded(self, row: FieldRow, source: str, ref: Ref[Any]) -> None:
        if source == "iso_storages" and ref.state == "ready":
            self.load(self.row("os.iso"))
        if source == "all_isos" and ref.state == "ready":
            chosen = self.wizard.get("os.virtio_iso")
            options = options_of(source, ref.value)
            if chosen is not None and chosen not in {v for _, v in options}:
                options.append((str(chosen), str(chosen)))  # kept as given: Confirm says it does not exist
            row.set_options(options, chosen)
        if source != "isos":
            return
        isos: list[IsoFile] = list(ref.get([]))
        latest = latest_nixos(isos)
        self.wizard.derived["os.iso"] = latest.volid if latest else None
        if ref.state != "ready":
            return
        options = [(i.filename, i.volid) for i in isos]
        if latest is not None:
            version = latest.filename.removeprefix("nixos-minimal-").removesuffix("-x86_64-linux.iso")
            options.insert(0, (f"latest NixOS minimal ({version})", LATEST))
        chosen = self.wizard.get("os.iso")
        if chosen is not None and chosen not in {v for _, v in options}:
            options.append((str(chosen), str(chosen)))
        row.set_options(options, chosen if chosen is not None else (LATEST if latest else None))
        if latest is None and chosen is None:
            row.set_state("ready", "no NixOS minimal ISO here: choose an image")

    def empty_message(self, source: str, args: tuple[str, ...]) -> str:
        if source == "isos":
            return f"no ISO images on {args[-1]}: upload one, pick another storage, or choose no media"
        return super().empty_message(source, args)
