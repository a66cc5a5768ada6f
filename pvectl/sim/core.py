"""The simulator's request handling, free of any server: ``Simulator.handle(method, path, query, headers, body)``.

The order follows pveproxy: route (501 for unknown methods), authenticate (401), CSRF for writes with a
ticket, proxy to the node (500/595 for unknown or offline nodes), decode and merge parameters, validate them
against the schema (400 ``Parameter verification failed.``), then run the handler inside one state
transaction.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import unquote

from pvectl.sdk._core.spec import ApiSpec, load_spec
from pvectl.sdk._core.validate import validate_params
from pvectl.sim import auth, tasks
from pvectl.sim.faults import Fault, FaultSet, apply_to_state, fault_spec, parse_fault
from pvectl.sim.routes import HANDLERS, Ctx, WithAttrs
from pvectl.sim.shape import generic
from pvectl.sim.store import Store
from pvectl.sim.wire import ApiFail, SimResponse, decode_body, decode_urlencoded, error, ok, param_fail

PREFIX = "/api2/json"
# Answers rendered once per state generation and second and shared by every reader. PVE serves these from
# status caches too: /cluster/resources reads pmxcfs's vmlist and the RRD data pvestatd broadcasts every 10 s
# (PVE::API2::Cluster::resources, PVE::Cluster::rrd_dump), so it is never fresher than a few seconds.
CACHED = frozenset({"GET /cluster/resources"})
STATUS_INTERVAL = 10.0  # seconds: pvestatd's update loop
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


class Simulator:
    """A simulated PVE cluster behind one ``handle`` function."""

    def __init__(self, store: Store | None = None, *, clock: Clock | None = None, spec: ApiSpec | None = None) -> None:
        import pvectl.sim.handlers  # noqa: F401  (registers the stateful handlers)

        self.store = store or Store()
        self.clock = clock or SystemClock()
        self.spec = spec or load_spec()
        self.faults = FaultSet()
        self._answers: dict[str, tuple[tuple[Any, ...], SimResponse]] = {}  # op key -> (stamp, answer)
        self._render_lock = threading.Lock()
        with self.store.transaction() as txn:
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
        with self.store.transaction() as txn:
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
        if not write:
            with self.store.transaction() as txn:
                write = tasks.due(txn.state, self.clock.time())  # finishing a task is a write
        with self.store.transaction(write=write) as txn:
            state = txn.state
            now = self.clock.time()
            if write and tasks.advance(state, now):
                txn.changed()
            user = "root@pam"
            if op.key not in PUBLIC:
                who = auth.identify(state, headers, now)
                if method != "GET" and who.via_ticket and not who.csrf_ok:
                    raise ApiFail(401, "Permission denied - invalid csrf token")
                if not op.allowtoken and not who.via_ticket:
                    raise ApiFail(401, f"URI '{api_path}' not available with API token, need proper ticket.")
                user = who.user
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
            params = decode_body(headers.get("content-type", ""), body) if method in ("POST", "PUT") else {}
            params.update(decode_urlencoded(query))  # query parameters win over the body
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
            ctx = Ctx(op, params, path_values, user, now, txn, self.faults)
            if op.key in CACHED and not write:
                return self._cached(ctx, op.key)
            data = HANDLERS.get(op.key, generic)(ctx)
            if method != "GET":
                txn.changed()
            return data

    def _cached(self, ctx: Ctx, key: str) -> SimResponse:
        """The encoded answer, rendered once per state generation and status interval, shared by all readers.

        When only the interval has passed (the state is the same), a reader that finds another one rendering
        gets the previous answer instead of waiting: its data differs in the uptime counters only.
        """
        params = tuple(sorted((k, str(v)) for k, v in ctx.params.items()))
        state_key = (self.store.generation, key, params)
        bucket = int(ctx.now // STATUS_INTERVAL)
        hit = self._answers.get(key)
        if hit is not None and hit[0] == (*state_key, bucket):
            return hit[1]
        if hit is not None and hit[0][:-1] == state_key:
            if not self._render_lock.acquire(blocking=False):
                return hit[1]
        else:
            self._render_lock.acquire()
        try:
            hit = self._answers.get(key)
            if hit is not None and hit[0] == (*state_key, bucket):
                return hit[1]
            answer = ok(HANDLERS[key](ctx))
            self._answers[key] = ((*state_key, bucket), answer)
            return answer
        finally:
            self._render_lock.release()


def _check_release(version: str, key: str, api_path: str, params: Mapping[str, object]) -> None:
    """A world seeded with an older PVE release lacks the methods and parameters that release lacks.

    Everything else is validated against the 9.1.3 schema (older releases differ little in what they accept).
    """
    from pvectl.sdk import _versions
    from pvectl.sdk._core.versions import check_supported

    problem = check_supported(key, [], version, _versions.RELEASES, _versions.TABLE)
    if problem is not None:
        raise ApiFail(501, f"Method '{key.split()[0]} {api_path}' not implemented")
    unknown = [p for p in params if check_supported(key, [p], version, _versions.RELEASES, _versions.TABLE)]
    if unknown:
        message = "property is not defined in schema and the schema does not allow additional properties"
        raise param_fail(dict.fromkeys(unknown, message))


def _is_state_fault(fault: Fault) -> bool:
    from pvectl.sim.faults import ExpireTickets, LockVm, NodeOffline

    return isinstance(fault, (ExpireTickets, LockVm, NodeOffline))
