"""The handler registry and what a handler gets: the request's state, parameters and identity."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pvectl.sdk._core.spec import OpSpec
from pvectl.sim import tasks
from pvectl.sim.faults import FaultSet
from pvectl.sim.store import Txn
from pvectl.sim.wire import ApiFail, Params

State = dict[str, Any]


@dataclass
class Ctx:
    op: OpSpec
    params: Params  # validated; path values merged in
    path: Mapping[str, str]
    user: str
    now: float
    txn: Txn
    faults: FaultSet

    @property
    def state(self) -> State:
        return self.txn.state

    def changed(self) -> None:
        self.txn.changed()

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self.params.get(key, default)
        return ",".join(value) if isinstance(value, list) else value

    def number(self, key: str, default: int | None = None) -> int | None:
        value = self.text(key)
        return default if value is None else int(value)

    def flag(self, key: str) -> bool:
        return self.text(key) == "1"

    def task(self, node: str, ttype: str, tid: str, **kwargs: Any) -> str:
        """Start a worker task; injected faults may make it fail or run slowly."""
        failure, seconds = self.faults.task_outcome(ttype)
        if failure is not None:
            kwargs["failure"] = failure
        if seconds is not None:
            kwargs["seconds"] = seconds
        self.changed()
        return tasks.start_task(self.state, node, ttype, tid, self.user, self.now, **kwargs)


@dataclass(frozen=True)
class WithAttrs:
    """Data plus top-level attributes of the envelope (PVE's ``total`` on paged lists)."""

    data: Any
    attrs: Mapping[str, Any]


Handler = Callable[[Ctx], Any]
HANDLERS: dict[str, Handler] = {}


def route(*keys: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        for key in keys:
            HANDLERS[key] = func
        return func

    return register


def not_found(message: str) -> ApiFail:
    return ApiFail(500, message)
