"""``pvectl ct create -i``: the Create CT wizard's tabs as questions (pve-manager www/manager6/lxc/CreateWizard.js:
General, Template, Disks, CPU, Memory, Network, DNS), with ``vm create -i``'s rules: every step, then a review
menu (any step asked again), the plan, a confirmation; Esc asks before discarding, Ctrl-C leaves; nothing is sent
before "yes". Flags and ``--from-file`` pre-fill the answers; the plan and the create are ``ct create``'s own
(pvectl.ct.workflow), so answers and the same flags plan the same requests."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pvectl.prompts.ask import Escaped, choice, confirm, say, secret, select, text

if TYPE_CHECKING:
    import typer

    from pvectl.ct.config import CtConfig
    from pvectl.sdk import ProxmoxClient

STEPS = ("general", "template", "disks", "cpu", "memory", "network", "dns")
TITLES = {
    "general": "General",
    "template": "Template",
    "disks": "Disks",
    "cpu": "CPU",
    "memory": "Memory",
    "network": "Network",
    "dns": "DNS",
}


def _number(low: float, integer: bool = True) -> Callable[[str], bool | str]:
    def check(answer: str) -> bool | str:
        try:
            value = int(answer) if integer else float(answer)
        except ValueError:
            return f"a {'whole ' if integer else ''}number, at least {low:g}"
        return True if value >= low else f"at least {low:g}"

    return check


def _ipv4(answer: str) -> bool | str:
    if answer in ("dhcp", "manual"):
        return True
    try:
        ipaddress.IPv4Interface(answer)
    except ValueError:
        return "dhcp, manual, or an IPv4 address with its prefix (10.0.0.5/24)"
    return True if "/" in answer else "add the prefix length (10.0.0.5/24)"


class Session:
    """The answers so far (a CtConfig) and the server they are checked against."""

    def __init__(self, client: ProxmoxClient, config: CtConfig) -> None:
        self.client, self.config = client, config

    def update(self, **fields: Any) -> None:
        self.config = self.config.model_copy(update=fields)

    @property
    def node(self) -> str:
        return str(self.config.node)

    def general(self) -> None:
        from pvectl.ct.workflow import pick_node
        from pvectl.sdk._core.answers import as_rows

        names = sorted(str(r.get("node")) for r in as_rows("GET /nodes", self.client.nodes.list()))
        default = self.config.node or pick_node(self.client, None, [])
        node = select("Node", [choice(n, n) for n in names], default)
        hostname = text("Hostname", self.config.hostname or "", instruction="(empty: CT<id>)").strip() or None
        unprivileged = confirm("Unprivileged container", self.config.unprivileged)
        self.update(node=node, hostname=hostname, unprivileged=unprivileged)
        if self.config.password is None:
            first = secret("Root password (empty: none, log in with an SSH key or the console)")
            if first:
                while len(first) < 5 or secret("Root password again") != first:
                    say("the passwords differ or are shorter than 5 characters (PVE's minimum); again")
                    first = secret("Root password")
                self.update(password=first)

    def template(self) -> None:
        from pvectl.ct import templates

        local = templates.on_node(self.client, self.node)
        index = templates.index(self.client, self.node)
        have = {t.filename for t in local}
        options = [choice(t.volid, t.volid) for t in local]
        options += [
            choice(f"download {a.template} ({a.headline})", a.template) for a in index if a.template not in have
        ]
        current = self.config.template
        found = templates.pick_local(current, local) if current and not templates.is_volume(current) else None
        answer = select("Template", options, found.volid if found else current)
        self.update(template=answer, pull=not templates.is_volume(answer))

    def disks(self) -> None:
        from pvectl.ct import templates

        storages = templates.rootdir_storages(self.client, self.node)
        rootfs = self.config.rootfs
        storage = select("Root disk storage", [choice(s, s) for s in storages], rootfs.storage)
        size = float(text("Root disk size (GiB)", f"{rootfs.size_gib:g}", validate=_number(1, integer=False)))
        self.update(rootfs=rootfs.model_copy(update={"storage": storage, "size_gib": size}))

    def cpu(self) -> None:
        self.update(cores=int(text("Cores", str(self.config.cores or 1), validate=_number(1))))

    def memory(self) -> None:
        memory = int(text("Memory (MiB)", str(self.config.memory), validate=_number(16)))
        swap = int(text("Swap (MiB)", str(self.config.swap), validate=_number(0)))
        self.update(memory=memory, swap=swap)

    def network(self) -> None:
        from pvectl.sdk._core.answers import as_rows

        rows = as_rows(f"GET /nodes/{self.node}/network", self.client.nodes(self.node).network.list(type="any_bridge"))
        bridges = sorted(str(r.get("iface")) for r in rows)
        nic = self.config.nets[0] if self.config.nets else None
        from pvectl.ct.config import Net

        nic = nic or Net()
        bridge = select("Bridge", [choice(b, b) for b in bridges], nic.bridge)
        ip = text("IPv4", nic.ip or "dhcp", validate=_ipv4, instruction="(dhcp, manual or CIDR)").strip()
        gw = None
        if ip not in ("dhcp", "manual"):
            gw = text("Gateway (IPv4)", nic.gw or "").strip() or None
        first = nic.model_copy(update={"bridge": bridge, "ip": ip, "gw": gw})
        self.update(nets=[first, *self.config.nets[1:]])

    def dns(self) -> None:
        nameserver = text("DNS servers", self.config.nameserver or "", instruction="(empty: the host's)").strip()
        domain = text("DNS domain", self.config.searchdomain or "", instruction="(empty: the host's)").strip()
        start = confirm("Start after creation", self.config.start)
        self.update(nameserver=nameserver or None, searchdomain=domain or None, start=start)

    def summary(self, step: str) -> str:
        c = self.config
        parts = {
            "general": f"{c.node} · {c.hostname or 'CT<id>'} · {'unprivileged' if c.unprivileged else 'privileged'}",
            "template": str(c.template or "none"),
            "disks": f"{c.rootfs.storage}:{c.rootfs.size_gib:g} GiB",
            "cpu": f"{c.cores} cores",
            "memory": f"{c.memory} MiB, swap {c.swap} MiB",
            "network": ", ".join(f"{n.bridge} {n.ip or ''}".strip() for n in c.nets) or "none",
            "dns": f"{c.nameserver or 'host'} · {c.searchdomain or 'host'}{' · start' if c.start else ''}",
        }
        return f"{TITLES[step]:9}{parts[step]}"[:72]


def _ask(session: Session, step: str) -> None:
    """One step; Esc restores its answers and asks before discarding (no: the step again)."""
    from pvectl.prompts.flow import discard_asked

    while True:
        before = session.config
        try:
            getattr(session, step)()
            return
        except Escaped:
            session.config = before
            discard_asked()


def _review(session: Session, create: str) -> None:
    from pvectl.prompts.flow import review_menu

    review_menu(create, lambda: [(session.summary(s), s) for s in STEPS], lambda step: _ask(session, step))


def run_ct_prompts(
    ctx: typer.Context,
    config: CtConfig,
    *,
    dry_run: bool,
    allow_duplicate_name: bool,
    show_plan: Callable[[Any, CtConfig], None],
    finish: Callable[[Any, CtConfig, Any, bool], None],
) -> None:
    """Ask, review, show the plan, confirm; ``finish(client, config, plan, auto_vmid)`` submits and reports."""
    from pvectl.cli.errors import USAGE, CliError
    from pvectl.ct.workflow import WorkflowError, check_and_plan
    from pvectl.prompts.ask import has_terminal
    from pvectl.prompts.flow import NO_TERMINAL, Discarded, left
    from pvectl.vm import leaving

    if not has_terminal():
        raise CliError(NO_TERMINAL.replace("vm create --node pve1 --name web1", "ct create --node pve1 --template "
                                           "debian-12").replace("vm create", "ct create"), USAGE)  # fmt: skip
    client = ctx.obj.client()
    session = Session(client, config)
    try:
        for step in STEPS:
            _ask(session, step)
        while True:
            _review(session, "Show the plan" if dry_run else "Create the container (the plan is shown first)")
            try:
                resolved, plan, auto = check_and_plan(client, session.config, allow_duplicate_name=allow_duplicate_name)
            except WorkflowError as exc:
                say(f"error: {exc}")
                for line in exc.details:
                    say(f"  {line}")
                continue  # back to the review: fix the step named
            show_plan(plan, resolved)
            if dry_run:
                return
            try:
                if confirm(f"Create CT {plan.vmid} on {plan.node}?", True):
                    break
            except Escaped:
                pass
            say("Not created; back to the review (nothing was sent).")
    except Discarded:
        left(leaving.DISCARDED)
    except KeyboardInterrupt:
        left(leaving.INTERRUPTED)
    except EOFError:
        left(leaving.END_OF_INPUT)
    finish(client, resolved, plan, auto)
