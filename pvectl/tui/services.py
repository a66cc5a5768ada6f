"""What the wizard asks of the outside world: logging in, reference data, review, submission.

Everything here is synchronous and called from Textual thread workers; one lock keeps the reference data cache
and the client used by one request at a time. Tests give a Session over the simulator.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pvectl.vm.reference import Ref, ReferenceData

if TYPE_CHECKING:
    from pvectl.sdk import ProxmoxClient
    from pvectl.vm.config import VmConfig
    from pvectl.vm.outcome import Outcome
    from pvectl.vm.plan import Plan
    from pvectl.vm.resolve import Resolution
    from pvectl.vm.rules import Problem
    from pvectl.vm.submit import Event


class Connector(Protocol):
    """Logs in to a server (the login screen); ``login`` raises SecondFactorRequired when a code is needed."""

    server: str
    user: str

    def realms(self, server: str) -> list[dict[str, Any]]: ...

    def login(self, server: str, user: str, realm: str, password: str, otp: str | None) -> ProxmoxClient: ...


@dataclass
class Review:
    """What the Confirm screen shows: the resolved configuration, its problems and the plan (or why not)."""

    resolution: Resolution | None = None
    problems: list[Problem] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    plan: Plan | None = None
    error: str | None = None

    @property
    def ready(self) -> bool:
        return self.plan is not None and not self.problems and not self.missing and self.error is None


class Session:
    """The client of one wizard run and the reference data loaded through it."""

    def __init__(self, client: ProxmoxClient | None = None, connector: Connector | None = None) -> None:
        self.connector = connector
        self.client: ProxmoxClient | None = None
        self.ref: ReferenceData | None = None
        self.lock = threading.Lock()
        self.submitted = False
        if client is not None:
            self.connect(client)

    def connect(self, client: ProxmoxClient) -> None:
        self.client = client
        self.ref = ReferenceData(client)

    def load(self, source: str, *args: str) -> Ref[Any]:
        """One ReferenceData lookup by name (``bridges``, ``pve1``); never raises."""
        assert self.ref is not None
        with self.lock:
            try:
                result: Ref[Any] = getattr(self.ref, source)(*args)
            except Exception as exc:
                return Ref(error=str(exc) or type(exc).__name__)
            return result

    def review(self, config: VmConfig) -> Review:
        """Resolve leniently (first available choice, with notes), check every rule and plan the requests."""
        from pvectl.vm.cpu import needs_server
        from pvectl.vm.plan import make_plan
        from pvectl.vm.resolve import ResolveError, resolve
        from pvectl.vm.rules import check

        assert self.ref is not None
        with self.lock:
            try:
                resolution = resolve(config, self.ref, strict=False)
            except ResolveError as exc:
                return Review(error=str(exc))
            except Exception as exc:
                return Review(error=str(exc) or type(exc).__name__)
            if resolution.missing:
                return Review(resolution, missing=resolution.missing)
            taken = set() if resolution.auto_vmid else {g.vmid for g in self.ref.guests().get([])}
            c, node = resolution.config.cpu, resolution.config.general.node
            # the node's CPU lists, as the flags' check_and_plan asks them (unreadable: the rules' union range)
            cpu = self.ref.cpu(node).value if node and needs_server(c.type, c.flags, c.cpuunits) else None
            problems = check(resolution.config, taken_vmids=taken, cpu=cpu)
            problems += self._virtio_iso(resolution.config)
            plan = make_plan(resolution.config, resolution.server_version)
            return Review(resolution, problems=problems, plan=plan)

    def _virtio_iso(self, config: VmConfig) -> list[Problem]:
        """The VirtIO driver ISO must exist before anything is sent (the flags' check, pvectl.vm.workflow)."""
        from pvectl.vm.rules import Problem
        from pvectl.vm.workflow import WorkflowError, iso_problem

        volid, node = config.os.virtio_iso, config.general.node
        if not volid or not node or self.ref is None:
            return []
        try:
            problem = iso_problem(volid, node, self.ref)
        except WorkflowError as exc:
            problem = str(exc)
        return [Problem("os.virtio_iso", problem)] if problem else []

    def submit(self, resolution: Resolution, on_event: Callable[[Event], None]) -> Outcome:
        from pvectl.vm.outcome import Outcome
        from pvectl.vm.submit import Submitter

        assert self.client is not None
        self.submitted = True
        self.submitter = Submitter(self.client, on_event=on_event, task_timeout=600)  # as workflow.submit does
        try:
            return self.submitter.submit(resolution.config, resolution.server_version, auto_vmid=resolution.auto_vmid)
        except Exception as exc:
            node = resolution.config.general.node
            return Outcome("nothing-created", None, node, f"submission stopped: {exc}")

    def detach(self, plan: Plan) -> Outcome | None:
        """The outcome so far when the user leaves a running submission: the submitter's own "interrupted"
        outcome (what exists, the running task's UPID, the commands that finish the job), as Ctrl-C gives."""
        submitter = getattr(self, "submitter", None)
        return None if submitter is None else submitter.interrupted(plan)

    def finish(self, step: str, plan: Plan) -> None:
        """Run one post-create step again (the retry button of a partial success); raises PveError."""
        from pvectl.vm.actions import enable_serial_console, power

        assert self.client is not None
        if step == "serial":
            enable_serial_console(self.client, plan.node, plan.vmid)
        elif step == "start":
            power(self.client, plan.node, plan.vmid, "start").wait()
        elif step == "cipassword":  # as the submitter: with the digest read just before, never the plan's marker
            from pvectl.vm.cloudinit import set_password

            request = next(r for r in plan.requests if r.step == step)
            set_password(self.client, plan.node, plan.vmid, str(request.params["cipassword"]))
        else:
            from pvectl.vm.submit import Submitter

            request = next(r for r in plan.requests if r.step == step)
            Submitter(self.client).send(plan, request)  # its typed SDK call, parameters as planned


class CliConnector:
    """Logs in the way ``pvectl login`` does, with the root options' TLS settings; tickets are cached."""

    def __init__(self, options: Any, settings: Any) -> None:
        self.options = options
        self.settings = settings
        self.server = settings.host or ""
        self.user = (settings.user or "").rpartition("@")[0] or (settings.user or "")

    def _base(self, server: str) -> dict[str, Any]:
        import dataclasses

        from pvectl.cli.connection import tls_kwargs

        settings = self.settings
        if server != settings.host:
            settings = dataclasses.replace(settings, host=server, port=8006)
        return {"base_url": settings.base_url, **tls_kwargs(settings)}

    def realms(self, server: str) -> list[dict[str, Any]]:
        from pvectl.cli.connection import new_client
        from pvectl.sdk import ProxmoxClient

        with new_client(ProxmoxClient, self.options, **self._base(server)) as anonymous:
            realms: list[dict[str, Any]] = anonymous.realms()
            return realms

    def login(self, server: str, user: str, realm: str, password: str, otp: str | None) -> ProxmoxClient:
        from pvectl.cli.connection import new_client
        from pvectl.config.tickets import store_ticket
        from pvectl.sdk import ProxmoxClient, TicketAuth

        base = self._base(server)

        def remember(auth: TicketAuth) -> None:
            if auth.ticket:
                store_ticket(base["base_url"], auth.user, auth.ticket, auth.csrf)

        auth = TicketAuth(user, password, realm=realm, otp=otp or None, on_ticket=remember)
        client: ProxmoxClient = new_client(ProxmoxClient, self.options, **base, auth=auth)
        try:
            client.login()
        except BaseException:
            client.close()
            raise
        return client
