"""Questions built from the field spec: one per FieldSpec, its kind choosing the widget, validated as typed.

A numeric or text answer is checked by the domain rules while it is typed: the answer is put into a copy of
the configuration and :func:`pvectl.vm.rules.check` is asked about that one field (the message names the rule).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from pvectl.prompts.ask import NONE, Validator, checkbox, choice, confirm, say, select, text
from pvectl.vm.config import VmConfig
from pvectl.vm.cpu import CpuCatalog
from pvectl.vm.fields import FieldSpec
from pvectl.vm.labels import options as labelled
from pvectl.vm.reference import ReferenceData
from pvectl.vm.rules import check


def fixed_options(spec: FieldSpec) -> list[tuple[str, str]]:
    """(code, title) of a fixed choice, from the shared label table; the title names the code too."""
    pairs = labelled(spec.path, spec.choices)
    return [(code, title if title == code else f"{title} ({code})") for code, title in pairs]


@dataclass
class Session:
    """The configuration being filled in, the server data behind the choices, and the taken VM ids."""

    config: VmConfig
    ref: ReferenceData
    taken: set[int] = field(default_factory=set)
    cpu: CpuCatalog | None = None  # the node's CPU models, flags and units range, once the CPU step loaded them

    @property
    def node(self) -> str:
        return self.config.general.node or ""


@dataclass(frozen=True)
class Target:
    """Where one answer goes: a VmConfig field, or a field of disk ``disk``."""

    spec: FieldSpec
    disk: int | None = None
    nic: int | None = None  # net1 is nic 0 (``more_nics[0]``); ``spec`` is then net0's field of that name

    @property
    def field(self) -> str:
        """The name the rules use for it (``memory.min_memory``, ``disks[1].size_gib``, ``more_nics[0].vlan``)."""
        if self.nic is not None:
            return f"more_nics[{self.nic}].{self.attr}"
        return self.spec.path if self.disk is None else f"disks[{self.disk}].{self.spec.path}"

    @property
    def attr(self) -> str:
        return self.spec.path.rsplit(".", 1)[-1]

    def owner(self, config: VmConfig) -> BaseModel:
        if self.disk is not None:
            return config.disks[self.disk]
        if self.nic is not None:
            return config.more_nics[self.nic]
        obj: BaseModel = config
        for part in self.spec.path.split(".")[:-1]:
            obj = getattr(obj, part)
        return obj

    def get(self, config: VmConfig) -> Any:
        return getattr(self.owner(config), self.attr)

    def set(self, config: VmConfig, value: Any) -> None:
        try:
            setattr(self.owner(config), self.attr, value)
        except PydanticValidationError as exc:
            raise ValueError(exc.errors()[0]["msg"]) from exc

    def accepts_none(self, config: VmConfig) -> bool:
        try:
            self.set(config.model_copy(deep=True), None)
        except ValueError:
            return False
        return True


def problem(session: Session, target: Target, value: Any) -> str | None:
    """What the domain rules say about ``value`` for ``target`` (None: fine)."""
    candidate = session.config.model_copy(deep=True)
    try:
        target.set(candidate, value)
    except ValueError as exc:
        return str(exc)
    for found in check(candidate, taken_vmids=session.taken, cpu=session.cpu):
        if found.field == target.field:
            return found.message
    return None


def parse(kind: str, answer: str, optional: bool) -> Any:
    """A typed answer; ValueError with a message for the prompt."""
    answer = answer.strip()
    if not answer:
        if optional:
            return None
        raise ValueError("an answer is needed")
    if kind == "int":
        try:
            return int(answer)
        except ValueError:
            raise ValueError(f"'{answer}' is not a whole number") from None
    if kind == "float":
        try:
            return float(answer)
        except ValueError:
            raise ValueError(f"'{answer}' is not a number") from None
    return answer


def validator(session: Session, target: Target) -> Validator:
    optional = target.accepts_none(session.config)

    def validate(answer: str) -> bool | str:
        try:
            value = parse(target.spec.kind, answer, optional)
        except ValueError as exc:
            return str(exc)
        message = problem(session, target, value)
        return True if message is None else message

    return validate


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def ask_value(session: Session, target: Target, suggested: Any = None, hint: str | None = None) -> None:
    """Ask a str/int/float field. ``suggested`` pre-fills a derived value (next VM id, memory); taking it
    unchanged keeps the field derived (None), exactly as leaving the flag out does. ``hint`` replaces the
    spec's help (a range the server decides)."""
    current = target.get(session.config)
    shown = current if current is not None else suggested
    instruction = hint or _hint(target.spec)
    answer = text(target.spec.label, _show(shown), validator(session, target), instruction=instruction)
    value = parse(target.spec.kind, answer, target.accepts_none(session.config))
    if current is None and suggested is not None and value == suggested:
        value = None
    target.set(session.config, value)


