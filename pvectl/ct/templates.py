"""Container templates: the ``vztmpl`` volumes on a node's storages, the appliance index, short names.

``pveam`` (pve-manager ``PVE/API2/Nodes.pm`` aplinfo/apl_download) lists the index with ``GET /nodes/{node}/aplinfo``
(one row per appliance: ``template`` is the file name, ``os``, ``section``, ``headline``, ``version``) and
downloads one with ``POST /nodes/{node}/aplinfo {storage, template}`` (a ``download`` task; the storage needs
``vztmpl`` content). A short name such as ``debian-13`` or ``alpine`` picks the newest file whose name starts
with it followed by ``-`` or ``_`` (``debian-13-standard_13.1-2_amd64.tar.zst``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient


@dataclass(frozen=True)
class Template:
    volid: str
    size: int = 0
    ctime: int = 0

    @property
    def storage(self) -> str:
        return self.volid.split(":", 1)[0]

    @property
    def filename(self) -> str:
        return self.volid.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Appliance:
    template: str  # the file name
    os: str
    section: str
    version: str
    headline: str


def is_volume(text: str) -> bool:
    return ":" in text


def _natural(text: str) -> tuple[Any, ...]:
    """A sort key that orders ``debian-9`` before ``debian-12`` and ``12.7-1`` before ``12.12-1``."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def matches(short: str, filename: str) -> bool:
    return filename == short or filename.startswith((f"{short}-", f"{short}_", f"{short}."))


def newest(names: Iterable[str]) -> str | None:
    ordered = sorted(names, key=_natural)
    return ordered[-1] if ordered else None


def pick_local(short: str, templates: Iterable[Template]) -> Template | None:
    """The newest template on the node whose file name fits ``short``."""
    found = {t.filename: t for t in templates if matches(short, t.filename)}
    name = newest(found)
    return found[name] if name else None


def pick_appliance(short: str, appliances: Iterable[Appliance]) -> Appliance | None:
    """The newest appliance of the index that fits ``short`` (system images before TurnKey's)."""
    found = {a.template: a for a in appliances if matches(short, a.template)}
    system = [n for n, a in found.items() if a.section == "system"]
    name = newest(system) or newest(found)
    return found[name] if name else None


def plain(data: Any) -> Any:
    from pvectl.sdk._core.answers import plain as as_sent

    return as_sent(data)


def _rows(data: Any) -> list[Mapping[str, Any]]:
    return [row for row in data if isinstance(row, Mapping)] if isinstance(data, list) else []


def template_storages(client: ProxmoxClient, node: str) -> list[str]:
    """The storages of ``node`` that hold container templates (``vztmpl`` content), enabled ones only."""
    rows = _rows(plain(client.nodes(node).storage.list(content="vztmpl", enabled=True)))
    return sorted(str(r["storage"]) for r in rows if r.get("storage"))


def rootdir_storages(client: ProxmoxClient, node: str) -> list[str]:
    """The storages of ``node`` that take container root disks and mount points (``rootdir`` content)."""
    rows = _rows(plain(client.nodes(node).storage.list(content="rootdir", enabled=True)))
    return sorted(str(r["storage"]) for r in rows if r.get("storage"))


def on_node(client: ProxmoxClient, node: str, storages: Iterable[str] | None = None) -> list[Template]:
    """Every template volume ``node`` sees, newest file names last."""
    out: list[Template] = []
    for storage in template_storages(client, node) if storages is None else storages:
        for row in _rows(plain(client.nodes(node).storage(storage).content.list(content="vztmpl"))):
            if row.get("volid"):
                out.append(Template(str(row["volid"]), int(row.get("size") or 0), int(row.get("ctime") or 0)))
    return sorted(out, key=lambda t: _natural(t.filename))


def index(client: ProxmoxClient, node: str) -> list[Appliance]:
    """The appliance index as ``node`` has it (``pveam update`` refreshes it on the node)."""
    out = []
    for row in _rows(plain(client.nodes(node).aplinfo.get())):
        if row.get("template") and row.get("type", "lxc") == "lxc":
            out.append(
                Appliance(
                    str(row["template"]),
                    str(row.get("os", "")),
                    str(row.get("section", "")),
                    str(row.get("version", "")),
                    str(row.get("headline", "")),
                )
            )
    return sorted(out, key=lambda a: (a.section, _natural(a.template)))
