"""The simulator's request handling, free of any server: ``Simulator.handle(method, path, query, headers, body)``.

The order follows pveproxy: route (501 for unknown methods), authenticate (401), CSRF for writes with a
ticket, proxy to the node (500/595 for unknown or offline nodes), decode and merge parameters, validate them
against the schema (400 ``Parameter verification failed.``), then run the handler inside one state
transaction.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote

from pvectl.sdk._core.spec import ApiSpec, OpSpec, load_spec
from pvectl.sdk._core.validate import validate_params
from pvectl.sim import auth, tasks
from pvectl.sim.answers import AnswerCache
from pvectl.sim.faults import Fault, FaultSet, apply_to_state, fault_spec, parse_fault
from pvectl.sim.routes import HANDLERS, Ctx, WithAttrs
from pvectl.sim.shape import generic
from pvectl.sim.store import StaleRead, Store, Txn
from pvectl.sim.wire import ApiFail, SimResponse, decode_body, decode_urlencoded, error, ok, param_fail

PREFIX = "/api2/json"
# Answers rendered once per state and status interval and shared (pvectl.sim.answers).
CACHED = frozenset({"GET /cluster/resources"})
STALE_TRIES = 5  # reads run again after another process's write (StaleRead)
# Methods PVE serves without authentication (permissions: {user => 'world'}).
PUBLIC = frozenset(
    {"POST /access/ticket", "GET /access/ticket", "GET /access/domains", "POST /access/openid/auth-url"}
    | {"POST /access/openid/login"}
)


class Clock(Protocol):
    def time(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


# The clock of a Simulator built without one (`--sim`, `pvectl sim serve`): tests put a fake clock here, so task
# durations and ticket ages pass without sleeping.
default_clock: Clock = SystemClock()


class Simulator:
    """A simulated PVE cluster behind one ``handle`` function."""

    def __init__(self, store: Store | None = None, *, clock: Clock | None = None, spec: ApiSpec | None = None) -> None:
        import pvectl.sim.handlers  # noqa: F401  (registers the stateful handlers)

        self.store = store or Store()
        self.clock = clock or default_clock
        self.spec = spec or load_spec()
        self.faults = FaultSet()
        self.answers = AnswerCache(self.store)
        with self.store.transaction(sections=()) as txn:
            for text in txn.state.get("faults", []):
                fault = parse_fault(text)
                if not _is_state_fault(fault):  # those were applied when the world was built
                    self.faults.add(fault)

    # -- faults -----------------------------------------------------------------------------------------

    def inject(self, *faults: Fault | str) -> None:
        """Add faults; those that change the world (lock a VM, node offline, expire tickets) apply at once."""
        for item in faults:
            fault = parse_fault(item) if isinstance(item, str) else item
            if _is_state_fault(fault):
                with self.store.transaction(write=True) as txn:
                    apply_to_state(txn.state, fault, self.clock.time())
                    txn.state["faults"] = [*txn.state.get("faults", []), fault_spec(fault)]
                    txn.changed()
            else:
                self.faults.add(fault)

    def clear_faults(self) -> None:
        self.faults.clear()

    def use_env_faults(self, text: str) -> None:
        """Faults from ``$PVECTL_SIM_FAULTS`` (specs separated by ';'), in force only while it is set.

        Faults of this process's requests live in its FaultSet. Faults that change the world (node-offline,
        lock-vm, expire-tickets) are applied to the state and recorded in ``env_faults``; a process whose
        environment no longer names them undoes them, so unsetting the variable ends them too.
        """
        from pvectl.sim.faults import FaultSpecError, revert_state

        specs = [spec.strip() for spec in text.split(";") if spec.strip()]
        try:
            parsed = [(spec, parse_fault(spec)) for spec in specs]
        except FaultSpecError as exc:
            raise FaultSpecError(f"{exc} (from PVECTL_SIM_FAULTS)") from None
        wanted = [spec for spec, fault in parsed if _is_state_fault(fault)]
        with self.store.transaction(sections=()) as txn:
            recorded = list(txn.state.get("env_faults", []))
        if recorded != wanted:
            with self.store.transaction(write=True) as txn:
                state, now = txn.state, self.clock.time()
                recorded = list(state.get("env_faults", []))
                for spec in recorded:
                    if spec not in wanted:
                        revert_state(state, parse_fault(spec))
                try:
                    for spec in wanted:
                        if spec not in recorded:
                            apply_to_state(state, parse_fault(spec), now)
                except FaultSpecError as exc:
                    raise FaultSpecError(f"{exc} (from PVECTL_SIM_FAULTS)") from None
                state["env_faults"] = wanted
                txn.changed()
        for _, fault in parsed:
            if not _is_state_fault(fault):
                self.faults.add(fault)

    def clear_state_faults(self) -> list[str]:
        """Undo every fault recorded in the state (seed, ``--faults``, environment); the specs cleared."""
        from pvectl.sim.faults import revert_state

        with self.store.transaction(write=True) as txn:
            state = txn.state
            cleared = list(state.get("faults", [])) + list(state.get("env_faults", []))
            for spec in cleared:
                fault = parse_fault(spec)
                if _is_state_fault(fault):
                    revert_state(state, fault)
            state["faults"], state["env_faults"] = [], []
            txn.changed()
        self.faults.clear()
        return cleared

    # -- requests ---------------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: str = "", headers: Mapping[str, str] | None = None, body: bytes = b""
    ) -> SimResponse:
        method = method.upper()
        lower = {k.lower(): v for k, v in (headers or {}).items()}
        try:
            data = self._handle(method, path, query, lower, body)
            if isinstance(data, SimResponse):
                return data
            if isinstance(data, WithAttrs):
                return ok(data.data, data.attrs)
            return ok(data)
        except ApiFail as fail:
            return error(fail)
        except Exception as exc:  # a simulator bug must not kill the connection; PVE answers 500 too
            return error(ApiFail(500, f"internal simulator error: {type(exc).__name__}: {exc}"))

    def _handle(self, method: str, raw_path: str, query: str, headers: Mapping[str, str], body: bytes) -> Any:
        path = unquote(raw_path)
        if not path.startswith(PREFIX):
            raise ApiFail(404, "Not found")
        api_path = "/" + path[len(PREFIX) :].strip("/")
        found = self.spec.match(api_path)
        if found is None or method not in self.spec.by_path.get(found[0], {}):
            raise ApiFail(501, f"Method '{method} {api_path}' not implemented")
        template, path_values = found
        op = self.spec.by_path[template][method]
        delay = self.faults.latency(api_path, template)
        if delay > 0:
            self.clock.sleep(delay)
        write = method != "GET" or (template == "/cluster/nextid" and self.faults.has_steal())
        request = _Request(method, api_path, template, path_values, query, headers, body)
        if not write:
            for attempt in range(STALE_TRIES):
                try:
                    # Rows load when the handler first touches them; a stored answer touches none.
                    with self.store.transaction(sections=("tasks",)) as txn:
                        now = self.clock.time()
                        if tasks.due(txn.state, now):  # finishing a task is a write
                            break
                        ctx = self._context(request, op, txn, now)
                        if op.key in CACHED:
                            return self.answers.answer(ctx, HANDLERS[op.key])
                        return HANDLERS.get(op.key, generic)(ctx)
                except StaleRead:  # another process wrote meanwhile: again, on its state
                    if attempt == STALE_TRIES - 1:
                        raise
        with self.store.transaction(write=True) as txn:
            now = self.clock.time()
            if tasks.advance(txn.state, now):
                txn.changed()
            data = HANDLERS.get(op.key, generic)(self._context(request, op, txn, now))
            if method != "GET":
                txn.changed()
            return data

    def _context(self, request: _Request, op: OpSpec, txn: Txn, now: float) -> Ctx:
        """Authenticate, check the node and the parameters: the handler's context, or the ApiFail PVE gives.

        Call faults count the calls they see: a request run again (StaleRead) is counted once.
        """
        method, api_path, template, path_values = request.method, request.api_path, request.template, request.path
        headers, state = request.headers, txn.state
        user = "root@pam"
        if op.key not in PUBLIC:
            who = auth.identify(state, headers, now)
            if method != "GET" and who.via_ticket and not who.csrf_ok:
                raise ApiFail(401, "Permission denied - invalid csrf token")
            if not op.allowtoken and not who.via_ticket:
                raise ApiFail(401, f"URI '{api_path}' not available with API token, need proper ticket.")
            user = who.user
        if not request.counted:
            request.counted = True
            injected = self.faults.check_call(method, api_path, template)
            if injected is not None:
                raise injected
        node = path_values.get("node")
        if node is not None:
            if node not in state["nodes"]:
                raise ApiFail(
                    500,
                    f"hostname lookup '{node}' failed - failed to get address info for: {node}: "
                    "Name or service not known",
                )
            if not state["nodes"][node]["online"]:
                raise ApiFail(595, f"Connection refused: node '{node}' is offline (No route to host)")
        body = request.body
        params = decode_body(headers.get("content-type", ""), body) if method in ("POST", "PUT") else {}
        params.update(decode_urlencoded(request.query))  # query parameters win over the body
        for name, value in path_values.items():
            given = params.get(name)
            if given is not None and given != value:
                raise param_fail({name: "duplicate parameter (already defined in URI) with conflicting values!"})
            params[name] = value
        if state["version"] != self.spec.version:
            _check_release(state["version"], op.key, api_path, params)
        additional = op.additional if op.additional is not None else True
        problems = validate_params(params, op.params, additional)
        if problems:
            raise param_fail(problems)
        return Ctx(op, params, path_values, user, now, txn, self.faults)


@dataclass
class _Request:
    method: str
    api_path: str
    template: str
    path: Mapping[str, str]
    query: str
    headers: Mapping[str, str]
    body: bytes
    counted: bool = False  # the call faults have seen it


def _check_release(version: str, key: str, api_path: str, params: Mapping[str, object]) -> None:
    """A world seeded with an older PVE release lacks the methods and parameters that release lacks.

    The simulator decides on its own where the client only knows a range: a release has what the newest schema
    dump at or below it lists, and what pve-manager's changelog pins to it or an earlier release (the table's
    SINCE). Everything else is validated against the 9.1 schema (older releases differ little in what they
    accept). A missing method is pve-http-server's 501 "Method '…' not implemented". Read straight from the
    generated table (not through the client's version checks), so the two can disagree.
    """
    from pvectl.sdk import _versions
    from pvectl.sim.packages import version_key

    have = version_key(version)
    known = [i for i, release in enumerate(_versions.RELEASES) if version_key(release) <= have]
    if not known:
        return  # older than every dump: nothing to say
    idx = known[-1]  # the dump this release is known to have at least
    entry = _versions.TABLE.get(key)
    pin = _versions.SINCE.get(key)
    missing = have < version_key(pin) if pin is not None else entry is not None and entry[0][idx] != "1"
    if missing:
        raise ApiFail(501, f"Method '{key.split()[0]} {api_path}' not implemented")
    if entry is None:
        return
    bits, by_param = entry
    if pin is not None and bits[idx] != "1" and "1" in bits:
        idx = bits.index("1")  # pinned, present: its parameters as the first dump lists them

    def lacks(param: str) -> bool:
        pinned = _versions.SINCE.get(f"{key} {param}")
        if pinned is not None:
            return have < version_key(pinned)
        family = re.fullmatch(r"([a-z_]+?)\d+", param)  # net0 -> net[n]
        found = by_param.get(param) or (by_param.get(f"{family.group(1)}[n]") if family else None)
        return found is not None and found[idx] != "1"

    unknown = [p for p in params if lacks(p)]
    if unknown:
        message = "property is not defined in schema and the schema does not allow additional properties"
        raise param_fail(dict.fromkeys(unknown, message))


def _is_state_fault(fault: Fault) -> bool:
    from pvectl.sim.faults import ExpireTickets, LockVm, NodeOffline

    return isinstance(fault, (ExpireTickets, LockVm, NodeOffline))
