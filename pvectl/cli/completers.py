"""Live completion values for resource options (``--node``, ``--vmid``, ``--storage``, ...).

Values come from the current context's server, are cached on disk per context for a short TTL, and each
lookup is time-boxed: on any failure or timeout the shell simply gets no values (no traceback, no hang, no
prompt). A lookup that misses the time box goes on in a detached process that fills the cache
(pvectl/cli/completion_refresh.py), so the next TAB has the values; an expired entry is still offered (up to
STALE_SECONDS) while such a process refreshes it. Imported by generated modules, so nothing heavy at import time.
"""

import contextlib
import json
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

TTL_SECONDS = 60.0
STALE_SECONDS = 24 * 3600.0
TIME_BOX_SECONDS = 0.5
TTL_BY_KIND = {"upid": 5.0}  # tasks come and go within seconds
REFRESH_ENV = "PVECTL_COMPLETION_REFRESH"
REFRESH_LOCK_SECONDS = 60.0
Items = list[tuple[str, str]]
clock: Callable[[], float] = time.time  # the cache entries' time; tests put a fake clock here instead of sleeping


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pvectl" / "completion"


def _root_options(ctx: typer.Context) -> dict[str, Any]:
    params = dict(ctx.find_root().params)
    return {k: params.get(k) for k in ("context", "host", "user", "token", "ca_file", "fingerprint", "insecure", "sim")}


def context_key(options: dict[str, Any]) -> str:
    """One cache per context: the named context, else the server and user, else the default context."""
    if options.get("sim"):
        from pvectl.sim.paths import state_dir  # os and pathlib only

        ident = f"sim:{state_dir().resolve()}"  # one simulated world per state directory
    elif options.get("context"):
        ident = f"context:{options['context']}"
    elif options.get("host"):
        ident = f"host:{options['host']}:{options.get('user') or ''}:{(options.get('token') or '').split('=')[0]}"
    else:
        ident = f"context:{_current_context()}"
    import zlib  # not hashlib: loading OpenSSL costs 4 MiB and 20 ms on every TAB; this is a name, not a secret

    data = ident.encode()
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def _current_context() -> str:
    """The config file's current context (so `pvectl config use` switches caches too)."""
    try:
        from pvectl.config.file import load

        return load().current or ""
    except Exception:
        return ""


def _cache_file(options: dict[str, Any]) -> Path:
    return cache_dir() / f"{context_key(options)}.json"


