"""Which VMs a command acts on: ids or names, ``-l tag=web,tag!=lab``, ``--pool``, ``--node``, ``--name 'web-*'``,
``--status``, ``--all``. Pure: it matches :class:`~pvectl.vm.lookup.VmRef` lists and sends nothing.

Every criterion narrows the selection (they combine with AND). Ids and names given as arguments pick VMs on their
own: criteria beside them are a usage error (an id that a criterion then filtered out was a silent no-op). A value
that can never match (``--status runing``, a node the cluster lacks) is a usage error too, as in ``vm list``.
``-l`` terms are ``KEY=VALUE`` or ``KEY!=VALUE`` with KEY one of ``tag``
(the VM has / lacks that tag), ``pool``, ``node``, ``name`` (a glob) or ``status``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pvectl.vm.lookup import VmRef, find

KEYS = ("tag", "pool", "node", "name", "status")
# What /cluster/resources says of a VM: pvestatd writes a running VM's QMP status (running, paused, ...) as its
# status (pve-manager PVE/Service/pvestatd.pm update_qemu_status), PVE/API2Tools.pm extract_vm_stats reads it back,
# and "unknown" stands for a guest of a node that is not reachable.
STATES = ("running", "stopped", "paused", "unknown")


def check_status(value: str, flag: str = "--status") -> None:
    """SelectorError naming ``flag`` when ``value`` is no state a VM can be in."""
    if value not in STATES:
        raise SelectorError(f"{flag}: '{value}' is not one of {', '.join(STATES)}")


def check_node(value: str, known: Iterable[str], flag: str = "--node") -> None:
    """SelectorError naming ``flag`` when the cluster has no node ``value`` (``known``: its nodes)."""
    names = sorted(known)
    if value not in names:
        raise SelectorError(f"{flag}: no node '{value}' in this cluster (known: {', '.join(names)})")


class SelectorError(ValueError):
    """A selector that cannot be parsed, or a selection that is not allowed; the message names the flag."""


@dataclass(frozen=True)
class Term:
    key: str
    value: str
    negate: bool = False

    def matches(self, vm: VmRef) -> bool:
        if self.key == "tag":
            hit = self.value in vm.tags
        elif self.key == "name":
            hit = fnmatch.fnmatchcase(vm.name, self.value)
        elif self.key == "pool":
            hit = str(vm.raw.get("pool") or "") == self.value
        elif self.key == "node":
            hit = vm.node == self.value
        else:
            hit = vm.status == self.value
        return hit != self.negate


def parse_terms(text: str, flag: str = "-l/--selector") -> tuple[Term, ...]:
    """``tag=web,tag!=lab`` -> its terms; SelectorError naming ``flag`` and the bad term otherwise."""
    terms = []
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            continue
        negate = "!=" in part
        key, sep, value = part.partition("!=" if negate else "=")
        key, value = key.strip(), value.strip()
        if not sep or not value:
            raise SelectorError(f"{flag}: '{part}' is not KEY=VALUE or KEY!=VALUE (e.g. tag=web,tag!=lab)")
        if key not in KEYS:
            raise SelectorError(f"{flag}: unknown key '{key}' in '{part}' (use {', '.join(KEYS)})")
        if key == "status":
            check_status(value, flag)
        terms.append(Term(key, value, negate))
    if not terms:
        raise SelectorError(f"{flag}: empty selector (e.g. tag=web,tag!=lab)")
    return tuple(terms)


@dataclass(frozen=True)
class Selector:
    keys: tuple[str, ...] = ()  # ids or names given as arguments
    terms: tuple[Term, ...] = field(default_factory=tuple)
    all: bool = False

    @classmethod
    def build(
        cls,
        keys: Sequence[str] = (),
        *,
        selectors: Sequence[str] = (),
        pool: str | None = None,
        node: str | None = None,
        name: str | None = None,
        status: str | None = None,
        all: bool = False,
    ) -> Selector:
        terms: list[Term] = []
        for text in selectors:
            terms += parse_terms(text)
        for key, value in (("pool", pool), ("node", node), ("name", name), ("status", status)):
            if value is not None:
                if not value:
                    raise SelectorError(f"--{key}: empty value")
                if key == "status":
                    check_status(value)
                terms.append(Term(key, value))
        if all and keys:
            raise SelectorError("--all: cannot be combined with guest ids or names")
        if keys and terms:
            raise SelectorError(
                f"{', '.join(keys)}: ids or names cannot be combined with -l/--selector, --pool, --node, --name or "
                "--status (name the guests, or select them)"
            )
        return cls(tuple(keys), tuple(terms), all)

    def check_nodes(self, known: Iterable[str]) -> None:
        """SelectorError for a ``node`` criterion naming a node the cluster lacks (``known``: its nodes)."""
        names = list(known)
        for term in self.terms:
            if term.key == "node":
                check_node(term.value, names)

    @property
    def names_nodes(self) -> bool:
        """A criterion names a node (check_nodes then needs the cluster's nodes)."""
        return any(t.key == "node" for t in self.terms)

    @property
    def empty(self) -> bool:
        """Nothing chosen at all: no ids, no criteria, no --all."""
        return not (self.keys or self.terms or self.all)

    @property
    def single(self) -> bool:
        """One VM named as an argument and nothing else: the one-VM form of a command."""
        return len(self.keys) == 1 and not self.terms and not self.all

    def describe(self) -> str:
        parts = list(self.keys)
        parts += [f"{t.key}{'!=' if t.negate else '='}{t.value}" for t in self.terms]
        return ", ".join(parts) if parts else "all VMs"

    def select(self, vms: Iterable[VmRef], noun: str = "VM") -> list[VmRef]:
        """The matching guests sorted by id; an id or name that does not exist raises VmNotFound (from lookup),
        naming the guest as ``noun`` (VM, CT)."""
        items = list(vms)
        if self.keys:
            picked: dict[int, VmRef] = {}
            for key in self.keys:
                vm = find(items, key, noun)
                picked[vm.vmid] = vm
            items = list(picked.values())
        return sorted((vm for vm in items if all(t.matches(vm) for t in self.terms)), key=lambda v: v.vmid)
