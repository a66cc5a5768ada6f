"""Answers for methods without a stateful handler: data shaped by the schema's ``returns``.

Required properties are filled with a value of their type (enum: the first value); lists are empty, since
the simulated world has none of those things; property names that are path parameters echo the path.
Task-starting methods get a real task that completes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pvectl.sim.routes import Ctx
from pvectl.sim.wire import ApiFail


def sample(schema: Mapping[str, Any], known: Mapping[str, str], depth: int = 0) -> Any:
    stype = schema.get("type")
    if stype is None and "properties" in schema:
        stype = "object"
    if schema.get("enum"):
        return schema["enum"][0]
    if stype == "string":
        return ""
    if stype == "integer":
        return int(schema.get("minimum", 0))
    if stype == "number":
        return float(schema.get("minimum", 0))
    if stype == "boolean":
        return 0
    if stype == "array":
        return []
    if stype == "object":
        out: dict[str, Any] = {}
        if depth > 6:
            return out
        for name, prop in (schema.get("properties") or {}).items():
            if name.startswith("{"):
                continue  # placeholder keys ({id}, {node}) stand for map entries: none here
            if name in known:
                out[name] = int(known[name]) if prop.get("type") == "integer" else known[name]
            elif not prop.get("optional"):
                out[name] = sample(prop, known, depth + 1)
        return out
    return None


def _guest_must_exist(ctx: Ctx) -> None:
    # Guest sub-resources load the guest's config first, which fails for unknown (or foreign) guests.
    for kind, conf in (("qemu", "qemu-server"), ("lxc", "lxc")):
        if ctx.op.path.startswith(f"/nodes/{{node}}/{kind}/{{vmid}}"):
            vmid, node = int(ctx.path["vmid"]), ctx.path["node"]
            vm = ctx.state["vms"].get(str(vmid))
            if kind == "lxc" or vm is None or vm["node"] != node:
                raise ApiFail(500, f"Configuration file 'nodes/{node}/{conf}/{vmid}.conf' does not exist")


def generic(ctx: Ctx) -> Any:
    _guest_must_exist(ctx)
    if ctx.op.task:
        node = ctx.path.get("node") or next(iter(ctx.state["nodes"]))
        tid = ctx.path.get("vmid") or ctx.path.get("storage") or ""
        ttype = ctx.op.name.replace("_", "").lower()[:32] or "task"
        return ctx.task(node, ttype, tid, log=[f"{ctx.op.method} {ctx.op.path} (simulated)"])
    known = {k: str(v) for k, v in ctx.params.items() if isinstance(v, str)}
    return sample(ctx.op.returns, known)
