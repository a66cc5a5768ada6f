"""Server data the VM steps need (nodes, storages, ISOs, bridges, ...), loaded on demand and cached.

Every lookup returns a ``Ref``: ``ready`` (maybe ``empty``) or ``error`` with a message, so the prompts and
the TUI can show loading, empty and error states and offer a retry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from pvectl.vm.iso import IsoFile, newest_first

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient

T = TypeVar("T")
State = Literal["ready", "empty", "error"]

# Disk formats by storage type (what the GUI's format selector offers).
_FILE_STORAGES = {"dir", "nfs", "cifs", "glusterfs", "cephfs", "btrfs"}


@dataclass(frozen=True)
class Ref(Generic[T]):
    """A loaded value, or the error that prevented loading it."""

    value: T | None = None
    error: str | None = None

    @property
    def state(self) -> State:
        if self.error is not None:
            return "error"
        if self.value is None or (isinstance(self.value, (list, tuple, dict, set)) and not self.value):
            return "empty"
        return "ready"

    def get(self, default: T) -> T:
        return default if self.value is None else self.value


@dataclass(frozen=True)
class Realm:
    realm: str
    comment: str
    default: bool


@dataclass(frozen=True)
class NodeInfo:
    node: str
    status: str


@dataclass(frozen=True)
class StorageInfo:
    storage: str
    type: str
    formats: tuple[str, ...]


@dataclass(frozen=True)
class GuestInfo:
    vmid: int
    name: str
    node: str
    status: str
    tags: tuple[str, ...]


def split_tags(text: Any) -> tuple[str, ...]:
    """PVE tag lists: `a;b`, `a,b`, `a b`, or an array (cluster options)."""
    if isinstance(text, (list, tuple)):  # /cluster/options answers allowed-tags as an array
        return tuple(str(t) for t in text if t)
    return tuple(t for t in str(text or "").replace(",", ";").replace(" ", ";").split(";") if t)


class ReferenceData:
    """One object that loads, caches and exposes what the VM creation steps need."""

    def __init__(self, client: ProxmoxClient) -> None:
        self._client = client
        self._cache: dict[tuple[str, ...], Ref[Any]] = {}

    def _load(self, key: tuple[str, ...], fetch: Callable[[], T]) -> Ref[T]:
        from pvectl.sdk import PveError

        cached = self._cache.get(key)
        if cached is not None:
            return cached
        try:
            ref: Ref[T] = Ref(value=fetch())
        except PveError as exc:
            return Ref(error=str(exc))  # errors are not cached: a retry asks again
        self._cache[key] = ref
        return ref

    def refresh(self) -> None:
        self._cache.clear()

    def _get(self, path: str, **params: Any) -> Any:
        return self._client.request("GET", path, params)

    def realms(self) -> Ref[list[Realm]]:
        def fetch() -> list[Realm]:
            rows = self._get("/access/domains") or []
            return [Realm(str(r.get("realm")), str(r.get("comment", "")), bool(r.get("default"))) for r in rows]

        return self._load(("realms",), fetch)

    def nodes(self) -> Ref[list[NodeInfo]]:
        def fetch() -> list[NodeInfo]:
            rows = self._get("/nodes") or []
            return sorted(
                (NodeInfo(str(r.get("node")), str(r.get("status", "unknown"))) for r in rows), key=lambda n: n.node
            )

        return self._load(("nodes",), fetch)

    def next_vmid(self) -> Ref[int]:
        # nextid is not reserved: read it fresh every time (never cached)
        from pvectl.sdk import PveError

        try:
            return Ref(value=int(self._get("/cluster/nextid")))
        except (PveError, ValueError, TypeError) as exc:
            return Ref(error=str(exc))

    def pools(self) -> Ref[list[str]]:
        return self._load(("pools",), lambda: sorted(str(p.get("poolid")) for p in self._get("/pools") or []))

    def guests(self) -> Ref[list[GuestInfo]]:
        def fetch() -> list[GuestInfo]:
            rows = self._get("/cluster/resources", type="vm") or []
            return [
                GuestInfo(
                    int(r.get("vmid", 0)),
                    str(r.get("name", "")),
                    str(r.get("node", "")),
                    str(r.get("status", "")),
                    split_tags(r.get("tags")),
                )
                for r in rows
                if r.get("vmid") is not None
            ]

        return self._load(("guests",), fetch)

    def tags(self) -> Ref[list[str]]:
        """Tags in use on guests plus the cluster's allowed tags, sorted."""

        def fetch() -> list[str]:
            found = {t for g in self._get_guests() for t in g.tags}
            options = self._get("/cluster/options") or {}
            found |= set(split_tags(options.get("allowed-tags")))
            return sorted(found)

        return self._load(("tags",), fetch)

    def _get_guests(self) -> list[GuestInfo]:
        ref = self.guests()
        if ref.error is not None:
            from pvectl.sdk import PveError

            raise PveError(ref.error)
        return ref.get([])

    def iso_storages(self, node: str) -> Ref[list[str]]:
        return self._load(
            ("iso-storages", node),
            lambda: sorted(str(s.get("storage")) for s in self._get(f"/nodes/{node}/storage", content="iso") or []),
        )

    def isos(self, node: str, storage: str) -> Ref[list[IsoFile]]:
        def fetch() -> list[IsoFile]:
            rows = self._get(f"/nodes/{node}/storage/{storage}/content", content="iso") or []
            return newest_first(
                IsoFile(str(r.get("volid")), int(r.get("size") or 0), int(r.get("ctime") or 0)) for r in rows
            )

        return self._load(("isos", node, storage), fetch)

    def image_storages(self, node: str) -> Ref[list[StorageInfo]]:
        def fetch() -> list[StorageInfo]:
            rows = self._get(f"/nodes/{node}/storage", content="images") or []
            out = []
            for r in rows:
                stype = str(r.get("type", ""))
                formats = ("raw", "qcow2", "vmdk") if stype in _FILE_STORAGES else ("raw",)
                out.append(StorageInfo(str(r.get("storage")), stype, formats))
            return sorted(out, key=lambda s: s.storage)

        return self._load(("image-storages", node), fetch)

    def bridges(self, node: str) -> Ref[list[str]]:
        return self._load(
            ("bridges", node),
            lambda: sorted(str(b.get("iface")) for b in self._get(f"/nodes/{node}/network", type="any_bridge") or []),
        )

    def server_version(self) -> Ref[str]:
        return self._load(("version",), lambda: str((self._get("/version") or {}).get("version", "")))
