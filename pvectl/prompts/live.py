"""Choices loaded live from the server (``FieldSpec.source``), with their empty states."""

from __future__ import annotations

from functools import partial

from pvectl.cli.errors import FAILURE, CliError
from pvectl.prompts.ask import NONE, choice, say, select
from pvectl.prompts.questions import Session, Target, ask_choice, ask_value, problem
from pvectl.prompts.sources import load
from pvectl.vm.cpu import CpuCatalog, builtin_catalog
from pvectl.vm.fields import BY_FLAG
from pvectl.vm.iso import latest_nixos
from pvectl.vm.reference import StorageInfo

GiB = 1024**3


def ask_live(session: Session, target: Target) -> None:
    """Ask a choice field whose choices come from the server."""
    source = target.spec.source
    node = session.node
    ref = session.ref
    if source == "nodes":
        nodes = load("nodes", ref.nodes).get([])
        if not nodes:
            raise CliError("the server lists no nodes (nothing was sent)", FAILURE)
        offline = {n.node: f"is {n.status}" for n in nodes if n.status != "online"}
        titles = [(n.node, n.node if n.node in offline else f"{n.node} ({n.status})") for n in nodes]
        ask_choice(session, target, titles, offline, "on this server")
    elif source == "pools":
        pools = load("resource pools", ref.pools, optional=True).get([])
        if not pools:
            say("No resource pools on this server: the VM joins none.")
            target.set(session.config, None)
            return
        ask_choice(session, target, [(NONE, "(none)"), *((p, p) for p in pools)], what="on this server")
    elif source == "iso_storages":
        _ask_iso_storage(session, target)
    elif source == "isos":
        _ask_iso(session, target)
    elif source == "image_storages":
        storages = image_storages(session)
        ask_choice(session, target, [(s.storage, f"{s.storage} ({s.type})") for s in storages], what=f"on {node}")
    elif source == "cpu":
        catalog = cpu_catalog(session)
        ask_choice(session, target, [(m.name, m.label) for m in catalog.models], what=f"on {node}")
    elif source == "bridges":
        bridges = load(f"bridges on {node}", lambda: ref.bridges(node)).get([])
        if not bridges:
            say(f"No network bridge on {node}.")
            answer = select(
                "Network",
                [choice("Create the VM without a network device", "none"), choice("Abort (nothing is sent)", "abort")],
            )
            if answer == "abort":
                raise KeyboardInterrupt
            session.config.network.enabled = False
            return
        ask_choice(session, target, [(b, b) for b in bridges], what=f"on {node}")
    else:
        raise ValueError(f"{target.spec.path}: unknown source {source}")


def ask_virtio_iso(session: Session, target: Target) -> None:
    """The VirtIO driver CD, picked from the ISO volumes of every ISO storage of the node (the GUI and the TUI
    offer them); a volume given beforehand stays offered as given: the review says when the node lacks it.
    Typed as a volume id only when the user skipped loading the images."""
    node = session.node
    isos = load(f"ISO images on {node}", lambda: session.ref.all_isos(node), optional=True).value
    if isos is None:
        ask_value(session, target)
        return
    volids = [iso.volid for iso in isos]
    current = target.get(session.config)
    if current is not None and current not in volids:
        volids.append(str(current))
    ask_choice(session, target, [(NONE, "(no driver CD)"), *((v, v) for v in volids)], what=f"on {node}")


def cpu_catalog(session: Session) -> CpuCatalog:
    """The node's CPU models, flags and units range (loaded once per node; skipped: pvectl's own lists)."""
    node = session.node
    if session.cpu is not None and session.cpu.node == node:
        return session.cpu
    catalog = load(f"CPU models of {node}", lambda: session.ref.cpu(node), optional=True).value
    if catalog is None:
        catalog = builtin_catalog(node, f"CPU models of {node} not loaded: pvectl's common models and flags")
    for note in catalog.notes:
        say(f"note: {note}")
    session.cpu = catalog
    return catalog


def image_storages(session: Session) -> list[StorageInfo]:
    node = session.node
    storages = load(f"disk storages on {node}", lambda: session.ref.image_storages(node)).get([])
    if not storages:
        raise CliError(f"node {node} has no storage for disk images (nothing was sent)", FAILURE)
    return storages


def _no_iso(session: Session, why: str, other_storage: bool) -> str:
    """The empty state of the ISO questions: another storage, the physical drive, or no media."""
    say(why)
    options = [choice("Choose another ISO storage", "storage")] if other_storage else []
    options += [choice("Use the physical disc drive", "cdrom"), choice("No media", "none")]
    answer = select("CD/DVD drive", options)
    if answer != "storage":
        session.config.os.media = "cdrom" if answer == "cdrom" else "none"
        session.config.os.iso = None
    return answer


def _iso_storages(session: Session) -> list[str]:
    node = session.node
    return load(f"ISO storages on {node}", lambda: session.ref.iso_storages(node)).get([])


def _ask_iso_storage(session: Session, target: Target) -> None:
    storages = _iso_storages(session)
    if not storages:
        _no_iso(session, f"No storage on {session.node} holds ISO images.", other_storage=False)
        return
    before = session.config.os.iso_storage
    ask_choice(session, target, [(s, s) for s in storages], what=f"on {session.node}")
    os_ = session.config.os
    if os_.iso_storage != before and os_.iso is not None and not os_.iso.startswith(f"{os_.iso_storage}:"):
        os_.iso = None  # the ISO given before lives on the other storage


def _ask_iso(session: Session, target: Target) -> None:
    """ISO files newest first, the latest NixOS minimal preselected; an empty storage offers alternatives."""
    os_ = session.config.os
    storage_target = Target(BY_FLAG["iso-storage"])
    while os_.media == "iso":
        storage = os_.iso_storage
        isos = load(f"ISO images on {storage}", partial(session.ref.isos, session.node, storage)).get([])
        if not isos:
            if _no_iso(session, f"No ISO images on storage '{storage}'.", other_storage=True) == "storage":
                _ask_iso_storage(session, storage_target)
            continue
        latest = latest_nixos(isos)
        current = os_.iso
        values = [i.volid for i in isos]
        if current in values:
            default = current
        else:
            default = latest.volid if latest else values[0]
            if current is not None and current.startswith(f"{storage}:"):
                say(f"note: ISO '{current}' does not exist on {storage}; preselected '{default}'")
            elif latest is None:
                say(f"note: no NixOS minimal ISO on {storage}; preselected '{default}'")
        options = [choice(f"{i.filename}  ({i.size / GiB:.1f} GiB)", i.volid) for i in isos]
        answer = select(target.spec.label, options, default)
        if current is None and latest is not None and answer == latest.volid:
            return  # the latest NixOS ISO, derived as when --iso is left out
        message = problem(session, target, answer)
        if message is not None:
            say(f"error: {message}")
            continue
        target.set(session.config, answer)
        return
