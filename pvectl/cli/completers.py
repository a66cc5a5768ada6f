"""Live completion values for resource options (``--node``, ``--vmid``, ``--storage``, ...).

Values come from the current context's server, are cached on disk per context for a short TTL, and each
lookup is time-boxed: on any failure or timeout the shell simply gets no values (no traceback, no hang, no
prompt). Imported by generated modules, so nothing heavy at import time.
"""

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

TTL_SECONDS = 60.0
TIME_BOX_SECONDS = 0.5
Items = list[tuple[str, str]]


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pvectl" / "completion"


def _root_options(ctx: typer.Context) -> dict[str, Any]:
    params = dict(ctx.find_root().params)
    return {k: params.get(k) for k in ("context", "host", "user", "token", "ca_file", "fingerprint", "insecure", "sim")}


def context_key(options: dict[str, Any]) -> str:
    """One cache per context: the named context, else the server and user, else the default context."""
    if options.get("sim"):
        ident = "sim"
    elif options.get("context"):
        ident = f"context:{options['context']}"
    elif options.get("host"):
        ident = f"host:{options['host']}:{options.get('user') or ''}:{(options.get('token') or '').split('=')[0]}"
    else:
        ident = f"context:{_current_context()}"
    import hashlib  # here: loading OpenSSL costs megabytes on every leaf --help otherwise

    return hashlib.sha256(ident.encode()).hexdigest()[:16]


def _current_context() -> str:
    """The config file's current context (so `pvectl config use` switches caches too)."""
    try:
        from pvectl.config.file import load

        return load().current or ""
    except Exception:
        return ""


def _cache_file(options: dict[str, Any]) -> Path:
    return cache_dir() / f"{context_key(options)}.json"


def read_cache(options: dict[str, Any], what: str, now: float | None = None) -> Items | None:
    try:
        entry = json.loads(_cache_file(options).read_text())[what]
        if (now or time.time()) - float(entry["at"]) > TTL_SECONDS:
            return None
        return [(str(v), str(h)) for v, h in entry["items"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_cache(options: dict[str, Any], what: str, items: Items) -> None:
    path = _cache_file(options)
    try:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            data = {}
        data[what] = {"at": time.time(), "items": items}
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
    if what == "storage":
        return [(str(s["storage"]), str(s.get("type", ""))) for s in get("GET", "/storage")]
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
                items.append((str(v["volid"]), str(v.get("size", ""))))
        return items
    return []


def time_box_seconds() -> float:
    """The lookup budget: ``PVECTL_COMPLETION_TIMEOUT`` seconds (for slow links), else half a second."""
    try:
        value = float(os.environ.get("PVECTL_COMPLETION_TIMEOUT", TIME_BOX_SECONDS))
    except ValueError:
        return TIME_BOX_SECONDS
    return value if value > 0 else TIME_BOX_SECONDS


def time_boxed(func: Callable[[], Items], seconds: float | None = None) -> Items | None:
    """``func()`` if it finishes within ``seconds`` without raising, else None (the thread is abandoned)."""
    seconds = time_box_seconds() if seconds is None else seconds
    box: list[Items] = []

    def run() -> None:
        with contextlib.suppress(BaseException):  # completion must stay silent whatever happens
            box.append(func())

    worker = threading.Thread(target=run, name="pvectl-complete", daemon=True)
    worker.start()
    worker.join(seconds)
    return box[0] if box else None


def lookup(ctx: typer.Context, what: str) -> Items:
    """Cached, time-boxed, silent: live values of one kind for the current context."""
    try:
        options = _root_options(ctx)
        node = ctx.params.get("node") if what in ("iface", "bridge", "iso") else None
        cache_name = f"{what}@{node}" if node else what
        cached = read_cache(options, cache_name)
        if cached is not None:
            return cached
        found = time_boxed(lambda: _fetch(what, options, node))
        if found is None:
            return []
        write_cache(options, cache_name, found)
        return found
    except Exception:
        return []


def _matching(items: Items, incomplete: str) -> list[tuple[str, str]]:
    return [(v, h) for v, h in items if v.startswith(incomplete)]


def node(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _matching(lookup(ctx, "node"), incomplete)


def vmid(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _matching(lookup(ctx, "vmid"), incomplete)


def storage(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _matching(lookup(ctx, "storage"), incomplete)


def pool(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _matching(lookup(ctx, "pool"), incomplete)


def realm(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _matching(lookup(ctx, "realm"), incomplete)


def iface(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _matching(lookup(ctx, "iface"), incomplete)


def bridge(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _matching(lookup(ctx, "bridge"), incomplete)


def iso(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _matching(lookup(ctx, "iso"), incomplete)
