"""Server data the VM steps need (nodes, storages, ISOs, bridges, ...), loaded on demand and cached.

Every lookup returns a ``Ref``: ``ready`` (maybe ``empty``) or ``error`` with a message, so the prompts and
the TUI can show loading, empty and error states and offer a retry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from pvectl.sdk._core.answers import UnexpectedAnswer, as_int, as_object, as_rows, as_text, plain
from pvectl.vm.cpu import BUILTIN_FLAGS, CpuCatalog, CpuModel, CpuUnits, model_order
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
    if not text:
        return ()
    text = str(text)
    if "," in text or " " in text:
        text = text.replace(",", ";").replace(" ", ";")
    return tuple(filter(None, text.split(";")))  # one call per row of a 10,000-VM list: no generator


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

    def forget(self, source: str) -> None:
        """Ask ``source`` (``guests``) afresh next time: the server has changed it."""
        self._cache = {k: v for k, v in self._cache.items() if k[0] != source}

    @property
    def _api(self) -> Any:
        return self._client

    def _rows(self, path: str, call: Callable[[], Any]) -> list[dict[str, Any]]:
        """A typed list answer as PVE sent it, checked: every shape PVE does not send is UnexpectedAnswer (an
        error Ref)."""
        return as_rows(f"GET {path}", call())

    def _names(self, path: str, key: str, call: Callable[[], Any]) -> list[str]:
        return sorted(as_text(f"GET {path}", row.get(key)) for row in self._rows(path, call))

    def realms(self) -> Ref[list[Realm]]:
        def fetch() -> list[Realm]:
            what = "GET /access/domains"
            return [
                Realm(
                    as_text(what, r.get("realm")), as_text(what, r.get("comment"), default=""), bool(r.get("default"))
                )
                for r in self._rows("/access/domains", lambda: self._api.access.domains.list())
            ]

        return self._load(("realms",), fetch)

    def nodes(self) -> Ref[list[NodeInfo]]:
        def fetch() -> list[NodeInfo]:
            what = "GET /nodes"
            return sorted(
                (
                    NodeInfo(as_text(what, r.get("node")), as_text(what, r.get("status"), default="unknown"))
                    for r in self._rows("/nodes", lambda: self._api.nodes.list())
                ),
                key=lambda n: n.node,
            )

        return self._load(("nodes",), fetch)

    def local_node(self) -> Ref[str]:
        """The node the API is served from: the ``local: 1`` entry of ``GET /cluster/status`` (pve-manager
        PVE/API2/Cluster.pm, the status method sets ``local`` where the entry's name is the serving host's
        nodename, and fakes one such entry on a host without a cluster). The web GUI knows the same node as
        ``Proxmox.NodeName`` (pve-manager www/index.html.tpl). Empty when no entry says so."""

        def fetch() -> str:
            what = "GET /cluster/status"
            for row in self._rows("/cluster/status", lambda: self._api.cluster.status()):
                if row.get("type") == "node" and row.get("local") in (1, True, "1"):
                    return as_text(what, row.get("name"))
            return ""

        return self._load(("local-node",), fetch)

    def next_vmid(self) -> Ref[int]:
        # nextid is not reserved: read it fresh every time (never cached)
        from pvectl.sdk import PveError

        try:
            value = as_int("GET /cluster/nextid", self._api.cluster.nextid())
            if not 100 <= value <= 999_999_999:
                raise UnexpectedAnswer("GET /cluster/nextid", value, "a VM id from 100")
            return Ref(value=value)
        except PveError as exc:
            return Ref(error=str(exc))

    def pools(self) -> Ref[list[str]]:
        return self._load(("pools",), lambda: self._names("/pools", "poolid", lambda: self._api.pools.list()))

    def guests(self) -> Ref[list[GuestInfo]]:
        def fetch() -> list[GuestInfo]:
            what = "GET /cluster/resources"
            return [
                GuestInfo(
                    as_int(what, r.get("vmid")),
                    as_text(what, r.get("name"), default=""),
                    as_text(what, r.get("node"), default=""),
                    as_text(what, r.get("status"), default=""),
                    split_tags(r.get("tags")),
                )
                for r in self._rows("/cluster/resources", lambda: self._api.cluster.resources(type="vm"))
                if r.get("vmid") is not None
            ]

        return self._load(("guests",), fetch)

    def tags(self) -> Ref[list[str]]:
        """Tags in use on guests plus the cluster's allowed tags, sorted."""

        def fetch() -> list[str]:
            found = {t for g in self._get_guests() for t in g.tags}
            data = plain(self._api.cluster.options.get())
            options = {} if data is None else as_object("GET /cluster/options", data)
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
            lambda: self._names(
                f"/nodes/{node}/storage", "storage", lambda: self._api.nodes(node).storage.list(content="iso")
            ),
        )

    def isos(self, node: str, storage: str) -> Ref[list[IsoFile]]:
        def fetch() -> list[IsoFile]:
            path = f"/nodes/{node}/storage/{storage}/content"
            what = f"GET {path}"
            return newest_first(
                IsoFile(
                    as_text(what, r.get("volid")),
                    as_int(what, r.get("size"), default=0),
                    as_int(what, r.get("ctime"), default=0),
                )
                for r in self._rows(path, lambda: self._api.nodes(node).storage(storage).content.list(content="iso"))
            )

        return self._load(("isos", node, storage), fetch)

    def all_isos(self, node: str) -> Ref[list[IsoFile]]:
        """The ISO images of every ISO storage of ``node`` (the driver CD may live elsewhere than the installer)."""
        storages = self.iso_storages(node)
        if storages.value is None:
            return Ref(error=storages.error)
        found: list[IsoFile] = []
        for storage in storages.value:
            isos = self.isos(node, storage)
            if isos.value is None:
                return Ref(error=isos.error)
            found += isos.value
        return Ref(value=found)

    def image_storages(self, node: str) -> Ref[list[StorageInfo]]:
        def fetch() -> list[StorageInfo]:
            path = f"/nodes/{node}/storage"
            out = []
            for r in self._rows(path, lambda: self._api.nodes(node).storage.list(content="images")):
                stype = as_text(f"GET {path}", r.get("type"), default="")
                formats = ("raw", "qcow2", "vmdk") if stype in _FILE_STORAGES else ("raw",)
                out.append(StorageInfo(as_text(f"GET {path}", r.get("storage")), stype, formats))
            return sorted(out, key=lambda s: s.storage)

        return self._load(("image-storages", node), fetch)

    def bridges(self, node: str) -> Ref[list[str]]:
        return self._load(
            ("bridges", node),
            lambda: self._names(
                f"/nodes/{node}/network", "iface", lambda: self._api.nodes(node).network.list(type="any_bridge")
            ),
        )

    def server_version(self) -> Ref[str]:
        def fetch() -> str:
            answer = as_object("GET /version", self._api.version())
            version = answer.get("version")
            if not isinstance(version, str) or not version[:1].isdigit():
                raise UnexpectedAnswer("GET /version", answer.get("version"), "a release like 9.1.3")
            return version

        return self._load(("version",), fetch)

    def cpu(self, node: str) -> Ref[CpuCatalog]:
        """The node's CPU models, VM-specific CPU flags and CPU units range (the CPU step's choices)."""

        def fetch() -> CpuCatalog:
            from pvectl.sdk import ApiError, UnsupportedByServer

            path = f"/nodes/{node}/capabilities/qemu/cpu"
            what = f"GET {path}"
            models = tuple(
                sorted(
                    (
                        CpuModel(
                            as_text(what, r.get("name")),
                            as_text(what, r.get("vendor"), default=""),
                            r.get("custom") in (True, 1, "1"),  # PVE sends the boolean as 0/1
                        )
                        for r in self._rows(path, lambda: self._api.nodes(node).capabilities.qemu.cpu())
                    ),
                    key=model_order,  # PVE's order is a Perl hash's: the common models first, then by name
                )
            )
            notes: list[str] = []
            try:
                path = f"/nodes/{node}/capabilities/qemu/cpu-flags"
                flags = tuple(
                    as_text(f"GET {path}", r.get("name"))
                    for r in self._rows(path, lambda: self._api.nodes(node).capabilities.qemu.cpu_flags())
                )
            except (UnsupportedByServer, ApiError) as exc:  # cpu-flags is new in 9.0 (the version table)
                if isinstance(exc, ApiError) and exc.status != 501:  # 501: pveproxy's "not implemented"
                    raise
                release = f"PVE {exc.server}" if isinstance(exc, UnsupportedByServer) else "this server"
                flags = BUILTIN_FLAGS
                notes.append(f"{release} has no CPU flag list (new in 9.0): using pvectl's built-in list")
            return CpuCatalog(node, models, flags, self._cpu_units(node), tuple(notes))

        return self._load(("cpu", node), fetch)

    def _cpu_units(self, node: str) -> CpuUnits:
        # The GUI reads the node's `cgroup-mode` from /cluster/resources (gui-wizard-reference.md §7; the field
        # is in every schema dump from 7.4 on; GET /nodes/{node}/status has no such field in any of them). A node
        # that does not say is taken as cgroup v2, as the GUI does (pve-manager qemu/ProcessorEdit.js: cgroupMode
        # defaults to 2, "or params for v2 are used"); PVE 7.0 and later boot the unified (v2) hierarchy unless
        # the kernel command line asks for v1.
        what = "GET /cluster/resources"
        for row in self._rows("/cluster/resources", lambda: self._api.cluster.resources(type="node")):
            if row.get("node") == node and row.get("cgroup-mode") is not None:
                mode = as_int(what, row.get("cgroup-mode"))
                if mode not in (1, 2):
                    raise UnexpectedAnswer(what, mode, "cgroup-mode 1 or 2")
                return CpuUnits(mode)
        return CpuUnits(2, known=False)