def read_entry(options: dict[str, Any], what: str, now: float | None = None) -> tuple[float, Items] | None:
    """(age in seconds, items) of a cached lookup, or None."""
    try:
        entry = json.loads(_cache_file(options).read_text())[what]
        age = (now or clock()) - float(entry["at"])
        return age, [(str(v), str(h)) for v, h in entry["items"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def read_cache(options: dict[str, Any], what: str, now: float | None = None) -> Items | None:
    """Fresh cached items (younger than TTL_SECONDS), or None."""
    entry = read_entry(options, what, now)
    return entry[1] if entry is not None and entry[0] <= TTL_SECONDS else None


def write_cache(options: dict[str, Any], what: str, items: Items) -> None:
    path = _cache_file(options)
    try:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            data = {}
        data[what] = {"at": clock(), "items": items}
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(path)
    except OSError:
        pass


def _client(options: dict[str, Any]) -> Any:
    """A client for the current context that never prompts and does not retry (the time box bounds it)."""
    from pvectl.cli.connection import make_client
    from pvectl.cli.context import GlobalOptions

    client = make_client(GlobalOptions(**{k: v for k, v in options.items() if v is not None}), interactive=False)
    client.check_version = False
    client.retries = 0
    return client


def _fetch(what: str, options: dict[str, Any], node: str | None) -> Items:
    client = _client(options)
    try:
        # raw request: TAB reads its values untyped (typed answers would load pydantic models at every TAB)
        return _values(client.request, what, node)
    finally:
        client.close()


def _values(get: Callable[..., Any], what: str, node: str | None) -> Items:
    """One kind of live values, read through ``get(method, path, params)``."""
    if what == "node":
        return [(str(n["node"]), str(n.get("status", ""))) for n in get("GET", "/nodes")]
    if what == "vmid":
        rows = get("GET", "/cluster/resources", {"type": "vm"})
        return sorted(
            ((str(r["vmid"]), f"{r.get('name', '')} ({r.get('type', '')} on {r.get('node', '')})") for r in rows),
            key=lambda item: int(item[0]),
        )
    if what == "vm":
        return _vms(get("GET", "/cluster/resources", {"type": "vm"}))
    if what == "ct":
        return _vms(get("GET", "/cluster/resources", {"type": "vm"}), kind="lxc")
    if what == "tag":
        return _tags(get("GET", "/cluster/resources", {"type": "vm"}))
    if what == "upid":
        # /cluster/tasks lists the cluster's recent tasks; newest first, as `task list` shows them
        rows = sorted(get("GET", "/cluster/tasks"), key=lambda r: -int(r.get("starttime") or 0))
        return [(str(r["upid"]), f"{r.get('type', '')} {r.get('id', '')} {r.get('status', 'running')}") for r in rows]
    if what == "storage" or what.startswith("storage:"):
        content = what.partition(":")[2]
        rows = get("GET", "/storage")
        return [
            (str(s["storage"]), str(s.get("type", "")))
            for s in rows
            if not content or content in str(s.get("content", "")).split(",")
        ]
    if what.startswith("snapshot:"):  # snapshot:qemu:100 (needs the node)
        _, kind, guest = what.split(":")
        node = node or str(get("GET", "/nodes")[0]["node"])
        rows = get("GET", f"/nodes/{node}/{kind}/{guest}/snapshot")
        # PVE lists the live state as a pseudo snapshot named "current" (PVE::API2::Qemu snapshot_list)
        return [(str(r["name"]), str(r.get("description", "")).strip()) for r in rows if r.get("name") != "current"]
    if what == "pool":
        return [(str(p["poolid"]), str(p.get("comment", ""))) for p in get("GET", "/pools")]
    if what == "realm":
        return [(str(d["realm"]), str(d.get("comment", d.get("type", "")))) for d in get("GET", "/access/domains")]
    node = node or str(get("GET", "/nodes")[0]["node"])
    if what in ("iface", "bridge"):
        params = {"type": "any_bridge"} if what == "bridge" else {}
        rows = get("GET", f"/nodes/{node}/network", params)
        return [(str(r["iface"]), str(r.get("type", ""))) for r in rows]
    if what == "iso":
        items: Items = []
        for s in get("GET", f"/nodes/{node}/storage", {"content": "iso", "enabled": 1}):
            for v in get("GET", f"/nodes/{node}/storage/{s['storage']}/content", {"content": "iso"}):
                items.append((str(v["volid"]), _size(v.get("size"))))
        return items
    if what == "vztmpl":
        out: Items = []
        for s in get("GET", f"/nodes/{node}/storage", {"content": "vztmpl", "enabled": 1}):
            for v in get("GET", f"/nodes/{node}/storage/{s['storage']}/content", {"content": "vztmpl"}):
                out.append((str(v["volid"]), _size(v.get("size"))))
        return out
    if what == "aplinfo":
        return [(str(a["template"]), str(a.get("headline", ""))) for a in get("GET", f"/nodes/{node}/aplinfo")]
    return []


def _size(value: Any) -> str:
    try:
        return f"{int(value) / 2**30:.1f} GiB"
    except (TypeError, ValueError):
        return ""


def _vms(rows: list[dict[str, Any]], kind: str = "qemu") -> Items:
    """Guests of one kind for the curated ``vm`` (qemu) and ``ct`` (lxc) commands: each id (its name as help),
    then each name (its id as help)."""
    noun = "CT" if kind == "lxc" else "VM"
    vms = sorted((r for r in rows if r.get("type", "qemu") == kind and r.get("vmid") is not None),
                 key=lambda r: int(r["vmid"]))  # fmt: skip
    ids = [(str(r["vmid"]), f"{r.get('name', '')} ({r.get('status', '')} on {r.get('node', '')})") for r in vms]
    names = [(str(r["name"]), f"{noun} {r['vmid']} ({r.get('status', '')} on {r.get('node', '')})") for r in vms
             if r.get("name")]  # fmt: skip
    return ids + names


def _tags(rows: list[dict[str, Any]]) -> Items:
    from collections import Counter

    counts: Counter[str] = Counter()
    for r in rows:
        raw = r.get("tags") or ""
        counts.update(t for t in str(raw).replace(",", ";").replace(" ", ";").split(";") if t)
    return [(tag, f"{n} VM{'s' if n != 1 else ''}") for tag, n in sorted(counts.items())]


def time_box_seconds() -> float:
    """The lookup budget: ``PVECTL_COMPLETION_TIMEOUT`` seconds (for slow links), else half a second."""
    try:
        value = float(os.environ.get("PVECTL_COMPLETION_TIMEOUT", TIME_BOX_SECONDS))
    except ValueError:
        return TIME_BOX_SECONDS
    return value if value > 0 else TIME_BOX_SECONDS


def ttl_seconds(what: str) -> float:
    """How long cached values count as fresh: ``PVECTL_COMPLETION_TTL`` seconds, else per kind (60, tasks 5)."""
    try:
        value = float(os.environ.get("PVECTL_COMPLETION_TTL", ""))
    except ValueError:
        return TTL_BY_KIND.get(what, TTL_SECONDS)
    return value if value >= 0 else TTL_BY_KIND.get(what, TTL_SECONDS)


def time_boxed(func: Callable[[], Items], seconds: float | None = None) -> Items | None:
    """``func()`` if it finishes within ``seconds`` without raising, else None (the thread is abandoned)."""
    return _boxed(func, seconds)[0]


def _boxed(func: Callable[[], Items], seconds: float | None = None) -> tuple[Items | None, bool]:
    """(``func()`` or None, whether it was still running when the time box closed)."""
    seconds = time_box_seconds() if seconds is None else seconds
    box: list[Items] = []

    def run() -> None:
        with contextlib.suppress(BaseException):  # completion must stay silent whatever happens
            box.append(func())

    worker = threading.Thread(target=run, name="pvectl-complete", daemon=True)
    worker.start()
    worker.join(seconds)
    return (box[0] if box else None), worker.is_alive()


def lookup(ctx: typer.Context, what: str) -> Items:
    """Cached, time-boxed, silent: live values of one kind for the current context."""
    try:
        options = _root_options(ctx)
        per_node = what in ("iface", "bridge", "iso", "vztmpl", "aplinfo") or what.startswith("snapshot:")
        node = ctx.params.get("node") if per_node else None
        return lookup_with(options, what, node)
    except Exception:
        return []


def lookup_with(options: dict[str, Any], what: str, node: str | None) -> Items:
    if not _server_configured(options):
        return []  # nothing to ask: skip the cache, the SDK and the HTTP stack
    cache_name = f"{what}@{node}" if node else what
    entry = read_entry(options, cache_name)
    if entry is not None and entry[0] <= ttl_seconds(what):
        return entry[1]
    if entry is not None and entry[0] <= STALE_SECONDS:
        refresh_later(options, what, node)  # offer what we had; the next TAB gets the new values
        return entry[1]
    found, late = _boxed(lambda: _fetch(what, options, node))
    if found is None:
        if late:  # a slow server, not a failing one: let a detached process finish and cache it
            refresh_later(options, what, node)
            _exit_without_waiting()
        return []
    write_cache(options, cache_name, found)
    return found


def _server_configured(options: dict[str, Any]) -> bool:
    """Whether any server is named: --sim/--host/--context, their variables, or a current context in the file."""
    if options.get("sim") or options.get("host") or options.get("context"):
        return True
    if any(os.environ.get(v) for v in ("PVECTL_SIM", "PVECTL_HOST", "PVECTL_CONTEXT")):
        return True
    return bool(_current_context())


def _exit_without_waiting() -> None:
    """End the process right after the shell got its answer: tearing down the interpreter under a thread that is
    still inside a request can abort it ("FATAL: exception not rethrown"), which the shell would show."""
    import atexit
    import sys

    if Path(sys.argv[0]).name not in ("pvectl", "__main__.py"):
        return  # not the pvectl process itself (an in-process test runner): let it finish normally

    def leave() -> None:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(0)

    atexit.register(leave)


def refresh(options: dict[str, Any], what: str, node: str | None) -> None:
    """Fetch one kind without a time box and cache it (what the detached refresh process runs)."""
    write_cache(options, f"{what}@{node}" if node else what, _fetch(what, options, node))


def refresh_later(options: dict[str, Any], what: str, node: str | None) -> None:
    """Start a detached process that finishes the lookup and fills the cache; the TAB does not wait for it.

    One per context and kind at a time (a lock file younger than REFRESH_LOCK_SECONDS); its output goes nowhere,
    so the shell's completion pipe closes as soon as this process exits. Credentials travel in its environment
    (readable only by the same user), never on its command line.
    """
    import subprocess
    import sys

    lock = cache_dir() / f"{context_key(options)}.{what}.{node or ''}.refresh"
    try:
        lock.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            if time.time() - lock.stat().st_mtime < REFRESH_LOCK_SECONDS:
                return
            lock.unlink()
        except FileNotFoundError:
            pass
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        job = json.dumps({"options": options, "what": what, "node": node, "lock": str(lock)}, default=str)
        subprocess.Popen(
            [sys.executable, "-m", "pvectl.cli.completion_refresh"],
            env={**os.environ, REFRESH_ENV: job},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    except OSError:
        pass


def _matching(items: Items, incomplete: str) -> list[tuple[str, str]]:
    return [(v, h) for v, h in items if v.startswith(incomplete)]


def node(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _matching(lookup(ctx, "node"), incomplete)


def vmid(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _matching(lookup(ctx, "vmid"), incomplete)


def vm(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """A QEMU VM by id or name (the curated ``vm`` commands): ids while the word is empty or digits, else names."""
    items = lookup(ctx, "vm")
    by_id = not incomplete or incomplete.isdigit()
    return [(v, h) for v, h in items if v.isdigit() == by_id and v.startswith(incomplete)]


def ct(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """An LXC container by id or name (the ``ct`` commands): ids while the word is empty or digits, else names."""
    items = lookup(ctx, "ct")
    by_id = not incomplete or incomplete.isdigit()
    return [(v, h) for v, h in items if v.isdigit() == by_id and v.startswith(incomplete)]


def ct_template(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """``ct create --template``: the node's template volumes, then the appliance index's file names."""
    return _matching([*lookup(ctx, "vztmpl"), *lookup(ctx, "aplinfo")], incomplete)


def appliance(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """``ct template pull``: the appliance index's file names."""
    return _matching(lookup(ctx, "aplinfo"), incomplete)


def rootdir_storage(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Storages that hold container root disks and mount points (content ``rootdir``)."""
    return _matching(lookup(ctx, "storage:rootdir"), incomplete)


def vztmpl_storage(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Storages that hold container templates (content ``vztmpl``)."""
    return _matching(lookup(ctx, "storage:vztmpl"), incomplete)


def ct_disk(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """``ct create --disk/--mp STORAGE:SIZE``: the storage part with its ``:``, container storages only."""
    if ":" in incomplete:
        return []
    return [(f"{v}:", h) for v, h in lookup(ctx, "storage:rootdir") if v.startswith(incomplete)]


def storage(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _matching(lookup(ctx, "storage"), incomplete)


def image_storage(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Storages that hold VM disks (content ``images``)."""
    return _matching(lookup(ctx, "storage:images"), incomplete)


def iso_storage(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Storages that hold ISO images (content ``iso``)."""
    return _matching(lookup(ctx, "storage:iso"), incomplete)


_DISK_HEAD = re.compile(r"(?:(?:scsi|sata|virtio|ide)\d+:)?")


def disk(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """``--disk [BUS N:]STORAGE:SIZE``: the storage part, with its ``:`` (the size is the user's)."""
    head = _DISK_HEAD.match(incomplete)
    prefix = head.group(0) if head else ""
    rest = incomplete[len(prefix) :]
    if ":" in rest:
        return []
    return [(f"{prefix}{v}:", h) for v, h in lookup(ctx, "storage:images") if v.startswith(rest)]


def pool(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _matching(lookup(ctx, "pool"), incomplete)


def tag(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _matching(lookup(ctx, "tag"), incomplete)


def upid(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _matching(lookup(ctx, "upid"), incomplete)


def snapshot(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Snapshot names of the VM or container given by --node and --vmid."""
    guest = ctx.params.get("vmid")
    if guest is None:
        return []
    kind = "lxc" if " lxc " in f" {ctx.command_path} " else "qemu"
    return _matching(lookup(ctx, f"snapshot:{kind}:{guest}"), incomplete)


def realm(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _matching(lookup(ctx, "realm"), incomplete)


def iface(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _matching(lookup(ctx, "iface"), incomplete)


def bridge(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _matching(lookup(ctx, "bridge"), incomplete)


def iso(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _matching(lookup(ctx, "iso"), incomplete)


ISO_WORDS = (
    ("latest-nixos", "the newest NixOS minimal ISO"),
    ("none", "no media"),
    ("cdrom", "the host's physical drive"),
)


def create_iso(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """``vm create --iso``: its keywords, then the node's ISO volumes."""
    return _matching([*ISO_WORDS, *lookup(ctx, "iso")], incomplete)


def cpu_model(incomplete: str) -> list[tuple[str, str]]:
    """``vm create --cpu``: the common models (the node may offer more; they are checked before sending)."""
    from pvectl.vm.cpu import COMMON_MODELS

    return _matching([(m, "") for m in COMMON_MODELS], incomplete)


def choices(values: tuple[str, ...]) -> Callable[[str], list[str]]:
    """Completion for a fixed set of values (a schema enum)."""

    def complete(incomplete: str) -> list[str]:
        return [v for v in values if v.startswith(incomplete)]

    return complete


# vm create's live fields (FieldSpec.source, pvectl/vm/fields.py) -> their completer
BY_SOURCE: dict[str, Callable[[typer.Context, str], list[tuple[str, str]]]] = {
    "nodes": node,
    "pools": pool,
    "tags": tag,
    "iso_storages": iso_storage,
    "isos": create_iso,
    "image_storages": image_storage,
    "bridges": bridge,
    "cpu": lambda ctx, incomplete: cpu_model(incomplete),
}
