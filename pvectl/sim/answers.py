"""Answers rendered once per state and status interval, shared by every reader of a process and, through the
state database, by the processes that come next (each ``pvectl --sim`` command is a process of its own).

PVE serves ``/cluster/resources`` from status caches too: pmxcfs's vmlist and the RRD data pvestatd
broadcasts every 10 s (PVE::API2::Cluster::resources, PVE::Cluster::rrd_dump), so it is never fresher than a
few seconds. The simulator's answer depends on the clock through one value only, a running guest's
``uptime`` (``handlers.cluster.vm_resource``): a new interval on the same state moves those counters on in the
stored answer instead of rendering it again (``aged``, about a tenth of a render at 10,000 VMs).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from pvectl import __version__
from pvectl.sim.wire import JSON_HEADERS, SimResponse

if TYPE_CHECKING:
    from pvectl.sim.routes import Ctx
    from pvectl.sim.store import Store

STATUS_INTERVAL = 10.0  # seconds: pvestatd's update loop
GUESTS = ("qemu", "lxc")


@dataclass(frozen=True)
class Rendered:
    state: str  # the store's stamp when it was rendered
    rendered: float  # the clock then
    response: SimResponse


def interval(now: float) -> int:
    return int(now // STATUS_INTERVAL)


def aged(body: bytes, rendered: float, now: float) -> bytes:
    """The answer rendered at ``rendered``, as rendering it again at ``now`` on the same state would give it."""
    shift = int(now) - int(rendered)
    payload = orjson.loads(body)
    for row in payload["data"]:
        if row.get("type") in GUESTS and (row.get("status") == "running" or row.get("uptime", 0) > 0):
            row["uptime"] += shift
    return orjson.dumps(payload)


class AnswerCache:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._mem: dict[str, Rendered] = {}
        self._lock = threading.Lock()  # one render or ageing at a time; the others then find its result

    def answer(self, ctx: Ctx, render: Callable[[Ctx], Any]) -> SimResponse:
        """The answer to ``ctx``'s call: from this process, from the state database, or rendered now."""
        params = "&".join(f"{k}={v}" for k, v in sorted((k, str(v)) for k, v in ctx.params.items()))
        name = f"{ctx.op.key}?{params}"
        state = ctx.txn.stamp
        entry = self._find(name, state)
        if entry is not None and interval(entry.rendered) == interval(ctx.now):
            return entry.response
        with self._lock:
            entry = self._find(name, state)
            if entry is not None and interval(entry.rendered) == interval(ctx.now):
                return entry.response
            if entry is not None:
                body = aged(entry.response.body, entry.rendered, ctx.now)
            else:
                body = orjson.dumps({"data": render(ctx)})
            entry = Rendered(state, ctx.now, SimResponse(200, "OK", body, JSON_HEADERS))
            self._mem[name] = entry
            self._store.store_answer(name, _db_stamp(state), ctx.now, body)
            return entry.response

    def _find(self, name: str, state: str) -> Rendered | None:
        entry = self._mem.get(name)
        if entry is not None and entry.state == state:
            return entry
        stored = self._store.stored_answer(name, _db_stamp(state))
        if stored is None:
            return None
        entry = Rendered(state, stored[0], SimResponse(200, "OK", stored[1], JSON_HEADERS))
        self._mem[name] = entry
        return entry


def _db_stamp(state: str) -> str:
    # pvectl's version too: an answer stored by another release of the simulator may be shaped differently.
    return f"{state}|{__version__}"