def _hint(spec: FieldSpec) -> str | None:
    return spec.help if spec.kind in ("int", "float", "str") else None


def ask_bool(session: Session, target: Target) -> None:
    current = target.get(session.config)
    value = confirm(target.spec.label, bool(current))
    if current is None and not value:
        return  # an unset switch that stays off stays unset
    target.set(session.config, value)


def ask_choice(
    session: Session,
    target: Target,
    options: list[tuple[str, str]] | None = None,
    disabled: dict[str, str] | None = None,
    what: str = "",
) -> str | None:
    """Ask a choice field; ``options`` are (value, title) pairs (default: the spec's fixed choices).

    A current value that is not among the options is replaced by the first one, with a note (lenient mode).
    """
    spec = target.spec
    if options is None:
        options = fixed_options(spec)
    current = target.get(session.config)
    allowed = [value for value, _ in options if not (disabled or {}).get(value)]
    if current is None and target.accepts_none(session.config) and spec.kind == "choice" and not spec.source:
        options = [(NONE, "(PVE default)"), *options]
        allowed.insert(0, NONE)
    default = NONE if current is None else str(current)
    if default not in allowed and allowed:
        if current is not None:
            reason = (disabled or {}).get(str(current)) or ("does not exist" + (f" {what}" if what else ""))
            say(f"note: {spec.label.lower()} '{current}' {reason}; preselected '{allowed[0]}'")
        default = allowed[0]
    choices = [choice(title, value, (disabled or {}).get(value)) for value, title in options]
    answer = select(spec.label, choices, default)
    value = None if answer == NONE else answer
    target.set(session.config, value)
    return value


def ask_tags(session: Session, target: Target, existing: list[str]) -> None:
    """Existing tags as a multi-select, then free entry for new ones."""
    current: list[str] = list(target.get(session.config))
    picked: list[str] = []
    if existing:
        picked = checkbox(target.spec.label, [choice(t, t, checked=t in current) for t in existing])
        picked = [t for t in current if t in picked] + [t for t in picked if t not in current]  # keep given order
    else:
        say("No tags are in use yet.")
    extra = [t for t in current if t not in existing]

    def validate(answer: str) -> bool | str:
        message = problem(session, target, [*picked, *_split(answer)])
        return True if message is None else message

    answer = text("New tags" if existing else target.spec.label, " ".join(extra), validate, "(space-separated)")
    chosen = [*picked, *_split(answer)]
    # the order the user gave them in (flags, file, earlier answers) stays; newly added ones follow
    kept = [t for t in current if t in chosen]
    target.set(session.config, list(dict.fromkeys([*kept, *chosen])))


def _split(answer: str) -> list[str]:
    return [t for t in answer.replace(",", " ").replace(";", " ").split() if t]


def ask_field(session: Session, target: Target, live: Callable[[Session, Target], None] | None = None) -> None:
    """Ask one field by its kind (live choices go through ``live``)."""
    kind = target.spec.kind
    if kind == "bool":
        ask_bool(session, target)
    elif kind in ("int", "float", "str"):
        ask_value(session, target)
    elif kind == "choice" and target.spec.source and live is not None:
        live(session, target)
    elif kind == "choice":
        ask_choice(session, target)
    else:
        raise ValueError(f"{target.spec.path}: no question for kind {kind}")
