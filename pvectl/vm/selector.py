"""Which VMs a command acts on: ids or names, ``-l tag=web,tag!=lab``, ``--pool``, ``--node``, ``--name 'web-*'``,
``--status``, ``--all``. Pure: it matches :class:`~pvectl.vm.lookup.VmRef` lists and sends nothing.

Every criterion narrows the selection (they combine with AND); ids and names given as arguments pick VMs and the
other criteria narrow those further. ``-l`` terms are ``KEY=VALUE`` or ``KEY!=VALUE`` with KEY one of ``tag``
(the VM has / lacks that tag), ``pool``, ``node``, ``name`` (a glob) or ``status``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pvectl.vm.lookup import VmRef, find

KEYS = ("tag", "pool", "node", "name", "status")


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
                terms.append(Term(key, value))
        if all and keys:
            raise SelectorError("--all: cannot be combined with VM ids or names")
        return cls(tuple(keys), tuple(terms), all)

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
